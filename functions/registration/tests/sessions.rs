//! Refresh sessions as the web app uses them: the cookie a login sets, one refresh per
//! token, a replayed token ending the whole session, logout, and accounts that changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, TestApp, token_in};
use jiff::SignedDuration;
use serde_json::{Value, json};
use shared::auth::Role;
use shared::testing::Reply;

/// A confirmed partner's login: the answer with its `Set-Cookie`.
async fn partner_login(app: &TestApp, email: &str) -> Reply {
    app.confirmed_partner(email).await;
    login(app, email, PASSWORD).await
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.client
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": email, "password": password})),
            None,
        )
        .await
}

/// The refresh token a `Set-Cookie` carries.
fn refresh_token(reply: &Reply) -> String {
    let cookie = reply
        .headers
        .get(header::SET_COOKIE)
        .expect("a refresh cookie")
        .to_str()
        .unwrap();
    let value = cookie.split(';').next().unwrap();
    value.strip_prefix("pn_refresh=").unwrap().to_string()
}

async fn refresh(app: &TestApp, token: &str) -> Reply {
    let req = Request::post("/auth/refresh")
        .header(header::COOKIE, format!("sprache=de; pn_refresh={token}"))
        .body(Body::empty())
        .unwrap();
    app.client.send(req).await
}

fn access_token(reply: &Reply) -> String {
    reply.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_login_sets_a_strict_cookie_that_refreshes_once_and_a_replay_ends_the_session() {
    let app = TestApp::new().await;
    let logged_in = partner_login(&app, "anna@baeckerei.de").await;
    assert_eq!(logged_in.status, StatusCode::OK, "{:?}", logged_in.body);
    let cookie = logged_in.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/auth",
        "Max-Age=36000",
    ] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(
        !logged_in
            .body
            .to_string()
            .contains(&refresh_token(&logged_in)),
        "never in the body"
    );
    let dump = serde_json::to_string(&app.table.dump().unwrap()).unwrap();
    assert!(
        !dump.contains(&refresh_token(&logged_in)),
        "stored only as a hash"
    );

    // Ten minutes on: a new access token and the next refresh token.
    app.clock.advance(SignedDuration::from_mins(10));
    let first = refresh_token(&logged_in);
    let renewed = refresh(&app, &first).await;
    assert_eq!(renewed.status, StatusCode::OK, "{:?}", renewed.body);
    let second = refresh_token(&renewed);
    assert_ne!(second, first);
    let me = app
        .call("GET", "/partners/me", None, Some(&access_token(&renewed)))
        .await;
    assert_eq!(me.status, StatusCode::OK);

    // The first token again later (a copy): refused, and the whole session ends with it.
    app.clock.advance(SignedDuration::from_secs(
        registration::sessions::GRACE_SECS + 1,
    ));
    let replayed = refresh(&app, &first).await;
    assert_eq!(replayed.status, StatusCode::UNAUTHORIZED);
    assert!(
        replayed.body["detail"]
            .as_str()
            .unwrap()
            .contains("Sitzung")
    );
    assert_eq!(
        refresh(&app, &second).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Without a cookie: not logged in.
    let bare = app
        .client
        .send(Request::post("/auth/refresh").body(Body::empty()).unwrap())
        .await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_lasts_the_working_day_however_often_it_is_refreshed() {
    let app = TestApp::new().await;
    let mut token = refresh_token(&partner_login(&app, "anna@baeckerei.de").await);
    for _ in 0..39 {
        app.clock.advance(SignedDuration::from_mins(15));
        let r = refresh(&app, &token).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        token = refresh_token(&r);
    }
    // 10 hours after the login the day is over.
    app.clock.advance(SignedDuration::from_mins(15));
    assert_eq!(refresh(&app, &token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_and_a_new_password_end_the_session() {
    let app = TestApp::new().await;
    let logged_in = partner_login(&app, "anna@baeckerei.de").await;
    let req = Request::post("/auth/logout")
        .header(
            header::COOKIE,
            format!("pn_refresh={}", refresh_token(&logged_in)),
        )
        .body(Body::empty())
        .unwrap();
    let out = app.client.send(req).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        refresh(&app, &refresh_token(&logged_in)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A password reset ends every session of the account at its next refresh.
    let again = login(&app, "anna@baeckerei.de", PASSWORD).await;
    let token = refresh_token(&again);
    app.call(
        "POST",
        "/auth/password-reset",
        Some(json!({"login": "anna@baeckerei.de"})),
        None,
    )
    .await;
    let reset = token_in(&app.mails().await.last().unwrap().text);
    let r = app
        .call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": reset, "password": "ein-ganz-neues-1"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(refresh(&app, &token).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_disabled_account_cannot_refresh() {
    use shared::model::accounts;
    use shared::store::{Cond, Table, Update};
    let app = TestApp::new().await;
    let logged_in = partner_login(&app, "anna@baeckerei.de").await;
    let body: Value = logged_in.body.clone();
    assert_eq!(body["role"], Role::Partner.as_str());
    let key = accounts::login_key(
        &shared::auth::Scope::Platform,
        &accounts::LoginName::parse("anna@baeckerei.de").unwrap(),
    );
    app.table
        .update(
            &key,
            &[Update::Set(accounts::attr::DISABLED, true.into())],
            Cond::Exists,
        )
        .await
        .unwrap();
    assert_eq!(
        refresh(&app, &refresh_token(&logged_in)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A reload during a refresh loses the answer with the new cookie; the browser sends the
/// old token again a moment later. Within the window that is no copy: the session goes on,
/// and the token whose answer was lost ends nothing either.
#[tokio::test]
async fn a_refresh_whose_answer_was_lost_can_be_repeated_at_once() {
    let app = TestApp::new().await;
    let logged_in = partner_login(&app, "anna@baeckerei.de").await;
    let first = refresh_token(&logged_in);
    app.clock.advance(SignedDuration::from_mins(10));
    let lost = refresh(&app, &first).await;
    assert_eq!(lost.status, StatusCode::OK, "{:?}", lost.body);

    app.clock.advance(SignedDuration::from_secs(2));
    let again = refresh(&app, &first).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    let kept = refresh_token(&again);
    assert_ne!(kept, refresh_token(&lost));
    let me = app
        .call("GET", "/partners/me", None, Some(&access_token(&again)))
        .await;
    assert_eq!(me.status, StatusCode::OK);

    app.clock.advance(SignedDuration::from_mins(10));
    let next = refresh(&app, &kept).await;
    assert_eq!(next.status, StatusCode::OK, "{:?}", next.body);
}
