//! The partner portal's "Konto": changing the password, moving the login to another
//! address, downloading the own data and closing the account, as a signed-in user sees it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, TestApp, sign_up, token_in};
use jiff::SignedDuration;
use jiff::civil::date;
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::{Cents, Email, Month, PartnerId, PlatformId};
use shared::model::contracts::cards::CardContract;
use shared::model::contracts::file_links::{self, FileLinksContract};
use shared::model::placements::{BookingState, PlacementBooking};
use shared::model::subscriptions::application_key;
use shared::model::{from_item, to_item};
use shared::store::Cond;
use shared::testing::{PartnerFixture, Reply, assert_problem};

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

fn access_token(reply: &Reply) -> String {
    reply.body["access_token"].as_str().unwrap().to_string()
}

/// The refresh token a `Set-Cookie` carries.
fn refresh_token(reply: &Reply) -> String {
    let cookie = reply.headers[header::SET_COOKIE].to_str().unwrap();
    let value = cookie.split(';').next().unwrap();
    value.strip_prefix("pn_refresh=").unwrap().to_string()
}

async fn refresh(app: &TestApp, token: &str) -> Reply {
    let req = Request::post("/auth/refresh")
        .header(header::COOKIE, format!("pn_refresh={token}"))
        .body(Body::empty())
        .unwrap();
    app.client.send(req).await
}

async fn post(app: &TestApp, path: &str, body: Value, jwt: &str) -> Reply {
    app.client.call("POST", path, Some(body), Some(jwt)).await
}

async fn get(app: &TestApp, path: &str, jwt: &str) -> Reply {
    app.client.call("GET", path, None, Some(jwt)).await
}

fn detail(reply: &Reply) -> String {
    reply.body["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn mails_to(app: &TestApp, to: &str) -> Vec<shared::mail::Mail> {
    app.mails()
        .await
        .into_iter()
        .filter(|m| m.to.as_str() == to)
        .collect()
}

// ---------------------------------------------------------------- the password

#[tokio::test]
async fn a_new_password_ends_every_other_session_and_this_one_goes_on() {
    let app = TestApp::new().await;
    app.confirmed_partner("anna@baeckerei.de").await;
    let here = login(&app, "anna@baeckerei.de", PASSWORD).await;
    let elsewhere = login(&app, "anna@baeckerei.de", PASSWORD).await;

    let changed = post(
        &app,
        "/auth/password",
        json!({"current_password": PASSWORD, "new_password": "ein-ganz-neues-passwort"}),
        &access_token(&here),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(
        changed.body["message"],
        "Ihr Passwort wurde geändert. Auf anderen Geräten melden Sie sich bitte neu an."
    );
    // This session: a fresh access token and refresh cookie.
    let me = get(&app, "/partners/me", &access_token(&changed)).await;
    assert_eq!(me.status, StatusCode::OK);
    app.clock.advance(SignedDuration::from_mins(5));
    let renewed = refresh(&app, &refresh_token(&changed)).await;
    assert_eq!(renewed.status, StatusCode::OK, "{:?}", renewed.body);
    // Every session started before ends at its next refresh, this device's old one too.
    assert_eq!(
        refresh(&app, &refresh_token(&elsewhere)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &refresh_token(&here)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "anna@baeckerei.de", "ein-ganz-neues-passwort")
            .await
            .status,
        StatusCode::OK
    );

    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert_eq!(mail.subject, "Ihr Passwort bei partnernetz wurde geändert");
    assert!(
        mail.text.contains("16.11.2026 um 09:00 Uhr"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("https://partnernetz.de/passwort-vergessen")
    );
    for secret in [PASSWORD, "ein-ganz-neues-passwort"] {
        assert!(!mail.text.contains(secret) && !mail.html.contains(secret));
    }
}

#[tokio::test]
async fn a_wrong_current_password_is_named_at_its_field_and_counted_like_a_login() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let wrong = json!({"current_password": "nicht-das-richtige", "new_password": "ein-ganz-neues-passwort"});
    let first = post(&app, "/auth/password", wrong.clone(), &jwt).await;
    assert_problem(
        &first,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("current_password"),
    );
    assert_eq!(detail(&first), "Das aktuelle Passwort ist nicht richtig.");
    assert_eq!(
        first.body["errors"][0]["message"],
        "ist nicht Ihr aktuelles Passwort"
    );
    // Failed logins and failed confirmations share the account's counter: five in all.
    for _ in 0..2 {
        post(&app, "/auth/password", wrong.clone(), &jwt).await;
    }
    for _ in 0..2 {
        login(&app, "anna@baeckerei.de", "auch-falsch-123").await;
    }
    let right = json!({"current_password": PASSWORD, "new_password": "ein-ganz-neues-passwort"});
    let refused = post(&app, "/auth/password", right, &jwt).await;
    assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS, None);
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Nothing changed.
    app.clock.advance(SignedDuration::from_mins(15));
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::OK
    );
    assert!(
        mails_to(&app, "anna@baeckerei.de")
            .await
            .iter()
            .all(|m| !m.subject.contains("geändert"))
    );
}

