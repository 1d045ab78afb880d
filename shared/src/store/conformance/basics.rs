//! Single-item reads and writes, conditions, and all-or-nothing transactions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::{item, unique};
use crate::store::{Cond, Key, StoreError, Table, TxOp, Update};

pub async fn put_get_roundtrip(table: &dyn Table) {
    let key = Key::new(unique("CONF"), "A");
    assert!(
        table.get(&key).await.unwrap().is_none(),
        "absent item reads as None"
    );
    let stored = item(
        &key,
        json!({"name": "Bäckerei Müller", "count": 3, "nested": {"city": "Köln"}, "tags": ["a", "b"], "flag": true}),
    );
    table.put(stored.clone(), Cond::Always).await.unwrap();
    let got = table
        .get(&key)
        .await
        .unwrap()
        .expect("put item is readable");
    assert_eq!(got, stored, "item round-trips unchanged");
}

pub async fn conditional_put_rejects_duplicates(table: &dyn Table) {
    let key = Key::new(unique("CONF"), "UNIQUE");
    table
        .put(item(&key, json!({"v": 1})), Cond::NotExists)
        .await
        .unwrap();
    let second = table
        .put(item(&key, json!({"v": 2})), Cond::NotExists)
        .await;
    assert!(
        matches!(second, Err(StoreError::ConditionFailed)),
        "duplicate put fails: {second:?}"
    );
    let got = table.get(&key).await.unwrap().unwrap();
    assert_eq!(got["v"], json!(1), "the first write stays");
    let exists = table.put(item(&key, json!({"v": 3})), Cond::Exists).await;
    assert!(exists.is_ok(), "Cond::Exists holds for a stored item");
}

pub async fn update_sets_adds_removes_and_returns_new(table: &dyn Table) {
    let key = Key::new(unique("CONF"), "U");
    let created = table
        .update(
            &key,
            &[Update::Add("n", 2), Update::Set("s", json!("x"))],
            Cond::Always,
        )
        .await
        .unwrap();
    assert_eq!(created["n"], json!(2), "Add starts from zero");
    assert_eq!(
        created["pk"],
        json!(key.pk),
        "update on a new key creates the item"
    );
    let after = table
        .update(
            &key,
            &[Update::Add("n", 5), Update::Remove("s")],
            Cond::Exists,
        )
        .await
        .unwrap();
    assert_eq!(after["n"], json!(7), "Add accumulates");
    assert!(after.get("s").is_none(), "Remove drops the attribute");
}

pub async fn update_conditions(table: &dyn Table) {
    let key = Key::new(unique("CONF"), "C");
    table
        .put(
            item(&key, json!({"status": "pending", "n": 3})),
            Cond::NotExists,
        )
        .await
        .unwrap();
    let wrong = table
        .update(
            &key,
            &[Update::Set("status", json!("approved"))],
            Cond::Eq("status", json!("rejected")),
        )
        .await;
    assert!(
        matches!(wrong, Err(StoreError::ConditionFailed)),
        "Eq mismatch fails"
    );
    let right = table
        .update(
            &key,
            &[Update::Set("status", json!("approved"))],
            Cond::All(vec![
                Cond::Eq("status", json!("pending")),
                Cond::Ge("n", 3),
                Cond::Absent("gone"),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(right["status"], json!("approved"));
    let ge = table
        .update(&key, &[Update::Add("n", -1)], Cond::Ge("n", 4))
        .await;
    assert!(
        matches!(ge, Err(StoreError::ConditionFailed)),
        "Ge below the bound fails"
    );
    let lt = table
        .update(&key, &[Update::Add("n", 1)], Cond::LtOrAbsent("n", 4))
        .await
        .unwrap();
    assert_eq!(lt["n"], json!(4), "LtOrAbsent holds below the bound");
    let lt_absent = table
        .update(
            &key,
            &[Update::Set("m", json!(1))],
            Cond::LtOrAbsent("m", 0),
        )
        .await;
    assert!(
        lt_absent.is_ok(),
        "LtOrAbsent holds for an absent attribute"
    );
    let missing = Key::new(unique("CONF"), "C");
    let no_item = table
        .update(&missing, &[Update::Add("n", 1)], Cond::Exists)
        .await;
    assert!(
        matches!(no_item, Err(StoreError::ConditionFailed)),
        "Exists fails on a missing item"
    );
    assert!(
        table.get(&missing).await.unwrap().is_none(),
        "a failed update writes nothing"
    );
}

pub async fn delete_with_condition(table: &dyn Table) {
    let key = Key::new(unique("CONF"), "D");
    table
        .put(item(&key, json!({"used": false})), Cond::Always)
        .await
        .unwrap();
    let refused = table.delete(&key, Cond::Eq("used", json!(true))).await;
    assert!(matches!(refused, Err(StoreError::ConditionFailed)));
    assert!(
        table.get(&key).await.unwrap().is_some(),
        "refused delete keeps the item"
    );
    table.delete(&key, Cond::Exists).await.unwrap();
    assert!(
        table.get(&key).await.unwrap().is_none(),
        "deleted item is gone"
    );
    let again = table.delete(&key, Cond::Exists).await;
    assert!(
        matches!(again, Err(StoreError::ConditionFailed)),
        "second delete sees nothing"
    );
}

pub async fn transaction_is_all_or_nothing(table: &dyn Table) {
    let pk = unique("CONF");
    let guard = Key::new(&pk, "GUARD");
    let a = Key::new(&pk, "A");
    table
        .put(item(&guard, json!({})), Cond::Always)
        .await
        .unwrap();
    let failed = table
        .transact(vec![
            TxOp::Put {
                item: item(&a, json!({"v": 1})),
                cond: Cond::NotExists,
            }
            .named("new_item"),
            TxOp::Put {
                item: item(&guard, json!({})),
                cond: Cond::NotExists,
            }
            .named("guard"),
        ])
        .await;
    assert!(
        matches!(failed, Err(StoreError::TxCancelled { failed: "guard" })),
        "the guard's condition cancels, by name: {failed:?}"
    );
    assert!(
        table.get(&a).await.unwrap().is_none(),
        "a cancelled transaction writes nothing"
    );

    table
        .transact(vec![
            TxOp::Put {
                item: item(&a, json!({"v": 1})),
                cond: Cond::NotExists,
            }
            .named("new_item"),
            TxOp::Update {
                key: guard.clone(),
                ops: vec![Update::Add("n", 1)],
                cond: Cond::Exists,
            }
            .named("count"),
            TxOp::Check {
                key: Key::new(&pk, "NONE"),
                cond: Cond::NotExists,
            }
            .named("absent"),
        ])
        .await
        .unwrap();
    assert_eq!(table.get(&a).await.unwrap().unwrap()["v"], json!(1));
    assert_eq!(table.get(&guard).await.unwrap().unwrap()["n"], json!(1));
    table
        .transact(vec![
            TxOp::Delete {
                key: a.clone(),
                cond: Cond::Exists,
            }
            .named("delete"),
        ])
        .await
        .unwrap();
    assert!(
        table.get(&a).await.unwrap().is_none(),
        "transactional delete removes"
    );
}
