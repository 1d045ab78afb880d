//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;
use crate::store::idempotency::IdempotencyError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A link or token that existed but can no longer be used.
    #[error("gone: {0}")]
    Gone(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Well-formed, but a business rule forbids it.
    #[error("rule violated: {0}")]
    Unprocessable(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error("dependency unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Validation(_) | Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Gone(_) => StatusCode::GONE,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Error::Validation(_) => ("validation", "Ungültige Eingabe"),
            Error::BadRequest(_) => ("bad-request", "Fehlerhafte Anfrage"),
            Error::Unauthorized(_) => ("unauthorized", "Nicht angemeldet"),
            Error::Forbidden(_) => ("forbidden", "Keine Berechtigung"),
            Error::NotFound(_) => ("not-found", "Nicht gefunden"),
            Error::Conflict(_) => ("conflict", "Konflikt"),
            Error::Gone(_) => ("gone", "Nicht mehr gültig"),
            Error::PayloadTooLarge => ("payload-too-large", "Anfrage zu groß"),
            Error::UnsupportedMediaType => ("unsupported-media-type", "Falscher Inhaltstyp"),
            Error::Unprocessable(_) => ("rule-violated", "Nicht möglich"),
            Error::TooManyRequests(_) => ("too-many-requests", "Zu viele Versuche"),
            Error::Unavailable(_) => ("unavailable", "Dienst vorübergehend nicht erreichbar"),
            Error::Internal(_) => ("internal", "Interner Fehler"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Error::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => "Mehrere Felder sind ungültig.".to_string(),
            },
            Error::BadRequest(d)
            | Error::Unauthorized(d)
            | Error::Forbidden(d)
            | Error::NotFound(d)
            | Error::Conflict(d)
            | Error::Gone(d)
            | Error::Unprocessable(d)
            | Error::TooManyRequests(d) => d.clone(),
            Error::PayloadTooLarge => "Der Anfrageinhalt ist zu groß.".to_string(),
            Error::UnsupportedMediaType => {
                "Erwartet wird Content-Type: application/json.".to_string()
            }
            Error::Unavailable(_) => "Bitte versuchen Sie es gleich noch einmal.".to_string(),
            Error::Internal(_) => "Ein unerwarteter Fehler ist aufgetreten.".to_string(),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The cause chain goes to the log only; the client sees a generic detail.
            let mut chain = Vec::new();
            let mut source = std::error::Error::source(&self);
            while let Some(s) = source {
                chain.push(s.to_string());
                source = s.source();
            }
            tracing::error!(error = %self, causes = ?chain, "request failed");
        }
        let (slug, title) = self.slug_and_title();
        let problem = Problem {
            kind: format!("https://partnernetz.de/probleme/{slug}"),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            errors: match &self {
                Error::Validation(e) => Some(e),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, Error::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed | StoreError::TxCancelled { .. } => {
                Error::Conflict("Der Datensatz wurde zwischenzeitlich geändert.".to_string())
            }
            StoreError::Conflict => Error::Conflict(
                "Der Datensatz wird gerade von einer anderen Anfrage geändert. Bitte versuchen Sie es noch einmal.".to_string(),
            ),
            StoreError::Throttled => {
                Error::TooManyRequests("Bitte versuchen Sie es gleich noch einmal.".to_string())
            }
            StoreError::InvalidCursor => Error::field("cursor", "ist ungültig"),
            StoreError::Unavailable(source) => Error::Unavailable(source),
        }
    }
}

impl From<IdempotencyError> for Error {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::Mismatch => Error::Unprocessable(
                "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet."
                    .to_string(),
            ),
            IdempotencyError::Store(e) => e.into(),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::internal(e)
    }
}
