//! Sign-up, confirmation, login and password reset, through the router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{PASSWORD, TestApp, field_names, sign_up};
use serde_json::json;
use shared::auth::Scope;
use shared::domain::Email;
use shared::model::accounts::{LoginName, login_key};
use shared::testing::assert_problem;

#[tokio::test]
async fn sign_up_mails_a_german_confirmation_and_creates_no_fee() {
    let app = TestApp::new().await;
    let r = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("anna@baeckerei.de")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.subject.contains("bestätigen"), "{}", mail.subject);
    assert!(mail.text.contains("Guten Tag Anna Müller"));
    assert!(mail.text.contains("48 Stunden"));
    assert!(
        mail.html
            .contains("<a href=\"https://partnernetz.de/registrierung/bestaetigen?token=")
    );
    let jwt = {
        let token = common::token_in(&mail.text);
        let c = app
            .call(
                "POST",
                "/partners/confirm",
                Some(json!({"token": token})),
                None,
            )
            .await;
        assert_eq!(c.status, StatusCode::OK);
        app.login("anna@baeckerei.de", PASSWORD).await
    };
    let mine = app
        .call("GET", "/partners/me/platforms", None, Some(&jwt))
        .await;
    assert_eq!(
        mine.body["applications"],
        json!([]),
        "registration alone subscribes to nothing"
    );
}

#[tokio::test]
async fn a_known_address_gets_the_same_answer_and_an_already_registered_mail() {
    let app = TestApp::new().await;
    let first = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("anna@baeckerei.de")),
            None,
        )
        .await;
    // Confirmed: the address is taken (an unconfirmed one would give way).
    let token = app.token_from_mail("anna@baeckerei.de").await;
    let confirmed = app
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": token})),
            None,
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);
    let second = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("Anna@Baeckerei.de")),
            None,
        )
        .await;
    assert_eq!(first.status, second.status);
    assert_eq!(
        first.body, second.body,
        "no account enumeration through the answer"
    );
    let mails = app.mails().await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails[1].subject.contains("bereits ein Konto"),
        "{}",
        mails[1].subject
    );
    assert!(
        !mails[1].text.contains("token="),
        "the second mail carries no confirmation link"
    );
}

#[tokio::test]
async fn racing_sign_ups_leave_exactly_one_account() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.call(
                "POST",
                "/partners",
                Some(sign_up("race@baeckerei.de")),
                None,
            )
            .await
            .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::ACCEPTED);
    }
    // Each sign-up replaced the unconfirmed one before it (as long as the address's hourly
    // mails lasted): of the links mailed, exactly one confirms an account.
    let mails = app.mails().await;
    assert!(
        !mails.is_empty() && mails.len() <= 3,
        "{} mails",
        mails.len()
    );
    let mut confirmed = 0;
    for mail in &mails {
        let token = common::token_in(&mail.text);
        let r = app
            .call(
                "POST",
                "/partners/confirm",
                Some(json!({"token": token})),
                None,
            )
            .await;
        if r.status == StatusCode::OK {
            confirmed += 1;
        }
    }
    assert_eq!(
        confirmed, 1,
        "exactly one account got a working confirmation link"
    );
    let login = app
        .table()
        .get(&login_key(
            &Scope::Platform,
            &LoginName::from_email(&Email::parse("race@baeckerei.de").unwrap()),
        ))
        .await
        .unwrap();
    assert!(login.is_some());
}

