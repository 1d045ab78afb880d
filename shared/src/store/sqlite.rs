//! `SqliteTable`: the embedded adapter for local runs and router tests.
//!
//! Every operation runs inside one IMMEDIATE transaction, so conditions are checked and
//! writes applied atomically, as DynamoDB does. Calls run inline under a mutex: with WAL
//! and `synchronous=NORMAL` a write is a few microseconds and never waits on fsync, which
//! is cheaper than handing each call to a blocking thread. Writers never race here, so no
//! call ever answers `Conflict`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
    types::ValueRef,
};
use serde_json::Value;

use super::{
    Cond, Consistency, GSI1PK, GSI1SK, Index, Item, Key, Named, PK, Query, SK, SkCond, StoreError,
    Stored, StoredPage, TTL, Table, TxOp, Update, apply_updates, cond_holds, cursor, limits, ttl,
};
use crate::clock::SharedClock;

/// A page stops once this much item data was read, as DynamoDB's does at 1 MB, so callers
/// meet short pages here too and cannot rely on one page holding everything.
const PAGE_BYTES: usize = 1024 * 1024;

pub struct SqliteTable {
    conn: Mutex<Connection>,
    /// Decides which items have expired.
    clock: SharedClock,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    body TEXT NOT NULL,
    -- The body's numeric `ttl`, so a query tells expired rows without parsing their body.
    ttl REAL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
";

/// Files written before the `ttl` column: it is added and filled from each body, as
/// [`ttl::number`] reads it (a `ttl` that is not a number never expires).
const ADD_TTL_COLUMN: &str = "
ALTER TABLE items ADD COLUMN ttl REAL;
UPDATE items SET ttl = json_extract(body, '$.ttl')
    WHERE json_type(body, '$.ttl') IN ('integer', 'real');
";

impl SqliteTable {
    /// Opens (creating if needed) a database file; data survives restarts. Expiry (see
    /// [`super::ttl`]) is judged by `clock`, the clock of the environment it serves.
    pub fn open(path: &Path, clock: SharedClock) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(StoreError::unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(StoreError::unavailable)?;
        Self::init(conn, clock)
    }

    /// A private in-memory database, for tests and benchmarks.
    ///
    /// On the `memdb` VFS rather than `:memory:`: there every page lives in the page cache,
    /// and each commit scans the cache's whole hash table, so a write grew slower with every
    /// item stored (a booking's p99 reached milliseconds after 100 000 bookings). Here the
    /// data is a memory file behind an ordinary, bounded page cache. A name without a
    /// leading `/` keeps the database private to this connection.
    pub fn in_memory(clock: SharedClock) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            "file:partnernetz?vfs=memdb",
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::unavailable)?;
        Self::init(conn, clock)
    }

    fn init(mut conn: Connection, clock: SharedClock) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(StoreError::unavailable)?;
        conn.execute_batch(SCHEMA)
            .map_err(StoreError::unavailable)?;
        // Checked and added in one write transaction: another process opening the same
        // file meanwhile waits for it, then finds the column.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::unavailable)?;
        let has_ttl_column: bool = tx
            .query_row(
                "SELECT count(*) FROM pragma_table_info('items') WHERE name = 'ttl'",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::unavailable)?;
        if !has_ttl_column {
            tx.execute_batch(ADD_TTL_COLUMN)
                .map_err(StoreError::unavailable)?;
        }
        tx.commit().map_err(StoreError::unavailable)?;
        Ok(Self {
            conn: Mutex::new(conn),
            clock,
        })
    }

    fn now(&self) -> i64 {
        self.clock.epoch()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (the transaction
        // rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn in_tx<T>(
        &self,
        f: impl FnOnce(&Writer<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let now = self.now();
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::unavailable)?;
        let out = f(&Writer { tx: &tx, now })?;
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
    // Cached statements: parsing the SQL anew was a sixth of a booking's time.
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM items WHERE pk = ?1 AND sk = ?2")
        .and_then(|mut stmt| stmt.query_row(params![key.pk, key.sk], |r| r.get(0)))
        .optional()
        .map_err(StoreError::unavailable)?;
    body.map(|b| parse(&b)).transpose()
}

/// The key columns of the last row read, as a cursor needs them; copied into the same
/// buffers row after row, since only the last row's ever becomes a cursor.
#[derive(Default)]
struct LastPosition {
    /// pk, sk, gsi1pk, gsi1sk; pk is never null, so a pk means a row was read.
    keys: [Option<String>; 4],
}

impl LastPosition {
    /// Columns 1 to 4 of the query: pk, sk, gsi1pk, gsi1sk.
    fn copy(&mut self, row: &rusqlite::Row<'_>) -> Result<(), StoreError> {
        for (i, slot) in self.keys.iter_mut().enumerate() {
            match row.get_ref(i + 1).map_err(StoreError::unavailable)? {
                ValueRef::Text(text) => {
                    let text = std::str::from_utf8(text).map_err(StoreError::unavailable)?;
                    let buffer = slot.get_or_insert_with(String::new);
                    buffer.clear();
                    buffer.push_str(text);
                }
                _ => *slot = None,
            }
        }
        Ok(())
    }

    fn into_item(self) -> Option<Item> {
        self.keys[0].is_some().then(|| {
            [PK, SK, GSI1PK, GSI1SK]
                .into_iter()
                .zip(self.keys)
                .filter_map(|(attr, value)| Some((attr.to_string(), Value::String(value?))))
                .collect()
        })
    }
}

fn parse(body: &str) -> Result<Item, StoreError> {
    serde_json::from_str(body).map_err(StoreError::unavailable)
}

/// One write transaction and the time its conditions are judged at.
struct Writer<'c, 't> {
    tx: &'t Transaction<'c>,
    now: i64,
}

impl Writer<'_, '_> {
    fn store(&self, item: &Item) -> Result<(), StoreError> {
        let key = Key::of(item).ok_or_else(|| {
            StoreError::unavailable(std::io::Error::other("item without pk and sk"))
        })?;
        let text = |attr: &str| item.get(attr).and_then(Value::as_str).map(str::to_owned);
        let body = Value::Object(item.clone()).to_string();
        let ttl = item.get(TTL).and_then(ttl::number);
        self.tx
            .prepare_cached(
                "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, body, ttl)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = ?3, gsi1sk = ?4, body = ?5, ttl = ?6",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    key.pk,
                    key.sk,
                    text(GSI1PK),
                    text(GSI1SK),
                    body,
                    ttl
                ])
            })
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    fn remove(&self, key: &Key) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
            .and_then(|mut stmt| stmt.execute(params![key.pk, key.sk]))
            .map_err(StoreError::unavailable)?;
        Ok(())
    }

    /// Checks the condition against the item as readers see it (an expired one is absent)
    /// and returns the item as stored, which an update builds on.
    fn check(&self, key: &Key, cond: &Cond) -> Result<Option<Item>, StoreError> {
        let stored = load(self.tx, key)?;
        let seen = stored.as_ref().filter(|i| !ttl::is_expired(i, self.now));
        if cond_holds(cond, seen) {
            Ok(stored)
        } else {
            Err(StoreError::ConditionFailed)
        }
    }

    fn update(&self, key: &Key, ops: &[Update], cond: &Cond) -> Result<Item, StoreError> {
        let stored = self.check(key, cond)?;
        let item = apply_updates(key, stored, ops);
        self.store(&item)?;
        Ok(item)
    }
}

