//! The route table is the one list of routes: `infra/template.yaml`, the OpenAPI document
//! and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::domain::PartnerId;
use std::collections::BTreeSet;

use shared::routes::checks::{self, Endpoints, assert_same};
use shared::routes::matrix::{Matrix, OwnSide};
use shared::testing::{Client, TestEnv};

fn table_routes() -> Endpoints {
    checks::table_routes(&cards::routes())
}

fn document() -> Value {
    serde_json::to_value(cards::openapi()).unwrap()
}

#[test]
fn the_template_and_the_document_list_exactly_the_route_table() {
    checks::assert_one_list_of_routes("CardsFunction", 27, &cards::routes(), &document());
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    checks::assert_serves_document(cards::build(&kit.env), &document()).await;
}

/// Two merchants side by side, A and B, each with a contract, a program, a card and a
/// terminal user. The matrix acts as A's side and tries B's ids in A's place.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    let (env, audit) = kit.audited();
    let router = cards::build(&env);
    let client = Client::in_process(router.clone());
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let price = client
        .call(
            "PUT",
            "/cards/price",
            Some(json!({"fee_per_terminal_user_cents": 990})),
            Some(&operator.token),
        )
        .await;
    assert_eq!(price.status, StatusCode::OK, "{:?}", price.body);
    let pa = fixtures
        .platform("Sparkasse A", shared::domain::Cents(4900))
        .await;
    let manager = fixtures.manager_of("max@sparkasse-a.de", &pa).await;
    let mut side = Vec::new();
    for email in ["anna@baeckerei-a.de", "bert@metzgerei-b.de"] {
        let partner = fixtures.confirmed_partner(email).await;
        let token = Some(partner.token.as_str());
        let signed = client.call("POST", "/cards/contract", None, token).await;
        assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
        let program = client
            .call(
                "POST",
                "/cards/programs",
                Some(json!({"name": "Bonus", "rules": {"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1}})),
                token,
            )
            .await;
        let program_id = program.body["program_id"].as_str().unwrap().to_string();
        let batch = client
            .call(
                "POST",
                &format!("/cards/programs/{program_id}/batches"),
                Some(json!({"count": 1})),
                token,
            )
            .await;
        let number = batch.body["numbers"][0].as_str().unwrap().to_string();
        let user = client
            .call(
                "POST",
                "/cards/terminal-users",
                Some(json!({"username": "kasse-1", "name": "Kasse", "email": format!("kasse@{}", email.split('@').nth(1).unwrap())})),
                token,
            )
            .await;
        assert_eq!(user.status, StatusCode::CREATED, "{:?}", user.body);
        side.push((partner, program_id, number));
    }
    let (a, b) = (&side[0], &side[1]);
    let a_id = a.0.id.as_str();
    let matrix = Matrix::new(&kit, router, &cards::openapi())
        .own_side(OwnSide {
            operator: operator.id.as_str(),
            manager: manager.id.as_str(),
            platform: pa.as_str(),
            partner: a_id,
        })
        .ids("program_id", a.1.as_str(), b.1.as_str())
        .ids("number", a.2.as_str(), b.2.as_str())
        // Usernames are per merchant: B's "kasse-1" is not A's; another name is unknown.
        .ids("username", "kasse-1", "kasse-unbekannt");
    let report = matrix.check(&cards::routes()).await;
    report.assert_clean(&cards::routes());
    // Every key the code reached is one its policy grants.
    shared::routes::policy::assert_allowed("CardsFunction", &audit.accesses());
}

/// Every route has a sample API Gateway v2 event in `events/cards/`, and each goes through
/// lambda_http's mapping into the router as in Lambda; the schedule's event is told apart.
#[tokio::test]
async fn every_sample_event_reaches_its_handler() {
    let kit = TestEnv::new().await;
    let client = Client::in_process(cards::build(&kit.env));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/cards");
    let mut covered = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        if name == "scheduled.json" {
            assert!(cards::daily::is_schedule(&event));
            continue;
        }
        assert!(!cards::daily::is_schedule(&event), "{name}");
        let route_key = event["routeKey"].as_str().unwrap().to_string();
        let (method, path) = route_key.split_once(' ').unwrap();
        let route = cards::routes()
            .into_iter()
            .find(|r| r.method.as_str() == method && r.path == path)
            .unwrap_or_else(|| panic!("{name}: {route_key} is no route"));
        covered.insert((method.to_string(), path.to_string()));
        let tenant = PartnerId::from_raw("p-1");
        let role = match route.access {
            shared::routes::Access::Public => Role::Partner,
            shared::routes::Access::Token { roles, .. } => roles[0],
        };
        let scope = match role {
            Role::Pos => Scope::Pos(tenant.clone()),
            Role::Cardholder => Scope::Cardholder(tenant.clone()),
            _ => Scope::Platform,
        };
        let token = kit
            .issuer
            .issue_scoped(
                "konto-1",
                role,
                Some("p-1".into()),
                vec![],
                scope,
                kit.clock.epoch(),
            )
            .unwrap();
        let raw = raw.replace("{{token}}", &token);
        let request =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (parts, body) = request.into_parts();
        let reply = client
            .send(axum::http::Request::from_parts(
                parts,
                axum::body::Body::from(body.to_vec()),
            ))
            .await;
        let detail = reply.body["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{name}");
        assert_ne!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}");
        assert!(
            !detail.contains("Diese Adresse gibt es nicht"),
            "{name}: not served"
        );
        assert!(
            !detail.contains("Ungültiges JSON"),
            "{name}: body not decoded"
        );
        assert!(
            !matches!(
                reply.status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            ),
            "{name}: {:?}",
            reply.body
        );
        assert!(!reply.status.is_server_error(), "{name}: {:?}", reply.body);
    }
    assert_same(&covered, &table_routes(), "events/cards", "the route table");
}
