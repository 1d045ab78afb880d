//! Crawlers, monitors, feed readers, link previews and tools are not clicks. Two published
//! lists shipped in `data/` (see its README) decide, both over the lower-cased user agent:
//! - `crawler-user-agents`: named crawlers. Its plain names are found all at once by one
//!   Aho-Corasick automaton, its few real patterns by one small regex. (One regex over all
//!   1 500 entries outgrows the lazy DFA's cache and falls back to a slow engine: tens of
//!   microseconds per agent.)
//! - `isbot`: generic markers (bot, crawl, spider, fetch, preview, URLs and e-mail addresses
//!   in the agent, HTTP client libraries, uptime and SEO tools, agents that are only a
//!   product name), in one byte regex without Unicode classes; its five patterns with
//!   look-around, which the regex crate has not, are checked by hand ([`lookaround`]).
//!
//! Both lists take a few real browsers for bots (Internet Explorer with Chrome Frame, Google
//! Earth, Sogou's mobile browser, ...): the exact tokens by which these browsers name
//! themselves ([`BROWSER_TOKENS`]) are cut out of the agent before the lists are applied,
//! and two patterns of `crawler-user-agents` are made exact or left out (`build.rs`).
//!
//! The tests measure the filter against lists it was not built from (`tests/bots.rs`).

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

const NAMES: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_names.txt"));
const PATTERN: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_pattern.txt"));
const ISBOT: &str = include_str!(concat!(env!("OUT_DIR"), "/isbot_pattern.txt"));
#[cfg(test)]
const ISBOT_LOOKAROUND: &str = include_str!(concat!(env!("OUT_DIR"), "/isbot_lookaround.txt"));

/// Tokens of real browsers that contain a marker of the lists, each as exactly as the browser
/// writes it (lower case). A bot sending one is still caught by its other markers; a token
/// alone makes no agent a browser.
pub const BROWSER_TOKENS: [&str; 11] = [
    // Internet Explorer with the Chrome Frame plug-in (isbot: `chromeframe`).
    "chromeframe",
    // LG's webOS televisions (isbot: `manager`).
    "large screen webappmanager",
    // Internet Explorer on DEC's Alpha servers (isbot: `server`).
    "digital alphaserver",
    // Google Earth's built-in browser (isbot: `google`).
    "google earth/",
    // Sogou's mobile browser (both lists: `sogou`; Sogou's crawlers say `spider`).
    "sogoumse,sogoumobilebrowser/",
    // Fluid, a site-specific browser for macOS (crawler-user-agents: `Fluid`).
    " fluid/",
    // Tencent's download plug-in in Internet Explorer (isbot: `download`).
    "qqdownload ",
    // An Android phone model (isbot: `capture`).
    "; capture+)",
    // The OffByOne and BrowseX browsers (isbot: `offbyone`, `browsex`).
    "; offbyone;",
    " - browsex (",
    // Internet Explorer embedded by Delphi's EmbeddedWB component (isbot: `http`, `\.com\b`).
    "embedded web browser from: http://bsalsa.com/",
];

/// Longer user agents are not browsers (and would only cost matching time).
const MAX_UA_BYTES: usize = 1024;

struct Matchers {
    browser_tokens: AhoCorasick,
    names: AhoCorasick,
    patterns: Regex,
    generic: regex::bytes::Regex,
}

/// Built on the first click rather than at cold start: a start that only answers unknown
/// codes, HEADs or crawlers never pays for it, and init stays the platform's smallest.
fn matchers() -> Option<&'static Matchers> {
    static MATCHERS: OnceLock<Option<Matchers>> = OnceLock::new();
    MATCHERS
        .get_or_init(|| {
            let browser_tokens = AhoCorasick::new(BROWSER_TOKENS);
            let names = AhoCorasick::new(NAMES.lines());
            let patterns = Regex::new(PATTERN);
            let generic = regex::bytes::RegexBuilder::new(ISBOT)
                .unicode(false)
                .build();
            match (browser_tokens, names, patterns, generic) {
                (Ok(browser_tokens), Ok(names), Ok(patterns), Ok(generic)) => Some(Matchers {
                    browser_tokens,
                    names,
                    patterns,
                    generic,
                }),
                (Err(e), _, _, _) => {
                    tracing::error!(error = %e, "the browser tokens do not build");
                    None
                }
                (_, Err(e), _, _) => {
                    tracing::error!(error = %e, "the crawler names do not build");
                    None
                }
                (_, _, Err(e), _) => {
                    tracing::error!(error = %e, "the crawler patterns do not compile");
                    None
                }
                (_, _, _, Err(e)) => {
                    tracing::error!(error = %e, "the generic patterns do not compile");
                    None
                }
            }
        })
        .as_ref()
}

