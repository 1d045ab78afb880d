//! Crawlers, monitors, feed readers, link previews and tools are not clicks. Two published
//! lists shipped in `data/` (see its README) decide, both over the lower-cased user agent:
//! - `crawler-user-agents`: named crawlers, nearly all plain names, a few real patterns.
//! - `isbot`: generic markers (bot, crawl, spider, fetch, preview, URLs and e-mail addresses
//!   in the agent, HTTP client libraries, uptime and SEO tools, agents that are only a
//!   product name), read without Unicode classes; its five patterns with look-around, which
//!   the regex crate has not, are checked by hand ([`needle_fires`]).
//!
//! Both lists take a few real browsers for bots (Internet Explorer with Chrome Frame, Google
//! Earth, Sogou's mobile browser, ...): the exact tokens by which these browsers name
//! themselves ([`BROWSER_TOKENS`]) are cut out of the agent before the lists are applied,
//! and two patterns of `crawler-user-agents` are made exact or left out (`build.rs`).
//!
//! A browser's agent must pass every check, so the filter reads an agent as few times as it
//! can: over the bench's 5 466 agents, each agent's fastest of 15 passes costs 505 ns on
//! average (was 1 050 ns), and the bench's own figure was 602 ns at best on a busy machine
//! (was 1 023–1 196 ns on a quiet one). `build.rs` sorts the lists' patterns by what they
//! need:
//! - One Aho-Corasick automaton finds, in one pass, the crawler list's names, every pattern
//!   of either list that is only words (`crawl`, `ahrefs(bot|siteaudit)`), the five words of
//!   isbot's look-around patterns (`news`, `google`, `bot`, `scan`, `http`: a match is a bot
//!   when its neighbours allow it) and the gates below. The first name or word ends the
//!   search. `build.rs` builds it (daachorse's double array, 138 KB) and the binary carries
//!   it serialized: init reads it in 0.09 ms, where building it took 1.9 ms of the redirect's
//!   CPU share (docs/performance.md, "First request with TLS"). (One regex over all 1 500
//!   names outgrows the lazy DFA's cache and falls back to a slow engine: tens of
//!   microseconds per agent; the automaton as a DFA is 3.4 MB.)
//! - The patterns anchored at the start that are only words (`^python`, `^clamav[ /]`) are
//!   those words, sorted: the agent's first byte finds the few to compare
//!   ([`begins_with_prefix`]).
//! - The other patterns anchored at the start (`^[^ ]{50,}$`) are one regex that reads only
//!   as far into the agent as one of them can still match. (All 89 as one regex cost 0.3 ms
//!   of init to parse and compile; the 9 left cost 0.1 ms.)
//! - Every other pattern (`agent\b`, `\b\w+\.ai`, `ssl labs$`) is a regex of its own, searched
//!   only when the automaton found a word that any match of it contains (its gate: `agent`,
//!   `.ai`), or the agent ends with one (`ssl labs`). Together, as one unanchored regex,
//!   they cost a browser's agent another 300 ns.
//!
//! The browser tokens are looked for first, by a SIMD searcher; in the rare agent with one,
//! the checks run on a copy with the tokens cut out. The agent is lower-cased on the stack
//! when it is ASCII, as nearly all are.
//!
//! The tests measure the filter against lists it was not built from (`tests/bots.rs`), and
//! against the lists applied one after the other as they are published (the tests below).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, packed};
use daachorse::DoubleArrayAhoCorasick;
use regex::bytes::Regex;

use crate::word_roles;
#[cfg(test)]
use crate::word_roles::NEEDLES;

include!(concat!(env!("OUT_DIR"), "/filter.rs"));
/// Every word the filter looks for, as a double-array Aho-Corasick automaton built by
/// `build.rs`; each word's value says what it stands for ([`word_roles`]).
const WORDS_AUTOMATON: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/words.daac"));
#[cfg(test)]
const NAMES: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_names.txt"));
#[cfg(test)]
const PATTERN: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_pattern.txt"));
#[cfg(test)]
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

