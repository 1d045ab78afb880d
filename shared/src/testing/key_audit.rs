//! A table that records which keys a function reaches, so a test can hold them against the
//! `dynamodb:LeadingKeys` and `dynamodb:Attributes` conditions of the function's policy in
//! `infra/template.yaml` (`routes::policy`). DynamoDB Local and SQLite enforce no IAM, so
//! this is how the tests see what the deployed policy would refuse.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::store::{
    Cond, Consistency, Index, Item, Key, Named, PK, Query, SK, SharedTable, StoreError, StoredPage,
    Table, TxOp, Update,
};

/// One request as IAM authorises it: the action, the index (`None`: the table), the
/// partition key and the attributes it names (for writes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Access {
    pub action: &'static str,
    pub index: Option<&'static str>,
    pub pk: String,
    pub attributes: BTreeSet<String>,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dynamodb:{} on {}",
            self.action,
            self.index.unwrap_or("the table")
        )?;
        write!(f, " with leading key {}", self.pk)?;
        if !self.attributes.is_empty() {
            write!(f, " naming {:?}", self.attributes)?;
        }
        Ok(())
    }
}

/// Wraps a table and records every access; share it as the function's `Env::table`.
pub struct KeyAudit {
    inner: SharedTable,
    seen: Mutex<BTreeSet<Access>>,
}

impl KeyAudit {
    pub fn new(inner: SharedTable) -> Arc<Self> {
        Arc::new(Self {
            inner,
            seen: Mutex::new(BTreeSet::new()),
        })
    }

    /// Every distinct access so far.
    pub fn accesses(&self) -> Vec<Access> {
        self.seen.lock().unwrap().iter().cloned().collect()
    }

    fn record(&self, action: &'static str, index: Index, pk: &str, attributes: BTreeSet<String>) {
        let index = match index {
            Index::Primary => None,
            Index::Gsi1 => Some("gsi1"),
        };
        self.seen.lock().unwrap().insert(Access {
            action,
            index,
            pk: pk.to_string(),
            attributes,
        });
    }

    fn record_op(&self, op: &TxOp) {
        match op {
            TxOp::Put { item, cond } => self.record_put(item, cond),
            TxOp::Update { key, ops, cond } => self.record_update(key, ops, cond),
            TxOp::Delete { key, cond } => {
                self.record("DeleteItem", Index::Primary, &key.pk, named(&[], cond))
            }
            TxOp::Check { key, cond } => self.record(
                "ConditionCheckItem",
                Index::Primary,
                &key.pk,
                named(&[], cond),
            ),
        }
    }

    fn record_put(&self, item: &Item, cond: &Cond) {
        let pk = item.get(PK).and_then(|v| v.as_str()).unwrap_or_default();
        let mut attributes = named(&[], cond);
        attributes.extend(item.keys().cloned());
        self.record("PutItem", Index::Primary, pk, attributes);
    }

    fn record_update(&self, key: &Key, ops: &[Update], cond: &Cond) {
        self.record("UpdateItem", Index::Primary, &key.pk, named(ops, cond));
    }
}

/// The attributes an update and its condition name, with the key attributes, as
/// `dynamodb:Attributes` sees them.
fn named(ops: &[Update], cond: &Cond) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = [PK, SK].iter().map(|a| a.to_string()).collect();
    for op in ops {
        let (Update::Set(a, _) | Update::Add(a, _) | Update::Remove(a)) = op;
        out.insert(a.to_string());
    }
    fn walk(cond: &Cond, out: &mut BTreeSet<String>) {
        match cond {
            Cond::Always | Cond::Exists | Cond::NotExists => {}
            Cond::Eq(a, _) | Cond::Absent(a) | Cond::Ge(a, _) | Cond::LtOrAbsent(a, _) => {
                out.insert(a.to_string());
            }
            Cond::All(all) => all.iter().for_each(|c| walk(c, out)),
        }
    }
    walk(cond, &mut out);
    out
}

#[async_trait]
impl Table for KeyAudit {
    async fn get_with(
        &self,
        key: &Key,
        consistency: Consistency,
    ) -> Result<Option<Item>, StoreError> {
        self.record("GetItem", Index::Primary, &key.pk, BTreeSet::new());
        self.inner.get_with(key, consistency).await
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.record_put(&item, &cond);
        self.inner.put(item, cond).await
    }

    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError> {
        self.record_update(key, ops, &cond);
        self.inner.update(key, ops, cond).await
    }

    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError> {
        self.record("DeleteItem", Index::Primary, &key.pk, named(&[], &cond));
        self.inner.delete(key, cond).await
    }

    async fn query_stored(&self, query: Query) -> Result<StoredPage, StoreError> {
        self.record("Query", query.index, &query.pk, BTreeSet::new());
        self.inner.query_stored(query).await
    }

    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError> {
        for op in &ops {
            self.record_op(&op.op);
        }
        self.inner.transact(ops).await
    }
}
