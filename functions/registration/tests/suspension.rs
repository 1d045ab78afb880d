//! A platform's manager suspends a partner there with a reason, and reinstates it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{Response, TestApp, field_names};
use serde_json::json;
use shared::auth::Role;

const REASON: &str = "Mehrere Beschwerden über nicht eingelöste Gutscheine.";

async fn suspend(
    app: &TestApp,
    platform: &str,
    partner: &str,
    reason: &str,
    token: &str,
) -> Response {
    app.call(
        "POST",
        &format!("/platforms/{platform}/partners/{partner}/suspension"),
        Some(json!({ "reason": reason })),
        Some(token),
    )
    .await
}

/// A subscribed partner: signed up, mandate given, applied and approved.
async fn subscribed(app: &TestApp, platform: &str, manager: &str) -> (String, String) {
    let (jwt, partner) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(platform, &jwt).await;
    let approved = app
        .decide(platform, &partner, json!({"decision": "approve"}), manager)
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    (jwt, partner)
}

#[tokio::test]
async fn a_suspended_partner_reads_the_reason_in_its_platform_list_and_is_mailed_once() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let (jwt, partner) = subscribed(&app, &platform, &manager).await;
    let mails_before = app.mails().await.len();

    let r = suspend(&app, &platform, &partner, REASON, &manager).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "approved", "the contract itself runs on");
    assert_eq!(r.body["suspension"]["reason"], REASON);

    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.subject.contains("gesperrt"), "{}", mail.subject);
    assert!(mail.text.contains("Sparkasse Vorteilswelt"));
    assert!(mail.text.contains(REASON));
    assert!(mail.text.contains("nicht mehr gezeigt"));
    assert!(mail.text.contains("Gebühr"));

    let mine = app
        .call("GET", "/partners/me/platforms", None, Some(&jwt))
        .await;
    let listed = &mine.body["applications"][0];
    assert_eq!(listed["suspension"]["reason"], REASON);
    assert_eq!(
        listed["suspension"]["suspended_at"],
        shared::clock::Clock::now(app.kit.clock.as_ref()).to_string()
    );

    // Again: the same answer, no second mail.
    let again = suspend(&app, &platform, &partner, "Noch einmal.", &manager).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["suspension"]["reason"], REASON);
    assert_eq!(app.mails().await.len(), mails_before + 1);

    // Reinstated: the list shows no suspension, the partner is told; twice mails once.
    let path = format!("/platforms/{platform}/partners/{partner}/suspension");
    let back = app.call("DELETE", &path, None, Some(&manager)).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert!(back.body.get("suspension").is_none());
    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(
        mail.subject.contains("wieder freigeschaltet"),
        "{}",
        mail.subject
    );
    let twice = app.call("DELETE", &path, None, Some(&manager)).await;
    assert_eq!(twice.status, StatusCode::OK);
    assert_eq!(app.mails().await.len(), mails_before + 2);
    let mine = app
        .call("GET", "/partners/me/platforms", None, Some(&jwt))
        .await;
    assert!(mine.body["applications"][0].get("suspension").is_none());
}

#[tokio::test]
async fn only_the_platforms_manager_suspends_a_running_subscription_with_a_reason() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let other = app.platform("Volksbank Vorteile", 3900).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let foreign = app.token("m-2", Role::Manager, None, &[&other]);
    let (jwt, partner) = subscribed(&app, &platform, &manager).await;

    let short = suspend(&app, &platform, &partner, " ab ", &manager).await;
    assert_eq!(field_names(&short.body), ["reason"]);
    let long = suspend(&app, &platform, &partner, &"x".repeat(1001), &manager).await;
    assert_eq!(field_names(&long.body), ["reason"]);
    let denied = suspend(&app, &platform, &partner, REASON, &foreign).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let as_partner = suspend(&app, &platform, &partner, REASON, &jwt).await;
    assert_eq!(as_partner.status, StatusCode::FORBIDDEN);
    // Where the partner does not take part (only applied, or never), there is nothing to
    // suspend.
    let not_there = suspend(
        &app,
        &other,
        &partner,
        REASON,
        &app.token("m-2", Role::Manager, None, &[&other]),
    )
    .await;
    assert_eq!(not_there.status, StatusCode::NOT_FOUND);
    app.apply(&other, &jwt).await;
    let pending = suspend(&app, &other, &partner, REASON, &foreign).await;
    assert_eq!(pending.status, StatusCode::NOT_FOUND, "{}", pending.body);

    let mine = app
        .call("GET", "/partners/me/platforms", None, Some(&jwt))
        .await;
    assert!(
        mine.body["applications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.get("suspension").is_none())
    );
}
