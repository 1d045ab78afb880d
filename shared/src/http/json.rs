use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

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
    T: DeserializeOwned,
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
        parse(&bytes).map(ApiJson)
    }
}

/// Deserialises, reporting the path of the field that failed.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return Error::BadRequest(format!(
                "Ungültiges JSON in Zeile {}, Spalte {}.",
                inner.line(),
                inner.column()
            ));
        }
        let path = e.path().to_string();
        let message = inner.to_string();
        // serde names a missing field in its message, not in the path.
        if let Some(missing) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let field = if path == "." {
                missing.to_string()
            } else {
                format!("{path}.{missing}")
            };
            return Error::Validation(vec![FieldError::new(field, "fehlt")]);
        }
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        Error::Validation(vec![FieldError::new(field, message)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        address: Address,
    }
    #[derive(serde::Deserialize, Debug)]
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
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Body>(b"{\"email\":"),
            Err(Error::BadRequest(_))
        ));
    }
}
