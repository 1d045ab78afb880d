//! HTTP edges shared by every router: extractors for JSON bodies, query strings and path
//! parameters whose rejections are problem+json naming the field, field validation, and
//! [`finish`], which gives a router its fallbacks, body limit, request span and safety net.

mod json;
mod messages;
mod paging;
mod path;
mod query;
mod router;
mod span;
mod validate;

pub use json::ApiJson;
pub use paging::{PageParams, page_limit};
pub use path::ApiPath;
pub use query::ApiQuery;
pub use router::finish;
pub use span::request_span;
pub use validate::Validator;

/// Request bodies larger than this are refused with 413 before any parsing.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The layer that enforces [`MAX_BODY_BYTES`]; part of [`finish`].
pub fn body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES)
}
