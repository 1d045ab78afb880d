//! Submitting, reviewing per platform, revisions and withdrawal.

use axum::http::StatusCode;
use serde_json::json;
use shared::auth::Role;
use shared::store::{Cond, Table};
use shared::testing::assert_problem;

use crate::world::{World, png_bytes};

#[tokio::test]
async fn submitting_where_the_partner_is_not_approved_names_those_platforms() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let offer = w.create_offer(&w.partner, &[&w.pa, &w.pb]).await;
    let reply = w.submit(&w.partner, &offer).await;
    assert_problem(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("platforms[1]"),
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("Volksbank B")
    );
    // Nothing was submitted anywhere.
    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    assert_eq!(queue.body["reviews"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_file_that_is_not_the_declared_image_never_reaches_review() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let (_, status) = w
        .upload(
            &w.partner,
            &offer,
            "image/png",
            b"<html>kein Bild</html>".to_vec(),
        )
        .await;
    assert!(status.is_success());
    // And one that was presigned but never uploaded.
    let reply = w
        .call(
            "POST",
            &format!("/offers/{offer}/images"),
            Some(json!({"content_type": "image/jpeg", "size_bytes": 100})),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let reply = w.submit(&w.partner, &offer).await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some("images[0]"));
    assert_eq!(reply.problem_fields(), vec!["images[0]", "images[1]"]);
}

/// The upload URL stays valid for ten minutes after submit, and the bucket serves what was put
/// last: what the manager reviews and approves, and the feed shows, is the file as submitted.
#[tokio::test]
async fn an_image_put_again_after_submit_changes_neither_review_nor_feed() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let reply = w
        .call(
            "POST",
            &format!("/offers/{offer}/images"),
            Some(json!({"content_type": "image/png", "size_bytes": png_bytes().len()})),
            Some(&w.partner.token),
        )
        .await;
    let upload = reply.body["upload"].clone();
    assert!(
        crate::world::put_upload(&upload, png_bytes())
            .await
            .is_success()
    );
    let submitted = w.submit(&w.partner, &offer).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);

    // The same URL, the same type and length, other bytes: a picture the manager never saw.
    let mut swapped = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    swapped.resize(png_bytes().len(), b'X');
    assert!(
        crate::world::put_upload(&upload, swapped.clone())
            .await
            .is_success()
    );

    let fetch = |url: String| async move {
        let answer = reqwest::get(&url).await.unwrap();
        assert!(answer.status().is_success(), "{url}");
        answer.bytes().await.unwrap().to_vec()
    };
    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    let reviewed = queue.body["reviews"][0]["images"][0]["url"]
        .as_str()
        .unwrap();
    assert_eq!(fetch(reviewed.to_string()).await, png_bytes());

    w.approve(&w.manager_a, &w.pa, &offer).await;
    // Put once more after the approval.
    assert!(
        crate::world::put_upload(&upload, swapped)
            .await
            .is_success()
    );
    let page = w
        .call("GET", &format!("/platforms/{}/offers", w.pa), None, None)
        .await;
    let shown = page.body["offers"][0]["image_url"].as_str().unwrap();
    assert_eq!(fetch(shown.to_string()).await, png_bytes());
    let detail = w
        .call(
            "GET",
            &format!("/offers/{offer}?platform_id={}", w.pa),
            None,
            None,
        )
        .await;
    for image in detail.body["images"].as_array().unwrap() {
        let url = image["url"].as_str().unwrap().to_string();
        assert_eq!(fetch(url).await, png_bytes());
    }
}

