//! The public feed, detail, click-out and coupon (with the partner's real logo): visible only
//! while the subscription runs, the offer is approved there and today lies inside its
//! validity.

use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::json;
use shared::model::partners::{MAX_LOGO_BYTES, attr, partner_key};
use shared::model::subscriptions::ApplicationStatus;
use shared::store::{Cond, Table, Update};
use shared::testing::assert_problem;

use crate::world::{World, png_bytes};

#[tokio::test]
async fn the_feed_shows_the_offer_with_a_ready_image_url_and_filters_by_category() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    w.upload(&w.partner, &offer, "image/png", png_bytes()).await;
    w.submit(&w.partner, &offer).await;
    w.approve(&w.manager_a, &w.pa, &offer).await;

    let page = w
        .call("GET", &format!("/platforms/{}/offers", w.pa), None, None)
        .await;
    let card = &page.body["offers"][0];
    assert_eq!(card["company"], "Bäckerei Müller");
    assert_eq!(card["benefit_text"], "15 % Rabatt");
    let url = card["image_url"].as_str().unwrap();
    let image = reqwest::get(url).await.unwrap();
    assert!(image.status().is_success());
    assert_eq!(image.bytes().await.unwrap().to_vec(), png_bytes());

    let food = w
        .call(
            "GET",
            &format!("/platforms/{}/offers?category=essen", w.pa),
            None,
            None,
        )
        .await;
    assert_eq!(food.body["offers"].as_array().unwrap().len(), 1);
    let fashion = w
        .call(
            "GET",
            &format!("/platforms/{}/offers?category=mode", w.pa),
            None,
            None,
        )
        .await;
    assert!(fashion.body["offers"].as_array().unwrap().is_empty());
    let unknown = w
        .call(
            "GET",
            &format!("/platforms/{}/offers?category=kuchen", w.pa),
            None,
            None,
        )
        .await;
    assert_problem(&unknown, StatusCode::BAD_REQUEST, Some("category"));
}

#[tokio::test]
async fn newest_first_twenty_per_page_with_a_cursor() {
    let w = World::new().await;
    w.approve_on(&w.partner.id, &w.pa).await;
    let mut published = Vec::new();
    for _ in 0..21 {
        let offer = w.create_offer(&w.partner, &[&w.pa]).await;
        w.submit(&w.partner, &offer).await;
        w.approve(&w.manager_a, &w.pa, &offer).await;
        published.push(offer);
        w.kit.clock.advance(SignedDuration::from_secs(1));
    }
    let first = w
        .call("GET", &format!("/platforms/{}/offers", w.pa), None, None)
        .await;
    let ids = crate::world::ids(&first.body["offers"]);
    assert_eq!(ids.len(), 20);
    assert_eq!(ids[0], published[20], "newest first");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = w
        .call(
            "GET",
            &format!("/platforms/{}/offers?cursor={cursor}", w.pa),
            None,
            None,
        )
        .await;
    assert_eq!(
        crate::world::ids(&second.body["offers"]),
        vec![published[0].clone()]
    );
}

#[tokio::test]
async fn a_subscription_that_ended_takes_the_offers_out_the_same_day() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    assert_eq!(w.feed(&w.pa).await, vec![offer.clone()]);
    // Cancelled, running until today: still shown.
    let today = w.today();
    w.subscribe(
        &w.partner.id,
        &w.pa,
        ApplicationStatus::Cancelled,
        Some(today),
    )
    .await;
    assert_eq!(w.feed(&w.pa).await, vec![offer.clone()]);
    // The day after its end: gone, from the feed and the detail.
    w.kit.clock.advance(SignedDuration::from_hours(24));
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
async fn a_rejected_partner_leaves_the_feed() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    assert_eq!(w.feed(&w.pa).await, vec![offer]);
    w.subscribe(&w.partner.id, &w.pa, ApplicationStatus::Rejected, None)
        .await;
    assert!(w.feed(&w.pa).await.is_empty());
}

