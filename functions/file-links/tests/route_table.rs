//! The route table is the one list of routes: `infra/template.yaml`, the OpenAPI document,
//! the sample events and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::auth::{Role, Scope};
use shared::routes::checks;
use shared::routes::matrix::{Caller, Matrix, OwnSide};
use shared::testing::{Client, PartnerFixture, TestEnv};

fn document() -> Value {
    serde_json::to_value(file_links::openapi()).unwrap()
}

#[test]
fn the_template_and_the_document_list_exactly_the_route_table() {
    checks::assert_one_list_of_routes("FileLinksFunction", 19, &file_links::routes(), &document());
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    checks::assert_serves_document(file_links::build(&kit.env), &document()).await;
}

/// Every sample event in `events/file-links/` goes through lambda_http's API Gateway v2
/// mapping into the router, as in Lambda, and reaches its handler.
#[tokio::test]
async fn every_sample_event_reaches_its_handler() {
    let kit = TestEnv::new().await;
    let client = Client::in_process(file_links::build(&kit.env));
    let fixtures = kit.fixtures();
    let partner = fixtures.confirmed_partner("anna@kanzlei.de").await;
    let operator = fixtures.operator("olga@betreiber.de").await;
    let customer = tenant_token(&kit, Role::Customer, "k-1", &partner);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/file-links");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        let route_key = event["routeKey"].as_str().unwrap();
        let token = if route_key.contains("/unlimited") {
            &operator.token
        } else if route_key.contains("/me/") {
            &customer
        } else {
            &partner.token
        };
        let raw = raw.replace("{{token}}", token);
        let request =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (parts, body) = request.into_parts();
        let reply = client
            .send(axum::http::Request::from_parts(
                parts,
                Body::from(body.to_vec()),
            ))
            .await;
        let detail = reply.body["detail"].as_str().unwrap_or_default();
        assert!(
            !detail.contains("Diese Adresse gibt es nicht"),
            "{name}: the route is not served"
        );
        assert!(
            !matches!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED
                    | StatusCode::UNSUPPORTED_MEDIA_TYPE
                    | StatusCode::BAD_REQUEST
                    | StatusCode::FORBIDDEN
            ),
            "{name}: {} {}",
            reply.status,
            reply.body
        );
        assert!(!reply.status.is_server_error(), "{name}: {}", reply.body);
        seen += 1;
    }
    assert_eq!(seen, file_links::routes().len(), "one event per route");
}

fn tenant_token(kit: &TestEnv, role: Role, sub: &str, partner: &PartnerFixture) -> String {
    use shared::clock::Clock;
    kit.issuer
        .issue_scoped(
            sub,
            role,
            Some(partner.id.to_string()),
            vec![],
            Scope::Customer(partner.id.clone()),
            kit.clock.epoch(),
        )
        .unwrap()
}

async fn call(client: &Client, method: &str, path: &str, body: Value, token: &str) -> Value {
    let reply = client.call(method, path, Some(body), Some(token)).await;
    assert!(reply.status.is_success(), "{path}: {}", reply.body);
    reply.body
}

/// Two suppliers side by side, A and B, each with customers and a global link with a
/// password. The matrix acts as A's side: every route, every role, B's ids in A's place.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    let (env, audit) = kit.audited();
    let router = file_links::build(&env);
    let client = Client::in_process(router.clone());
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let platform = fixtures
        .platform("Sparkasse A", shared::domain::Cents(4900))
        .await;
    let manager = fixtures.manager_of("max@sparkasse-a.de", &platform).await;
    let a = fixtures.confirmed_partner("anna@kanzlei-a.de").await;
    let b = fixtures.confirmed_partner("bert@agentur-b.de").await;
    let mut ids = Vec::new();
    for (supplier, slug) in [(&a, "kanzlei-a"), (&b, "agentur-b")] {
        call(
            &client,
            "POST",
            "/file-links/account",
            json!({"slug": slug}),
            &supplier.token,
        )
        .await;
        let customer = |email: &str| {
            json!({
                "first_name": "Karl", "last_name": "Kunde", "email": email,
                "folder_url": "https://cloud.example.de/s/X", "folder_password": "geheim-1"
            })
        };
        // One customer the supplier routes act on, one the customer caller is.
        let target = call(
            &client,
            "POST",
            "/file-links/customers",
            customer(&format!("ziel@{slug}.de")),
            &supplier.token,
        )
        .await;
        let caller = call(
            &client,
            "POST",
            "/file-links/customers",
            customer(&format!("kunde@{slug}.de")),
            &supplier.token,
        )
        .await;
        let link = call(
            &client,
            "POST",
            "/file-links/links",
            json!({"name": "AGB", "url": "https://cloud.example.de/s/A", "password": "fuer-alle"}),
            &supplier.token,
        )
        .await;
        ids.push((
            target["id"].as_str().unwrap().to_string(),
            caller["id"].as_str().unwrap().to_string(),
            link["id"].as_str().unwrap().to_string(),
        ));
    }
    let (a_target, a_caller, a_link) = ids[0].clone();
    let (b_target, _, b_link) = ids[1].clone();

    let tenant = a.id.as_str();
    let matrix = Matrix::new(&kit, router, &file_links::openapi())
        .own_side(OwnSide {
            operator: operator.id.as_str(),
            manager: manager.id.as_str(),
            platform: platform.as_str(),
            partner: tenant,
        })
        // The customer account the folders belong to, not a made-up one.
        .caller(
            Caller::new(Role::Customer, a_caller.as_str())
                .tenant(tenant)
                .scope(Scope::Customer(a.id.clone())),
        )
        .ids("partner_id", tenant, b.id.as_str())
        .ids("customer_id", a_target.as_str(), b_target.as_str())
        .ids("link_id", a_link.as_str(), b_link.as_str())
        .ids("folder_id", a_caller.as_str(), b_link.as_str());
    let report = matrix.check(&file_links::routes()).await;
    report.assert_clean(&file_links::routes());
    // Every key the code reached is one its policy grants.
    shared::routes::policy::assert_allowed("FileLinksFunction", &audit.accesses());
}
