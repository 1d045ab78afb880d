//! Crawlers and link previews are not clicks. The patterns come from the published
//! `crawler-user-agents` list shipped in `data/` (see its README): its plain names are found
//! all at once by one Aho-Corasick automaton, its few real patterns by one small regex, both
//! over the lower-cased user agent. (One regex over all 1 500 entries outgrows the lazy DFA's
//! cache and falls back to a slow engine: tens of microseconds per agent.)

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

const NAMES: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_names.txt"));
const PATTERN: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_pattern.txt"));

/// Longer user agents are not browsers (and would only cost matching time).
const MAX_UA_BYTES: usize = 1024;

struct Matchers {
    names: AhoCorasick,
    patterns: Regex,
}

/// Built on the first click rather than at cold start: a start that only answers unknown
/// codes, HEADs or crawlers never pays for it, and init stays the platform's smallest.
fn matchers() -> Option<&'static Matchers> {
    static MATCHERS: OnceLock<Option<Matchers>> = OnceLock::new();
    MATCHERS
        .get_or_init(|| {
            let names = AhoCorasick::new(NAMES.lines());
            let patterns = Regex::new(PATTERN);
            match (names, patterns) {
                (Ok(names), Ok(patterns)) => Some(Matchers { names, patterns }),
                (Err(e), _) => {
                    tracing::error!(error = %e, "the crawler names do not build");
                    None
                }
                (_, Err(e)) => {
                    tracing::error!(error = %e, "the crawler patterns do not compile");
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
            let lower = user_agent.to_lowercase();
            m.names.is_match(&lower) || m.patterns.is_match(&lower)
        }
        // Without the list nothing can be told apart: count nothing rather than everything.
        None => true,
    }
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
    fn empty_and_oversized_agents_are_not_counted() {
        assert!(is_bot(""));
        assert!(is_bot("   "));
        assert!(is_bot(&"Mozilla/5.0 ".repeat(200)));
    }
}
