//! The page people see when a link leads nowhere: German, friendly, without details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const NOT_FOUND: &str = include_str!("../templates/not_found.html");

/// 404 for unknown, paused and ended links alike, so codes cannot be probed.
pub fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, NOT_FOUND).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