#[tokio::test]
async fn invalid_sign_up_names_every_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let r = app
        .call(
            "POST",
            "/partners",
            Some(json!({"company": " ", "contact_name": "A", "email": "kein-at", "password": "kurz", "accept_terms": false})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_names(&r.body),
        ["company", "email", "password", "accept_terms"]
    );
    assert_eq!(r.body["title"], "Ungültige Eingabe");
    // A body missing several required fields names every one of them at once.
    let missing = app
        .call("POST", "/partners", Some(json!({"company": "X"})), None)
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_names(&missing.body),
        ["contact_name", "email", "password", "accept_terms"]
    );
    let messages: Vec<&str> = missing.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["fehlt"; 4]);
    assert!(app.mails().await.is_empty(), "no mail for rejected input");
    assert!(
        app.table()
            .get(&login_key(
                &Scope::Platform,
                &LoginName::from_email(&Email::parse("kein-at@x.de").unwrap()),
            ))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn malformed_json_wrong_type_and_oversized_bodies_are_refused() {
    let app = TestApp::new().await;
    let malformed = app
        .send(
            Request::post("/partners")
                .header("content-type", "application/json")
                .body(Body::from("{\"company\":"))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(
        malformed.body["detail"]
            .as_str()
            .unwrap()
            .contains("Ungültiges JSON")
    );
    let text = app
        .send(
            Request::post("/partners")
                .header("content-type", "text/plain")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({"company": "x".repeat(20_000), "contact_name": "A", "email": "a@b.de", "password": PASSWORD, "accept_terms": true});
    let big = app.call("POST", "/partners", Some(huge), None).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.body["status"], 413);
    assert!(app.mails().await.is_empty());
}

#[tokio::test]
async fn confirmation_links_work_once_and_expire() {
    let app = TestApp::new().await;
    app.call(
        "POST",
        "/partners",
        Some(sign_up("anna@baeckerei.de")),
        None,
    )
    .await;
    let token = app.token_from_mail("anna@baeckerei.de").await;
    let unknown = app
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": "x".repeat(43)})),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&unknown.body), ["token"]);
    assert_eq!(
        app.call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": token})),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let again = app
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": token})),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap()
            .contains("bereits verwendet")
    );

    // A confirmation link is valid for 48 hours, by the injected clock.
    app.call("POST", "/partners", Some(sign_up("old@baeckerei.de")), None)
        .await;
    let raw = app.token_from_mail("old@baeckerei.de").await;
    app.clock.advance(jiff::SignedDuration::from_hours(49));
    let expired = app
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": raw})),
            None,
        )
        .await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(
        expired.body["detail"]
            .as_str()
            .unwrap()
            .contains("abgelaufen")
    );
}

#[tokio::test]
async fn unconfirmed_partners_learn_it_only_with_the_right_password() {
    let app = TestApp::new().await;
    app.call(
        "POST",
        "/partners",
        Some(sign_up("anna@baeckerei.de")),
        None,
    )
    .await;
    let wrong = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": "anna@baeckerei.de", "password": "falsches-passwort"})),
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let unknown = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": "niemand@baeckerei.de", "password": "falsches-passwort"})),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body["detail"], unknown.body["detail"],
        "unknown and wrong look the same"
    );
    let right = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": "anna@baeckerei.de", "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(right.status, StatusCode::FORBIDDEN);
    assert!(
        right.body["detail"]
            .as_str()
            .unwrap()
            .contains("bestätigen")
    );
}

#[tokio::test]
async fn repeated_failures_throttle_the_account() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    for _ in 0..5 {
        let r = app
            .call(
                "POST",
                "/auth/login",
                Some(json!({"email": "anna@baeckerei.de", "password": "falsches-passwort"})),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": "anna@baeckerei.de", "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(
        blocked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let other = app.confirmed_partner("bernd@baeckerei.de").await;
    assert!(!other.0.is_empty(), "other accounts are not affected");
}

#[tokio::test]
async fn password_reset_replaces_the_password_once() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let mails_before = app.mails().await.len();
    let unknown = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "niemand@baeckerei.de"})),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(
        app.mails().await.len(),
        mails_before,
        "no mail to unknown addresses"
    );
    let known = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "anna@baeckerei.de"})),
            None,
        )
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(unknown.body, known.body);
    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.text.contains("eine Stunde"));
    let token = common::token_in(&mail.text);
    let short = app
        .call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": token, "password": "kurz"})),
            None,
        )
        .await;
    assert_eq!(field_names(&short.body), ["password"]);
    let ok = app
        .call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": token, "password": "ganz-neues-passwort"})),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let reuse = app
        .call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": token, "password": "noch-ein-passwort"})),
            None,
        )
        .await;
    assert_eq!(reuse.status, StatusCode::GONE);
    let old = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": "anna@baeckerei.de", "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.login("anna@baeckerei.de", "ganz-neues-passwort").await;
}

