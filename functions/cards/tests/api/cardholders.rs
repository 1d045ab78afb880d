//! Cardholders: registration with the activation code, sealed personal data, the portal,
//! blocking and deleting; the statistics' small groups and the export.

use http::StatusCode;
use serde_json::json;
use shared::testing::{assert_problem, holds_value_in_clear};

use crate::kit::{BONUS, World};

#[tokio::test]
async fn a_registered_cardholder_sees_the_card_and_the_till_only_the_first_name() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 2).await;
    let card = &cards[0];

    let wrong = w
        .client
        .call(
            "POST",
            "/cards/register",
            Some(
                json!({"number": card.0, "activation_code": cards[1].1, "first_name": "Zora",
                "last_name": "Quist", "email": "zora.quist@example.de", "consent": true}),
            ),
            None,
        )
        .await;
    assert_problem(&wrong, StatusCode::BAD_REQUEST, Some("activation_code"));
    let no_consent = w
        .client
        .call(
            "POST",
            "/cards/register",
            Some(
                json!({"number": card.0, "activation_code": card.1, "first_name": "Zora",
                "last_name": "Quist", "email": "zora.quist@example.de", "consent": false}),
            ),
            None,
        )
        .await;
    assert_problem(&no_consent, StatusCode::BAD_REQUEST, Some("consent"));

    let token = w
        .holder(
            &m,
            card,
            json!({"first_name": "Zora", "last_name": "Quist", "email": "zora.quist@example.de",
                "gender": "female", "birth_year": 1977, "postal_code": "50667"}),
        )
        .await;
    let invite = w.kit.last_mail_to("zora.quist@example.de").await;
    assert!(
        invite.text.contains(&card.0),
        "the login is the card number"
    );
    assert!(invite.text.contains("/einladung?token="), "{}", invite.text);
    assert!(
        invite
            .text
            .contains(&format!("&weiter=/karte/{}/anmelden", m.id)),
        "the password leads on to the merchant's cardholder login: {}",
        invite.text
    );
    assert!(
        !invite.text.contains("Zora"),
        "the outbox record carries no name"
    );

    w.book(
        &m.pos,
        &card.0,
        "k-1",
        json!({"type": "earn", "amount_cents": 1999}),
    )
    .await;
    let till = w
        .call("GET", &format!("/cards/pos/cards/{}", card.0), None, &m.pos)
        .await;
    assert_eq!(till.body["first_name"], "Zora");
    let shown = serde_json::to_string(&till.body).unwrap();
    for secret in ["Quist", "zora.quist"] {
        assert!(
            !shown.contains(secret),
            "the till does not see {secret}: {shown}"
        );
    }
    // Digits, unlike names, turn up by chance inside card numbers and ids.
    for secret in ["1977", "50667"] {
        assert!(
            !holds_value_in_clear(&shown, secret),
            "the till does not see {secret}: {shown}"
        );
    }

    // Name, e-mail and birth year are sealed wherever they are stored, the kit's login
    // record and invitation token included.
    let dump = w.kit.table.dump().unwrap();
    for item in &dump {
        let pk = item["pk"].as_str().unwrap_or_default();
        let text = serde_json::to_string(item).unwrap();
        assert!(
            !text.contains("Zora") && !text.contains("Quist"),
            "{pk}: {text}"
        );
        assert!(!holds_value_in_clear(&text, "1977"), "{pk}: {text}");
        assert!(!text.contains("zora.quist"), "{pk}: {text}");
    }

    let me = w.call("GET", "/cards/me", None, &token).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["card"]["balance"], 19);
    assert_eq!(me.body["personal_data"]["last_name"], "Quist");
    assert_eq!(me.body["history"][0]["type"], "earn");
    let again = w
        .client
        .call(
            "POST",
            "/cards/register",
            Some(
                json!({"number": card.0, "activation_code": card.1, "first_name": "Eve",
                "last_name": "X", "email": "eve@example.de", "consent": true}),
            ),
            None,
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);

    let blocked = w.call("POST", "/cards/me/block", None, &token).await;
    assert_eq!(blocked.body["status"], "blocked", "{:?}", blocked.body);
    let refused = w
        .book(
            &m.pos,
            &card.0,
            "k-2",
            json!({"type": "redeem", "points": 1}),
        )
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, None);

    let deleted = w.call("DELETE", "/cards/me", None, &token).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    // The token ends with the account, on the very next request.
    let gone = w.call("GET", "/cards/me", None, &token).await;
    assert_problem(&gone, StatusCode::UNAUTHORIZED, None);
    assert_eq!(gone.body["detail"], "Ihr Zugang besteht nicht mehr.");
    let dump = serde_json::to_string(&w.kit.table.dump().unwrap()).unwrap();
    assert!(!dump.contains("zora.quist"), "{dump}");
    let till = w
        .call("GET", &format!("/cards/pos/cards/{}", card.0), None, &m.pos)
        .await;
    assert!(till.body.get("first_name").is_none(), "{:?}", till.body);
    let stats = w
        .call("GET", "/cards/statistics", None, &m.partner.token)
        .await;
    assert_eq!(
        stats.body["by_period"][0]["bookings"], 1,
        "the booking stays"
    );
}

