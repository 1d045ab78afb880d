//! How the domain value types appear in documents: here rather than next to each type, so
//! the types stay free of documentation concerns.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{AccountId, Cents, Email, PartnerId, PlatformId, ProgramId, RecordId};

fn string(format: SchemaFormat, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(format))
        .description(Some(description))
        .into()
}

macro_rules! id_schema {
    ($($ty:ty => $description:literal;)*) => {
        $(
            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    string(SchemaFormat::Custom("uuid".into()), $description)
                }
            }
            impl ToSchema for $ty {}
        )*
    };
}

id_schema! {
    PartnerId => "A partner (merchant), UUIDv7.";
    PlatformId => "A bank customer platform, UUIDv7.";
    AccountId => "An account; a partner's account id is its partner id. UUIDv7.";
    ProgramId => "A partner's referral program, UUIDv7.";
    RecordId => "A record's id, UUIDv7.";
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        string(
            SchemaFormat::KnownFormat(KnownFormat::Email),
            "An e-mail address, in lower case.",
        )
    }
}
impl ToSchema for Email {}

impl PartialSchema for Cents {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some("An amount in euro cents."))
            .into()
    }
}
impl ToSchema for Cents {}

/// The characters [`crate::domain::text`] refuses in a single-line text, as a character
/// class body (ECMA-262 and Python `re` read it alike): controls (Cc), line and paragraph
/// separators, bidirectional controls, invisible characters and the BMP's noncharacters.
const FORBIDDEN: &str = r"\u0000-\u001F\u007F-\u009F\u00AD\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFDD0-\uFDEF\uFEFF\uFFF9-\uFFFB\uFFFE\uFFFF";

/// The pattern of a single-line text as `http::Validator::text` takes it: at least one
/// character that is not white space, none that is forbidden.
pub fn text_pattern() -> String {
    format!(r"^[^{FORBIDDEN}]*[^\s{FORBIDDEN}][^{FORBIDDEN}]*$")
}

/// As [`FORBIDDEN`], less the tab and the line breaks a free text may span (a carriage
/// return counts as one: the validator turns it into `\n`).
const FORBIDDEN_MULTILINE: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFDD0-\uFDEF\uFEFF\uFFF9-\uFFFB\uFFFE\uFFFF";

/// The pattern of a free text that may span lines (a reason) where one is required, as
/// `http::Validator::optional_multiline_text` takes it and finds it given: at least one
/// character that is not white space, none that is forbidden.
pub fn multiline_text_pattern() -> String {
    format!(r"^[^{FORBIDDEN_MULTILINE}]*[^\s{FORBIDDEN_MULTILINE}][^{FORBIDDEN_MULTILINE}]*$")
}

/// The pattern of an optional free text that may span lines, as
/// `http::Validator::optional_multiline_text` takes it: blank is none, and no character
/// is forbidden.
pub fn optional_multiline_text_pattern() -> String {
    format!(r"^[^{FORBIDDEN_MULTILINE}]*$")
}

/// A required free text that may span lines, of 1 to `max` characters (after trimming).
pub fn multiline_text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(multiline_text_pattern()))
}

/// A required free text that may span lines of `min` (at least 3) to `max` characters
/// after trimming: two characters that are not white space with `min - 2` or more between
/// them, none forbidden (a reason a manager gives a partner).
pub fn multiline_text_between(min: usize, max: usize) -> ObjectBuilder {
    let between = min.saturating_sub(2).max(1);
    let f = FORBIDDEN_MULTILINE;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(format!(
            r"^[^{f}]*[^\s{f}][^{f}]{{{between},}}[^\s{f}][^{f}]*$"
        )))
}

/// An optional free text that may span lines: absent, `null`, blank, or up to `max`
/// characters.
pub fn optional_multiline_text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(max))
        .pattern(Some(optional_multiline_text_pattern()))
}

/// The pattern of an optional single-line text as `http::Validator::optional_text` takes
/// it: blank is none, and no character is forbidden.
pub fn optional_text_pattern() -> String {
    format!(r"^[^{FORBIDDEN}]*$")
}

/// An optional single-line text: absent, `null`, blank, or up to `max` characters.
pub fn optional_text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(max))
        .pattern(Some(optional_text_pattern()))
}

/// A required free text that may span lines, of 1 to `MAX` characters: for
/// `#[schema(value_type = MultilineText<5000>, inline)]` on a `String` field.
pub struct MultilineText<const MAX: usize>;

impl<const MAX: usize> PartialSchema for MultilineText<MAX> {
    fn schema() -> RefOr<Schema> {
        multiline_text(MAX).into()
    }
}

