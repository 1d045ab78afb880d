//! A platform's figures for its manager: per day the offers live, the views and the
//! click-outs of all its offers. Aggregates only: no offer, partner or person is named.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::ManagerAuth;
use shared::clock::berlin_date;
use shared::domain::PlatformId;
use shared::env::AppState;
use shared::http::{ApiPath, ApiQuery};
use shared::model::from_item;
use shared::model::platforms::platform_pk;
use shared::store::{Index, Query, SkCond};
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

use crate::listing::{self, Entry};
use crate::stats::{DayStats, platform_days};

/// The longest range, in days.
pub const MAX_DAYS: i64 = 92;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day (Europe/Berlin), `YYYY-MM-DD`; 29 days before `to` when absent.
    pub from: Option<Date>,
    /// Last day, not before `from`, at most 92 days in all; today when absent.
    pub to: Option<Date>,
}

struct Range {
    from: Date,
    to: Date,
}

/// One day's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformDay {
    pub day: Date,
    /// Offers shown in the feed that day (see the route's description).
    pub offers_live: u64,
    pub views: u64,
    pub click_outs: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformStats {
    pub platform_id: PlatformId,
    /// Every day of the range, oldest first, days without events at 0.
    pub days: Vec<PlatformDay>,
    pub total_views: u64,
    pub total_click_outs: u64,
}

/// Offers live, views and click-outs per day on the platform, over `from`..`to`. Offers live
/// on a day: the offers in the feed today that were published and valid that day (offers
/// withdrawn, taken down or expired since no longer count for past days: no history of the
/// feed is kept).
#[utoipa::path(get, path = "/platforms/{platform_id}/stats", tag = "feed",
    params(("platform_id" = PlatformId, Path, description = "A platform the caller manages."), RangeParams),
    responses((status = 200, description = "The aggregates.", body = PlatformStats)))]
pub async fn of_platform(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiQuery(range): ApiQuery<RangeParams>,
) -> Result<Json<PlatformStats>> {
    manager.ensure_platform(&platform_id)?;
    let to = range.to.unwrap_or_else(|| state.clock.today());
    let from = match range.from {
        Some(from) => from,
        None => to
            .checked_sub(jiff::Span::new().days(29))
            .map_err(|_| Error::field("to", "ist kein gültiger Tag"))?,
    };
    let range = Range { from, to };
    let span = (range.to - range.from).get_days() as i64 + 1;
    if range.to < range.from {
        return Err(Error::field("to", "darf nicht vor from liegen"));
    }
    if span > MAX_DAYS {
        return Err(Error::field("to", "höchstens 92 Tage auf einmal"));
    }
    let counted: BTreeMap<Date, DayStats> = state
        .table
        .query_all(
            Query::partition(Index::Primary, platform_pk(&platform_id))
                .sk(platform_days(range.from, range.to))
                .eventually_consistent(),
        )
        .await?
        .into_iter()
        .map(from_item::<DayStats>)
        .map(|d| d.map(|d| (d.day, d)))
        .collect::<Result<_>>()?;
    let shown = state
        .table
        .query_all(
            Query::partition(Index::Gsi1, listing::feed_index(&platform_id, listing::ALL))
                .sk(SkCond::BeginsWith(listing::NEWEST.into()))
                .eventually_consistent(),
        )
        .await?
        .into_iter()
        .map(from_item::<Entry>)
        .collect::<Result<Vec<_>>>()?;
    let mut days = Vec::new();
    let mut day = range.from;
    while day <= range.to {
        let offers_live = shown
            .iter()
            .filter(|e| {
                e.valid_from <= day && day <= e.valid_to && berlin_date(e.published_at) <= day
            })
            .count() as u64;
        let (views, click_outs) = counted
            .get(&day)
            .map_or((0, 0), |d| (d.views, d.click_outs));
        days.push(PlatformDay {
            day,
            offers_live,
            views,
            click_outs,
        });
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    Ok(Json(PlatformStats {
        platform_id,
        total_views: days.iter().map(|d| d.views).sum(),
        total_click_outs: days.iter().map(|d| d.click_outs).sum(),
        days,
    }))
}
