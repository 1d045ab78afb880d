//! Text that goes into a SEPA payment file (pain.008), such as the debtor's name.
//!
//! The schema (pain.008.001.08, `Max70Text`) allows any 1 to 70 characters, but the EPC
//! implementation guidelines oblige banks to accept only the Latin set
//! `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space, and may replace or reject anything else.
//! For German banks the Deutsche Kreditwirtschaft (DFÜ-Abkommen, Anlage 3, "Zeichensatz")
//! additionally commits to the former DTAUS characters `Ä Ö Ü ä ö ü ß & * $ %`. Our
//! direct debits are collected through a German bank, so we accept exactly that DK set:
//! a name like "Bäckerei Müller GmbH & Co. KG" passes unchanged, and nothing is silently
//! replaced by a bank. Other accented letters (é, ł) are refused with a message naming them,
//! rather than transliterated behind the user's back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest name a SEPA file carries (`Max70Text`).
pub const SEPA_NAME_MAX_CHARS: usize = 70;

/// A trimmed text of 1 to `max` characters from the DK's SEPA character set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SepaText(String);

/// The characters EPC's basic Latin set and the DK's additions allow, besides ASCII letters
/// and digits.
const SEPA_PUNCTUATION: &str = "/-?:().,'+ ";
const DK_ADDITIONS: &str = "ÄÖÜäöüß&*$%";

fn is_sepa_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || SEPA_PUNCTUATION.contains(c) || DK_ADDITIONS.contains(c)
}

/// Umlauts typed as a vowel and a combining diaeresis (as some systems send them) become the
/// single characters the DK set has.
fn compose_umlauts(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c == '\u{308}' {
            let composed = match out.chars().last() {
                Some('A') => Some('Ä'),
                Some('O') => Some('Ö'),
                Some('U') => Some('Ü'),
                Some('a') => Some('ä'),
                Some('o') => Some('ö'),
                Some('u') => Some('ü'),
                _ => None,
            };
            if let Some(umlaut) = composed {
                out.pop();
                out.push(umlaut);
                continue;
            }
        }
        out.push(c);
    }
    out
}

impl SepaText {
    pub fn parse(raw: &str, max: usize) -> Result<Self, String> {
        let text = compose_umlauts(raw.trim());
        if text.is_empty() {
            return Err("darf nicht leer sein".to_string());
        }
        if let Some(c) = super::text::forbidden_char(&text) {
            return Err(super::text::forbidden_message(c));
        }
        let mut refused: Vec<char> = text.chars().filter(|&c| !is_sepa_char(c)).collect();
        refused.dedup();
        if !refused.is_empty() {
            let shown: Vec<String> = refused.iter().take(5).map(char::to_string).collect();
            return Err(format!(
                "enthält Zeichen, die im SEPA-Zahlungsverkehr nicht erlaubt sind: {} (erlaubt sind Buchstaben ohne Akzent, Umlaute, ß, Ziffern, Leerzeichen und / - ? : ( ) . , ' + & * $ %)",
                shown.join(" ")
            ));
        }
        if text.chars().count() > max {
            return Err(format!("darf höchstens {max} Zeichen lang sein"));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SepaText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_names_pass_unchanged() {
        for name in [
            "Bäckerei Müller GmbH & Co. KG",
            "Straßenbau Öztürk",
            "Dr. A. O'Neill (Praxis) 50% + 1/2",
        ] {
            assert_eq!(
                SepaText::parse(name, SEPA_NAME_MAX_CHARS).map(SepaText::into_string),
                Ok(name.to_string())
            );
        }
    }

    #[test]
    fn decomposed_umlauts_are_composed() {
        assert_eq!(
            SepaText::parse("Mu\u{308}ller", 70).map(SepaText::into_string),
            Ok("Müller".to_string())
        );
    }

    #[test]
    fn characters_outside_the_set_are_named() {
        let e = SepaText::parse("Café Łódź", 70).unwrap_err();
        assert!(e.contains("é Ł ó ź"), "{e}");
        assert!(SepaText::parse("Anna_Müller", 70).is_err());
        assert!(SepaText::parse("a@b", 70).is_err());
    }

    #[test]
    fn control_characters_blank_and_length_are_refused() {
        assert!(
            SepaText::parse("Anna\u{0}Müller", 70)
                .unwrap_err()
                .contains("U+0000")
        );
        assert!(SepaText::parse("   ", 70).is_err());
        assert!(SepaText::parse(&"a".repeat(70), 70).is_ok());
        assert!(SepaText::parse(&"a".repeat(71), 70).is_err());
    }
}
