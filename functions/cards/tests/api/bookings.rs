//! The till: lookups and bookings, idempotent, atomic, never below zero, only on own cards.

use http::StatusCode;
use serde_json::json;
use shared::testing::assert_problem;

use crate::kit::{BONUS, PREPAID, World};

#[tokio::test]
async fn points_are_earned_and_redeemed_never_below_zero() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 2).await;
    let number = &cards[0].0;

    let earned = w
        .book(
            &m.pos,
            number,
            "k-1",
            json!({"type": "earn", "amount_cents": 2350}),
        )
        .await;
    assert_eq!(earned.status, StatusCode::CREATED, "{:?}", earned.body);
    assert_eq!(earned.body["amount"], 23);
    assert_eq!(earned.body["balance"], 23);
    assert_eq!(earned.body["unit"], "Punkte");

    let too_much = w
        .book(
            &m.pos,
            number,
            "k-2",
            json!({"type": "redeem", "points": 24}),
        )
        .await;
    assert_problem(&too_much, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        too_much.body["detail"]
            .as_str()
            .unwrap()
            .contains("23 Punkte"),
        "{:?}",
        too_much.body
    );
    assert_eq!(w.balance(&m, number).await, 23, "nothing was taken");

    let redeemed = w
        .book(
            &m.pos,
            number,
            "k-3",
            json!({"type": "redeem", "points": 20}),
        )
        .await;
    assert_eq!(redeemed.status, StatusCode::CREATED, "{:?}", redeemed.body);
    assert_eq!(redeemed.body["balance"], 3);
    assert_eq!(redeemed.body["value_cents"], 20);

    let wrong_kind = w
        .book(
            &m.pos,
            number,
            "k-4",
            json!({"type": "top_up", "amount_cents": 500}),
        )
        .await;
    assert_problem(&wrong_kind, StatusCode::UNPROCESSABLE_ENTITY, None);
    let missing = w.book(&m.pos, number, "k-5", json!({"type": "earn"})).await;
    assert_problem(&missing, StatusCode::BAD_REQUEST, Some("amount_cents"));
}

#[tokio::test]
async fn a_retry_books_once_and_another_body_under_the_key_is_refused() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, PREPAID()).await;
    let number = w.cards(&m, &program, 1).await.remove(0).0;
    let top_up = json!({"type": "top_up", "amount_cents": 5000});

    let first = w.book(&m.pos, &number, "till-7-0815", top_up.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    for _ in 0..5 {
        let again = w.book(&m.pos, &number, "till-7-0815", top_up.clone()).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.body, first.body, "the same answer again");
    }
    assert_eq!(w.balance(&m, &number).await, 5000, "booked once");

    let other = w
        .book(
            &m.pos,
            &number,
            "till-7-0815",
            json!({"type": "top_up", "amount_cents": 6000}),
        )
        .await;
    assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert_eq!(w.balance(&m, &number).await, 5000);

    let req = http::Request::builder()
        .method("POST")
        .uri(format!("/cards/pos/cards/{number}/bookings"))
        .header("authorization", format!("Bearer {}", m.pos))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(top_up.to_string()))
        .unwrap();
    let without_key = w.client.send(req).await;
    assert_problem(
        &without_key,
        StatusCode::BAD_REQUEST,
        Some("Idempotency-Key"),
    );

    let above_max = w
        .book(
            &m.pos,
            &number,
            "k-max",
            json!({"type": "top_up", "amount_cents": 15001}),
        )
        .await;
    assert_problem(&above_max, StatusCode::UNPROCESSABLE_ENTITY, None);
    let pay = w
        .book(
            &m.pos,
            &number,
            "k-pay",
            json!({"type": "pay", "amount_cents": 5001}),
        )
        .await;
    assert_problem(&pay, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert_eq!(w.balance(&m, &number).await, 5000);
}

#[tokio::test]
async fn a_till_sees_and_books_only_its_merchants_cards() {
    let w = World::new().await;
    let a = w.merchant("anna@baeckerei-a.de").await;
    let b = w.merchant("bert@metzgerei-b.de").await;
    let program_b = w.program(&b, PREPAID()).await;
    let number_b = w.cards(&b, &program_b, 1).await.remove(0).0;

    let lookup = w
        .call("GET", &format!("/cards/pos/cards/{number_b}"), None, &a.pos)
        .await;
    assert_problem(&lookup, StatusCode::NOT_FOUND, None);
    let booking = w
        .book(
            &a.pos,
            &number_b,
            "k-1",
            json!({"type": "top_up", "amount_cents": 100}),
        )
        .await;
    assert_problem(&booking, StatusCode::NOT_FOUND, None);
    assert_eq!(w.balance(&b, &number_b).await, 0);
    // The partner's token is no till token.
    let as_partner = w
        .call(
            "GET",
            &format!("/cards/pos/cards/{number_b}"),
            None,
            &b.partner.token,
        )
        .await;
    assert_problem(&as_partner, StatusCode::FORBIDDEN, None);
}