/// What must be in an agent for a pattern of [`GATED`] to match it (`build.rs`).
enum Gate {
    /// One of these words, anywhere.
    Contains(
        #[allow(
            dead_code,
            reason = "the automaton's values hold these; the tests read them"
        )]
        &'static [&'static str],
    ),
    /// One of these words at the very end.
    EndsWith(&'static [&'static str]),
    /// Nothing known: searched for in every agent.
    #[allow(dead_code, reason = "every pattern of today's lists has a gate")]
    Always,
}

struct Matchers {
    /// The browser tokens by Teddy (SIMD); `None` where the CPU has no SIMD it uses.
    token_finder: Option<packed::Searcher>,
    /// The browser tokens, to cut them out: built when first needed, since few agents have
    /// one (and building it at init cost 0.15 ms).
    browser_tokens: OnceLock<Option<AhoCorasick>>,
    /// [`NEEDLES`](word_roles::NEEDLES), the crawler names and other bots' words, and the gates' words.
    words: DoubleArrayAhoCorasick<u64>,
    /// The gated patterns whose gate is an ending, and those without a gate, as bits.
    ends_with: Vec<(&'static [&'static str], u64)>,
    always: u64,
    anchored: Regex,
    /// Compiled when first searched: most are for bots that a word catches first, and all
    /// 27 at once would double the build's time.
    gated: Vec<OnceLock<Option<Regex>>>,
}

impl Matchers {
    fn build() -> Result<Matchers, String> {
        let mut ends_with = Vec::new();
        let mut always = 0;
        for (i, (_, gate)) in GATED.iter().enumerate() {
            match gate {
                // In the automaton's values.
                Gate::Contains(_) => {}
                Gate::EndsWith(endings) => ends_with.push((*endings, 1 << i)),
                Gate::Always => always |= 1 << i,
            }
        }
        let (words, _) = DoubleArrayAhoCorasick::deserialize(WORDS_AUTOMATON)
            .map_err(|e| format!("the crawler names do not read: {e}"))?;
        Ok(Matchers {
            token_finder: packed::Searcher::new(BROWSER_TOKENS),
            browser_tokens: OnceLock::new(),
            words,
            ends_with,
            always,
            anchored: Regex::new(ANCHORED)
                .map_err(|e| format!("the anchored patterns do not compile: {e}"))?,
            gated: GATED.iter().map(|_| OnceLock::new()).collect(),
        })
    }

    /// The browser tokens' automaton; `None` if it does not build.
    fn browser_tokens(&self) -> Option<&AhoCorasick> {
        self.browser_tokens
            .get_or_init(|| {
                AhoCorasick::new(BROWSER_TOKENS)
                    .inspect_err(|error| {
                        tracing::error!(%error, "the browser tokens do not build");
                    })
                    .ok()
            })
            .as_ref()
    }

    /// Whether the lower-cased agent has a browser token (or may have: the tokens' automaton
    /// does not build).
    fn has_browser_token(&self, ua: &[u8]) -> bool {
        match &self.token_finder {
            Some(finder) => finder.find(ua).is_some(),
            None => self
                .browser_tokens()
                .is_none_or(|tokens| tokens.is_match(ua)),
        }
    }

