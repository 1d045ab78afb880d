//! Handler-only latency of offers' hot routes: the axum router driven in-process with
//! `tower::ServiceExt::oneshot`, SQLite in memory as the table, no Lambda, no network. The
//! feed page is a full page: 20 approved offers with an image each.
//!
//! Two figures per route: criterion's estimates (mean, median of per-sample means) and,
//! because a sample mean hides the tail, 10 000 individually timed calls for p50 and p99.
//! `cargo xtask bench` runs this with `cargo bench` and sets `PARTNERNETZ_BENCH_OUT` to
//! the file the per-call figures go to. Under `cargo test` every route runs a few times.

use axum::body::Body;
use http::{Method, Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shared::domain::Cents;
use shared::testing::TestEnv;
use shared::testing::bench::{self, BoxError, Call};
use tower::ServiceExt;

const OFFERS: usize = 20;

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(1024, 1);
    bytes
}

/// A platform with a full feed page of one approved partner's offers, set up through
/// the routes themselves (images stored directly, as the browser's upload would).
async fn fixture() -> Result<bench::Fixture, BoxError> {
    let kit = TestEnv::new().await;
    let router = offers::build(&kit.env);
    let f = kit.fixtures();
    let platform = f.platform("Sparkasse Bench", Cents(4900)).await;
    let manager = f.manager_of("bench-manager@sparkasse.de", &platform).await;
    let partner = f.confirmed_partner("bench@baeckerei-mueller.de").await;
    let _now = shared::clock::Clock::now(kit.clock.as_ref());
    let today = shared::clock::Clock::today(kit.clock.as_ref());
    f.approve(&partner, &platform, "Sparkasse Bench", today)
        .await;
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
        Call::new(
            "offers",
            "get_feed_page",
            "read",
            Method::GET,
            "/platforms/{platform_id}/offers",
        )
        .path(format!("/platforms/{platform}/offers")),
        Call::new(
            "offers",
            "get_offer_detail",
            "read",
            Method::GET,
            "/offers/{offer_id}",
        )
        .path(format!("/offers/{last}?platform_id={platform}")),
        Call::new(
            "offers",
            "get_partners_me_offers",
            "read",
            Method::GET,
            "/partners/me/offers",
        )
        .bearer(&partner.token),
    ];
    Ok(bench::Fixture::new(router, calls, kit))
}

fn main() -> Result<(), BoxError> {
    bench::run("offers", fixture())
}
