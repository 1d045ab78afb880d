//! Handler-only latency of referrals' routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use http::Method;
use serde_json::json;
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Call};

const EMAIL: &str = "bench@baeckerei-mueller.de";

async fn fixture() -> Result<bench::Fixture, BoxError> {
    let kit = TestEnv::new().await;
    let partner = kit.fixtures().confirmed_partner(EMAIL).await;
    let calls = vec![
        Call::new(
            "referrals",
            "get_programs",
            "read",
            Method::GET,
            "/programs",
        )
        .bearer(&partner.token),
        Call::new(
            "referrals",
            "put_partners_me_referral_domains",
            "write",
            Method::PUT,
            "/partners/me/referral-domains",
        )
        .bearer(&partner.token)
        .json(&json!({ "domains": ["baeckerei-mueller.de"] })),
    ];
    Ok(bench::Fixture::new(referrals::build(&kit.env), calls, kit))
}

fn main() -> Result<(), BoxError> {
    bench::run("referrals", fixture())
}
