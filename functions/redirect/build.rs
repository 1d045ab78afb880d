//! Splits the shipped crawler list (npm `crawler-user-agents`) in two: the plain names (nearly all of its 1 500 entries)
//! and the few real patterns. Also takes npm `isbot`'s generic patterns (bot, crawl, spider,
//! fetch, preview, URLs and e-mail addresses, HTTP libraries, tools). The binary carries what
//! `filter.rs` holds (about 30 KB), not the list's 540 KB of examples:
//! - every pattern of either list that is only a word or a few words (`[cc]urebot`,
//!   `ahrefs(bot|siteaudit)`) as those words, together with the plain names, for one
//!   Aho-Corasick automaton; a name that contains another word of the automaton is left out,
//!   since the other finds it anyway;
//! - the patterns anchored at the start that are only words (`^python`, `^clamav[ /]`) as
//!   those words, sorted, for a look-up by the agent's first byte;
//! - the other patterns anchored at the start (`^[^ ]{50,}$`) in one alternation, which the
//!   regex crate searches at the start only (all 89 cost 0.3 ms of init to parse and
//!   compile, the 9 left 0.1 ms);
//! - every other pattern alone, each with the words one of which any match of it contains
//!   (`agent\b`: `agent`) or ends with (`ssl labs$`): the automaton finds those words, and
//!   only a pattern whose word it found is searched for.
//!
//! Both lists are also written as they were before they were split (`crawler_names.txt`,
//! `crawler_pattern.txt`, `isbot_pattern.txt`): the tests compare the filter with them.

use std::collections::BTreeMap;
use std::fmt::Write;

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Hir, Look, LookSet};

#[allow(dead_code, reason = "the build packs the values; bots.rs unpacks them")]
#[path = "src/word_roles.rs"]
mod word_roles;

fn main() {
    let list = "data/crawler-user-agents.json";
    println!("cargo:rerun-if-changed={list}");
    let text = std::fs::read_to_string(list).unwrap_or_else(|e| panic!("{list}: {e}"));
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{list}: {e}"));
    let mut names = String::new();
    let mut alternation = String::new();
    let mut split = Split::default();
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
                let name = name.to_lowercase();
                names.push_str(&name);
                names.push('\n');
                split.words.push(name);
            }
            _ => {
                if !alternation.is_empty() {
                    alternation.push('|');
                }
                let pattern = lowercase_outside_escapes(pattern);
                write!(alternation, "(?:{pattern})").unwrap_or_default();
                split.add(&pattern, true);
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
    isbot(&out, &mut split);
    split.write(&out);
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
fn isbot(out: &std::path::Path, split: &mut Split) {
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
        split.add(&pattern, false);
    }
    std::fs::write(out.join("isbot_pattern.txt"), alternation)
        .unwrap_or_else(|e| panic!("writing isbot's pattern: {e}"));
    std::fs::write(out.join("isbot_lookaround.txt"), lookaround)
        .unwrap_or_else(|e| panic!("writing isbot's look-around patterns: {e}"));
}

/// The lists' patterns sorted for the filter (see the top of this file).
#[derive(Default)]
struct Split {
    /// Plain names and the words of patterns that are only words, lower case.
    words: Vec<String>,
    /// The words of the patterns anchored at the start that are only words, lower case.
    prefixes: Vec<String>,
    /// The other patterns anchored at the start, ready for one alternation.
    anchored: Vec<String>,
    /// The other patterns, each with its gate.
    gated: Vec<(String, Gate)>,
}

/// What must be in an agent for a pattern to match it.
enum Gate {
    /// One of these words, anywhere.
    Contains(Vec<String>),
    /// One of these words at the very end.
    EndsWith(Vec<String>),
    /// Nothing known: the pattern is searched for in every agent.
    Always,
}

