//! The conformance suite every `Table` adapter must pass, run on SqliteTable and DynamoDB Local.
//!
//! Each case uses its own partition (a fresh UUID), so the suite can run on a shared table. The
//! adapter under test reads the fixture's clock, so cases can move time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod basics;
mod expiry;
mod limits;
mod paging;
mod races;

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Barrier;

use super::{Item, Key, SharedTable};
use crate::clock::FixedClock;

pub use basics::*;
pub use expiry::*;
pub use limits::*;
pub use paging::*;
pub use races::*;

/// An adapter under test and the clock it was built with.
#[derive(Clone)]
pub struct Fixture {
    pub table: SharedTable,
    pub clock: Arc<FixedClock>,
}

/// A clock for the adapter under test, standing at the real time (so items the emulator might
/// expire by itself agree with the adapter's view).
pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at(jiff::Timestamp::now()))
}

/// Runs every case; panics with the case's name on the first failure.
pub async fn run_all(f: &Fixture) {
    let table = f.table.as_ref();
    put_get_roundtrip(table).await;
    conditional_put_rejects_duplicates(table).await;
    update_sets_adds_removes_and_returns_new(table).await;
    update_conditions(table).await;
    delete_with_condition(table).await;
    transaction_is_all_or_nothing(table).await;
    transactions_over_dynamodbs_limits_are_refused(f).await;
    query_prefix_order_and_pages(table).await;
    query_gsi1(table).await;
    pages_stop_at_one_megabyte_and_query_all_reads_on(table).await;
    tampered_cursors_are_invalid(table).await;
    reads_may_be_eventually_consistent(table).await;
    expired_items_are_invisible_to_readers(f).await;
    conditions_see_expired_items_as_absent(f).await;
    racing_transactions_are_retried_not_failed(f).await;
    concurrent_debits_never_overdraw(f).await;
    idempotency_keys_replay_or_refuse(f).await;
    concurrent_retries_of_one_key_have_one_effect(f).await;
    concurrent_allocations_are_gapless(f).await;
}

/// How many writers race in the concurrency cases.
pub const RACERS: usize = 200;

fn unique(prefix: &str) -> String {
    format!("{prefix}#{}", uuid::Uuid::now_v7())
}

fn item(key: &Key, extra: Value) -> Item {
    let mut item = match extra {
        Value::Object(m) => m,
        _ => Item::new(),
    };
    item.insert("pk".into(), key.pk.clone().into());
    item.insert("sk".into(), key.sk.clone().into());
    item
}

/// Runs `n` tasks that start together (a barrier, not a delay) and returns their results in
/// task order.
async fn race<T, F, Fut>(n: usize, task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(n));
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let start = start.clone();
        let work = task(i);
        handles.push(tokio::spawn(async move {
            start.wait().await;
            work.await
        }));
    }
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("a racing task panicked"));
    }
    results
}
