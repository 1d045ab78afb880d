//! Handler-only latency of registration's routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99
//! (20 logins: argon2id takes tens of milliseconds). `cargo xtask bench` runs this with
//! `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to the file the per-call figures go to.
//! Under `cargo test` every route runs a few times.

use http::Method;
use serde_json::json;
use shared::testing::bench::{self, BoxError, Call};
use shared::testing::{PASSWORD, TestEnv};

const EMAIL: &str = "bench@baeckerei-mueller.de";

async fn fixture() -> Result<bench::Fixture, BoxError> {
    let kit = TestEnv::new().await;
    let partner = kit.fixtures().confirmed_partner(EMAIL).await;
    let calls = vec![
        Call::new(
            "registration",
            "get_partners_me",
            "read",
            Method::GET,
            "/partners/me",
        )
        .bearer(&partner.token),
        Call::new(
            "registration",
            "patch_partners_me",
            "write",
            Method::PATCH,
            "/partners/me",
        )
        .bearer(&partner.token)
        .json(&json!({ "company": "Bäckerei Müller GmbH" })),
        Call::new(
            "registration-login",
            "post_auth_login",
            "login",
            Method::POST,
            "/auth/login",
        )
        .json(&json!({ "email": EMAIL, "password": PASSWORD })),
    ];
    Ok(bench::Fixture::new(
        registration::build(&kit.env),
        calls,
        kit,
    ))
}

fn main() -> Result<(), BoxError> {
    bench::run("registration", fixture())
}
