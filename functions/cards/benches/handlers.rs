//! Handler-only latency of the cards' hot routes: the till's lookup and a booking with its
//! idempotency key, driven in-process with `tower::ServiceExt::oneshot` over SQLite in
//! memory (no Lambda, no network). Criterion's estimates, plus 10 000 individually timed
//! calls per route for p50 and p99; `cargo xtask bench` sets `PARTNERNETZ_BENCH_OUT`.
//! Under `cargo test` every route runs a few times.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use http::{Method, Request, StatusCode};
use serde_json::json;
use shared::auth::{Role, Scope};
use shared::clock::Clock;
use shared::testing::bench::{self, BoxError, Call, Requests};
use shared::testing::{Client, TestEnv};

/// The call whose every request is a new booking.
const BOOKING: &str = "post_booking";

/// Requests whose bookings each carry an `Idempotency-Key` of their own.
struct Bookings {
    keys: AtomicU64,
}

impl Requests for Bookings {
    fn request(&self, call: &Call) -> Result<Request<Body>, BoxError> {
        let mut request = bench::call_request(call)?;
        if call.id == BOOKING {
            let key = self.keys.fetch_add(1, Ordering::Relaxed);
            request
                .headers_mut()
                .insert("idempotency-key", format!("bench-{key}").parse()?);
        }
        Ok(request)
    }
}

async fn fixture() -> Result<bench::Fixture<Bookings>, BoxError> {
    let kit = TestEnv::new().await;
    let router = cards::build(&kit.env);
    let client = Client::in_process(router.clone());
    let fixtures = kit.fixtures();
    let operator = fixtures.operator("olga@betreiber.de").await;
    let partner = fixtures
        .confirmed_partner("bench@baeckerei-mueller.de")
        .await;
    let price = json!({"fee_per_terminal_user_cents": 990});
    client
        .call("PUT", "/cards/price", Some(price), Some(&operator.token))
        .await;
    client
        .call("POST", "/cards/contract", None, Some(&partner.token))
        .await;
    let rules =
        json!({"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1, "expiry_months": 24});
    let program = client
        .call(
            "POST",
            "/cards/programs",
            Some(json!({"name": "Bonus", "rules": rules})),
            Some(&partner.token),
        )
        .await;
    let program_id = program.body["program_id"].as_str().ok_or("no program")?;
    let batch = client
        .call(
            "POST",
            &format!("/cards/programs/{program_id}/batches"),
            Some(json!({"count": 1})),
            Some(&partner.token),
        )
        .await;
    let number = batch.body["numbers"][0]
        .as_str()
        .ok_or("no card")?
        .to_string();
    let pos = kit.issuer.issue_scoped(
        shared::domain::AccountId::generate().as_str(),
        Role::Pos,
        Some(partner.id.to_string()),
        vec![],
        Scope::Pos(partner.id.clone()),
        kit.clock.epoch(),
    )?;
    let calls = vec![
        Call::new(
            "cards",
            "get_pos_card",
            "read",
            Method::GET,
            "/cards/pos/cards/{number}",
        )
        .path(format!("/cards/pos/cards/{number}"))
        .bearer(&pos),
        Call::new(
            "cards",
            BOOKING,
            "write",
            Method::POST,
            "/cards/pos/cards/{number}/bookings",
        )
        .path(format!("/cards/pos/cards/{number}/bookings"))
        .bearer(&pos)
        .json(&json!({"type": "earn", "amount_cents": 2350}))
        .expect(StatusCode::CREATED),
    ];
    Ok(
        bench::Fixture::new(router, calls, kit).with_requests(Bookings {
            keys: AtomicU64::new(0),
        }),
    )
}

fn main() -> Result<(), BoxError> {
    bench::run("cards", fixture())
}
