//! Concurrent writers: racing transactions, balances, idempotency keys and gapless counters,
//! each with [`RACERS`] writers released at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use jiff::SignedDuration;
use serde_json::json;

use super::{Fixture, RACERS, item, race, unique};
use crate::clock::Clock;
use crate::store::balance::{self, Amount, Balance};
use crate::store::counter::Counter;
use crate::store::idempotency::{IdempotencyError, IdempotencyKey, Outcome, StoredResponse};
use crate::store::{Cond, Index, Item, Key, Query, StoreError, TxOp, Update};

fn ledger_entry(ledger: &str, amount: i64) -> Item {
    item(
        &Key::new(ledger, unique("ENTRY")),
        json!({ "amount": amount }),
    )
}

/// Transactions that all touch one item: every one commits in the end, and none is ever told
/// that its own condition (which holds throughout) failed.
pub async fn racing_transactions_are_retried_not_failed(f: &Fixture) {
    const WRITERS: usize = 50;
    let pk = unique("CONF");
    let shared = Key::new(&pk, "SHARED");
    f.table
        .put(item(&shared, json!({"n": 0})), Cond::NotExists)
        .await
        .unwrap();
    let outcomes = race(WRITERS, |i| {
        let (table, shared, pk) = (f.table.clone(), shared.clone(), pk.clone());
        async move {
            table
                .transact(vec![
                    TxOp::Update {
                        key: shared,
                        ops: vec![Update::Add("n", 1)],
                        cond: Cond::Exists,
                    }
                    .named("shared"),
                    TxOp::Put {
                        item: item(&Key::new(&pk, format!("OWN#{i:03}")), json!({})),
                        cond: Cond::NotExists,
                    }
                    .named("own"),
                ])
                .await
        }
    })
    .await;
    for outcome in &outcomes {
        assert!(
            !matches!(outcome, Err(StoreError::TxCancelled { .. })),
            "a lost race is never a failed condition: {outcome:?}"
        );
    }
    let committed = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(
        committed, WRITERS,
        "the losers were tried again: {outcomes:?}"
    );
    let n = f.table.get(&shared).await.unwrap().unwrap()["n"].clone();
    assert_eq!(n, json!(WRITERS), "each commit counted once");
}

/// Debits of one balance, more than it holds: those that fit succeed, the rest are refused as
/// insufficient, the balance ends exactly at zero and the ledger explains every cent.
pub async fn concurrent_debits_never_overdraw(f: &Fixture) {
    const DEBIT: i64 = 100;
    let covered = RACERS * 3 / 4;
    let ledger = unique("LEDGER");
    let wallet = Balance::new(Key::new(unique("WALLET"), "BALANCE"));
    let initial = DEBIT * covered as i64;
    f.table
        .transact(wallet.credit(
            Amount::new(initial).unwrap(),
            ledger_entry(&ledger, initial),
        ))
        .await
        .unwrap();
    assert_eq!(wallet.read(f.table.as_ref()).await.unwrap(), initial);

    let outcomes = race(RACERS, |_| {
        let (table, wallet, ledger) = (f.table.clone(), wallet.clone(), ledger.clone());
        async move {
            let ops = wallet.debit(Amount::new(DEBIT).unwrap(), ledger_entry(&ledger, -DEBIT));
            table.transact(ops).await
        }
    })
    .await;
    let debited = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(e) if balance::is_insufficient(e)))
        .count();
    assert_eq!(
        (debited, refused),
        (covered, RACERS - covered),
        "every debit that fits succeeds, every other is insufficient: {:?}",
        outcomes
            .iter()
            .filter(|o| o.is_err())
            .take(3)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        wallet.read(f.table.as_ref()).await.unwrap(),
        0,
        "exactly zero, never below"
    );
    let entries = f
        .table
        .query_all(Query::partition(Index::Primary, &ledger))
        .await
        .unwrap();
    let sum: i64 = entries.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
    assert_eq!(entries.len(), 1 + covered, "one ledger entry per change");
    assert_eq!(sum, 0, "the ledger explains the balance");

    // A ledger entry is immutable: the same entry again cancels the whole change.
    let entry = ledger_entry(&ledger, 50);
    let amount = Amount::new(50).unwrap();
    f.table
        .transact(wallet.credit(amount, entry.clone()))
        .await
        .unwrap();
    let again = f.table.transact(wallet.credit(amount, entry)).await;
    assert!(
        matches!(
            again,
            Err(StoreError::TxCancelled {
                failed: balance::LEDGER_OP
            })
        ),
        "{again:?}"
    );
    assert_eq!(wallet.read(f.table.as_ref()).await.unwrap(), 50);
}

