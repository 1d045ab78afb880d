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
    let mut seen = 0;
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let route: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let route_key = route["routeKey"].as_str().unwrap().to_string();
        // Each event carries `{{token}}` where a bearer token goes: fill in the right role.
        let token = if route_key.contains("/managers") || route_key == "POST /platforms" {
            app.operator_token()
        } else if route_key.contains("/applications") {
            app.token("m-1", Role::Manager, None, &[platform])
        } else {
            app.token("p-1", Role::Partner, Some("p-1"), &[])
        };
        let raw = raw.replace("{{token}}", &token);

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
