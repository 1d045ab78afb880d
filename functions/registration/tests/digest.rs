//! The managers' daily digest of what waits on their platforms, on the injected clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestApp;
use jiff::SignedDuration;
use serde_json::json;
use shared::domain::PlatformId;
use shared::model::reviews::review_index;
use shared::store::{Cond, Table};

/// An offer waiting for review on `platform`, as the offers function queues it.
async fn queue_review(app: &TestApp, platform: &PlatformId, title: &str, revision: bool) {
    let now = shared::clock::Clock::now(app.kit.clock.as_ref());
    let offer_id = shared::domain::new_id();
    let item = json!({
        "pk": format!("OFFER#{offer_id}"),
        "sk": format!("REVIEW#{platform}"),
        "gsi1pk": review_index(platform),
        "gsi1sk": format!("{now}#{offer_id}"),
        "offer_id": offer_id,
        "partner_id": "01a20996-1d13-756c-954c-72ad0a270999",
        "platform_id": platform,
        "company": "Metzgerei Schmidt",
        "content": {"title": title},
        "revision": revision,
        "submitted_at": now,
    });
    let serde_json::Value::Object(item) = item else {
        unreachable!()
    };
    app.table.put(item, Cond::NotExists).await.unwrap();
}

async fn mails_to(app: &TestApp, to: &str) -> Vec<shared::mail::Mail> {
    app.mails()
        .await
        .into_iter()
        .filter(|m| m.to.as_str() == to)
        .collect()
}

#[tokio::test]
async fn a_manager_gets_one_digest_a_day_listing_what_waits_since_when() {
    let app = TestApp::new().await;
    let platform = PlatformId::from_raw(app.platform("Sparkasse Vorteilswelt", 4900).await);
    let quiet = PlatformId::from_raw(app.platform("Volksbank Vorteile", 3900).await);
    let fixtures = app.kit.fixtures();
    fixtures.manager_of("max@sparkasse.de", &platform).await;
    fixtures.manager_of("mia@volksbank.de", &quiet).await;
    let env = &app.kit.env;
    let today = || shared::clock::Clock::today(app.kit.clock.as_ref());

    // Nothing waits: no mail.
    let summary = registration::digest::run(env, today()).await.unwrap();
    assert_eq!(summary.sent, 0);
    assert_eq!(summary.nothing_waiting, 2);
    assert!(mails_to(&app, "max@sparkasse.de").await.is_empty());

    // Monday 16.11.2026: an application; Tuesday: a revised offer.
    let (jwt, _) = app.confirmed_partner("anna@baeckerei.de").await;
    app.add_mandate(&jwt).await;
    app.apply(platform.as_str(), &jwt).await;
    app.kit.clock.advance(SignedDuration::from_hours(24));
    queue_review(&app, &platform, "15 % auf alle Torten", true).await;

    let summary = registration::digest::run(env, today()).await.unwrap();
    assert_eq!(summary.sent, 1);
    let mails = mails_to(&app, "max@sparkasse.de").await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.subject, "2 Vorgänge warten auf Ihre Prüfung");
    assert!(mail.text.contains("Guten Tag Test,"), "{}", mail.text);
    assert!(mail.text.contains("am 17.11.2026"), "{}", mail.text);
    assert!(
        mail.text.contains(&format!(
            "Sparkasse Vorteilswelt: https://partnernetz.de/plattform/{platform}"
        )),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("Bewerbungen (1):\n– Bäckerei Müller, wartet seit 16.11.2026")
    );
    assert!(mail.text.contains(
        "Angebote zur Prüfung (1):\n– „15 % auf alle Torten“ von Metzgerei Schmidt (Überarbeitung), wartet seit 17.11.2026"
    ));
    assert!(mail.html.contains("white-space: pre-line"));
    assert!(mails_to(&app, "mia@volksbank.de").await.is_empty());

    // A second run the same day sends nothing new.
    let again = registration::digest::run(env, today()).await.unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(again.already_sent, 1);
    assert_eq!(mails_to(&app, "max@sparkasse.de").await.len(), 1);

    // The next day it comes again while anything still waits.
    app.kit.clock.advance(SignedDuration::from_hours(24));
    let next = registration::digest::run(env, today()).await.unwrap();
    assert_eq!(next.sent, 1);
    assert_eq!(mails_to(&app, "max@sparkasse.de").await.len(), 2);
}
