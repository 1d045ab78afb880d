//! What end customers see, without a login: a platform's feed, an offer's detail, the
//! click-out to the shop and the printable coupon.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::Month;
use shared::domain::PlatformId;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery};
use shared::model::from_stored;
use shared::model::partners::MAX_LOGO_BYTES;
use shared::openapi::NotFound;
use shared::store::{Consistency, Index, Query};
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

use crate::listing::{self, Entry};
use crate::offer::{self, Benefit, Category, InStore, Live, Online};
use crate::review::{ImageView, image_views};
use crate::stats::{self, Event};
use crate::{coupon, images, subscription};

pub const PAGE_SIZE: u32 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Only offers of this category.
    pub category: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An offer in a feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedCard {
    pub offer_id: String,
    pub company: String,
    pub title: String,
    pub teaser: String,
    pub benefit: Benefit,
    /// The benefit in German, e.g. `15 % Rabatt`.
    pub benefit_text: String,
    pub categories: Vec<Category>,
    pub valid_from: Date,
    pub valid_to: Date,
    /// The first image, valid for an hour.
    pub image_url: Option<String>,
    /// Redeemable in the online shop.
    pub online: bool,
    /// Redeemable in the shop on site (with the coupon).
    pub in_store: bool,
    /// A premium placement of this month.
    pub placed: bool,
    pub published_at: Timestamp,
}

/// One page of a feed: this month's placements first, then the newest offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    pub offers: Vec<FeedCard>,
    /// Present when more offers may follow.
    pub next_cursor: Option<String>,
}

/// A platform's feed: offers approved there, inside their validity, of partners whose
/// subscription runs; 20 per page.
#[utoipa::path(get, path = "/platforms/{platform_id}/offers", tag = "feed",
    params(("platform_id" = PlatformId, Path, description = "The platform."), FeedParams),
    responses((status = 200, description = "One page.", body = FeedPage)))]
pub async fn feed(
    State(state): State<AppState>,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Json<FeedPage>> {
    let facet = match params.category.as_deref().map(str::trim) {
        None | Some("") => listing::ALL,
        Some(c) => Category::parse(c)
            .ok_or_else(|| Error::field("category", "ist keine bekannte Kategorie"))?
            .as_str(),
    };
    let today = state.clock.today();
    let page = state
        .table
        .query_stored(
            Query::partition(Index::Gsi1, listing::feed_index(&platform_id, facet))
                .sk(listing::feed_range(Month::of(today)))
                .backwards()
                .limit(PAGE_SIZE)
                .cursor(params.cursor),
        )
        .await?;
    let mut check = subscription::PageCheck::default();
    let mut offers = Vec::with_capacity(page.items.len());
    for item in page.items {
        let entry: Entry = from_stored(item)?;
        if !entry.shown_on(today)
            || !check
                .runs(state.table.as_ref(), &entry.partner_id, &platform_id, today)
                .await?
        {
            continue;
        }
        let image_url = match &entry.image_key {
            Some(key) => Some(state.blobs.download_url(key, images::URL_VALIDITY).await?),
            None => None,
        };
        offers.push(FeedCard {
            benefit_text: entry.benefit.headline(),
            offer_id: entry.offer_id,
            company: entry.company,
            title: entry.title,
            teaser: entry.teaser,
            benefit: entry.benefit,
            categories: entry.categories,
            valid_from: entry.valid_from,
            valid_to: entry.valid_to,
            image_url,
            online: entry.online,
            in_store: entry.in_store,
            placed: entry.placed_month.is_some(),
            published_at: entry.published_at,
        });
    }
    Ok(Json(FeedPage {
        offers,
        next_cursor: page.cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnPlatform {
    /// The platform the offer is seen on.
    pub platform_id: PlatformId,
}

/// An offer shown on a platform, or 404: approved there, valid today, subscription running.
pub async fn shown(state: &AppState, offer_id: &str, platform: &PlatformId) -> Result<Shown> {
    let offer = offer::load(state.table.as_ref(), offer_id).await?;
    let today = state.clock.today();
    let live = offer
        .states
        .get(platform)
        .and_then(|s| s.live.clone())
        .filter(|l| l.content.valid_on(today))
        .ok_or_else(offer::not_found)?;
    let runs = subscription::runs_on(
        state.table.as_ref(),
        &offer.partner_id,
        platform,
        today,
        Consistency::Eventual,
    )
    .await?;
    if !runs {
        return Err(offer::not_found());
    }
    Ok(Shown {
        offer_id: offer.offer_id,
        live,
        today,
    })
}

pub struct Shown {
    pub offer_id: String,
    pub live: Live,
    pub today: Date,
}

/// An offer's detail for end customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Detail {
    pub offer_id: String,
    pub company: String,
    pub title: String,
    pub teaser: String,
    pub description: String,
    pub benefit: Benefit,
    pub benefit_text: String,
    pub online: Option<Online>,
    pub in_store: Option<InStore>,
    pub valid_from: Date,
    pub valid_to: Date,
    pub categories: Vec<Category>,
    /// In display order, each valid for an hour.
    pub images: Vec<ImageView>,
    /// The printable coupon of an in-store offer.
    pub coupon_pdf: Option<String>,
}

/// The detail of an offer shown on the platform; counts a view.
#[utoipa::path(get, path = "/offers/{offer_id}", tag = "feed",
    params(("offer_id" = RecordId, Path, description = "An offer."), OnPlatform),
    responses((status = 200, description = "The offer.", body = Detail),
        (status = 404, response = NotFound)))]
pub async fn detail(
    State(state): State<AppState>,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiQuery(q): ApiQuery<OnPlatform>,
) -> Result<Json<Detail>> {
    let offer_id = offer_id.into_string();
    let shown = shown(&state, &offer_id, &q.platform_id).await?;
    stats::count(
        state.table.as_ref(),
        &shown.offer_id,
        &q.platform_id,
        shown.today,
        Event::View,
    )
    .await?;
    let c = shown.live.content;
    let coupon_pdf = c.in_store.as_ref().map(|_| {
        format!(
            "/offers/{}/coupon.pdf?platform_id={}",
            shown.offer_id, q.platform_id
        )
    });
    Ok(Json(Detail {
        images: image_views(&state.blobs, &c.images).await?,
        benefit_text: c.benefit.headline(),
        offer_id: shown.offer_id,
        company: shown.live.company,
        title: c.title,
        teaser: c.teaser,
        description: c.description,
        benefit: c.benefit,
        online: c.online,
        in_store: c.in_store,
        valid_from: c.valid_from,
        valid_to: c.valid_to,
        categories: c.categories,
        coupon_pdf,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"platform_id": "0191f7a8-0000-7000-8000-000000000000"}))]
pub struct ClickOut {
    /// The platform the offer is seen on.
    pub platform_id: PlatformId,
}

/// Where to send the customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopLink {
    pub shop_url: String,
    pub discount_code: Option<String>,
}

/// Count a click to the shop and get its address.
#[utoipa::path(post, path = "/offers/{offer_id}/click-out", tag = "feed", request_body = ClickOut,
    params(("offer_id" = RecordId, Path, description = "An offer with an online shop.")),
    responses((status = 200, description = "Counted; the shop's address.", body = ShopLink),
        (status = 404, response = NotFound)))]
