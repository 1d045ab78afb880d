//! The merchant: contract, programs, batches and barcodes, terminal users, card list,
//! moving a lost card's balance.

use http::StatusCode;
use jiff::civil::date;
use serde_json::json;
use shared::auth::{Role, Scope};
use shared::model::accounts::{Login, LoginName, login_key};
use shared::model::contracts::cards as contract;
use shared::model::{billable, from_item};
use shared::store::Table;
use shared::testing::{Client, assert_problem};

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

    // Before signing, the terms of signing today: fee, term and notice date.
    let terms = w
        .call("GET", "/cards/contract/terms", None, &partner.token)
        .await;
    assert_eq!(terms.status, StatusCode::OK, "{:?}", terms.body);
    assert_eq!(terms.body["signed_on"], "2026-03-15");
    assert_eq!(terms.body["term_end"], "2028-03-14");
    assert_eq!(terms.body["last_day_to_cancel"], "2027-12-14");
    assert_eq!(terms.body["fee_per_terminal_user"], "9,90 €");
    assert_eq!(terms.body["fee_per_terminal_user_cents"], 990);

    let signed = w
        .call("POST", "/cards/contract", None, &partner.token)
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    assert_eq!(signed.body["ends_if_cancelled_today"], "2028-03-14");
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

    w.at("2027-12-14T10:00:00Z");
    let in_time = w.call("GET", "/cards/contract", None, &partner.token).await;
    assert_eq!(in_time.body["ends_if_cancelled_today"], "2028-03-14");
    w.at("2027-12-15T10:00:00Z");
    let late = w.call("GET", "/cards/contract", None, &partner.token).await;
    assert_eq!(
        late.body["ends_if_cancelled_today"], "2029-03-14",
        "the end said before cancelling is the one the cancellation gives"
    );
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
    assert!(
        shown.body.get("ends_if_cancelled_today").is_none(),
        "cancelled: no second end to state"
    );
}

