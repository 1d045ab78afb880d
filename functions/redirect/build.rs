//! Compiles the shipped crawler list into one lower-case alternation, so the binary carries
//! the patterns (about 30 KB) and not the list's 540 KB of examples.

use std::fmt::Write;

fn main() {
    let list = "data/crawler-user-agents.json";
    println!("cargo:rerun-if-changed={list}");
    let text = std::fs::read_to_string(list).unwrap_or_else(|e| panic!("{list}: {e}"));
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{list}: {e}"));
    let mut alternation = String::new();
    for entry in &entries {
        let Some(pattern) = entry["pattern"].as_str() else {
            panic!("{list}: an entry without a pattern");
        };
        if !alternation.is_empty() {
            alternation.push('|');
        }
        write!(alternation, "(?:{})", lowercase_outside_escapes(pattern)).unwrap_or_default();
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    std::fs::write(out.join("crawler_pattern.txt"), alternation)
        .unwrap_or_else(|e| panic!("writing the pattern: {e}"));
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
