use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use tracing::Instrument;

/// One span per request, named by the route template (never the raw path, which can carry
/// tokens or ids), with API Gateway's request id (`request_id`, as in its access log) and
/// Lambda's invocation id (`lambda_request_id`, as in the START/REPORT lines).
pub async fn request_span(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = request_id(&req).unwrap_or_else(|| "-".to_owned());
    let lambda_request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.as_str())
        .filter(|id| !id.is_empty())
        .unwrap_or("-")
        .to_owned();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        request_id,
        lambda_request_id,
        status = tracing::field::Empty
    );
    async move {
        let response = next.run(req).await;
        tracing::Span::current().record("status", response.status().as_u16());
        tracing::info!("handled");
        response
    }
    .instrument(span)
    .await
}

/// The id API Gateway gave the request: from the request context lambda_http puts into the
/// extensions; headers only where there is none (a proxy in front of the local runner).
fn request_id(req: &Request) -> Option<String> {
    let from_context = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        // Other event sources exist only when some crate turns on their lambda_http features.
        #[allow(unreachable_patterns)]
        _ => None,
    };
    from_context
        .filter(|id| !id.is_empty())
        .or_else(|| from_headers(req.headers()))
}

fn from_headers(headers: &HeaderMap) -> Option<String> {
    ["apigw-requestid", "x-amzn-requestid", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .map(str::to_owned)
}
