//! serde's English error messages as German field messages, for every extractor: a client
//! learns which field is wrong and why, in the language of the rest of the API.

use crate::error::FieldError;

/// The message of a required field the input lacks.
pub(crate) const MISSING: &str = "fehlt";

/// The field error for a serde failure at `path` (serde_path_to_error's dotted path, `.` for
/// the root). `root` names the whole input when the path is empty (`body`, `query`).
pub(crate) fn field_error(path: &str, message: &str, root: &str) -> FieldError {
    // The path ends at the parent for a missing field, at the field itself for an unknown
    // or duplicate one (its key was read).
    let at = |name: &str| -> String {
        match path {
            "." | "" => name.to_string(),
            p if p == name || p.ends_with(&format!(".{name}")) => p.to_string(),
            parent => format!("{parent}.{name}"),
        }
    };
    // serde names a missing or unknown field in its message, not in the path.
    if let Some(name) = backticked_after(message, "missing field `") {
        return FieldError::new(at(name), MISSING);
    }
    if let Some(name) = backticked_after(message, "unknown field `") {
        return FieldError::new(at(name), "ist unbekannt");
    }
    if let Some(name) = backticked_after(message, "duplicate field `") {
        return FieldError::new(at(name), "kommt mehrfach vor");
    }
    let field = match path {
        "." | "" => root.to_string(),
        p => p.to_string(),
    };
    FieldError::new(field, german(message))
}

/// The text between `prefix` and the next backtick.
fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('`').next())
}

/// serde's message in German. Messages our own types produce (`try_from` validations) are
/// German already and pass unchanged.
pub(crate) fn german(message: &str) -> String {
    // serde_json appends the position; the field is named separately.
    let message = message.split(" at line ").next().unwrap_or_default();
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let expected = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        let choices = expected
            .trim_start_matches("one of ")
            .replace('`', "")
            .replace(" or ", ", ");
        return if choices.is_empty() {
            "hat einen unbekannten Wert".to_string()
        } else {
            format!("muss einer dieser Werte sein: {choices}")
        };
    }
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        let expected = rest.split_once(", expected ").map(|(_, e)| e).unwrap_or("");
        return must_be(expected);
    }
    if message.starts_with("invalid length") {
        return "hat die falsche Anzahl an Einträgen".to_string();
    }
    match message {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            "muss eine ganze Zahl sein".to_string()
        }
        "invalid float literal" => "muss eine Zahl sein".to_string(),
        "number too large to fit in target type"
        | "number too small to fit in target type"
        | "number out of range" => "liegt außerhalb des zulässigen Bereichs".to_string(),
        "provided string was not `true` or `false`" => "muss true oder false sein".to_string(),
        _ if message.is_ascii() && !message.is_empty() => {
            // An English message we do not know: never show it, it is not for users.
            "ist ungültig".to_string()
        }
        _ if message.is_empty() => "ist ungültig".to_string(),
        german => german.to_string(),
    }
}

/// "muss … sein" for serde's or axum's name of the expected type.
pub(crate) fn must_be(expected: &str) -> String {
    format!("muss {} sein", expected_in_german(expected))
}

/// serde's `expected` phrase ("a string", "u32", "struct X") as a German noun phrase.
fn expected_in_german(expected: &str) -> &'static str {
    let e = expected.to_ascii_lowercase();
    // `u32`, `i64`, ...: a letter and the width.
    let sized = |kind: char| {
        e.strip_prefix(kind)
            .is_some_and(|bits| !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit()))
    };
    if e.contains("string") || e.contains("char") {
        "ein Text"
    } else if e.contains("bool") {
        "true oder false"
    } else if sized('u') {
        "eine nicht negative ganze Zahl"
    } else if sized('i') || e.contains("integer") {
        "eine ganze Zahl"
    } else if sized('f') || e.contains("number") {
        "eine Zahl"
    } else if e.contains("struct") || e.contains("map") {
        "ein JSON-Objekt"
    } else if e.contains("sequence") || e.contains("tuple") || e.contains("array") {
        "eine Liste"
    } else if e.contains("variant") || e.contains("enum") {
        "einer der erlaubten Werte"
    } else {
        "ein anderer Wert"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_messages_become_german() {
        assert_eq!(
            german("invalid type: integer `5`, expected a string at line 1 column 9"),
            "muss ein Text sein"
        );
        assert_eq!(
            german("invalid value: integer `-1`, expected u32"),
            "muss eine nicht negative ganze Zahl sein"
        );
        assert_eq!(
            german("unknown variant `maybe`, expected `approve` or `reject`"),
            "muss einer dieser Werte sein: approve, reject"
        );
        assert_eq!(
            german("invalid digit found in string"),
            "muss eine ganze Zahl sein"
        );
        assert_eq!(german("something new from serde"), "ist ungültig");
        // Our own validations speak German already.
        assert_eq!(
            german("ist keine gültige E-Mail-Adresse"),
            "ist keine gültige E-Mail-Adresse"
        );
    }

    #[test]
    fn missing_unknown_and_duplicate_fields_are_named() {
        assert_eq!(
            field_error(".", "missing field `email`", "body"),
            FieldError::new("email", "fehlt")
        );
        assert_eq!(
            field_error("address", "missing field `city`", "body"),
            FieldError::new("address.city", "fehlt")
        );
        assert_eq!(
            field_error("admin", "unknown field `admin`, expected `email`", "body"),
            FieldError::new("admin", "ist unbekannt")
        );
        assert_eq!(
            field_error(
                "address.zip",
                "unknown field `zip`, expected `city`",
                "body"
            ),
            FieldError::new("address.zip", "ist unbekannt")
        );
        assert_eq!(
            field_error(
                ".",
                "invalid type: sequence, expected struct SignUp",
                "body"
            ),
            FieldError::new("body", "muss ein JSON-Objekt sein")
        );
    }
}
