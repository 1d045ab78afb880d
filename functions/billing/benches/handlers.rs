//! Handler-only latency of billing's routes (the axum router in-process, SQLite in memory)
//! and the throughput of the run: partners per second of the in-process planner and worker
//! on SQLite, each partner billed with its PDF, XRechnung and mail.
//!
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT`; the
//! report carries the per-call figures and, as rows of their own, the run's partners per
//! second on SQLite and on DynamoDB Local (where `cargo xtask bench` provides it) and the
//! peak memory of a fresh process running it there (`support/dynamodb_run.rs`).
//! Under `cargo test` every route runs a few times and a small run is billed.

#[path = "support/dynamodb_run.rs"]
mod dynamodb_run;

use std::sync::Arc;
use std::time::Instant;

use billing::{Billing, BillingConfig, LocalQueue, Month};
use http::Method;
use jiff::civil::date;
use serde_json::json;
use shared::domain::Cents;
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Call, Mode};

const RUN_TIME: &str = "2026-12-01T01:00:00Z";

fn billing_on(kit: &TestEnv) -> (Arc<Billing>, Arc<LocalQueue>) {
    let queue = Arc::new(LocalQueue::new());
    let billing = Arc::new(Billing::new(
        &kit.env,
        queue.clone(),
        BillingConfig::local(),
    ));
    (billing, queue)
}

/// `count` partners, each with an approved subscription, as registration leaves them.
async fn seed(kit: &TestEnv, count: usize) -> Result<(), BoxError> {
    let platform = kit.fixtures().platform("Sparkasse", Cents(4900)).await;
    for i in 0..count {
        let partner = kit
            .fixtures()
            .confirmed_partner(&format!("bench{i}@baeckerei-mueller.de"))
            .await;
        kit.fixtures()
            .approve(&partner, &platform, "Sparkasse", date(2026, 11, 16))
            .await;
    }
    Ok(())
}

async fn fixture() -> Result<bench::Fixture, BoxError> {
    let kit = TestEnv::new().await;
    kit.clock.set(RUN_TIME.parse()?);
    let operator = kit.fixtures().operator("bench@partnernetz.de").await;
    let partner = kit
        .fixtures()
        .confirmed_partner("bench@baeckerei-mueller.de")
        .await;
    let platform = kit.fixtures().platform("Sparkasse", Cents(4900)).await;
    kit.fixtures()
        .approve(&partner, &platform, "Sparkasse", date(2026, 11, 16))
        .await;
    let (billing, queue) = billing_on(&kit);
    billing::runner::run_in_process(
        &billing,
        &queue,
        Month::parse("2026-12").ok_or("month")?,
        &mut |_| {},
    )
    .await?;
    let calls = vec![
        Call::new(
            "billing",
            "get_billing_runs",
            "read",
            Method::GET,
            "/billing/runs",
        )
        .bearer(&operator.token),
        Call::new(
            "billing",
            "get_partners_me_invoices",
            "read",
            Method::GET,
            "/partners/me/invoices",
        )
        .bearer(&partner.token),
    ];
    Ok(bench::Fixture::new(
        billing::build_with(billing),
        calls,
        kit,
    ))
}

/// Bills the month over `count` seeded partners in-process; returns the seconds it took.
async fn timed_run(billing: &Billing, queue: &LocalQueue, count: usize) -> Result<f64, BoxError> {
    let started = Instant::now();
    let summary = billing::runner::run_in_process(
        billing,
        queue,
        Month::parse("2026-12").ok_or("month")?,
        &mut |_| {},
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    if summary.run.invoices != count as u64 {
        return Err(format!("{} invoices for {count} partners", summary.run.invoices).into());
    }
    Ok(seconds)
}

/// A whole run over `count` fresh partners on SQLite; returns partners per second.
async fn run_throughput(count: usize) -> Result<f64, BoxError> {
    let kit = TestEnv::new().await;
    kit.clock.set(RUN_TIME.parse()?);
    seed(&kit, count).await?;
    let (billing, queue) = billing_on(&kit);
    Ok(count as f64 / timed_run(&billing, &queue, count).await?)
}

/// The worker's peak memory budget with PDF rendering (issue: billing).
const WORKER_PEAK_BUDGET_BYTES: f64 = 32e6;
/// Partners billed on DynamoDB Local: ten batches.
const DYNAMODB_PARTNERS: usize = 200;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == dynamodb_run::CHILD_FLAG) {
        return dynamodb_run::child(&args[at + 1..]);
    }
    let mut run = bench::Run::start(fixture())?;
    run.bench_calls();
    run.criterion.final_summary();
    let (mode, runtime) = (run.mode, &run.runtime);
    if mode == Mode::List {
        return Ok(());
    }
    let calls = run.timed_calls()?;
    let partners = if mode == Mode::Bench { 500 } else { 20 };
    let per_second = runtime.block_on(run_throughput(partners))?;
    let mut figures = vec![json!({
        "figure": format!("billing run in-process on SQLite ({partners} partners, PDF + XRechnung + mail each)"),
        "value": format!("{per_second:.0} partners/s (100 000 ≈ {:.0} s in one process)", 100_000.0 / per_second),
        "number": per_second,
        "unit": "partners/s",
    })];
    if mode == Mode::Bench
        && let Ok(endpoint) = std::env::var(dynamodb_run::ENDPOINT_VAR)
    {
        let run = runtime.block_on(dynamodb_run::measure(&endpoint, DYNAMODB_PARTNERS))?;
        let per_second = run.partners as f64 / run.seconds;
        let peak = run.peak_kb as f64 * 1024.0;
        figures.push(json!({
            "figure": format!("billing run in a fresh process on DynamoDB Local ({} partners, batches of 20)", run.partners),
            "value": format!("{per_second:.0} partners/s (100 000 ≈ {:.0} s in one process)", 100_000.0 / per_second),
            "number": per_second,
            "unit": "partners/s",
        }));
        figures.push(json!({
            "figure": "peak memory (VmHWM) of that process: planner and worker, PDFs rendered, embedded S3 in the same process",
            "value": format!("{:.2} MB", peak / 1e6),
            "number": peak,
            "unit": "bytes",
            "budget": "worker ≤ 32 MB",
            "within": peak <= WORKER_PEAK_BUDGET_BYTES,
        }));
    }
    for f in &figures {
        println!(
            "{}: {}",
            f["figure"].as_str().unwrap_or_default(),
            f["value"].as_str().unwrap_or_default()
        );
    }
    let report = json!({
        "function": "billing",
        "calls": calls,
        "figures": figures,
    });
    match mode {
        Mode::Bench => bench::write_report(report),
        Mode::List | Mode::Test => Ok(()),
    }
}
