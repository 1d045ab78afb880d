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

/// Every route has a sample API Gateway v2 event in `events/referrals/`, and each goes
/// through lambda_http's mapping into the router as in Lambda (the daily schedule's event
/// is the other binary's).
#[tokio::test]
async fn every_sample_event_reaches_its_handler() {
    use shared::auth::{Role, Scope};
    use shared::clock::Clock;
    use shared::routes::checks::assert_same;
    let kit = TestEnv::new().await;
    let client = Client::in_process(referrals::build(&kit.env));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/referrals");
    let mut covered = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "daily-scheduled.json" {
            continue;
        }
        let raw = std::fs::read_to_string(&path).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        let route_key = event["routeKey"].as_str().unwrap().to_string();
        let (method, path) = route_key.split_once(' ').unwrap();
        let route = referrals::routes()
            .into_iter()
            .find(|r| r.method.as_str() == method && r.path == path)
            .unwrap_or_else(|| panic!("{name}: {route_key} is no route"));
        covered.insert((method.to_string(), path.to_string()));
        let role = match route.access {
            shared::routes::Access::Public => Role::Partner,
            shared::routes::Access::Token { roles, .. } => roles[0],
        };
        let platform = shared::domain::PlatformId::from_raw("01a20996-1d13-756c-954c-72ad0a27051f");
        let scope = match role {
            Role::EndUser => Scope::EndUser(platform),
            Role::Pos => Scope::Pos(shared::domain::PartnerId::from_raw("p-1")),
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
        assert!(!reply.status.is_server_error(), "{name}: {:?}", reply.body);
    }
    assert_same(
        &covered,
        &checks::table_routes(&referrals::routes()),
        "events/referrals",
        "the route table",
    );
}
