//! Billing's route table is the one list of its routes: `infra/template.yaml`, the OpenAPI document
//! and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::StatusCode;
use serde_json::Value;
use shared::auth::{Role, Scope};
use shared::routes::checks::{self, Endpoints, assert_same, documented_routes, template_routes};
use std::sync::Arc;

use billing::{Billing, BillingConfig, LocalQueue};
use shared::domain::{Cents, PartnerId};
use shared::routes::matrix::{Caller, Matrix};
use shared::testing::{Client, TestEnv};

fn billing_on(kit: &TestEnv) -> Arc<Billing> {
    Arc::new(Billing::new(
        &kit.env,
        Arc::new(LocalQueue::new()),
        BillingConfig::local(),
    ))
}

fn table_routes() -> Endpoints {
    checks::table_routes(&billing::routes())
}

fn document() -> Value {
    serde_json::to_value(billing::openapi()).unwrap()
}

#[test]
fn every_template_route_is_in_the_route_table_and_vice_versa() {
    let in_template = template_routes("BillingFunction");
    assert_same(
        &in_template,
        &table_routes(),
        "the template",
        "the route table",
    );
    assert_eq!(in_template.len(), 8);
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
    checks::assert_document_states_access(&document(), &billing::routes());
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    let client = Client::in_process(billing::build_with(billing_on(&kit)));
    let reply = client.call("GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    assert_eq!(reply.body["openapi"], "3.1.0");
    assert_eq!(reply.body, document());
}

/// Two tenants side by side: partners A and B. The matrix acts as A's side.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    let router = billing::build_with(billing_on(&kit));
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let pa = fixtures.platform("Sparkasse A", Cents(4900)).await;
    let manager_a = fixtures.manager_of("max@sparkasse-a.de", &pa).await;
    let partner_a = fixtures.confirmed_partner("anna@baeckerei-a.de").await;
    let partner_b = fixtures.confirmed_partner("bert@metzgerei-b.de").await;

    let a = partner_a.id.as_str();
    let tenant_scoped =
        |role: Role, scope: Scope| Caller::new(role, "konto-a").tenant(a).scope(scope);
    let matrix = Matrix::new(&kit, router, &billing::openapi())
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
        .ids("period", "2026-11", "2026-11")
        .ids("partner_id", a, partner_b.id.as_str());
    let report = matrix.check(&billing::routes()).await;

    assert!(
        report.findings.is_empty(),
        "{} finding(s):\n{}",
        report.findings.len(),
        report.findings.join("\n")
    );
    let protected = billing::routes()
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
