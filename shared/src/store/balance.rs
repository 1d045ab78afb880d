//! Balances (prepaid cards, points, wallets): a number on an item, changed only by `Add` in the
//! same transaction as the immutable ledger entry that explains the change. A debit carries the
//! condition `balance >= amount`, so no concurrent debit can take a balance below zero.
//!
//! ```text
//! let card = Balance::new(card_key);
//! let mut ops = card.debit(amount, ledger_entry);
//! ops.push(my_own_effect);
//! match table.transact(ops).await {
//!     Err(e) if balance::is_insufficient(&e) => /* 422 "Guthaben reicht nicht" */,
//!     other => other?,
//! }
//! ```

use super::{Attr, Cond, Item, Key, Named, StoreError, Table, TxOp, Update};

/// The attribute holding the balance, in its unit (cents or points).
pub const BALANCE: Attr = "balance";
/// The name of the balance's operation in a transaction.
pub const BALANCE_OP: &str = "balance";
/// The name of the ledger entry's operation in a transaction.
pub const LEDGER_OP: &str = "ledger_entry";

/// A positive amount in the balance's unit (cents or points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    /// `None` unless positive.
    pub fn new(value: i64) -> Option<Self> {
        (value > 0).then_some(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A balance: a numeric attribute of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    key: Key,
    attr: Attr,
}

impl Balance {
    /// The balance in [`BALANCE`] of the item at `key`.
    pub fn new(key: Key) -> Self {
        Self::of(key, BALANCE)
    }

    /// The balance in another attribute, for an item that holds more than one.
    pub fn of(key: Key, attr: Attr) -> Self {
        Self { key, attr }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Adds `amount` (a balance that does not exist yet starts at 0) and writes `entry`.
    pub fn credit(&self, amount: Amount, entry: Item) -> Vec<Named> {
        self.change(amount.get(), Cond::Always, entry)
    }

    /// Takes `amount` if at least that much is there, and writes `entry`; otherwise the
    /// transaction is cancelled by [`BALANCE_OP`] (see [`is_insufficient`]).
    pub fn debit(&self, amount: Amount, entry: Item) -> Vec<Named> {
        self.change(-amount.get(), Cond::Ge(self.attr, amount.get()), entry)
    }

    fn change(&self, delta: i64, cond: Cond, entry: Item) -> Vec<Named> {
        vec![
            TxOp::Update {
                key: self.key.clone(),
                ops: vec![Update::Add(self.attr, delta)],
                cond,
            }
            .named(BALANCE_OP),
            // Immutable: an entry is written once, so a replayed change cannot book twice.
            TxOp::Put {
                item: entry,
                cond: Cond::NotExists,
            }
            .named(LEDGER_OP),
        ]
    }

    /// Only the balance's own operation: a credit or (negative `delta`) a debit with the
    /// further updates `more` of the same item, under `cond` (a debit also needs the balance
    /// to hold it). For a caller whose ledger entry is another record of the transaction,
    /// e.g. the idempotency record of a booking ([`super::idempotency`]).
    pub fn change_op(&self, delta: i64, more: Vec<Update>, cond: Cond) -> Named {
        let cond = if delta < 0 {
            Cond::All(vec![Cond::Ge(self.attr, -delta), cond])
        } else {
            cond
        };
        let mut ops = vec![Update::Add(self.attr, delta)];
        ops.extend(more);
        TxOp::Update {
            key: self.key.clone(),
            ops,
            cond,
        }
        .named(BALANCE_OP)
    }

    /// The balance now (0 when it was never credited).
    pub async fn read(&self, table: &dyn Table) -> Result<i64, StoreError> {
        let item = table.get(&self.key).await?;
        Ok(item
            .and_then(|i| i.get(self.attr).and_then(serde_json::Value::as_i64))
            .unwrap_or(0))
    }
}

/// Whether a cancelled transaction failed because the balance held less than the debit.
pub fn is_insufficient(e: &StoreError) -> bool {
    matches!(e, StoreError::TxCancelled { failed: BALANCE_OP })
}
