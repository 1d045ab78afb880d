use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use serde_json::Value;
use utoipa::PartialSchema;
use utoipa::openapi::{RefOr, Schema};

use super::messages::{MISSING, field_error};
use crate::error::{Error, FieldError};

/// A JSON body whose rejections are problem+json naming the offending field.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + PartialSchema,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(Error::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge
                } else {
                    Error::BadRequest("Der Anfrageinhalt konnte nicht gelesen werden.".to_string())
                }
            })?;
        parse(&bytes)
            .map_err(|e| with_every_missing_field(e, &bytes, &required_fields::<T>()))
            .map(ApiJson)
    }
}

/// The top-level fields the body's documented schema requires (an object schema's
/// `required`; none for other shapes).
fn required_fields<T: PartialSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.required,
        _ => Vec::new(),
    }
}

/// serde stops at the first missing field; a client should learn every one at once. When
/// the failure is a missing top-level field, every required field the body lacks is named,
/// in the schema's order.
fn with_every_missing_field(error: Error, bytes: &[u8], required: &[String]) -> Error {
    let Error::Validation(fields) = &error else {
        return error;
    };
    let [first] = fields.as_slice() else {
        return error;
    };
    if first.message != MISSING || !required.contains(&first.field) {
        return error;
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
        return error;
    };
    let missing: Vec<FieldError> = required
        .iter()
        .filter(|name| !body.contains_key(name.as_str()))
        .map(|name| FieldError::new(name.clone(), MISSING))
        .collect();
    if missing.is_empty() {
        return error;
    }
    Error::Validation(missing)
}

/// Deserialises one JSON value and nothing after it, reporting the path of the field that
/// failed. Trailing data is refused: a body that means two things must not be half-read.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return syntax_error(inner);
        }
        Error::Validation(vec![field_error(
            &e.path().to_string(),
            &inner.to_string(),
            "body",
        )])
    })?;
    de.end().map_err(|e| {
        Error::BadRequest(format!(
            "Ungültiges JSON: nach dem Wert folgen weitere Zeichen (Zeile {}, Spalte {}).",
            e.line(),
            e.column()
        ))
    })?;
    Ok(value)
}

fn syntax_error(e: &serde_json::Error) -> Error {
    Error::BadRequest(format!(
        "Ungültiges JSON in Zeile {}, Spalte {}.",
        e.line(),
        e.column()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        address: Address,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Address {
        city: String,
    }

    fn field_of(e: Error) -> String {
        match e {
            Error::Validation(f) => f[0].field.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_named_with_their_path() {
        assert_eq!(
            field_of(parse::<Body>(br#"{"address":{"city":"Bonn"}}"#).unwrap_err()),
            "email"
        );
        assert_eq!(
            field_of(parse::<Body>(br#"{"email":"a","address":{}}"#).unwrap_err()),
            "address.city"
        );
        assert_eq!(
            field_of(parse::<Body>(br#"{"email":5,"address":{"city":"x"}}"#).unwrap_err()),
            "email"
        );
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named_in_german() {
        let e = parse::<Body>(br#"{"email":"a","address":{"city":"x"},"admin":true}"#).unwrap_err();
        assert!(
            matches!(&e, Error::Validation(f) if f[0] == crate::error::FieldError::new("admin", "ist unbekannt")),
            "{e:?}"
        );
        let e = parse::<Body>(br#"{"email":"a","address":{"city":"x","zip":1}}"#).unwrap_err();
        assert_eq!(field_of(e), "address.zip");
        let e = parse::<Body>(br#"{"email":5,"address":{"city":"x"}}"#).unwrap_err();
        assert!(
            matches!(&e, Error::Validation(f) if f[0].message == "muss ein Text sein"),
            "{e:?}"
        );
        let e = parse::<Body>(br#""x""#).unwrap_err();
        assert!(
            matches!(&e, Error::Validation(f) if f[0].field == "body" && f[0].message == "muss ein JSON-Objekt sein"),
            "{e:?}"
        );
    }

    #[test]
    fn trailing_data_after_the_value_is_refused() {
        let ok = br#"{"email":"a","address":{"city":"Bonn"}}"#;
        assert!(parse::<Body>(ok).is_ok());
        let with_space = br#"{"email":"a","address":{"city":"Bonn"}}  
"#;
        assert!(parse::<Body>(with_space).is_ok(), "whitespace is not data");
        for garbage in [&b"x"[..], b"{}", b"\"{\"admin\":true}\"", b"\0"] {
            let mut body = ok.to_vec();
            body.extend_from_slice(garbage);
            assert!(
                matches!(parse::<Body>(&body), Err(Error::BadRequest(ref d)) if d.contains("weitere Zeichen")),
                "{}",
                String::from_utf8_lossy(&body)
            );
        }
    }

    #[derive(serde::Deserialize, utoipa::ToSchema, Debug)]
    #[allow(dead_code)]
    struct Person {
        name: String,
        email: String,
        city: String,
        note: Option<String>,
    }

    fn fields(e: &Error) -> Vec<(String, String)> {
        match e {
            Error::Validation(f) => f
                .iter()
                .map(|f| (f.field.clone(), f.message.clone()))
                .collect(),
            other => vec![(format!("{other:?}"), String::new())],
        }
    }

    fn body_error<T: DeserializeOwned + PartialSchema>(bytes: &[u8]) -> Error {
        parse::<T>(bytes)
            .map(|_| ())
            .map_err(|e| with_every_missing_field(e, bytes, &required_fields::<T>()))
            .unwrap_err()
    }

    #[test]
    fn every_missing_field_is_named_at_once() {
        let e = body_error::<Person>(br#"{"email":"a@b.de"}"#);
        assert_eq!(
            fields(&e),
            vec![
                ("name".into(), "fehlt".into()),
                ("city".into(), "fehlt".into())
            ]
        );
        let e = body_error::<Person>(br#"{}"#);
        assert_eq!(
            fields(&e).into_iter().map(|(f, _)| f).collect::<Vec<_>>(),
            ["name", "email", "city"]
        );
        // Other failures stay as they are.
        let e = body_error::<Person>(br#"{"name":1}"#);
        assert_eq!(
            fields(&e),
            vec![("name".into(), "muss ein Text sein".into())]
        );
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Body>(b"{\"email\":"),
            Err(Error::BadRequest(_))
        ));
    }
}
