//! Premium placements: kinds and prices, booking a free slot, the race for the last slot,
//! placement-first order for the booked month only, only months the offer is shown in,
//! cancelling before the month starts, by hand or by withdrawing or deleting the offer.

use axum::http::StatusCode;
use offers::offer::offer_key;
use serde_json::{Value, json};
use shared::domain::Month;
use shared::model::billable::billable_partners;
use shared::model::subscriptions::ApplicationStatus;
use shared::store::{Cond, Table};
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
    let days = (next.first() - w.today()).get_days();
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

/// The German date the problem names, e.g. `15.01.2027`.
fn german(day: jiff::civil::Date) -> String {
    day.strftime("%d.%m.%Y").to_string()
}

fn field_message(reply: &shared::testing::Reply, field: &str) -> String {
    reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_placement_is_booked_only_for_months_the_offer_can_be_shown_in() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 3).await;
    let path = format!("/offers/{offer}/placements");
    let valid_to = w.today().checked_add(jiff::Span::new().days(60)).unwrap();
    // The offer's validity ends during its last month: that month may be booked, the next not.
    let last = Month::of(valid_to);
    let after_validity = w
        .call(
            "POST",
            &path,
            Some(booking(&w, &kind, last.next())),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(
        &after_validity,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("month"),
    );
    let message = field_message(&after_validity, "month");
    assert!(message.contains("nicht gültig"), "{message}");
    assert!(message.contains(&german(valid_to)), "{message}");
    let in_validity = w
        .call(
            "POST",
            &path,
            Some(booking(&w, &kind, last)),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(
        in_validity.status,
        StatusCode::CREATED,
        "{}",
        in_validity.body
    );

    // The partner cancels the subscription on platform A: it ends with this month.
    let this_month = Month::of(w.today());
    let ends_on = this_month.last();
    w.subscribe(
        &w.partner.id,
        &w.pa,
        ApplicationStatus::Cancelled,
        Some(ends_on),
    )
    .await;
    let after_end = w
        .call(
            "POST",
            &path,
            Some(booking(&w, &kind, this_month.next())),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&after_end, StatusCode::UNPROCESSABLE_ENTITY, Some("month"));
    let message = field_message(&after_end, "month");
    assert!(
        message.contains(&format!("endet am {}", german(ends_on))),
        "{message}"
    );
    let before_end = w
        .call(
            "POST",
            &path,
            Some(booking(&w, &kind, this_month)),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(
        before_end.status,
        StatusCode::CREATED,
        "{}",
        before_end.body
    );

    // Only the two months the offer is shown in are booked and billed.
    let mine = w
        .call(
            "GET",
            "/partners/me/placements",
            None,
            Some(&w.partner.token),
        )
        .await;
    let months: Vec<&str> = mine.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, vec![this_month.to_string(), last.to_string()]);
    assert_eq!(mine.body["total_cents"], 9800);
}

async fn booked(w: &World, offer: &str, kind: &str, month: Month) {
    let reply = w
        .call(
            "POST",
            &format!("/offers/{offer}/placements"),
            Some(booking(w, kind, month)),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

/// The partner's bookings of `month` as the list shows them: states and the total billed.
async fn bookings_of(w: &World, month: Month) -> (Vec<String>, i64) {
    let mine = w
        .call(
            "GET",
            &format!("/partners/me/placements?month={month}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    let states = mine.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["state"].as_str().unwrap().to_string())
        .collect();
    (states, mine.body["total_cents"].as_i64().unwrap())
}

#[tokio::test]
async fn withdrawing_an_offer_cancels_its_placements_of_months_not_yet_started() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 1).await;
    let this_month = Month::of(w.today());
    let next = this_month.next();
    booked(&w, &offer, &kind, this_month).await;
    booked(&w, &offer, &kind, next).await;

    let withdrawn = w
        .call(
            "POST",
            &format!("/offers/{offer}/withdraw"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.body);
    // This month's placement was shown and stays billed; next month's is cancelled.
    assert_eq!(
        withdrawn.body["platforms"][0]["placed_months"],
        json!([this_month.to_string()])
    );
    assert_eq!(
        bookings_of(&w, this_month).await,
        (vec!["booked".into()], 4900)
    );
    assert_eq!(bookings_of(&w, next).await, (vec!["cancelled".into()], 0));
    // Its slot is free again for another partner.
    let other = w.published_on_a(&w.other).await;
    let taken = w
        .call(
            "POST",
            &format!("/offers/{other}/placements"),
            Some(booking(&w, &kind, next)),
            Some(&w.other.token),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.body);
    // Withdrawing again finds nothing left to do.
    let again = w
        .call(
            "POST",
            &format!("/offers/{offer}/withdraw"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);
}

#[tokio::test]
async fn deleting_an_offer_cancels_placements_it_still_holds_for_months_to_come() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 1).await;
    let next = Month::of(w.today()).next();
    booked(&w, &offer, &kind, next).await;
    // As withdrawals left offers before they cancelled placements: shown nowhere, booked on.
    let key = offer_key(&offer);
    let mut stored = w.kit.table.get(&key).await.unwrap().unwrap();
    let state = &mut stored["states"][w.pa.as_str()];
    state["status"] = json!("withdrawn");
    state.as_object_mut().unwrap().remove("live");
    w.kit.table.put(stored, Cond::Always).await.unwrap();
    assert_eq!(bookings_of(&w, next).await, (vec!["booked".into()], 4900));

    let deleted = w
        .call(
            "DELETE",
            &format!("/offers/{offer}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(bookings_of(&w, next).await, (vec!["cancelled".into()], 0));
    let gone = w
        .call(
            "GET",
            &format!("/offers/{offer}?platform_id={}", w.pa),
            None,
            None,
        )
        .await;
    assert_problem(&gone, StatusCode::NOT_FOUND, None);
}

/// The free slots a partner sees before booking: each kind with its price and, for this month
/// and the six after it, how many of its slots are still free.
#[tokio::test]
async fn the_free_slots_of_each_kind_are_shown_for_this_month_and_six_ahead() {
    let w = World::new().await;
    let mine = w.published_on_a(&w.partner).await;
    let theirs = w.published_on_a(&w.other).await;
    let kind = kind(&w, 2).await;
    let this_month = Month::of(w.today());
    let next = this_month.next();
    for (offer, who) in [(&mine, &w.partner), (&theirs, &w.other)] {
        let booked = w
            .call(
                "POST",
                &format!("/offers/{offer}/placements"),
                Some(booking(&w, &kind, next)),
                Some(&who.token),
            )
            .await;
        assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    }
    let slots = |token: String| {
        let path = format!("/platforms/{}/placement-slots", w.pa);
        let w = &w;
        async move { w.call("GET", &path, None, Some(&token)).await }
    };
    let seen = slots(w.partner.token.clone()).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["this_month"], this_month.to_string());
    let top = &seen.body["kinds"][0];
    assert_eq!(top["name"], "Top-Platzierung");
    assert_eq!(top["price_cents"], 4900);
    assert_eq!(top["slots_per_month"], 2);
    let months: Vec<(String, u64)> = top["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["free"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected = vec![(this_month.to_string(), 2), (next.to_string(), 0)];
    let mut month = next;
    for _ in 0..5 {
        month = month.next();
        expected.push((month.to_string(), 2));
    }
    assert_eq!(
        months, expected,
        "this month and six ahead, next month sold out"
    );

    // A cancellation gives the slot back; the manager sees the same figures.
    let cancelled = w
        .call(
            "DELETE",
            &format!("/offers/{mine}/placements/{}/{next}", w.pa),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let seen = slots(w.manager_a.token.clone()).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["kinds"][0]["months"][1]["free"], 1);
}

/// The bookings still to come: this month's (final) and later ones (cancellable), with the
/// current month named, so the page needs no clock of its own.
#[tokio::test]
async fn upcoming_bookings_are_this_months_and_later_ones() {
    let w = World::new().await;
    let client = shared::testing::Client::in_process(offers::build(&w.kit.env))
        .with_sessions(w.kit.sessions());
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 3).await;
    let this_month = Month::of(w.today());
    let next = this_month.next();
    for month in [this_month, next] {
        let booked = w
            .call(
                "POST",
                &format!("/offers/{offer}/placements"),
                Some(booking(&w, &kind, month)),
                Some(&w.partner.token),
            )
            .await;
        assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    }
    let upcoming = |client: &shared::testing::Client| {
        let token = w.partner.token.clone();
        let client = client.clone();
        async move {
            let reply = client
                .call(
                    "GET",
                    "/partners/me/placements?upcoming=true",
                    None,
                    Some(&token),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply
        }
    };
    let reply = upcoming(&client).await;
    assert_eq!(reply.body["this_month"], this_month.to_string());
    let months: Vec<&str> = reply.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, vec![this_month.to_string(), next.to_string()]);
    assert_eq!(reply.body["total_cents"], 9800);

    // A month later, last month's booking is past.
    let days = (next.first() - w.today()).get_days();
    w.kit
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * i64::from(days)));
    let reply = upcoming(&client).await;
    assert_eq!(reply.body["this_month"], next.to_string());
    assert_eq!(reply.body["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(reply.body["bookings"][0]["month"], next.to_string());

    let both = client
        .call(
            "GET",
            &format!("/partners/me/placements?month={next}&upcoming=true"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&both, StatusCode::BAD_REQUEST, Some("upcoming"));
}

async fn reprice(
    w: &World,
    kind: &str,
    from: Month,
    cents: i64,
    token: &str,
) -> shared::testing::Reply {
    w.call(
        "POST",
        &format!("/platforms/{}/placement-kinds/{kind}/price-changes", w.pa),
        Some(json!({"from": from.to_string(), "price_cents": cents})),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_kind_repriced_from_a_month_costs_the_new_price_from_then_and_bookings_keep_theirs() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 3).await;
    let this_month = Month::of(w.today());
    let next = this_month.next();
    // Booked for next month at the old price before the change.
    booked(&w, &offer, &kind, next).await;

    let changed = reprice(&w, &kind, next, 5900, &w.operator.token).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        changed.body["price_cents"], 4900,
        "this month keeps its price"
    );
    assert_eq!(changed.body["price_changes"][0]["from"], next.to_string());
    assert_eq!(changed.body["price_changes"][0]["price_cents"], 5900);
    let slots = w
        .call(
            "GET",
            &format!("/platforms/{}/placement-slots", w.pa),
            None,
            Some(&w.partner.token),
        )
        .await;
    let months = &slots.body["kinds"][0]["months"];
    assert_eq!(months[0]["price_cents"], 4900);
    assert_eq!(months[1]["price_cents"], 5900);

    // The booking made before keeps its price; this month's booking costs the old one.
    let (_, next_total) = bookings_of(&w, next).await;
    assert_eq!(next_total, 4900);
    booked(&w, &offer, &kind, this_month).await;
    let (_, this_total) = bookings_of(&w, this_month).await;
    assert_eq!(this_total, 4900);
    // A month booked after the change: the new price.
    let later = next.next();
    booked(&w, &offer, &kind, later).await;
    let (_, later_total) = bookings_of(&w, later).await;
    assert_eq!(later_total, 5900);

    let past = reprice(&w, &kind, this_month.previous(), 100, &w.operator.token).await;
    assert_problem(&past, StatusCode::UNPROCESSABLE_ENTITY, Some("from"));
    for token in [&w.partner.token, &w.manager_a.token] {
        let refused = reprice(&w, &kind, next, 100, token).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_retired_kind_takes_no_new_bookings_and_keeps_those_made() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let kind = kind(&w, 3).await;
    let this_month = Month::of(w.today());
    let next = this_month.next();
    booked(&w, &offer, &kind, next).await;
    let path = format!("/platforms/{}/placement-kinds/{kind}/retire", w.pa);
    for token in [&w.partner.token, &w.manager_a.token] {
        let refused = w.call("POST", &path, None, Some(token)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }

    let retired = w.call("POST", &path, None, Some(&w.operator.token)).await;
    assert_eq!(retired.status, StatusCode::OK, "{}", retired.body);
    assert!(retired.body["retired_at"].is_string());
    let again = w.call("POST", &path, None, Some(&w.operator.token)).await;
    assert_eq!(again.body["retired_at"], retired.body["retired_at"]);

    let refused = w
        .call(
            "POST",
            &format!("/offers/{offer}/placements"),
            Some(booking(&w, &kind, this_month)),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY, Some("kind_id"));
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("nicht mehr angeboten")
    );
    let slots = w
        .call(
            "GET",
            &format!("/platforms/{}/placement-slots", w.pa),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(slots.body["kinds"], json!([]), "no longer offered");
    let (states, total) = bookings_of(&w, next).await;
    assert_eq!(states, ["booked"], "the booking made stays");
    assert_eq!(total, 4900);
}
