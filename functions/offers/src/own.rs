//! One of the partner's offers as its editor needs it: the draft with its images viewable,
//! and beside it the version each platform shows, so a revision can be compared with what
//! is live.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::Serialize;
use shared::Result;
use shared::auth::PartnerAuth;
use shared::blobs::Blobs;
use shared::domain::{PlatformId, RecordId};
use shared::env::AppState;
use shared::http::ApiPath;
use shared::openapi::NotFound;
use utoipa::ToSchema;

use crate::drafts::OfferView;
use crate::offer::{self, Content, Offer};
use crate::review::{ImageView, image_views};

/// The version a platform shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveView {
    pub platform_id: PlatformId,
    /// The approved texts and terms (its `images` are the approved copies).
    pub content: Content,
    /// The approved images in order, each viewable for an hour.
    pub images: Vec<ImageView>,
    /// The company name the feed shows.
    pub company: String,
    /// First approval there: the feed's "newest" order.
    pub published_at: Timestamp,
    /// Approval of this version.
    pub approved_at: Timestamp,
}

/// One offer of the partner, for its editor.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnOffer {
    /// The draft and its state per platform, as in the list.
    pub offer: OfferView,
    /// The draft's images in display order, each viewable for an hour.
    pub images: Vec<ImageView>,
    /// The version each platform shows, for every platform that shows one.
    pub live: Vec<LiveView>,
}

/// The editor's view of `offer`: its images and every shown version with viewable URLs.
pub async fn view(blobs: &Blobs, offer: Offer) -> Result<OwnOffer> {
    let images = image_views(blobs, &offer.content.images).await?;
    let mut live = Vec::new();
    for (platform, on) in &offer.states {
        if let Some(shown) = &on.live {
            live.push(LiveView {
                platform_id: platform.clone(),
                images: image_views(blobs, &shown.content.images).await?,
                content: shown.content.clone(),
                company: shown.company.clone(),
                published_at: shown.published_at,
                approved_at: shown.approved_at,
            });
        }
    }
    Ok(OwnOffer {
        offer: OfferView::from(offer),
        images,
        live,
    })
}

/// One of the partner's offers: the draft with its images, its state on each platform and
/// the version each platform shows.
#[utoipa::path(get, path = "/partners/me/offers/{offer_id}", tag = "offers",
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses((status = 200, description = "The offer.", body = OwnOffer),
        (status = 404, response = NotFound)))]
pub async fn show(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
) -> Result<Json<OwnOffer>> {
    let offer_id = offer_id.into_string();
    let offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    Ok(Json(view(&state.blobs, offer).await?))
}
