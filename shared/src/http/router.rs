use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;

use super::{body_limit, request_span};
use crate::error::{
    DEFAULT_RETRY_AFTER_SECS, Error, PROBLEM_JSON, problem_for_status, set_retry_after,
};

/// Finishes a function's router, after its routes: 404 and 405 (with `Allow`) as problem+json,
/// the body limit, the request span, and the safety net that turns any other error answer
/// into problem+json. Every function's router goes through here, so every answer of every
/// function, the framework's own rejections included, has the same shape.
pub fn finish<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(body_limit())
        .layer(middleware::from_fn(problem_answers))
        .layer(middleware::from_fn(request_span))
}

async fn not_found() -> Error {
    Error::NotFound("Diese Adresse gibt es nicht.".into())
}

async fn method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

/// The safety net: an error answer that is not problem+json (a rejection of axum, tower or a
/// handler that forgot `shared::Error`) becomes the problem for its status, keeping headers
/// such as `Allow`; and every 429 and 503 says when to come back.
async fn problem_answers(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut response = if is_problem(&response) {
        response
    } else {
        tracing::warn!(
            status = status.as_u16(),
            "an error answer without problem+json was replaced"
        );
        let (mut parts, _) = response.into_parts();
        let problem = problem_for_status(status);
        parts.headers.remove(header::CONTENT_LENGTH);
        for (name, value) in problem.headers() {
            parts.headers.insert(name.clone(), value.clone());
        }
        Response::from_parts(parts, problem.into_body())
    };
    if status.as_u16() == 429 || status.as_u16() == 503 {
        let headers = response.headers_mut();
        if !headers.contains_key(header::RETRY_AFTER) {
            set_retry_after(headers, DEFAULT_RETRY_AFTER_SECS);
        }
    }
    response
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case(PROBLEM_JSON))
}