impl Split {
    /// Sorts in one pattern, lower case; isbot's are read without Unicode classes, as the
    /// regex that searches them reads them (`(?-u:...)`), the crawler list's with.
    fn add(&mut self, pattern: &str, unicode: bool) {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(unicode)
            .utf8(unicode)
            .build()
            .parse(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let pattern = if unicode {
            format!("(?:{pattern})")
        } else {
            format!("(?-u:{pattern})")
        };
        let properties = hir.properties();
        // Without look-around (`^`, `$`, `\b`) an exact, finite set of words matches where
        // one of the words is.
        if properties.look_set().is_empty()
            && let Some(words) = words(&hir, ExtractKind::Prefix).filter(|(_, exact)| *exact)
        {
            self.words.extend(words.0);
        } else if properties.look_set_prefix().contains(Look::Start)
            && properties.look_set() == LookSet::singleton(Look::Start)
            && let Some(words) = words(&hir, ExtractKind::Prefix).filter(|(_, exact)| *exact)
        {
            // `^` and then exactly these words.
            self.prefixes.extend(words.0);
        } else if properties.look_set_prefix().contains(Look::Start) {
            self.anchored.push(pattern);
        } else {
            let gate = if properties.look_set_suffix().contains(Look::End)
                && let Some((suffixes, _)) = words(&hir, ExtractKind::Suffix)
            {
                Gate::EndsWith(suffixes)
            } else {
                // The longer the shortest word, the rarer the gate opens.
                let shortest = |w: &Option<(Vec<String>, bool)>| {
                    w.as_ref()
                        .and_then(|(w, _)| w.iter().map(String::len).min())
                        .unwrap_or(0)
                };
                let prefixes = words(&hir, ExtractKind::Prefix);
                let suffixes = words(&hir, ExtractKind::Suffix);
                match if shortest(&suffixes) > shortest(&prefixes) {
                    suffixes
                } else {
                    prefixes
                } {
                    Some((words, _)) => Gate::Contains(words),
                    None => Gate::Always,
                }
            };
            self.gated.push((pattern, gate));
        }
    }

    /// Writes the filter for `bots.rs`: `filter.rs` (the prefixes, the anchored and gated patterns) and
    /// `words.daac`, the automaton of every word, serialized (reading it at init costs a
    /// twentieth of building it there: docs/performance.md, "First request with TLS").
    fn write(self, out: &std::path::Path) {
        let (rust, words) = self.rust();
        std::fs::write(out.join("filter.rs"), rust)
            .unwrap_or_else(|e| panic!("writing the filter: {e}"));
        std::fs::write(out.join("words.daac"), words)
            .unwrap_or_else(|e| panic!("writing the words' automaton: {e}"));
    }

    /// The Rust source of `filter.rs` and the serialized automaton.
    fn rust(mut self) -> (String, Vec<u8>) {
        self.words.sort();
        self.words.dedup();
        // Sorted, for `bots.rs`'s look-up; a word that begins with another is left out.
        self.prefixes.sort();
        self.prefixes.dedup();
        let all = self.prefixes.clone();
        self.prefixes.retain(|word| {
            !all.iter()
                .any(|other| other != word && word.starts_with(other.as_str()))
        });
        assert!(
            self.prefixes.iter().all(|word| !word.is_empty()),
            "an empty prefix would take every agent for a bot"
        );
        assert!(
            !self.anchored.is_empty(),
            "an empty alternation would take every agent for a bot"
        );
        let all = self.words.clone();
        self.words.retain(|word| {
            !all.iter()
                .any(|other| other != word && word.contains(other.as_str()))
        });
        // The gates are bits of the automaton's values.
        assert!(
            self.gated.len() <= word_roles::MAX_GATES,
            "more gated patterns than the automaton's values have bits for"
        );
        let mut roles: BTreeMap<&str, u64> = BTreeMap::new();
        for (i, needle) in word_roles::NEEDLES.iter().enumerate() {
            *roles.entry(needle).or_default() |= word_roles::needle(i);
        }
        for word in &self.words {
            *roles.entry(word).or_default() |= word_roles::BOT;
        }
        for (i, (_, gate)) in self.gated.iter().enumerate() {
            if let Gate::Contains(words) = gate {
                for word in words {
                    *roles.entry(word).or_default() |= word_roles::gate(i);
                }
            }
        }
        let automaton = daachorse::DoubleArrayAhoCorasick::<u64>::with_values(roles)
            .unwrap_or_else(|e| panic!("the words' automaton does not build: {e}"));
        let mut rust = String::from("// Written by build.rs from data/.\n");
        // One string, a word a line, for the tests.
        writeln!(
            rust,
            "#[cfg(test)]\nconst WORDS: &str = {:?};",
            self.words.join("\n")
        )
        .unwrap_or_default();
        writeln!(rust, "const PREFIXES: &[&str] = &{:?};", self.prefixes).unwrap_or_default();
        writeln!(
            rust,
            "const ANCHORED: &str = {:?};",
            self.anchored.join("|")
        )
        .unwrap_or_default();
        rust.push_str("const GATED: &[(&str, Gate)] = &[\n");
        for (pattern, gate) in &self.gated {
            let gate = match gate {
                Gate::Contains(words) => format!("Gate::Contains(&{words:?})"),
                Gate::EndsWith(words) => format!("Gate::EndsWith(&{words:?})"),
                Gate::Always => "Gate::Always".to_owned(),
            };
            writeln!(rust, "    ({pattern:?}, {gate}),").unwrap_or_default();
        }
        rust.push_str("];\n");
        (rust, automaton.serialize())
    }
}

/// The words one of which begins (`Prefix`) or ends (`Suffix`) every match of a pattern, and
/// whether the pattern is exactly these words; `None` when no short list of words is known.
fn words(hir: &Hir, kind: ExtractKind) -> Option<(Vec<String>, bool)> {
    let mut extractor = Extractor::new();
    extractor.kind(kind);
    let seq = extractor.extract(hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    let words = literals
        .iter()
        .map(|l| String::from_utf8(l.as_bytes().to_vec()).ok())
        .collect::<Option<Vec<String>>>()?;
    if words.iter().any(|w| w.contains('\n')) {
        return None;
    }
    Some((words, literals.iter().all(|l| l.is_exact())))
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
