use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// One span per request, named by the route template (never the raw path, which can carry
/// tokens or ids) and the API Gateway request id when there is one.
pub async fn request_span(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = req
        .headers()
        .get("x-amzn-requestid")
        .or_else(|| req.headers().get("lambda-runtime-aws-request-id"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let span = tracing::info_span!("request", method = %req.method(), route, request_id, status = tracing::field::Empty);
    async move {
        let response = next.run(req).await;
        tracing::Span::current().record("status", response.status().as_u16());
        tracing::info!("handled");
        response
    }
    .instrument(span)
    .await
}