pub async fn click_out(
    State(state): State<AppState>,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<ClickOut>,
) -> Result<Json<ShopLink>> {
    let offer_id = offer_id.into_string();
    let shown = shown(&state, &offer_id, &body.platform_id).await?;
    let online = shown
        .live
        .content
        .online
        .ok_or_else(|| Error::NotFound("Dieses Angebot hat keinen Online-Shop.".into()))?;
    stats::count(
        state.table.as_ref(),
        &shown.offer_id,
        &body.platform_id,
        shown.today,
        Event::ClickOut,
    )
    .await?;
    Ok(Json(ShopLink {
        shop_url: online.shop_url,
        discount_code: online.discount_code,
    }))
}

/// The partner's logo, or `None` when it cannot be read or is larger than an upload may be
/// (the coupon is printed without it then).
async fn read_logo(state: &AppState, key: &str) -> Option<Vec<u8>> {
    match state.blobs.get_prefix(key, MAX_LOGO_BYTES + 1).await {
        Ok(Some(bytes)) if bytes.len() as u64 <= MAX_LOGO_BYTES => Some(bytes),
        Ok(Some(_)) => {
            tracing::warn!(key, "logo larger than an upload may be, left out");
            None
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(key, error = %e, "logo unreadable, left out");
            None
        }
    }
}

/// The printable A4 coupon of an in-store offer: logo, benefit, validity, code and QR code.
#[utoipa::path(get, path = "/offers/{offer_id}/coupon.pdf", tag = "feed",
    params(("offer_id" = RecordId, Path, description = "An in-store offer."), OnPlatform),
    responses((status = 200, description = "The coupon.", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, response = NotFound)))]
pub async fn coupon_pdf(
    State(state): State<AppState>,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiQuery(q): ApiQuery<OnPlatform>,
) -> Result<Response> {
    let offer_id = offer_id.into_string();
    let shown = shown(&state, &offer_id, &q.platform_id).await?;
    let in_store = shown
        .live
        .content
        .in_store
        .clone()
        .ok_or_else(|| Error::NotFound("Dieses Angebot hat keinen Gutschein.".into()))?;
    let logo = match &shown.live.logo_key {
        Some(key) => read_logo(&state, key).await,
        None => None,
    };
    let pdf = coupon::render(&shown.live, &in_store, logo.as_deref())?;
    let mut response = (StatusCode::OK, pdf).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"gutschein.pdf\""),
    );
    Ok(response)
}