    /// Whether a lower-cased agent without browser tokens matches either list.
    fn matches(&self, ua: &[u8]) -> bool {
        // The gated patterns to search, as bits.
        let mut open = self.always;
        for found in self.words.find_overlapping_iter(ua) {
            let value = found.value();
            if value & word_roles::BOT != 0 {
                return true;
            }
            if let Some(needle) = word_roles::needle_of(value)
                && needle_fires(needle, ua, found.start())
            {
                return true;
            }
            open |= word_roles::gates_of(value);
        }
        if begins_with_prefix(ua) || self.anchored.is_match(ua) {
            return true;
        }
        for (endings, bit) in &self.ends_with {
            if endings.iter().any(|ending| ua.ends_with(ending.as_bytes())) {
                open |= bit;
            }
        }
        self.gated
            .iter()
            .zip(GATED)
            .enumerate()
            .any(|(i, (regex, (pattern, _)))| {
                open & (1 << i) != 0
                    && regex
                        .get_or_init(|| {
                            Regex::new(pattern)
                                .inspect_err(|error| {
                                    tracing::error!(%error, pattern, "a crawler pattern does not compile");
                                })
                                .ok()
                        })
                        .as_ref()
                        // As without the lists: rather count nothing than everything.
                        .is_none_or(|regex| regex.is_match(ua))
            })
    }
}

