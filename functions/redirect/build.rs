//! Splits the shipped crawler list (npm `crawler-user-agents`) in two: the plain names (nearly all of its 1 500 entries),
//! lower-cased one per line for an Aho-Corasick automaton, and the few real patterns as one
//! lower-case alternation for a regex. The binary carries these (about 30 KB), not the
//! list's 540 KB of examples. Also joins npm `isbot`'s generic patterns (bot, crawl, spider,
//! fetch, preview, URLs and e-mail addresses, HTTP libraries, tools) into one alternation.

use std::fmt::Write;

fn main() {
    let list = "data/crawler-user-agents.json";
    println!("cargo:rerun-if-changed={list}");
    let text = std::fs::read_to_string(list).unwrap_or_else(|e| panic!("{list}: {e}"));
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{list}: {e}"));
    let mut names = String::new();
    let mut alternation = String::new();
    let mut refined = 0;
    for entry in &entries {
        let Some(pattern) = entry["pattern"].as_str() else {
            panic!("{list}: an entry without a pattern");
        };
        let pattern = match REFINED.iter().find(|(original, _)| *original == pattern) {
            Some((_, None)) => {
                refined += 1;
                continue;
            }
            Some((_, Some(exact))) => {
                refined += 1;
                *exact
            }
            None => pattern,
        };
        match plain_name(pattern) {
            Some(name) if !name.is_empty() && !name.contains('\n') => {
                names.push_str(&name.to_lowercase());
                names.push('\n');
            }
            _ => {
                if !alternation.is_empty() {
                    alternation.push('|');
                }
                write!(alternation, "(?:{})", lowercase_outside_escapes(pattern))
                    .unwrap_or_default();
            }
        }
    }
    // A new version of the list without one of them: look again whether it is still needed.
    assert_eq!(
        refined,
        REFINED.len(),
        "{list}: a refined pattern is no longer in the list"
    );
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    std::fs::write(out.join("crawler_names.txt"), names)
        .unwrap_or_else(|e| panic!("writing the names: {e}"));
    std::fs::write(out.join("crawler_pattern.txt"), alternation)
        .unwrap_or_else(|e| panic!("writing the pattern: {e}"));
    isbot(&out);
}

/// Patterns of `crawler-user-agents` that take real browsers for bots, made exact (`Some`)
/// or left out (`None`).
const REFINED: [(&str, Option<&str>); 2] = [
    // The SEO bot `008/0.83`, not Opera Mini's version `4.4.39008/`.
    ("008\\/", Some("\\b008\\/")),
    // The build number of real Android 15 phones (its example is Instagram's browser on one).
    ("AP3A\\.240617\\.008", None),
];

/// npm `isbot`'s patterns (lower case already, JavaScript syntax) as one alternation for the
/// regex crate. The few with look-around, which the regex crate has not, are left out and
/// written down in `isbot_lookaround.txt`: `bots.rs` checks them by hand, and a test there
/// checks it handles exactly these.
fn isbot(out: &std::path::Path) {
    let list = "data/isbot-patterns.json";
    println!("cargo:rerun-if-changed={list}");
    let text = std::fs::read_to_string(list).unwrap_or_else(|e| panic!("{list}: {e}"));
    let patterns: Vec<String> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{list}: {e}"));
    let mut alternation = String::new();
    let mut lookaround = String::new();
    for pattern in patterns {
        // `(?!;)` after a literal is "then not `;`".
        let pattern = pattern
            .replace("java(?!;)", "java(?:[^;]|$)")
            // JavaScript reads `\d-.` in a class as three characters.
            .replace("\\d-.]", "\\d.-]");
        if pattern.contains("(?<") || pattern.contains("(?!") || pattern.contains("(?=") {
            lookaround.push_str(&pattern);
            lookaround.push('\n');
            continue;
        }
        if !alternation.is_empty() {
            alternation.push('|');
        }
        write!(alternation, "(?:{pattern})").unwrap_or_default();
    }
    std::fs::write(out.join("isbot_pattern.txt"), alternation)
        .unwrap_or_else(|e| panic!("writing isbot's pattern: {e}"));
    std::fs::write(out.join("isbot_lookaround.txt"), lookaround)
        .unwrap_or_else(|e| panic!("writing isbot's look-around patterns: {e}"));
}

/// The text a pattern matches when it is a plain name: no regex syntax but escaped
/// punctuation (`Googlebot\/`). `None` for a real pattern.
fn plain_name(pattern: &str) -> Option<String> {
    let mut name = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) if escaped.is_ascii_punctuation() || escaped == ' ' => {
                    name.push(escaped)
                }
                // `\d`, `\s` and the like are classes.
                _ => return None,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => {
                return None;
            }
            c => name.push(c),
        }
    }
    Some(name)
}

/// User agents are matched in lower case (a case-insensitive automaton takes ten times as
/// long to build); escapes keep their case, since `\S` is not `\s`.
fn lowercase_outside_escapes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut escaped = false;
    for c in pattern.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else {
            escaped = c == '\\';
            out.extend(c.to_lowercase());
        }
    }
    out
}
