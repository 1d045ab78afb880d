//! The `Table` port: the subset of DynamoDB single-table operations the platform uses.
//!
//! Domain code speaks in typed conditions and updates; the adapters translate them
//! (`DynamoTable` into expressions, `SqliteTable` into checks inside one SQLite transaction).
//!
//! Both adapters behave the same on the points where DynamoDB surprises:
//! - a page stops at about 1 MB of item data whatever the limit, so a caller that needs every
//!   item uses [`Table::query_all`];
//! - a cursor is bound to its index and partition; anything else is [`StoreError::InvalidCursor`];
//! - expired items are invisible (see [`ttl`]);
//! - a concurrent writer is [`StoreError::Conflict`], retried with backoff before it is reported,
//!   never a failed condition.
//!
//! The helpers [`balance`], [`idempotency`] and [`counter`] compose [`Named`] operations, so a
//! caller writes its own effect in the same transaction.

pub mod balance;
pub mod counter;
mod cursor;
mod dynamo;
mod expr;
pub mod idempotency;
pub mod limits;
mod retry;
mod sqlite;
mod stored;
pub mod ttl;

#[cfg(any(test, feature = "test-support"))]
pub mod conformance;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

pub use dynamo::DynamoTable;
pub use limits::{MAX_TX_BYTES, MAX_TX_OPS, TxLimit};
pub use retry::Backoff;
pub use sqlite::SqliteTable;
pub use stored::{DecodeError, Stored, StoredPage};

/// An item is a JSON object; `pk`, `sk`, `gsi1pk`, `gsi1sk` and `ttl` are plain attributes in it.
pub type Item = serde_json::Map<String, Value>;

/// Attribute names are compile-time constants in domain code.
pub type Attr = &'static str;

pub const PK: Attr = "pk";
pub const SK: Attr = "sk";
pub const GSI1PK: Attr = "gsi1pk";
pub const GSI1SK: Attr = "gsi1sk";
pub const TTL: Attr = "ttl";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key attributes of a stored item, if it has both.
    pub fn of(item: &Item) -> Option<Self> {
        let pk = item.get(PK)?.as_str()?;
        let sk = item.get(SK)?.as_str()?;
        Some(Self::new(pk, sk))
    }
}

