//! What every function's handler bench (`benches/handlers.rs`) shares: how the binary was
//! started, the log sink, one request through the router, and the individually timed calls
//! whose p50/p99 `cargo xtask bench` reports beside criterion's estimates.
//!
//! Nothing here panics: a bench stops with an error that names the route instead.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

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
