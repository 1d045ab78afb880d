//! Views and click-outs per offer, platform and day: counters only, never who viewed or
//! clicked (partners see aggregates, no end-customer data).

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::Result;
use shared::auth::PartnerAuth;
use shared::domain::PlatformId;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::ApiPath;
use shared::model::from_item;
use shared::store::{Attr, Cond, Index, Key, Query, SkCond, Table, Update};
use utoipa::ToSchema;

use shared::model::platforms::platform_pk;

use crate::offer::{self, offer_pk};

const STATS_PREFIX: &str = "STATS#";
const VIEWS: Attr = "views";
const CLICK_OUTS: Attr = "click_outs";

fn stats_key(offer_id: &str, platform: &PlatformId, day: Date) -> Key {
    Key::new(
        offer_pk(offer_id),
        format!("{STATS_PREFIX}{day}#{platform}"),
    )
}

/// The counts of all offers on `platform` on `day`.
pub fn platform_stats_key(platform: &PlatformId, day: Date) -> Key {
    Key::new(platform_pk(platform), format!("{STATS_PREFIX}{day}"))
}

/// The sort-key range of a platform's days from `from` to `to`.
pub fn platform_days(from: Date, to: Date) -> SkCond {
    SkCond::Between(
        format!("{STATS_PREFIX}{from}"),
        format!("{STATS_PREFIX}{to}"),
    )
}

#[derive(Debug, Clone, Copy)]
pub enum Event {
    View,
    ClickOut,
}

/// Counts one event (a single atomic add, no record of who).
pub async fn count(
    table: &dyn Table,
    offer_id: &str,
    platform: &PlatformId,
    day: Date,
    event: Event,
) -> Result<()> {
    let attr = match event {
        Event::View => VIEWS,
        Event::ClickOut => CLICK_OUTS,
    };
    let key = stats_key(offer_id, platform, day);
    let updates = [
        Update::Add(attr, 1),
        Update::Set(DAY, serde_json::to_value(day)?),
        Update::Set(PLATFORM, platform.as_str().into()),
    ];
    table.update(&key, &updates, Cond::Always).await?;
    // The platform's own day, for its manager's figures.
    table
        .update(&platform_stats_key(platform, day), &updates, Cond::Always)
        .await?;
    Ok(())
}

const DAY: Attr = "day";
const PLATFORM: Attr = "platform_id";

/// The counts of one day on one platform.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayStats {
    pub day: Date,
    pub platform_id: PlatformId,
    #[serde(default)]
    pub views: u64,
    #[serde(default)]
    pub click_outs: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferStats {
    pub offer_id: String,
    /// Oldest day first.
    pub days: Vec<DayStats>,
    pub total_views: u64,
    pub total_click_outs: u64,
}

/// Views and click-outs of one of the partner's offers, per platform and day.
#[utoipa::path(get, path = "/offers/{offer_id}/stats", tag = "offers",
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses((status = 200, description = "The aggregates.", body = OfferStats)))]
pub async fn of_offer(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
) -> Result<Json<OfferStats>> {
    let offer_id = offer_id.into_string();
    let offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    let items = state
        .table
        .query_all(
            Query::partition(Index::Primary, offer_pk(&offer.offer_id))
                .sk(SkCond::BeginsWith(STATS_PREFIX.into()))
                .eventually_consistent(),
        )
        .await?;
    let days = items
        .into_iter()
        .map(from_item::<DayStats>)
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(OfferStats {
        offer_id: offer.offer_id,
        total_views: days.iter().map(|d| d.views).sum(),
        total_click_outs: days.iter().map(|d| d.click_outs).sum(),
        days,
    }))
}
