//! Queries: order, sort-key conditions, pages of at most 1 MB, cursors, consistency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::{item, unique};
use crate::store::{
    Cond, Consistency, Index, Item, Key, Page, Query, SkCond, StoreError, Table, TxOp,
};

pub async fn query_prefix_order_and_pages(table: &dyn Table) {
    let pk = unique("CONF");
    for sk in [
        "ITEM#03", "ITEM#01", "ITEM#02", "ITEM#05", "ITEM#04", "OTHER#1",
    ] {
        table
            .put(item(&Key::new(&pk, sk), json!({})), Cond::Always)
            .await
            .unwrap();
    }
    let sks = |items: &[Item]| {
        items
            .iter()
            .map(|i| i["sk"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let all = table
        .query(Query::partition(Index::Primary, &pk).sk(SkCond::BeginsWith("ITEM#".into())))
        .await
        .unwrap();
    assert_eq!(
        sks(&all.items),
        ["ITEM#01", "ITEM#02", "ITEM#03", "ITEM#04", "ITEM#05"]
    );
    assert!(all.cursor.is_none(), "an unlimited query has no next page");

    let desc = table
        .query(
            Query::partition(Index::Primary, &pk)
                .sk(SkCond::BeginsWith("ITEM#".into()))
                .backwards()
                .limit(2),
        )
        .await
        .unwrap();
    assert_eq!(
        sks(&desc.items),
        ["ITEM#05", "ITEM#04"],
        "backwards with limit"
    );

    let mut collected = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = table
            .query(
                Query::partition(Index::Primary, &pk)
                    .sk(SkCond::BeginsWith("ITEM#".into()))
                    .limit(2)
                    .cursor(cursor.clone()),
            )
            .await
            .unwrap();
        assert!(page.items.len() <= 2, "a page respects the limit");
        collected.extend(sks(&page.items));
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        collected,
        ["ITEM#01", "ITEM#02", "ITEM#03", "ITEM#04", "ITEM#05"],
        "pages cover everything once"
    );

    let between = table
        .query(
            Query::partition(Index::Primary, &pk)
                .sk(SkCond::Between("ITEM#02".into(), "ITEM#04".into())),
        )
        .await
        .unwrap();
    assert_eq!(sks(&between.items), ["ITEM#02", "ITEM#03", "ITEM#04"]);
    let eq = table
        .query(Query::partition(Index::Primary, &pk).sk(SkCond::Eq("OTHER#1".into())))
        .await
        .unwrap();
    assert_eq!(sks(&eq.items), ["OTHER#1"]);
}

pub async fn query_gsi1(table: &dyn Table) {
    let gpk = unique("GSI");
    for (i, status) in ["pending", "approved", "pending"].iter().enumerate() {
        let key = Key::new(unique("CONF"), "APP");
        table
            .put(
                item(
                    &key,
                    json!({"gsi1pk": gpk, "gsi1sk": format!("{status}#{i}"), "i": i}),
                ),
                Cond::Always,
            )
            .await
            .unwrap();
    }
    let pending = table
        .query(Query::partition(Index::Gsi1, &gpk).sk(SkCond::BeginsWith("pending#".into())))
        .await
        .unwrap();
    let order: Vec<i64> = pending
        .items
        .iter()
        .map(|i| i["i"].as_i64().unwrap())
        .collect();
    assert_eq!(
        order,
        [0, 2],
        "GSI query filters by sort-key prefix, in order"
    );
    let first = table
        .query(Query::partition(Index::Gsi1, &gpk).limit(1))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    let rest = table
        .query(Query::partition(Index::Gsi1, &gpk).cursor(first.cursor))
        .await
        .unwrap();
    assert_eq!(
        rest.items.len(),
        2,
        "a GSI cursor continues after the first page"
    );
}

/// 300 items of 4 KB: one page stops at about 1 MB with a cursor, whatever the limit;
/// `query_all` reads on to the end.
pub async fn pages_stop_at_one_megabyte_and_query_all_reads_on(table: &dyn Table) {
    const ITEMS: usize = 300;
    let pk = unique("CONF");
    let filler = "x".repeat(4000);
    let sk = |i: usize| format!("BIG#{i:04}");
    for chunk in (0..ITEMS).collect::<Vec<_>>().chunks(100) {
        let ops = chunk
            .iter()
            .map(|&i| {
                TxOp::Put {
                    item: item(&Key::new(&pk, sk(i)), json!({"data": filler, "i": i})),
                    cond: Cond::NotExists,
                }
                .named("big")
            })
            .collect();
        table.transact(ops).await.unwrap();
    }
    let query = Query::partition(Index::Primary, &pk).limit(1000);
    let first = table.query(query.clone()).await.unwrap();
    assert!(
        (200..ITEMS).contains(&first.items.len()),
        "a page stops at about 1 MB: {} items of 4 KB",
        first.items.len()
    );
    assert!(first.cursor.is_some(), "a short page says more follows");
    let all = table.query_all(query).await.unwrap();
    let order: Vec<String> = all
        .iter()
        .map(|i| i["sk"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        order,
        (0..ITEMS).map(sk).collect::<Vec<_>>(),
        "query_all returns every item once, in order"
    );
    let backwards = table
        .query_all(Query::partition(Index::Primary, &pk).backwards())
        .await
        .unwrap();
    assert_eq!(backwards.len(), ITEMS, "backwards too");
    assert_eq!(backwards[0]["sk"], json!(sk(ITEMS - 1)));
}

/// A cursor continues only the query that issued it; anything forged or replayed elsewhere is
/// `InvalidCursor` (a 400), never an error from the database.
pub async fn tampered_cursors_are_invalid(table: &dyn Table) {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let pk = unique("CONF");
    let gpk = unique("GSI");
    for i in 0..3 {
        let extra = json!({"gsi1pk": gpk, "gsi1sk": format!("pending#{i}")});
        table
            .put(
                item(&Key::new(&pk, format!("ITEM#{i}")), extra),
                Cond::Always,
            )
            .await
            .unwrap();
    }
    let query = Query::partition(Index::Primary, &pk).sk(SkCond::BeginsWith("ITEM#".into()));
    let page = table.query(query.clone().limit(1)).await.unwrap();
    let cursor = page.cursor.expect("a limited page has a cursor");
    let rest = table
        .query(query.clone().cursor(Some(cursor.clone())))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2, "the genuine cursor continues");

    let invalid = |result: Result<Page, StoreError>, case: &str| {
        assert!(
            matches!(result, Err(StoreError::InvalidCursor)),
            "{case}: {result:?}"
        );
    };
    let elsewhere = Query::partition(Index::Primary, unique("CONF")).cursor(Some(cursor.clone()));
    invalid(table.query(elsewhere).await, "another partition");
    let on_gsi = Query::partition(Index::Gsi1, &gpk).cursor(Some(cursor.clone()));
    invalid(table.query(on_gsi).await, "another index");
    invalid(
        table
            .query(query.clone().cursor(Some("not a cursor!".into())))
            .await,
        "garbage",
    );

    // What a client could do: decode the cursor, change it, encode it again.
    let wire: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&cursor).unwrap()).unwrap();
    let forged = |edit: &dyn Fn(&mut Value)| {
        let mut w = wire.clone();
        edit(&mut w);
        Some(URL_SAFE_NO_PAD.encode(w.to_string()))
    };
    let other_pk = unique("CONF");
    let cases: [(&str, Option<String>); 7] = [
        (
            "partition swapped everywhere",
            forged(&|w| {
                w["p"] = json!(other_pk);
                w["k"]["pk"] = json!(other_pk);
            }),
        ),
        (
            "partition swapped in the key",
            forged(&|w| w["k"]["pk"] = json!(other_pk)),
        ),
        (
            "sort key missing",
            forged(&|w| {
                w["k"].as_object_mut().unwrap().remove("sk");
            }),
        ),
        (
            "sort key not a string",
            forged(&|w| w["k"]["sk"] = json!(7)),
        ),
        ("sort key empty", forged(&|w| w["k"]["sk"] = json!(""))),
        (
            "sort key outside the condition",
            forged(&|w| w["k"]["sk"] = json!("OTHER#1")),
        ),
        (
            "extra attribute",
            forged(&|w| w["k"]["gsi1pk"] = json!(gpk)),
        ),
    ];
    for (case, forged) in cases {
        invalid(table.query(query.clone().cursor(forged)).await, case);
    }
    let moved = forged(&|w| w["k"]["sk"] = json!("ITEM#1"));
    let from_moved = table.query(query.clone().cursor(moved)).await.unwrap();
    assert_eq!(
        from_moved.items.len(),
        1,
        "a position moved within the query's own range is merely another position"
    );

    let gsi = Query::partition(Index::Gsi1, &gpk).limit(1);
    let gsi_cursor = table.query(gsi.clone()).await.unwrap().cursor.unwrap();
    let gsi_wire: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&gsi_cursor).unwrap()).unwrap();
    let mut no_table_key = gsi_wire.clone();
    no_table_key["k"].as_object_mut().unwrap().remove("pk");
    let forged_gsi = Some(URL_SAFE_NO_PAD.encode(no_table_key.to_string()));
    invalid(
        table.query(gsi.clone().cursor(forged_gsi)).await,
        "GSI cursor without the table's key",
    );
}

/// Reads that ask for eventual consistency still find what was written (the emulators have a
/// single copy); a GSI query is always eventual and must not be refused for it.
pub async fn reads_may_be_eventually_consistent(table: &dyn Table) {
    let pk = unique("CONF");
    let gpk = unique("GSI");
    let key = Key::new(&pk, "EVENTUAL");
    table
        .put(
            item(&key, json!({"gsi1pk": gpk, "gsi1sk": "a"})),
            Cond::Always,
        )
        .await
        .unwrap();
    let got = table.get_with(&key, Consistency::Eventual).await.unwrap();
    assert!(got.is_some(), "eventual get");
    let page = table
        .query(Query::partition(Index::Primary, &pk).eventually_consistent())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "eventual query");
    for q in [
        Query::partition(Index::Gsi1, &gpk),
        Query::partition(Index::Gsi1, &gpk).eventually_consistent(),
    ] {
        assert_eq!(table.query(q).await.unwrap().items.len(), 1, "GSI query");
    }
}
