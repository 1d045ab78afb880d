//! The measuring half of `cargo xtask bench`, built with the release profile so that the
//! harness adds as little as possible to what it measures. xtask builds the bootstraps,
//! starts DynamoDB Local and sets up the cgroup; this program reads that plan, starts each
//! bootstrap under a fake Lambda Runtime API and writes the raw figures as JSON.

mod bootstrap;
mod runtime_api;
mod scenario;
mod stats;
mod storage;
mod tls_proxy;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::store::DynamoTable;

use crate::bootstrap::{Launch, Running};
use crate::scenario::{Route, RouteKind};
use crate::stats::Stats;

#[derive(Debug, Deserialize)]
struct Plan {
    root: PathBuf,
    out: PathBuf,
    log_dir: PathBuf,
    dynamodb_endpoint: String,
    /// `cgroup.procs` of the CPU-quota cgroup xtask created; none: uncapped only.
    cgroup_procs: Option<PathBuf>,
    cold_starts: usize,
    warmup_invocations: usize,
    warm_invocations: usize,
    login_invocations: usize,
    /// Cold starts only (`cargo xtask bench --cold`): no warm runs, no peak memory.
    #[serde(default)]
    cold_only: bool,
    functions: Vec<PlanFunction>,
}

#[derive(Debug, Deserialize)]
struct PlanFunction {
    name: String,
    bootstrap: PathBuf,
}

#[derive(Debug, Serialize)]
struct Report {
    functions: Vec<FunctionReport>,
}

#[derive(Debug, Serialize)]
struct FunctionReport {
    name: String,
    cold_uncapped: ColdReport,
    cold_capped: Option<ColdReport>,
    /// The same cold starts with DynamoDB behind the TLS proxy, per client setting.
    cold_tls: Vec<TlsColdReport>,
    warm: Vec<RouteReport>,
    /// VmHWM after the read, write and echo routes.
    peak_rss_bytes: u64,
    /// VmHWM after the login route as well (argon2 holds 19 MiB while it hashes).
    peak_rss_after_login_bytes: Option<u64>,
    /// The same DynamoDB calls from a plain SDK client.
    storage: Vec<RouteReport>,
}

#[derive(Debug, Serialize)]
struct ColdReport {
    /// Spawn to the first `next` call: Lambda's init duration.
    init: Stats,
    /// CPU time the bootstrap used until then (all threads): what the quota rations.
    init_cpu: Stats,
    /// The first event after init, which pays for what init left lazy (connections,
    /// credentials, first-use allocations).
    first_invocation: Stats,
    /// CPU time the bootstrap used for that first event: with `init_cpu`, what has to fit in
    /// the 7.2 ms a period grants for the first request not to wait for the next period.
    first_invocation_cpu: Stats,
    first_route: String,
    /// Starts during which the cgroup's quota ran out before init was done (none uncapped).
    throttled_starts: Option<usize>,
}

#[derive(Debug, Serialize)]
struct TlsColdReport {
    /// How the bootstrap's TLS client was set (`TLS_VARIANTS`).
    variant: String,
    uncapped: ColdReport,
    capped: Option<ColdReport>,
}

/// The TLS client's settings the bench compares, each a cold start of the same bootstrap
/// with these variables (read only by builds with `shared`'s `bench-root` feature). The
/// first is what a deployed build does.
const TLS_VARIANTS: &[(&str, &[(&str, &str)])] = &[
    ("connection opened during init", &[]),
    (
        "connected by the first request",
        &[("PARTNERNETZ_BENCH_LAZY_CONNECT", "1")],
    ),
    (
        "opened during init, X25519 only",
        &[("PARTNERNETZ_BENCH_TLS_KX", "x25519")],
    ),
];

#[derive(Debug, Serialize)]
struct RouteReport {
    route: String,
    kind: &'static str,
    source: String,
    stats: Stats,
}

fn main() -> Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .context("usage: harness <plan.json>")?;
    let plan: Plan = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))?;
    // One thread: the Runtime API and the driver share it, so the harness competes with
    // the bootstrap and DynamoDB Local for as little CPU as possible.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let report = runtime.block_on(run(&plan))?;
    let json = serde_json::to_vec_pretty(&report)?;
    std::fs::write(&plan.out, json).with_context(|| format!("writing {}", plan.out.display()))
}

async fn run(plan: &Plan) -> Result<Report> {
    std::fs::create_dir_all(&plan.log_dir)
        .with_context(|| format!("creating {}", plan.log_dir.display()))?;
    let client = storage::client(&plan.dynamodb_endpoint);
    let table = DynamoTable::new(
        client.clone(),
        scenario::TABLE_NAME,
        std::sync::Arc::new(shared::clock::SystemClock),
    );
    table
        .create_table()
        .await
        .context("creating the bench table in DynamoDB Local")?;

    let proxy = tls_proxy::start(&plan.dynamodb_endpoint, &plan.log_dir)
        .context("starting the TLS proxy in front of DynamoDB Local")?;
    let mut functions = Vec::new();
    for function in &plan.functions {
        functions.push(measure(plan, function, &table, &client, &proxy).await?);
    }
    Ok(Report { functions })
}

