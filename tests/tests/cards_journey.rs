//! The cards journey over HTTP on DynamoDB Local, moto's SES and s3s: a merchant signs,
//! issues cards and invites a till, which logs in through registration and books; a
//! cardholder registers and logs in; concurrency, idempotency and cost on the real table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use serde_json::{Value, json};
use shared::auth::{Role, Scope};
use shared::clock::SystemClock;
use shared::testing::{Fixtures, PartnerFixture, holds_value_in_clear};
use tests::{Reply, Stack, token_mailed_to, unique_email};

const PASSWORD: &str = "kasse-geheim-123";

async fn stack() -> Arc<Stack> {
    Arc::new(
        Stack::start_with(Arc::new(SystemClock), |env| {
            shared::http::finish(cards::api(env).merge(registration::api(env)))
        })
        .await,
    )
}

async fn partner(stack: &Stack, name: &str) -> PartnerFixture {
    let fixtures = Fixtures {
        table: stack.table.as_ref(),
        clock: stack.clock.as_ref(),
        issuer: &stack.issuer,
    };
    fixtures.confirmed_partner(&unique_email(name)).await
}

fn operator(stack: &Stack) -> String {
    stack
        .issuer
        .issue_scoped(
            "betreiber",
            Role::Operator,
            None,
            vec![],
            Scope::Platform,
            stack.clock.epoch(),
        )
        .unwrap()
}

