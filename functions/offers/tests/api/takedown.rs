//! A platform's manager takes a live offer down with a reason.

use axum::http::StatusCode;
use serde_json::json;
use shared::testing::assert_problem;

use crate::world::World;

const REASON: &str = "Der beworbene Rabatt wird im Shop nicht gewährt.";

async fn take_down(
    w: &World,
    token: &str,
    platform: &str,
    offer: &str,
    reason: &str,
) -> shared::testing::Reply {
    w.call(
        "POST",
        &format!("/platforms/{platform}/offers/{offer}/take-down"),
        Some(json!({ "reason": reason })),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_taken_down_offer_leaves_the_feed_at_once_and_the_partner_reads_why() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    assert_eq!(w.feed(&w.pa).await, vec![offer.clone()]);
    let before = w.kit.mails().await.len();

    let reply = take_down(&w, &w.manager_a.token, w.pa.as_str(), &offer, REASON).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "taken_down");
    assert_eq!(reply.body["reason"], REASON);

    // Out of the feed, the detail page and the click-out at once.
    assert!(w.feed(&w.pa).await.is_empty());
    let detail = w
        .call(
            "GET",
            &format!("/offers/{offer}?platform_id={}", w.pa),
            None,
            None,
        )
        .await;
    assert_problem(&detail, StatusCode::NOT_FOUND, None);
    let click = w
        .call(
            "POST",
            &format!("/offers/{offer}/click-out"),
            Some(json!({"platform_id": w.pa})),
            None,
        )
        .await;
    assert_problem(&click, StatusCode::NOT_FOUND, None);

    // The partner is mailed the reason, formally.
    let mails = w.kit.mails().await;
    assert_eq!(mails.len(), before + 1);
    let mail = w.kit.last_mail_to("anna@baeckerei.de").await;
    assert!(
        mail.subject.contains("aus dem Angebot genommen"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Sparkasse A"));
    assert!(mail.text.contains("„15 % auf alle Torten“"));
    assert!(mail.text.contains(REASON));
    assert!(mail.text.contains("Sie können das Angebot überarbeiten"));

    // The partner's own view: taken down on A, with the reason.
    let mine = w
        .call(
            "GET",
            &format!("/partners/me/offers/{offer}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    let state = &mine.body["offer"]["platforms"][0];
    assert_eq!(state["status"], "taken_down");
    assert_eq!(state["live"], false);
    assert_eq!(state["rejection_reason"], REASON);
    assert!(mine.body["live"].as_array().unwrap().is_empty());

    // Twice: the same answer, no second mail.
    let again = take_down(
        &w,
        &w.manager_a.token,
        w.pa.as_str(),
        &offer,
        "Noch einmal.",
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["reason"], REASON);
    assert_eq!(w.kit.mails().await.len(), before + 1);

    // The partner edits and submits again; approved, it is back in the feed.
    let resubmitted = w.submit(&w.partner, &offer).await;
    assert_eq!(resubmitted.status, StatusCode::OK, "{}", resubmitted.body);
    assert_eq!(resubmitted.body["platforms"][0]["status"], "in_review");
    w.approve(&w.manager_a, &w.pa, &offer).await;
    assert_eq!(w.feed(&w.pa).await, vec![offer]);
}

#[tokio::test]
async fn only_a_live_offer_of_the_managers_platform_is_taken_down_and_only_with_a_reason() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;

    let short = take_down(&w, &w.manager_a.token, w.pa.as_str(), &offer, " ab ").await;
    assert_problem(&short, StatusCode::BAD_REQUEST, Some("reason"));
    let blank = take_down(&w, &w.manager_a.token, w.pa.as_str(), &offer, "   ").await;
    assert_problem(&blank, StatusCode::BAD_REQUEST, Some("reason"));
    let long = take_down(
        &w,
        &w.manager_a.token,
        w.pa.as_str(),
        &offer,
        &"x".repeat(1001),
    )
    .await;
    assert_problem(&long, StatusCode::BAD_REQUEST, Some("reason"));

    // Another platform's manager cannot reach it; on B it is not shown.
    let foreign = take_down(&w, &w.manager_b.token, w.pa.as_str(), &offer, REASON).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.body);
    let not_there = take_down(&w, &w.manager_b.token, w.pb.as_str(), &offer, REASON).await;
    assert_problem(&not_there, StatusCode::NOT_FOUND, None);
    // A draft that was never approved is not live.
    let draft = w.create_offer(&w.partner, &[&w.pa]).await;
    let not_live = take_down(&w, &w.manager_a.token, w.pa.as_str(), &draft, REASON).await;
    assert_problem(&not_live, StatusCode::NOT_FOUND, None);

    assert_eq!(w.feed(&w.pa).await, vec![offer]);
}

/// A revision waiting for review goes with the take-down: the queue no longer shows it.
#[tokio::test]
async fn taking_down_clears_a_revision_waiting_in_the_queue() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let mut body = w.offer_body(&[&w.pa]);
    body["title"] = json!("20 % auf alle Torten");
    let edited = w
        .call(
            "PUT",
            &format!("/offers/{offer}"),
            Some(body),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(w.submit(&w.partner, &offer).await.status, StatusCode::OK);

    let reply = take_down(&w, &w.manager_a.token, w.pa.as_str(), &offer, REASON).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    assert!(queue.body["reviews"].as_array().unwrap().is_empty());
    assert!(w.feed(&w.pa).await.is_empty());
}

/// A partner suspended on a platform (registration writes the suspension into its
/// subscription) is shown nowhere there at once, and back when reinstated.
#[tokio::test]
async fn a_suspended_partners_offers_leave_the_feed_and_return_when_reinstated() {
    use shared::model::subscriptions::{Application, Suspension, application_key};
    use shared::store::{Cond, Table};
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let key = application_key(&w.partner.id, &w.pa);
    let mut app: Application =
        shared::model::from_item(w.kit.table.get(&key).await.unwrap().unwrap()).unwrap();
    app.suspension = Some(Suspension {
        reason: "Beschwerden".into(),
        suspended_at: shared::clock::Clock::now(w.kit.clock.as_ref()),
    });
    w.kit
        .table
        .put(app.to_item().unwrap(), Cond::Always)
        .await
        .unwrap();

    assert!(w.feed(&w.pa).await.is_empty());
    let detail = w
        .call(
            "GET",
            &format!("/offers/{offer}?platform_id={}", w.pa),
            None,
            None,
        )
        .await;
    assert_problem(&detail, StatusCode::NOT_FOUND, None);

    app.suspension = None;
    w.kit
        .table
        .put(app.to_item().unwrap(), Cond::Always)
        .await
        .unwrap();
    assert_eq!(w.feed(&w.pa).await, vec![offer]);
}