/// Whether a click with this user agent must not be counted: a crawler of the list, no user
/// agent at all, or one too long to be a browser's.
pub fn is_bot(user_agent: &str) -> bool {
    if user_agent.trim().is_empty() || user_agent.len() > MAX_UA_BYTES {
        return true;
    }
    match matchers() {
        Some(m) => {
            let mut lower = user_agent.to_lowercase();
            if m.browser_tokens.is_match(&lower) {
                lower = m
                    .browser_tokens
                    .replace_all(&lower, &[" "; BROWSER_TOKENS.len()]);
            }
            m.names.is_match(&lower)
                || m.generic.is_match(lower.as_bytes())
                || lookaround(&lower)
                || m.patterns.is_match(&lower)
        }
        // Without the list nothing can be told apart: count nothing rather than everything.
        None => true,
    }
}

/// isbot's patterns with look-around, as code (`ua` is lower case):
/// `(?:^|[^g])news(?!sapphire)`, `(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))`,
/// `(?<! cu)bots?(?:\b|_)`, `(?<!cam)scan` and `(?<!lib)http`.
fn lookaround(ua: &str) -> bool {
    let at = |needle: &'static str| ua.match_indices(needle).map(|(i, _)| i);
    let before = |i: usize, s: &str| ua[..i].ends_with(s);
    let after = |i: usize, s: &str| ua[i..].starts_with(s);
    // `\b` in JavaScript: the next character is no ASCII letter, digit or `_`.
    let ends_word = |i: usize| {
        ua.as_bytes()
            .get(i)
            .is_none_or(|c| !c.is_ascii_alphanumeric())
    };
    at("news").any(|i| !before(i, "g") && !after(i + 4, "sapphire"))
        || at("google").any(|i| {
            !before(i, " channel/")
                && !before(i, "google/")
                && !["wv", "app", "/google", " pixel"]
                    .iter()
                    .any(|s| after(i + 6, s))
        })
        || at("bot").any(|i| {
            !before(i, " cu") && (ends_word(i + 3) || (after(i + 3, "s") && ends_word(i + 4)))
        })
        || at("scan").any(|i| !before(i, "cam"))
        || at("http").any(|i| !before(i, "lib"))
}

/// Builds the automaton now (the bench and warm-up call it).
pub fn prepare() {
    let _ = matchers();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_compiles() {
        assert!(matchers().is_some());
        assert!(
            NAMES.lines().count() > 1_000,
            "the plain names are most of the list"
        );
    }

    #[test]
    fn the_lookaround_patterns_are_the_ones_checked_by_hand() {
        assert_eq!(
            ISBOT_LOOKAROUND.lines().collect::<Vec<_>>(),
            [
                "(?:^|[^g])news(?!sapphire)",
                "(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))",
                "(?<! cu)bots?(?:\\b|_)",
                "(?<!cam)scan",
                "(?<!lib)http",
            ]
        );
        assert!(lookaround("mozilla/5.0 (compatible; examplebot/1.0)"));
        assert!(lookaround("newsbot"));
        assert!(lookaround("googleother"));
        assert!(lookaround("python-httpx/0.27"));
        assert!(lookaround("nessus scan"));
        assert!(!lookaround("android 6.0; cubot max"));
        assert!(!lookaround("camscanner/4.5"));
        assert!(!lookaround("lynx/2.8.9rel.1 libwww-fm/2.14"));
        assert!(!lookaround(
            "mozilla/5.0 (linux; android 13; pixel 7) googlewv"
        ));
        assert!(!lookaround("botanical"));
    }

    #[test]
    fn empty_and_oversized_agents_are_not_counted() {
        assert!(is_bot(""));
        assert!(is_bot("   "));
        assert!(is_bot(&"Mozilla/5.0 ".repeat(200)));
    }
}
