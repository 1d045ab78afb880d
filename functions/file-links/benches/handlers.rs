//! Handler-only latency of file-links' routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates and, because a sample mean hides the tail,
//! 10 000 individually timed calls for p50 and p99. `cargo xtask bench` runs this with
//! `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to the file the per-call figures go to.
//! Under `cargo test` every route runs a few times.

use http::Method;
use serde_json::json;
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::testing::bench::{self, BoxError, Call};
use shared::testing::{Client, TestEnv};

/// A supplier with a booking, a customer with a sealed folder password, and two global
/// links: what a customer's folder page reads.
async fn fixture() -> Result<bench::Fixture, BoxError> {
    let kit = TestEnv::new().await;
    let router = file_links::build(&kit.env);
    let client = Client::in_process(router.clone());
    let supplier = kit.fixtures().confirmed_partner("bench@kanzlei.de").await;
    let call = |method: &'static str, path: &'static str, body: serde_json::Value| {
        let client = &client;
        let token = supplier.token.clone();
        async move {
            let reply = client.call(method, path, Some(body), Some(&token)).await;
            if reply.status.is_success() {
                Ok(reply.body)
            } else {
                Err(format!("{method} {path}: {} {}", reply.status, reply.body))
            }
        }
    };
    call(
        "POST",
        "/file-links/account",
        json!({"slug": "bench-kanzlei"}),
    )
    .await?;
    let customer = call(
            "POST",
            "/file-links/customers",
            json!({"first_name": "Karl", "last_name": "Kunde", "email": "karl@kunde.example",
                   "folder_url": "https://cloud.example.de/s/Karl", "folder_password": "ordner-geheim-1"}),
        )
        .await?;
    for name in ["AGB", "Preisliste"] {
        call(
                "POST",
                "/file-links/links",
                json!({"name": name, "url": "https://cloud.example.de/s/Alle", "password": "fuer-alle-1"}),
            )
            .await?;
    }
    let customer_id = customer["id"].as_str().ok_or("no customer id")?.to_string();
    // The token registration's login would issue to the customer.
    let token = kit.issuer.issue_scoped(
        &customer_id,
        Role::Customer,
        Some(supplier.id.to_string()),
        vec![],
        Scope::Customer(supplier.id.clone()),
        kit.clock.epoch(),
    )?;
    let calls = vec![
        Call::new(
            "file-links",
            "get_me_folders",
            "read",
            Method::GET,
            "/me/folders",
        )
        .bearer(&token),
        Call::new(
            "file-links",
            "get_file_links_account",
            "read",
            Method::GET,
            "/file-links/account",
        )
        .bearer(&supplier.token),
        Call::new(
            "file-links",
            "post_me_folder_password",
            "write",
            Method::POST,
            "/me/folders/{folder_id}/password",
        )
        .path(format!("/me/folders/{customer_id}/password"))
        .bearer(&token),
    ];
    Ok(bench::Fixture::new(router, calls, kit))
}

fn main() -> Result<(), BoxError> {
    bench::run("file-links", fixture())
}
