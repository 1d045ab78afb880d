//! The route table is the one list of routes: `infra/template.yaml`, the OpenAPI document
//! and the access matrix are checked against it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::domain::Cents;
use shared::routes::checks;
use shared::routes::matrix::{Matrix, OwnSide};
use shared::testing::{Client, TestEnv};

fn document() -> Value {
    serde_json::to_value(referrals::openapi()).unwrap()
}

#[test]
fn the_template_and_the_document_list_exactly_the_route_table() {
    checks::assert_one_list_of_routes("ReferralsFunction", 29, &referrals::routes(), &document());
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
    let (env, audit) = kit.audited();
    let dns = std::sync::Arc::new(referrals::dns::StaticDns::default());
    let router = referrals::build_with(&env, dns.clone());
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
        // Programs run for a partner with a mandate and an approved subscription.
        fixtures
            .give_mandate(&partner.id, kit.env.data_key().unwrap())
            .await;
        fixtures
            .approve(
                partner,
                &pa,
                "Sparkasse A",
                shared::clock::Clock::today(&kit.clock),
            )
            .await;
        let put = client
            .call(
                "PUT",
                "/partners/me/referral-domains",
                Some(json!({"domains": [domain]})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
        let listed = &put.body["domains"][0];
        dns.add(
            listed["txt_name"].as_str().unwrap(),
            listed["txt_value"].as_str().unwrap(),
        );
        let verified = client
            .call(
                "POST",
                &format!("/partners/me/referral-domains/{domain}/verification"),
                None,
                Some(&partner.token),
            )
            .await;
        assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
        let program = client
            .call(
                "POST",
                "/programs",
                Some(json!({"name": "Werben", "landing_url": format!("https://{domain}/"), "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 500}}], "attribution_days": 30, "attribution": "first", "hold_days": 14, "monthly_budget_cents": 50000})),
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

    // A voucher of each partner in some end user's wallet.
    let mut codes = Vec::new();
    for (partner, program) in [(&partner_a, &programs[0]), (&partner_b, &programs[1])] {
        let (voucher, ops) = referrals::vouchers::issue(
            &shared::domain::AccountId::generate(),
            shared::domain::new_id(),
            &shared::domain::ProgramId::from_raw(program.clone()),
            &partner.id,
            Cents(500),
            shared::clock::Clock::now(&kit.clock),
        )
        .unwrap();
        shared::store::Table::transact(kit.table.as_ref(), ops)
            .await
            .unwrap();
        codes.push(voucher.code);
    }

    let a = partner_a.id.as_str();
    let matrix = Matrix::new(&kit, router, &referrals::openapi())
        .own_side(OwnSide {
            operator: operator.id.as_str(),
            manager: manager_a.id.as_str(),
            platform: pa.as_str(),
            partner: a,
        })
        .ids("program_id", programs[0].as_str(), programs[1].as_str())
        .ids("prefix", prefixes[0].as_str(), prefixes[1].as_str())
        .ids("code", codes[0].as_str(), codes[1].as_str());
    let report = matrix.check(&referrals::routes()).await;
    report.assert_clean(&referrals::routes());
    // Every key the code reached is one its policy grants.
    shared::routes::policy::assert_allowed("ReferralsFunction", &audit.accesses());
}
