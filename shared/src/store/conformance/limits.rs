//! DynamoDB's limits on one transaction (see [`crate::store::limits`]): more than 100
//! operations, a request over 4 MB or two operations on one item are refused as a whole, with
//! the same error on every adapter, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::{Fixture, item, unique};
use crate::clock::Clock;
use crate::store::limits::request_bytes;
use crate::store::{
    Cond, Key, MAX_TX_BYTES, MAX_TX_OPS, Named, StoreError, Table, TxLimit, TxOp, Update,
};

fn put(key: &Key, cond: Cond) -> Named {
    TxOp::Put {
        item: item(key, json!({"v": 1})),
        cond,
    }
    .named("put")
}

async fn absent(table: &dyn Table, key: &Key) -> bool {
    table.get(key).await.unwrap().is_none()
}

pub async fn transactions_over_dynamodbs_limits_are_refused(f: &Fixture) {
    let table = f.table.as_ref();
    let pk = unique("CONF");
    let key = |sk: String| Key::new(&pk, sk);

    // 101 operations: refused, none written; 100 commit.
    let many: Vec<Named> = (0..=MAX_TX_OPS)
        .map(|i| put(&key(format!("OPS#{i:03}")), Cond::NotExists))
        .collect();
    let refused = table.transact(many.clone()).await;
    assert!(
        matches!(refused, Err(StoreError::TxRefused(TxLimit::TooManyOps))),
        "101 operations: {refused:?}"
    );
    assert!(
        absent(table, &key("OPS#000".into())).await,
        "nothing written"
    );
    table
        .transact(many[..MAX_TX_OPS].to_vec())
        .await
        .expect("100 operations commit");
    assert!(!absent(table, &key("OPS#099".into())).await);

    // Two operations on one item. (DynamoDB refuses a condition check beside a write of the
    // same item too, and so does SqliteTable; DynamoDB Local evaluates such a check after the
    // write instead, so that pair is left to `limits`' own tests.)
    let twice = key("TWICE".into());
    for second in [
        TxOp::Put {
            item: item(&twice, json!({"v": 2})),
            cond: Cond::Always,
        },
        TxOp::Update {
            key: twice.clone(),
            ops: vec![Update::Add("n", 1)],
            cond: Cond::Always,
        },
        TxOp::Delete {
            key: twice.clone(),
            cond: Cond::Always,
        },
    ] {
        let refused = table
            .transact(vec![
                put(&key("OTHER".into()), Cond::NotExists),
                put(&twice, Cond::NotExists),
                second.named("second"),
            ])
            .await;
        assert!(
            matches!(refused, Err(StoreError::TxRefused(TxLimit::SameItemTwice))),
            "two operations on one item: {refused:?}"
        );
        assert!(absent(table, &twice).await && absent(table, &key("OTHER".into())).await);
    }

    // 4 MB exactly, counted as DynamoDB counts a request (items, keys, expressions, the names
    // and values they use), commits; one byte more is refused, nothing written. Every kind of
    // operation and condition takes part, so every part of the count is checked.
    table
        .put(item(&key("DELETED".into()), json!({"v": 1})), Cond::Always)
        .await
        .unwrap();
    table
        .put(item(&key("CHECKED".into()), json!({"n": 3})), Cond::Always)
        .await
        .unwrap();
    let now = f.clock.epoch();
    let big = |sk: String, len: usize| TxOp::Put {
        item: item(
            &key(sk),
            json!({"d": "x".repeat(len), "n": 12345, "flag": true}),
        ),
        cond: Cond::NotExists,
    };
    let sized = |padding: usize| -> Vec<Named> {
        let mut ops: Vec<Named> = (0..10)
            .map(|i| big(format!("BIG#{i}"), 390_000).named("big"))
            .collect();
        ops.push(
            TxOp::Update {
                key: key("UPDATED".into()),
                ops: vec![
                    Update::Set("d", json!("y".repeat(150_000 + padding))),
                    Update::Set("list", json!([1, "zwei", {"drei": null}])),
                    Update::Add("n", -7),
                    Update::Remove("gone"),
                ],
                cond: Cond::LtOrAbsent("n", 5),
            }
            .named("update"),
        );
        ops.push(
            TxOp::Delete {
                key: key("DELETED".into()),
                cond: Cond::All(vec![Cond::Eq("v", json!(1)), Cond::Absent("locked")]),
            }
            .named("delete"),
        );
        ops.push(
            TxOp::Check {
                key: key("CHECKED".into()),
                cond: Cond::Ge("n", 3),
            }
            .named("check"),
        );
        ops.push(
            TxOp::Check {
                key: key("ANYTHING".into()),
                cond: Cond::Always,
            }
            .named("anything"),
        );
        ops
    };
    let padding = MAX_TX_BYTES - request_bytes(&sized(0), now);
    assert_eq!(request_bytes(&sized(padding), now), MAX_TX_BYTES);
    let refused = table.transact(sized(padding + 1)).await;
    assert!(
        matches!(refused, Err(StoreError::TxRefused(TxLimit::TooLarge))),
        "4 MB and a byte: {refused:?}"
    );
    assert!(absent(table, &key("BIG#0".into())).await, "nothing written");
    assert!(
        absent(table, &key("UPDATED".into())).await,
        "nothing written"
    );
    assert!(
        !absent(table, &key("DELETED".into())).await,
        "nothing deleted"
    );
    table
        .transact(sized(padding))
        .await
        .expect("4 MB exactly commit");
    let updated = table.get(&key("UPDATED".into())).await.unwrap().unwrap();
    assert_eq!(updated["n"], json!(-7));
    assert!(!absent(table, &key("BIG#9".into())).await);
    assert!(absent(table, &key("DELETED".into())).await);
}
