//! Gapless counters (invoice numbers): read the counter, then one transaction that moves it from
//! the value read to the next under a condition on that value and writes what the number is
//! for. A crash before the transaction leaves nothing; after it, both. A lost race (the counter
//! moved, or a concurrent transaction) is tried again with backoff, so no number is ever
//! skipped or used twice. The first number is 1.

use std::time::Duration;

use serde_json::Value;

use super::{Attr, Backoff, Cond, Key, Named, StoreError, Table, TxOp, Update};

/// The attribute holding the last number handed out.
pub const VALUE: Attr = "value";
/// The name of the counter's operation in a transaction.
pub const COUNTER_OP: &str = "counter";

/// One sequence of numbers, stored in the item at its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    key: Key,
    backoff: Backoff,
}

impl Counter {
    /// Every allocation races the others for one item, so a loser may need many tries: 64,
    /// each after a random wait of up to 250 ms (about 8 s in all), before
    /// `StoreError::Conflict`. With 200 allocations at once on DynamoDB Local, the unluckiest
    /// needed 28.
    pub const BACKOFF: Backoff = Backoff {
        attempts: 64,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(250),
    };

    pub fn new(key: Key) -> Self {
        Self {
            key,
            backoff: Self::BACKOFF,
        }
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The last number handed out (0 before the first).
    pub async fn current(&self, table: &dyn Table) -> Result<u64, StoreError> {
        let item = table.get(&self.key).await?;
        Ok(item
            .and_then(|i| i.get(VALUE).and_then(Value::as_u64))
            .unwrap_or(0))
    }

    /// Takes the next number and, in the same transaction, writes `effect(number)` (say, the
    /// invoice carrying it). `effect` runs once per try. A failed condition of the effect's own
    /// operations ends the allocation with that `TxCancelled`; no number is used then.
    pub async fn allocate<E, F>(&self, table: &dyn Table, effect: F) -> Result<u64, E>
    where
        E: From<StoreError>,
        F: FnMut(u64) -> Result<Vec<Named>, E>,
    {
        self.allocate_many(table, 1, effect).await
    }

    /// Takes the next `count` numbers (at least one) in one transaction with
    /// `effect(first)`, which writes what numbers `first ..= first + count - 1` are for
    /// (say, a batch of invoices): one counter write for many records, so a hot counter
    /// serves a batch per round trip. Returns the first number; otherwise as [`Self::allocate`].
    pub async fn allocate_many<E, F>(
        &self,
        table: &dyn Table,
        count: u64,
        mut effect: F,
    ) -> Result<u64, E>
    where
        E: From<StoreError>,
        F: FnMut(u64) -> Result<Vec<Named>, E>,
    {
        let count = count.max(1);
        let mut tried = 0;
        loop {
            let current = self.current(table).await?;
            let first = current + 1;
            let cond = if current == 0 {
                Cond::Absent(VALUE)
            } else {
                Cond::Eq(VALUE, Value::from(current))
            };
            let mut ops = vec![
                TxOp::Update {
                    key: self.key.clone(),
                    ops: vec![Update::Set(VALUE, Value::from(current + count))],
                    cond,
                }
                .named(COUNTER_OP),
            ];
            ops.extend(effect(first)?);
            match table.transact(ops).await {
                Ok(()) => return Ok(first),
                Err(StoreError::TxCancelled { failed: COUNTER_OP } | StoreError::Conflict)
                    if self.backoff.retries_after(tried) =>
                {
                    self.backoff.wait(tried).await;
                    tried += 1;
                }
                // Another writer kept winning: the caller may try again later.
                Err(StoreError::TxCancelled { failed: COUNTER_OP }) => {
                    return Err(StoreError::Conflict.into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
