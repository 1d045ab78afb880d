//! A cardholder changes the own data and gives or withdraws the consent to the statistics
//! (`PATCH /cards/me`).

use http::StatusCode;
use serde_json::json;
use shared::auth::{Role, Scope};
use shared::domain::AccountId;
use shared::model::accounts::{Login, LoginName, login_key};
use shared::model::from_item;
use shared::store::Table;
use shared::testing::{assert_problem, holds_value_in_clear};

use crate::kit::{BONUS, Merchant, World};

async fn login_of(w: &World, m: &Merchant, number: &str) -> Login {
    let item = w
        .kit
        .table
        .get(&login_key(
            &Scope::Cardholder(m.id.clone()),
            &LoginName::parse(number).unwrap(),
        ))
        .await
        .unwrap()
        .expect("the login record");
    from_item(item).unwrap()
}

#[tokio::test]
async fn a_cardholder_changes_the_own_data_and_the_till_sees_the_new_first_name() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 1).await;
    let card = &cards[0];
    let token = w
        .holder(
            &m,
            card,
            json!({"first_name": "Zora", "last_name": "Quist", "email": "zora.quist@example.de",
                "gender": "female", "birth_year": 1977, "postal_code": "50667"}),
        )
        .await;

    let changed = w
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"first_name": "Zoe", "last_name": "Quist-Ortmann",
                "email": "zoe.ortmann@example.de", "gender": null, "postal_code": "10115"})),
            &token,
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(
        changed.body,
        json!({"personal_data": {"first_name": "Zoe", "last_name": "Quist-Ortmann",
            "email": "zoe.ortmann@example.de", "birth_year": 1977, "postal_code": "10115"},
            "statistics_consent": true})
    );

    let me = w.call("GET", "/cards/me", None, &token).await;
    assert_eq!(me.body["personal_data"], changed.body["personal_data"]);
    assert_eq!(me.body["statistics_consent"], true);
    let till = w
        .call("GET", &format!("/cards/pos/cards/{}", card.0), None, &m.pos)
        .await;
    assert_eq!(till.body["first_name"], "Zoe", "{:?}", till.body);

    // Mails (a password reset) go to the new address, sealed as before.
    let login = login_of(&w, &m, &card.0).await;
    let key = w.kit.env.data_key().unwrap();
    assert_eq!(
        login.email.open(key).unwrap().as_str(),
        "zoe.ortmann@example.de"
    );

    // Nothing of the new data is stored in clear.
    for item in &w.kit.table.dump().unwrap() {
        let text = serde_json::to_string(item).unwrap();
        for secret in ["Zoe", "Ortmann", "zoe.ortmann", "Zora"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(!holds_value_in_clear(&text, "10115"), "{text}");
    }

    // A field left out stays; `null` removes an optional one.
    let removed = w
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"birth_year": null})),
            &token,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["personal_data"]["first_name"], "Zoe");
    assert!(removed.body["personal_data"].get("birth_year").is_none());
}

#[tokio::test]
async fn invalid_data_names_each_field_in_german_and_changes_nothing() {
    let w = World::new().await;
    w.at("2026-11-24T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 1).await;
    let token = w
        .holder(
            &m,
            &cards[0],
            json!({"first_name": "Zora", "last_name": "Quist", "email": "zora@example.de"}),
        )
        .await;
    let refused = w
        .call(
            "PATCH",
            "/cards/me",
            Some(
                json!({"first_name": " ", "email": "keine-adresse", "birth_year": 2027,
                "postal_code": "5066"}),
            ),
            &token,
        )
        .await;
    assert_problem(&refused, StatusCode::BAD_REQUEST, Some("first_name"));
    let mut fields = refused.problem_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["birth_year", "email", "first_name", "postal_code"],
        "{:?}",
        refused.body
    );
    let messages: Vec<&str> = refused.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"muss ein Jahr zwischen 1900 und heute sein"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"muss aus fünf Ziffern bestehen"),
        "{messages:?}"
    );

    let unknown = w
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"vorname": "Zoe"})),
            &token,
        )
        .await;
    assert_problem(&unknown, StatusCode::BAD_REQUEST, None);

    let me = w.call("GET", "/cards/me", None, &token).await;
    assert_eq!(me.body["personal_data"]["first_name"], "Zora");
    assert_eq!(me.body["personal_data"]["email"], "zora@example.de");
}

#[tokio::test]
async fn a_holder_of_another_merchant_cannot_be_touched() {
    let w = World::new().await;
    let a = w.merchant("anna@baeckerei-a.de").await;
    let b = w.merchant("bert@metzgerei-b.de").await;
    let pa = w.program(&a, BONUS()).await;
    let pb = w.program(&b, BONUS()).await;
    let card_a = &w.cards(&a, &pa, 1).await[0];
    let card_b = &w.cards(&b, &pb, 1).await[0];
    let token_a = w
        .holder(
            &a,
            card_a,
            json!({"first_name": "Anna", "last_name": "A", "email": "anna@example.de"}),
        )
        .await;
    let token_b = w
        .holder(
            &b,
            card_b,
            json!({"first_name": "Bert", "last_name": "B", "email": "bert@example.de"}),
        )
        .await;
    let account_a = login_of(&w, &a, &card_a.0).await.account_id;
    let account_b = login_of(&w, &b, &card_b.0).await.account_id;

    let change = json!({"first_name": "Mallory", "statistics_consent": false});
    // A's account in B's scope: no holder there.
    let crossed = w.token(
        Role::Cardholder,
        &b.id,
        Scope::Cardholder(b.id.clone()),
        AccountId::as_str(&account_a),
    );
    let refused = w
        .call("PATCH", "/cards/me", Some(change.clone()), &crossed)
        .await;
    assert_problem(&refused, StatusCode::NOT_FOUND, None);
    // B's account named in A's scope: no holder there either.
    let crossed = w.token(
        Role::Cardholder,
        &a.id,
        Scope::Cardholder(a.id.clone()),
        AccountId::as_str(&account_b),
    );
    let refused = w
        .call("PATCH", "/cards/me", Some(change.clone()), &crossed)
        .await;
    assert_problem(&refused, StatusCode::NOT_FOUND, None);
    // The merchant and its till are no cardholders.
    for token in [&b.partner.token, &b.pos] {
        let refused = w
            .call("PATCH", "/cards/me", Some(change.clone()), token)
            .await;
        assert_problem(&refused, StatusCode::FORBIDDEN, None);
    }

    // A changes the own data only.
    let own = w
        .call("PATCH", "/cards/me", Some(change.clone()), &token_a)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    let me_b = w.call("GET", "/cards/me", None, &token_b).await;
    assert_eq!(me_b.body["personal_data"]["first_name"], "Bert");
    assert_eq!(me_b.body["statistics_consent"], true);
    let till_b = w
        .call(
            "GET",
            &format!("/cards/pos/cards/{}", card_b.0),
            None,
            &b.pos,
        )
        .await;
    assert_eq!(till_b.body["first_name"], "Bert");
}

