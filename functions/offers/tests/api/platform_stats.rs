//! A platform's figures for its manager: offers live, views and click-outs per day.

use axum::http::StatusCode;
use serde_json::json;
use shared::testing::assert_problem;

use crate::world::World;

#[tokio::test]
async fn a_manager_sees_offers_live_views_and_click_outs_per_day() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let today = w.today();
    for _ in 0..3 {
        let detail = w
            .call(
                "GET",
                &format!("/offers/{offer}?platform_id={}", w.pa),
                None,
                None,
            )
            .await;
        assert_eq!(detail.status, StatusCode::OK);
    }
    let click = w
        .call(
            "POST",
            &format!("/offers/{offer}/click-out"),
            Some(json!({"platform_id": w.pa})),
            None,
        )
        .await;
    assert_eq!(click.status, StatusCode::OK);

    let yesterday = today.yesterday().unwrap();
    let tomorrow = today.tomorrow().unwrap();
    let stats = w
        .call(
            "GET",
            &format!("/platforms/{}/stats?from={yesterday}&to={tomorrow}", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    assert_eq!(
        stats.body["days"],
        json!([
            {"day": yesterday.to_string(), "offers_live": 0, "views": 0, "click_outs": 0},
            {"day": today.to_string(), "offers_live": 1, "views": 3, "click_outs": 1},
            {"day": tomorrow.to_string(), "offers_live": 1, "views": 0, "click_outs": 0},
        ])
    );
    assert_eq!(stats.body["total_views"], 3);
    // Only figures: no offer, partner or person.
    assert!(!stats.body.to_string().contains(&offer));

    // Platform B saw nothing; its manager cannot read A's figures.
    let b = w
        .call(
            "GET",
            &format!("/platforms/{}/stats?from={today}&to={today}", w.pb),
            None,
            Some(&w.manager_b.token),
        )
        .await;
    assert_eq!(b.body["total_views"], 0);
    let foreign = w
        .call(
            "GET",
            &format!("/platforms/{}/stats?from={today}&to={today}", w.pa),
            None,
            Some(&w.manager_b.token),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let backwards = w
        .call(
            "GET",
            &format!("/platforms/{}/stats?from={today}&to={yesterday}", w.pa),
            None,
            Some(&w.manager_a.token),
        )
        .await;
    assert_problem(&backwards, StatusCode::BAD_REQUEST, Some("to"));
}
