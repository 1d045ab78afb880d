//! The operator's console on platforms: renaming, a fee change from a stated month, the
//! managers listed and removed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{TestApp, field_names, token_in};
use serde_json::json;
use shared::auth::Role;
use shared::domain::Month;
use shared::model::runs::run_key;
use shared::store::{Cond, Item};
use shared::testing::Reply;

const MANAGER_PASSWORD: &str = "manager-passwort-1";

fn this_month(app: &TestApp) -> Month {
    Month::of(shared::clock::Clock::today(app.clock.as_ref()))
}

/// Invites `email` to `platform` and accepts the invitation: the manager's account id.
async fn invited_manager(app: &TestApp, platform: &str, email: &str, name: &str) -> String {
    let invited = app
        .call(
            "POST",
            &format!("/platforms/{platform}/managers"),
            Some(json!({"email": email, "name": name})),
            Some(&app.operator_token()),
        )
        .await;
    assert!(invited.status.is_success(), "{:?}", invited.body);
    if invited.status == StatusCode::CREATED {
        let token = token_in(&app.last_mail_to(email).await.text);
        let accepted = app
            .call(
                "POST",
                "/auth/invitations/accept",
                Some(json!({"token": token, "password": MANAGER_PASSWORD})),
                None,
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    }
    let list = app
        .call(
            "GET",
            &format!("/platforms/{platform}/managers"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    let managers = list.body["managers"].as_array().unwrap();
    let me = managers.iter().find(|m| m["email"] == email).unwrap();
    me["account_id"].as_str().unwrap().to_string()
}

async fn manager_login(app: &TestApp, email: &str) -> Reply {
    app.client
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": email, "password": MANAGER_PASSWORD})),
            None,
        )
        .await
}

async fn refresh(app: &TestApp, login: &Reply) -> Reply {
    let cookie = login.headers[header::SET_COOKIE].to_str().unwrap();
    let value = cookie.split(';').next().unwrap().to_string();
    let req = Request::post("/auth/refresh")
        .header(header::COOKIE, value)
        .body(Body::empty())
        .unwrap();
    app.client.send(req).await
}

async fn fee_change(app: &TestApp, platform: &str, from: &str, cents: i64) -> common::Response {
    app.call(
        "POST",
        &format!("/platforms/{platform}/fee-changes"),
        Some(json!({"from": from, "monthly_fee_cents": cents})),
        Some(&app.operator_token()),
    )
    .await
}

#[tokio::test]
async fn the_operator_renames_a_platform_and_the_list_shows_it() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let renamed = app
        .call(
            "PATCH",
            &format!("/platforms/{platform}"),
            Some(json!({"name": "Sparkasse Vorteilswelt Plus"})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "Sparkasse Vorteilswelt Plus");
    let list = app.call("GET", "/platforms", None, None).await;
    assert_eq!(
        list.body["platforms"][0]["name"],
        "Sparkasse Vorteilswelt Plus"
    );
    assert_eq!(list.body["platforms"].as_array().unwrap().len(), 1);
    let empty = app
        .call(
            "PATCH",
            &format!("/platforms/{platform}"),
            Some(json!({"name": "  "})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&empty.body), ["name"]);
}

#[tokio::test]
async fn a_fee_changes_from_a_stated_month_and_never_for_a_month_billed() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let now = this_month(&app);
    let next = now.next();

    let changed = fee_change(&app, &platform, &next.to_string(), 5900).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(
        changed.body["monthly_fee"], "49,00 €",
        "this month keeps its fee"
    );
    assert_eq!(changed.body["upcoming_fees"][0]["from"], next.to_string());
    assert_eq!(changed.body["upcoming_fees"][0]["monthly_fee"], "59,00 €");
    let list = app.call("GET", "/platforms", None, None).await;
    assert_eq!(list.body["platforms"][0]["monthly_fee_cents"], 4900);
    assert_eq!(
        list.body["platforms"][0]["upcoming_fees"][0]["monthly_fee_cents"],
        5900
    );

    // A month that has passed.
    let past = fee_change(&app, &platform, &now.previous().to_string(), 3900).await;
    assert_eq!(
        past.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        past.body
    );
    assert_eq!(field_names(&past.body), ["from"]);
    assert!(
        past.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("vergangen")
    );

    // This month, whose run has started.
    let mut run = Item::new();
    let key = run_key(now);
    run.insert("pk".into(), key.pk.into());
    run.insert("sk".into(), key.sk.into());
    app.table().put(run, Cond::NotExists).await.unwrap();
    let billed = fee_change(&app, &platform, &now.to_string(), 3900).await;
    assert_eq!(
        billed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        billed.body
    );
    assert_eq!(field_names(&billed.body), ["from"]);
    assert!(
        billed.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("abgerechnet")
    );
    let list = app.call("GET", "/platforms", None, None).await;
    assert_eq!(
        list.body["platforms"][0]["monthly_fee_cents"], 4900,
        "nothing changed"
    );

    // A later change from an earlier month replaces the ones after it.
    let later = fee_change(&app, &platform, &next.next().to_string(), 6900).await;
    assert_eq!(later.body["upcoming_fees"].as_array().unwrap().len(), 2);
    let earlier = fee_change(&app, &platform, &next.to_string(), 5500).await;
    assert_eq!(earlier.status, StatusCode::OK);
    assert_eq!(earlier.body["upcoming_fees"].as_array().unwrap().len(), 1);
    let list = app.call("GET", "/platforms", None, None).await;
    assert_eq!(
        list.body["platforms"][0]["upcoming_fees"][0]["from"],
        next.to_string()
    );
    assert_eq!(earlier.body["upcoming_fees"][0]["monthly_fee"], "55,00 €");

    let bad = fee_change(&app, &platform, "2027-13", -1).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&bad.body), ["from", "monthly_fee_cents"]);
}

