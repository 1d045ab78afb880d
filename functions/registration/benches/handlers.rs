//! Handler-only latency of registration's routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use std::time::Duration;

use axum::Router;
use criterion::Criterion;
use http::{Method, StatusCode};
use serde_json::json;
use shared::testing::bench::{self, BoxError, Mode};
use shared::testing::{PASSWORD, TestEnv};

const EMAIL: &str = "bench@baeckerei-mueller.de";

struct Call {
    /// Criterion's benchmark id, also its folder under `target/criterion/<group>/`.
    id: &'static str,
    group: &'static str,
    kind: &'static str,
    method: Method,
    path: &'static str,
    authorization: Option<String>,
    body: Option<String>,
}

impl Call {
    fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

struct Fixture {
    router: Router,
    calls: Vec<Call>,
    /// Owns the data folder and the embedded S3 for as long as the bench runs.
    _kit: TestEnv,
}

impl Fixture {
    async fn new() -> Result<Self, BoxError> {
        let kit = TestEnv::new().await;
        let partner = kit.fixtures().confirmed_partner(EMAIL).await;
        let bearer = Some(format!("Bearer {}", partner.token));
        let calls = vec![
            Call {
                id: "get_partners_me",
                group: "registration",
                kind: "read",
                method: Method::GET,
                path: "/partners/me",
                authorization: bearer.clone(),
                body: None,
            },
            Call {
                id: "patch_partners_me",
                group: "registration",
                kind: "write",
                method: Method::PATCH,
                path: "/partners/me",
                authorization: bearer,
                body: Some(json!({ "company": "Bäckerei Müller GmbH" }).to_string()),
            },
            Call {
                id: "post_auth_login",
                group: "registration-login",
                kind: "login",
                method: Method::POST,
                path: "/auth/login",
                authorization: None,
                body: Some(json!({ "email": EMAIL, "password": PASSWORD }).to_string()),
            },
        ];
        Ok(Self {
            router: registration::build(&kit.env),
            calls,
            _kit: kit,
        })
    }

    /// One request through the router, its response body read to the end.
    async fn send(&self, call: &Call) -> Result<StatusCode, BoxError> {
        let request = bench::request(
            call.method.clone(),
            call.path,
            call.authorization.as_deref(),
            call.body.as_deref(),
        )?;
        bench::send(&self.router, request).await
    }

    async fn expect_ok(&self, call: &Call) -> Result<(), BoxError> {
        bench::expect(&call.route(), self.send(call).await?, StatusCode::OK)
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
    for group_name in ["registration", "registration-login"] {
        let mut group = criterion.benchmark_group(group_name);
        if group_name == "registration-login" {
            // argon2id with 19 MiB takes tens of milliseconds: fewer, longer samples.
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(10));
        }
        for call in fixture.calls.iter().filter(|c| c.group == group_name) {
            group.bench_function(call.id, |b| {
                b.iter(|| runtime.block_on(fixture.send(call)));
            });
        }
        group.finish();
    }
    criterion.final_summary();

    match mode {
        Mode::List => Ok(()),
        Mode::Test => runtime.block_on(per_call(&fixture, 10, 1)).map(|_| ()),
        Mode::Bench => runtime
            .block_on(per_call(&fixture, 10_000, 20))
            .and_then(bench::write_report),
    }
}

/// Times single calls: 10 000 of each route (20 for the login), after a warm-up.
async fn per_call(
    fixture: &Fixture,
    count: usize,
    login_count: usize,
) -> Result<serde_json::Value, BoxError> {
    let mut calls = Vec::new();
    for call in &fixture.calls {
        let (warmup, n) = if call.kind == "login" {
            (2, login_count)
        } else {
            (count / 10, count)
        };
        let timed = bench::Timed {
            route: call.route(),
            kind: call.kind,
            criterion: format!("{}/{}", call.group, call.id),
            expected: StatusCode::OK,
        };
        calls.push(bench::per_call(&timed, warmup, n, || fixture.send(call)).await?);
    }
    Ok(json!({ "function": "registration", "calls": calls }))
}
