//! Profile, logo, SEPA mandate, platforms, applications and their review, through the router.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{TestApp, field_names};
use serde_json::json;
use shared::auth::Role;
use shared::clock::Clock;
use shared::domain::{PartnerId, PlatformId};
use shared::model::partners::partner_key;
use shared::store::Table;
use shared::testing::assert_problem;

#[tokio::test]
async fn profile_updates_are_validated_and_shown() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let bad = app
        .call("PATCH", "/partners/me", Some(json!({"vat_id": "DE12", "address": {"street": "Hauptstr. 1", "postal_code": "5066", "city": "Köln"}})), Some(&jwt))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&bad.body), ["address.postal_code", "vat_id"]);
    let ok = app
        .call("PATCH", "/partners/me", Some(json!({"company": "Bäckerei Müller GmbH", "vat_id": "de 123456789", "address": {"street": "Hauptstr. 1", "postal_code": "50667", "city": "Köln"}})), Some(&jwt))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["company"], "Bäckerei Müller GmbH");
    assert_eq!(ok.body["vat_id"], "DE123456789");
    assert_eq!(ok.body["address"]["country"], "DE");
    let unknown_field = app
        .call(
            "PATCH",
            "/partners/me",
            Some(json!({"email": "neu@x.de"})),
            Some(&jwt),
        )
        .await;
    assert_eq!(
        unknown_field.status,
        StatusCode::BAD_REQUEST,
        "the e-mail cannot be patched"
    );
}

#[tokio::test]
async fn logo_upload_goes_through_a_presigned_url_limited_to_its_type_and_size() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let png = b"\x89PNG\r\n\x1a\n-logo-".to_vec();
    let svg = app
        .call(
            "POST",
            "/partners/me/logo",
            Some(json!({"content_type": "image/svg+xml", "size_bytes": png.len()})),
            Some(&jwt),
        )
        .await;
    assert_eq!(svg.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&svg.body), ["content_type"]);
    for size in [0, 5 * 1024 * 1024 + 1] {
        let refused = app
            .call(
                "POST",
                "/partners/me/logo",
                Some(json!({"content_type": "image/png", "size_bytes": size})),
                Some(&jwt),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{size} bytes");
        assert_eq!(field_names(&refused.body), ["size_bytes"]);
    }
    let r = app
        .call(
            "POST",
            "/partners/me/logo",
            Some(json!({"content_type": "image/png", "size_bytes": png.len()})),
            Some(&jwt),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let url = r.body["upload"]["url"].as_str().unwrap().to_string();
    assert_eq!(r.body["upload"]["headers"]["content-type"], "image/png");
    let before = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert!(
        before.body["logo_url"].is_null(),
        "no logo before the upload"
    );

    let http = reqwest::Client::new();
    let wrong = http
        .put(&url)
        .header("content-type", "image/jpeg")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.status(),
        reqwest::StatusCode::FORBIDDEN,
        "S3 refuses another content type"
    );
    let mut longer = png.clone();
    longer.extend_from_slice(b"and more");
    let too_long = http
        .put(&url)
        .header("content-type", "image/png")
        .body(longer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        too_long.status(),
        reqwest::StatusCode::FORBIDDEN,
        "S3 refuses another size"
    );
    let right = http
        .put(&url)
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert!(right.status().is_success());

    let after = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    let logo_url = after.body["logo_url"]
        .as_str()
        .expect("the profile shows the logo");
    let fetched = http.get(logo_url).send().await.unwrap();
    assert!(fetched.status().is_success());
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), png);
}

/// Presigns a logo upload of `bytes` declared as `content_type` and puts them; the URL.
async fn upload_logo(app: &TestApp, jwt: &str, content_type: &str, bytes: &[u8]) -> String {
    let r = app
        .call(
            "POST",
            "/partners/me/logo",
            Some(json!({"content_type": content_type, "size_bytes": bytes.len()})),
            Some(jwt),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let url = r.body["upload"]["url"].as_str().unwrap().to_string();
    put_logo(&url, content_type, bytes).await;
    url
}

async fn put_logo(url: &str, content_type: &str, bytes: &[u8]) {
    let put = reqwest::Client::new()
        .put(url)
        .header("content-type", content_type)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "upload: {}", put.status());
}

