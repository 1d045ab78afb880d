//! Handler-only latency of the cards' hot routes: the till's lookup and a booking with its
//! idempotency key, driven in-process with `tower::ServiceExt::oneshot` over SQLite in
//! memory (no Lambda, no network). Criterion's estimates, plus 10 000 individually timed
//! calls per route for p50 and p99; `cargo xtask bench` sets `PARTNERNETZ_BENCH_OUT`.
//! Under `cargo test` every route runs a few times.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use criterion::Criterion;
use http::{Method, StatusCode};
use serde_json::json;
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::testing::bench::{self, BoxError, Mode};
use shared::testing::{Client, TestEnv};

struct Call {
    id: &'static str,
    kind: &'static str,
    method: Method,
    path: String,
    body: Option<String>,
    /// A booking: every call gets its own `Idempotency-Key`.
    booking: bool,
    expected: StatusCode,
}

impl Call {
    fn route(&self) -> String {
        match self.booking {
            true => "POST /cards/pos/cards/{number}/bookings".into(),
            false => "GET /cards/pos/cards/{number}".into(),
        }
    }
}

struct Fixture {
    router: Router,
    calls: Vec<Call>,
    pos: String,
    keys: AtomicU64,
    _kit: TestEnv,
}

impl Fixture {
    async fn new() -> Result<Self, BoxError> {
        let kit = TestEnv::new().await;
        let router = cards::build(&kit.env);
        let client = Client::in_process(router.clone());
        let fixtures = kit.fixtures();
        let operator = fixtures.operator("olga@betreiber.de").await;
        let partner = fixtures
            .confirmed_partner("bench@baeckerei-mueller.de")
            .await;
        let price = json!({"fee_per_terminal_user_cents": 990});
        client
            .call("PUT", "/cards/price", Some(price), Some(&operator.token))
            .await;
        client
            .call("POST", "/cards/contract", None, Some(&partner.token))
            .await;
        let rules = json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1, "expiry_months": 24});
        let program = client
            .call(
                "POST",
                "/cards/programs",
                Some(json!({"name": "Bonus", "rules": rules})),
                Some(&partner.token),
            )
            .await;
        let program_id = program.body["program_id"].as_str().ok_or("no program")?;
        let batch = client
            .call(
                "POST",
                &format!("/cards/programs/{program_id}/batches"),
                Some(json!({"count": 1})),
                Some(&partner.token),
            )
            .await;
        let number = batch.body["numbers"][0]
            .as_str()
            .ok_or("no card")?
            .to_string();
        let pos = kit.issuer.issue_scoped(
            shared::domain::AccountId::generate().as_str(),
            Role::Pos,
            Some(partner.id.to_string()),
            vec![],
            Scope::Pos(partner.id.clone()),
            kit.clock.epoch(),
        )?;
        let calls = vec![
            Call {
                id: "get_pos_card",
                kind: "read",
                method: Method::GET,
                path: format!("/cards/pos/cards/{number}"),
                body: None,
                booking: false,
                expected: StatusCode::OK,
            },
            Call {
                id: "post_booking",
                kind: "write",
                method: Method::POST,
                path: format!("/cards/pos/cards/{number}/bookings"),
                body: Some(json!({"type": "earn", "amount_cents": 2350}).to_string()),
                booking: true,
                expected: StatusCode::CREATED,
            },
        ];
        Ok(Self {
            router,
            calls,
            pos: format!("Bearer {pos}"),
            keys: AtomicU64::new(0),
            _kit: kit,
        })
    }

    async fn send(&self, call: &Call) -> Result<StatusCode, BoxError> {
        let mut request = bench::request(
            call.method.clone(),
            &call.path,
            Some(&self.pos),
            call.body.as_deref(),
        )?;
        if call.booking {
            let key = self.keys.fetch_add(1, Ordering::Relaxed);
            request
                .headers_mut()
                .insert("idempotency-key", format!("bench-{key}").parse()?);
        }
        bench::send(&self.router, request).await
    }

    async fn expect_ok(&self, call: &Call) -> Result<(), BoxError> {
        bench::expect(&call.route(), self.send(call).await?, call.expected)
    }
}

fn main() -> Result<(), BoxError> {
    let mode = Mode::from_args();
    bench::log_to_sink();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let fixture = runtime.block_on(Fixture::new())?;
    if mode != Mode::List {
        for call in &fixture.calls {
            runtime.block_on(fixture.expect_ok(call))?;
        }
    }
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("cards");
    for call in &fixture.calls {
        group.bench_function(call.id, |b| {
            b.iter(|| runtime.block_on(fixture.send(call)));
        });
    }
    group.finish();
    criterion.final_summary();
    match mode {
        Mode::List => Ok(()),
        Mode::Test => runtime.block_on(per_call(&fixture, 10)).map(|_| ()),
        Mode::Bench => runtime
            .block_on(per_call(&fixture, 10_000))
            .and_then(bench::write_report),
    }
}

/// Times single calls: `n` of each route, after a warm-up.
async fn per_call(fixture: &Fixture, n: usize) -> Result<serde_json::Value, BoxError> {
    let mut calls = Vec::new();
    for call in &fixture.calls {
        let timed = bench::Timed {
            route: call.route(),
            kind: call.kind,
            criterion: format!("cards/{}", call.id),
            expected: call.expected,
        };
        calls.push(bench::per_call(&timed, n / 10, n, || fixture.send(call)).await?);
    }
    Ok(json!({ "function": "cards", "calls": calls }))
}
