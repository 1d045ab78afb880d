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
    // A page rendered for people (the redirect's "link not found") stays as it is.
    let mut response = if is_problem(&response) || is_page(&response) {
        response
    } else {
        tracing::warn!(
            status = status.as_u16(),
            "an error answer without problem+json was replaced"
        );
        // The original headers stay (Allow, Retry-After); only the body and its type change.
        let (mut parts, _) = response.into_parts();
        let (problem, body) = problem_for_status(status).into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        if let Some(content_type) = problem.headers.get(header::CONTENT_TYPE) {
            parts
                .headers
                .insert(header::CONTENT_TYPE, content_type.clone());
        }
        Response::from_parts(parts, body)
    };
    if status.as_u16() == 429 || status.as_u16() == 503 {
        let headers = response.headers_mut();
        if !headers.contains_key(header::RETRY_AFTER) {
            set_retry_after(headers, DEFAULT_RETRY_AFTER_SECS);
        }
    }
    response
}

fn mime_is(response: &Response, expected: &str) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case(expected))
}

fn is_problem(response: &Response) -> bool {
    mime_is(response, PROBLEM_JSON)
}

fn is_page(response: &Response) -> bool {
    mime_is(response, "text/html")
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::extract::Query;
    use axum::http::{HeaderMap, Request, StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn answer(
        router: &Router,
        method: &str,
        uri: &str,
    ) -> (StatusCode, HeaderMap, serde_json::Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (parts.status, parts.headers, json)
    }

    fn problem(headers: &HeaderMap) -> &str {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[derive(serde::Deserialize)]
    struct Limit {
        #[allow(dead_code)]
        limit: u32,
    }

    fn app() -> Router {
        finish(
            Router::new()
                .route("/items", get(|| async { "ok" }).post(|| async { "ok" }))
                .route(
                    "/plain-500",
                    get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "stack trace: secret") }),
                )
                .route(
                    "/bare-503",
                    get(|| async { StatusCode::SERVICE_UNAVAILABLE }),
                )
                .route(
                    "/own-429",
                    get(|| async {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [(header::RETRY_AFTER, "30")],
                            "slow down",
                        )
                    }),
                )
                .route(
                    "/throttled",
                    get(|| async { Error::too_many_requests("Bitte warten.", 42) }),
                )
                .route("/axum-query", get(|Query(_): Query<Limit>| async { "ok" })),
        )
    }

    #[tokio::test]
    async fn unknown_paths_and_methods_are_problems_with_allow() {
        let app = app();
        let (status, headers, body) = answer(&app, "GET", "/nirgends").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(problem(&headers), PROBLEM_JSON);
        assert_eq!(body["status"], 404);

        let (status, headers, body) = answer(&app, "DELETE", "/items").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(problem(&headers), PROBLEM_JSON);
        assert_eq!(body["title"], "Methode nicht erlaubt");
        let allow = headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            allow.contains("GET") && allow.contains("POST"),
            "Allow: {allow}"
        );
    }

    #[tokio::test]
    async fn foreign_error_answers_become_problems_without_their_text() {
        let app = app();
        let (status, headers, body) = answer(&app, "GET", "/plain-500").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(problem(&headers), PROBLEM_JSON);
        assert_eq!(body["status"], 500);
        assert!(!body.to_string().contains("secret"), "{body}");

        let (status, headers, body) = answer(&app, "GET", "/axum-query?limit=abc").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(problem(&headers), PROBLEM_JSON);
        assert_eq!(body["title"], "Fehlerhafte Anfrage");
    }

    #[tokio::test]
    async fn every_429_and_503_says_when_to_come_back() {
        let app = app();
        let retry_after = |headers: &HeaderMap| {
            headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (status, headers, _) = answer(&app, "GET", "/bare-503").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem(&headers), PROBLEM_JSON);
        assert_eq!(
            retry_after(&headers),
            Some(DEFAULT_RETRY_AFTER_SECS.to_string())
        );

        let (status, headers, _) = answer(&app, "GET", "/own-429").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(problem(&headers), PROBLEM_JSON);
        assert_eq!(
            retry_after(&headers).as_deref(),
            Some("30"),
            "the handler's own value stays"
        );

        let (status, headers, body) = answer(&app, "GET", "/throttled").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&headers).as_deref(), Some("42"));
        assert_eq!(body["detail"], "Bitte warten.");
    }

    #[test]
    fn unavailable_dependencies_answer_503_with_retry_after() {
        let response =
            Error::Unavailable(Box::new(std::io::Error::other("dynamodb down"))).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some(DEFAULT_RETRY_AFTER_SECS.to_string().as_str())
        );
    }
}