/// Upper bound for a prefix scan: no valid key continues past U+10FFFF.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

#[async_trait]
impl Table for SqliteTable {
    /// One database: every read sees every committed write, whatever consistency is asked.
    async fn get_with(&self, key: &Key, _: Consistency) -> Result<Option<Item>, StoreError> {
        let stored = load(&self.lock(), key)?;
        Ok(ttl::visible(stored, self.now()))
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        let key = Key::of(&item).ok_or_else(|| {
            StoreError::unavailable(std::io::Error::other("item without pk and sk"))
        })?;
        self.in_tx(|w| {
            w.check(&key, &cond)?;
            w.store(&item)
        })
    }

    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError> {
        self.in_tx(|w| w.update(key, ops, &cond))
    }

    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError> {
        self.in_tx(|w| {
            w.check(key, &cond)?;
            w.remove(key)
        })
    }

    async fn query_stored(&self, q: Query) -> Result<StoredPage, StoreError> {
        let (pk_col, sk_col) = q.index.key_attrs();
        let mut sql =
            format!("SELECT body, pk, sk, gsi1pk, gsi1sk, ttl FROM items WHERE {pk_col} = ?");
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
            // The position was checked against this query: every attribute is a string.
            let after = cursor::decode(&q, c)?;
            let (cols, marks) = match q.index {
                Index::Primary => ("sk", "?"),
                Index::Gsi1 => ("(gsi1sk, pk, sk)", "(?, ?, ?)"),
            };
            sql.push_str(&format!(" AND {cols} {cmp} {marks}"));
            // The partition is fixed by the query; the rest of the position, in column order.
            for attr in &q.index.position_attrs()[1..] {
                let value = after.get(*attr).and_then(Value::as_str).unwrap_or_default();
                args.push(value.to_owned());
            }
        }
        match q.index {
            Index::Primary => sql.push_str(&format!(" ORDER BY sk {dir}")),
            Index::Gsi1 => sql.push_str(&format!(" ORDER BY gsi1sk {dir}, pk {dir}, sk {dir}")),
        }
        // One extra row tells whether another page follows.
        let limit = q.limit.map(|l| l.max(1) as usize);
        if let Some(l) = limit {
            sql.push_str(&format!(" LIMIT {}", l + 1));
        }
        let now = self.now();
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&sql).map_err(StoreError::unavailable)?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(StoreError::unavailable)?;
        let (mut items, mut read, mut bytes, mut more) = (Vec::new(), 0, 0, false);
        // The position of the last item read, which the cursor continues after (an expired
        // item counts, as with DynamoDB's filter).
        let mut last = LastPosition::default();
        while let Some(row) = rows.next().map_err(StoreError::unavailable)? {
            if limit.is_some_and(|l| read >= l) || bytes >= PAGE_BYTES {
                more = true;
                break;
            }
            let body: String = row.get(0).map_err(StoreError::unavailable)?;
            let expires: Option<f64> = row.get(5).map_err(StoreError::unavailable)?;
            read += 1;
            bytes += body.len();
            last.copy(row)?;
            // Like DynamoDB's filter, an expired item is read (it counts) but not returned.
            if !expires.is_some_and(|at| ttl::number_expired(at, now)) {
                items.push(Stored::json(body));
            }
        }
        let cursor = match (more, last.into_item()) {
            (true, Some(last)) => Some(cursor::encode(&q, &last)?),
            _ => None,
        };
        Ok(StoredPage { items, cursor })
    }

    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError> {
        // Refused as DynamoDB refuses it, before any item is looked at.
        limits::check(&ops, self.now()).map_err(StoreError::TxRefused)?;
        self.in_tx(|w| {
            for Named { name, op } in &ops {
                let outcome = match op {
                    TxOp::Put { item, cond } => match Key::of(item) {
                        Some(key) => w.check(&key, cond).and_then(|_| w.store(item)),
                        None => Err(StoreError::ConditionFailed),
                    },
                    TxOp::Update { key, ops, cond } => w.update(key, ops, cond).map(|_| ()),
                    TxOp::Delete { key, cond } => w.check(key, cond).and_then(|_| w.remove(key)),
                    TxOp::Check { key, cond } => w.check(key, cond).map(|_| ()),
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

    // Several threads, so the racing cases really race.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_table_passes_the_conformance_suite() -> Result<(), super::StoreError> {
        use crate::store::conformance::{Fixture, clock, run_all};
        let clock = clock();
        let table = SqliteTable::in_memory(clock.clone())?;
        run_all(&Fixture {
            table: std::sync::Arc::new(table),
            clock,
        })
        .await;
        Ok(())
    }

    #[tokio::test]
    async fn in_memory_tables_are_private_to_each_other() -> Result<(), Box<dyn std::error::Error>>
    {
        use crate::store::{Cond, Key, Table};
        let clock = crate::store::conformance::clock();
        let a = SqliteTable::in_memory(clock.clone())?;
        let b = SqliteTable::in_memory(clock)?;
        let mut item = crate::store::Item::new();
        item.insert("pk".into(), "P#1".into());
        item.insert("sk".into(), "S".into());
        a.put(item, Cond::NotExists).await?;
        let key = Key::new("P#1", "S");
        assert!(a.get(&key).await?.is_some());
        assert!(
            b.get(&key).await?.is_none(),
            "another table sees nothing of it"
        );
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
            let table = SqliteTable::open(&path, crate::store::conformance::clock())?;
            let item = item_with_key(&key, &serde_json::json!({"name": "Café Ost"}))?;
            table.put(item, Cond::NotExists).await?;
        }
        let reopened = SqliteTable::open(&path, crate::store::conformance::clock())?;
        let got = reopened.get(&key).await?;
        assert_eq!(
            got.and_then(|i| i.get("name").cloned()),
            Some(serde_json::json!("Café Ost"))
        );
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[tokio::test]
    async fn a_file_from_before_the_ttl_column_still_hides_its_expired_items()
    -> Result<(), Box<dyn std::error::Error>> {
        use crate::clock::FixedClock;
        use crate::store::{Index, Query, Table};
        let dir = std::env::temp_dir().join(format!("pn-sqlite-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("t.db");
        {
            let old = rusqlite::Connection::open(&path)?;
            old.execute_batch(
                "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, gsi1pk TEXT,
                     gsi1sk TEXT, body TEXT NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID;
                 INSERT INTO items (pk, sk, body) VALUES
                     ('P', 'a', '{\"pk\":\"P\",\"sk\":\"a\",\"ttl\":1000}'),
                     ('P', 'b', '{\"pk\":\"P\",\"sk\":\"b\",\"ttl\":\"1000\"}'),
                     ('P', 'c', '{\"pk\":\"P\",\"sk\":\"c\",\"ttl\":9000000000}');",
            )?;
        }
        let clock = std::sync::Arc::new(FixedClock::at("2026-11-16T09:00:00Z".parse()?));
        let table = SqliteTable::open(&path, clock)?;
        let page = table.query(Query::partition(Index::Primary, "P")).await?;
        let sks: Vec<_> = page
            .items
            .iter()
            .filter_map(|i| i.get("sk").cloned())
            .collect();
        assert_eq!(
            sks,
            vec![serde_json::json!("b"), serde_json::json!("c")],
            "the past ttl hides a; a ttl that is no number never expires"
        );
        drop(table);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