#[tokio::test]
async fn the_new_password_is_checked_as_everywhere() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let short = post(
        &app,
        "/auth/password",
        json!({"current_password": PASSWORD, "new_password": "kurz"}),
        &jwt,
    )
    .await;
    assert_problem(&short, StatusCode::BAD_REQUEST, Some("new_password"));
    let same = post(
        &app,
        "/auth/password",
        json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        &jwt,
    )
    .await;
    assert_problem(&same, StatusCode::BAD_REQUEST, Some("new_password"));
    assert_eq!(
        same.body["errors"][0]["message"],
        "muss sich von Ihrem aktuellen Passwort unterscheiden"
    );
    let endless = post(
        &app,
        "/auth/password",
        json!({"current_password": "x".repeat(129), "new_password": "ein-ganz-neues-passwort"}),
        &jwt,
    )
    .await;
    assert_problem(&endless, StatusCode::BAD_REQUEST, Some("current_password"));
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::OK
    );
}

/// Nothing in a manager's or the operator's token leads to the login record: they name
/// their address, and only their own one counts.
#[tokio::test]
async fn managers_and_the_operator_change_theirs_by_naming_their_own_login() {
    let app = TestApp::new().await;
    let fixtures = app.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let platform = fixtures.platform("Sparkasse", Cents(4900)).await;
    let manager = fixtures.manager_of("max@sparkasse.de", &platform).await;
    let body = |login: Option<&str>| {
        let mut b =
            json!({"current_password": PASSWORD, "new_password": "ein-ganz-neues-passwort"});
        if let Some(login) = login {
            b["login"] = login.into();
        }
        b
    };

    let unnamed = post(&app, "/auth/password", body(None), &manager.token).await;
    assert_problem(&unnamed, StatusCode::BAD_REQUEST, Some("login"));
    // The operator's address with the operator's password, from the manager's token: the
    // record is not the manager's, so it is as if the password were wrong.
    let foreign = post(
        &app,
        "/auth/password",
        body(Some("olga@betreiber.de")),
        &manager.token,
    )
    .await;
    assert_problem(
        &foreign,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("current_password"),
    );
    assert_eq!(
        login(&app, "olga@betreiber.de", PASSWORD).await.status,
        StatusCode::OK
    );
    // Guessing at the operator's address from the manager's token runs only the manager
    // into the throttle: the operator still logs in.
    let guess = json!({"current_password": "geraten-123", "new_password": "ein-ganz-neues-passwort",
                       "login": "olga@betreiber.de"});
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(
            post(&app, "/auth/password", guess.clone(), &manager.token)
                .await
                .status,
        );
    }
    assert_eq!(
        answers.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );
    assert_eq!(
        login(&app, "olga@betreiber.de", PASSWORD).await.status,
        StatusCode::OK
    );
    app.clock.advance(SignedDuration::from_mins(15));

    for (account, token) in [
        ("max@sparkasse.de", &manager.token),
        ("olga@betreiber.de", &operator.token),
    ] {
        let changed = post(&app, "/auth/password", body(Some(account)), token).await;
        assert_eq!(
            changed.status,
            StatusCode::OK,
            "{account}: {:?}",
            changed.body
        );
        assert_eq!(
            login(&app, account, "ein-ganz-neues-passwort").await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.last_mail_to(account).await.subject,
            "Ihr Passwort bei partnernetz wurde geändert"
        );
    }
}

