//! Accounts and their one-time links: links bound to the account and its state, sign-ups
//! nobody confirmed, the login throttle, answers that tell nothing, mails per address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{PASSWORD, TestApp, sign_up, token_in};
use jiff::SignedDuration;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use serde_json::{Value, json};
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::domain::{AccountId, Email, PartnerId};
use shared::model::accounts::{self, Invitation, LoginName, create_invited_as, login_key};
use shared::store::{Cond, Item, Key, Named};
use shared::testing::assert_problem;

fn pos_invitation(merchant: &PartnerId, login: &str) -> Invitation {
    Invitation {
        scope: Scope::Pos(merchant.clone()),
        login: LoginName::parse(login).unwrap(),
        email: Email::parse("kasse@baeckerei.de").unwrap(),
        name: "Kasse vorne".into(),
        role: Role::Pos,
        inviter: "Bäckerei Müller".into(),
        then: None,
    }
}

async fn accept(app: &TestApp, token: &str, password: &str) -> common::Response {
    app.call(
        "POST",
        "/auth/invitations/accept",
        Some(json!({"token": token, "password": password})),
        None,
    )
    .await
}

async fn pos_login(app: &TestApp, merchant: &PartnerId, password: &str) -> common::Response {
    app.call(
        "POST",
        "/auth/login",
        Some(json!({"login": "kasse-1", "password": password, "scope": "pos", "tenant": merchant})),
        None,
    )
    .await
}

#[tokio::test]
async fn an_accepted_invitation_ends_every_earlier_link_of_it() {
    let app = TestApp::new().await;
    let merchant = app
        .fixtures()
        .confirmed_partner("inhaber@baeckerei.de")
        .await;
    let invitation = pos_invitation(&merchant.id, "kasse-1");
    let id = AccountId::generate();
    create_invited_as(&app.env, id.clone(), invitation.clone(), vec![])
        .await
        .unwrap();
    let first = app.token_from_mail("kasse@baeckerei.de").await;
    let login = accounts::find(app.table(), &invitation.scope, &invitation.login)
        .await
        .unwrap()
        .unwrap()
        .login;
    accounts::reinvite(&app.env, &login, "Bäckerei Müller", None)
        .await
        .unwrap();
    let second = app.token_from_mail("kasse@baeckerei.de").await;
    assert_ne!(first, second);

    let accepted = accept(&app, &second, "das-richtige-passwort").await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    // The older link does not replace the password the account set.
    let taken_over = accept(&app, &first, "uebernommen-123").await;
    assert_problem_status(&taken_over, StatusCode::GONE);
    assert!(
        taken_over.body["detail"]
            .as_str()
            .unwrap()
            .contains("nicht mehr gültig"),
        "{:?}",
        taken_over.body
    );
    assert_eq!(
        pos_login(&app, &merchant.id, "uebernommen-123")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let ok = pos_login(&app, &merchant.id, "das-richtige-passwort").await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
}

fn assert_problem_status(reply: &common::Response, status: StatusCode) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    assert!(reply.body["detail"].is_string(), "{:?}", reply.body);
}

#[tokio::test]
async fn a_reset_link_dies_when_the_password_changes() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let ask = || {
        app.call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "anna@baeckerei.de"})),
            None,
        )
    };
    assert_eq!(ask().await.status, StatusCode::ACCEPTED);
    let first = app.token_from_mail("anna@baeckerei.de").await;
    assert_eq!(ask().await.status, StatusCode::ACCEPTED);
    let second = app.token_from_mail("anna@baeckerei.de").await;
    let set = |token: String, password: &'static str| {
        app.call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": token, "password": password})),
            None,
        )
    };
    assert_eq!(
        set(second, "neues-passwort-123").await.status,
        StatusCode::OK
    );
    assert_problem_status(&set(first, "fremdes-passwort-1").await, StatusCode::GONE);
    app.login("anna@baeckerei.de", "neues-passwort-123").await;
}

