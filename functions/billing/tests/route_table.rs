//! Billing's route table is the one list of its routes: `infra/template.yaml`, the OpenAPI document
//! and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use shared::routes::checks;
use std::sync::Arc;

use billing::{Billing, BillingConfig, LocalQueue};
use shared::domain::Cents;
use shared::routes::matrix::{Matrix, OwnSide};
use shared::testing::TestEnv;

fn billing_on(kit: &TestEnv) -> Arc<Billing> {
    billing_with(&kit.env)
}

fn billing_with(env: &shared::env::Env) -> Arc<Billing> {
    Arc::new(Billing::new(
        env,
        Arc::new(LocalQueue::new()),
        BillingConfig::local(),
    ))
}

fn document() -> Value {
    serde_json::to_value(billing::openapi()).unwrap()
}

#[test]
fn the_template_and_the_document_list_exactly_the_route_table() {
    checks::assert_one_list_of_routes("BillingFunction", 10, &billing::routes(), &document());
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    checks::assert_serves_document(billing::build_with(billing_on(&kit)), &document()).await;
}

/// Two tenants side by side: partners A and B. The matrix acts as A's side.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    let (env, audit) = kit.audited();
    let router = billing::build_with(billing_with(&env));
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let pa = fixtures.platform("Sparkasse A", Cents(4900)).await;
    let manager_a = fixtures.manager_of("max@sparkasse-a.de", &pa).await;
    let partner_a = fixtures.confirmed_partner("anna@baeckerei-a.de").await;
    let partner_b = fixtures.confirmed_partner("bert@metzgerei-b.de").await;

    let a = partner_a.id.as_str();
    let matrix = Matrix::new(&kit, router, &billing::openapi())
        .own_side(OwnSide {
            operator: operator.id.as_str(),
            manager: manager_a.id.as_str(),
            platform: pa.as_str(),
            partner: a,
        })
        .ids("period", "2026-11", "2026-11")
        .ids("partner_id", a, partner_b.id.as_str());
    let report = matrix.check(&billing::routes()).await;
    report.assert_clean(&billing::routes());
    // Every key the code reached is one its policy grants.
    shared::routes::policy::assert_allowed("BillingFunction", &audit.accesses());
}