#[tokio::test]
async fn a_platform_approves_another_rejects_with_a_reason_and_the_partner_is_told() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    w.approve_on(&w.partner.id, &w.pb).await;
    let offer = w.create_offer(&w.partner, &[&w.pa, &w.pb]).await;
    w.upload(&w.partner, &offer, "image/png", png_bytes()).await;
    let submitted = w.submit(&w.partner, &offer).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.body["platforms"][0]["status"], "in_review");

    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    let entry = &queue.body["reviews"][0];
    assert_eq!(entry["offer_id"], offer);
    assert_eq!(entry["company"], "Bäckerei Müller");
    assert!(
        entry["images"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );

    // A manager of B may not decide for A; a rejection needs a reason; approval the checks.
    let foreign = w
        .decide(
            &w.manager_b,
            &w.pa,
            &offer,
            json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
        )
        .await;
    assert_problem(&foreign, StatusCode::FORBIDDEN, None);
    let no_reason = w
        .decide(
            &w.manager_b,
            &w.pb,
            &offer,
            json!({"decision": "reject", "checks": {"lawful": true, "real_benefit": false}}),
        )
        .await;
    assert_problem(&no_reason, StatusCode::BAD_REQUEST, Some("reason"));
    let unchecked = w
        .decide(
            &w.manager_a,
            &w.pa,
            &offer,
            json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": false}}),
        )
        .await;
    assert_problem(
        &unchecked,
        StatusCode::BAD_REQUEST,
        Some("checks.real_benefit"),
    );

    w.approve(&w.manager_a, &w.pa, &offer).await;
    let rejected = w
        .decide(
            &w.manager_b,
            &w.pb,
            &offer,
            json!({"decision": "reject", "reason": "Der Rabatt gilt nicht für alle.", "checks": {"lawful": true, "real_benefit": false}}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);

    assert_eq!(w.feed(&w.pa).await, vec![offer.clone()]);
    assert!(w.feed(&w.pb).await.is_empty());
    let mails = w.kit.mails().await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("freigegeben") && m.text.contains("Sparkasse A"))
    );
    let rejection = mails
        .iter()
        .find(|m| m.text.contains("Volksbank B"))
        .unwrap();
    assert!(rejection.text.contains("Der Rabatt gilt nicht für alle."));

    let mine = w
        .call("GET", "/partners/me/offers", None, Some(&w.partner.token))
        .await;
    let states = &mine.body["offers"][0]["platforms"];
    assert_eq!(states[0]["status"], "approved");
    assert_eq!(
        states[0]["checks"],
        json!({"lawful": true, "real_benefit": true})
    );
    assert_eq!(states[1]["status"], "rejected");
    assert_eq!(
        states[1]["rejection_reason"],
        "Der Rabatt gilt nicht für alle."
    );

    // Deciding twice is refused.
    let again = w
        .decide(
            &w.manager_a,
            &w.pa,
            &offer,
            json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
        )
        .await;
    assert_problem(&again, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn a_revision_keeps_the_approved_text_visible_until_it_is_approved() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let saved_unchanged = w
        .call(
            "PUT",
            &format!("/offers/{offer}"),
            Some(w.offer_body(&[&w.pa])),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(saved_unchanged.status, StatusCode::OK);
    assert_eq!(
        saved_unchanged.body["platforms"][0]["revision_pending"],
        false
    );
    assert_eq!(
        w.revision_pending_in_list().await,
        false,
        "saving the same text"
    );
    assert_problem(
        &w.submit(&w.partner, &offer).await,
        StatusCode::CONFLICT,
        None,
    );
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
    assert_eq!(edited.body["platforms"][0]["revision_pending"], true);
    assert_eq!(w.revision_pending_in_list().await, true);
    let detail_path = format!("/offers/{offer}?platform_id={}", w.pa);
    async fn title(w: &World, path: &str) -> serde_json::Value {
        w.call("GET", path, None, None).await.body["title"].clone()
    }
    assert_eq!(title(&w, &detail_path).await, "15 % auf alle Torten");
    assert_eq!(w.submit(&w.partner, &offer).await.status, StatusCode::OK);
    assert_eq!(
        title(&w, &detail_path).await,
        "15 % auf alle Torten",
        "still the approved version"
    );
    assert_eq!(
        w.feed(&w.pa).await,
        vec![offer.clone()],
        "still in the feed"
    );
    w.approve(&w.manager_a, &w.pa, &offer).await;
    assert_eq!(title(&w, &detail_path).await, "20 % auf alle Torten");
    assert_eq!(
        w.revision_pending_in_list().await,
        false,
        "the revision is shown"
    );
    let feed = w
        .call("GET", &format!("/platforms/{}/offers", w.pa), None, None)
        .await;
    assert_eq!(feed.body["offers"][0]["title"], "20 % auf alle Torten");
    assert_eq!(feed.body["offers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_offer_approved_before_revisions_were_counted_still_tells_its_pending_revision() {
    let w = World::new().await;
    let offer_id = w.published_on_a(&w.partner).await;
    // As stored before offers counted their revisions: no revision on the draft or the
    // shown version.
    let forget_revisions = || async {
        let mut offer = offers::offer::load(w.kit.table.as_ref(), &offer_id)
            .await
            .unwrap();
        offer.draft_revision = 0;
        for state in offer.states.values_mut() {
            if let Some(live) = state.live.as_mut() {
                live.draft_revision = None;
            }
        }
        w.kit
            .table
            .put(offer.to_item().unwrap(), Cond::Always)
            .await
            .unwrap();
    };
    forget_revisions().await;
    assert_eq!(w.revision_pending_in_list().await, false);
    assert_problem(
        &w.submit(&w.partner, &offer_id).await,
        StatusCode::CONFLICT,
        None,
    );

    let mut body = w.offer_body(&[&w.pa]);
    body["title"] = json!("20 % auf alle Torten");
    let path = format!("/offers/{offer_id}");
    w.call("PUT", &path, Some(body), Some(&w.partner.token))
        .await;
    forget_revisions().await;
    assert_eq!(w.revision_pending_in_list().await, true);
    assert_eq!(w.submit(&w.partner, &offer_id).await.status, StatusCode::OK);
    w.approve(&w.manager_a, &w.pa, &offer_id).await;
    assert_eq!(
        w.revision_pending_in_list().await,
        false,
        "counted from now on"
    );
}

#[tokio::test]
async fn a_withdrawn_offer_leaves_every_feed_at_once() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    assert_eq!(w.feed(&w.pa).await, vec![offer.clone()]);
    let foreign = w
        .call(
            "POST",
            &format!("/offers/{offer}/withdraw"),
            None,
            Some(&w.other.token),
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
    let reply = w
        .call(
            "POST",
            &format!("/offers/{offer}/withdraw"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["platforms"][0]["status"], "withdrawn");
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
}

#[tokio::test]
async fn another_partner_cannot_submit_and_an_end_user_cannot_review() {
    let w = World::new().await;
    w.approve_on(&w.other.id, &w.pa).await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let reply = w.submit(&w.other, &offer).await;
    assert_problem(&reply, StatusCode::NOT_FOUND, None);
    let enduser = w.token(Role::Operator, "x", None, &[]);
    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&enduser),
        )
        .await;
    assert_eq!(
        queue.status,
        StatusCode::OK,
        "the operator acts for every platform"
    );
    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&w.manager_b.token),
        )
        .await;
    assert_problem(&queue, StatusCode::FORBIDDEN, None);
}