#[tokio::test]
async fn a_link_of_a_login_name_created_anew_does_nothing_for_the_new_account() {
    let app = TestApp::new().await;
    let merchant = app
        .fixtures()
        .confirmed_partner("inhaber@baeckerei.de")
        .await;
    let invitation = pos_invitation(&merchant.id, "kasse-1");
    create_invited_as(&app.env, AccountId::generate(), invitation.clone(), vec![])
        .await
        .unwrap();
    let old_link = app.token_from_mail("kasse@baeckerei.de").await;
    // The login is removed (a terminal user disabled) and the name given to someone new.
    app.table()
        .delete(
            &login_key(&invitation.scope, &invitation.login),
            Cond::Always,
        )
        .await
        .unwrap();
    create_invited_as(&app.env, AccountId::generate(), invitation, vec![])
        .await
        .unwrap();
    let new_link = app.token_from_mail("kasse@baeckerei.de").await;

    assert_problem_status(
        &accept(&app, &old_link, "uebernommen-123").await,
        StatusCode::GONE,
    );
    assert_eq!(
        accept(&app, &new_link, "das-richtige-passwort")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        pos_login(&app, &merchant.id, "das-richtige-passwort")
            .await
            .status,
        StatusCode::OK
    );
}

fn sign_up_as(email: &str, company: &str, password: &str) -> Value {
    let mut body = sign_up(email);
    body["company"] = company.into();
    body["password"] = password.into();
    body
}

async fn confirm(app: &TestApp, token: &str) -> common::Response {
    app.call(
        "POST",
        "/partners/confirm",
        Some(json!({"token": token})),
        None,
    )
    .await
}

#[tokio::test]
async fn a_new_sign_up_replaces_an_unconfirmed_one_and_its_link() {
    let app = TestApp::new().await;
    let squatter = sign_up_as("opfer@baeckerei.de", "Fremde GmbH", "fremdes-passwort-1");
    assert_eq!(
        app.call("POST", "/partners", Some(squatter), None)
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let squatters_link = app.token_from_mail("opfer@baeckerei.de").await;
    let own = sign_up_as("opfer@baeckerei.de", "Bäckerei Opfer", "eigenes-passwort-1");
    let again = app.call("POST", "/partners", Some(own), None).await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    let mail = app.last_mail_to("opfer@baeckerei.de").await;
    assert!(mail.subject.contains("bestätigen"), "{}", mail.subject);
    let own_link = token_in(&mail.text);

    assert_problem_status(&confirm(&app, &squatters_link).await, StatusCode::GONE);
    assert_eq!(confirm(&app, &own_link).await.status, StatusCode::OK);
    let jwt = app.login("opfer@baeckerei.de", "eigenes-passwort-1").await;
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.body["company"], "Bäckerei Opfer");
}

#[tokio::test]
async fn an_unconfirmed_sign_up_expires_with_its_link() {
    let app = TestApp::new().await;
    let first = sign_up_as("anna@baeckerei.de", "Fremde GmbH", "fremdes-passwort-1");
    app.call("POST", "/partners", Some(first), None).await;
    let link = app.token_from_mail("anna@baeckerei.de").await;
    app.clock
        .advance(SignedDuration::from_hours(48) + SignedDuration::from_secs(1));

    // The address is free again: the login and the partner are gone with the link.
    let login = login_key(
        &Scope::Platform,
        &LoginName::parse("anna@baeckerei.de").unwrap(),
    );
    assert!(app.table().get(&login).await.unwrap().is_none());
    assert_problem_status(&confirm(&app, &link).await, StatusCode::GONE);
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.body["company"], "Bäckerei Müller");
}

