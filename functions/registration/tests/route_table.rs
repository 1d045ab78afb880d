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
    serde_json::to_value(registration::openapi()).unwrap()
}

#[test]
fn the_template_and_the_document_list_exactly_the_route_table() {
    checks::assert_one_list_of_routes(
        "RegistrationFunction",
        36,
        &registration::routes(),
        &document(),
    );
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
    let (env, audit) = kit.audited();
    let router = registration::build(&env);
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
    let matrix = Matrix::new(&kit, router, &registration::openapi())
        .own_side(OwnSide {
            operator: operator.id.as_str(),
            manager: manager_a.id.as_str(),
            platform: pa.as_str(),
            partner: a,
        })
        .ids("platform_id", pa.as_str(), pb.as_str())
        .ids("partner_id", a, partner_b.id.as_str());
    let report = matrix.check(&registration::routes()).await;
    report.assert_clean(&registration::routes());
    // The managers' digest (B's application still waits) reaches the managers' index,
    // the queues and its markers.
    let digest = registration::digest::run(&env, shared::clock::Clock::today(kit.clock.as_ref()))
        .await
        .unwrap();
    assert!(digest.sent >= 1, "{digest:?}");
    // Every key the code reached is one its policy grants.
    shared::routes::policy::assert_allowed("RegistrationFunction", &audit.accesses());
}

/// What the account's own routes and the public ones reach (sessions, the hourly mails per
/// address, a sign-up giving way, a login moving, a closed partner's revocation) is what
/// the policy grants: the matrix above reaches only the protected routes' refusals.
#[tokio::test]
async fn the_account_journey_reaches_only_what_the_policy_grants() {
    use axum::body::Body;
    use axum::http::{Request, header};

    let kit = TestEnv::new().await;
    let (env, audit) = kit.audited();
    let client = Client::in_process(registration::build(&env));
    let call = |method: &'static str, path: &'static str, body: Value, token: Option<String>| {
        let client = client.clone();
        async move {
            client
                .call(method, path, Some(body), token.as_deref())
                .await
        }
    };
    let sign_up = json!({
        "company": "Bäckerei Müller", "contact_name": "Anna Müller",
        "email": "anna@baeckerei.de", "password": shared::testing::PASSWORD, "accept_terms": true
    });
    // A second sign-up replaces the first nobody confirmed.
    for _ in 0..2 {
        let r = call("POST", "/partners", sign_up.clone(), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    let token = kit.token_from_mail("anna@baeckerei.de").await;
    let r = call("POST", "/partners/confirm", json!({"token": token}), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let credentials = json!({"login": "anna@baeckerei.de", "password": shared::testing::PASSWORD});
    let login = call("POST", "/auth/login", credentials, None).await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    let jwt = login.body["access_token"].as_str().unwrap().to_string();
    let cookie = login.headers[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let refreshed = client
        .send(
            Request::post("/auth/refresh")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);

    let r = call(
        "POST",
        "/auth/password",
        json!({"current_password": shared::testing::PASSWORD, "new_password": "ein-ganz-neues-passwort"}),
        Some(jwt.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = call(
        "POST",
        "/partners/me/email",
        json!({"current_password": "ein-ganz-neues-passwort", "new_email": "anna@neue-baeckerei.de"}),
        Some(jwt.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let token = kit.token_from_mail("anna@neue-baeckerei.de").await;
    let r = call(
        "POST",
        "/partners/email/confirm",
        json!({"token": token}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = client
        .call("GET", "/partners/me/export", None, Some(&jwt))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = client
        .call("GET", "/partners/me/closure", None, Some(&jwt))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = call(
        "POST",
        "/partners/me/closure",
        json!({"current_password": "ein-ganz-neues-passwort"}),
        Some(jwt.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = client.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        "POST",
        "/auth/password-reset",
        json!({"login": "anna@neue-baeckerei.de"}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);

    // The operator's console: a platform renamed, its fee changed, a manager removed.
    let ops = kit
        .fixtures()
        .operator("betrieb@partnernetz.de")
        .await
        .token;
    let created = client
        .call(
            "POST",
            "/platforms",
            Some(json!({"name": "Sparkasse", "monthly_fee_cents": 4900})),
            Some(&ops),
        )
        .await;
    let platform = created.body["id"].as_str().unwrap().to_string();
    let path = |tail: &str| format!("/platforms/{platform}{tail}");
    let this_month = shared::domain::Month::of(shared::clock::Clock::today(kit.clock.as_ref()));
    for (method, path, body) in [
        ("PATCH", path(""), Some(json!({"name": "Sparkasse Plus"}))),
        (
            "POST",
            path("/fee-changes"),
            Some(json!({"from": this_month.to_string(), "monthly_fee_cents": 5900})),
        ),
        (
            "POST",
            path("/managers"),
            Some(json!({"email": "max@sparkasse.example", "name": "Max"})),
        ),
    ] {
        let r = client.call(method, &path, body, Some(&ops)).await;
        assert!(r.status.is_success(), "{method} {path}: {:?}", r.body);
    }
    let token = kit.token_from_mail("max@sparkasse.example").await;
    let r = call(
        "POST",
        "/auth/invitations/accept",
        json!({"token": token, "password": "manager-passwort-1"}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let managers = client
        .call("GET", &path("/managers"), None, Some(&ops))
        .await;
    let manager = managers.body["managers"][0]["account_id"].as_str().unwrap();
    let r = client
        .call(
            "DELETE",
            &path(&format!("/managers/{manager}")),
            None,
            Some(&ops),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    shared::routes::policy::assert_allowed("RegistrationFunction", &audit.accesses());
}