#[tokio::test]
async fn a_partner_the_operator_disabled_leaves_every_feed_at_once() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    assert_eq!(w.feed(&w.pa).await, vec![offer.clone()]);
    // As registration's `POST /partners/{partner_id}/disable` marks each subscription.
    let now = shared::clock::Clock::now(w.kit.clock.as_ref());
    w.kit
        .table
        .update(
            &shared::model::subscriptions::application_key(&w.partner.id, &w.pa),
            &[Update::Set(
                shared::model::subscriptions::PARTNER_DISABLED_AT,
                serde_json::to_value(now).unwrap(),
            )],
            Cond::Exists,
        )
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
}

#[tokio::test]
async fn an_offer_leaves_the_feed_after_its_last_valid_day() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    w.kit.clock.advance(SignedDuration::from_hours(24 * 60));
    assert_eq!(
        w.feed(&w.pa).await,
        vec![offer.clone()],
        "the last valid day"
    );
    w.kit.clock.advance(SignedDuration::from_hours(24));
    assert!(w.feed(&w.pa).await.is_empty());
}

#[tokio::test]
async fn views_and_click_outs_are_counted_per_platform_and_day() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    for _ in 0..2 {
        let detail = w
            .call(
                "GET",
                &format!("/offers/{offer}?platform_id={}", w.pa),
                None,
                None,
            )
            .await;
        assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
        assert_eq!(
            detail.body["description"].as_str().unwrap().lines().count(),
            2
        );
    }
    let click = w
        .call(
            "POST",
            &format!("/offers/{offer}/click-out"),
            Some(json!({"platform_id": w.pa.as_str()})),
            None,
        )
        .await;
    assert_eq!(click.status, StatusCode::OK);
    assert_eq!(click.body["shop_url"], "https://shop.baeckerei.de");
    // Not shown on B: no detail, no click.
    let on_b = w
        .call(
            "POST",
            &format!("/offers/{offer}/click-out"),
            Some(json!({"platform_id": w.pb.as_str()})),
            None,
        )
        .await;
    assert_problem(&on_b, StatusCode::NOT_FOUND, None);

    let stats = w
        .call(
            "GET",
            &format!("/offers/{offer}/stats"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body["total_views"], 2);
    assert_eq!(stats.body["total_click_outs"], 1);
    let day = &stats.body["days"][0];
    assert_eq!(day["platform_id"], w.pa.as_str());
    assert_eq!(day["day"], w.today().to_string());
    // Aggregates only, and only for the owner.
    assert_eq!(day.as_object().unwrap().len(), 4);
    let foreign = w
        .call(
            "GET",
            &format!("/offers/{offer}/stats"),
            None,
            Some(&w.other.token),
        )
        .await;
    assert_problem(&foreign, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn the_coupon_pdf_reads_back_with_its_code_and_validity() {
    let w = World::new().await;
    let offer = w.published_on_a(&w.partner).await;
    let (status, content_type, pdf) = w
        .get_bytes(&format!("/offers/{offer}/coupon.pdf?platform_id={}", w.pa))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/pdf");
    let text = shared::pdf::read_back(&pdf);
    let from = w.today().strftime("%d.%m.%Y").to_string();
    let to = w
        .today()
        .checked_add(jiff::Span::new().days(60))
        .unwrap()
        .strftime("%d.%m.%Y")
        .to_string();
    assert!(text.contains("TORTE15"), "{text}");
    assert!(
        text.contains(&format!("Gültig vom {from} bis {to}")),
        "{text}"
    );
    assert!(text.contains("15 % Rabatt"), "{text}");
    let (status, _, _) = w
        .get_bytes(&format!("/offers/{offer}/coupon.pdf?platform_id={}", w.pb))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Makes `bytes` the partner's logo, as registration leaves it after an upload.
async fn set_logo(w: &World, name: &str, content_type: &str, bytes: Vec<u8>) {
    let key = format!("logos/{}/{name}", w.partner.id);
    w.kit
        .env
        .blobs
        .put(&key, content_type, bytes)
        .await
        .unwrap();
    w.kit
        .table
        .update(
            &partner_key(&w.partner.id),
            &[Update::Set(attr::LOGO_KEY, key.into())],
            Cond::Exists,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_coupon_prints_the_partners_real_logo_of_any_kind_and_size_an_upload_allows() {
    use shared::pdf::samples::{self, JpegKind, PngKind};
    let w = World::new().await;
    let red = [200, 30, 40];
    let big_png = samples::noise_png(1100, 1100);
    let photo = samples::noise_jpeg(1600, 1200);
    for (name, bytes) in [("big.png", &big_png), ("photo.jpg", &photo)] {
        assert!(
            bytes.len() > 4_000_000 && bytes.len() as u64 <= MAX_LOGO_BYTES,
            "{name}: {} bytes, near the upload's limit",
            bytes.len()
        );
    }
    let logos: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "rgba.png",
            "image/png",
            samples::png(600, 200, PngKind::Rgba, red),
        ),
        (
            "rgb.png",
            "image/png",
            samples::png(600, 200, PngKind::Rgb, red),
        ),
        (
            "palette.png",
            "image/png",
            samples::png(600, 200, PngKind::Palette { transparent: true }, red),
        ),
        ("big.png", "image/png", big_png),
        (
            "logo.jpg",
            "image/jpeg",
            samples::jpeg(800, 300, JpegKind::Rgb, red),
        ),
        (
            "cmyk.jpg",
            "image/jpeg",
            samples::jpeg(800, 300, JpegKind::Cmyk, red),
        ),
        ("photo.jpg", "image/jpeg", photo),
    ];
    for (name, content_type, bytes) in logos {
        set_logo(&w, name, content_type, bytes).await;
        let offer = w.published_on_a(&w.partner).await;
        let (status, _, pdf) = w
            .get_bytes(&format!("/offers/{offer}/coupon.pdf?platform_id={}", w.pa))
            .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        let shown = samples::images_shown(&pdf);
        assert_eq!(shown.len(), 1, "{name}: the logo is on the coupon");
        // 60 × 25 mm at 300 dpi at most, whatever the file.
        assert!(
            shown[0].width <= 709 && shown[0].height <= 296,
            "{name}: {shown:?}"
        );
        assert!(shared::pdf::read_back(&pdf).contains("TORTE15"), "{name}");
    }
}

#[tokio::test]
async fn a_logo_that_cannot_be_decoded_is_left_off_the_coupon() {
    use shared::pdf::samples::{self, PngKind};
    let w = World::new().await;
    let png = samples::png(600, 200, PngKind::Rgb, [1, 2, 3]);
    let mut too_large = png.clone();
    too_large.resize(MAX_LOGO_BYTES as usize + 1, 0);
    for (name, bytes) in [
        ("cut.png", png[..png.len() / 2].to_vec()),
        ("text.png", b"\x89PNG\r\n\x1a\n kein Bild".to_vec()),
        ("too-large.png", too_large),
    ] {
        set_logo(&w, name, "image/png", bytes).await;
        let offer = w.published_on_a(&w.partner).await;
        let (status, _, pdf) = w
            .get_bytes(&format!("/offers/{offer}/coupon.pdf?platform_id={}", w.pa))
            .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            shared::pdf::samples::images_shown(&pdf).is_empty(),
            "{name}"
        );
        assert!(shared::pdf::read_back(&pdf).contains("TORTE15"), "{name}");
    }
}

/// Offer and image ids that are no UUIDs are refused naming the parameter, on the public
/// routes and the partner's, not looked up and answered 404.
#[tokio::test]
async fn offer_and_image_ids_that_are_no_uuids_are_a_400_naming_the_parameter() {
    let w = World::new().await;
    let offer = w.create_offer(&w.partner, &[&w.pa]).await;
    let pa = w.pa.as_str();
    let token = Some(w.partner.token.as_str());
    for (method, path, body, token, field) in [
        (
            "GET",
            format!("/offers/angebot-1?platform_id={pa}"),
            None,
            None,
            "offer_id",
        ),
        (
            "POST",
            "/offers/angebot-1/click-out".to_string(),
            Some(json!({"platform_id": pa})),
            None,
            "offer_id",
        ),
        (
            "POST",
            "/offers/angebot-1/submit".to_string(),
            None,
            token,
            "offer_id",
        ),
        (
            "DELETE",
            format!("/offers/{offer}/images/bild-1"),
            None,
            token,
            "image_id",
        ),
    ] {
        let reply = w.call(method, &path, body, token).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some(field));
        assert_eq!(
            reply.body["errors"][0]["message"], "ist keine gültige Kennung (UUID)",
            "{method} {path}: {:?}",
            reply.body
        );
    }
}