/// The logo on the partner record, which supplier pages and coupons read: its bytes.
async fn logo_on_record(app: &TestApp, partner_id: &str) -> Option<Vec<u8>> {
    let key = shared::model::partners::partner_key(&PartnerId::from_raw(partner_id));
    let partner: shared::model::partners::Partner =
        shared::model::from_item(app.table.get(&key).await.unwrap().unwrap()).unwrap();
    assert_eq!(partner.logo_pending_key, None, "no upload left pending");
    match partner.logo_key {
        Some(logo) => Some(app.env.blobs.get(&logo).await.unwrap()),
        None => None,
    }
}

async fn logo_shown(app: &TestApp, jwt: &str) -> Option<Vec<u8>> {
    let me = app.call("GET", "/partners/me", None, Some(jwt)).await;
    let url = me.body["logo_url"].as_str()?.to_string();
    let fetched = reqwest::get(url).await.unwrap();
    assert!(fetched.status().is_success());
    Some(fetched.bytes().await.unwrap().to_vec())
}

/// The upload's completion makes it the logo: supplier pages and coupons read the partner
/// record, and it names the logo before anyone opens the profile.
#[tokio::test]
async fn a_logo_is_the_partners_as_soon_as_its_upload_completes() {
    let app = TestApp::new().await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    let png = b"\x89PNG\r\n\x1a\n-logo-".to_vec();
    upload_logo(&app, &jwt, "image/png", &png).await;
    assert_eq!(logo_on_record(&app, &partner_id).await, Some(png.clone()));
    assert_eq!(logo_shown(&app, &jwt).await, Some(png));
}

/// A file that is not the declared image (S3 checks only the signed type header) never
/// becomes the logo, and the one before stays.
#[tokio::test]
async fn a_logo_upload_that_is_no_image_is_not_shown() {
    let app = TestApp::new().await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    upload_logo(&app, &jwt, "image/png", &html).await;
    assert_eq!(logo_on_record(&app, &partner_id).await, None);
    assert_eq!(logo_shown(&app, &jwt).await, None);

    let jpeg = b"\xFF\xD8\xFF\xE0-logo-".to_vec();
    upload_logo(&app, &jwt, "image/jpeg", &jpeg).await;
    upload_logo(&app, &jwt, "image/webp", b"RIFF----WAVEfmt kein Bild").await;
    assert_eq!(logo_on_record(&app, &partner_id).await, Some(jpeg.clone()));
    assert_eq!(logo_shown(&app, &jwt).await, Some(jpeg));
}

/// The upload URL stays valid for ten minutes: a second PUT to it, even of another image,
/// changes nothing that is shown.
#[tokio::test]
async fn a_logo_put_again_to_its_upload_url_changes_nothing_shown() {
    let app = TestApp::new().await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    let png = b"\x89PNG\r\n\x1a\n-logo-".to_vec();
    let url = upload_logo(&app, &jwt, "image/png", &png).await;
    let mut other = b"\x89PNG\r\n\x1a\n".to_vec();
    other.resize(png.len(), b'X');
    put_logo(&url, "image/png", &other).await;
    assert_eq!(logo_on_record(&app, &partner_id).await, Some(png.clone()));
    assert_eq!(logo_shown(&app, &jwt).await, Some(png));
}

#[tokio::test]
async fn sepa_mandate_checks_the_iban_and_stores_it_encrypted() {
    let app = TestApp::new().await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    let bad = app
        .call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(json!({"account_holder": "", "iban": "DE89370400440532013001"})),
            Some(&jwt),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&bad.body), ["account_holder", "iban"]);
    app.add_mandate(&jwt).await;
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    let mandate = &me.body["sepa_mandate"];
    assert_eq!(mandate["iban"], "DE89 •••• •••• •••• ••30 00");
    assert!(mandate["reference"].as_str().unwrap().starts_with("PN-"));
    assert_eq!(mandate["signed_on"], app.clock.today().to_string());
    let stored = app
        .table()
        .get(&partner_key(&PartnerId::from_raw(partner_id.as_str())))
        .await
        .unwrap()
        .unwrap();
    let raw = serde_json::to_string(&stored).unwrap();
    assert!(
        !raw.contains("DE89370400440532013000"),
        "the IBAN is not stored in clear"
    );
}

