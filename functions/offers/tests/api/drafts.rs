//! Creating and editing drafts: every bad input is refused naming its field, and nothing is
//! written then.

use axum::http::StatusCode;
use serde_json::json;
use shared::testing::assert_problem;

use crate::world::{World, png_bytes};

async fn offers_of(w: &World, token: &str) -> usize {
    let reply = w
        .call("GET", "/partners/me/offers", None, Some(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.body["offers"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_partners_offers_come_newest_first_page_by_page() {
    let w = World::new().await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(w.create_offer(&w.partner, &[&w.pa]).await);
    }
    let first = w
        .call(
            "GET",
            "/partners/me/offers?limit=2",
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["offer_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&first.body),
        vec![created[2].clone(), created[1].clone()]
    );
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = w
        .call(
            "GET",
            &format!("/partners/me/offers?limit=2&cursor={cursor}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(ids(&second.body), vec![created[0].clone()]);
    assert!(second.body["next_cursor"].is_null());

    let too_many = w
        .call(
            "GET",
            "/partners/me/offers?limit=101",
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&too_many, StatusCode::BAD_REQUEST, Some("limit"));
}

#[tokio::test]
async fn a_draft_is_created_listed_edited_and_deleted() {
    let w = World::new().await;
    let offer = w.create_offer(&w.partner, &[&w.pa, &w.pb]).await;
    let list = w
        .call("GET", "/partners/me/offers", None, Some(&w.partner.token))
        .await;
    let mine = &list.body["offers"][0];
    assert_eq!(mine["offer_id"], offer);
    assert_eq!(mine["content"]["title"], "15 % auf alle Torten");
    assert_eq!(mine["platforms"][0]["status"], "draft");
    assert_eq!(mine["platforms"][1]["status"], "draft");

    let mut body = w.offer_body(&[&w.pa]);
    body["title"] = json!("Gratis Kaffee zu jedem Kuchen");
    body["benefit"] = json!({"kind": "free_add_on", "text": "Ein Kaffee gratis"});
    let edited = w
        .call(
            "PUT",
            &format!("/offers/{offer}"),
            Some(body),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(
        edited.body["content"]["title"],
        "Gratis Kaffee zu jedem Kuchen"
    );
    assert_eq!(edited.body["platforms"].as_array().unwrap().len(), 1);

    // Another partner neither sees nor changes it.
    assert_eq!(offers_of(&w, &w.other.token).await, 0);
    let foreign = w
        .call(
            "DELETE",
            &format!("/offers/{offer}"),
            None,
            Some(&w.other.token),
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);

    let deleted = w
        .call(
            "DELETE",
            &format!("/offers/{offer}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(offers_of(&w, &w.partner.token).await, 0);
}

#[tokio::test]
async fn an_offer_without_a_benefit_is_refused_with_422() {
    let w = World::new().await;
    let mut body = w.offer_body(&[&w.pa]);
    body.as_object_mut().unwrap().remove("benefit");
    let reply = w
        .call("POST", "/offers", Some(body), Some(&w.partner.token))
        .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, Some("benefit"));
    assert_eq!(offers_of(&w, &w.partner.token).await, 0);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let w = World::new().await;
    let today = w.today();
    let cases = [
        (
            "online.shop_url",
            json!({"online": {"shop_url": "http://shop.baeckerei.de"}}),
        ),
        (
            "valid_to",
            json!({"valid_from": today.tomorrow().unwrap().to_string(), "valid_to": today.to_string()}),
        ),
        ("categories[0]", json!({"categories": ["kuchen"]})),
        (
            "categories",
            json!({"categories": ["essen", "mode", "reisen", "technik"]}),
        ),
        (
            "platforms[0]",
            json!({"platforms": [shared::domain::PlatformId::generate().as_str()]}),
        ),
        (
            "benefit.value",
            json!({"benefit": {"kind": "percent", "value": 120}}),
        ),
        ("benefit.text", json!({"benefit": {"kind": "other"}})),
        (
            "in_store.coupon_code",
            json!({"in_store": {"instructions": "An der Kasse", "coupon_code": "A B"}}),
        ),
        ("title", json!({"title": " "})),
    ];
    for (field, change) in cases {
        let mut body = w.offer_body(&[&w.pa]);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = w
            .call("POST", "/offers", Some(body), Some(&w.partner.token))
            .await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some(field));
    }
    let mut neither = w.offer_body(&[&w.pa]);
    neither.as_object_mut().unwrap().remove("online");
    neither.as_object_mut().unwrap().remove("in_store");
    let reply = w
        .call("POST", "/offers", Some(neither), Some(&w.partner.token))
        .await;
    assert_problem(&reply, StatusCode::BAD_REQUEST, Some("online"));
    assert_eq!(offers_of(&w, &w.partner.token).await, 0);
}

#[tokio::test]
async fn an_offer_has_at_most_six_images_and_they_can_be_removed() {
    let w = World::new().await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let mut first = None;
    for _ in 0..6 {
        let (image, status) = w.upload(&w.partner, &offer, "image/png", png_bytes()).await;
        assert!(status.is_success(), "upload answered {status}");
        first.get_or_insert(image);
    }
    let seventh = w
        .call(
            "POST",
            &format!("/offers/{offer}/images"),
            Some(json!({"content_type": "image/png", "size_bytes": 100})),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&seventh, StatusCode::BAD_REQUEST, Some("images"));

    for (content_type, size, field) in [
        ("image/svg+xml", 100, "content_type"),
        ("image/png", 5 * 1024 * 1024 + 1, "size_bytes"),
    ] {
        let reply = w
            .call(
                "POST",
                &format!("/offers/{offer}/images"),
                Some(json!({"content_type": content_type, "size_bytes": size})),
                Some(&w.partner.token),
            )
            .await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some(field));
    }

    let image_id = first.unwrap()["image_id"].as_str().unwrap().to_string();
    let removed = w
        .call(
            "DELETE",
            &format!("/offers/{offer}/images/{image_id}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let list = w
        .call("GET", "/partners/me/offers", None, Some(&w.partner.token))
        .await;
    assert_eq!(
        list.body["offers"][0]["content"]["images"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

#[tokio::test]
async fn s3_refuses_an_upload_of_another_size_or_type_than_signed() {
    let w = World::new().await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let reply = w
        .call(
            "POST",
            &format!("/offers/{offer}/images"),
            Some(json!({"content_type": "image/png", "size_bytes": 2048})),
            Some(&w.partner.token),
        )
        .await;
    let upload = &reply.body["upload"];
    // Larger than signed.
    let status = crate::world::put_upload(upload, vec![0; 4096]).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    // Another content type than signed.
    let mut other_type = upload.clone();
    other_type["headers"]["content-type"] = json!("text/html");
    let status = crate::world::put_upload(&other_type, png_bytes()).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    // Exactly as signed.
    let status = crate::world::put_upload(upload, png_bytes()).await;
    assert!(status.is_success(), "{status}");
}
