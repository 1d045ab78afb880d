//! The redirect's router served alone on 127.0.0.1, over the storage local-api gives it
//! (SQLite in a file, WAL) and keeping the links it reads as deployed, for `cargo xtask
//! bench`'s throughput comparison with nginx.
//!
//! usage: `serve-redirect <data-dir> <port> <worker-threads> <link-code>`
//!
//! Starts on a fresh database with one active referral program and one link to it under
//! `<link-code>`, then serves until it is killed. Logs go to stdout as local-api's do.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use redirect::{ClickSecret, RedirectState};
use referrals::records::{Attribution, Program, ProgramStatus, Reward, RewardRule};
use shared::clock::{SharedClock, SystemClock};
use shared::domain::{AccountId, Cents, PartnerId, PlatformId, ProgramId};
use shared::model::referrals::Link;
use shared::store::{Cond, SqliteTable, Table};

const LANDING_URL: &str = "https://example.org/landing";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, port, workers, code] = args.as_slice() else {
        bail!("usage: serve-redirect <data-dir> <port> <worker-threads> <link-code>");
    };
    let port: u16 = port.parse().context("the port")?;
    let workers: usize = workers.parse().context("the number of worker threads")?;
    shared::telemetry::init();
    // As many workers as nginx gets worker processes, so both use the same cores.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(serve(&PathBuf::from(dir), port, code))
}

async fn serve(dir: &Path, port: u16, code: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let db = dir.join("partnernetz.db");
    // A fresh database, so every run starts with the link's first click still uncounted.
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
        }
    }
    let clock: SharedClock = Arc::new(SystemClock);
    let table = SqliteTable::open(&db, clock.clone()).context("opening SQLite")?;
    seed(&table, code).await?;
    // As deployed: each link read is used again for the default keeping time.
    let state = RedirectState::keeping_links_for(
        Arc::new(table),
        clock,
        ClickSecret::new("bench-click-secret-of-at-least-32-chars"),
        redirect::links::DEFAULT_KEEP_SECS,
    );
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{port}"))?;
    // The peer address stands in for API Gateway's source IP, as in local-api.
    axum::serve(
        listener,
        redirect::build(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .context("serving")
}

/// One active program and one member's link to it, as referrals writes them.
async fn seed(table: &SqliteTable, code: &str) -> Result<()> {
    let now = Timestamp::now();
    let program = Program {
        program_id: ProgramId::generate(),
        partner_id: PartnerId::generate(),
        name: "Freunde werben".into(),
        landing_url: LANDING_URL.into(),
        rewards: vec![RewardRule {
            event: "purchase".into(),
            reward: Reward::Fixed {
                amount_cents: Cents(500),
            },
        }],
        recurring_months: Some(0),
        cap_per_referrer: None,
        friend_share_percent: None,
        attribution_days: 30,
        attribution: Attribution::First,
        hold_days: 14,
        voucher_rate: None,
        monthly_budget_cents: None,
        status: ProgramStatus::Active,
        created_at: now,
    };
    let link = Link {
        code: code.to_owned(),
        program_id: program.program_id.clone(),
        partner_id: program.partner_id.clone(),
        referrer: AccountId::generate(),
        platform_id: PlatformId::generate(),
        landing_url: program.landing_url.clone(),
        active: true,
        attribution_days: program.attribution_days,
        referrer_hash: String::new(),
        created_at: now,
    };
    table
        .put(program.to_item()?, Cond::NotExists)
        .await
        .context("seeding the program")?;
    table
        .put(link.to_item()?, Cond::NotExists)
        .await
        .context("seeding the link")?;
    Ok(())
}
