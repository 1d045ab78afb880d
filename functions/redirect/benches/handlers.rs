//! Handler-only latency of the redirect's route (and its crawler filter): the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use criterion::Criterion;
use http::{HeaderValue, Method, StatusCode, header};
use redirect::{ClickSecret, RedirectState};
use serde_json::json;
use shared::domain::{AccountId, PartnerId, PlatformId, ProgramId};
use shared::model::referrals::Link;
use shared::store::{Cond, Table};
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Mode};

const CODE: &str = "Ab3dE6gH9k";
const PATH: &str = "/r/Ab3dE6gH9k";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

struct Call {
    /// Criterion's benchmark id, also its folder under `target/criterion/<group>/`.
    id: &'static str,
    group: &'static str,
    kind: &'static str,
    method: Method,
    path: &'static str,
    user_agent: &'static str,
    /// Every call from another address: each click is counted (two writes).
    new_visitor: bool,
    /// The status a successful call answers.
    expect: StatusCode,
}

impl Call {
    fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

struct Fixture {
    router: Router,
    calls: Vec<Call>,
    /// Numbers the new visitors' addresses.
    visitors: AtomicU32,
    /// Owns the data folder and the embedded S3 for as long as the bench runs.
    _kit: TestEnv,
}

impl Fixture {
    async fn new() -> Result<Self, BoxError> {
        let kit = TestEnv::new().await;
        let link = Link {
            code: CODE.into(),
            program_id: ProgramId::generate(),
            partner_id: PartnerId::generate(),
            referrer: AccountId::generate(),
            platform_id: PlatformId::generate(),
            landing_url: "https://shop.baeckerei-mueller.de/aktion?utm_source=empfehlung".into(),
            active: true,
            attribution_days: 30,
            referrer_hash: String::new(),
            created_at: jiff::Timestamp::now(),
        };
        kit.table.put(link.to_item()?, Cond::NotExists).await?;
        // As deployed: an instance uses a link it read for a few seconds.
        let state = RedirectState::keeping_links_for(
            kit.table.clone(),
            kit.clock.clone(),
            ClickSecret::new("bench"),
            redirect::links::DEFAULT_KEEP_SECS,
        );
        let calls = vec![
            Call {
                id: "get_r_code_browser",
                group: "redirect",
                kind: "write",
                method: Method::GET,
                path: PATH,
                user_agent: CHROME,
                new_visitor: false,
                expect: StatusCode::FOUND,
            },
            Call {
                id: "get_r_code_new_visitor",
                group: "redirect",
                kind: "write",
                method: Method::GET,
                path: PATH,
                user_agent: CHROME,
                new_visitor: true,
                expect: StatusCode::FOUND,
            },
            Call {
                id: "get_r_code_crawler",
                group: "redirect",
                kind: "read",
                method: Method::GET,
                path: PATH,
                user_agent: GOOGLEBOT,
                new_visitor: false,
                expect: StatusCode::FOUND,
            },
        ];
        Ok(Self {
            router: redirect::build(state),
            calls,
            visitors: AtomicU32::new(0),
            _kit: kit,
        })
    }

    async fn send(&self, call: &Call) -> Result<StatusCode, BoxError> {
        let mut request = bench::request(call.method.clone(), call.path, None, None)?;
        let headers = request.headers_mut();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(call.user_agent),
        );
        let address = if call.new_visitor {
            let n = self.visitors.fetch_add(1, Ordering::Relaxed).to_be_bytes();
            HeaderValue::from_str(&format!("10.{}.{}.{}", n[1], n[2], n[3]))?
        } else {
            HeaderValue::from_static("203.0.113.7")
        };
        headers.insert("x-forwarded-for", address);
        bench::send(&self.router, request).await
    }

    async fn expect_ok(&self, call: &Call) -> Result<(), BoxError> {
        bench::expect(&call.route(), self.send(call).await?, call.expect)
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
    {
        let group_name = "redirect";
        let mut group = criterion.benchmark_group(group_name);
        for call in fixture.calls.iter().filter(|c| c.group == group_name) {
            group.bench_function(call.id, |b| {
                b.iter(|| runtime.block_on(fixture.send(call)));
            });
        }
        group.finish();
    }
    // The crawler filter alone, over the list's own examples and the top browsers.
    let agents = user_agents()?;
    redirect::bots::prepare();
    criterion.bench_function("redirect/is_bot_per_user_agent", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % agents.len();
            redirect::bots::is_bot(&agents[i])
        });
    });
    criterion.final_summary();

    match mode {
        Mode::List => Ok(()),
        Mode::Test => runtime.block_on(per_call(&fixture, 10)).map(|_| ()),
        Mode::Bench => runtime
            .block_on(per_call(&fixture, 10_000))
            .and_then(bench::write_report),
    }
}

/// The crawler list's examples and the 100 most common browsers, shipped in `data/`.
fn user_agents() -> Result<Vec<String>, BoxError> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    let crawlers: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(
        dir.join("crawler-user-agents.json"),
    )?)?;
    let mut agents: Vec<String> = crawlers
        .iter()
        .flat_map(|c| c["instances"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i.as_str().map(str::to_owned))
        .collect();
    let browsers: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("top-user-agents.json"))?)?;
    agents.extend(browsers);
    Ok(agents)
}

/// Times single calls: 10 000 of each route, after a warm-up.
async fn per_call(fixture: &Fixture, count: usize) -> Result<serde_json::Value, BoxError> {
    let mut calls = Vec::new();
    for call in &fixture.calls {
        let timed = bench::Timed {
            route: call.route(),
            kind: call.kind,
            criterion: format!("{}/{}", call.group, call.id),
            expected: call.expect,
        };
        calls.push(bench::per_call(&timed, count / 10, count, || fixture.send(call)).await?);
    }
    Ok(json!({ "function": "redirect", "calls": calls }))
}