// ---------------------------------------------------------------- the login address

async fn ask_for_move(app: &TestApp, jwt: &str, to: &str) -> Reply {
    post(
        app,
        "/partners/me/email",
        json!({"current_password": PASSWORD, "new_email": to}),
        jwt,
    )
    .await
}

async fn confirm_move(app: &TestApp, token: &str) -> Reply {
    app.client
        .call(
            "POST",
            "/partners/email/confirm",
            Some(json!({"token": token})),
            None,
        )
        .await
}

#[tokio::test]
async fn the_login_moves_to_a_new_address_only_through_the_link_mailed_there() {
    let app = TestApp::new().await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    let platform = app.platform("Sparkasse", 4900).await;
    app.add_mandate(&jwt).await;
    assert_eq!(app.apply(&platform, &jwt).await.status, StatusCode::CREATED);
    let session = login(&app, "anna@baeckerei.de", PASSWORD).await;

    let asked = ask_for_move(&app, &jwt, "Anna@Neue-Baeckerei.de").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    assert_eq!(
        asked.body["message"],
        "Wir haben einen Bestätigungslink an anna@neue-baeckerei.de gesendet. Ihre Anmeldeadresse ändert sich erst, wenn Sie ihn öffnen."
    );
    let mail = app.last_mail_to("anna@neue-baeckerei.de").await;
    assert_eq!(
        mail.subject,
        "Bitte bestätigen Sie Ihre neue Anmeldeadresse bei partnernetz"
    );
    assert!(
        mail.text
            .contains("https://partnernetz.de/partner/email-bestaetigen?token="),
        "{}",
        mail.text
    );
    // Until the link is used, nothing changes.
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "anna@neue-baeckerei.de", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    let token = token_in(&mail.text);
    let moved = confirm_move(&app, &token).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["status"], "email_changed");
    assert_eq!(
        moved.body["message"],
        "Ihre Anmeldeadresse ist jetzt anna@neue-baeckerei.de. Bitte melden Sie sich damit neu an."
    );
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = login(&app, "anna@neue-baeckerei.de", PASSWORD).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    let me = get(&app, "/partners/me", &access_token(&again)).await;
    assert_eq!(me.body["email"], "anna@neue-baeckerei.de");
    assert_eq!(me.body["id"], partner_id.as_str());
    // The platform's managers see the new contact address.
    let managers = app
        .call(
            "GET",
            &format!("/platforms/{platform}/applications"),
            None,
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(
        managers.body["applications"][0]["contact_email"],
        "anna@neue-baeckerei.de"
    );
    // The old mailbox is told, with the new address masked.
    let notice = app.last_mail_to("anna@baeckerei.de").await;
    assert_eq!(
        notice.subject,
        "Ihre Anmeldeadresse bei partnernetz wurde geändert"
    );
    assert!(
        notice.text.contains("a…@neue-baeckerei.de"),
        "{}",
        notice.text
    );
    assert!(!notice.text.contains("anna@neue-baeckerei.de"));
    // The link is dead once used; the sessions of the old address end.
    let reused = confirm_move(&app, &token).await;
    assert_problem(&reused, StatusCode::GONE, None);
    assert_eq!(detail(&reused), "Der Link wurde bereits verwendet.");
    assert_eq!(
        refresh(&app, &refresh_token(&session)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// The requester learns nothing about whose the address is; the link's holder, the
/// mailbox's owner, learns that it is taken, and nothing moves.
#[tokio::test]
async fn a_taken_address_answers_the_same_and_only_its_link_says_so() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    app.confirmed_partner("bert@metzgerei.de").await;

    let free = ask_for_move(&app, &jwt, "anna@neue-baeckerei.de").await;
    let taken = ask_for_move(&app, &jwt, "bert@metzgerei.de").await;
    assert_eq!(taken.status, free.status);
    assert_eq!(
        taken.body["message"]
            .as_str()
            .unwrap()
            .replace("bert@metzgerei.de", "X"),
        free.body["message"]
            .as_str()
            .unwrap()
            .replace("anna@neue-baeckerei.de", "X")
    );

    let token = app.token_from_mail("bert@metzgerei.de").await;
    let refused = confirm_move(&app, &token).await;
    assert_problem(&refused, StatusCode::CONFLICT, None);
    assert_eq!(
        detail(&refused),
        "Diese E-Mail-Adresse gehört bereits zu einem anderen Konto bei partnernetz. Die Anmeldeadresse wurde nicht geändert."
    );
    for (who, status) in [
        ("anna@baeckerei.de", StatusCode::OK),
        ("bert@metzgerei.de", StatusCode::OK),
    ] {
        assert_eq!(login(&app, who, PASSWORD).await.status, status, "{who}");
    }
    assert!(
        mails_to(&app, "anna@baeckerei.de")
            .await
            .iter()
            .all(|m| !m.subject.contains("Anmeldeadresse"))
    );
}

/// A sign-up nobody confirmed does not block the address, as for a new sign-up: its link
/// dies and its profile goes.
#[tokio::test]
async fn a_sign_up_nobody_confirmed_gives_the_address_way() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let r = app
        .call("POST", "/partners", Some(sign_up("neu@baeckerei.de")), None)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let squatter_link = app.token_from_mail("neu@baeckerei.de").await;

    ask_for_move(&app, &jwt, "neu@baeckerei.de").await;
    let moved = confirm_move(&app, &app.token_from_mail("neu@baeckerei.de").await).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        login(&app, "neu@baeckerei.de", PASSWORD).await.status,
        StatusCode::OK
    );
    let dead = app
        .client
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": squatter_link})),
            None,
        )
        .await;
    assert_problem(&dead, StatusCode::GONE, None);
}

