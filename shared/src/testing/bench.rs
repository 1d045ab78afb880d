//! The frame of every function's handler bench (`benches/handlers.rs`): a function builds
//! its [`Fixture`] (a router over the test kit and the [`Call`]s to measure) and hands it to
//! [`run`]. Each call is checked once, measured by criterion, then timed one by one for the
//! p50/p99 that `cargo xtask bench` reports beside criterion's estimates.
//!
//! Nothing here panics: a bench stops with an error that names the route instead.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use criterion::Criterion;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::testing::TestEnv;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How the bench binary was started: `cargo bench` measures, `cargo test` only checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--list`: criterion lists its benchmarks, nothing is sent.
    List,
    /// `cargo test` (or `cargo bench -- --test`): every route a few times.
    Test,
    Bench,
}

impl Mode {
    pub fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let has = |flag: &str| args.iter().any(|a| a == flag);
        if has("--list") {
            Self::List
        } else if has("--bench") && !has("--test") {
            Self::Bench
        } else {
            Self::Test
        }
    }
}

/// One route a handler bench measures.
#[derive(Debug, Clone)]
pub struct Call {
    /// Criterion's group and benchmark id: `cargo xtask bench` finds the estimates under
    /// `<group>/<id>/`. The group is the function's name; logins have one of their own.
    pub group: &'static str,
    pub id: &'static str,
    /// `read`, `write`, or `login` (argon2id: fewer, longer samples; reported on lines of
    /// their own).
    pub kind: &'static str,
    pub method: Method,
    /// The route as the route table names it: `/offers/{offer_id}`.
    pub route: &'static str,
    /// The path sent, its ids filled in.
    pub path: String,
    pub authorization: Option<String>,
    pub body: Option<String>,
    pub expected: StatusCode,
}