async fn measure(
    plan: &Plan,
    function: &PlanFunction,
    table: &DynamoTable,
    client: &aws_sdk_dynamodb::Client,
    proxy: &tls_proxy::TlsProxy,
) -> Result<FunctionReport> {
    let name = &function.name;
    let scenario = scenario::prepare(name, &plan.root, table, &plan.dynamodb_endpoint).await?;
    let log = plan.log_dir.join(format!("{name}.log"));
    // A fresh log per run; the starts below append to it.
    std::fs::write(&log, b"").with_context(|| format!("creating {}", log.display()))?;
    let launch = Launch {
        name: name.clone(),
        bootstrap: function.bootstrap.clone(),
        env: scenario.env,
        log,
    };

    let first = scenario
        .routes
        .first()
        .with_context(|| format!("the scenario of {name} has no route"))?;
    progress(name, &format!("{} cold starts, uncapped", plan.cold_starts));
    let cold_uncapped = cold_starts(&launch, first, plan.cold_starts, None).await?;
    let cold_capped = match &plan.cgroup_procs {
        Some(procs) => {
            progress(
                name,
                &format!("{} cold starts under the 7.2 % CPU quota", plan.cold_starts),
            );
            Some(cold_starts(&launch, first, plan.cold_starts, Some(procs)).await?)
        }
        None => None,
    };

    // The baseline talks to no AWS service.
    let mut cold_tls = Vec::new();
    for (variant, vars) in TLS_VARIANTS.iter().filter(|_| name != "baseline") {
        let mut tls_launch = launch.clone();
        for (key, value) in &mut tls_launch.env {
            if key == "AWS_ENDPOINT_URL_DYNAMODB" {
                value.clone_from(&proxy.endpoint);
            }
        }
        tls_launch.env.push((
            "PARTNERNETZ_BENCH_ROOT_PEM".into(),
            proxy.root_pem.display().to_string(),
        ));
        tls_launch
            .env
            .extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        progress(
            name,
            &format!("{} cold starts with TLS, {variant}", plan.cold_starts),
        );
        let uncapped = cold_starts(&tls_launch, first, plan.cold_starts, None).await?;
        let capped = match &plan.cgroup_procs {
            Some(procs) => {
                Some(cold_starts(&tls_launch, first, plan.cold_starts, Some(procs)).await?)
            }
            None => None,
        };
        cold_tls.push(TlsColdReport {
            variant: (*variant).to_owned(),
            uncapped,
            capped,
        });
    }

    if plan.cold_only {
        return Ok(FunctionReport {
            name: name.clone(),
            cold_uncapped,
            cold_capped,
            cold_tls,
            warm: Vec::new(),
            peak_rss_bytes: 0,
            peak_rss_after_login_bytes: None,
            storage: Vec::new(),
        });
    }

    let running = launch.start(None).await?;
    let mut warm = Vec::new();
    let mut storage = Vec::new();
    for route in scenario
        .routes
        .iter()
        .filter(|r| r.kind != RouteKind::Login)
    {
        progress(
            name,
            &format!(
                "{} warm invocations of {}{}",
                plan.warm_invocations,
                route.name,
                if route.storage.is_some() {
                    ", each followed by its DynamoDB calls from a plain SDK client"
                } else {
                    ""
                }
            ),
        );
        let (function, sdk) = invoke_many(
            &running,
            route,
            client,
            plan.warmup_invocations,
            plan.warm_invocations,
        )
        .await?;
        warm.push(function);
        storage.extend(sdk);
    }
    let peak_rss_bytes = running.peak_rss_bytes()?;
    let mut peak_rss_after_login_bytes = None;
    for route in scenario
        .routes
        .iter()
        .filter(|r| r.kind == RouteKind::Login)
    {
        progress(
            name,
            &format!("{} invocations of {}", plan.login_invocations, route.name),
        );
        // A few to warm up: the first hash also faults in argon2's 19 MiB.
        let (function, _) = invoke_many(&running, route, client, 3, plan.login_invocations).await?;
        warm.push(function);
        peak_rss_after_login_bytes = Some(running.peak_rss_bytes()?);
    }
    running.stop().await;

    Ok(FunctionReport {
        name: name.clone(),
        cold_uncapped,
        cold_capped,
        cold_tls,
        warm,
        peak_rss_bytes,
        peak_rss_after_login_bytes,
        storage,
    })
}

