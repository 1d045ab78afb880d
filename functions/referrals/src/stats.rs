//! Statistics per program and day: clicks and unique clicks (the redirect's counters of every
//! link), conversions, rewards pending, confirmed and reversed, and the commission owed.
//! Aggregates only: nothing says who clicked, bought or referred.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::auth::PartnerAuth;
use shared::domain::ProgramId;
use shared::env::AppState;
use shared::http::{ApiPath, ApiQuery};
use shared::model::referrals::{self as links, counter_day, link_clicks, program_links};
use shared::store::Item;
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

use crate::programs;
use crate::records::{attr, program_stats, stats_day};

/// Longest period of one answer.
const MAX_DAYS: i32 = 92;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// First day (Europe/Berlin), default 29 days before `to`.
    pub from: Option<Date>,
    /// Last day, default today.
    pub to: Option<Date>,
}

#[derive(Debug, Default, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct DayFigures {
    pub date: Option<Date>,
    pub clicks: i64,
    pub unique_clicks: i64,
    pub conversions: i64,
    pub rewards_pending: i64,
    pub rewards_confirmed: i64,
    pub rewards_reversed: i64,
    /// Confirmed rewards less reversed ones, in cents (points at the voucher rate).
    pub commission_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statistics {
    pub program_id: ProgramId,
    pub from: Date,
    pub to: Date,
    /// Days with any figure, in order.
    pub days: Vec<DayFigures>,
    pub total: DayFigures,
}

fn n(item: &Item, a: &str) -> i64 {
    item.get(a).and_then(Value::as_i64).unwrap_or(0)
}

/// A program's figures per day.
#[utoipa::path(get, path = "/programs/{program_id}/statistics", tag = "programs",
    summary = "Statistik eines Programms",
    params(("program_id" = ProgramId, Path, description = "The program."), Period),
    responses((status = 200, description = "Figures per day and in total.", body = Statistics)))]
pub async fn statistics(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(program_id): ApiPath<ProgramId>,
    ApiQuery(period): ApiQuery<Period>,
) -> Result<Json<Statistics>> {
    let program = programs::load_own(&state, &auth.partner_id, &program_id).await?;
    let to = period.to.unwrap_or_else(|| state.clock.today());
    let from = period
        .from
        .unwrap_or_else(|| to.checked_sub(29.days()).unwrap_or(to));
    let span_days = (to - from).get_days();
    if from > to || span_days >= MAX_DAYS {
        return Err(Error::field(
            "from",
            "der Zeitraum umfasst 1 bis 92 Tage und beginnt nicht nach seinem Ende",
        ));
    }
    let mut days: BTreeMap<Date, DayFigures> = BTreeMap::new();
    // One query per link: the counters stay off the click path's indexes (2 write units).
    for link in state
        .table
        .query_all(program_links(&program.program_id))
        .await?
    {
        let Some(code) = link.get(links::attr::CODE).and_then(Value::as_str) else {
            continue;
        };
        for counter in state.table.query_all(link_clicks(code, from, to)).await? {
            if let Some(day) = counter_day(&counter) {
                let f = days.entry(day).or_default();
                f.clicks += n(&counter, links::attr::CLICKS);
                f.unique_clicks += n(&counter, links::attr::UNIQUE);
            }
        }
    }
    for item in state
        .table
        .query_all(program_stats(&program.program_id, from, to))
        .await?
    {
        let Some(day) = stats_day(&item) else {
            continue;
        };
        let f = days.entry(day).or_default();
        f.conversions += n(&item, attr::CONVERSIONS);
        f.rewards_pending += n(&item, attr::PENDING);
        f.rewards_confirmed += n(&item, attr::CONFIRMED);
        f.rewards_reversed += n(&item, attr::REVERSED);
        f.commission_cents += n(&item, attr::COMMISSION_CENTS);
    }
    let mut total = DayFigures::default();
    let days = days
        .into_iter()
        .map(|(date, mut f)| {
            total.clicks += f.clicks;
            total.unique_clicks += f.unique_clicks;
            total.conversions += f.conversions;
            total.rewards_pending += f.rewards_pending;
            total.rewards_confirmed += f.rewards_confirmed;
            total.rewards_reversed += f.rewards_reversed;
            total.commission_cents += f.commission_cents;
            f.date = Some(date);
            f
        })
        .collect();
    Ok(Json(Statistics {
        program_id: program.program_id,
        from,
        to,
        days,
        total,
    }))
}
