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

/// The bytes behind an image URL the API handed out.
async fn fetched(url: &serde_json::Value) -> Vec<u8> {
    let reply = reqwest::get(url.as_str().unwrap()).await.unwrap();
    assert!(reply.status().is_success(), "{}", reply.status());
    reply.bytes().await.unwrap().to_vec()
}

fn image_ids(images: &serde_json::Value) -> Vec<String> {
    images
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["image_id"].as_str().unwrap().to_string())
        .collect()
}

/// The editor reads one offer: the draft with its images viewable, and the version the
/// platform shows beside it; a revision changes the draft only.
#[tokio::test]
async fn the_editor_reads_the_draft_with_its_images_and_the_live_version_beside_it() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let mut second = png_bytes();
    second[100] = 42;
    for bytes in [png_bytes(), second.clone()] {
        let (_, status) = w.upload(&w.partner, &offer, "image/png", bytes).await;
        assert!(status.is_success(), "{status}");
    }
    assert_eq!(w.submit(&w.partner, &offer).await.status, StatusCode::OK);
    w.approve(&w.manager_a, &w.pa, &offer).await;

    let path = format!("/partners/me/offers/{offer}");
    let read = w.call("GET", &path, None, Some(&w.partner.token)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert_eq!(read.body["offer"]["offer_id"], offer);
    assert_eq!(read.body["offer"]["platforms"][0]["status"], "approved");
    assert_eq!(read.body["offer"]["platforms"][0]["live"], true);
    assert_eq!(
        read.body["offer"]["platforms"][0]["revision_pending"],
        false
    );
    let draft_images = image_ids(&read.body["images"]);
    assert_eq!(draft_images.len(), 2);
    assert_eq!(fetched(&read.body["images"][1]["url"]).await, second);
    let live = &read.body["live"][0];
    assert_eq!(live["platform_id"], w.pa.as_str());
    assert_eq!(live["content"]["title"], "15 % auf alle Torten");
    assert_eq!(live["company"], "Bäckerei Müller");
    assert_eq!(image_ids(&live["images"]), draft_images);
    assert_eq!(fetched(&live["images"][0]["url"]).await, png_bytes());

    // A revision: new title, images the other way round. The live version stays.
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
    let reversed: Vec<String> = draft_images.iter().rev().cloned().collect();
    let reordered = w
        .call(
            "PUT",
            &format!("/offers/{offer}/images"),
            Some(json!({"image_ids": reversed})),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(reordered.status, StatusCode::OK, "{}", reordered.body);
    assert_eq!(image_ids(&reordered.body["images"]), reversed);
    assert_eq!(fetched(&reordered.body["images"][0]["url"]).await, second);

    let read = w.call("GET", &path, None, Some(&w.partner.token)).await;
    assert_eq!(
        read.body["offer"]["content"]["title"],
        "20 % auf alle Torten"
    );
    assert_eq!(image_ids(&read.body["images"]), reversed);
    assert_eq!(read.body["offer"]["platforms"][0]["revision_pending"], true);
    let live = &read.body["live"][0];
    assert_eq!(live["content"]["title"], "15 % auf alle Torten");
    assert_eq!(
        image_ids(&live["images"]),
        draft_images,
        "the approved order stays"
    );
    assert_eq!(
        w.feed(&w.pa).await,
        vec![offer.clone()],
        "the feed shows the approved version meanwhile"
    );

    // Another partner neither reads nor reorders it.
    let foreign = w.call("GET", &path, None, Some(&w.other.token)).await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
    let foreign = w
        .call(
            "PUT",
            &format!("/offers/{offer}/images"),
            Some(json!({"image_ids": draft_images})),
            Some(&w.other.token),
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
}

async fn order_images(w: &World, offer: &str, image_ids: &[&String]) -> shared::testing::Reply {
    w.call(
        "PUT",
        &format!("/offers/{offer}/images"),
        Some(json!({ "image_ids": image_ids })),
        Some(&w.partner.token),
    )
    .await
}

/// A new order must name every image of the draft once; anything else changes nothing.
#[tokio::test]
async fn a_new_image_order_names_every_image_once() {
    let w = World::new().await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (image, status) = w.upload(&w.partner, &offer, "image/png", png_bytes()).await;
        assert!(status.is_success(), "{status}");
        ids.push(image["image_id"].as_str().unwrap().to_string());
    }
    for wrong in [
        vec![&ids[0], &ids[1]],
        vec![&ids[0], &ids[1], &ids[1]],
        vec![&ids[0], &ids[1], &ids[2], &ids[2]],
    ] {
        let reply = order_images(&w, &offer, &wrong).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some("image_ids"));
    }
    let read = w
        .call(
            "GET",
            &format!("/partners/me/offers/{offer}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(image_ids(&read.body["images"]), ids, "nothing changed");
    let reply = order_images(&w, &offer, &[&ids[2], &ids[0], &ids[1]]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        image_ids(&reply.body["images"]),
        vec![ids[2].clone(), ids[0].clone(), ids[1].clone()]
    );
}