#[tokio::test]
async fn the_confirmation_link_can_be_sent_again_and_the_answer_tells_nothing() {
    let app = TestApp::new().await;
    app.call(
        "POST",
        "/partners",
        Some(sign_up("anna@baeckerei.de")),
        None,
    )
    .await;
    let first = app.token_from_mail("anna@baeckerei.de").await;
    let resend = |email: &'static str| {
        app.call(
            "POST",
            "/auth/confirmation/resend",
            Some(json!({"email": email})),
            None,
        )
    };
    let known = resend("anna@baeckerei.de").await;
    let unknown = resend("niemand@baeckerei.de").await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    let second = app.token_from_mail("anna@baeckerei.de").await;
    assert_ne!(first, second);
    assert!(
        app.mails()
            .await
            .iter()
            .all(|m| m.to.as_str() != "niemand@baeckerei.de")
    );
    // The new link lives 48 hours from now: the sign-up with it.
    app.clock.advance(SignedDuration::from_hours(47));
    assert_eq!(confirm(&app, &second).await.status, StatusCode::OK);
    app.login("anna@baeckerei.de", PASSWORD).await;

    let bad = app
        .call(
            "POST",
            "/auth/confirmation/resend",
            Some(json!({"email": "keine-adresse"})),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(common::field_names(&bad.body), ["email"]);
}

#[tokio::test]
async fn a_completed_password_reset_confirms_the_address() {
    let app = TestApp::new().await;
    app.call(
        "POST",
        "/partners",
        Some(sign_up("anna@baeckerei.de")),
        None,
    )
    .await;
    let reset = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "anna@baeckerei.de"})),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::ACCEPTED);
    let token = app.token_from_mail("anna@baeckerei.de").await;
    let set = app
        .call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": token, "password": "neues-passwort-123"})),
            None,
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let jwt = app.login("anna@baeckerei.de", "neues-passwort-123").await;
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.body["email_confirmed"], true, "{:?}", me.body);
    // Confirmed, it no longer expires.
    app.clock.advance(SignedDuration::from_hours(24 * 7));
    app.login("anna@baeckerei.de", "neues-passwort-123").await;
}