fn json_post(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn the_login_throttle_says_when_its_window_ends() {
    use shared::clock::Clock;

    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    // 11 min 20 s into a 15-minute throttle window: 3 min 40 s are left.
    let now = app.clock.epoch();
    let window = registration::login::WINDOW_SECS;
    let at = now - now.rem_euclid(window) + 680;
    app.clock.set(jiff::Timestamp::from_second(at).unwrap());
    let attempt = || {
        json_post(
            "/auth/login",
            json!({"email": "anna@baeckerei.de", "password": "falsches-passwort"}).to_string(),
        )
    };
    for _ in 0..5 {
        let r = app.client.send(attempt()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(
            r.headers.get("retry-after").is_none(),
            "a 401 has no Retry-After"
        );
    }
    let r = app.client.send(attempt()).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    assert_eq!(
        r.headers["retry-after"], "220",
        "seconds until the window ends"
    );
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("in 4 Minuten"), "{detail}");

    // A minute later the wait is a minute shorter.
    app.clock
        .set(jiff::Timestamp::from_second(at + 60).unwrap());
    let r = app.client.send(attempt()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers["retry-after"], "160");
    assert!(r.body["detail"].as_str().unwrap().contains("in 3 Minuten"));
}

#[tokio::test]
async fn json_with_trailing_data_is_refused_and_nothing_is_written() {
    let app = TestApp::new().await;
    let valid = sign_up("anna@baeckerei.de").to_string();
    for trailing in [
        format!("{valid}x"),
        format!("{valid}{{\"admin\":true}}"),
        format!("{valid}\u{0}"),
        format!("{valid} []"),
    ] {
        let r = app
            .client
            .send(json_post("/partners", trailing.clone()))
            .await;
        assert_problem(&r, StatusCode::BAD_REQUEST, None);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("weitere Zeichen"),
            "{trailing}: {:?}",
            r.body
        );
    }
    assert!(app.mails().await.is_empty(), "no account was created");
    let r = app
        .client
        .send(json_post("/partners", format!("{valid}\n")))
        .await;
    assert_eq!(
        r.status,
        StatusCode::ACCEPTED,
        "trailing whitespace is fine"
    );
}

#[tokio::test]
async fn control_characters_in_names_are_refused_by_field() {
    let app = TestApp::new().await;
    let mut body = sign_up("anna@baeckerei.de");
    body["company"] = json!("Bäckerei\u{0}Müller");
    body["contact_name"] = json!("Anna \u{1b}[31mMüller");
    let r = app.call("POST", "/partners", Some(body), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&r.body), ["company", "contact_name"]);
    let messages: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("U+0000"), "{messages:?}");
    assert!(messages[1].contains("U+001B"), "{messages:?}");
    assert!(app.mails().await.is_empty(), "nothing was stored or sent");

    // A right-to-left override hides what a name says: refused as well.
    let mut body = sign_up("anna@baeckerei.de");
    body["company"] = json!("Bank\u{202E}gnuhcstuL");
    let r = app.call("POST", "/partners", Some(body), None).await;
    assert_eq!(field_names(&r.body), ["company"]);
}

