//! The route table is the one list of routes: `infra/template.yaml`, the OpenAPI document
//! and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::auth::Role;
use shared::domain::Cents;
use shared::routes::checks;
use shared::routes::matrix::{Matrix, OwnSide};
use shared::testing::{Client, TestEnv};

fn document() -> Value {
    serde_json::to_value(offers::openapi()).unwrap()
}

#[test]
fn the_template_and_the_document_list_exactly_the_route_table() {
    checks::assert_one_list_of_routes("OffersFunction", 27, &offers::routes(), &document());
}

/// The answer to an image request is documented as what it is: the image and its
/// presigned upload (two types once shared one name, and the document showed the upload
/// alone).
#[test]
fn the_image_answer_is_documented_with_the_image_and_its_upload() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    let answer = &schemas["ImageUpload"];
    let required: Vec<&str> = answer["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(required, ["image", "upload"], "{answer}");
    let upload = answer["properties"]["upload"]["$ref"].as_str().unwrap();
    let upload = &schemas[upload.rsplit('/').next().unwrap()];
    for field in ["method", "url", "headers", "expires_in_seconds"] {
        assert!(upload["properties"].get(field).is_some(), "{upload}");
    }
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    checks::assert_serves_document(offers::build(&kit.env), &document()).await;
}

/// Two tenants side by side: partners A and B, each approved on its own platform PA or PB
/// (managed by MA and MB) with a published offer there. The matrix acts as A's side.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    // Offers runs without the data key, as deployed.
    let (mut env, audit) = kit.audited();
    env.data_key = None;
    let router = offers::build(&env);
    let client = Client::in_process(router.clone());
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let pa = fixtures.platform("Sparkasse A", Cents(4900)).await;
    let pb = fixtures.platform("Volksbank B", Cents(3900)).await;
    let manager_a = fixtures.manager_of("max@sparkasse-a.de", &pa).await;
    let manager_b = fixtures.manager_of("mia@volksbank-b.de", &pb).await;
    let partner_a = fixtures.confirmed_partner("anna@baeckerei-a.de").await;
    let partner_b = fixtures.confirmed_partner("bert@metzgerei-b.de").await;
    let today = shared::clock::Clock::today(kit.clock.as_ref());
    let mut offers = Vec::new();
    for (partner, platform, manager) in
        [(&partner_a, &pa, &manager_a), (&partner_b, &pb, &manager_b)]
    {
        fixtures
            .approve(partner, platform, "Plattform", today)
            .await;
        let body = json!({
            "title": "Angebot", "teaser": "Kurz", "description": "Lang",
            "benefit": {"kind": "percent", "value": 10},
            "in_store": {"instructions": "Zeigen", "coupon_code": "CODE10"},
            "valid_from": today.to_string(), "valid_to": today.tomorrow().unwrap().to_string(),
            "categories": ["essen"], "platforms": [platform.as_str()],
        });
        let created = client
            .call("POST", "/offers", Some(body), Some(&partner.token))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        let offer = created.body["offer_id"].as_str().unwrap().to_string();
        let submitted = client
            .call(
                "POST",
                &format!("/offers/{offer}/submit"),
                None,
                Some(&partner.token),
            )
            .await;
        assert_eq!(submitted.status, StatusCode::OK, "{:?}", submitted.body);
        let decided = client
            .call(
                "POST",
                &format!("/platforms/{platform}/reviews/{offer}/decision"),
                Some(json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}})),
                Some(&manager.token),
            )
            .await;
        assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
        offers.push(offer);
    }

    let mut kinds = Vec::new();
    for platform in [&pa, &pb] {
        let kind = client
            .call(
                "POST",
                &format!("/platforms/{platform}/placement-kinds"),
                Some(json!({"name": "Top", "price_cents": 4900, "slots_per_month": 3})),
                Some(&operator.token),
            )
            .await;
        assert_eq!(kind.status, StatusCode::CREATED, "{:?}", kind.body);
        kinds.push(kind.body["kind_id"].as_str().unwrap().to_string());
    }

    let a = partner_a.id.as_str();
    let matrix = Matrix::new(&kit, router, &offers::openapi())
        .own_side(OwnSide {
            operator: operator.id.as_str(),
            manager: manager_a.id.as_str(),
            platform: pa.as_str(),
            partner: a,
        })
        .ids("platform_id", pa.as_str(), pb.as_str())
        .ids("offer_id", offers[0].as_str(), offers[1].as_str())
        .ids("month", "2026-12", "2026-12")
        .ids("kind_id", kinds[0].as_str(), kinds[1].as_str());
    let report = matrix.check(&offers::routes()).await;
    report.assert_clean(&offers::routes());
    // Every key the code reached is one its policy grants.
    shared::routes::policy::assert_allowed("OffersFunction", &audit.accesses());
}

/// Every sample event in `events/offers/` goes through lambda_http's API Gateway v2 mapping
/// into the router, as in Lambda.
#[tokio::test]
async fn every_sample_event_reaches_its_handler() {
    let kit = TestEnv::new().await;
    let router = offers::build(&kit.env);
    let client = Client::in_process(router);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/offers");
    let platform = "01a20996-1d13-756c-954c-72ad0a27051f";
    let now = shared::clock::Clock::epoch(kit.clock.as_ref());
    let token = |role: Role, tenant: Option<&str>, platforms: &[&str]| {
        kit.issuer
            .issue(
                "konto-1",
                role,
                tenant.map(str::to_owned),
                platforms.iter().map(|p| p.to_string()).collect(),
                now,
            )
            .unwrap()
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        let route_key = event["routeKey"].as_str().unwrap().to_string();
        let token = if route_key.contains("/reviews")
            || route_key.ends_with("/take-down")
            || route_key.ends_with("/stats") && route_key.contains("/platforms/")
        {
            token(Role::Manager, None, &[platform])
        } else if route_key.starts_with("POST /platforms/{platform_id}/placement-kinds") {
            token(Role::Operator, None, &[])
        } else {
            token(Role::Partner, Some("p-1"), &[])
        };
        let raw = raw.replace("{{token}}", &token);
        let request =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (parts, body) = request.into_parts();
        let request = axum::http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
        let reply = client.send(request).await;
        let detail = reply.body["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{name}");
        assert!(
            !detail.contains("Diese Adresse gibt es nicht"),
            "{name}: not served"
        );
        assert_ne!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}: content type lost"
        );
        assert_ne!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name}: authorization lost"
        );
        assert_ne!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{name}: {}",
            reply.body
        );
        assert!(!reply.status.is_server_error(), "{name}: {}", reply.body);
        // Every route's own answer: a path or a body the handler read, not the router's.
        if reply.status == StatusCode::BAD_REQUEST {
            assert!(!reply.problem_fields().is_empty(), "{name}: {}", reply.body);
        }
        seen += 1;
    }
    assert_eq!(seen, offers::routes().len(), "one event per route");
}