#[tokio::test]
async fn an_address_with_an_unconfirmed_sign_up_can_be_invited_as_manager() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    app.call(
        "POST",
        "/partners",
        Some(sign_up("max@sparkasse.example")),
        None,
    )
    .await;
    let sign_up_link = app.token_from_mail("max@sparkasse.example").await;
    let invited = app
        .call(
            "POST",
            &format!("/platforms/{platform}/managers"),
            Some(json!({"email": "max@sparkasse.example", "name": "Max Manager"})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{:?}", invited.body);
    let invite = app.token_from_mail("max@sparkasse.example").await;
    assert_problem_status(&confirm(&app, &sign_up_link).await, StatusCode::GONE);
    assert_eq!(
        accept(&app, &invite, "manager-passwort-1").await.status,
        StatusCode::OK
    );
    let jwt = app
        .login("max@sparkasse.example", "manager-passwort-1")
        .await;
    let claims = app.env.token_check().claims(&jwt).unwrap();
    assert_eq!(claims.role, Role::Manager);
}

/// A login request as API Gateway hands it over from `source_ip`.
fn login_from(source_ip: &str, body: Value) -> Request<Body> {
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some(source_ip.into());
    let mut req = Request::builder()
        .method("POST")
        .uri("/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(RequestContext::ApiGatewayV2(context));
    req
}

#[tokio::test]
async fn thirty_parallel_wrong_guesses_get_at_most_five_password_checks() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..30 {
        let client = app.client.clone();
        guesses.spawn(async move {
            client
                .send(login_from(
                    "198.51.100.7",
                    json!({"email": "anna@baeckerei.de", "password": format!("falsch-{i:04}")}),
                ))
                .await
        });
    }
    let replies = guesses.join_all().await;
    // Only a checked password answers 401; the others were refused before the check.
    let checked = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(checked + refused, 30);
}

#[tokio::test]
async fn a_customers_username_and_address_share_one_counter() {
    let app = TestApp::new().await;
    let merchant = app
        .fixtures()
        .confirmed_partner("lieferant@example.de")
        .await;
    let invitation = Invitation {
        scope: Scope::Customer(merchant.id.clone()),
        login: LoginName::parse("kundin@example.de").unwrap(),
        email: Email::parse("kundin@example.de").unwrap(),
        name: "Kundin".into(),
        role: Role::Customer,
        inviter: "Lieferant".into(),
        then: None,
    };
    let id = AccountId::generate();
    let record = invitation.login_record(&id, app.clock.now(), app.env.data_key().unwrap());
    let alias: Named = record
        .alias_put(&LoginName::parse("kundin-7").unwrap())
        .unwrap();
    create_invited_as(&app.env, id, invitation, vec![alias])
        .await
        .unwrap();
    let token = app.token_from_mail("kundin@example.de").await;
    assert_eq!(accept(&app, &token, PASSWORD).await.status, StatusCode::OK);
    let attempt = |login: &str, password: &str| {
        app.send(login_from(
            "198.51.100.7",
            json!({"login": login, "password": password, "scope": "customer", "tenant": merchant.id}),
        ))
    };
    for login in [
        "kundin@example.de",
        "kundin-7",
        "kundin@example.de",
        "kundin-7",
        "kundin-7",
    ] {
        assert_eq!(
            attempt(login, "falsches-passwort").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let sixth = attempt("kundin@example.de", PASSWORD).await;
    assert_eq!(
        sixth.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        sixth.body
    );
}

#[tokio::test]
async fn a_stranger_who_knows_a_tills_username_cannot_lock_the_till_out() {
    let app = TestApp::new().await;
    let merchant = app
        .fixtures()
        .confirmed_partner("inhaber@baeckerei.de")
        .await;
    create_invited_as(
        &app.env,
        AccountId::generate(),
        pos_invitation(&merchant.id, "kasse-1"),
        vec![],
    )
    .await
    .unwrap();
    let token = app.token_from_mail("kasse@baeckerei.de").await;
    assert_eq!(accept(&app, &token, PASSWORD).await.status, StatusCode::OK);
    let till = |ip: &str, password: &str| {
        app.send(login_from(
            ip,
            json!({"login": "kasse-1", "password": password, "scope": "pos", "tenant": merchant.id}),
        ))
    };
    for _ in 0..10 {
        till("203.0.113.66", "geraten-123").await;
    }
    let stranger = till("203.0.113.66", PASSWORD).await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        stranger.body["detail"]
            .as_str()
            .unwrap()
            .contains("Minuten")
    );
    // The shop's own till, from its own address, starts its shift.
    let shop = till("192.0.2.10", PASSWORD).await;
    assert_eq!(shop.status, StatusCode::OK, "{:?}", shop.body);
}

#[tokio::test]
async fn a_password_reset_answers_at_the_same_moment_whether_or_not_the_address_is_known() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let before = app.mails().await.len();
    app.clock.take_waits();
    let reset = |email: &'static str| {
        app.call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": email})),
            None,
        )
    };
    let start = app.clock.now();
    let known = reset("anna@baeckerei.de").await;
    // The mail is on its way when the answer comes: nothing is left to run after it.
    let mails = app.mails().await;
    assert_eq!(mails.len(), before + 1);
    assert!(mails.last().unwrap().subject.contains("Passwort"));
    let unknown = reset("niemand@baeckerei.de").await;

    assert_eq!(known.status, StatusCode::ACCEPTED, "{:?}", known.body);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    // Both answers were held until the same time after their start.
    let steady = start + shared::steady::STEADY;
    assert_eq!(app.clock.take_waits(), vec![steady, steady]);
    assert_eq!(app.mails().await.len(), before + 1);
}

