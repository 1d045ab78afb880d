//! Handler-only latency of offers' hot routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network. The
//! feed page is a full page: 20 approved offers with an image each.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use axum::Router;
use axum::body::Body;
use criterion::Criterion;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shared::domain::Cents;
use shared::model::subscriptions::{Application, ApplicationStatus};
use shared::store::{Cond, Table};
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Mode};
use tower::ServiceExt;

const OFFERS: usize = 20;

struct Call {
    /// Criterion's benchmark id, also its folder under `target/criterion/<group>/`.
    id: &'static str,
    group: &'static str,
    kind: &'static str,
    method: Method,
    /// The route as the table declares it, for the report.
    template: &'static str,
    path: String,
    authorization: Option<String>,
    body: Option<String>,
}

impl Call {
    fn route(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn route_name(&self) -> String {
        format!("{} {}", self.method, self.template)
    }
}

struct Fixture {
    router: Router,
    calls: Vec<Call>,
    /// Owns the data folder and the embedded S3 for as long as the bench runs.
    _kit: TestEnv,
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(1024, 1);
    bytes
}

impl Fixture {
    /// A platform with a full feed page of one approved partner's offers, set up through
    /// the routes themselves (images stored directly, as the browser's upload would).
    async fn new() -> Result<Self, BoxError> {
        let kit = TestEnv::new().await;
        let router = offers::build(&kit.env);
        let f = kit.fixtures();
        let platform = f.platform("Sparkasse Bench", Cents(4900)).await;
        let manager = f.manager_of("bench-manager@sparkasse.de", &platform).await;
        let partner = f.confirmed_partner("bench@baeckerei-mueller.de").await;
        let now = shared::clock::Clock::now(kit.clock.as_ref());
        let today = shared::clock::Clock::today(kit.clock.as_ref());
        let app = Application {
            partner_id: partner.id.clone(),
            platform_id: platform.clone(),
            platform_name: "Sparkasse Bench".into(),
            company: "Bäckerei Müller".into(),
            contact_email: partner.email.clone(),
            status: ApplicationStatus::Approved,
            applied_at: now,
            decided_at: Some(now),
            approved_on: Some(today),
            rejection_reason: None,
            cancelled_at: None,
            ends_on: None,
        };
        kit.table.put(app.to_item()?, Cond::Always).await?;
        let call = |method: &str, path: String, body: Option<Value>, token: &str| {
            let router = router.clone();
            let token = token.to_string();
            let method = method.to_string();
            async move {
                let mut req = Request::builder()
                    .method(method.as_str())
                    .uri(&path)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"));
                let body = match body {
                    Some(b) => {
                        req = req.header(header::CONTENT_TYPE, "application/json");
                        Body::from(b.to_string())
                    }
                    None => Body::empty(),
                };
                let res = router.oneshot(req.body(body)?).await?;
                let status = res.status();
                let bytes = res.into_body().collect().await?.to_bytes();
                if !status.is_success() {
                    return Err(format!("{method} {path}: {status}").into());
                }
                Ok::<Value, BoxError>(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
            }
        };
        let mut last = String::new();
        for n in 0..OFFERS {
            let body = json!({
                "title": format!("Angebot {n}: 15 % auf alle Torten"),
                "teaser": "Für alle Kundinnen und Kunden der Sparkasse",
                "description": "Zeigen Sie den Gutschein an der Theke.",
                "benefit": {"kind": "percent", "value": 15},
                "online": {"shop_url": "https://shop.baeckerei.de", "discount_code": "TORTE15"},
                "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "TORTE15"},
                "valid_from": today.to_string(),
                "valid_to": today.checked_add(jiff::Span::new().days(60))?.to_string(),
                "categories": ["essen", "freizeit"],
                "platforms": [platform.as_str()],
            });
            let offer = call("POST", "/offers".into(), Some(body), &partner.token).await?;
            let id = offer["offer_id"].as_str().unwrap_or_default().to_string();
            let image = call(
                "POST",
                format!("/offers/{id}/images"),
                Some(json!({"content_type": "image/png", "size_bytes": 1024})),
                &partner.token,
            )
            .await?;
            let key = format!(
                "offers/{}/{id}/{}.png",
                partner.id,
                image["image"]["image_id"].as_str().unwrap_or_default()
            );
            kit.env.blobs.put(&key, "image/png", png()).await?;
            call("POST", format!("/offers/{id}/submit"), None, &partner.token).await?;
            call(
                "POST",
                format!("/platforms/{platform}/reviews/{id}/decision"),
                Some(json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}})),
                &manager.token,
            )
            .await?;
            last = id;
        }
        let calls = vec![
            Call {
                id: "get_feed_page",
                group: "offers",
                kind: "read",
                method: Method::GET,
                template: "/platforms/{platform_id}/offers",
                path: format!("/platforms/{platform}/offers"),
                authorization: None,
                body: None,
            },
            Call {
                id: "get_offer_detail",
                group: "offers",
                kind: "read",
                method: Method::GET,
                template: "/offers/{offer_id}",
                path: format!("/offers/{last}?platform_id={platform}"),
                authorization: None,
                body: None,
            },
            Call {
                id: "get_partners_me_offers",
                group: "offers",
                kind: "read",
                method: Method::GET,
                template: "/partners/me/offers",
                path: "/partners/me/offers".into(),
                authorization: Some(format!("Bearer {}", partner.token)),
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
    {
        let group_name = "offers";
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
            route: call.route_name(),
            kind: call.kind,
            criterion: format!("{}/{}", call.group, call.id),
            expected: StatusCode::OK,
        };
        calls.push(bench::per_call(&timed, count / 10, count, || fixture.send(call)).await?);
    }
    Ok(json!({ "function": "offers", "calls": calls }))
}
