//! `SqliteTable`: the embedded adapter for local runs and router tests.
//!
//! Every operation runs inside one IMMEDIATE transaction, so conditions are checked and
//! writes applied atomically, as DynamoDB does. Calls run inline under a mutex: with WAL
//! and `synchronous=NORMAL` a write is a few microseconds and never waits on fsync, which
//! is cheaper than handing each call to a blocking thread.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::Value;

use super::{
    Cond, GSI1PK, GSI1SK, Index, Item, Key, Named, PK, Page, Query, SK, SkCond, StoreError, Table,
    TxOp, Update, apply_updates, cond_holds, cursor,
};

pub struct SqliteTable {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    body TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
";

impl SqliteTable {
    /// Opens (creating if needed) a database file; data survives restarts.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(StoreError::unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(StoreError::unavailable)?;
        Self::init(conn)
    }

    /// A private in-memory database, for tests and benchmarks.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(StoreError::unavailable)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::unavailable)?;
        conn.execute_batch(SCHEMA)
            .map_err(StoreError::unavailable)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (the transaction
        // rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn in_tx<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::unavailable)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::unavailable)?;
        Ok(out)
    }

    /// Every item, ordered by key: for tests that prove a request changed nothing.
    pub fn dump(&self) -> Result<Vec<Item>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT body FROM items ORDER BY pk, sk")
            .map_err(StoreError::unavailable)?;
        let bodies = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(StoreError::unavailable)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::unavailable)?;
        bodies.iter().map(|b| parse(b)).collect()
    }
}

fn load(conn: &Connection, key: &Key) -> Result<Option<Item>, StoreError> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM items WHERE pk = ?1 AND sk = ?2",
            params![key.pk, key.sk],
            |r| r.get(0),
        )
        .optional()
        .map_err(StoreError::unavailable)?;
    body.map(|b| parse(&b)).transpose()
}

fn parse(body: &str) -> Result<Item, StoreError> {
    serde_json::from_str(body).map_err(StoreError::unavailable)
}

fn store(tx: &Transaction<'_>, item: &Item) -> Result<(), StoreError> {
    let key = Key::of(item)
        .ok_or_else(|| StoreError::unavailable(std::io::Error::other("item without pk and sk")))?;
    let text = |attr: &str| item.get(attr).and_then(Value::as_str).map(str::to_owned);
    let body = Value::Object(item.clone()).to_string();
    tx.execute(
        "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = ?3, gsi1sk = ?4, body = ?5",
        params![key.pk, key.sk, text(GSI1PK), text(GSI1SK), body],
    )
    .map_err(StoreError::unavailable)?;
    Ok(())
}

fn remove(tx: &Transaction<'_>, key: &Key) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM items WHERE pk = ?1 AND sk = ?2",
        params![key.pk, key.sk],
    )
    .map_err(StoreError::unavailable)?;
    Ok(())
}

fn check(tx: &Transaction<'_>, key: &Key, cond: &Cond) -> Result<Option<Item>, StoreError> {
    let current = load(tx, key)?;
    if cond_holds(cond, current.as_ref()) {
        Ok(current)
    } else {
        Err(StoreError::ConditionFailed)
    }
}

fn update_in(
    tx: &Transaction<'_>,
    key: &Key,
    ops: &[Update],
    cond: &Cond,
) -> Result<Item, StoreError> {
    let current = check(tx, key, cond)?;
    let item = apply_updates(key, current, ops);
    store(tx, &item)?;
    Ok(item)
}

