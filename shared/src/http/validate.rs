use crate::domain::text::{forbidden_char, forbidden_char_multiline, forbidden_message};
use crate::domain::{Cents, SepaText};
use crate::error::{Error, FieldError};

/// Collects every field error of a request, so the client learns all of them at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value, or records the field's error message.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }

    /// A trimmed single-line text of 1..=max characters, without control or invisible
    /// characters (see [`crate::domain::text`]) anywhere, around it included: a form feed
    /// or line break at its end is refused, not trimmed away, as the documented pattern
    /// says (`openapi::text_pattern`).
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        let r = match forbidden_char(value) {
            Some(c) => Err(forbidden_message(c)),
            None => bounded(value.trim(), max).map(str::to_string),
        };
        self.check(field, r)
    }

    /// An optional text: absent or blank is `None`, otherwise as [`Validator::text`].
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        match value {
            None => None,
            Some(v) if v.trim().is_empty() && forbidden_char(v).is_none() => None,
            Some(v) => self.text(field, v, max),
        }
    }

    /// An optional free text that may span lines (a reason, a note): line breaks become
    /// `\n`; otherwise as [`Validator::optional_text`], so a forbidden character is refused
    /// around the text too, as the documented pattern says
    /// (`openapi::optional_multiline_text_pattern`).
    pub fn optional_multiline_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let normalised = value?.replace("\r\n", "\n").replace('\r', "\n");
        let r = match forbidden_char_multiline(&normalised) {
            Some(c) => Err(forbidden_message(c)),
            None if normalised.trim().is_empty() => return None,
            None => bounded(normalised.trim(), max).map(str::to_string),
        };
        self.check(field, r)
    }

    /// A text for a SEPA payment file (an account holder): the DK character set, 1..=max
    /// characters (see [`SepaText`]).
    pub fn sepa_text(&mut self, field: &str, value: &str, max: usize) -> Option<SepaText> {
        self.check(field, SepaText::parse(value, max))
    }

    /// An amount of money entered by a user: 0 to [`Cents::MAX_INPUT`].
    pub fn cents(&mut self, field: &str, value: i64) -> Option<Cents> {
        self.check(field, Cents::parse_input(value))
    }

    pub fn require(&mut self, field: &str, ok: bool, message: &str) {
        if !ok {
            self.errors.push(FieldError::new(field, message));
        }
    }

    /// Fails with every collected error, or returns `Ok` if there were none.
    pub fn finish(self) -> Result<(), Error> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.errors))
        }
    }
}

fn bounded(text: &str, max: usize) -> Result<&str, String> {
    if text.is_empty() {
        Err("darf nicht leer sein".to_string())
    } else if text.chars().count() > max {
        Err(format!("darf höchstens {max} Zeichen lang sein"))
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(v: Validator) -> Vec<FieldError> {
        match v.finish() {
            Err(Error::Validation(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_text_field_refuses_control_characters_by_name() {
        let mut v = Validator::new();
        assert_eq!(
            v.text("company", " Bäckerei Müller ", 200).as_deref(),
            Some("Bäckerei Müller")
        );
        assert_eq!(v.text("company", "Bäckerei\u{0}Müller", 200), None);
        assert_eq!(v.optional_text("city", Some("Köln\u{1b}[31m"), 100), None);
        let e = errors(v);
        assert_eq!(
            e.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["company", "city"]
        );
        assert!(e[0].message.contains("U+0000"), "{}", e[0].message);
        assert!(e[1].message.contains("U+001B"), "{}", e[1].message);
    }

    #[test]
    fn free_texts_keep_line_breaks() {
        let mut v = Validator::new();
        assert_eq!(
            v.optional_multiline_text("reason", Some(" Erstens\r\nZweitens \n"), 100)
                .as_deref(),
            Some("Erstens\nZweitens")
        );
        assert_eq!(v.optional_multiline_text("reason", Some("  "), 100), None);
        assert_eq!(v.optional_multiline_text("reason", None, 100), None);
        assert!(v.finish().is_ok());
        let mut v = Validator::new();
        assert_eq!(
            v.optional_multiline_text("reason", Some("a\u{0}b"), 100),
            None
        );
        assert_eq!(errors(v)[0].field, "reason");
        let mut v = Validator::new();
        assert_eq!(
            v.optional_multiline_text("reason", Some("Grund\u{2028}"), 100),
            None
        );
        assert_eq!(
            v.optional_multiline_text("reason", Some("\u{c}"), 100),
            None
        );
        assert_eq!(errors(v).len(), 2, "refused, not trimmed away");
    }

    #[test]
    fn money_and_sepa_texts_name_their_field() {
        let mut v = Validator::new();
        assert_eq!(v.cents("monthly_fee_cents", 4900), Some(Cents(4900)));
        assert_eq!(v.cents("monthly_fee_cents", i64::MAX), None);
        assert!(
            v.sepa_text("account_holder", "Bäckerei Müller GmbH", 70)
                .is_some()
        );
        assert!(v.sepa_text("account_holder", "Café Crème", 70).is_none());
        let e = errors(v);
        assert_eq!(e[0].field, "monthly_fee_cents");
        assert_eq!(e[1].field, "account_holder");
    }
}