/// Another function (cards) creates a terminal user of a merchant through the kit; the
/// identity service then serves its invitation and its login, within the merchant's scope.
#[tokio::test]
async fn a_terminal_user_logs_in_only_within_its_merchants_scope() {
    use shared::auth::Role;
    use shared::model::accounts::{Invitation, create_invited};

    let app = TestApp::new().await;
    let fixtures = app.fixtures();
    let merchant = fixtures.confirmed_partner("inhaber@baeckerei.de").await;
    let other = fixtures.confirmed_partner("inhaber@konditorei.de").await;
    let invite = |scope: Scope, login: &str, role: Role| Invitation {
        scope,
        login: LoginName::parse(login).unwrap(),
        email: Email::parse("kasse@baeckerei.de").unwrap(),
        name: "Kasse vorne".into(),
        role,
        inviter: "Bäckerei Müller".into(),
        then: None,
    };
    let pos = Scope::Pos(merchant.id.clone());
    let account = create_invited(&app.env, invite(pos.clone(), "Kasse-1", Role::Pos), vec![])
        .await
        .unwrap();
    let mail = app.last_mail_to("kasse@baeckerei.de").await;
    assert!(mail.subject.contains("Kassenzugang"), "{}", mail.subject);
    assert!(mail.text.contains("kasse-1"), "the mail names the username");

    // The same username at the same merchant is taken; at another merchant it is free.
    let again = create_invited(&app.env, invite(pos.clone(), "kasse-1", Role::Pos), vec![]).await;
    assert!(
        matches!(again, Err(shared::Error::Conflict(_))),
        "{again:?}"
    );

    let token = common::token_in(&mail.text);
    let accepted = app
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);

    let login = |scope: &str, tenant: Option<String>| json!({"login": "kasse-1", "password": PASSWORD, "scope": scope, "tenant": tenant});
    let ok = app
        .call(
            "POST",
            "/auth/login",
            Some(login("pos", Some(merchant.id.to_string()))),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let claims = app
        .env
        .token_check()
        .claims(ok.body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.role, Role::Pos);
    assert_eq!(claims.scope, pos);
    assert_eq!(claims.sub, account.to_string());
    assert_eq!(claims.tenant.as_deref(), Some(merchant.id.as_str()));

    // The address is not the login name: the login record and its tokens keep it sealed,
    // and a password reset still reaches it.
    let stored = serde_json::to_string(&app.kit.table.dump().unwrap()).unwrap();
    assert!(stored.contains("kasse-1"), "the login record is there");
    assert!(!stored.contains("kasse@baeckerei.de"), "{stored}");
    let reset = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"login": "kasse-1", "scope": "pos", "tenant": merchant.id})),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::ACCEPTED, "{:?}", reset.body);
    let reset_mail = app.last_mail_to("kasse@baeckerei.de").await;
    assert!(
        reset_mail.text.contains("eine Stunde"),
        "{}",
        reset_mail.text
    );
    assert_ne!(common::token_in(&reset_mail.text), token);

    // Another merchant's scope, and the platform-wide login, do not know this account.
    for refused in [
        login("pos", Some(other.id.to_string())),
        login("platform", None),
    ] {
        let r = app.call("POST", "/auth/login", Some(refused), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    }
    // A terminal user's token opens no partner route.
    let me = app
        .call(
            "GET",
            "/partners/me",
            None,
            ok.body["access_token"].as_str(),
        )
        .await;
    assert_eq!(me.status, StatusCode::FORBIDDEN);

    // One address may hold accounts in several scopes: the same person as a cardholder.
    create_invited(
        &app.env,
        invite(
            Scope::Cardholder(merchant.id.clone()),
            "kasse@baeckerei.de",
            Role::Cardholder,
        ),
        vec![],
    )
    .await
    .unwrap();
}

/// The sign-up and its confirmation mail are one unit: with the mail provider down the
/// partner is still saved and answered 202; the `mail-retry` schedule sends the mail once.
#[tokio::test]
async fn a_sign_up_survives_a_mail_outage_and_its_mail_goes_out_once_later() {
    use shared::mail::pending::PendingMails;

    let app = TestApp::new().await;
    app.mail.switch(false);
    let r = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("ausfall@baeckerei.de")),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert!(app.mails().await.is_empty(), "nothing went out");
    let saved = app
        .table()
        .get(&login_key(
            &Scope::Platform,
            &LoginName::parse("ausfall@baeckerei.de").unwrap(),
        ))
        .await
        .unwrap();
    assert!(saved.is_some(), "the account is saved");

    // The schedule runs once the provider is back (and the mail's retry is due).
    app.mail.switch(true);
    app.clock.advance(jiff::SignedDuration::from_mins(10));
    let outgoing = PendingMails::of(&app.env);
    let summary = outgoing.retry_due(100).await.unwrap();
    assert_eq!(summary.sent, 1, "{summary:?}");
    let again = outgoing.retry_due(100).await.unwrap();
    assert_eq!(again.sent, 0, "{again:?}");
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1, "exactly one confirmation mail");

    // The link in it confirms the account.
    let token = common::token_in(&mails[0].text);
    let confirmed = app
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": token})),
            None,
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
}

/// The merchant (or, for end users, the platform) of a tenant login is an id: text that
/// is none is refused naming `tenant`, not looked up and answered as a failed login.
#[tokio::test]
async fn a_login_tenant_that_is_no_uuid_is_a_400_naming_it() {
    let app = TestApp::new().await;
    for tenant in [
        "baeckerei-mueller",
        "1",
        "0195f0a0-0000-7000-8000-00000000000",
    ] {
        let r = app
            .client
            .call(
                "POST",
                "/auth/login",
                Some(json!({"login": "kasse-1", "password": PASSWORD, "scope": "pos", "tenant": tenant})),
                None,
            )
            .await;
        assert_problem(&r, StatusCode::BAD_REQUEST, Some("tenant"));
        assert_eq!(
            r.body["errors"][0]["message"], "ist keine gültige Kennung (UUID)",
            "{:?}",
            r.body
        );
    }
}