/// 5 women and 1 man: `cards_registered: 6` next to `weiblich: 5` would tell the one man.
#[tokio::test]
async fn statistics_hide_a_group_that_the_total_would_reveal() {
    let w = World::new().await;
    w.at("2026-11-24T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 6).await;
    for (i, card) in cards.iter().enumerate() {
        let gender = if i < 5 { "female" } else { "male" };
        let born = if i < 5 { 1990 } else { 1950 };
        w.holder(
            &m,
            card,
            json!({"first_name": format!("Person{i}"), "last_name": "Beispiel",
                "email": format!("person{i}@example.de"), "gender": gender,
                "birth_year": born, "postal_code": "50667"}),
        )
        .await;
    }
    let stats = w
        .call("GET", "/cards/statistics", None, &m.partner.token)
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    assert_eq!(stats.body["cards_registered"], 6);
    assert_eq!(
        stats.body["by_gender"],
        json!([{"group": "männlich", "cardholders": "verborgen"}, {"group": "weiblich", "cardholders": "verborgen"}])
    );
    assert_eq!(
        stats.body["by_age"],
        json!([{"group": "25-39", "cardholders": "verborgen"}, {"group": "60+", "cardholders": "verborgen"}])
    );
    assert_eq!(
        stats.body["by_postal_area"],
        json!([{"group": "50xxx", "cardholders": "6"}])
    );
}

#[tokio::test]
async fn statistics_suppress_small_groups_and_the_export_parses_back() {
    let w = World::new().await;
    w.at("2026-11-24T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 7).await;
    for (i, card) in cards.iter().enumerate() {
        let gender = if i < 5 { "female" } else { "male" };
        w.holder(
            &m,
            card,
            json!({"first_name": format!("Person{i}"), "last_name": "Beispiel",
                "email": format!("person{i}@example.de"), "gender": gender,
                "birth_year": 1990, "postal_code": format!("{}0667", 5 + i % 2)}),
        )
        .await;
        w.book(
            &m.pos,
            &card.0,
            &format!("k-{i}"),
            json!({"type": "earn", "amount_cents": 1000}),
        )
        .await;
    }
    let stats = w
        .call(
            "GET",
            "/cards/statistics?period=day",
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    assert_eq!(stats.body["cards_issued"], 7);
    assert_eq!(stats.body["cards_active"], 7);
    assert_eq!(
        stats.body["by_gender"],
        json!([{"group": "männlich", "cardholders": "verborgen"}, {"group": "weiblich", "cardholders": "verborgen"}]),
        "with 7 registered, 5 women would tell the 2 men"
    );
    assert_eq!(
        stats.body["by_age"],
        json!([{"group": "25-39", "cardholders": "7"}])
    );
    assert_eq!(
        stats.body["by_postal_area"],
        json!([{"group": "50xxx", "cardholders": "verborgen"}, {"group": "60xxx", "cardholders": "verborgen"}])
    );
    assert_eq!(
        stats.body["by_period"],
        json!([{"period": "2026-11-24", "bookings": 7, "turnover_cents": 7000, "loaded_cents": 0}])
    );
    assert_eq!(stats.body["outstanding"][0]["balance"], 70);

    let export = w
        .call("POST", "/cards/exports", None, &m.partner.token)
        .await;
    assert_eq!(export.status, StatusCode::CREATED, "{:?}", export.body);
    let fetch = |url: String| async move {
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        assert!(bytes.starts_with("\u{feff}".as_bytes()));
        let mut r = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(std::io::Cursor::new(bytes[3..].to_vec()));
        let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        (headers, rows)
    };
    let (headers, holders) = fetch(export.body["cardholders_url"].as_str().unwrap().into()).await;
    assert_eq!(headers, cards::export::CARDHOLDER_HEADERS);
    assert_eq!(holders.len(), 7);
    assert!(
        holders
            .iter()
            .any(|r| r[1] == "Person3" && r[3] == "person3@example.de")
    );
    let (headers, bookings) = fetch(export.body["bookings_url"].as_str().unwrap().into()).await;
    assert_eq!(headers, cards::export::BOOKING_HEADERS);
    assert_eq!(bookings.len(), 7);
    for card in &cards {
        assert!(
            bookings
                .iter()
                .any(|r| r[1].replace(' ', "") == card.0 && r[4] == "10" && r[5] == "Punkte"),
            "{}",
            card.0
        );
    }
    let mail = w.kit.last_mail_to("anna@baeckerei-a.de").await;
    assert!(mail.subject.contains("Export"), "{}", mail.subject);
    // The files hold personal data: they are deleted 7 days after the export, as the mail says.
    assert_eq!(export.body["available_until"], "2026-12-01");
    for part in [&mail.text, &mail.html] {
        assert!(
            part.contains(
                "Die Links sind bis zum 01.12.2026 gültig; danach werden die Dateien gelöscht."
            ),
            "{part}"
        );
    }
}