#[tokio::test]
async fn no_terms_before_the_operator_has_priced_the_contract() {
    let kit = shared::testing::TestEnv::new().await;
    let client = Client::in_process(cards::build(&kit.env));
    let partner = kit
        .fixtures()
        .confirmed_partner("anna@baeckerei-a.de")
        .await;
    let terms = client
        .call("GET", "/cards/contract/terms", None, Some(&partner.token))
        .await;
    assert_problem(&terms, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert_eq!(
        terms.body["detail"],
        "Der Preis für Kartenverträge steht noch nicht fest."
    );
    // The operator reads the same, sets the price and reads it back; a partner may not.
    let operator = kit.fixtures().operator("olga@betreiber.de").await;
    let unset = client
        .call("GET", "/cards/price", None, Some(&operator.token))
        .await;
    assert_problem(&unset, StatusCode::UNPROCESSABLE_ENTITY, None);
    let price = json!({"fee_per_terminal_user_cents": 990});
    let set = client
        .call(
            "PUT",
            "/cards/price",
            Some(price.clone()),
            Some(&operator.token),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let read = client
        .call("GET", "/cards/price", None, Some(&operator.token))
        .await;
    assert_eq!(read.body, price);
    let partners = client
        .call("GET", "/cards/price", None, Some(&partner.token))
        .await;
    assert_eq!(partners.status, StatusCode::FORBIDDEN);
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
    // After setting the password the link goes on to the login of the merchant's till.
    assert!(
        mail.text
            .contains(&format!("&weiter=/kasse/{}/anmelden", m.id)),
        "{}",
        mail.text
    );
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
async fn a_disabled_terminal_users_token_is_refused_at_once() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let card = w.cards(&m, &program, 1).await.remove(0);
    let created = w
        .call(
            "POST",
            "/cards/terminal-users",
            Some(
                json!({"username": "kasse-1", "name": "Kasse", "email": "kasse-1@baeckerei-a.de"}),
            ),
            &m.partner.token,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let login: Login = from_item(
        w.kit
            .table
            .get(&login_key(
                &Scope::Pos(m.id.clone()),
                &LoginName::parse("kasse-1").unwrap(),
            ))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    // The till's token, as its login gave it this morning.
    let till = w.token(
        Role::Pos,
        &m.id,
        Scope::Pos(m.id.clone()),
        login.account_id.as_str(),
    );
    let lookup = format!("/cards/pos/cards/{}", card.0);
    assert_eq!(
        w.call("GET", &lookup, None, &till).await.status,
        StatusCode::OK
    );

    let disabled = w
        .call(
            "POST",
            "/cards/terminal-users/kasse-1/disable",
            None,
            &m.partner.token,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{:?}", disabled.body);
    let refused = w.call("GET", &lookup, None, &till).await;
    assert_problem(&refused, StatusCode::FORBIDDEN, None);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("gesperrt"),
        "{:?}",
        refused.body
    );
    let booking = w
        .book(
            &till,
            &card.0,
            "k-1",
            json!({"type": "earn", "amount_cents": 1000}),
        )
        .await;
    assert_problem(&booking, StatusCode::FORBIDDEN, None);
    // The merchant's other tills go on.
    assert_eq!(w.balance(&m, &card.0).await, 0);
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

/// A program id that is no UUID is refused naming `program_id`, not looked up and
/// answered 404.
#[tokio::test]
async fn a_program_id_that_is_no_uuid_is_a_400_naming_it() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    for not_an_id in ["treueprogramm", "1", "0195f0a0-0000-7000-8000-00000000000g"] {
        let reply = w
            .call(
                "POST",
                &format!("/cards/programs/{not_an_id}/batches"),
                Some(json!({"count": 1})),
                &m.partner.token,
            )
            .await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some("program_id"));
        assert_eq!(
            reply.body["errors"][0]["message"], "ist keine gültige Kennung (UUID)",
            "{:?}",
            reply.body
        );
    }
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

#[tokio::test]
async fn moved_points_are_released_and_expire_on_the_new_card_when_they_would_have() {
    let w = World::new().await;
    w.at("2026-01-10T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w
        .program(
            &m,
            json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1,
                "expiry_months": 2, "pending_days": 7}),
        )
        .await;
    let cards = w.cards(&m, &program, 2).await;
    let (old, new) = (&cards[0].0, &cards[1].0);
    let holder = w
        .holder(
            &m,
            &cards[0],
            json!({"first_name": "Zora", "last_name": "Quist", "email": "zora@example.de"}),
        )
        .await;
    let env = w.kit.env.clone();
    let run = |day| {
        let env = env.clone();
        async move { cards::daily::run(&env, day, &mut |_, _| {}).await.unwrap() }
    };
    // 100 points earned on 10 January: redeemable from the 17th, expiring on 10 March.
    let earned = w
        .book(
            &m.pos,
            old,
            "k-1",
            json!({"type": "earn", "amount_cents": 10000}),
        )
        .await;
    assert_eq!(earned.body["pending"], 100, "{:?}", earned.body);
    run(date(2026, 1, 17)).await;
    // 10 points earned on 20 January: pending until the 27th, expiring on 20 March.
    w.at("2026-01-20T10:00:00Z");
    w.book(
        &m.pos,
        old,
        "k-2",
        json!({"type": "earn", "amount_cents": 1000}),
    )
    .await;
    w.book(&m.pos, old, "k-3", json!({"type": "redeem", "points": 30}))
        .await;

    w.at("2026-01-21T10:00:00Z");
    let moved = w
        .call(
            "POST",
            &format!("/cards/cards/{old}/transfer"),
            Some(json!({"to_number": new})),
            &m.partner.token,
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["to"]["balance"], 70);
    assert_eq!(moved.body["to"]["pending"], 10);
    let me = w.call("GET", "/cards/me", None, &holder).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(
        me.body["points_expiring"],
        json!([{"expires_on": "2026-03-10", "points": 70}, {"expires_on": "2026-03-20", "points": 10}]),
        "the holder sees the moved points with their dates"
    );

    // The pending points are released on the new card on the 27th, as they would have been.
    let early = run(date(2026, 1, 26)).await;
    assert_eq!(early.released_points, 0);
    let released = run(date(2026, 1, 27)).await;
    assert_eq!(released.released_points, 10, "{released}");
    assert!(released.failures.is_empty(), "{released}");
    let till = w
        .call("GET", &format!("/cards/pos/cards/{new}"), None, &m.pos)
        .await;
    assert_eq!(
        (&till.body["balance"], &till.body["pending"]),
        (&json!(80), &json!(0))
    );
    w.at("2026-01-27T10:00:00Z");
    let redeemed = w
        .book(&m.pos, new, "k-4", json!({"type": "redeem", "points": 75}))
        .await;
    assert_eq!(redeemed.status, StatusCode::CREATED, "{:?}", redeemed.body);
    assert_eq!(redeemed.body["balance"], 5);

    // The oldest credit took the redemption; what is left of the second expires on its day.
    assert_eq!(run(date(2026, 3, 10)).await.expired_points, 0);
    let expired = run(date(2026, 3, 20)).await;
    assert_eq!(expired.expired_points, 5, "{expired}");
    assert_eq!(w.balance(&m, new).await, 0);
    assert_eq!(
        run(date(2026, 3, 20)).await.entries,
        0,
        "a rerun changes nothing"
    );
}

#[tokio::test]
async fn after_the_contract_ends_cards_and_till_logins_stop_and_the_export_goes_on() {
    let w = World::new().await;
    w.at("2026-03-15T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, PREPAID()).await;
    let cards = w.cards(&m, &program, 3).await;
    let number = &cards[0].0;
    w.book(
        &m.pos,
        number,
        "k-1",
        json!({"type": "top_up", "amount_cents": 2000}),
    )
    .await;
    // A till that logs in through registration, as the real one does.
    let with_login = Client::in_process(shared::http::finish(
        cards::api(&w.kit.env).merge(registration::api(&w.kit.env)),
    ));
    let invited = w
        .call(
            "POST",
            "/cards/terminal-users",
            Some(json!({"username": "kasse-1", "name": "Kasse", "email": "kasse@baeckerei-a.de"})),
            &m.partner.token,
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{:?}", invited.body);
    let token = w.kit.token_from_mail("kasse@baeckerei-a.de").await;
    let accepted = with_login
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": "kasse-geheim-123"})),
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    let login = json!({"login": "kasse-1", "password": "kasse-geheim-123", "scope": "pos",
        "tenant": m.id.as_str()});
    let logged_in = with_login
        .call("POST", "/auth/login", Some(login.clone()), None)
        .await;
    assert_eq!(logged_in.status, StatusCode::OK, "{:?}", logged_in.body);

    // Cancelled in time for the first term: the contract ends on 14 March 2028.
    w.at("2027-12-01T10:00:00Z");
    let cancelled = w
        .call("POST", "/cards/contract/cancel", None, &m.partner.token)
        .await;
    assert_eq!(
        cancelled.body["ends_on"], "2028-03-14",
        "{:?}",
        cancelled.body
    );
    let night = cards::daily::run(&w.kit.env, date(2027, 12, 2), &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(night.cards_stamped, 3, "{night}");
    let late_batch = w.cards(&m, &program, 1).await;

    // The last day of the contract: everything works.
    w.at("2028-03-14T20:00:00Z");
    let lookup = w
        .call("GET", &format!("/cards/pos/cards/{number}"), None, &m.pos)
        .await;
    assert_eq!(lookup.status, StatusCode::OK, "{:?}", lookup.body);

    w.at("2028-03-15T08:00:00Z");
    let night = cards::daily::run(&w.kit.env, date(2028, 3, 15), &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(night.terminal_users_disabled, 1, "{night}");
    let refused_login = with_login
        .call("POST", "/auth/login", Some(login), None)
        .await;
    assert_problem(&refused_login, StatusCode::UNAUTHORIZED, None);
    for card in [number, &late_batch[0].0] {
        let lookup = w
            .call("GET", &format!("/cards/pos/cards/{card}"), None, &m.pos)
            .await;
        assert_problem(&lookup, StatusCode::UNPROCESSABLE_ENTITY, None);
        let detail = lookup.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("nicht mehr verwendet") && detail.contains("14.03.2028"),
            "{detail}"
        );
    }
    let booking = w
        .book(
            &m.pos,
            number,
            "k-2",
            json!({"type": "pay", "amount_cents": 500}),
        )
        .await;
    assert_problem(&booking, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        booking.body["detail"].as_str().unwrap().contains("Vertrag"),
        "{:?}",
        booking.body
    );
    let registration = w
        .client
        .call(
            "POST",
            "/cards/register",
            Some(json!({"number": cards[1].0, "activation_code": cards[1].1,
                "first_name": "Zora", "last_name": "Quist", "email": "zora@example.de",
                "consent": true})),
            None,
        )
        .await;
    assert_problem(&registration, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        registration.body["detail"]
            .as_str()
            .unwrap()
            .contains("Vertrag"),
        "{:?}",
        registration.body
    );
    // The data stays the merchant's: the export works after the end.
    let export = w
        .call("POST", "/cards/exports", None, &m.partner.token)
        .await;
    assert_eq!(export.status, StatusCode::CREATED, "{:?}", export.body);
    assert_eq!(export.body["bookings"], 1);
}
