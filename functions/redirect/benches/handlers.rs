//! Handler-only latency of the redirect's route (and its crawler filter): the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use http::{HeaderValue, Method, Request, StatusCode, header};
use redirect::{ClickSecret, RedirectState};
use shared::domain::{AccountId, PartnerId, PlatformId, ProgramId};
use shared::model::referrals::Link;
use shared::store::{Cond, Table};
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Call, Requests};

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

fn main() -> Result<(), BoxError> {
    let mut run = bench::Run::start(fixture())?;
    run.bench_calls();
    // The crawler filter alone, over the list's own examples and the top browsers.
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
    run.finish("redirect")
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
