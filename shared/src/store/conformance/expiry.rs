//! Expired items (`ttl` at or before the adapter's clock): invisible to readers, absent to
//! conditions, whether or not the database has deleted them yet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::SignedDuration;
use serde_json::json;

use super::{Fixture, item, unique};
use crate::clock::Clock;
use crate::store::{Cond, Index, Item, Key, Query, StoreError, TxOp, Update};

pub async fn expired_items_are_invisible_to_readers(f: &Fixture) {
    let table = f.table.as_ref();
    let now = f.clock.epoch();
    let pk = unique("CONF");
    let gpk = unique("GSI");
    let put = |sk: &str, ttl: Option<i64>| {
        let mut extra = json!({"gsi1pk": gpk, "gsi1sk": sk});
        if let Some(ttl) = ttl {
            extra["ttl"] = json!(ttl);
        }
        table.put(item(&Key::new(&pk, sk), extra), Cond::Always)
    };
    put("A-expired", Some(now - 1)).await.unwrap();
    put("B-live", Some(now + 60)).await.unwrap();
    put("C-forever", None).await.unwrap();
    put("D-expires-now", Some(now)).await.unwrap();

    let sks = |items: Vec<Item>| {
        items
            .iter()
            .map(|i| i["sk"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        table
            .get(&Key::new(&pk, "A-expired"))
            .await
            .unwrap()
            .is_none(),
        "get hides an expired item"
    );
    assert!(
        table
            .get(&Key::new(&pk, "D-expires-now"))
            .await
            .unwrap()
            .is_none(),
        "an item expires at its ttl second"
    );
    assert!(table.get(&Key::new(&pk, "B-live")).await.unwrap().is_some());
    let primary = table
        .query_all(Query::partition(Index::Primary, &pk))
        .await
        .unwrap();
    assert_eq!(sks(primary), ["B-live", "C-forever"], "query hides them");
    let gsi = table
        .query_all(Query::partition(Index::Gsi1, &gpk))
        .await
        .unwrap();
    assert_eq!(sks(gsi), ["B-live", "C-forever"], "a GSI query too");

    // A page of expired items is empty but still leads on to the live ones.
    let mut seen = Vec::new();
    let mut page = table
        .query(Query::partition(Index::Primary, &pk).limit(1))
        .await
        .unwrap();
    assert!(page.items.is_empty(), "the first item read had expired");
    loop {
        seen.extend(sks(page.items));
        let Some(cursor) = page.cursor else { break };
        page = table
            .query(
                Query::partition(Index::Primary, &pk)
                    .limit(1)
                    .cursor(Some(cursor)),
            )
            .await
            .unwrap();
    }
    assert_eq!(seen, ["B-live", "C-forever"]);

    f.clock.advance(SignedDuration::from_secs(61));
    assert!(
        table.get(&Key::new(&pk, "B-live")).await.unwrap().is_none(),
        "once the clock passes its ttl, a live item disappears"
    );
    let later = table
        .query_all(Query::partition(Index::Primary, &pk))
        .await
        .unwrap();
    assert_eq!(sks(later), ["C-forever"]);
}

pub async fn conditions_see_expired_items_as_absent(f: &Fixture) {
    let table = f.table.as_ref();
    let now = f.clock.epoch();
    let pk = unique("CONF");
    let expired = |sk: &str| {
        item(
            &Key::new(&pk, sk),
            json!({"status": "open", "n": 5, "ttl": now - 10}),
        )
    };
    let key = |sk: &str| Key::new(&pk, sk);

    table.put(expired("PUT"), Cond::Always).await.unwrap();
    table
        .put(item(&key("PUT"), json!({"v": 2})), Cond::NotExists)
        .await
        .expect("NotExists holds over an expired item");
    let replaced = table.get(&key("PUT")).await.unwrap().unwrap();
    assert_eq!(replaced["v"], json!(2), "the put replaced it whole");
    assert!(replaced.get("status").is_none());

    table.put(expired("EXISTS"), Cond::Always).await.unwrap();
    let exists = table
        .put(item(&key("EXISTS"), json!({})), Cond::Exists)
        .await;
    assert!(
        matches!(exists, Err(StoreError::ConditionFailed)),
        "Exists fails on an expired item: {exists:?}"
    );
    let eq = table
        .update(
            &key("EXISTS"),
            &[Update::Set("status", json!("done"))],
            Cond::Eq("status", json!("open")),
        )
        .await;
    assert!(
        matches!(eq, Err(StoreError::ConditionFailed)),
        "Eq fails on an expired item: {eq:?}"
    );
    let deleted = table.delete(&key("EXISTS"), Cond::Exists).await;
    assert!(matches!(deleted, Err(StoreError::ConditionFailed)));

    let tx = table
        .transact(vec![
            TxOp::Check {
                key: key("EXISTS"),
                cond: Cond::Exists,
            }
            .named("expired_check"),
        ])
        .await;
    assert!(
        matches!(
            tx,
            Err(StoreError::TxCancelled {
                failed: "expired_check"
            })
        ),
        "a transaction's condition sees it absent too: {tx:?}"
    );
    table
        .transact(vec![
            TxOp::Put {
                item: item(&key("EXISTS"), json!({"v": 3})),
                cond: Cond::NotExists,
            }
            .named("revive"),
        ])
        .await
        .expect("a transactional NotExists holds over an expired item");

    // An update builds on what is still stored, so it sets the ttl it relies on.
    table.put(expired("UPDATE"), Cond::Always).await.unwrap();
    let updated = table
        .update(
            &key("UPDATE"),
            &[Update::Add("n", 1), Update::Set("ttl", json!(now + 60))],
            Cond::Absent("status"),
        )
        .await
        .expect("Absent holds on an expired item");
    assert_eq!(
        updated["n"],
        json!(6),
        "the update started from the stored attributes"
    );
    assert!(
        table.get(&key("UPDATE")).await.unwrap().is_some(),
        "a new ttl makes it visible again"
    );
}
