//! The `Table` port: the subset of DynamoDB single-table operations the platform uses.
//!
//! Domain code speaks in typed conditions and updates; the adapters translate them
//! (`DynamoTable` into expressions, `SqliteTable` into checks inside one SQLite transaction).

mod cursor;
mod dynamo;
mod sqlite;

#[cfg(any(test, feature = "test-support"))]
pub mod conformance;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

pub use dynamo::DynamoTable;
pub use sqlite::SqliteTable;

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkCond {
    Any,
    Eq(String),
    BeginsWith(String),
    Between(String, String),
}

#[derive(Debug, Clone)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: SkCond,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub forward: bool,
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
}

#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Opaque; present when more items may follow.
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
    #[error("condition failed")]
    ConditionFailed,
    /// The condition of the named operation failed (never a concurrent writer: see `Conflict`).
    #[error("transaction cancelled: condition {failed} failed")]
    TxCancelled { failed: &'static str },
    /// Concurrent writers kept winning, even after retries with backoff.
    #[error("conflicting concurrent writes")]
    Conflict,
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
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;
    /// The item must carry `pk` and `sk`.
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError>;
    /// Returns the item after the update.
    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError>;
    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError>;
    async fn query(&self, query: Query) -> Result<Page, StoreError>;
    /// All or nothing; at most 100 operations, one per item.
    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError>;

    /// Every item of the query, page after page (a page stops at 1 MB on DynamoDB).
    async fn query_all(&self, query: Query) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut cursor = query.cursor.clone();
        loop {
            let page = self.query(query.clone().cursor(cursor)).await?;
            items.extend(page.items);
            match page.cursor {
                Some(next) => cursor = Some(next),
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

/// Evaluates a condition against the stored item: the semantics both adapters must share.
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

/// Applies updates to an item (creating it from the key when absent).
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
