//! Withdrawing an offer published on many platforms, with placements in every month it can be
//! booked: more writes than one transaction may hold. It is withdrawn platform by platform;
//! interrupted half-way, what partners and end customers see stays consistent, and the retry
//! finishes the work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::domain::Month;
use shared::domain::{Cents, PlatformId};
use shared::store::{
    Cond, Consistency, Item, Key, Named, Query, SharedTable, StoreError, StoredPage, Table, Update,
};
use shared::testing::Client;

use crate::world::{World, ids};

const PLATFORMS: usize = 20;
const CATEGORIES: [&str; 3] = ["essen", "mode", "reisen"];
/// This month and the six months ahead, each booked on every platform.
const MONTHS: usize = 7;
const PRICE: i64 = 1900;

/// A table whose `fail_at`-th transaction from now on fails as if the function had been
/// stopped there (nothing of that transaction is written); every other call goes through.
struct Interrupted {
    inner: SharedTable,
    transactions: AtomicUsize,
    fail_at: usize,
}

#[async_trait]
impl Table for Interrupted {
    async fn get_with(&self, key: &Key, c: Consistency) -> Result<Option<Item>, StoreError> {
        self.inner.get_with(key, c).await
    }
    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        self.inner.put(item, cond).await
    }
    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError> {
        self.inner.update(key, ops, cond).await
    }
    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError> {
        self.inner.delete(key, cond).await
    }
    async fn query_stored(&self, query: Query) -> Result<StoredPage, StoreError> {
        self.inner.query_stored(query).await
    }
    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError> {
        if self.transactions.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(StoreError::unavailable(std::io::Error::other(
                "the function was stopped",
            )));
        }
        self.inner.transact(ops).await
    }
}

struct Published {
    offer: String,
    platforms: Vec<PlatformId>,
    months: Vec<Month>,
}

/// An offer of the partner in three categories on twenty platforms, placed in every month it
/// can be booked on each.
async fn published_everywhere(w: &World) -> Published {
    let f = w.kit.fixtures();
    let mut platforms = vec![w.pa.clone(), w.pb.clone()];
    for i in platforms.len()..PLATFORMS {
        platforms.push(f.platform(&format!("Bank {i}"), Cents(1000)).await);
    }
    for platform in &platforms {
        w.approve_on(&w.partner.id, platform).await;
    }
    let mut body = w.offer_body(&platforms.iter().collect::<Vec<_>>());
    body["categories"] = json!(CATEGORIES);
    body["valid_to"] = json!(
        w.today()
            .checked_add(jiff::Span::new().days(240))
            .unwrap()
            .to_string()
    );
    let created = w
        .call("POST", "/offers", Some(body), Some(&w.partner.token))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let offer = created.body["offer_id"].as_str().unwrap().to_string();
    let submitted = w.submit(&w.partner, &offer).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let mut months = vec![Month::of(w.today())];
    while months.len() < MONTHS {
        months.push(months[months.len() - 1].next());
    }
    for platform in &platforms {
        w.approve(&w.operator, platform, &offer).await;
        let kind = w
            .call(
                "POST",
                &format!("/platforms/{platform}/placement-kinds"),
                Some(json!({"name": "Top", "price_cents": PRICE, "slots_per_month": 2})),
                Some(&w.operator.token),
            )
            .await;
        assert_eq!(kind.status, StatusCode::CREATED, "{}", kind.body);
        for month in &months {
            let booked = w
                .call(
                    "POST",
                    &format!("/offers/{offer}/placements"),
                    Some(json!({"platform_id": platform.as_str(), "kind_id": kind.body["kind_id"], "month": month.to_string()})),
                    Some(&w.partner.token),
                )
                .await;
            assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
        }
    }
    Published {
        offer,
        platforms,
        months,
    }
}

/// Whether the offer is in every facet of the platform's feed (or in none; anything between
/// fails the test).
async fn in_feed(w: &World, platform: &PlatformId, offer: &str) -> bool {
    let mut found = Vec::new();
    for facet in std::iter::once("").chain(CATEGORIES) {
        let query = if facet.is_empty() {
            String::new()
        } else {
            format!("?category={facet}")
        };
        let page = w
            .call(
                "GET",
                &format!("/platforms/{platform}/offers{query}"),
                None,
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        found.push(ids(&page.body["offers"]).contains(&offer.to_string()));
    }
    assert!(
        found.iter().all(|f| *f == found[0]),
        "every facet of {platform} agrees: {found:?}"
    );
    found[0]
}

/// The offer's state per platform as its partner's list shows it.
async fn states(w: &World, offer: &str) -> Vec<(String, Value)> {
    let mine = w
        .call("GET", "/partners/me/offers", None, Some(&w.partner.token))
        .await;
    let listed = mine.body["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["offer_id"] == offer)
        .unwrap()
        .clone();
    listed["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["status"].as_str().unwrap().to_string(),
                p["placed_months"].clone(),
            )
        })
        .collect()
}

