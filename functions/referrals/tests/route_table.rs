//! The route table is the one list of routes: `infra/template.yaml`, the OpenAPI document
//! and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::auth::{Role, Scope};
use shared::domain::{Cents, PartnerId};
use shared::routes::checks::{self, Endpoints, assert_same, documented_routes, template_routes};
use shared::routes::matrix::{Caller, Matrix};
use shared::testing::{Client, TestEnv};

fn table_routes() -> Endpoints {
    checks::table_routes(&referrals::routes())
}

fn document() -> Value {
    serde_json::to_value(referrals::openapi()).unwrap()
}

#[test]
fn every_template_route_is_in_the_route_table_and_vice_versa() {
    let in_template = template_routes("ReferralsFunction");
    assert_same(
        &in_template,
        &table_routes(),
        "the template",
        "the route table",
    );
    assert_eq!(in_template.len(), 21);
}

#[test]
fn the_document_describes_exactly_the_routes_of_the_table() {
    assert_same(
        &documented_routes(&document()),
        &table_routes(),
        "the OpenAPI document",
        "the route table",
    );
}

#[test]
fn the_document_states_who_may_call_each_route() {
    checks::assert_document_states_access(&document(), &referrals::routes());
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    checks::assert_serves_document(referrals::build(&kit.env), &document()).await;
}

/// Two tenants side by side: partners A and B, each with a program and an API key. The
/// matrix acts as A's side; B's program and key are the foreign ids.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    let router = referrals::build(&kit.env);
    let client = Client::in_process(router.clone());
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let pa = fixtures.platform("Sparkasse A", Cents(4900)).await;
    let manager_a = fixtures.manager_of("max@sparkasse-a.de", &pa).await;
    let partner_a = fixtures.confirmed_partner("anna@baeckerei-a.de").await;
    let partner_b = fixtures.confirmed_partner("bert@metzgerei-b.de").await;
    let mut programs = Vec::new();
    let mut prefixes = Vec::new();
    for (partner, domain) in [
        (&partner_a, "baeckerei-a.de"),
        (&partner_b, "metzgerei-b.de"),
    ] {
        let put = client
            .call(
                "PUT",
                "/partners/me/referral-domains",
                Some(json!({"domains": [domain]})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
        let program = client
            .call(
                "POST",
                "/programs",
                Some(json!({"name": "Werben", "landing_url": format!("https://{domain}/"), "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 500}}], "attribution_days": 30, "attribution": "first", "hold_days": 14})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(program.status, StatusCode::CREATED, "{:?}", program.body);
        programs.push(program.body["program_id"].as_str().unwrap().to_string());
        let key = client
            .call(
                "POST",
                "/partners/me/api-keys",
                Some(json!({"label": "Shop"})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
        prefixes.push(key.body["prefix"].as_str().unwrap().to_string());
    }

    let a = partner_a.id.as_str();
    let tenant_scoped =
        |role: Role, scope: Scope| Caller::new(role, "konto-a").tenant(a).scope(scope);
    let matrix = Matrix::new(&kit, router, &referrals::openapi())
        .caller(Caller::new(Role::Operator, operator.id.as_str()))
        .caller(Caller::new(Role::Manager, manager_a.id.as_str()).platforms(&[pa.as_str()]))
        .caller(Caller::new(Role::Partner, a).tenant(a))
        .caller(tenant_scoped(Role::Pos, Scope::Pos(PartnerId::from_raw(a))))
        .caller(tenant_scoped(
            Role::Cardholder,
            Scope::Cardholder(PartnerId::from_raw(a)),
        ))
        .caller(tenant_scoped(
            Role::Customer,
            Scope::Customer(PartnerId::from_raw(a)),
        ))
        .caller(Caller::new(Role::EndUser, "kunde-a").scope(Scope::EndUser(pa.clone())))
        .ids("program_id", programs[0].as_str(), programs[1].as_str())
        .ids("prefix", prefixes[0].as_str(), prefixes[1].as_str());
    let report = matrix.check(&referrals::routes()).await;

    assert!(
        report.findings.is_empty(),
        "{} finding(s):\n{}",
        report.findings.len(),
        report.findings.join("\n")
    );
    let protected = referrals::routes()
        .iter()
        .filter(|r| !r.access.is_public())
        .count();
    assert_eq!(
        report.routes, protected,
        "every protected route was checked"
    );
    assert!(
        report.requests >= protected * Role::ALL.len(),
        "each protected route was tried with every role ({} requests)",
        report.requests
    );
}
