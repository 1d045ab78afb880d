//! The operator's console on partners: search, overview and disabling an account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, TestApp, field_names};
use serde_json::{Value, json};
use shared::auth::Role;

/// A confirmed partner renamed to `company`: its token and id.
async fn partner(app: &TestApp, email: &str, company: &str) -> (String, String) {
    let (jwt, id) = app.confirmed_partner(email).await;
    let r = app
        .call(
            "PATCH",
            "/partners/me",
            Some(json!({"company": company})),
            Some(&jwt),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    (jwt, id)
}

async fn search(app: &TestApp, query: &str) -> Value {
    let r = app
        .call(
            "GET",
            &format!("/partners?{query}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

fn companies(page: &Value) -> Vec<String> {
    page["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["company"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_operator_finds_partners_by_company_or_address_in_any_case_page_by_page() {
    let app = TestApp::new().await;
    partner(&app, "anna@baeckerei-mueller.de", "Bäckerei Müller").await;
    app.clock.advance(jiff::SignedDuration::from_secs(1));
    partner(&app, "info@blumen-schmidt.de", "Blumen Schmidt").await;
    app.clock.advance(jiff::SignedDuration::from_secs(1));
    partner(&app, "kontakt@backstube.de", "Backstube Am Markt").await;

    assert_eq!(
        companies(&search(&app, "").await),
        ["Backstube Am Markt", "Blumen Schmidt", "Bäckerei Müller"],
        "newest sign-up first"
    );
    assert_eq!(
        companies(&search(&app, "q=B%C3%84CKEREI").await),
        ["Bäckerei Müller"]
    );
    assert_eq!(
        companies(&search(&app, "q=BLUMEN-schmidt.DE").await),
        ["Blumen Schmidt"]
    );
    assert_eq!(
        companies(&search(&app, "q=back").await),
        ["Backstube Am Markt"],
        "company or address"
    );
    let first = search(&app, "q=b&limit=2").await;
    assert_eq!(companies(&first), ["Backstube Am Markt", "Blumen Schmidt"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = search(&app, &format!("q=b&limit=2&cursor={cursor}")).await;
    assert_eq!(companies(&second), ["Bäckerei Müller"]);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(second["partners"][0]["state"], "active");
    assert_eq!(second["partners"][0]["email"], "anna@baeckerei-mueller.de");

    let long = app
        .call(
            "GET",
            &format!("/partners?q={}", "x".repeat(101)),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&long.body), ["q"]);
}

#[tokio::test]
async fn the_overview_shows_company_subscriptions_with_fee_and_the_mandate_masked() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&platform, &jwt).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let decided = app
        .decide(&platform, &id, json!({"decision": "approve"}), &manager)
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);

    let r = app
        .call(
            "GET",
            &format!("/partners/{id}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let o = &r.body;
    assert_eq!(o["company"], "Bäckerei Müller");
    assert_eq!(o["email"], "anna@baeckerei.de");
    assert_eq!(o["state"], "active");
    let sub = &o["subscriptions"][0];
    assert_eq!(sub["platform_name"], "Sparkasse Vorteilswelt");
    assert_eq!(sub["status"], "approved");
    assert_eq!(sub["monthly_fee_cents"], 4900);
    assert_eq!(sub["ends_on"], Value::Null);
    assert_eq!(sub["shown"], true);
    let iban = o["mandate"]["iban"].as_str().unwrap();
    assert!(iban.starts_with("DE89") && !iban.contains("3704"), "{iban}");
    assert_eq!(o["card_contract"], Value::Null);
    assert_eq!(o["customer_account"], Value::Null);

    let unknown = app
        .call(
            "GET",
            "/partners/01a20996-1d13-756c-954c-72ad0a27051e",
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_disabled_partner_is_refused_at_once_mailed_the_reason_and_shown_nowhere() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&platform, &jwt).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    app.decide(&platform, &id, json!({"decision": "approve"}), &manager)
        .await;
    let logged_in = app
        .client
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": "anna@baeckerei.de", "password": PASSWORD})),
            None,
        )
        .await;

    let blank = app
        .call(
            "POST",
            &format!("/partners/{id}/disable"),
            Some(json!({"reason": "  "})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&blank.body), ["reason"]);

    let reason = "Die Lastschriften wurden wiederholt zurückgegeben.";
    let disabled = app
        .call(
            "POST",
            &format!("/partners/{id}/disable"),
            Some(json!({"reason": reason})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{:?}", disabled.body);
    assert_eq!(disabled.body["state"], "disabled");

    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);
    assert!(me.body["detail"].as_str().unwrap().contains("gesperrt"));
    let cookie = logged_in.headers[header::SET_COOKIE].to_str().unwrap();
    let refresh = app
        .client
        .send(
            Request::post("/auth/refresh")
                .header(header::COOKIE, cookie.split(';').next().unwrap())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
    let again = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": "anna@baeckerei.de", "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);

    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.subject.contains("gesperrt"), "{}", mail.subject);
    assert!(mail.text.contains(reason), "{}", mail.text);

    let o = app
        .call(
            "GET",
            &format!("/partners/{id}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(o.body["state"], "disabled");
    assert_eq!(o.body["disabled"]["reason"], reason);
    assert_eq!(
        o.body["subscriptions"][0]["status"], "approved",
        "the contract runs on"
    );
    assert_eq!(o.body["subscriptions"][0]["shown"], false);

    // Asked again, nothing is written or sent again.
    let mails = app.mails().await.len();
    let twice = app
        .call(
            "POST",
            &format!("/partners/{id}/disable"),
            Some(json!({"reason": "anders"})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(twice.status, StatusCode::OK);
    assert_eq!(app.mails().await.len(), mails);
    let o = app
        .call(
            "GET",
            &format!("/partners/{id}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(o.body["disabled"]["reason"], reason);
}

#[tokio::test]
async fn only_the_operator_searches_sees_and_disables_partners() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, id) = app.confirmed_partner("anna@baeckerei.de").await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    for token in [&jwt, &manager] {
        for (method, path, body) in [
            ("GET", "/partners".to_string(), None),
            ("GET", format!("/partners/{id}"), None),
            (
                "POST",
                format!("/partners/{id}/disable"),
                Some(json!({"reason": "Test"})),
            ),
        ] {
            let r = app.call(method, &path, body, Some(token)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.status, StatusCode::OK, "the partner still works");
}
