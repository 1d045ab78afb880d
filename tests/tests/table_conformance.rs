//! The Table conformance suite on DynamoDB Local, and what only DynamoDB shows: how lost races
//! are answered, and what each helper's writes cost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use shared::store::conformance::{self, Fixture};
use shared::store::{
    Backoff, Cond, Consistency, DynamoTable, Item, Key, StoreError, Table, TxOp, Update,
};

/// A fresh table on DynamoDB Local (or on `endpoint` in front of it), its adapter reading
/// `clock` and retrying lost races with `backoff`.
async fn table_on(
    endpoint: Option<&str>,
    clock: Arc<shared::clock::FixedClock>,
    backoff: Backoff,
) -> Arc<DynamoTable> {
    let mut client = tests::dynamodb_client();
    if let Some(url) = endpoint {
        client = aws_sdk_dynamodb::Client::from_conf(
            client.config().to_builder().endpoint_url(url).build(),
        );
    }
    let name = format!("partnernetz-{}", shared::domain::new_id());
    let table = DynamoTable::new(client, name, clock).with_conflict_backoff(backoff);
    table
        .create_table()
        .await
        .expect("creating the table on DynamoDB Local");
    Arc::new(table)
}

async fn table_with(clock: Arc<shared::clock::FixedClock>, backoff: Backoff) -> Arc<DynamoTable> {
    table_on(None, clock, backoff).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs emulators: cargo xtask test"]
async fn dynamo_table_passes_the_conformance_suite_on_dynamodb_local() {
    let clock = conformance::clock();
    let table = table_with(clock.clone(), Backoff::CONFLICTS).await;
    conformance::run_all(&Fixture {
        table: table.clone(),
        clock,
    })
    .await;
    assert!(
        table.consumed_capacity() > 0.0,
        "DynamoDB reports consumed capacity"
    );
}

/// DynamoDB Local runs one transaction at a time and never answers `TransactionConflict` (200
/// racing transactions without retries all commit there). This proxy in front of it answers the
/// first `conflicts` writes as DynamoDB answers a writer that met a concurrent transaction,
/// without passing them on (a cancelled write has no effect), and forwards everything else.
struct ConflictProxy {
    url: String,
    left: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Upstream {
    url: String,
    http: reqwest::Client,
    left: Arc<AtomicUsize>,
}

impl ConflictProxy {
    async fn start(conflicts: usize) -> Self {
        let left = Arc::new(AtomicUsize::new(conflicts));
        let upstream = Upstream {
            url: std::env::var("DYNAMODB_ENDPOINT").unwrap(),
            http: reqwest::Client::new(),
            left: left.clone(),
        };
        let app = axum::Router::new().fallback(relay).with_state(upstream);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, left, server }
    }

    /// Conflicts still to be answered.
    fn left(&self) -> usize {
        self.left.load(Ordering::SeqCst)
    }
}

impl Drop for ConflictProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn relay(State(up): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let operation = target.rsplit('.').next().unwrap_or_default();
    let is_write = matches!(
        operation,
        "TransactWriteItems" | "PutItem" | "UpdateItem" | "DeleteItem"
    );
    if is_write
        && up
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        let error = if operation == "TransactWriteItems" {
            // The first item met the concurrent transaction; the others were not the cause.
            let request: Value = serde_json::from_slice(&body).unwrap();
            let items = request["TransactItems"].as_array().map_or(1, Vec::len);
            let reasons: Vec<Value> = (0..items)
                .map(|i| match i {
                    0 => json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}),
                    _ => json!({"Code": "None"}),
                })
                .collect();
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]",
                "CancellationReasons": reasons,
            })
        } else {
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
                "message": "Transaction is ongoing for the item",
            })
        };
        return Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .header("content-type", "application/x-amz-json-1.0")
            .body(Body::from(error.to_string()))
            .unwrap();
    }
    let mut forward = up.http.post(format!("{}{}", up.url, parts.uri.path()));
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    let reply = forward.body(body).send().await.unwrap();
    let mut response = Response::builder().status(reply.status().as_u16());
    for (name, value) in reply.headers() {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(reply.bytes().await.unwrap()))
        .unwrap()
}

fn keyed(pk: &str, sk: &str, extra: Value) -> Item {
    let mut item: Item = serde_json::from_value(extra).unwrap();
    item.insert("pk".into(), json!(pk));
    item.insert("sk".into(), json!(sk));
    item
}