#[tokio::test]
async fn a_wrong_password_or_the_own_address_moves_nothing_and_sends_nothing() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let before = app.mails().await.len();

    let wrong = post(
        &app,
        "/partners/me/email",
        json!({"current_password": "nicht-das-richtige", "new_email": "anna@neue-baeckerei.de"}),
        &jwt,
    )
    .await;
    assert_problem(
        &wrong,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("current_password"),
    );
    let own = ask_for_move(&app, &jwt, "ANNA@baeckerei.de").await;
    assert_problem(&own, StatusCode::BAD_REQUEST, Some("new_email"));
    assert_eq!(
        own.body["errors"][0]["message"],
        "ist bereits Ihre Anmeldeadresse"
    );
    let malformed = ask_for_move(&app, &jwt, "keine-adresse").await;
    assert_problem(&malformed, StatusCode::BAD_REQUEST, Some("new_email"));
    assert_eq!(app.mails().await.len(), before);
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::OK
    );
}

/// A partner's token moves that partner's login only.
#[tokio::test]
async fn another_partners_token_moves_only_that_partner() {
    let app = TestApp::new().await;
    let (_, anna) = app.confirmed_partner("anna@baeckerei.de").await;
    let (bert_jwt, bert) = app.confirmed_partner("bert@metzgerei.de").await;
    let asked = ask_for_move(&app, &bert_jwt, "neu@metzgerei.de").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let moved = confirm_move(&app, &app.token_from_mail("neu@metzgerei.de").await).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let as_bert = login(&app, "neu@metzgerei.de", PASSWORD).await;
    let me = get(&app, "/partners/me", &access_token(&as_bert)).await;
    assert_eq!(me.body["id"], bert.as_str());
    let as_anna = login(&app, "anna@baeckerei.de", PASSWORD).await;
    let me = get(&app, "/partners/me", &access_token(&as_anna)).await;
    assert_eq!(me.body["id"], anna.as_str());
    assert_eq!(me.body["email"], "anna@baeckerei.de");
}