impl Call {
    /// A call of `route` without a token or a body that expects 200; its path is the route.
    pub fn new(
        group: &'static str,
        id: &'static str,
        kind: &'static str,
        method: Method,
        route: &'static str,
    ) -> Self {
        Self {
            group,
            id,
            kind,
            method,
            route,
            path: route.to_owned(),
            authorization: None,
            body: None,
            expected: StatusCode::OK,
        }
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub fn bearer(mut self, token: &str) -> Self {
        self.authorization = Some(format!("Bearer {token}"));
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    pub fn expect(mut self, status: StatusCode) -> Self {
        self.expected = status;
        self
    }

    /// `GET /offers/{offer_id}`, as the report names the route.
    pub fn route_name(&self) -> String {
        format!("{} {}", self.method, self.route)
    }

    fn is_login(&self) -> bool {
        self.kind == "login"
    }
}

/// What a function's handler bench measures: its router over the test kit and its calls.
pub struct Fixture<R = Plain> {
    pub router: Router,
    pub calls: Vec<Call>,
    /// Owns the data folder and the embedded S3 for as long as the bench runs.
    pub kit: TestEnv,
    pub requests: R,
}

impl Fixture {
    pub fn new(router: Router, calls: Vec<Call>, kit: TestEnv) -> Self {
        Self {
            router,
            calls,
            kit,
            requests: Plain,
        }
    }

    /// The same calls, their requests made by `requests`.
    pub fn with_requests<R: Requests>(self, requests: R) -> Fixture<R> {
        Fixture {
            router: self.router,
            calls: self.calls,
            kit: self.kit,
            requests,
        }
    }
}

/// How a call becomes its request. A function whose calls need more than their fields (a
/// fresh idempotency key, a visitor's address) says so here.
pub trait Requests {
    fn request(&self, call: &Call) -> Result<Request<Body>, BoxError> {
        call_request(call)
    }
}

/// Requests made from the calls' fields alone.
#[derive(Debug, Clone, Copy)]
pub struct Plain;

impl Requests for Plain {}

/// A call's request from its fields: method, path, token, JSON body.
pub fn call_request(call: &Call) -> Result<Request<Body>, BoxError> {
    request(
        call.method.clone(),
        &call.path,
        call.authorization.as_deref(),
        call.body.as_deref(),
    )
}

/// One call through the fixture's router: the status.
pub async fn send_call<R: Requests>(
    fixture: &Fixture<R>,
    call: &Call,
) -> Result<StatusCode, BoxError> {
    send(&fixture.router, fixture.requests.request(call)?).await
}

/// A handler bench under way: what [`run`] does step by step, for a function that measures
/// more than its calls (billing's whole run, the redirect's crawler filter).
pub struct Run<R> {
    pub mode: Mode,
    pub runtime: tokio::runtime::Runtime,
    pub fixture: Fixture<R>,
    pub criterion: Criterion,
}

impl<R: Requests> Run<R> {
    /// Builds the fixture and, unless criterion only lists, checks every call's answer:
    /// an unexpected one would time the error path.
    pub fn start(
        setup: impl Future<Output = Result<Fixture<R>, BoxError>>,
    ) -> Result<Self, BoxError> {
        let mode = Mode::from_args();
        log_to_sink();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let fixture = runtime.block_on(setup)?;
        if mode != Mode::List {
            for call in &fixture.calls {
                let status = runtime.block_on(send_call(&fixture, call))?;
                expect(&call.route_name(), status, call.expected)?;
            }
        }
        Ok(Self {
            mode,
            runtime,
            fixture,
            criterion: Criterion::default().configure_from_args(),
        })
    }

    /// Criterion's estimates, one group per call group in the order the calls name them.
    pub fn bench_calls(&mut self) {
        let mut groups: Vec<&'static str> = Vec::new();
        for call in &self.fixture.calls {
            if !groups.contains(&call.group) {
                groups.push(call.group);
            }
        }
        for name in groups {
            let calls: Vec<&Call> = self
                .fixture
                .calls
                .iter()
                .filter(|c| c.group == name)
                .collect();
            let mut group = self.criterion.benchmark_group(name);
            if calls.iter().all(|c| c.is_login()) {
                // argon2id with 19 MiB takes tens of milliseconds: fewer, longer samples.
                group
                    .sample_size(10)
                    .measurement_time(Duration::from_secs(10));
            }
            for call in calls {
                group.bench_function(call.id, |b| {
                    b.iter(|| self.runtime.block_on(send_call(&self.fixture, call)));
                });
            }
            group.finish();
        }
    }

    /// Every call timed one by one: 10 000 of each route under `cargo bench` (20 logins),
    /// a few under `cargo test`; each after a tenth as many untimed ones.
    pub fn timed_calls(&self) -> Result<Vec<Value>, BoxError> {
        let mut timed = Vec::new();
        for call in &self.fixture.calls {
            let count: usize = match (self.mode, call.is_login()) {
                (Mode::Bench, false) => 10_000,
                (Mode::Bench, true) => 20,
                (_, false) => 10,
                (_, true) => 1,
            };
            let route = Timed {
                route: call.route_name(),
                kind: call.kind,
                criterion: format!("{}/{}", call.group, call.id),
                expected: call.expected,
            };
            timed.push(self.runtime.block_on(per_call(
                &route,
                count.div_ceil(10),
                count,
                || send_call(&self.fixture, call),
            ))?);
        }
        Ok(timed)
    }

    /// Criterion's summary, then the timed calls: written for `cargo xtask bench`, only
    /// run under `cargo test`.
    pub fn finish(self, function: &str) -> Result<(), BoxError> {
        self.criterion.final_summary();
        match self.mode {
            Mode::List => Ok(()),
            Mode::Test => self.timed_calls().map(|_| ()),
            Mode::Bench => write_report(json!({
                "function": function,
                "calls": self.timed_calls()?,
            })),
        }
    }
}

/// The whole handler bench of `function`, for one whose calls are all it measures.
pub fn run<R: Requests>(
    function: &str,
    setup: impl Future<Output = Result<Fixture<R>, BoxError>>,
) -> Result<(), BoxError> {
    let mut run = Run::start(setup)?;
    run.bench_calls();
    run.finish(function)
}

/// Lambda writes one JSON log line per request (`crate::telemetry`); the benches format
/// them the same way so their cost is counted, but into a sink instead of the terminal.
pub fn log_to_sink() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .without_time()
        .with_ansi(false)
        .with_writer(std::io::sink)
        .try_init();
}

/// A request with an optional `Authorization` value and an optional JSON body.
pub fn request(
    method: Method,
    path: &str,
    authorization: Option<&str>,
    json_body: Option<&str>,
) -> Result<Request<Body>, BoxError> {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(authorization) = authorization {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    let body = match json_body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_owned())
        }
        None => Body::empty(),
    };
    Ok(request.body(body)?)
}