async fn cold_starts(
    launch: &Launch,
    first: &Route,
    count: usize,
    cgroup_procs: Option<&Path>,
) -> Result<ColdReport> {
    let cpu_stat = cgroup_procs
        .and_then(Path::parent)
        .map(|dir| dir.join("cpu.stat"));
    let mut init = Vec::with_capacity(count);
    let mut init_cpu = Vec::with_capacity(count);
    let mut first_invocation = Vec::with_capacity(count);
    let mut first_invocation_cpu = Vec::with_capacity(count);
    let mut throttled = 0;
    let mut jitter = Jitter::seeded();
    for _ in 0..count {
        // Lets the previous process die and, under the quota, the group go idle. The random
        // part spreads the starts over the phase of the 100 ms CFS period, as Lambda
        // sandboxes start at arbitrary moments: a fixed pause would always hit one phase.
        let pause = match cgroup_procs {
            Some(_) => 200 + jitter.below(100),
            None => 50,
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let before = cpu_stat.as_deref().map(nr_throttled).transpose()?;
        let running = launch.start(cgroup_procs).await?;
        let cpu = running.cpu_time()?;
        let after = cpu_stat.as_deref().map(nr_throttled).transpose()?;
        if before < after {
            throttled += 1;
        }
        init.push(running.init);
        init_cpu.push(cpu);
        let outcome = running.api.invoke(first.event.clone()).await?;
        check(first, &outcome)?;
        first_invocation.push(outcome.elapsed);
        first_invocation_cpu.push(running.cpu_time()?.saturating_sub(cpu));
        running.stop().await;
    }
    Ok(ColdReport {
        init: Stats::of(init).context("no cold start was measured")?,
        init_cpu: Stats::of(init_cpu).context("no cold start was measured")?,
        first_invocation: Stats::of(first_invocation).context("no first invocation")?,
        first_invocation_cpu: Stats::of(first_invocation_cpu).context("no first invocation")?,
        first_route: first.name.clone(),
        throttled_starts: cpu_stat.map(|_| throttled),
    })
}

/// Pauses of varying length without a dependency: xorshift64, seeded from the clock.
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.subsec_nanos());
        Self(u64::from(nanos) | 1)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Periods in which the cgroup ran out of quota so far (`cpu.stat`, v1 and v2 alike).
fn nr_throttled(cpu_stat: &Path) -> Result<u64> {
    let text = std::fs::read_to_string(cpu_stat)
        .with_context(|| format!("reading {}", cpu_stat.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("nr_throttled "))
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("no nr_throttled in {}", cpu_stat.display()))
}

/// Invokes a route `count` times after `warmup` untimed invocations. Where the route has
/// storage calls, each invocation is followed by the same calls from a plain SDK client,
/// so both meet DynamoDB Local in the same state (its JIT warms up for minutes).
async fn invoke_many(
    running: &Running,
    route: &Route,
    client: &aws_sdk_dynamodb::Client,
    warmup: usize,
    count: usize,
) -> Result<(RouteReport, Option<RouteReport>)> {
    let mut samples = Vec::with_capacity(count);
    let mut sdk_samples = Vec::with_capacity(count);
    for i in 0..warmup + count {
        let outcome = running.api.invoke(route.event.clone()).await?;
        check(route, &outcome)?;
        let sdk = match &route.storage {
            Some(call) => Some(storage::time(client, call).await?),
            None => None,
        };
        if i >= warmup {
            samples.push(outcome.elapsed);
            sdk_samples.extend(sdk);
        }
    }
    let function = RouteReport {
        route: route.name.clone(),
        kind: kind_name(route.kind),
        source: route.source.clone(),
        stats: Stats::of(samples).with_context(|| format!("no invocation of {}", route.name))?,
    };
    let sdk = Stats::of(sdk_samples).map(|stats| RouteReport {
        route: route.name.clone(),
        kind: kind_name(route.kind),
        source: "aws-sdk-dynamodb client in the harness, interleaved with the invocations".into(),
        stats,
    });
    Ok((function, sdk))
}

/// An error answer would time the error path, not the route: stop instead.
fn check(route: &Route, outcome: &runtime_api::Outcome) -> Result<()> {
    let shown =
        || String::from_utf8_lossy(&outcome.body[..outcome.body.len().min(600)]).into_owned();
    ensure!(
        !outcome.error,
        "{} was answered with a Runtime API error: {}",
        route.name,
        shown()
    );
    if route.kind == RouteKind::Echo {
        return Ok(());
    }
    let response: Value = serde_json::from_slice(&outcome.body)
        .with_context(|| format!("{} returned no JSON: {}", route.name, shown()))?;
    if route.kind == RouteKind::Schedule {
        return Ok(());
    }
    match response.get("statusCode").and_then(Value::as_u64) {
        Some(status) if status == u64::from(route.status) => Ok(()),
        other => bail!(
            "{} answered with status {other:?} instead of {}: {}",
            route.name,
            route.status,
            shown()
        ),
    }
}

fn kind_name(kind: RouteKind) -> &'static str {
    match kind {
        RouteKind::Read => "read",
        RouteKind::Write => "write",
        RouteKind::Login => "login",
        RouteKind::Echo => "echo",
        RouteKind::Schedule => "schedule",
    }
}

fn progress(function: &str, what: &str) {
    eprintln!("harness: {function}: {what}");
}