fn booked(amount: i64) -> StoredResponse {
    StoredResponse {
        status: 201,
        body: json!({"gebucht": amount, "text": "Buchung über 1,00 €"}),
    }
}

/// The same key and body get the same response without a second effect; another body gets
/// `Mismatch`; an expired key is new again.
pub async fn idempotency_keys_replay_or_refuse(f: &Fixture) {
    let table = f.table.as_ref();
    let scope = unique("POS");
    let ledger = unique("LEDGER");
    let wallet = Balance::new(Key::new(unique("WALLET"), "BALANCE"));
    let expires_at = f.clock.epoch() + 3600;
    let request = br#"{"card":"1234","amount":100}"#;
    let key = IdempotencyKey::new(&scope, "client-key-1", request);
    let book = || wallet.credit(Amount::new(100).unwrap(), ledger_entry(&ledger, 100));

    assert_eq!(key.stored(table).await.unwrap(), None, "a new key");
    let first = key
        .commit(table, book(), booked(100), expires_at)
        .await
        .unwrap();
    assert_eq!(first, Outcome::Applied(booked(100)));
    assert_eq!(key.stored(table).await.unwrap(), Some(booked(100)));

    let retry = IdempotencyKey::new(&scope, "client-key-1", request);
    let second = retry
        .commit(table, book(), booked(999), expires_at)
        .await
        .unwrap();
    assert_eq!(
        second,
        Outcome::Replayed(booked(100)),
        "the stored response, not the new one"
    );
    assert_eq!(wallet.read(table).await.unwrap(), 100, "one effect");

    let other = IdempotencyKey::new(&scope, "client-key-1", br#"{"card":"1234","amount":500}"#);
    let mismatch = other.commit(table, book(), booked(500), expires_at).await;
    assert!(
        matches!(mismatch, Err(IdempotencyError::Mismatch)),
        "{mismatch:?}"
    );
    assert!(matches!(
        other.stored(table).await,
        Err(IdempotencyError::Mismatch)
    ));
    assert_eq!(wallet.read(table).await.unwrap(), 100, "still one effect");

    let elsewhere = IdempotencyKey::new(&unique("POS"), "client-key-1", request);
    let own = elsewhere
        .commit(table, book(), booked(100), expires_at)
        .await
        .unwrap();
    assert!(
        matches!(own, Outcome::Applied(_)),
        "another scope's key is its own"
    );

    // The effect's own condition failing leaves the key unused.
    let fresh = IdempotencyKey::new(&scope, "client-key-2", request);
    let overdraw = wallet.debit(Amount::new(10_000).unwrap(), ledger_entry(&ledger, -10_000));
    let refused = fresh.commit(table, overdraw, booked(0), expires_at).await;
    assert!(
        matches!(&refused, Err(IdempotencyError::Store(e)) if balance::is_insufficient(e)),
        "{refused:?}"
    );
    assert_eq!(fresh.stored(table).await.unwrap(), None);

    f.clock.advance(SignedDuration::from_secs(3601));
    let after_expiry = retry
        .commit(table, book(), booked(100), f.clock.epoch() + 3600)
        .await
        .unwrap();
    assert!(
        matches!(after_expiry, Outcome::Applied(_)),
        "an expired key is new again"
    );
}

/// Many retries of one request at once: one effect, one response for all.
pub async fn concurrent_retries_of_one_key_have_one_effect(f: &Fixture) {
    let scope = unique("POS");
    let ledger = unique("LEDGER");
    let wallet = Balance::new(Key::new(unique("WALLET"), "BALANCE"));
    let expires_at = f.clock.epoch() + 3600;
    let outcomes = race(RACERS, |i| {
        let (table, wallet, ledger, scope) = (
            f.table.clone(),
            wallet.clone(),
            ledger.clone(),
            scope.clone(),
        );
        async move {
            let key = IdempotencyKey::new(&scope, "retry-me", br#"{"amount":100}"#);
            let effect = wallet.credit(Amount::new(100).unwrap(), ledger_entry(&ledger, 100));
            // Each retry would answer differently, so a replay shows whose answer stuck.
            let response = StoredResponse {
                status: 201,
                body: json!({ "attempt": i }),
            };
            key.commit(table.as_ref(), effect, response, expires_at)
                .await
        }
    })
    .await;
    let applied: Vec<&StoredResponse> = outcomes
        .iter()
        .filter_map(|o| match o {
            Ok(Outcome::Applied(r)) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(applied.len(), 1, "one request had the effect");
    let winner = applied[0].clone();
    for outcome in &outcomes {
        match outcome {
            Ok(o) => assert_eq!(o.response(), &winner, "every retry answers the same"),
            Err(e) => panic!("a retry failed instead of replaying: {e:?}"),
        }
    }
    assert_eq!(
        wallet.read(f.table.as_ref()).await.unwrap(),
        100,
        "one effect"
    );
    let entries = f
        .table
        .query_all(Query::partition(Index::Primary, &ledger))
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "one ledger entry");
}

/// Invoice numbers allocated at once: exactly 1..=RACERS, each on one invoice.
pub async fn concurrent_allocations_are_gapless(f: &Fixture) {
    let counter = Counter::new(Key::new(unique("COUNTER"), "INVOICE"));
    let invoices = unique("INVOICES");
    let numbers = race(RACERS, |i| {
        let (table, counter, invoices) = (f.table.clone(), counter.clone(), invoices.clone());
        async move {
            counter
                .allocate(table.as_ref(), |n| {
                    Ok::<_, StoreError>(vec![
                        TxOp::Put {
                            item: item(
                                &Key::new(&invoices, format!("INVOICE#{n:06}")),
                                json!({"number": n, "run": i}),
                            ),
                            cond: Cond::NotExists,
                        }
                        .named("invoice"),
                    ])
                })
                .await
        }
    })
    .await;
    let numbers: Vec<u64> = numbers
        .into_iter()
        .map(|n| n.expect("every allocation succeeds"))
        .collect();
    let distinct: BTreeSet<u64> = numbers.iter().copied().collect();
    assert_eq!(
        distinct,
        (1..=RACERS as u64).collect::<BTreeSet<_>>(),
        "1..={RACERS}, none skipped or doubled"
    );
    assert_eq!(numbers.len(), RACERS);
    assert_eq!(
        counter.current(f.table.as_ref()).await.unwrap(),
        RACERS as u64
    );
    let stored = f
        .table
        .query_all(Query::partition(Index::Primary, &invoices))
        .await
        .unwrap();
    let stored: Vec<u64> = stored
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        stored,
        (1..=RACERS as u64).collect::<Vec<_>>(),
        "one invoice per number"
    );

    // The effect's own condition failing uses no number.
    let taken = Key::new(&invoices, format!("INVOICE#{:06}", 1));
    let refused = counter
        .allocate(f.table.as_ref(), |_| {
            Ok::<_, StoreError>(vec![
                TxOp::Put {
                    item: item(&taken, json!({})),
                    cond: Cond::NotExists,
                }
                .named("invoice"),
            ])
        })
        .await;
    assert!(
        matches!(refused, Err(StoreError::TxCancelled { failed: "invoice" })),
        "{refused:?}"
    );
    let next = counter
        .allocate(f.table.as_ref(), |_| Ok::<_, StoreError>(Vec::new()))
        .await
        .unwrap();
    assert_eq!(
        next,
        RACERS as u64 + 1,
        "the refused allocation skipped nothing"
    );
}