/// The partner's bookings per platform: month and state.
async fn bookings(w: &World) -> Vec<(String, String, String)> {
    let mine = w
        .call(
            "GET",
            "/partners/me/placements",
            None,
            Some(&w.partner.token),
        )
        .await;
    mine.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["platform_id"].as_str().unwrap().to_string(),
                b["month"].as_str().unwrap().to_string(),
                b["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every platform is either still showing the offer with all its placements, or has it
/// withdrawn with the placements of later months cancelled; feed, list and bookings agree.
/// Returns how many platforms still show it.
async fn consistent(w: &World, p: &Published) -> usize {
    let states = states(w, &p.offer).await;
    let bookings = bookings(w).await;
    let this_month = p.months[0].to_string();
    let mut shown = 0;
    for (platform, (status, placed)) in p.platforms.iter().zip(&states) {
        let on: Vec<_> = bookings
            .iter()
            .filter(|(pf, _, _)| pf == platform.as_str())
            .collect();
        assert_eq!(on.len(), MONTHS, "{platform}");
        let visible = in_feed(w, platform, &p.offer).await;
        match status.as_str() {
            "approved" => {
                shown += 1;
                assert!(visible, "{platform} approved, so in its feed");
                assert!(on.iter().all(|(_, _, s)| s == "booked"), "{on:?}");
                assert_eq!(placed.as_array().unwrap().len(), MONTHS, "{placed}");
            }
            "withdrawn" => {
                assert!(!visible, "{platform} withdrawn, so out of its feed");
                for (_, month, state) in &on {
                    let expected = if *month == this_month {
                        "booked"
                    } else {
                        "cancelled"
                    };
                    assert_eq!(state, expected, "{platform} {month}");
                }
                assert_eq!(placed, &json!([this_month]), "{platform}");
            }
            other => panic!("{platform}: {other}"),
        }
    }
    shown
}

async fn withdraw(client: &Client, w: &World, offer: &str) -> shared::testing::Reply {
    client
        .call(
            "POST",
            &format!("/offers/{offer}/withdraw"),
            None,
            Some(&w.partner.token),
        )
        .await
}

#[tokio::test]
async fn an_offer_on_twenty_platforms_with_placements_is_withdrawn_everywhere() {
    let w = World::new().await;
    let p = published_everywhere(&w).await;
    assert_eq!(consistent(&w, &p).await, PLATFORMS);

    let reply = withdraw(&w.client, &w, &p.offer).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let statuses: Vec<&str> = reply.body["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["withdrawn"; PLATFORMS]);
    assert_eq!(consistent(&w, &p).await, 0);
    // Billed: this month on every platform; the later months nowhere.
    let this_month = w
        .call(
            "GET",
            &format!("/partners/me/placements?month={}", p.months[0]),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(this_month.body["total_cents"], PRICE * PLATFORMS as i64);
    for month in &p.months[1..] {
        let later = w
            .call(
                "GET",
                &format!("/partners/me/placements?month={month}"),
                None,
                Some(&w.partner.token),
            )
            .await;
        assert_eq!(later.body["total_cents"], 0, "{month}");
    }
}

#[tokio::test]
async fn a_withdrawal_stopped_half_way_stays_consistent_and_a_retry_finishes_it() {
    let w = World::new().await;
    let p = published_everywhere(&w).await;
    let table = Arc::new(Interrupted {
        inner: w.kit.table.clone(),
        transactions: AtomicUsize::new(0),
        fail_at: 3,
    });
    let mut env = w.kit.env.clone();
    env.table = table.clone();
    let stopping = Client::in_process(offers::build(&env));

    let stopped = withdraw(&stopping, &w, &p.offer).await;
    assert_eq!(
        stopped.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        stopped.body
    );
    let shown = consistent(&w, &p).await;
    assert!(
        0 < shown && shown < PLATFORMS,
        "withdrawn on some platforms, still shown on the others: {shown}"
    );

    let retried = withdraw(&stopping, &w, &p.offer).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(consistent(&w, &p).await, 0);
    assert!(table.transactions.load(Ordering::SeqCst) > 3);
}