/// One request through the router, its response body read to the end: the status.
pub async fn send(router: &Router, request: Request<Body>) -> Result<StatusCode, BoxError> {
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    response.into_body().collect().await?;
    Ok(status)
}

/// An answer other than the expected one would time the error path: stop instead.
pub fn expect(route: &str, status: StatusCode, expected: StatusCode) -> Result<(), BoxError> {
    if status == expected {
        Ok(())
    } else {
        Err(format!("{route} answered {status}, not {expected}").into())
    }
}

/// A route as the report names it.
#[derive(Debug, Clone)]
pub struct Timed<'a> {
    /// `GET /partners/me`.
    pub route: String,
    /// `read`, `write`, or `login` (reported on lines of its own).
    pub kind: &'a str,
    /// criterion's `<group>/<id>`, where xtask finds its estimates.
    pub criterion: String,
    pub expected: StatusCode,
}

/// Times `count` single calls after `warmup` untimed ones, each checked against the
/// expected status; the figures in the shape xtask reads (`HandlerCall`), nearest rank.
pub async fn per_call<F, Fut>(
    timed: &Timed<'_>,
    warmup: usize,
    count: usize,
    mut send: F,
) -> Result<Value, BoxError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<StatusCode, BoxError>>,
{
    if count == 0 {
        return Err(format!("{}: no call to time", timed.route).into());
    }
    for _ in 0..warmup {
        expect(&timed.route, send().await?, timed.expected)?;
    }
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let status = send().await?;
        samples.push(started.elapsed());
        expect(&timed.route, status, timed.expected)?;
    }
    samples.sort_unstable();
    let n = samples.len();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let rank = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    let mean = samples.iter().sum::<Duration>() / n as u32;
    Ok(json!({
        "route": timed.route,
        "kind": timed.kind,
        "criterion": timed.criterion,
        "samples": n,
        "p50_us": us(rank(0.50)),
        "p99_us": us(rank(0.99)),
        "mean_us": us(mean),
        "max_us": us(samples[n - 1]),
    }))
}

/// Writes the report to `PARTNERNETZ_BENCH_OUT` (set by `cargo xtask bench`), or prints it.
pub fn write_report(report: Value) -> Result<(), BoxError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_call_reports_nearest_rank_and_stops_on_a_wrong_status() {
        let timed = Timed {
            route: "GET /x".into(),
            kind: "read",
            criterion: "g/x".into(),
            expected: StatusCode::OK,
        };
        let report = per_call(&timed, 2, 5, || async { Ok(StatusCode::OK) })
            .await
            .unwrap();
        assert_eq!(report["samples"], 5);
        assert_eq!(report["criterion"], "g/x");
        assert!(report["p50_us"].as_f64().unwrap() <= report["max_us"].as_f64().unwrap());

        let wrong = per_call(&timed, 0, 3, || async { Ok(StatusCode::NOT_FOUND) }).await;
        assert!(
            wrong
                .unwrap_err()
                .to_string()
                .contains("GET /x answered 404")
        );
        assert!(
            per_call(&timed, 0, 0, || async { Ok(StatusCode::OK) })
                .await
                .is_err()
        );
    }
}