async fn book(stack: &Stack, token: &str, number: &str, key: &str, body: &Value) -> Reply {
    let req = http::Request::post(format!("/cards/pos/cards/{number}/bookings"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    let r = stack.client.send(req).await;
    Reply {
        status: r.status.as_u16(),
        body: r.body,
    }
}

/// A merchant with a contract, a program of `rules` and `count` cards, and a till that
/// logged in through registration with the invited terminal user.
struct Shop {
    partner: PartnerFixture,
    pos: String,
    numbers: Vec<String>,
}

async fn shop(stack: &Stack, name: &str, rules: Value, count: u32) -> Shop {
    let price = stack
        .call(
            "PUT",
            "/cards/price",
            Some(json!({"fee_per_terminal_user_cents": 990})),
            Some(&operator(stack)),
        )
        .await;
    assert_eq!(price.status, 200, "{:?}", price.body);
    let partner = partner(stack, name).await;
    let token = Some(partner.token.as_str());
    let signed = stack.call("POST", "/cards/contract", None, token).await;
    assert_eq!(signed.status, 201, "{:?}", signed.body);
    let program = stack
        .call(
            "POST",
            "/cards/programs",
            Some(json!({"name": "Treue", "rules": rules})),
            token,
        )
        .await;
    assert_eq!(program.status, 201, "{:?}", program.body);
    let batch = stack
        .call(
            "POST",
            &format!(
                "/cards/programs/{}/batches",
                program.body["program_id"].as_str().unwrap()
            ),
            Some(json!({"count": count})),
            token,
        )
        .await;
    assert_eq!(batch.status, 201, "{:?}", batch.body);
    let numbers = batch.body["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let till_mail = unique_email("kasse");
    let user = stack
        .call(
            "POST",
            "/cards/terminal-users",
            Some(json!({"username": "kasse-1", "name": "Kasse 1", "email": till_mail})),
            token,
        )
        .await;
    assert_eq!(user.status, 201, "{:?}", user.body);
    let pos = accept_and_login(stack, &till_mail, "kasse-1", "pos", &partner).await;
    Shop {
        partner,
        pos,
        numbers,
    }
}

/// Sets the password from the invitation mail and logs in through registration.
async fn accept_and_login(
    stack: &Stack,
    mailed_to: &str,
    login: &str,
    scope: &str,
    partner: &PartnerFixture,
) -> String {
    let accepted = stack
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token_mailed_to(mailed_to).await, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    let logged_in = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": login, "password": PASSWORD, "scope": scope, "tenant": partner.id.as_str()})),
            None,
        )
        .await;
    assert_eq!(logged_in.status, 200, "{:?}", logged_in.body);
    logged_in.body["access_token"].as_str().unwrap().to_string()
}

async fn balance(stack: &Stack, shop: &Shop, number: &str) -> i64 {
    let r = stack
        .call(
            "GET",
            &format!("/cards/pos/cards/{number}"),
            None,
            Some(&shop.pos),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["balance"].as_i64().unwrap()
}

/// Every item of the table, as DynamoDB stores it.
async fn scan(stack: &Stack) -> Vec<String> {
    let out = tests::dynamodb_client()
        .scan()
        .table_name(stack.table.table_name())
        .send()
        .await
        .unwrap();
    out.items().iter().map(|item| format!("{item:?}")).collect()
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_till_books_a_registered_card_within_its_budget_and_the_export_has_every_booking() {
    let stack = stack().await;
    let shop = shop(
        &stack,
        "baeckerei",
        json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1, "expiry_months": 24}),
        2,
    )
    .await;
    let number = shop.numbers[0].clone();

    // The cardholder registers with the printed code and logs in with the card number.
    let csv_code = {
        let list = stack
            .call("GET", "/cards/cards", None, Some(&shop.partner.token))
            .await;
        assert_eq!(list.body["cards"].as_array().unwrap().len(), 2);
        // The code is only in the print file.
        let batch_csv = stack
            .call(
                "POST",
                &format!(
                    "/cards/programs/{}/batches",
                    list.body["cards"][0]["program_id"].as_str().unwrap()
                ),
                Some(json!({"count": 1})),
                Some(&shop.partner.token),
            )
            .await;
        let bytes = stack
            .http
            .get(batch_csv.body["csv_url"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&bytes[3..]);
        let row = reader.records().next().unwrap().unwrap();
        (row[0].replace(' ', ""), row[1].to_string())
    };
    let holder_mail = unique_email("zora");
    let registered = stack
        .call(
            "POST",
            "/cards/register",
            Some(json!({"number": csv_code.0, "activation_code": csv_code.1,
                "first_name": "Zoraida", "last_name": "Quastenberg", "email": holder_mail,
                "gender": "female", "birth_year": 1977, "postal_code": "50667", "consent": true})),
            None,
        )
        .await;
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let holder = accept_and_login(
        &stack,
        &holder_mail,
        &csv_code.0,
        "cardholder",
        &shop.partner,
    )
    .await;

    // Cost on DynamoDB: a booking with its idempotency key, and a lookup.
    let written = stack.table.consumed_write_capacity();
    let earned = book(
        &stack,
        &shop.pos,
        &csv_code.0,
        "e2e-1",
        &json!({"type": "earn", "amount_cents": 4250}),
    )
    .await;
    assert_eq!(earned.status, 201, "{:?}", earned.body);
    let write_units = stack.table.consumed_write_capacity() - written;
    assert!(
        write_units > 0.0 && write_units <= 4.0,
        "a booking wrote {write_units} units"
    );
    let (all, written) = (
        stack.table.consumed_capacity(),
        stack.table.consumed_write_capacity(),
    );
    let till = stack
        .call(
            "GET",
            &format!("/cards/pos/cards/{}", csv_code.0),
            None,
            Some(&shop.pos),
        )
        .await;
    let read_units =
        (stack.table.consumed_capacity() - all) - (stack.table.consumed_write_capacity() - written);
    // The card, and whether the till's account was ended since its token was issued.
    assert!(
        read_units > 0.0 && read_units <= 2.0,
        "a lookup read {read_units} units"
    );
    println!(
        "DynamoDB Local: a booking {write_units} write units, a lookup {read_units} read units"
    );
    assert_eq!(till.body["first_name"], "Zoraida");
    assert_eq!(till.body["balance"], 42);
    assert!(till.body.get("email").is_none() && till.body.get("birth_year").is_none());

    let me = stack.call("GET", "/cards/me", None, Some(&holder)).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["card"]["balance"], 42);
    assert_eq!(me.body["points_expiring"][0]["points"], 42);

    // The table never holds the name, the e-mail or the birth year in plain text, the kit's
    // login record and invitation token included (the login name is the card number).
    for item in scan(&stack).await {
        assert!(
            !item.contains("Zoraida") && !item.contains("Quastenberg"),
            "{item}"
        );
        assert!(!holds_value_in_clear(&item, "1977"), "{item}");
        assert!(!item.contains(&holder_mail), "{item}");
    }

    // The holder changes the own data and gives, then withdraws, the consent to the
    // statistics: the sealed document, the consent and the till's first name in one
    // transaction over the data as read.
    let changed = stack
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"first_name": "Zoe", "postal_code": null, "statistics_consent": true})),
            Some(&holder),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["personal_data"]["first_name"], "Zoe");
    assert!(changed.body["personal_data"].get("postal_code").is_none());
    assert_eq!(changed.body["statistics_consent"], true);
    let withdrawn = stack
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"statistics_consent": false})),
            Some(&holder),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{:?}", withdrawn.body);
    let me = stack.call("GET", "/cards/me", None, Some(&holder)).await;
    assert_eq!(me.body["statistics_consent"], false);
    assert_eq!(me.body["personal_data"]["first_name"], "Zoe");
    let till = stack
        .call(
            "GET",
            &format!("/cards/pos/cards/{}", csv_code.0),
            None,
            Some(&shop.pos),
        )
        .await;
    assert_eq!(till.body["first_name"], "Zoe");

    // Paying more than the balance: 422, nothing written.
    let before = scan(&stack).await.len();
    let too_much = book(
        &stack,
        &shop.pos,
        &csv_code.0,
        "e2e-2",
        &json!({"type": "redeem", "points": 43}),
    )
    .await;
    assert_eq!(too_much.status, 422, "{:?}", too_much.body);
    assert_eq!(scan(&stack).await.len(), before, "nothing was written");
    assert_eq!(balance(&stack, &shop, &csv_code.0).await, 42);

    for (i, n) in [&number, &csv_code.0].iter().enumerate() {
        let r = book(
            &stack,
            &shop.pos,
            n,
            &format!("e2e-x{i}"),
            &json!({"type": "earn", "amount_cents": 1000}),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let export = stack
        .call("POST", "/cards/exports", None, Some(&shop.partner.token))
        .await;
    assert_eq!(export.status, 201, "{:?}", export.body);
    let bytes = stack
        .http
        .get(export.body["bookings_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        cards::export::BOOKING_HEADERS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "every booking, none twice");
    assert!(
        rows.iter()
            .any(|r| &r[0] == earned.body["booking_id"].as_str().unwrap())
    );
    assert_eq!(
        tests::mails_to(shop.partner.email.as_str()).await.len(),
        1,
        "the export mail"
    );
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
/// 500 tills book a point on one card at once: every booking counts once, the card ends at
/// the exact balance, and each answer shows the balance the card held right after that
/// booking, so no two tills are shown the same one.
async fn five_hundred_concurrent_bookings_on_one_card_end_at_the_exact_balance() {
    let stack = stack().await;
    let shop = Arc::new(
        shop(
            &stack,
            "baecker",
            json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1}),
            1,
        )
        .await,
    );
    let number = shop.numbers[0].clone();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..500 {
        let (stack, shop, number) = (stack.clone(), shop.clone(), number.clone());
        tasks.spawn(async move {
            let body = json!({"type": "earn", "amount_cents": 100});
            for _ in 0..100 {
                let r = book(&stack, &shop.pos, &number, &format!("point-{i}"), &body).await;
                match r.status {
                    201 => return r.body["balance"].as_i64().unwrap(),
                    409 | 429 | 503 => continue,
                    other => panic!("booking {i} answered {other}: {:?}", r.body),
                }
            }
            panic!("booking {i} never went through");
        });
    }
    let mut shown = Vec::new();
    while let Some(done) = tasks.join_next().await {
        shown.push(done.unwrap());
    }
    shown.sort_unstable();
    let repeated = shown.windows(2).filter(|w| w[0] == w[1]).count();
    assert_eq!(repeated, 0, "no two tills were shown the same balance");
    assert_eq!(shown, (1..=500).collect::<Vec<i64>>());
    assert_eq!(balance(&stack, &shop, &number).await, 500);
    let stats = stack
        .call(
            "GET",
            "/cards/statistics?period=day",
            None,
            Some(&shop.partner.token),
        )
        .await;
    assert_eq!(
        stats.body["by_period"][0]["bookings"], 500,
        "every booking once"
    );
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_thousand_retries_of_one_key_make_one_booking() {
    let stack = stack().await;
    let shop = Arc::new(
        shop(
            &stack,
            "cafe",
            json!({"kind": "prepaid", "max_balance_cents": 1_000_000}),
            1,
        )
        .await,
    );
    let number = shop.numbers[0].clone();
    let body = json!({"type": "top_up", "amount_cents": 2500});
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (stack, shop, number, body) =
            (stack.clone(), shop.clone(), number.clone(), body.clone());
        tasks.spawn(async move {
            loop {
                let r = book(&stack, &shop.pos, &number, "one-and-only", &body).await;
                if !matches!(r.status, 409 | 429 | 503) {
                    return r;
                }
            }
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let r = done.unwrap();
        assert_eq!(r.status, 201, "{:?}", r.body);
        answers.push(r.body);
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "one answer for every retry"
    );
    assert_eq!(balance(&stack, &shop, &number).await, 2500);
    let stats = stack
        .call("GET", "/cards/statistics", None, Some(&shop.partner.token))
        .await;
    assert_eq!(stats.body["by_period"][0]["bookings"], 1);
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_till_of_merchant_a_cannot_look_up_or_book_a_card_of_merchant_b() {
    let stack = stack().await;
    let rules = json!({"kind": "prepaid", "max_balance_cents": 50000});
    let a = shop(&stack, "laden-a", rules.clone(), 1).await;
    let b = shop(&stack, "laden-b", rules, 1).await;
    let card_b = &b.numbers[0];
    let lookup = stack
        .call(
            "GET",
            &format!("/cards/pos/cards/{card_b}"),
            None,
            Some(&a.pos),
        )
        .await;
    assert_eq!(lookup.status, 404, "{:?}", lookup.body);
    let booking = book(
        &stack,
        &a.pos,
        card_b,
        "fremd",
        &json!({"type": "top_up", "amount_cents": 100}),
    )
    .await;
    assert_eq!(booking.status, 404, "{:?}", booking.body);
    assert_eq!(balance(&stack, &b, card_b).await, 0);
}