fn bump_shared_and_put_own(shared: &Key, own: usize) -> Vec<shared::store::Named> {
    vec![
        TxOp::Update {
            key: shared.clone(),
            ops: vec![Update::Add("n", 1)],
            cond: Cond::Exists,
        }
        .named("shared"),
        TxOp::Put {
            item: keyed(&shared.pk, &format!("OWN#{own:03}"), json!({})),
            cond: Cond::NotExists,
        }
        .named("own"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs emulators: cargo xtask test"]
async fn lost_races_are_retried_with_backoff_until_they_commit() {
    const WRITERS: usize = 30;
    let proxy = ConflictProxy::start(0).await;
    let table = table_on(Some(&proxy.url), conformance::clock(), Backoff::CONFLICTS).await;
    let shared = Key::new(format!("RACE#{}", shared::domain::new_id()), "SHARED");
    table
        .put(
            keyed(&shared.pk, &shared.sk, json!({"n": 0})),
            Cond::NotExists,
        )
        .await
        .unwrap();

    // Every writer loses its first try, and as many of the retries lose again.
    proxy.left.store(2 * WRITERS, Ordering::SeqCst);
    let mut writers = tokio::task::JoinSet::new();
    for own in 0..WRITERS {
        let (table, shared) = (table.clone(), shared.clone());
        writers.spawn(async move { table.transact(bump_shared_and_put_own(&shared, own)).await });
    }
    let outcomes = writers.join_all().await;
    assert!(
        outcomes.iter().all(Result::is_ok),
        "every writer committed in the end: {outcomes:?}"
    );
    assert_eq!(proxy.left(), 0, "each of them lost races first");
    let n = table.get(&shared).await.unwrap().unwrap()["n"].clone();
    assert_eq!(n, json!(WRITERS), "and committed once");

    // A single write meeting a transaction is retried too.
    proxy.left.store(3, Ordering::SeqCst);
    let updated = table
        .update(&shared, &[Update::Add("n", 1)], Cond::Exists)
        .await
        .unwrap();
    assert_eq!(updated["n"], json!(WRITERS + 1));
    assert_eq!(proxy.left(), 0);
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_race_lost_for_good_is_a_conflict_never_a_failed_condition() {
    let proxy = ConflictProxy::start(0).await;
    let table = table_on(Some(&proxy.url), conformance::clock(), Backoff::NONE).await;
    let shared = Key::new(format!("RACE#{}", shared::domain::new_id()), "SHARED");
    table
        .put(
            keyed(&shared.pk, &shared.sk, json!({"n": 0})),
            Cond::NotExists,
        )
        .await
        .unwrap();

    proxy.left.store(1, Ordering::SeqCst);
    let lost = table.transact(bump_shared_and_put_own(&shared, 1)).await;
    assert!(matches!(lost, Err(StoreError::Conflict)), "{lost:?}");
    let answer = shared::Error::from(lost.unwrap_err());
    assert_eq!(answer.status(), StatusCode::CONFLICT, "409: please retry");

    proxy.left.store(1, Ordering::SeqCst);
    let single = table
        .put(keyed(&shared.pk, "SINGLE", json!({})), Cond::NotExists)
        .await;
    assert!(matches!(single, Err(StoreError::Conflict)), "{single:?}");

    // Nothing of the lost writes was applied, so trying again simply works.
    assert_eq!(table.get(&shared).await.unwrap().unwrap()["n"], json!(0));
    table
        .transact(bump_shared_and_put_own(&shared, 1))
        .await
        .unwrap();
    let again = table.transact(bump_shared_and_put_own(&shared, 1)).await;
    assert!(
        matches!(again, Err(StoreError::TxCancelled { failed: "own" })),
        "a condition that really failed is named: {again:?}"
    );
}

/// Eventual reads reach DynamoDB as such: they cost half a strong read. (DynamoDB Local reports
/// a flat 2 units for every transaction, whatever its items, so transactional costs are not
/// measurable here.)
#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn eventual_reads_cost_half_a_strong_read() {
    let table = table_with(conformance::clock(), Backoff::CONFLICTS).await;
    let cost = |before: f64| table.consumed_capacity() - before;
    let pk = format!("READS#{}", shared::domain::new_id());
    let key = Key::new(&pk, "A");
    let before = table.consumed_capacity();
    table
        .put(keyed(&pk, "A", json!({"name": "Café Ost"})), Cond::Always)
        .await
        .unwrap();
    assert_eq!(cost(before), 1.0, "a small item: one write unit");

    let before = table.consumed_capacity();
    table.get(&key).await.unwrap().unwrap();
    assert_eq!(cost(before), 1.0, "a strong read: one read unit");
    let before = table.consumed_capacity();
    table
        .get_with(&key, Consistency::Eventual)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cost(before), 0.5, "an eventual read: half");

    let query = shared::store::Query::partition(shared::store::Index::Primary, &pk);
    let before = table.consumed_capacity();
    table.query(query.clone()).await.unwrap();
    let strong = cost(before);
    let before = table.consumed_capacity();
    table.query(query.eventually_consistent()).await.unwrap();
    assert_eq!(cost(before), strong / 2.0, "an eventual query: half");
}
