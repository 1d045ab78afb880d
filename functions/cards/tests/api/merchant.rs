//! The merchant: contract, programs, batches and barcodes, terminal users, card list,
//! moving a lost card's balance.

use http::StatusCode;
use serde_json::json;
use shared::model::billable;
use shared::model::contracts::cards as contract;
use shared::store::Table;
use shared::testing::assert_problem;

use crate::kit::{BONUS, PREPAID, World};

#[tokio::test]
async fn the_contract_shows_its_term_and_notice_and_cancels_to_the_term_end() {
    let w = World::new().await;
    w.at("2026-03-15T10:00:00Z");
    let partner = w.partner("anna@baeckerei-a.de").await;
    let early = w
        .call(
            "POST",
            "/cards/programs",
            Some(json!({"name": "X", "rules": BONUS()})),
            &partner.token,
        )
        .await;
    assert_problem(&early, StatusCode::UNPROCESSABLE_ENTITY, None);

    let signed = w
        .call("POST", "/cards/contract", None, &partner.token)
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    assert_eq!(signed.body["term_end"], "2028-03-14");
    assert_eq!(signed.body["last_day_to_cancel"], "2027-12-14");
    assert_eq!(signed.body["fee_per_terminal_user"], "9,90 €");
    let again = w
        .call("POST", "/cards/contract", None, &partner.token)
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);
    let billable: Vec<_> = w
        .kit
        .table
        .query_all(billable::billable_partners())
        .await
        .unwrap()
        .iter()
        .filter_map(billable::partner_of)
        .collect();
    assert_eq!(
        billable,
        vec![partner.id.clone()],
        "billing will find the partner"
    );

    w.at("2027-12-15T10:00:00Z");
    let cancelled = w
        .call("POST", "/cards/contract/cancel", None, &partner.token)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{:?}", cancelled.body);
    assert_eq!(
        cancelled.body["ends_on"], "2029-03-14",
        "too late for the first term"
    );
    let shown = w.call("GET", "/cards/contract", None, &partner.token).await;
    assert_eq!(shown.body["ends_on"], "2029-03-14");
    assert_eq!(shown.body["cancelled_on"], "2027-12-15");
}

#[tokio::test]
async fn terminal_users_are_invited_and_counted_by_the_contract() {
    let w = World::new().await;
    w.at("2026-03-15T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let new_user = |name: &str| json!({"username": name, "name": "Kasse", "email": format!("{name}@baeckerei-a.de")});
    for name in ["kasse-1", "kasse-2"] {
        let created = w
            .call(
                "POST",
                "/cards/terminal-users",
                Some(new_user(name)),
                &m.partner.token,
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    }
    let mail = w.kit.last_mail_to("kasse-1@baeckerei-a.de").await;
    assert!(mail.text.contains("Kassenzugang"), "{}", mail.text);
    assert!(mail.text.contains("kasse-1"));
    let taken = w
        .call(
            "POST",
            "/cards/terminal-users",
            Some(new_user("kasse-1")),
            &m.partner.token,
        )
        .await;
    assert_problem(&taken, StatusCode::CONFLICT, None);

    w.at("2026-04-02T10:00:00Z");
    let disabled = w
        .call(
            "POST",
            "/cards/terminal-users/kasse-2/disable",
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{:?}", disabled.body);
    assert_eq!(disabled.body["active"], false);
    let list = w
        .call("GET", "/cards/terminal-users", None, &m.partner.token)
        .await;
    assert_eq!(list.body["terminal_users"].as_array().unwrap().len(), 2);
    let shown = w
        .call("GET", "/cards/contract", None, &m.partner.token)
        .await;
    assert_eq!(shown.body["terminal_users"], 1);
    assert_eq!(shown.body["monthly_fee_cents"], 990);

    let c = contract::load(w.kit.table.as_ref(), &m.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.count_at_start(jiff::civil::date(2026, 4, 1)), 2);
    assert_eq!(c.count_at_start(jiff::civil::date(2026, 5, 1)), 1);
    assert_eq!(c.added_during(jiff::civil::date(2026, 3, 1)), 2);
}

#[tokio::test]
async fn batches_print_valid_numbers_with_codes_and_barcodes() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 5).await;
    assert_eq!(cards.len(), 5);
    for (number, code) in &cards {
        assert!(cards::luhn::is_valid(number), "{number}");
        assert_eq!(code.len(), 10);
    }
    // The codes are stored hashed only.
    let dump = serde_json::to_string(&w.kit.table.dump().unwrap()).unwrap();
    assert!(!dump.contains(&cards[0].1));

    let svg = w
        .call(
            "GET",
            &format!("/cards/cards/{}/barcode", cards[0].0),
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.content_type(), "image/svg+xml");
    assert!(svg.body.as_str().unwrap().contains("<svg"));

    let list = w.call("GET", "/cards/cards", None, &m.partner.token).await;
    assert_eq!(list.body["cards"].as_array().unwrap().len(), 5);
    let search = w
        .call(
            "GET",
            &format!("/cards/cards?number={}", &cards[2].0[..12]),
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(
        search.body["cards"][0]["number"],
        cards[2].0.as_str(),
        "{:?}",
        search.body
    );

    let too_many = w
        .call(
            "POST",
            &format!("/cards/programs/{program}/batches"),
            Some(json!({"count": 50})),
            &m.partner.token,
        )
        .await;
    assert_problem(&too_many, StatusCode::BAD_REQUEST, Some("count"));
    let other = w.merchant("bert@metzgerei-b.de").await;
    let foreign = w
        .call(
            "POST",
            &format!("/cards/programs/{program}/batches"),
            Some(json!({"count": 1})),
            &other.partner.token,
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn a_lost_cards_balance_moves_to_a_new_card() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, PREPAID()).await;
    let cards = w.cards(&m, &program, 2).await;
    let (old, new) = (&cards[0].0, &cards[1].0);
    w.book(
        &m.pos,
        old,
        "k-1",
        json!({"type": "top_up", "amount_cents": 4200}),
    )
    .await;
    let moved = w
        .call(
            "POST",
            &format!("/cards/cards/{old}/transfer"),
            Some(json!({"to_number": new})),
            &m.partner.token,
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["from"]["status"], "replaced");
    assert_eq!(moved.body["from"]["balance"], 0);
    assert_eq!(moved.body["to"]["balance"], 4200);
    let refused = w
        .book(
            &m.pos,
            old,
            "k-2",
            json!({"type": "pay", "amount_cents": 1}),
        )
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, None);
    let again = w
        .call(
            "POST",
            &format!("/cards/cards/{old}/transfer"),
            Some(json!({"to_number": new})),
            &m.partner.token,
        )
        .await;
    assert_eq!(again.status.as_u16() / 100, 4, "{:?}", again.body);
    assert_eq!(w.balance(&m, new).await, 4200);
}
