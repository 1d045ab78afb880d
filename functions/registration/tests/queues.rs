//! A platform's queue of applications as its manager's console shows it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::TestApp;
use jiff::SignedDuration;
use serde_json::json;
use shared::auth::Role;

#[tokio::test]
async fn the_pending_applications_come_oldest_first_with_the_company_data() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (anna, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let profile = app
        .call(
            "PATCH",
            "/partners/me",
            Some(json!({"vat_id": "DE123456789", "address": {"street": "Hauptstr. 1", "postal_code": "50667", "city": "Köln"}})),
            Some(&anna),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{:?}", profile.body);
    app.add_mandate(&anna).await;
    app.apply(&platform, &anna).await;
    let applied_first = shared::clock::Clock::now(app.kit.clock.as_ref());
    app.kit.clock.advance(SignedDuration::from_hours(26));
    let (bert, _) = app.confirmed_partner("bert@metzgerei.de").await;
    app.add_mandate(&bert).await;
    app.apply(&platform, &bert).await;

    // Signed in the next day.
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let list = app
        .call(
            "GET",
            &format!("/platforms/{platform}/applications?status=pending"),
            None,
            Some(&manager),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let apps = list.body["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 2);
    let first = &apps[0];
    assert_eq!(first["contact_email"], "anna@baeckerei.de");
    assert_eq!(
        first["applied_at"],
        applied_first.to_string(),
        "waiting since"
    );
    assert_eq!(first["company"], "Bäckerei Müller");
    assert_eq!(first["vat_id"], "DE123456789");
    assert_eq!(
        first["address"],
        json!({"street": "Hauptstr. 1", "postal_code": "50667", "city": "Köln", "country": "DE"})
    );
    assert_eq!(first["contact_name"], "Anna Müller");
    assert_eq!(apps[1]["contact_email"], "bert@metzgerei.de");
    assert!(apps[1].get("vat_id").is_none(), "none given");
}