#[tokio::test]
async fn five_requests_send_at_most_three_mails_to_one_address_an_hour() {
    let app = TestApp::new().await;
    app.fixtures().confirmed_partner("anna@baeckerei.de").await;
    let count = |mails: &[shared::mail::Mail], to: &str| {
        mails.iter().filter(|m| m.to.as_str() == to).count()
    };
    let before = count(&app.mails().await, "anna@baeckerei.de");
    for _ in 0..5 {
        let r = app
            .call(
                "POST",
                "/auth/password-reset",
                Some(json!({"email": "anna@baeckerei.de"})),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    assert_eq!(count(&app.mails().await, "anna@baeckerei.de"), before + 3);
    // "Already registered" counts against the same hour, with the same answer as ever.
    let again = app
        .call(
            "POST",
            "/partners",
            Some(sign_up("anna@baeckerei.de")),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(count(&app.mails().await, "anna@baeckerei.de"), before + 3);
    // The next hour has its own mails.
    app.clock.advance(SignedDuration::from_hours(1));
    app.call(
        "POST",
        "/auth/password-reset",
        Some(json!({"email": "anna@baeckerei.de"})),
        None,
    )
    .await;
    assert_eq!(count(&app.mails().await, "anna@baeckerei.de"), before + 4);

    // Resent invitations: the invitation and at most three more in the hour.
    let merchant = app
        .fixtures()
        .confirmed_partner("inhaber@baeckerei.de")
        .await;
    let invitation = pos_invitation(&merchant.id, "kasse-1");
    create_invited_as(&app.env, AccountId::generate(), invitation.clone(), vec![])
        .await
        .unwrap();
    let login = accounts::find(app.table(), &invitation.scope, &invitation.login)
        .await
        .unwrap()
        .unwrap()
        .login;
    for _ in 0..5 {
        accounts::reinvite(&app.env, &login, "Bäckerei Müller", None)
            .await
            .unwrap();
    }
    assert_eq!(count(&app.mails().await, "kasse@baeckerei.de"), 1 + 3);
}

#[tokio::test]
async fn a_reset_of_an_unknown_address_is_refused_nothing_and_sends_nothing() {
    let app = TestApp::new().await;
    let r = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "niemand@baeckerei.de"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(app.mails().await.is_empty());
    let bad = app
        .client
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "keine adresse"})),
            None,
        )
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("login"));
}

/// Functions other than registration may store only their own login kind's tokens (their
/// roles are allowed `TOKEN#<kind>#*`): a token planted under the end users' prefix for a
/// partner's login does nothing.
#[tokio::test]
async fn a_token_under_another_login_kinds_key_does_nothing() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let reply = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "anna@baeckerei.de"})),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let link = app.token_from_mail("anna@baeckerei.de").await;
    let stored_under = |raw: &str, kind: &str| {
        Key::new(
            format!(
                "TOKEN#{kind}#{}",
                shared::crypto::sha256_hex(raw.as_bytes())
            ),
            "TOKEN",
        )
    };
    let item = app
        .table()
        .get(&stored_under(&link, "platform"))
        .await
        .unwrap()
        .expect("a partner's token is stored under the platform logins' prefix");
    // The same record, as a role allowed only `TOKEN#enduser#*` could write it.
    let planted = format!("e{}", &link[1..]);
    let mut forged: Item = item.clone();
    let key = stored_under(&planted, "enduser");
    forged.insert("pk".into(), key.pk.clone().into());
    app.table().put(forged, Cond::Always).await.unwrap();

    let used = app
        .call(
            "POST",
            "/auth/password-reset/confirm",
            Some(json!({"token": planted, "password": "uebernommen-123"})),
            None,
        )
        .await;
    assert_problem_status(&used, StatusCode::BAD_REQUEST);
    app.login("anna@baeckerei.de", PASSWORD).await;
}

/// A reset asked for from a login page leads back to that page once the password is set;
/// anything but a path of the app is refused at its field.
#[tokio::test]
async fn a_reset_link_leads_back_to_the_login_it_was_asked_from() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let asked = app
        .call(
            "POST",
            "/auth/password-reset",
            Some(json!({"email": "anna@baeckerei.de", "weiter": "/partner/anmelden"})),
            None,
        )
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    let mail = app.kit.last_mail_to("anna@baeckerei.de").await;
    assert!(
        mail.text.contains("/passwort-zuruecksetzen?token=")
            && mail.text.contains("&weiter=/partner/anmelden"),
        "{}",
        mail.text
    );

    for elsewhere in ["https://evil.example/", "//evil.example", "/a?b=c"] {
        let refused = app
            .call(
                "POST",
                "/auth/password-reset",
                Some(json!({"email": "anna@baeckerei.de", "weiter": elsewhere})),
                None,
            )
            .await;
        assert_problem_status(&refused, StatusCode::BAD_REQUEST);
        assert_eq!(refused.body["errors"][0]["field"], "weiter", "{elsewhere}");
    }
}
