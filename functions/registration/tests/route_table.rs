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
    checks::table_routes(&registration::routes())
}

fn document() -> Value {
    serde_json::to_value(registration::openapi()).unwrap()
}

#[test]
fn every_template_route_is_in_the_route_table_and_vice_versa() {
    let in_template = template_routes("RegistrationFunction");
    assert_same(
        &in_template,
        &table_routes(),
        "the template",
        "the route table",
    );
    assert_eq!(in_template.len(), 18);
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
    checks::assert_document_states_access(&document(), &registration::routes());
}

#[tokio::test]
async fn the_function_serves_its_document() {
    let kit = TestEnv::new().await;
    checks::assert_serves_document(registration::build(&kit.env), &document()).await;
}

/// Two tenants side by side: partners A and B, each applied (pending, with a mandate) to
/// its own platform PA or PB, whose managers are MA and MB. The matrix acts as A's side.
#[tokio::test]
async fn every_protected_route_refuses_the_wrong_caller_and_changes_nothing() {
    let kit = TestEnv::new().await;
    let router = registration::build(&kit.env);
    let client = Client::in_process(router.clone());
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let pa = fixtures.platform("Sparkasse A", Cents(4900)).await;
    let pb = fixtures.platform("Volksbank B", Cents(3900)).await;
    let manager_a = fixtures.manager_of("max@sparkasse-a.de", &pa).await;
    fixtures.manager_of("mia@volksbank-b.de", &pb).await;
    let partner_a = fixtures.confirmed_partner("anna@baeckerei-a.de").await;
    let partner_b = fixtures.confirmed_partner("bert@metzgerei-b.de").await;
    for (partner, platform) in [(&partner_a, &pa), (&partner_b, &pb)] {
        let mandate = client
            .call(
                "PUT",
                "/partners/me/sepa-mandate",
                Some(json!({"account_holder": "Inhaber", "iban": "DE89370400440532013000"})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(mandate.status, StatusCode::OK, "{:?}", mandate.body);
        let applied = client
            .call(
                "POST",
                &format!("/partners/me/platforms/{platform}"),
                None,
                Some(&partner.token),
            )
            .await;
        assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
    }

    let a = partner_a.id.as_str();
    let tenant_scoped =
        |role: Role, scope: Scope| Caller::new(role, "konto-a").tenant(a).scope(scope);
    let matrix = Matrix::new(&kit, router, &registration::openapi())
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
        .ids("platform_id", pa.as_str(), pb.as_str())
        .ids("partner_id", a, partner_b.id.as_str());
    let report = matrix.check(&registration::routes()).await;

    assert!(
        report.findings.is_empty(),
        "{} finding(s):\n{}",
        report.findings.len(),
        report.findings.join("\n")
    );
    let protected = registration::routes()
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