/// Upper bound for a prefix scan: no valid key continues past U+10FFFF.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        load(&self.lock(), key)
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        let key = Key::of(&item).ok_or_else(|| {
            StoreError::unavailable(std::io::Error::other("item without pk and sk"))
        })?;
        self.in_tx(|tx| {
            check(tx, &key, &cond)?;
            store(tx, &item)
        })
    }

    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError> {
        self.in_tx(|tx| update_in(tx, key, ops, &cond))
    }

    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError> {
        self.in_tx(|tx| {
            check(tx, key, &cond)?;
            remove(tx, key)
        })
    }

    async fn query(&self, q: Query) -> Result<Page, StoreError> {
        let (pk_col, sk_col) = q.index.key_attrs();
        let mut sql = format!("SELECT body FROM items WHERE {pk_col} = ?");
        let mut args: Vec<String> = vec![q.pk.clone()];
        match &q.sk {
            SkCond::Any => {}
            SkCond::Eq(v) => {
                sql.push_str(&format!(" AND {sk_col} = ?"));
                args.push(v.clone());
            }
            SkCond::BeginsWith(p) => {
                sql.push_str(&format!(" AND {sk_col} >= ? AND {sk_col} < ?"));
                args.push(p.clone());
                args.push(prefix_end(p));
            }
            SkCond::Between(a, b) => {
                sql.push_str(&format!(" AND {sk_col} BETWEEN ? AND ?"));
                args.push(a.clone());
                args.push(b.clone());
            }
        }
        let (cmp, dir) = if q.forward {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        if let Some(c) = &q.cursor {
            let after = cursor::decode(c)?;
            let attr = |a: &str| {
                after
                    .get(a)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or(StoreError::InvalidCursor)
            };
            match q.index {
                Index::Primary => {
                    sql.push_str(&format!(" AND sk {cmp} ?"));
                    args.push(attr(SK)?);
                }
                Index::Gsi1 => {
                    sql.push_str(&format!(" AND (gsi1sk, pk, sk) {cmp} (?, ?, ?)"));
                    args.push(attr(GSI1SK)?);
                    args.push(attr(PK)?);
                    args.push(attr(SK)?);
                }
            }
        }
        match q.index {
            Index::Primary => sql.push_str(&format!(" ORDER BY sk {dir}")),
            Index::Gsi1 => sql.push_str(&format!(" ORDER BY gsi1sk {dir}, pk {dir}, sk {dir}")),
        }
        // One extra row tells whether another page follows.
        let limit = q.limit.map(|l| i64::from(l.max(1)));
        if let Some(l) = limit {
            sql.push_str(&format!(" LIMIT {}", l + 1));
        }
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&sql).map_err(StoreError::unavailable)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, String>(0)
            })
            .map_err(StoreError::unavailable)?;
        let mut items = Vec::new();
        for row in rows {
            items.push(parse(&row.map_err(StoreError::unavailable)?)?);
        }
        let mut next = None;
        if let Some(l) = limit
            && items.len() as i64 > l
        {
            items.truncate(l as usize);
            if let Some(last) = items.last() {
                let mut key_attrs = Item::new();
                for a in [PK, SK, GSI1PK, GSI1SK] {
                    if let Some(v) = last.get(a) {
                        key_attrs.insert(a.into(), v.clone());
                    }
                }
                next = Some(cursor::encode(&key_attrs));
            }
        }
        Ok(Page {
            items,
            cursor: next,
        })
    }

    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError> {
        self.in_tx(|tx| {
            for Named { name, op } in &ops {
                let outcome = match op {
                    TxOp::Put { item, cond } => match Key::of(item) {
                        Some(key) => check(tx, &key, cond).and_then(|_| store(tx, item)),
                        None => Err(StoreError::ConditionFailed),
                    },
                    TxOp::Update { key, ops, cond } => update_in(tx, key, ops, cond).map(|_| ()),
                    TxOp::Delete { key, cond } => {
                        check(tx, key, cond).and_then(|_| remove(tx, key))
                    }
                    TxOp::Check { key, cond } => check(tx, key, cond).map(|_| ()),
                };
                match outcome {
                    Ok(()) => {}
                    // Dropping the transaction without commit rolls every earlier op back.
                    Err(StoreError::ConditionFailed) => {
                        return Err(StoreError::TxCancelled { failed: name });
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::SqliteTable;

    #[tokio::test]
    async fn sqlite_table_passes_the_conformance_suite() -> Result<(), super::StoreError> {
        let table = SqliteTable::in_memory()?;
        crate::store::conformance::run_all(&table).await;
        Ok(())
    }

    #[tokio::test]
    async fn sqlite_table_keeps_data_across_reopen() -> Result<(), Box<dyn std::error::Error>> {
        use crate::store::{Cond, Key, Table, item_with_key};
        let dir = std::env::temp_dir().join(format!("pn-sqlite-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("t.db");
        let key = Key::new("P", "S");
        {
            let table = SqliteTable::open(&path)?;
            let item = item_with_key(&key, &serde_json::json!({"name": "Café Ost"}))?;
            table.put(item, Cond::NotExists).await?;
        }
        let reopened = SqliteTable::open(&path)?;
        let got = reopened.get(&key).await?;
        assert_eq!(
            got.and_then(|i| i.get("name").cloned()),
            Some(serde_json::json!("Café Ost"))
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