/// Built once, by [`prepare`] during the bootstrap's init (beside opening the DynamoDB
/// connection, so the first click does not pay for it: docs/performance.md, "First request
/// with TLS"), else by the first agent checked.
fn matchers() -> Option<&'static Matchers> {
    static MATCHERS: OnceLock<Option<Matchers>> = OnceLock::new();
    MATCHERS
        .get_or_init(|| match Matchers::build() {
            Ok(matchers) => Some(matchers),
            Err(error) => {
                tracing::error!(%error, "the crawler filter does not build");
                None
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
    // Without the list nothing can be told apart: count nothing rather than everything.
    let Some(m) = matchers() else {
        return true;
    };
    let mut buffer = [0; MAX_UA_BYTES];
    let unicode;
    let lower: &[u8] = if user_agent.is_ascii() {
        let lower = &mut buffer[..user_agent.len()];
        lower.copy_from_slice(user_agent.as_bytes());
        lower.make_ascii_lowercase();
        lower
    } else {
        unicode = user_agent.to_lowercase();
        unicode.as_bytes()
    };
    if m.has_browser_token(lower) {
        // As without the lists: rather count nothing than everything.
        let Some(tokens) = m.browser_tokens() else {
            return true;
        };
        let cut = tokens.replace_all_bytes(lower, &[" "; BROWSER_TOKENS.len()]);
        m.matches(&cut)
    } else {
        m.matches(lower)
    }
}

/// Whether the lower-cased agent begins with one of [`PREFIXES`] (sorted): a binary search
/// finds those with the agent's first byte, a handful at most.
fn begins_with_prefix(ua: &[u8]) -> bool {
    let Some(&first) = ua.first() else {
        return false;
    };
    let from = PREFIXES.partition_point(|word| word.as_bytes().first() < Some(&first));
    PREFIXES[from..]
        .iter()
        .take_while(|word| word.as_bytes().first() == Some(&first))
        .any(|word| ua.starts_with(word.as_bytes()))
}

/// isbot's patterns with look-around, as code: whether the [`NEEDLES`](word_roles::NEEDLES) word `needle` found at
/// `at` of the lower-cased `ua` is a bot's by its neighbours.
fn needle_fires(needle: usize, ua: &[u8], at: usize) -> bool {
    let before = |s: &str| ua[..at].ends_with(s.as_bytes());
    let after = |i: usize, s: &str| {
        ua.get(i..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    };
    // `\b` in JavaScript: the next character is no ASCII letter, digit or `_`.
    let ends_word = |i: usize| ua.get(i).is_none_or(|c| !c.is_ascii_alphanumeric());
    match needle {
        // `(?:^|[^g])news(?!sapphire)`
        0 => !before("g") && !after(at + 4, "sapphire"),
        // `(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))`
        1 => {
            !before(" channel/")
                && !before("google/")
                && !["wv", "app", "/google", " pixel"]
                    .iter()
                    .any(|s| after(at + 6, s))
        }
        // `(?<! cu)bots?(?:\b|_)`
        2 => !before(" cu") && (ends_word(at + 3) || (after(at + 3, "s") && ends_word(at + 4))),
        // `(?<!cam)scan`
        3 => !before("cam"),
        // `(?<!lib)http`
        _ => !before("lib"),
    }
}

/// Builds the filter now (the bootstrap's init and the bench call it).
pub fn prepare() {
    let _ = matchers();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// isbot's look-around patterns over a whole agent, as the filter checks them.
    fn lookaround(ua: &str) -> bool {
        NEEDLES.iter().enumerate().any(|(needle, word)| {
            ua.match_indices(word)
                .any(|(at, _)| needle_fires(needle, ua.as_bytes(), at))
        })
    }

    /// The filter as it was before `build.rs` sorted the patterns: the lists applied one after
    /// the other, each as published. The filter must answer exactly as this does.
    struct Reference {
        browser_tokens: AhoCorasick,
        names: AhoCorasick,
        patterns: regex::Regex,
        generic: Regex,
    }

    impl Reference {
        fn new() -> Reference {
            Reference {
                browser_tokens: AhoCorasick::new(BROWSER_TOKENS).unwrap(),
                names: AhoCorasick::new(NAMES.lines()).unwrap(),
                patterns: regex::Regex::new(PATTERN).unwrap(),
                generic: regex::bytes::RegexBuilder::new(ISBOT)
                    .unicode(false)
                    .build()
                    .unwrap(),
            }
        }

        fn is_bot(&self, user_agent: &str) -> bool {
            if user_agent.trim().is_empty() || user_agent.len() > MAX_UA_BYTES {
                return true;
            }
            let mut lower = user_agent.to_lowercase();
            if self.browser_tokens.is_match(&lower) {
                lower = self
                    .browser_tokens
                    .replace_all(&lower, &[" "; BROWSER_TOKENS.len()]);
            }
            self.names.is_match(&lower)
                || self.generic.is_match(lower.as_bytes())
                || Self::lookaround(&lower)
                || self.patterns.is_match(&lower)
        }

        /// The look-around patterns as they were checked before: each word's occurrences
        /// by `match_indices`, its neighbours read around them.
        fn lookaround(ua: &str) -> bool {
            let at = |needle: &'static str| ua.match_indices(needle).map(|(i, _)| i);
            let before = |i: usize, s: &str| ua[..i].ends_with(s);
            let after = |i: usize, s: &str| ua[i..].starts_with(s);
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
                    !before(i, " cu")
                        && (ends_word(i + 3) || (after(i + 3, "s") && ends_word(i + 4)))
                })
                || at("scan").any(|i| !before(i, "cam"))
                || at("http").any(|i| !before(i, "lib"))
        }
    }

    /// Every agent of the shipped lists and the test sets, and variants of each: with browser
    /// tokens and the look-around patterns' neighbours put in, cut short, upper case.
    fn agents_and_variants() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |path: &str| std::fs::read_to_string(dir.join(path)).unwrap();
        let crawlers: Vec<serde_json::Value> =
            serde_json::from_str(&read("data/crawler-user-agents.json")).unwrap();
        let mut agents: Vec<String> = crawlers
            .iter()
            .flat_map(|c| c["instances"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect();
        for list in [
            "data/top-user-agents.json",
            "tests/data/matomo-bots.json",
            "tests/data/matomo-browsers.json",
        ] {
            agents.extend(serde_json::from_str::<Vec<String>>(&read(list)).unwrap());
        }
        let extras = [
            "google/",
            " channel/",
            "cu",
            "cam",
            "lib",
            "g",
            "sapphire",
            "wv",
            "s",
            "_",
            "bot",
            "news",
            "http",
            "scan",
            "google",
            "é",
            "İ",
            "\u{212A}",
            ";",
            " ",
            "-",
            "/",
            "008/",
            ".com",
            ".ai",
            "agent",
            "Chromeframe",
            "FLUID/",
            "ssl labs",
            "@x-y.",
            "x",
            "app",
            "/google",
            " pixel",
        ];
        // A fixed xorshift: the same variants every run.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut pick = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap()
        };
        let insert = |text: &str, at: usize, what: &str| {
            let mut chars: Vec<char> = text.chars().collect();
            let at = at % (chars.len() + 1);
            chars.splice(at..at, what.chars());
            chars.into_iter().collect::<String>()
        };
        let mut variants = Vec::new();
        for agent in &agents {
            let token = BROWSER_TOKENS[pick(BROWSER_TOKENS.len())];
            let extra = extras[pick(extras.len())];
            variants.push(insert(agent, pick(1 << 16), token));
            variants.push(insert(agent, pick(1 << 16), extra));
            let with_extra = insert(agent, pick(1 << 16), extra);
            variants.push(insert(&with_extra, pick(1 << 16), token));
            variants.push(format!("{token}{extra}{agent}"));
            let chars: Vec<char> = agent.chars().collect();
            let cut = pick(chars.len() + 1);
            variants.push(chars[..cut].iter().collect());
            variants.push(chars[cut..].iter().collect());
            variants.push(agent.to_uppercase());
        }
        // Alone, and in a browser's agent (alone, many are bots for being short).
        let browser = |inside: &str| {
            format!(
                "Mozilla/5.0 (Windows NT 10.0; {inside}) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36"
            )
        };
        for word in BROWSER_TOKENS.iter().chain(&NEEDLES) {
            for before in extras {
                for after in extras {
                    for inside in [
                        format!("{before}{word}{after}"),
                        format!("{before}{word}s{after}x"),
                        format!("{before}{word}{after}{word}{before}"),
                    ] {
                        variants.push(browser(&inside));
                        variants.push(inside);
                    }
                }
            }
        }
        agents.extend(variants);
        agents
    }

    #[test]
    fn the_filter_answers_as_the_lists_applied_one_after_the_other() {
        let reference = Reference::new();
        let agents = agents_and_variants();
        assert!(agents.len() > 40_000);
        let differ: Vec<&String> = agents
            .iter()
            .filter(|ua| is_bot(ua) != reference.is_bot(ua))
            .collect();
        assert!(differ.is_empty(), "{} differ: {differ:#?}", differ.len());
    }

    #[test]
    fn an_agent_beginning_with_a_prefix_is_a_bot_and_one_merely_containing_it_is_not() {
        for word in PREFIXES {
            assert!(begins_with_prefix(word.as_bytes()), "{word}");
            let inside = format!("mozilla/5.0 ({word}");
            assert!(!begins_with_prefix(inside.as_bytes()), "{word}");
        }
        assert!(begins_with_prefix(b"python-requests/2.32"));
        assert!(begins_with_prefix(b"clamav/1.4"));
        assert!(!begins_with_prefix(b"clamavx"));
        assert!(!begins_with_prefix(b""));
    }

    #[test]
    fn every_gated_pattern_compiles() {
        for (pattern, _) in GATED {
            assert!(Regex::new(pattern).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn every_pattern_is_sorted_in() {
        // The look-around patterns and the lists' others, as `build.rs` wrote them.
        let isbot = ISBOT.split("|(?:").count() + ISBOT_LOOKAROUND.lines().count();
        assert!(isbot > 200, "{isbot}");
        assert!(
            WORDS.lines().count() > 1_000,
            "the names are most of the words"
        );
        assert!(!ANCHORED.is_empty());
        assert!(PREFIXES.len() > 50, "most anchored patterns are words");
        assert!(PREFIXES.is_sorted() && PREFIXES.iter().all(|w| !w.is_empty()));
        assert!(GATED.len() > 10);
        for (pattern, gate) in GATED {
            match gate {
                Gate::Contains(words) | Gate::EndsWith(words) => {
                    assert!(
                        !words.is_empty() && words.iter().all(|w| !w.is_empty()),
                        "{pattern}"
                    )
                }
                Gate::Always => {}
            }
        }
    }

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