#[tokio::test]
async fn links_to_one_address_are_three_an_hour_and_last_a_day() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    for _ in 0..4 {
        let r = ask_for_move(&app, &jwt, "anna@neue-baeckerei.de").await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    assert_eq!(mails_to(&app, "anna@neue-baeckerei.de").await.len(), 3);

    let token = app.token_from_mail("anna@neue-baeckerei.de").await;
    app.clock.advance(SignedDuration::from_hours(25));
    let expired = confirm_move(&app, &token).await;
    assert_problem(&expired, StatusCode::GONE, None);
    assert_eq!(
        login(&app, "anna@baeckerei.de", PASSWORD).await.status,
        StatusCode::OK
    );
}

/// Two links to two addresses: the first used moves the login, the other is dead.
#[tokio::test]
async fn of_two_links_the_first_used_wins() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    ask_for_move(&app, &jwt, "eins@baeckerei.de").await;
    ask_for_move(&app, &jwt, "zwei@baeckerei.de").await;
    let one = app.token_from_mail("eins@baeckerei.de").await;
    let two = app.token_from_mail("zwei@baeckerei.de").await;
    assert_eq!(confirm_move(&app, &two).await.status, StatusCode::OK);
    let late = confirm_move(&app, &one).await;
    assert_problem(&late, StatusCode::GONE, None);
    assert_eq!(
        detail(&late),
        "Der Link ist nicht mehr gültig. Bitte fordern Sie einen neuen an."
    );
    assert_eq!(
        login(&app, "eins@baeckerei.de", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- the own data

/// A partner with a subscription, a card contract, the customer account and a placement.
async fn established(app: &TestApp, email: &str) -> (String, PartnerId, PlatformId) {
    let (jwt, id) = app.confirmed_partner(email).await;
    let id = PartnerId::from_raw(id);
    app.add_mandate(&jwt).await;
    let fixtures = app.fixtures();
    let platform = fixtures
        .platform("Sparkasse Vorteilswelt", Cents(4900))
        .await;
    let partner = PartnerFixture {
        id: id.clone(),
        email: Email::parse(email).unwrap(),
        token: jwt.clone(),
    };
    fixtures
        .approve(
            &partner,
            &platform,
            "Sparkasse Vorteilswelt",
            date(2026, 10, 1),
        )
        .await;
    let mut cards = CardContract::new(id.clone(), date(2026, 11, 16), Cents(500));
    cards.terminal_users = 2;
    app.table()
        .put(cards.to_item().unwrap(), Cond::NotExists)
        .await
        .unwrap();
    let account = FileLinksContract::book(
        id.clone(),
        "baeckerei-mueller".into(),
        app.clock.now(),
        date(2026, 3, 10),
    );
    app.table()
        .put(
            to_item(&file_links::key(&id), &account).unwrap(),
            Cond::NotExists,
        )
        .await
        .unwrap();
    (jwt, id, platform)
}

async fn book_placement(app: &TestApp, partner: &PartnerId, platform: &PlatformId, month: &str) {
    let booking = PlacementBooking {
        partner_id: partner.clone(),
        platform_id: platform.clone(),
        offer_id: "01a20996-1d13-756c-954c-72ad0a270000".into(),
        kind_id: "top".into(),
        kind_name: "Top-Platzierung".into(),
        month: month.parse::<Month>().unwrap(),
        price: Cents(1990),
        state: BookingState::Booked,
        booked_at: app.clock.now(),
        cancelled_at: None,
    };
    app.table()
        .put(booking.to_item().unwrap(), Cond::NotExists)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_export_holds_what_registration_keeps_about_the_partner_and_no_secret() {
    let app = TestApp::new().await;
    let (jwt, id, platform) = established(&app, "anna@baeckerei.de").await;
    book_placement(&app, &id, &platform, "2026-12").await;
    let (other, _) = app.confirmed_partner("bert@metzgerei.de").await;

    let export = get(&app, "/partners/me/export", &jwt).await;
    assert_eq!(export.status, StatusCode::OK, "{:?}", export.body);
    assert_eq!(
        export.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"partnernetz-daten-2026-11-16.json\""
    );
    assert_eq!(export.headers[header::CACHE_CONTROL], "no-store");
    let body = &export.body;
    assert_eq!(body["partner_id"], id.as_str());
    assert_eq!(body["login"]["email"], "anna@baeckerei.de");
    assert_eq!(body["login"]["role"], "partner");
    assert!(body["login"]["last_login_at"].is_string());
    assert_eq!(body["profile"]["company"], "Bäckerei Müller");
    assert_eq!(body["profile"]["contact_name"], "Anna Müller");
    // The partner's own IBAN, in full.
    assert_eq!(body["sepa_mandate"]["iban"], "DE89370400440532013000");
    assert_eq!(
        body["sepa_mandate"]["account_holder"],
        "Bäckerei Müller GmbH"
    );
    assert_eq!(body["platforms"][0]["status"], "approved");
    assert_eq!(
        body["platforms"][0]["platform_name"],
        "Sparkasse Vorteilswelt"
    );
    assert_eq!(body["placements"][0]["month"], "2026-12");
    assert_eq!(body["placements"][0]["price_cents"], 1990);
    assert_eq!(body["card_contract"]["fee_per_terminal_user_cents"], 500);
    assert_eq!(body["card_contract"]["terminal_users"], 2);
    assert_eq!(body["customer_account"]["slug"], "baeckerei-mueller");
    assert_eq!(body["customer_account"]["tier"], "free");
    let routes: Vec<&str> = body["elsewhere"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["route"].as_str().unwrap())
        .collect();
    for route in [
        "GET /partners/me/invoices",
        "GET /partners/me/offers",
        "GET /cards/programs",
        "GET /programs",
        "GET /file-links/customers",
    ] {
        assert!(routes.contains(&route), "{route} in {routes:?}");
    }
    let text = body.to_string();
    for secret in ["argon2", "password", "generation", "iban_sealed", PASSWORD] {
        assert!(!text.contains(secret), "{secret} in the export");
    }

    // Another partner's export holds that partner's data only.
    let theirs = get(&app, "/partners/me/export", &other).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(theirs.body["login"]["email"], "bert@metzgerei.de");
    assert!(theirs.body["sepa_mandate"].is_null());
    assert!(theirs.body["card_contract"].is_null());
    assert_eq!(theirs.body["platforms"], json!([]));
    assert!(!theirs.body.to_string().contains("anna@baeckerei.de"));
}

// ---------------------------------------------------------------- closing the account

#[tokio::test]
async fn the_preview_says_what_closing_does_and_changes_nothing() {
    let app = TestApp::new().await;
    let (jwt, id, platform) = established(&app, "anna@baeckerei.de").await;
    let pending = app.platform("Volksbank", 3900).await;
    assert_eq!(app.apply(&pending, &jwt).await.status, StatusCode::CREATED);
    book_placement(&app, &id, &platform, "2026-12").await;

    let plan = get(&app, "/partners/me/closure", &jwt).await;
    assert_eq!(plan.status, StatusCode::OK, "{:?}", plan.body);
    let p = &plan.body;
    assert_eq!(p["status"], "open");
    assert_eq!(p["closes_on"], "2026-11-16");
    let subs = p["subscriptions"].as_array().unwrap();
    let sparkasse = subs
        .iter()
        .find(|s| s["platform_name"] == "Sparkasse Vorteilswelt")
        .unwrap();
    assert_eq!(sparkasse["outcome"], "cancelled");
    assert_eq!(sparkasse["last_day"], "2026-12-31");
    assert_eq!(sparkasse["monthly_fee_cents"], 4900);
    let volksbank = subs
        .iter()
        .find(|s| s["platform_name"] == "Volksbank")
        .unwrap();
    assert_eq!(volksbank["outcome"], "withdrawn");
    assert!(volksbank["last_day"].is_null());
    // Signed today: the two-year term runs to 15 November 2028.
    assert_eq!(p["card_contract"]["last_day"], "2028-11-15");
    assert_eq!(p["customer_account"]["last_day"], "2027-03-09");
    assert_eq!(p["placements"][0]["shown"], true);
    assert_eq!(p["last_billed_month"], "2028-11");
    assert!(
        p["notes"]["kept"][0]
            .as_str()
            .unwrap()
            .contains("zehn Jahre auf (§ 147 AO, § 257 HGB)")
    );
    assert!(
        p["notes"]["invoices"]
            .as_str()
            .unwrap()
            .contains("November 2028")
    );
    assert_eq!(p["blockers"], json!([]));

    // Nothing happened.
    let mine = get(&app, "/partners/me/platforms", &jwt).await;
    let statuses: Vec<&str> = mine.body["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"approved") && statuses.contains(&"pending"));
}

#[tokio::test]
async fn closing_ends_every_login_at_once_and_lets_the_contracts_run_out() {
    let app = TestApp::new().await;
    let (jwt, id, platform) = established(&app, "anna@baeckerei.de").await;
    let pending = app.platform("Volksbank", 3900).await;
    assert_eq!(app.apply(&pending, &jwt).await.status, StatusCode::CREATED);
    let session = login(&app, "anna@baeckerei.de", PASSWORD).await;

    let closed = post(
        &app,
        "/partners/me/closure",
        json!({"current_password": PASSWORD}),
        &jwt,
    )
    .await;
    assert_eq!(closed.status, StatusCode::OK, "{:?}", closed.body);
    assert_eq!(closed.body["status"], "closed");
    assert_eq!(
        closed.body["message"],
        "Ihr Partnerkonto ist geschlossen. Eine Bestätigung ist per E-Mail unterwegs."
    );

    // Every token of the account is refused at once, every session ends, nobody logs in.
    for token in [&jwt, &access_token(&session)] {
        let me = get(&app, "/partners/me", token).await;
        assert_problem(&me, StatusCode::UNAUTHORIZED, None);
        assert_eq!(detail(&me), "Dieses Partnerkonto wurde geschlossen.");
    }
    assert_eq!(
        refresh(&app, &refresh_token(&session)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = login(&app, "anna@baeckerei.de", PASSWORD).await;
    assert_problem(&again, StatusCode::UNAUTHORIZED, None);
    assert_eq!(detail(&again), "Anmeldename oder Passwort ist falsch.");
    let mails = app.mails().await.len();
    app.call(
        "POST",
        "/auth/password-reset",
        Some(json!({"login": "anna@baeckerei.de"})),
        None,
    )
    .await;
    assert_eq!(
        app.mails().await.len(),
        mails,
        "no reset link for a closed account"
    );

    // The subscriptions run to their normal end; the pending application is withdrawn.
    let table = app.table();
    let sub: shared::model::subscriptions::Application = from_item(
        table
            .get(&application_key(&id, &platform))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sub.status.as_str(), "cancelled");
    assert_eq!(sub.ends_on, Some(date(2026, 12, 31)));
    let withdrawn: shared::model::subscriptions::Application = from_item(
        table
            .get(&application_key(
                &id,
                &PlatformId::from_raw(pending.as_str()),
            ))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(withdrawn.status.as_str(), "withdrawn");
    let cards = shared::model::contracts::cards::load(table, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cards.cancelled_on, Some(date(2026, 11, 16)));
    assert_eq!(cards.ends_on, Some(date(2028, 11, 15)));
    let account: FileLinksContract =
        from_item(table.get(&file_links::key(&id)).await.unwrap().unwrap()).unwrap();
    assert_eq!(account.cancelled_on, Some(date(2026, 11, 16)));
    // The profile billing needs stays; the phone number goes.
    let partner: shared::model::partners::Partner = from_item(
        table
            .get(&shared::model::partners::partner_key(&id))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(partner.closed_at.is_some());
    assert!(partner.mandate.is_some());
    assert_eq!(partner.company, "Bäckerei Müller");
    assert_eq!(partner.phone, None);
    let login_item = table
        .get(&shared::model::accounts::login_key(
            &shared::auth::Scope::Platform,
            &shared::model::accounts::LoginName::parse("anna@baeckerei.de").unwrap(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(
        !login_item.contains_key("password_hash"),
        "the password is deleted"
    );

    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert_eq!(
        mail.subject,
        "Ihr Partnerkonto bei partnernetz ist geschlossen"
    );
    for said in [
        "am 16.11.2026 geschlossen",
        "Ihre Teilnahme an Sparkasse Vorteilswelt endet mit Ablauf des 31.12.2026.",
        "Ihre Bewerbung bei Volksbank ist zurückgezogen.",
        "Ihr Kartenvertrag endet mit Ablauf des 15.11.2028.",
        "bis einschließlich 09.03.2027",
        "zehn Jahre",
    ] {
        assert!(mail.text.contains(said), "{said} in {}", mail.text);
    }
}

#[tokio::test]
async fn closing_again_answers_what_closing_did_and_sends_nothing() {
    let app = TestApp::new().await;
    let (jwt, _, _) = established(&app, "anna@baeckerei.de").await;
    let body = json!({"current_password": PASSWORD});
    let first = post(&app, "/partners/me/closure", body.clone(), &jwt).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    let mails = app.mails().await.len();

    app.clock.advance(SignedDuration::from_mins(1));
    let retry = post(&app, "/partners/me/closure", body, &jwt).await;
    assert_eq!(retry.status, StatusCode::OK, "{:?}", retry.body);
    assert_eq!(retry.body["status"], "closed");
    assert_eq!(
        retry.body["message"],
        "Ihr Partnerkonto wurde am 16.11.2026 geschlossen."
    );
    assert_eq!(
        retry.body["subscriptions"][0]["last_day"],
        first.body["subscriptions"][0]["last_day"]
    );
    assert_eq!(
        retry.body["card_contract"]["last_day"],
        first.body["card_contract"]["last_day"]
    );
    assert_eq!(app.mails().await.len(), mails);

    // Asking again is still a request like any: a body without a password is refused.
    let empty = post(
        &app,
        "/partners/me/closure",
        json!({"current_password": ""}),
        &jwt,
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{:?}", empty.body);
    assert_eq!(empty.body["errors"][0]["field"], "current_password");
}

#[tokio::test]
async fn a_wrong_password_closes_nothing() {
    let app = TestApp::new().await;
    let (jwt, _, _) = established(&app, "anna@baeckerei.de").await;
    let wrong = post(
        &app,
        "/partners/me/closure",
        json!({"current_password": "nicht-das-richtige"}),
        &jwt,
    )
    .await;
    assert_problem(
        &wrong,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("current_password"),
    );
    assert_eq!(get(&app, "/partners/me", &jwt).await.status, StatusCode::OK);
    let plan = get(&app, "/partners/me/closure", &jwt).await;
    assert_eq!(plan.body["status"], "open");
}

/// A placement of a month after the subscription's end would be billed and never shown:
/// it must be cancelled first, and the preview says so.
#[tokio::test]
async fn a_placement_after_the_subscriptions_end_is_cancelled_first() {
    let app = TestApp::new().await;
    let (jwt, id, platform) = established(&app, "anna@baeckerei.de").await;
    book_placement(&app, &id, &platform, "2027-02").await;

    let plan = get(&app, "/partners/me/closure", &jwt).await;
    assert_eq!(plan.body["placements"][0]["shown"], false);
    let message = "Die Platzierung „Top-Platzierung“ im Februar 2027 liegt nach dem Ende Ihrer Teilnahme an dieser Plattform. Bitte stornieren Sie sie zuerst.";
    assert_eq!(plan.body["blockers"][0]["field"], "placements");
    assert_eq!(plan.body["blockers"][0]["message"], message);

    let refused = post(
        &app,
        "/partners/me/closure",
        json!({"current_password": PASSWORD}),
        &jwt,
    )
    .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("placements"),
    );
    assert_eq!(refused.body["errors"][0]["message"], message);
    assert_eq!(get(&app, "/partners/me", &jwt).await.status, StatusCode::OK);
}
