//! Handler-only latency of file-links' routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network.
//!
//! Two figures per route: criterion's estimates and, because a sample mean hides the tail,
//! 10 000 individually timed calls for p50 and p99. `cargo xtask bench` runs this with
//! `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to the file the per-call figures go to.
//! Under `cargo test` every route runs a few times.

use axum::Router;
use criterion::Criterion;
use http::{Method, StatusCode};
use serde_json::json;
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::testing::bench::{self, BoxError, Mode};
use shared::testing::{Client, TestEnv};

struct Call {
    /// Criterion's benchmark id, also its folder under `target/criterion/<group>/`.
    id: &'static str,
    group: &'static str,
    kind: &'static str,
    method: Method,
    path: String,
    authorization: Option<String>,
    body: Option<String>,
}

impl Call {
    fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

struct Fixture {
    router: Router,
    calls: Vec<Call>,
    /// Owns the data folder and the embedded S3 for as long as the bench runs.
    _kit: TestEnv,
}

impl Fixture {
    /// A supplier with a booking, a customer with a sealed folder password, and two global
    /// links: what a customer's folder page reads.
    async fn new() -> Result<Self, BoxError> {
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
        let customer_bearer = Some(format!("Bearer {token}"));
        let calls = vec![
            Call {
                id: "get_me_folders",
                group: "file-links",
                kind: "read",
                method: Method::GET,
                path: "/me/folders".into(),
                authorization: customer_bearer.clone(),
                body: None,
            },
            Call {
                id: "get_file_links_account",
                group: "file-links",
                kind: "read",
                method: Method::GET,
                path: "/file-links/account".into(),
                authorization: Some(format!("Bearer {}", supplier.token)),
                body: None,
            },
            Call {
                id: "post_me_folder_password",
                group: "file-links",
                kind: "write",
                method: Method::POST,
                path: format!("/me/folders/{customer_id}/password"),
                authorization: customer_bearer,
                body: None,
            },
        ];
        Ok(Self {
            router,
            calls,
            _kit: kit,
        })
    }

    /// One request through the router, its response body read to the end.
    async fn send(&self, call: &Call) -> Result<StatusCode, BoxError> {
        let request = bench::request(
            call.method.clone(),
            &call.path,
            call.authorization.as_deref(),
            call.body.as_deref(),
        )?;
        bench::send(&self.router, request).await
    }

    async fn expect_ok(&self, call: &Call) -> Result<(), BoxError> {
        bench::expect(&call.route(), self.send(call).await?, StatusCode::OK)
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
    for group_name in ["file-links"] {
        let mut group = criterion.benchmark_group(group_name);
        for call in fixture.calls.iter().filter(|c| c.group == group_name) {
            group.bench_function(call.id, |b| {
                b.iter(|| runtime.block_on(fixture.send(call)));
            });
        }
        group.finish();
    }
    criterion.final_summary();

    match mode {
        Mode::List => Ok(()),
        Mode::Test => runtime.block_on(per_call(&fixture, 10)).map(|_| ()),
        Mode::Bench => runtime
            .block_on(per_call(&fixture, 10_000))
            .and_then(bench::write_report),
    }
}

/// Times single calls: 10 000 of each route, after a warm-up.
async fn per_call(fixture: &Fixture, count: usize) -> Result<serde_json::Value, BoxError> {
    let mut calls = Vec::new();
    for call in &fixture.calls {
        let timed = bench::Timed {
            route: call.route(),
            kind: call.kind,
            criterion: format!("{}/{}", call.group, call.id),
            expected: StatusCode::OK,
        };
        calls.push(bench::per_call(&timed, count / 10, count, || fixture.send(call)).await?);
    }
    Ok(json!({ "function": "file-links", "calls": calls }))
}