#[tokio::test]
async fn applying_needs_a_confirmed_email_and_a_mandate() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let no_mandate = app.apply(&platform, &jwt).await;
    assert_eq!(no_mandate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_mandate.body["detail"]
            .as_str()
            .unwrap()
            .contains("SEPA-Lastschriftmandat")
    );
    app.add_mandate(&jwt).await;
    let missing = app
        .call(
            "POST",
            &format!("/partners/me/platforms/{}", PlatformId::generate()),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // A malformed id names the parameter instead of being looked up.
    let malformed = app
        .call(
            "POST",
            "/partners/me/platforms/unknown-platform",
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["errors"][0]["field"], "platform_id");
    let applied = app.apply(&platform, &jwt).await;
    assert_eq!(applied.status, StatusCode::CREATED);
    assert_eq!(applied.body["status"], "pending");
    let twice = app.apply(&platform, &jwt).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn managers_review_only_their_platforms() {
    let app = TestApp::new().await;
    let mine = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let other = app.platform("Volksbank Vorteile", 3900).await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&mine, &jwt).await;

    let manager = app.token("m-1", Role::Manager, None, &[&mine]);
    let foreign = app.token("m-2", Role::Manager, None, &[&other]);
    let list = app
        .call(
            "GET",
            &format!("/platforms/{mine}/applications?status=pending"),
            None,
            Some(&manager),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body["applications"][0]["partner_id"],
        partner_id.as_str()
    );
    assert_eq!(list.body["applications"][0]["company"], "Bäckerei Müller");
    let bad_status = app
        .call(
            "GET",
            &format!("/platforms/{mine}/applications?status=offen"),
            None,
            Some(&manager),
        )
        .await;
    assert_eq!(field_names(&bad_status.body), ["status"]);
    let denied = app
        .call(
            "GET",
            &format!("/platforms/{mine}/applications"),
            None,
            Some(&foreign),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let denied_decision = app
        .decide(&mine, &partner_id, json!({"decision": "approve"}), &foreign)
        .await;
    assert_eq!(denied_decision.status, StatusCode::FORBIDDEN);
    let partner_as_manager = app
        .call(
            "GET",
            &format!("/platforms/{mine}/applications"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(partner_as_manager.status, StatusCode::FORBIDDEN);

    let no_reason = app
        .decide(&mine, &partner_id, json!({"decision": "reject"}), &manager)
        .await;
    assert_eq!(field_names(&no_reason.body), ["reason"]);
    let approved = app
        .decide(&mine, &partner_id, json!({"decision": "approve"}), &manager)
        .await;
    assert_eq!(approved.status, StatusCode::OK);
    assert_eq!(approved.body["approved_on"], app.clock.today().to_string());
    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.subject.contains("angenommen"));
    assert!(mail.text.contains("49,00 €"));
    let billable = app
        .table()
        .query_all(shared::model::billable::billable_partners())
        .await
        .unwrap();
    assert_eq!(
        billable
            .iter()
            .filter_map(shared::model::billable::partner_of)
            .map(|p| p.as_str().to_owned())
            .collect::<Vec<_>>(),
        std::slice::from_ref(&partner_id),
        "the approval makes the partner billable"
    );
    let again = app
        .decide(
            &mine,
            &partner_id,
            json!({"decision": "reject", "reason": "doch nicht"}),
            &manager,
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let pending = app
        .call(
            "GET",
            &format!("/platforms/{mine}/applications?status=pending"),
            None,
            Some(&manager),
        )
        .await;
    assert_eq!(
        pending.body["applications"],
        json!([]),
        "approved leaves the pending list"
    );
}

#[tokio::test]
async fn rejection_mails_the_reason() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&platform, &jwt).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let r = app
        .decide(
            &platform,
            &partner_id,
            json!({"decision": "reject", "reason": "Branche <passt> nicht"}),
            &manager,
        )
        .await;
    assert_eq!(r.body["status"], "rejected");
    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.text.contains("Begründung: Branche <passt> nicht"));
    assert!(
        mail.html.contains("Branche &lt;passt&gt; nicht"),
        "values are escaped in HTML"
    );
    let again = app.apply(&platform, &jwt).await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "a rejected partner may apply again"
    );
}

