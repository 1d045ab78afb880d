//! Handler-only latency of the redirect's route (and its crawler filter): the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use axum::body::Body;
use http::{HeaderValue, Method, Request, StatusCode, header};
use redirect::{ClickSecret, RedirectState};
use serde_json::json;
use shared::domain::{AccountId, PartnerId, PlatformId, ProgramId};
use shared::model::referrals::Link;
use shared::store::{Cond, Table};
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Call, Mode, Requests};

const CODE: &str = "Ab3dE6gH9k";
const PATH: &str = "/r/Ab3dE6gH9k";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// Every call from another address: each click is counted (two writes).
const NEW_VISITOR: &str = "get_r_code_new_visitor";
const CRAWLER: &str = "get_r_code_crawler";

/// Requests of a browser or a crawler, from the same address or, for new visitors, another
/// one each time.
struct Visitors {
    /// Numbers the new visitors' addresses.
    count: AtomicU32,
}

impl Requests for Visitors {
    fn request(&self, call: &Call) -> Result<Request<Body>, BoxError> {
        let mut request = bench::call_request(call)?;
        let headers = request.headers_mut();
        let user_agent = if call.id == CRAWLER {
            GOOGLEBOT
        } else {
            CHROME
        };
        headers.insert(header::USER_AGENT, HeaderValue::from_static(user_agent));
        let address = if call.id == NEW_VISITOR {
            let n = self.count.fetch_add(1, Ordering::Relaxed).to_be_bytes();
            HeaderValue::from_str(&format!("10.{}.{}.{}", n[1], n[2], n[3]))?
        } else {
            HeaderValue::from_static("203.0.113.7")
        };
        headers.insert("x-forwarded-for", address);
        Ok(request)
    }
}

async fn fixture() -> Result<bench::Fixture<Visitors>, BoxError> {
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
    let click = |id, kind| {
        Call::new("redirect", id, kind, Method::GET, "/r/{code}")
            .path(PATH)
            .expect(StatusCode::FOUND)
    };
    let calls = vec![
        click("get_r_code_browser", "write"),
        click(NEW_VISITOR, "write"),
        click(CRAWLER, "read"),
    ];
    Ok(
        bench::Fixture::new(redirect::build(state), calls, kit).with_requests(Visitors {
            count: AtomicU32::new(0),
        }),
    )
}

/// The crawler filter's budget per user agent (issue: bot filter).
const FILTER_BUDGET_NS: f64 = 1000.0;

fn main() -> Result<(), BoxError> {
    let mut run = bench::Run::start(fixture())?;
    run.bench_calls();
    // The crawler filter alone, over every crawler and browser of the lists and test sets.
    let agents = user_agents()?;
    redirect::bots::prepare();
    run.criterion
        .bench_function("redirect/is_bot_per_user_agent", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % agents.len();
                redirect::bots::is_bot(&agents[i])
            });
        });
    run.criterion.final_summary();
    let mode = run.mode;
    if mode == Mode::List {
        return Ok(());
    }
    let calls = run.timed_calls()?;
    let rounds = if mode == Mode::Bench { 20 } else { 1 };
    let (mean_ns, bots) = filter_cost(&agents, rounds);
    let figure = json!({
        "figure": format!("crawler filter per user agent, mean over {} agents ({bots} taken for bots) × {rounds}", agents.len()),
        "value": format!("{mean_ns:.0} ns"),
        "number": mean_ns,
        "unit": "ns",
        "budget": "< 1 µs",
        "within": mean_ns < FILTER_BUDGET_NS,
    });
    println!("{}: {}", figure["figure"], figure["value"]);
    let report = json!({
        "function": "redirect",
        "calls": calls,
        "figures": [figure],
    });
    match mode {
        Mode::Bench => bench::write_report(report),
        Mode::List | Mode::Test => Ok(()),
    }
}

/// The filter's mean cost per agent over `rounds` passes through all of them (one pass
/// timed as a whole: timing each agent alone would mostly measure the clock), and how many
/// it takes for bots.
fn filter_cost(agents: &[String], rounds: u32) -> (f64, usize) {
    let bots = agents
        .iter()
        .filter(|ua| redirect::bots::is_bot(ua))
        .count();
    let started = Instant::now();
    for _ in 0..rounds {
        for ua in agents {
            std::hint::black_box(redirect::bots::is_bot(std::hint::black_box(ua)));
        }
    }
    let total = started.elapsed().as_secs_f64() * 1e9;
    (total / (agents.len() as f64 * f64::from(rounds)), bots)
}

/// The crawler list's examples and the 100 most common browsers, shipped in `data/`, and
/// the test sets' 1 342 bots and 1 906 browsers (`tests/data/`): about 5 500 agents.
fn user_agents() -> Result<Vec<String>, BoxError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let read =
        |path: &str| -> Result<String, BoxError> { Ok(std::fs::read_to_string(root.join(path))?) };
    let crawlers: Vec<serde_json::Value> =
        serde_json::from_str(&read("data/crawler-user-agents.json")?)?;
    let mut agents: Vec<String> = crawlers
        .iter()
        .flat_map(|c| c["instances"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i.as_str().map(str::to_owned))
        .collect();
    for list in [
        "data/top-user-agents.json",
        "tests/data/matomo-bots.json",
        "tests/data/matomo-browsers.json",
    ] {
        let more: Vec<String> = serde_json::from_str(&read(list)?)?;
        agents.extend(more);
    }
    Ok(agents)
}
