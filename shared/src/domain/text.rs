//! What a stored text may hold: no control characters and nothing that is invisible or
//! changes how the text around it is shown. Such characters end up in e-mails, invoices,
//! payment files and CSV exports, where they break formats or hide what a name really says.

/// The first character a single-line text must not contain.
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars().find(|&c| is_forbidden(c))
}

/// As [`forbidden_char`], but line breaks and tabs are allowed (free texts such as reasons).
pub fn forbidden_char_multiline(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| !matches!(c, '\n' | '\t') && is_forbidden(c))
}

/// The field message for a forbidden character, naming its code point (it may be invisible).
pub fn forbidden_message(c: char) -> String {
    format!(
        "darf keine Steuerzeichen oder unsichtbaren Zeichen enthalten (gefunden: U+{:04X})",
        u32::from(c)
    )
}

fn is_forbidden(c: char) -> bool {
    c.is_control() // Unicode Cc: C0, DEL and C1, NUL included
        || matches!(
            c,
            // line and paragraph separators (Zl, Zp)
            '\u{2028}' | '\u{2029}'
            // bidirectional controls ("Trojan Source")
            | '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            // invisible: soft hyphen, zero-width space, word joiner and invisible operators,
            // byte order mark
            | '\u{00AD}' | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
            // interlinear annotation controls and the replacement placeholders
            | '\u{FFF9}'..='\u{FFFB}'
            // noncharacters
            | '\u{FDD0}'..='\u{FDEF}'
        )
        || (u32::from(c) & 0xFFFE) == 0xFFFE // U+xxFFFE and U+xxFFFF are noncharacters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for ok in [
            "Bäckerei Müller GmbH & Co. KG",
            "Łódź Café",
            "Zoë 👩‍🍳",
            "O'Neill",
        ] {
            assert_eq!(forbidden_char(ok), None, "{ok}");
        }
    }

    #[test]
    fn control_and_invisible_characters_are_found() {
        for (text, c) in [
            ("Anna\u{0}Müller", '\u{0}'),
            ("Anna\nMüller", '\n'),
            ("Anna\u{7F}", '\u{7F}'),
            ("Anna\u{85}", '\u{85}'),
            ("evil\u{202E}gpj.exe", '\u{202E}'),
            ("Müll\u{200B}er", '\u{200B}'),
            ("\u{FEFF}Anna", '\u{FEFF}'),
            ("Anna\u{FFFF}", '\u{FFFF}'),
        ] {
            assert_eq!(forbidden_char(text), Some(c), "{text:?}");
        }
        assert_eq!(
            forbidden_message('\u{0}'),
            "darf keine Steuerzeichen oder unsichtbaren Zeichen enthalten (gefunden: U+0000)"
        );
    }

    #[test]
    fn free_texts_may_have_line_breaks_but_nothing_else() {
        assert_eq!(forbidden_char_multiline("Zeile 1\nZeile 2\tmit Tab"), None);
        assert_eq!(forbidden_char_multiline("Zeile\u{0}"), Some('\u{0}'));
        assert_eq!(forbidden_char_multiline("a\u{2028}b"), Some('\u{2028}'));
    }
}