/// Five women born 1990 in 50xxx consented; the breakdowns show the group of 5. One
/// withdraws: 4 are left, too few for any breakdown. A holder who never consented is not
/// counted; one who gives the consent later is.
#[tokio::test]
async fn a_withdrawn_consent_takes_the_holder_out_of_the_statistics() {
    let w = World::new().await;
    w.at("2026-11-24T10:00:00Z");
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 6).await;
    let mut tokens = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        let data = json!({"first_name": format!("Person{i}"), "last_name": "Beispiel",
            "email": format!("person{i}@example.de"), "gender": "female",
            "birth_year": 1990, "postal_code": "50667", "statistics_consent": i < 5});
        tokens.push(w.holder(&m, card, data).await);
    }
    let stats = || async {
        let reply = w
            .call("GET", "/cards/statistics", None, &m.partner.token)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body
    };
    let before = stats().await;
    assert_eq!(before["cards_registered"], 6);
    assert_eq!(
        before["cardholders_counted"], 5,
        "the sixth did not consent"
    );
    assert_eq!(
        before["by_gender"],
        json!([{"group": "weiblich", "cardholders": "5"}])
    );
    assert_eq!(
        before["by_age"],
        json!([{"group": "25-39", "cardholders": "5"}])
    );

    let withdrawn = w
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"statistics_consent": false})),
            &tokens[0],
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{:?}", withdrawn.body);
    assert_eq!(withdrawn.body["statistics_consent"], false);
    let me = w.call("GET", "/cards/me", None, &tokens[0]).await;
    assert_eq!(me.body["statistics_consent"], false);

    let after = stats().await;
    assert_eq!(after["cards_registered"], 6, "the card stays registered");
    assert_eq!(after["cardholders_counted"], 4);
    assert_eq!(after["by_gender"], json!([]));
    assert_eq!(after["by_age"], json!([]));
    assert_eq!(after["by_postal_area"], json!([]));

    let given = w
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"statistics_consent": true})),
            &tokens[5],
        )
        .await;
    assert_eq!(given.body["statistics_consent"], true, "{:?}", given.body);
    let again = stats().await;
    assert_eq!(again["cardholders_counted"], 5);
    assert_eq!(
        again["by_postal_area"],
        json!([{"group": "50xxx", "cardholders": "5"}])
    );
}

/// Two devices: the change planned on the data as read before the other device saved is
/// refused with 409, and what the other device saved stays.
#[tokio::test]
async fn a_change_over_data_changed_meanwhile_is_refused_and_nothing_is_lost() {
    let w = World::new().await;
    let m = w.merchant("anna@baeckerei-a.de").await;
    let program = w.program(&m, BONUS()).await;
    let cards = w.cards(&m, &program, 1).await;
    let token = w
        .holder(
            &m,
            &cards[0],
            json!({"first_name": "Zora", "last_name": "Quist", "email": "zora@example.de"}),
        )
        .await;
    let account = login_of(&w, &m, &cards[0].0).await.account_id;
    let key = cards::holder::holder_key(&m.id, &account);
    let stale: cards::holder::Holder =
        from_item(w.kit.table.get(&key).await.unwrap().unwrap()).unwrap();

    let other_device = w
        .call(
            "PATCH",
            "/cards/me",
            Some(json!({"last_name": "Neumann"})),
            &token,
        )
        .await;
    assert_eq!(
        other_device.status,
        StatusCode::OK,
        "{:?}",
        other_device.body
    );

    let state = cards::AppState::new(&w.kit.env);
    let change = cards::own_data::OwnDataChange {
        first_name: Some("Zoe".into()),
        ..Default::default()
    }
    .validate(jiff::civil::date(2026, 11, 24))
    .unwrap();
    let refused = cards::own_data::change(&state, &m.id, &stale, &change).await;
    match refused {
        Err(shared::Error::Conflict(detail)) => {
            assert!(
                detail.contains("gerade an anderer Stelle geändert"),
                "{detail}"
            );
        }
        other => panic!("expected 409, got {other:?}"),
    }
    let me = w.call("GET", "/cards/me", None, &token).await;
    assert_eq!(me.body["personal_data"]["last_name"], "Neumann");
    assert_eq!(me.body["personal_data"]["first_name"], "Zora");
    let till = w
        .call(
            "GET",
            &format!("/cards/pos/cards/{}", cards[0].0),
            None,
            &m.pos,
        )
        .await;
    assert_eq!(till.body["first_name"], "Zora");
}