/// A condition on the item as stored before the write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Always,
    Exists,
    NotExists,
    /// Attribute equals the value (an absent attribute never equals).
    Eq(Attr, Value),
    /// Attribute is absent.
    Absent(Attr),
    /// Numeric attribute is at least the value (absent: false).
    Ge(Attr, i64),
    /// Numeric attribute is below the value, or absent.
    LtOrAbsent(Attr, i64),
    All(Vec<Cond>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Set(Attr, Value),
    /// Adds to a number, starting from 0 when absent.
    Add(Attr, i64),
    Remove(Attr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    Primary,
    Gsi1,
}

impl Index {
    fn key_attrs(self) -> (Attr, Attr) {
        match self {
            Index::Primary => (PK, SK),
            Index::Gsi1 => (GSI1PK, GSI1SK),
        }
    }

    /// Every attribute that positions an item in the index (DynamoDB's `LastEvaluatedKey`).
    fn position_attrs(self) -> &'static [Attr] {
        match self {
            Index::Primary => &[PK, SK],
            Index::Gsi1 => &[GSI1PK, GSI1SK, PK, SK],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Index::Primary => "primary",
            Index::Gsi1 => "gsi1",
        }
    }
}

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Consistency {
    /// Sees every write acknowledged before the read (the default for the primary index).
    #[default]
    Strong,
    /// May miss the latest writes, at half the read cost. Queries on a GSI are always eventual.
    Eventual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkCond {
    Any,
    Eq(String),
    BeginsWith(String),
    Between(String, String),
}

impl SkCond {
    fn matches(&self, sk: &str) -> bool {
        match self {
            SkCond::Any => true,
            SkCond::Eq(v) => sk == v,
            SkCond::BeginsWith(p) => sk.starts_with(p.as_str()),
            SkCond::Between(a, b) => a.as_str() <= sk && sk <= b.as_str(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: SkCond,
    /// Items read per page at most (expired items count: a page may hold fewer).
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub forward: bool,
    pub consistency: Consistency,
}

impl Query {
    pub fn partition(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index,
            pk: pk.into(),
            sk: SkCond::Any,
            limit: None,
            cursor: None,
            forward: true,
            consistency: Consistency::Strong,
        }
    }

    pub fn sk(mut self, sk: SkCond) -> Self {
        self.sk = sk;
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    pub fn backwards(mut self) -> Self {
        self.forward = false;
        self
    }

    /// Accepts a result that may miss the latest writes, at half the read cost.
    pub fn eventually_consistent(mut self) -> Self {
        self.consistency = Consistency::Eventual;
        self
    }

    /// The cursor that continues this query after `item`, one of its results: for a list
    /// that filters what it reads and stops within a page.
    pub fn cursor_after(&self, item: &Item) -> Result<String, StoreError> {
        cursor::encode(self, item)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Page {
    /// At most `limit` items and about 1 MB; possibly none although a cursor follows.
    pub items: Vec<Item>,
    /// Opaque, bound to the query's index and partition; present when more items may follow.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub enum TxOp {
    Put {
        item: Item,
        cond: Cond,
    },
    Update {
        key: Key,
        ops: Vec<Update>,
        cond: Cond,
    },
    Delete {
        key: Key,
        cond: Cond,
    },
    Check {
        key: Key,
        cond: Cond,
    },
}

impl TxOp {
    /// Names the operation, so a cancelled transaction can say which condition failed.
    pub fn named(self, name: &'static str) -> Named {
        Named { name, op: self }
    }
}

/// A transaction operation with the name its failed condition is reported by.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: &'static str,
    pub op: TxOp,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The single-item write's condition failed (an expired item counts as absent).
    #[error("condition failed")]
    ConditionFailed,
    /// The condition of the named operation failed (never a concurrent writer: see `Conflict`).
    #[error("transaction cancelled: condition {failed} failed")]
    TxCancelled { failed: &'static str },
    /// Concurrent writers kept winning, even after retries with backoff.
    #[error("conflicting concurrent writes")]
    Conflict,
    /// The transaction breaks one of DynamoDB's limits (see [`limits`]) and was refused as a
    /// whole, nothing written: the caller must split its work, a retry never helps.
    #[error("transaction refused: {0}")]
    TxRefused(TxLimit),
    #[error("throttled")]
    Throttled,
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn unavailable(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(e))
    }
}

#[async_trait]
pub trait Table: Send + Sync {
    /// A strongly consistent read; `None` for an absent or expired item.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.get_with(key, Consistency::Strong).await
    }
    async fn get_with(
        &self,
        key: &Key,
        consistency: Consistency,
    ) -> Result<Option<Item>, StoreError>;
    /// The item must carry `pk` and `sk`.
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError>;
    /// Returns the item after the update. An update over an expired item builds on the
    /// attributes still stored (see [`ttl`]).
    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError>;
    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError>;
    /// One page: at most `limit` items read and about 1 MB, expired items left out.
    async fn query(&self, query: Query) -> Result<Page, StoreError> {
        let page = self.query_stored(query).await?;
        let items = page
            .items
            .into_iter()
            .map(|stored| stored.into_item().map_err(StoreError::Unavailable))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            cursor: page.cursor,
        })
    }
    /// [`Table::query`] with the items left as read, for callers that decode each straight
    /// into its record (see [`Stored`]).
    async fn query_stored(&self, query: Query) -> Result<StoredPage, StoreError>;
    /// All or nothing; at most 100 operations, one per item, 4 MB in all (else `TxRefused`,
    /// see [`limits`]). A failed condition is `TxCancelled` naming its operation; concurrent
    /// writers are retried, then `Conflict`.
    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError>;

    /// Every item of the query, page after page from the query's own cursor (a page stops
    /// at about 1 MB; the query's limit, if any, is the page size).
    async fn query_all(&self, query: Query) -> Result<Vec<Item>, StoreError> {
        let mut query = query;
        let mut items = Vec::new();
        loop {
            let page = self.query(query.clone()).await?;
            items.extend(page.items);
            match page.cursor {
                Some(next) => query.cursor = Some(next),
                None => return Ok(items),
            }
        }
    }
}

pub type SharedTable = Arc<dyn Table>;

/// Builds an item from a serialisable value plus its keys.
pub fn item_with_key<T: serde::Serialize>(key: &Key, value: &T) -> Result<Item, serde_json::Error> {
    let mut item = match serde_json::to_value(value)? {
        Value::Object(map) => map,
        _ => Item::new(),
    };
    item.insert(PK.into(), Value::String(key.pk.clone()));
    item.insert(SK.into(), Value::String(key.sk.clone()));
    Ok(item)
}

/// Evaluates a condition against the item as readers see it (`None`: absent or expired): the
/// semantics both adapters must share.
pub(crate) fn cond_holds(cond: &Cond, current: Option<&Item>) -> bool {
    match cond {
        Cond::Always => true,
        Cond::Exists => current.is_some(),
        Cond::NotExists => current.is_none(),
        Cond::Eq(attr, v) => current.and_then(|i| i.get(*attr)).is_some_and(|a| a == v),
        Cond::Absent(attr) => current.and_then(|i| i.get(*attr)).is_none(),
        Cond::Ge(attr, n) => current
            .and_then(|i| i.get(*attr))
            .and_then(Value::as_i64)
            .is_some_and(|a| a >= *n),
        Cond::LtOrAbsent(attr, n) => current
            .and_then(|i| i.get(*attr))
            .and_then(Value::as_i64)
            .is_none_or(|a| a < *n),
        Cond::All(all) => all.iter().all(|c| cond_holds(c, current)),
    }
}

/// Applies updates to the stored item (creating it from the key when absent).
pub(crate) fn apply_updates(key: &Key, current: Option<Item>, ops: &[Update]) -> Item {
    let mut item = current.unwrap_or_else(|| {
        let mut i = Item::new();
        i.insert(PK.into(), Value::String(key.pk.clone()));
        i.insert(SK.into(), Value::String(key.sk.clone()));
        i
    });
    for op in ops {
        match op {
            Update::Set(attr, v) => {
                item.insert((*attr).to_string(), v.clone());
            }
            Update::Add(attr, n) => {
                let old = item.get(*attr).and_then(Value::as_i64).unwrap_or(0);
                item.insert((*attr).to_string(), Value::from(old + n));
            }
            Update::Remove(attr) => {
                item.remove(*attr);
            }
        }
    }
    item
}