#[tokio::test]
async fn blocked_cards_are_refused_and_voids_only_today() {
    let w = World::new().await;
    w.at("2026-11-24T09:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, PREPAID()).await;
    let number = w.cards(&m, &program, 1).await.remove(0).0;
    let topped = w
        .book(
            &m.pos,
            &number,
            "k-1",
            json!({"type": "top_up", "amount_cents": 3000}),
        )
        .await;
    let paid = w
        .book(
            &m.pos,
            &number,
            "k-2",
            json!({"type": "pay", "amount_cents": 1000}),
        )
        .await;
    assert_eq!(paid.body["balance"], 2000);

    let void = w
        .book(
            &m.pos,
            &number,
            "k-3",
            json!({"type": "void", "booking_id": paid.body["booking_id"]}),
        )
        .await;
    assert_eq!(void.status, StatusCode::CREATED, "{:?}", void.body);
    assert_eq!(void.body["balance"], 3000);
    let twice = w
        .book(
            &m.pos,
            &number,
            "k-4",
            json!({"type": "void", "booking_id": paid.body["booking_id"]}),
        )
        .await;
    assert_problem(&twice, StatusCode::UNPROCESSABLE_ENTITY, None);

    w.at("2026-11-25T09:00:00Z");
    let late = w
        .book(
            &m.pos,
            &number,
            "k-5",
            json!({"type": "void", "booking_id": topped.body["booking_id"]}),
        )
        .await;
    assert_problem(&late, StatusCode::UNPROCESSABLE_ENTITY, None);

    let blocked = w
        .call(
            "POST",
            &format!("/cards/cards/{number}/block"),
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(blocked.body["status"], "blocked", "{:?}", blocked.body);
    let refused = w
        .book(
            &m.pos,
            &number,
            "k-6",
            json!({"type": "pay", "amount_cents": 100}),
        )
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, None);
    let unblocked = w
        .call(
            "POST",
            &format!("/cards/cards/{number}/unblock"),
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(unblocked.body["status"], "active");
    assert_eq!(w.balance(&m, &number).await, 3000);
}

#[tokio::test]
async fn gift_cards_load_once_and_stamps_earn_the_reward() {
    let w = World::new().await;
    w.at("2026-05-10T09:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let gift = w
        .program(
            &m,
            json!({"kind": "gift", "choices_cents": [2500, 5000], "max_cents": 5000}),
        )
        .await;
    let number = w.cards(&m, &gift, 1).await.remove(0).0;
    let odd = w
        .book(
            &m.pos,
            &number,
            "g-0",
            json!({"type": "load", "amount_cents": 3000}),
        )
        .await;
    assert_problem(&odd, StatusCode::BAD_REQUEST, Some("amount_cents"));
    let load = json!({"type": "load", "amount_cents": 5000});
    let loaded = w.book(&m.pos, &number, "g-1", load.clone()).await;
    assert_eq!(loaded.status, StatusCode::CREATED, "{:?}", loaded.body);
    let retried = w.book(&m.pos, &number, "g-1", load.clone()).await;
    assert_eq!(
        retried.body, loaded.body,
        "a retry of the load is answered, not refused"
    );
    let again = w.book(&m.pos, &number, "g-2", load).await;
    assert_problem(&again, StatusCode::UNPROCESSABLE_ENTITY, None);
    let lookup = w
        .call("GET", &format!("/cards/pos/cards/{number}"), None, &m.pos)
        .await;
    assert_eq!(lookup.body["valid_until"], "2029-12-31");
    let part = w
        .book(
            &m.pos,
            &number,
            "g-3",
            json!({"type": "redeem_gift", "amount_cents": 1250}),
        )
        .await;
    assert_eq!(part.body["balance"], 3750);

    let stamps = w
        .program(
            &m,
            json!({"kind": "stamp", "stamps_for_reward": 3, "reward": "Ein Kaffee gratis"}),
        )
        .await;
    let number = w.cards(&m, &stamps, 1).await.remove(0).0;
    let early = w
        .book(&m.pos, &number, "s-0", json!({"type": "redeem_stamps"}))
        .await;
    assert_problem(&early, StatusCode::UNPROCESSABLE_ENTITY, None);
    for i in 1..=3 {
        let stamp = w
            .book(
                &m.pos,
                &number,
                &format!("s-{i}"),
                json!({"type": "add_stamp"}),
            )
            .await;
        assert_eq!(stamp.body["balance"], i);
    }
    let reward = w
        .book(&m.pos, &number, "s-4", json!({"type": "redeem_stamps"}))
        .await;
    assert_eq!(reward.body["balance"], 0, "{:?}", reward.body);
    let lookup = w
        .call("GET", &format!("/cards/pos/cards/{number}"), None, &m.pos)
        .await;
    assert_eq!(lookup.body["reward"], "Ein Kaffee gratis");
    assert_eq!(lookup.body["unit"], "Stempel");
}

#[tokio::test]
async fn turnover_counts_each_sale_once() {
    let w = World::new().await;
    w.at("2026-11-24T09:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let prepaid = w.program(&m, PREPAID()).await;
    let prepaid_card = w.cards(&m, &prepaid, 1).await.remove(0).0;
    let gift = w
        .program(
            &m,
            json!({"kind": "gift", "choices_cents": [], "max_cents": 10000}),
        )
        .await;
    let gift_card = w.cards(&m, &gift, 1).await.remove(0).0;
    let bonus = w.program(&m, BONUS()).await;
    let bonus_card = w.cards(&m, &bonus, 1).await.remove(0).0;
    let bookings = [
        (
            &prepaid_card,
            json!({"type": "top_up", "amount_cents": 5000}),
        ),
        (&prepaid_card, json!({"type": "pay", "amount_cents": 2000})),
        (&gift_card, json!({"type": "load", "amount_cents": 2500})),
        (
            &gift_card,
            json!({"type": "redeem_gift", "amount_cents": 1000}),
        ),
        (&bonus_card, json!({"type": "earn", "amount_cents": 1200})),
        (&bonus_card, json!({"type": "redeem", "points": 5})),
    ];
    let mut answers = Vec::new();
    for (i, (card, body)) in bookings.into_iter().enumerate() {
        let r = w.book(&m.pos, card, &format!("k-{i}"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        answers.push(r);
    }
    // A payment voided: neither a sale nor money loaded any more.
    let voided = w
        .book(
            &m.pos,
            &prepaid_card,
            "k-void",
            json!({"type": "void", "booking_id": answers[1].body["booking_id"]}),
        )
        .await;
    assert_eq!(voided.status, StatusCode::CREATED, "{:?}", voided.body);
    let stats = w
        .call(
            "GET",
            "/cards/statistics?period=day",
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(
        stats.body["by_period"],
        json!([{"period": "2026-11-24", "bookings": 7,
            "turnover_cents": 1000 + 1200, "loaded_cents": 5000 + 2500}]),
        "sales once: the gift card's redemption and the purchase with points, not the loads"
    );
}

/// After a reload, or at another till, the till lists the card's bookings of today and
/// which of them can still be voided; yesterday's are not listed, another merchant's
/// till finds no such card.
#[tokio::test]
async fn the_till_lists_a_cards_bookings_of_today_to_void() {
    let w = World::new().await;
    w.at("2026-11-24T09:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, PREPAID()).await;
    let number = w.cards(&m, &program, 1).await.remove(0).0;
    let yesterday = w
        .book(
            &m.pos,
            &number,
            "k-1",
            json!({"type": "top_up", "amount_cents": 5000}),
        )
        .await;
    assert_eq!(yesterday.status, StatusCode::CREATED);
    w.at("2026-11-25T08:30:00Z");
    let paid = w
        .book(
            &m.pos,
            &number,
            "k-2",
            json!({"type": "pay", "amount_cents": 1250}),
        )
        .await;
    w.at("2026-11-25T08:31:00Z");
    let voided = w
        .book(
            &m.pos,
            &number,
            "k-3",
            json!({"type": "void", "booking_id": paid.body["booking_id"]}),
        )
        .await;
    w.at("2026-11-25T08:32:00Z");
    let second = w
        .book(
            &m.pos,
            &number,
            "k-4",
            json!({"type": "pay", "amount_cents": 400}),
        )
        .await;

    let listed = w
        .call(
            "GET",
            &format!("/cards/pos/cards/{number}/bookings"),
            None,
            &m.pos,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let bookings = listed.body["bookings"].as_array().unwrap();
    let seen: Vec<(&str, i64, bool)> = bookings
        .iter()
        .map(|b| {
            (
                b["type"].as_str().unwrap(),
                b["amount"].as_i64().unwrap(),
                b["voidable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("pay", -400, true),
            ("void", 1250, false),
            ("pay", -1250, false)
        ]
    );
    assert_eq!(bookings[0]["booking_id"], second.body["booking_id"]);
    assert_eq!(bookings[2]["voided_by"], voided.body["booking_id"]);
    assert_eq!(bookings[0]["unit"], "Cent");

    let other = w.merchant("bert@baeckerei-b.de").await;
    let foreign = w
        .call(
            "GET",
            &format!("/cards/pos/cards/{number}/bookings"),
            None,
            &other.pos,
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
}
