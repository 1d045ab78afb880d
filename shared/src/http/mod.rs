//! HTTP helpers shared by every router: JSON input with problem+json rejections, field
//! validation, body limits and the request span.

mod json;
mod span;
mod validate;

pub use json::ApiJson;
pub use span::request_span;
pub use validate::Validator;

/// Request bodies larger than this are refused with 413 before any parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Finishes a function's router (or several merged, as local-api serves them): the
/// problem+json 404 fallback, the request span and the body limit.
pub fn finish(router: axum::Router) -> axum::Router {
    router
        .fallback(not_found)
        .layer(axum::middleware::from_fn(request_span))
        .layer(body_limit())
}

async fn not_found() -> crate::Error {
    crate::Error::NotFound("Diese Adresse gibt es nicht.".into())
}

/// The layer that enforces [`MAX_BODY_BYTES`].
pub fn body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES)
}
