//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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
    /// A business rule forbids it, and these fields (or items) are why: 422 naming them.
    #[error("rule violated: {detail}")]
    UnprocessableFields {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The route exists, but not for this method (axum adds the `Allow` header).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Answered with `Retry-After: retry_after_secs`, so the client knows when to come back.
    #[error("too many requests: {detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// A dependency is down; answered with `Retry-After: DEFAULT_RETRY_AFTER_SECS`.
    #[error("dependency unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Retry-After` of a 503, and of a 429 that knows no better (storage throttling): long
/// enough for a dependency to recover from a blip, short enough not to lose the user.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 5;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    /// A 429 that tells the client how many seconds to wait (at least one).
    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::TooManyRequests {
            detail: detail.into(),
            retry_after_secs: retry_after_secs.max(1),
        }
    }

    /// Seconds a client should wait before trying again, for the answers that have one.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::TooManyRequests {
                retry_after_secs, ..
            } => Some((*retry_after_secs).max(1)),
            Error::Unavailable(_) => Some(DEFAULT_RETRY_AFTER_SECS),
            _ => None,
        }
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
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Unprocessable(_) | Error::UnprocessableFields { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
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
            Error::MethodNotAllowed => ("method-not-allowed", "Methode nicht erlaubt"),
            Error::Unprocessable(_) | Error::UnprocessableFields { .. } => {
                ("rule-violated", "Nicht möglich")
            }
            Error::TooManyRequests { .. } => ("too-many-requests", "Zu viele Versuche"),
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
            | Error::UnprocessableFields { detail: d, .. }
            | Error::TooManyRequests { detail: d, .. } => d.clone(),
            Error::PayloadTooLarge => "Der Anfrageinhalt ist zu groß.".to_string(),
            Error::UnsupportedMediaType => {
                "Erwartet wird Content-Type: application/json.".to_string()
            }
            Error::MethodNotAllowed => {
                "Diese Adresse unterstützt die Methode nicht; erlaubt sind die im Allow-Header genannten.".to_string()
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

impl Problem<'_> {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

fn problem_type(slug: &str) -> String {
    format!("https://partnernetz.de/probleme/{slug}")
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
        let mut response = Problem {
            kind: problem_type(slug),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            errors: match &self {
                Error::Validation(e) | Error::UnprocessableFields { errors: e, .. } => Some(e),
                _ => None,
            },
        }
        .into_response();
        if matches!(self, Error::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after_secs() {
            set_retry_after(response.headers_mut(), secs);
        }
        response
    }
}

/// `Retry-After` in seconds (RFC 9110 §10.2.3).
pub fn set_retry_after(headers: &mut HeaderMap, secs: u64) {
    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
}

/// The problem+json answer for a status no [`Error`] produced (the framework's own rejections),
/// so that every error a client sees has the same shape.
pub fn problem_for_status(status: StatusCode) -> Response {
    let (slug, title, detail) = match status.as_u16() {
        400 => (
            "bad-request",
            "Fehlerhafte Anfrage",
            "Die Anfrage ist fehlerhaft.",
        ),
        401 => (
            "unauthorized",
            "Nicht angemeldet",
            "Bitte melden Sie sich an.",
        ),
        403 => (
            "forbidden",
            "Keine Berechtigung",
            "Dazu fehlt Ihnen die Berechtigung.",
        ),
        404 => (
            "not-found",
            "Nicht gefunden",
            "Diese Adresse gibt es nicht.",
        ),
        405 => return Error::MethodNotAllowed.into_response(),
        406 => (
            "not-acceptable",
            "Nicht annehmbar",
            "Antworten gibt es nur als JSON.",
        ),
        408 => (
            "request-timeout",
            "Zeitüberschreitung",
            "Die Anfrage kam nicht rechtzeitig vollständig an.",
        ),
        409 => (
            "conflict",
            "Konflikt",
            "Die Anfrage steht im Konflikt mit dem aktuellen Zustand.",
        ),
        410 => (
            "gone",
            "Nicht mehr gültig",
            "Diese Adresse ist nicht mehr gültig.",
        ),
        411 => (
            "length-required",
            "Länge erforderlich",
            "Die Anfrage braucht einen Content-Length-Header.",
        ),
        413 => return Error::PayloadTooLarge.into_response(),
        414 => (
            "uri-too-long",
            "Adresse zu lang",
            "Die Adresse der Anfrage ist zu lang.",
        ),
        415 => return Error::UnsupportedMediaType.into_response(),
        422 => (
            "rule-violated",
            "Nicht möglich",
            "Die Anfrage ist so nicht möglich.",
        ),
        429 => (
            "too-many-requests",
            "Zu viele Versuche",
            "Bitte versuchen Sie es gleich noch einmal.",
        ),
        431 => (
            "headers-too-large",
            "Kopfzeilen zu groß",
            "Die Kopfzeilen der Anfrage sind zu groß.",
        ),
        501 => (
            "not-implemented",
            "Nicht unterstützt",
            "Diese Methode wird nicht unterstützt.",
        ),
        502..=504 => (
            "unavailable",
            "Dienst vorübergehend nicht erreichbar",
            "Bitte versuchen Sie es gleich noch einmal.",
        ),
        s if s >= 500 => (
            "internal",
            "Interner Fehler",
            "Ein unerwarteter Fehler ist aufgetreten.",
        ),
        _ => (
            "bad-request",
            "Fehlerhafte Anfrage",
            "Die Anfrage ist fehlerhaft.",
        ),
    };
    let mut response = Problem {
        kind: problem_type(slug),
        title,
        status: status.as_u16(),
        detail: detail.to_string(),
        errors: None,
    }
    .into_response();
    if matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        set_retry_after(response.headers_mut(), DEFAULT_RETRY_AFTER_SECS);
    }
    response
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
            StoreError::Throttled => Error::too_many_requests(
                "Bitte versuchen Sie es gleich noch einmal.",
                DEFAULT_RETRY_AFTER_SECS,
            ),
            StoreError::InvalidCursor => Error::field("cursor", "ist ungültig"),
            // A caller that did not split its work: a bug, never the user's.
            e @ StoreError::TxRefused(_) => Error::internal(e),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_answer_what_the_client_can_do() {
        let cursor = Error::from(StoreError::InvalidCursor);
        assert_eq!(cursor.status(), StatusCode::BAD_REQUEST);
        assert!(
            matches!(&cursor, Error::Validation(errors) if errors[0].field == "cursor"),
            "a tampered cursor names the field: {cursor:?}"
        );
        let lost = Error::from(StoreError::Conflict);
        assert_eq!(lost.status(), StatusCode::CONFLICT);
        assert!(lost.detail().contains("noch einmal"), "asks to retry");
        let reused = Error::from(IdempotencyError::Mismatch);
        assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let replay_lost = Error::from(IdempotencyError::Store(StoreError::Conflict));
        assert_eq!(replay_lost.status(), StatusCode::CONFLICT);
    }
}