#[tokio::test]
async fn this_months_fee_changes_while_its_run_has_not_started() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let now = this_month(&app);
    let changed = fee_change(&app, &platform, &now.to_string(), 5900).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["monthly_fee"], "59,00 €");
    assert_eq!(changed.body.get("upcoming_fees"), None, "none stated");
}

#[tokio::test]
async fn only_the_operator_edits_platforms_and_their_managers() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (partner, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let account = "01a20996-1d13-756c-954c-72ad0a270520";
    for token in [&partner, &manager] {
        for (method, path, body) in [
            (
                "PATCH",
                format!("/platforms/{platform}"),
                Some(json!({"name": "X"})),
            ),
            (
                "POST",
                format!("/platforms/{platform}/fee-changes"),
                Some(json!({"from": "2030-01", "monthly_fee_cents": 1})),
            ),
            ("GET", format!("/platforms/{platform}/managers"), None),
            (
                "DELETE",
                format!("/platforms/{platform}/managers/{account}"),
                None,
            ),
        ] {
            let r = app.call(method, &path, body, Some(token)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
    let list = app.call("GET", "/platforms", None, None).await;
    assert_eq!(list.body["platforms"][0]["name"], "Sparkasse Vorteilswelt");
}

#[tokio::test]
async fn a_removed_manager_is_refused_at_once_and_cannot_refresh_or_log_in() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let max = invited_manager(&app, &platform, "max@sparkasse.example", "Max Manager").await;
    invited_manager(&app, &platform, "erika@sparkasse.example", "Erika Muster").await;
    let list = app
        .call(
            "GET",
            &format!("/platforms/{platform}/managers"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    let names: Vec<_> = list.body["managers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Erika Muster", "Max Manager"]);
    assert_eq!(list.body["managers"][1]["accepted"], true);

    let logged_in = manager_login(&app, "max@sparkasse.example").await;
    let jwt = logged_in.body["access_token"].as_str().unwrap().to_string();
    let queue = format!("/platforms/{platform}/applications");
    assert_eq!(
        app.call("GET", &queue, None, Some(&jwt)).await.status,
        StatusCode::OK
    );

    let removed = app
        .call(
            "DELETE",
            &format!("/platforms/{platform}/managers/{max}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["remaining_platforms"], json!([]));

    let refused = app.call("GET", &queue, None, Some(&jwt)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("gesperrt")
    );
    assert_eq!(
        refresh(&app, &logged_in).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = manager_login(&app, "max@sparkasse.example").await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(again.body["detail"].as_str().unwrap().contains("gesperrt"));
    let list = app
        .call(
            "GET",
            &format!("/platforms/{platform}/managers"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(list.body["managers"].as_array().unwrap().len(), 1);
    let twice = app
        .call(
            "DELETE",
            &format!("/platforms/{platform}/managers/{max}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);

    // Invited again, the manager works again.
    invited_manager(&app, &platform, "max@sparkasse.example", "Max Manager").await;
    let back = manager_login(&app, "max@sparkasse.example").await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
}

#[tokio::test]
async fn a_manager_removed_from_one_of_two_platforms_logs_in_again_for_the_other() {
    let app = TestApp::new().await;
    let first = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let second = app.platform("Volksbank Vorteile", 3900).await;
    let max = invited_manager(&app, &first, "max@sparkasse.example", "Max Manager").await;
    invited_manager(&app, &second, "max@sparkasse.example", "Max Manager").await;
    let logged_in = manager_login(&app, "max@sparkasse.example").await;
    let jwt = logged_in.body["access_token"].as_str().unwrap().to_string();

    let removed = app
        .call(
            "DELETE",
            &format!("/platforms/{first}/managers/{max}"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(removed.body["remaining_platforms"], json!([second]));
    let old = app
        .call(
            "GET",
            &format!("/platforms/{second}/applications"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert!(old.body["detail"].as_str().unwrap().contains("erneut an"));
    assert_eq!(
        refresh(&app, &logged_in).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A login a second later carries only the platform left.
    app.clock.advance(jiff::SignedDuration::from_secs(1));
    let again = manager_login(&app, "max@sparkasse.example").await;
    let jwt = again.body["access_token"].as_str().unwrap().to_string();
    let kept = app
        .call(
            "GET",
            &format!("/platforms/{second}/applications"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    let gone = app
        .call(
            "GET",
            &format!("/platforms/{first}/applications"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_manager_invited_before_the_list_existed_is_listed_when_invited_again() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let id = shared::domain::PlatformId::from_raw(platform.clone());
    app.fixtures()
        .manager_of("alt@sparkasse.example", &id)
        .await;
    let path = format!("/platforms/{platform}/managers");
    let before = app
        .call("GET", &path, None, Some(&app.operator_token()))
        .await;
    assert_eq!(before.body["managers"], json!([]));
    let body = json!({"email": "alt@sparkasse.example", "name": "Alt"});
    let again = app
        .call(
            "POST",
            &path,
            Some(body.clone()),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    let after = app
        .call("GET", &path, None, Some(&app.operator_token()))
        .await;
    assert_eq!(after.body["managers"][0]["email"], "alt@sparkasse.example");
    let twice = app
        .call("POST", &path, Some(body), Some(&app.operator_token()))
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}
