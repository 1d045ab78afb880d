//! Crawlers and link previews are not clicks. The patterns come from the published
//! `crawler-user-agents` list shipped in `data/` (see its README), all matched at once by one
//! automaton over the lower-cased user agent.

use std::sync::OnceLock;

use regex::Regex;

const PATTERN: &str = include_str!(concat!(env!("OUT_DIR"), "/crawler_pattern.txt"));

/// Longer user agents are not browsers (and would only cost matching time).
const MAX_UA_BYTES: usize = 1024;

/// Built on the first click rather than at cold start: a start that only answers unknown
/// codes, HEADs or crawlers never pays for it, and init stays the platform's smallest.
fn automaton() -> Option<&'static Regex> {
    static AUTOMATON: OnceLock<Option<Regex>> = OnceLock::new();
    AUTOMATON
        .get_or_init(|| match Regex::new(PATTERN) {
            Ok(regex) => Some(regex),
            Err(e) => {
                tracing::error!(error = %e, "the crawler list does not compile");
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
    match automaton() {
        Some(regex) => regex.is_match(&user_agent.to_lowercase()),
        // Without the list nothing can be told apart: count nothing rather than everything.
        None => true,
    }
}

/// Builds the automaton now (the bench and warm-up call it).
pub fn prepare() {
    let _ = automaton();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_compiles() {
        assert!(automaton().is_some());
    }

    #[test]
    fn empty_and_oversized_agents_are_not_counted() {
        assert!(is_bot(""));
        assert!(is_bot("   "));
        assert!(is_bot(&"Mozilla/5.0 ".repeat(200)));
    }
}
