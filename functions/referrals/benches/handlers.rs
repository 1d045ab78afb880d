//! Handler-only latency of referrals' routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use criterion::Criterion;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use shared::testing::TestEnv;
use tower::ServiceExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
                id: "get_programs",
                group: "referrals",
                kind: "read",
                method: Method::GET,
                path: "/programs",
                authorization: bearer.clone(),
                body: None,
            },
            Call {
                id: "put_partners_me_referral_domains",
                group: "referrals",
                kind: "write",
                method: Method::PUT,
                path: "/partners/me/referral-domains",
                authorization: bearer,
                body: Some(json!({ "domains": ["baeckerei-mueller.de"] }).to_string()),
            },
        ];
        Ok(Self {
            router: referrals::build(&kit.env),
            calls,
            _kit: kit,
        })
    }

    /// One request through the router, its response body read to the end.
    async fn send(&self, call: &Call) -> Result<StatusCode, BoxError> {
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(call.path);
        if let Some(auth) = &call.authorization {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let body = match &call.body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.clone())
            }
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(request.body(body)?).await?;
        let status = response.status();
        response.into_body().collect().await?;
        Ok(status)
    }

    async fn expect_ok(&self, call: &Call) -> Result<(), BoxError> {
        match self.send(call).await? {
            StatusCode::OK => Ok(()),
            other => Err(format!("{} answered {other}, not 200", call.route()).into()),
        }
    }
}

/// How the binary was started: `cargo bench` measures, `cargo test` only checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    List,
    Test,
    Bench,
}

fn mode() -> Mode {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    if has("--list") {
        Mode::List
    } else if has("--bench") && !has("--test") {
        Mode::Bench
    } else {
        Mode::Test
    }
}

fn main() -> Result<(), BoxError> {
    let mode = mode();
    // Lambda writes one JSON log line per request (shared::telemetry); format them the
    // same way so their cost is counted, but into a sink instead of the terminal.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_ansi(false)
        .with_writer(std::io::sink)
        .try_init();

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
    {
        let group_name = "referrals";
        let mut group = criterion.benchmark_group(group_name);
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
            .and_then(write_report),
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
        for _ in 0..warmup {
            fixture.expect_ok(call).await?;
        }
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let started = Instant::now();
            let status = fixture.send(call).await?;
            samples.push(started.elapsed());
            if status != StatusCode::OK {
                return Err(format!("{} answered {status}, not 200", call.route()).into());
            }
        }
        samples.sort_unstable();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let rank = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        let mean = samples.iter().sum::<Duration>() / n as u32;
        calls.push(json!({
            "route": call.route(),
            "kind": call.kind,
            "criterion": format!("{}/{}", call.group, call.id),
            "samples": n,
            "p50_us": us(rank(0.50)),
            "p99_us": us(rank(0.99)),
            "mean_us": us(mean),
            "max_us": us(samples[n - 1]),
        }));
    }
    Ok(json!({ "function": "referrals", "calls": calls }))
}

fn write_report(report: serde_json::Value) -> Result<(), BoxError> {
    let text = serde_json::to_string_pretty(&report)?;
    match std::env::var_os("PARTNERNETZ_BENCH_OUT") {
        Some(path) => std::fs::write(&path, text)
            .map_err(|e| format!("writing {}: {e}", PathBuf::from(path).display()).into()),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}
