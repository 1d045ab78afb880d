//! Every sample event in `events/registration/` goes through lambda_http's API Gateway v2
//! mapping into the router, as in Lambda.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::TestApp;
use shared::auth::Role;

fn events_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/registration")
}

#[tokio::test]
async fn every_sample_event_reaches_its_handler() {
    let app = TestApp::new().await;
    let platform = "01a20996-1d13-756c-954c-72ad0a27051f";
    // The refresh and logout events carry `{{refresh}}` in API Gateway's `cookies`: a real
    // session's token each, so a 200 shows the cookie reached the handler.
    app.confirmed_partner("sitzung@baeckerei.de").await;
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let login = app
            .client
            .call(
                "POST",
                "/auth/login",
                Some(serde_json::json!({"login": "sitzung@baeckerei.de", "password": common::PASSWORD})),
                None,
            )
            .await;
        let cookie = login.headers["set-cookie"].to_str().unwrap().to_string();
        let value = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("pn_refresh=");
        sessions.push(value.to_string());
    }
    let mut seen = 0;
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let route: serde_json::Value = serde_json::from_str(&raw).unwrap();
        // The bucket's event of a logo upload is no API request (see `logo::object_created`).
        if registration::logo::object_created(&route).is_some() {
            assert_eq!(name, "logo-uploaded.json");
            continue;
        }
        // The digest's schedule event neither (see `digest::is_schedule`).
        if registration::digest::is_schedule(&route) {
            assert_eq!(name, "digest-scheduled.json");
            continue;
        }
        let route_key = route["routeKey"].as_str().unwrap().to_string();
        // Each event carries `{{token}}` where a bearer token goes: fill in the right role.
        let token = if route_key.contains("/managers")
            || route_key == "POST /platforms"
            || route_key.starts_with("PATCH /platforms")
            || route_key.contains("/fee-changes")
            || route_key == "GET /partners"
            || route_key.contains("{partner_id}") && !route_key.contains("/applications")
        {
            app.operator_token()
        } else if route_key.contains("/applications") || route_key.ends_with("/suspension") {
            app.token("m-1", Role::Manager, None, &[platform])
        } else {
            app.token("p-1", Role::Partner, Some("p-1"), &[])
        };
        let raw = raw.replace("{{token}}", &token);
        let raw = match sessions.pop() {
            Some(session) if raw.contains("{{refresh}}") => raw.replace("{{refresh}}", &session),
            Some(session) => {
                sessions.push(session);
                raw
            }
            None => raw,
        };

        let request =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (parts, body) = request.into_parts();
        let request = axum::http::Request::from_parts(parts, Body::from(body.to_vec()));
        let response = app.send(request).await;

        let detail = response.body["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{name}");
        assert!(
            !detail.contains("Diese Adresse gibt es nicht"),
            "{name}: the route is not served"
        );
        assert_ne!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}: content type lost"
        );
        assert!(
            !detail.contains("Ungültiges JSON"),
            "{name}: body not decoded"
        );
        assert_ne!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{name}: authorization header lost"
        );
        assert!(
            !response.status.is_server_error(),
            "{name}: {:?}",
            response.body
        );
        seen += 1;
    }
    assert_eq!(seen, registration::routes().len(), "one event per route");
}

#[tokio::test]
async fn base64_encoded_bodies_are_decoded() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei-mueller.de").await;
    let raw = std::fs::read_to_string(events_dir().join("post-auth-login.json")).unwrap();
    let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        event["isBase64Encoded"], true,
        "the login sample is base64-encoded"
    );
    let request = lambda_http::request::from_str(&raw).unwrap();
    let (parts, body) = request.into_parts();
    let response = app
        .send(axum::http::Request::from_parts(
            parts,
            Body::from(body.to_vec()),
        ))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{:?}", response.body);
    assert_eq!(response.body["token_type"], "Bearer");
}

/// The log lines written while it runs, as the deployed function writes them (JSON, with the
/// current span).
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One subscriber for the whole test binary: a thread-scoped one races with the other tests'
/// threads over tracing's cached callsite interest.
fn captured_log() -> CapturedLog {
    static LOG: std::sync::OnceLock<CapturedLog> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(log.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
    .clone()
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn the_request_span_carries_the_request_ids_of_the_event() {
    use lambda_http::RequestExt;

    let log = captured_log();
    let app = TestApp::new().await;
    let raw = std::fs::read_to_string(events_dir().join("get-platforms.json")).unwrap();
    let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let api_gateway_id = event["requestContext"]["requestId"].as_str().unwrap();
    let mut context = lambda_http::Context::default();
    context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into();
    let request = lambda_http::request::from_str(&raw)
        .unwrap()
        .with_lambda_context(context);
    let (parts, body) = request.into_parts();
    let response = app
        .send(axum::http::Request::from_parts(
            parts,
            Body::from(body.to_vec()),
        ))
        .await;
    assert_eq!(response.status, StatusCode::OK);

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let handled: serde_json::Value = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        // Other tests of this binary log the same sample events at the same time, without
        // a Lambda context: only this request carries the Lambda request id.
        .find(|line| {
            line["fields"]["message"] == "handled"
                && line["span"]["lambda_request_id"] == "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
        })
        .unwrap_or_else(|| panic!("no request log line in {text}"));
    let span = &handled["span"];
    assert_eq!(span["request_id"], api_gateway_id, "{handled}");
    assert_eq!(
        span["lambda_request_id"], "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
        "{handled}"
    );
    assert_eq!(span["route"], "/platforms");
    assert_eq!(span["status"], 200);
}