impl<const MAX: usize> ToSchema for MultilineText<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("MultilineText{MAX}").into()
    }
}

/// An object without properties beyond those it names, as a body with
/// `#[serde(deny_unknown_fields)]` is: for a body documented by hand as one of its variants.
pub fn closed_object() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// A string that is one of `values`: a field whose value selects a variant of a body.
pub fn one_of_strings(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// A consent the request cannot go without: a boolean that must be `true` (`false` is a
/// 422 at the field). For `#[schema(value_type = Consent, inline)]` on a `bool` field, so
/// the document states what the code checks. Say what is consented to in a comment, not a
/// doc comment: a field's description would wrap the schema in an `allOf` with an object.
pub struct Consent;

impl PartialSchema for Consent {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .enum_values(Some([true]))
            .description(Some("A consent: must be `true`."))
            .into()
    }
}

impl ToSchema for Consent {
    fn name() -> std::borrow::Cow<'static, str> {
        "Consent".into()
    }
}

/// A single-line text of 1 to `MAX` characters (after trimming) as
/// `http::Validator::text` checks it: for `#[schema(value_type = Text<100>, inline)]` on a
/// `String` field, so the document states what the code validates.
pub struct Text<const MAX: usize>;

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some(text_pattern()))
            .into()
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Text{MAX}").into()
    }
}

#[cfg(test)]
mod tests {

    /// The documented pattern accepts exactly the texts the validator accepts.
    #[test]
    fn the_text_pattern_is_what_the_validator_accepts() {
        let pattern = regex::Regex::new(&super::text_pattern()).unwrap();
        let mut samples: Vec<String> = [
            "Bäckerei Müller GmbH & Co. KG",
            "Zoë 👩‍🍳",
            " Anna ",
            "",
            "   ",
            "Anna\nMüller",
            "evil\u{202E}gpj",
            "Müll\u{200B}er",
            "\u{FEFF}Anna",
            "Anna\u{FFFF}",
            "Anna\u{85}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        samples.extend(
            (0u32..0x3000)
                .filter_map(char::from_u32)
                .map(|c| format!("a{c}")),
        );
        samples.extend(
            (0xFDC0u32..=0xFFFF)
                .filter_map(char::from_u32)
                .map(|c| format!("a{c}")),
        );
        samples.extend(["a\u{c}", "\ta", "a\n", " a\r\n"].map(String::from));
        for sample in &samples {
            let mut v = crate::http::Validator::new();
            let valid = v.text("name", sample, usize::MAX).is_some();
            assert_eq!(pattern.is_match(sample), valid, "{sample:?}");
        }
    }

    /// Free texts that may span lines: the documented patterns accept exactly the texts the
    /// validator accepts, given (a required reason) or not.
    #[test]
    fn the_multiline_patterns_are_what_the_validator_accepts() {
        let required = regex::Regex::new(&super::multiline_text_pattern()).unwrap();
        let optional = regex::Regex::new(&super::optional_multiline_text_pattern()).unwrap();
        let mut samples: Vec<String> = [
            "Erstens\r\nZweitens\n",
            "\tEingerückt",
            "",
            " \n\r\t ",
            "Grund\u{2028}",
            "\u{b}Grund",
            "Grund\u{0}",
            "Zoë 👩‍🍳",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        samples.extend(
            (0u32..0x3000)
                .chain(0xFDC0..=0xFFFF)
                .filter_map(char::from_u32)
                .flat_map(|c| [format!("a{c}"), format!("{c}")]),
        );
        for sample in &samples {
            let mut v = crate::http::Validator::new();
            let taken = v.optional_multiline_text("reason", Some(sample), usize::MAX);
            let refused = v.finish().is_err();
            assert_eq!(optional.is_match(sample), !refused, "{sample:?}");
            assert_eq!(required.is_match(sample), taken.is_some(), "{sample:?}");
        }
    }

    /// A reason of 3 to 1000 characters: the pattern takes a text exactly when its trimmed
    /// form has at least 3 characters.
    #[test]
    fn a_reason_pattern_counts_the_trimmed_text() {
        let schema = serde_json::to_value(super::multiline_text_between(3, 1000).build()).unwrap();
        let pattern = regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
        for (sample, taken) in [
            ("abc", true),
            ("  a b  ", true),
            ("Zeile 1\nZeile 2", true),
            ("ab", false),
            ("  ab   ", false),
            ("a\u{0}bc", false),
            ("   ", false),
        ] {
            assert_eq!(pattern.is_match(sample), taken, "{sample:?}");
        }
    }
}
