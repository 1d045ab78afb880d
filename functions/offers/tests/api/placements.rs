//! Premium placements: kinds and prices, booking a free slot, the race for the last slot,
//! placement-first order for the booked month only, cancelling before the month starts.

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::model::billable::billable_partners;
use shared::model::placements::Month;
use shared::store::Table;
use shared::testing::assert_problem;

use crate::world::World;

async fn kind(w: &World, slots: u32) -> String {
    let reply = w
        .call(
            "POST",
            &format!("/platforms/{}/placement-kinds", w.pa),
            Some(json!({"name": "Top-Platzierung", "price_cents": 4900, "slots_per_month": slots})),
            Some(&w.operator.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["kind_id"].as_str().unwrap().to_string()
}

fn booking(w: &World, kind: &str, month: Month) -> Value {
    json!({"platform_id": w.pa.as_str(), "kind_id": kind, "month": month.to_string()})
}

#[tokio::test]
async fn partners_see_the_prices_and_a_booking_moves_the_offer_up_for_that_month_only() {
    let w = World::new().await;
    let older = w.published_on_a(&w.partner).await;
    w.kit.clock.advance(jiff::SignedDuration::from_secs(5));
    let newer = w.published_on_a(&w.other).await;
    assert_eq!(w.feed(&w.pa).await, vec![newer.clone(), older.clone()]);

    let kind = kind(&w, 3).await;
    let prices = w
        .call(
            "GET",
            &format!("/platforms/{}/placement-kinds", w.pa),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(prices.body["kinds"][0]["price_cents"], 4900);
    assert_eq!(prices.body["kinds"][0]["name"], "Top-Platzierung");

    let this_month = Month::of(w.today());
    let booked = w
        .call(
            "POST",
            &format!("/offers/{older}/placements"),
            Some(booking(&w, &kind, this_month)),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    assert_eq!(booked.body["state"], "booked");
    assert_eq!(booked.body["price_cents"], 4900);
    let feed = w
        .call("GET", &format!("/platforms/{}/offers", w.pa), None, None)
        .await;
    assert_eq!(
        crate::world::ids(&feed.body["offers"]),
        vec![older.clone(), newer.clone()]
    );
    assert_eq!(feed.body["offers"][0]["placed"], true);

    // Booked twice for the same month: refused. Billing finds the partner and the booking.
    let twice = w
        .call(
            "POST",
            &format!("/offers/{older}/placements"),
            Some(booking(&w, &kind, this_month)),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&twice, StatusCode::CONFLICT, None);
    let mine = w
        .call(
            "GET",
            &format!("/partners/me/placements?month={this_month}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(mine.body["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["total_cents"], 4900);
    let billable = w.kit.table.query_all(billable_partners()).await.unwrap();
    assert_eq!(billable.len(), 1);

    // The current month cannot be cancelled any more.
    let late = w
        .call(
            "DELETE",
            &format!("/offers/{older}/placements/{}/{this_month}", w.pa),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&late, StatusCode::CONFLICT, None);

    // Next month nothing is booked: newest first again, without any job.
    let next = this_month.next();
    let days = (next.first_day() - w.today()).get_days();
    w.kit
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * i64::from(days)));
    assert_eq!(w.feed(&w.pa).await, vec![newer, older]);
}

#[tokio::test]
async fn a_booking_is_cancelled_until_its_month_starts_and_is_not_billed() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 1).await;
    let next = Month::of(w.today()).next();
    let path = format!("/offers/{offer}/placements");
    let booked = w
        .call(
            "POST",
            &path,
            Some(booking(&w, &kind, next)),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    // Next month's placement does not show this month.
    let feed = w
        .call("GET", &format!("/platforms/{}/offers", w.pa), None, None)
        .await;
    assert_eq!(feed.body["offers"][0]["placed"], false);
    let foreign = w
        .call(
            "DELETE",
            &format!("{path}/{}/{next}", w.pa),
            None,
            Some(&w.other.token),
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
    let cancelled = w
        .call(
            "DELETE",
            &format!("{path}/{}/{next}", w.pa),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["state"], "cancelled");
    let mine = w
        .call(
            "GET",
            &format!("/partners/me/placements?month={next}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(mine.body["total_cents"], 0);
    // The slot is free again.
    let again = w
        .call(
            "POST",
            &path,
            Some(booking(&w, &kind, next)),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
}

#[tokio::test]
async fn two_partners_racing_for_the_last_slot_exactly_one_wins() {
    let w = World::new().await;
    let first = w.published_on_a(&w.partner).await;
    let second = w.published_on_a(&w.other).await;
    let kind = kind(&w, 1).await;
    let month = Month::of(w.today()).next();
    let body = booking(&w, &kind, month);
    let (first_path, second_path) = (
        format!("/offers/{first}/placements"),
        format!("/offers/{second}/placements"),
    );
    let (a, b) = tokio::join!(
        w.call(
            "POST",
            &first_path,
            Some(body.clone()),
            Some(&w.partner.token)
        ),
        w.call(
            "POST",
            &second_path,
            Some(body.clone()),
            Some(&w.other.token)
        ),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
}

#[tokio::test]
async fn only_approved_offers_of_the_partner_are_booked_in_the_coming_months() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let draft = w.create_offer(&w.partner, &[&w.pa]).await;
    let kind = kind(&w, 1).await;
    let month = Month::of(w.today());
    let reply = w
        .call(
            "POST",
            &format!("/offers/{draft}/placements"),
            Some(booking(&w, &kind, month)),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, None);
    let published = w.published_on_a(&w.other).await;
    let foreign = w
        .call(
            "POST",
            &format!("/offers/{published}/placements"),
            Some(booking(&w, &kind, month)),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
    let mut far = month;
    for _ in 0..7 {
        far = far.next();
    }
    let reply = w
        .call(
            "POST",
            &format!("/offers/{published}/placements"),
            Some(booking(&w, &kind, far)),
            Some(&w.other.token),
        )
        .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, Some("month"));
    let unknown = w
        .call(
            "POST",
            &format!("/offers/{published}/placements"),
            Some(json!({"platform_id": w.pa.as_str(), "kind_id": "unbekannt", "month": month.to_string()})),
            Some(&w.other.token),
        )
        .await;
    assert_problem(&unknown, StatusCode::BAD_REQUEST, Some("kind_id"));
}