#[tokio::test]
async fn withdrawing_is_immediate_and_cancelling_keeps_the_notice_period() {
    let app = TestApp::new().await;
    let a = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let b = app.platform("Volksbank Vorteile", 3900).await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&a, &jwt).await;
    app.apply(&b, &jwt).await;
    let withdrawn = app
        .call(
            "DELETE",
            &format!("/partners/me/platforms/{a}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert!(withdrawn.body.get("ends_on").is_none());

    let manager = app.token("m-1", Role::Manager, None, &[&b]);
    app.decide(&b, &partner_id, json!({"decision": "approve"}), &manager)
        .await;
    let cancelled = app
        .call(
            "DELETE",
            &format!("/partners/me/platforms/{b}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let expected = registration::notice::subscription_end(app.clock.today()).to_string();
    assert_eq!(cancelled.body["ends_on"], expected.as_str());
    let mail = app.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.subject.contains("Kündigung"));
    let twice = app
        .call(
            "DELETE",
            &format!("/partners/me/platforms/{b}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_end_of_a_cancellation_today_is_stated_before_cancelling() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&platform, &jwt).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    app.decide(
        &platform,
        &partner_id,
        json!({"decision": "approve"}),
        &manager,
    )
    .await;

    // 16 November 2026 (the test clock): a month's notice to the end of a month.
    let before = app
        .call("GET", "/partners/me/platforms", None, Some(&jwt))
        .await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["cancellation_ends_on"], "2026-12-31");

    let cancelled = app
        .call(
            "DELETE",
            &format!("/partners/me/platforms/{platform}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(
        cancelled.body["ends_on"],
        before.body["cancellation_ends_on"]
    );
    assert_eq!(
        cancelled.body["message"],
        "Gekündigt. Die Teilnahme endet mit Ablauf des 31.12.2026."
    );
}

#[tokio::test]
async fn operators_create_platforms_and_invite_managers() {
    let app = TestApp::new().await;
    let (partner_jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let denied = app
        .call(
            "POST",
            "/platforms",
            Some(json!({"name": "X", "monthly_fee_cents": 100})),
            Some(&partner_jwt),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let negative = app
        .call(
            "POST",
            "/platforms",
            Some(json!({"name": "X", "monthly_fee_cents": -1})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(field_names(&negative.body), ["monthly_fee_cents"]);
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let list = app.call("GET", "/platforms", None, None).await;
    assert_eq!(list.body["platforms"][0]["monthly_fee"], "49,00 €");

    let invited = app
        .call(
            "POST",
            &format!("/platforms/{platform}/managers"),
            Some(json!({"email": "max@sparkasse.example", "name": "Max Manager"})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED);
    let mail = app.last_mail_to("max@sparkasse.example").await;
    assert!(mail.subject.contains("Sparkasse Vorteilswelt"));
    // After the password, the link leads on to the console's login.
    assert!(
        mail.text.contains("&weiter=/plattform/anmelden"),
        "{}",
        mail.text
    );
    let token = common::token_in(&mail.text);
    let accepted = app
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": "manager-passwort-1"})),
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);
    let signed_in = app
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": "max@sparkasse.example", "password": "manager-passwort-1"})),
            None,
        )
        .await;
    // The console learns from the login which platforms it shows.
    assert_eq!(signed_in.body["platforms"], json!([platform]));
    assert_eq!(signed_in.body["role"], "manager");
    let jwt = app
        .login("max@sparkasse.example", "manager-passwort-1")
        .await;
    let apps = app
        .call(
            "GET",
            &format!("/platforms/{platform}/applications"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(
        apps.status,
        StatusCode::OK,
        "the invited manager manages the platform"
    );
    let partner_email = app
        .call(
            "POST",
            &format!("/platforms/{platform}/managers"),
            Some(json!({"email": "anna@baeckerei.de", "name": "Anna"})),
            Some(&app.operator_token()),
        )
        .await;
    assert_eq!(partner_email.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn forged_expired_and_missing_tokens_are_401() {
    let app = TestApp::new().await;
    let other_key = shared::auth::generate_ed25519_pems().unwrap();
    let forged = shared::auth::JwtIssuer::from_pem(&other_key.private_pem)
        .unwrap()
        .issue(
            "p",
            Role::Partner,
            Some("p".into()),
            vec![],
            shared::clock::Clock::epoch(app.clock.as_ref()),
        )
        .unwrap();
    let expired = app
        .issuer
        .issue(
            "p",
            Role::Partner,
            Some("p".into()),
            vec![],
            shared::clock::Clock::epoch(app.clock.as_ref()) - 3600,
        )
        .unwrap();
    for token in [
        Some(forged.as_str()),
        Some(expired.as_str()),
        Some("not-a-jwt"),
        None,
    ] {
        let r = app.call("GET", "/partners/me", None, token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(
            r.body["type"],
            "https://partnernetz.de/probleme/unauthorized"
        );
    }
    let unknown = app.call("GET", "/nirgendwo", None, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["status"], 404);
}

#[tokio::test]
async fn fees_are_bounded_so_no_sum_can_overflow() {
    let app = TestApp::new().await;
    let operator = app.operator_token();
    let create = |fee: serde_json::Value| {
        app.call(
            "POST",
            "/platforms",
            Some(json!({"name": "Sparkasse Vorteilswelt", "monthly_fee_cents": fee})),
            Some(&operator),
        )
    };
    for too_much in [
        json!(9_223_372_036_854_775_807_i64),
        json!(10_000_001),
        json!(-1),
        json!(i64::MIN),
    ] {
        let r = create(too_much.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{too_much}");
        assert_eq!(field_names(&r.body), ["monthly_fee_cents"], "{too_much}");
    }
    let r = create(json!(10_000_001)).await;
    assert_eq!(
        r.body["errors"][0]["message"],
        "darf höchstens 100.000,00 € betragen (Angabe in Cent)"
    );
    // Beyond i64 and fractions of a cent never reach the handler; still named, in German.
    for not_cents in [
        json!(18_446_744_073_709_551_616_f64),
        json!(49.5),
        json!("4900"),
    ] {
        let r = create(not_cents.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{not_cents}");
        assert_eq!(field_names(&r.body), ["monthly_fee_cents"], "{not_cents}");
        assert_eq!(r.body["errors"][0]["message"], "muss eine ganze Zahl sein");
    }
    let highest = create(json!(10_000_000)).await;
    assert_eq!(highest.status, StatusCode::CREATED, "{:?}", highest.body);
    assert_eq!(highest.body["monthly_fee"], "100.000,00 €");
}

#[tokio::test]
async fn mandates_take_only_sepa_ibans_and_sepa_names() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let put = |holder: &str, iban: &str| {
        app.call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(json!({"account_holder": holder, "iban": iban})),
            Some(&jwt),
        )
    };
    // Valid IBANs, but Saudi Arabia and Brazil are outside the SEPA schemes.
    for outside in [
        "SA03 8000 0000 6080 1016 7519",
        "BR18 0036 0305 0000 1000 9795 493C 1",
    ] {
        let r = put("Bäckerei Müller GmbH", outside).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{outside}");
        assert_eq!(field_names(&r.body), ["iban"]);
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("außerhalb des SEPA-Raums"),
            "{:?}",
            r.body
        );
    }
    for (holder, shown) in [
        ("Bäckerei\u{0}Müller", "U+0000"),
        ("Bäckerei Müller\u{202E}", "U+202E"),
        ("Café Crème SARL", "é è"),
        ("Bäckerei_Müller", "_"),
    ] {
        let r = put(holder, "DE89 3704 0044 0532 0130 00").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{holder:?}");
        assert_eq!(field_names(&r.body), ["account_holder"], "{holder:?}");
        let message = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(shown), "{holder:?}: {message}");
    }
    let too_long = put(&"A".repeat(71), "DE89 3704 0044 0532 0130 00").await;
    assert_eq!(field_names(&too_long.body), ["account_holder"]);
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert!(me.body["sepa_mandate"].is_null(), "nothing was stored");

    let ok = put("Bäckerei Müller GmbH & Co. KG", "AT61 1904 3002 3457 3201").await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["account_holder"], "Bäckerei Müller GmbH & Co. KG");
}

#[tokio::test]
async fn profile_texts_refuse_control_characters_and_odd_vat_ids_do_not_crash() {
    let app = TestApp::new().await;
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let r = app
        .call(
            "PATCH",
            "/partners/me",
            Some(json!({
                "contact_name": "Anna\u{7}",
                "address": {"street": "Hauptstr.\u{0} 1", "postal_code": "1\u{0}2\u{0}3", "city": "Wien", "country": "AT"}
            })),
            Some(&jwt),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_names(&r.body),
        ["contact_name", "address.street", "address.postal_code"]
    );
    for odd in ["€1", "Ä", "€€€€€"] {
        let r = app
            .call(
                "PATCH",
                "/partners/me",
                Some(json!({"vat_id": odd})),
                Some(&jwt),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{odd}");
        assert_eq!(field_names(&r.body), ["vat_id"], "{odd}");
    }
    let me = app.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.body["contact_name"], "Anna Müller", "nothing was stored");
}

#[tokio::test]
async fn decisions_keep_multi_line_reasons_and_refuse_control_characters() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let (jwt, partner_id) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(&platform, &jwt).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let bad = app
        .decide(
            &platform,
            &partner_id,
            json!({"decision": "reject", "reason": "Branche\u{0}passt nicht"}),
            &manager,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(field_names(&bad.body), ["reason"]);
    let unknown = app
        .decide(
            &platform,
            &partner_id,
            json!({"decision": "vielleicht"}),
            &manager,
        )
        .await;
    assert_eq!(field_names(&unknown.body), ["decision"]);
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "muss einer dieser Werte sein: approve, reject"
    );
    let ok = app
        .decide(
            &platform,
            &partner_id,
            json!({"decision": "reject", "reason": "Erstens: Branche.\r\nZweitens: Region."}),
            &manager,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(
        ok.body["rejection_reason"],
        "Erstens: Branche.\nZweitens: Region."
    );
}

#[tokio::test]
async fn framework_rejections_are_problems_naming_the_parameter() {
    let app = TestApp::new().await;
    let platform = app.platform("Sparkasse Vorteilswelt", 4900).await;
    let manager = app.token("m-1", Role::Manager, None, &[&platform]);
    let (partner, _) = app.confirmed_partner("anna@baeckerei.de").await;
    let get = |method: &'static str, uri: String, token: Option<String>| {
        let client = app.client.clone();
        async move { client.call(method, &uri, None, token.as_deref()).await }
    };

    // A query string that does not parse.
    let r = get(
        "GET",
        format!("/platforms/{platform}/applications?limit=abc"),
        Some(manager.clone()),
    )
    .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("limit"));
    assert_eq!(r.body["errors"][0]["message"], "muss eine ganze Zahl sein");

    // Invalid UTF-8 in a path parameter, alone and as the second of two.
    let r = get(
        "POST",
        "/partners/me/platforms/%FF%FE".into(),
        Some(partner.clone()),
    )
    .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("platform_id"));
    let r = get(
        "POST",
        format!("/platforms/{platform}/applications/%C3%28/decision"),
        Some(manager.clone()),
    )
    .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("partner_id"));

    // A method the route does not have: 405 with Allow.
    let r = get("DELETE", "/platforms".into(), None).await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, None);
    let allow = r.headers["allow"].to_str().unwrap();
    assert!(
        allow.contains("GET") && allow.contains("POST"),
        "Allow: {allow}"
    );

    // No such route.
    let r = get("GET", "/plattformen".into(), None).await;
    assert_problem(&r, StatusCode::NOT_FOUND, None);
    assert_eq!(r.body["detail"], "Diese Adresse gibt es nicht.");
}