/// The console's queue: oldest first, each waiting since its submission, as the feed will
/// show it, and a revision with the version shown now beside it.
#[tokio::test]
async fn the_queue_shows_a_revision_beside_the_live_version_oldest_first() {
    let w = World::new().await;
    let live = w.published_on_a(&w.partner).await;
    let mut body = w.offer_body(&[&w.pa]);
    body["title"] = json!("20 % auf alle Torten");
    body["benefit"] = json!({"kind": "percent", "value": 20});
    let edited = w
        .call(
            "PUT",
            &format!("/offers/{live}"),
            Some(body),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(w.submit(&w.partner, &live).await.status, StatusCode::OK);
    let revised_at = shared::clock::Clock::now(w.kit.clock.as_ref());
    w.kit.clock.advance(jiff::SignedDuration::from_mins(5));
    w.approve_on(&w.other.id, &w.pa).await;
    let fresh = w.create_offer(&w.other, &[&w.pa]).await;
    assert_eq!(w.submit(&w.other, &fresh).await.status, StatusCode::OK);

    let queue = w
        .call(
            "GET",
            &format!("/platforms/{}/reviews", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    let reviews = queue.body["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 2);
    let revision = &reviews[0];
    assert_eq!(revision["offer_id"], live.as_str());
    assert_eq!(revision["submitted_at"], revised_at.to_string());
    assert_eq!(revision["revision"], true);
    assert_eq!(revision["content"]["title"], "20 % auf alle Torten");
    assert_eq!(revision["benefit_text"], "20 % Rabatt");
    assert_eq!(revision["live"]["content"]["title"], "15 % auf alle Torten");
    assert_eq!(revision["live"]["benefit_text"], "15 % Rabatt");
    let first = &reviews[1];
    assert_eq!(first["offer_id"], fresh.as_str());
    assert_eq!(first["revision"], false);
    assert!(first.get("live").is_none());
    assert_eq!(first["benefit_text"], "15 % Rabatt");
}
