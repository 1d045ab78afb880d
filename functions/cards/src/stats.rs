//! Statistics for the merchant: cards issued and active, bookings and turnover per day,
//! week or month, what is outstanding, and cardholders by gender, age band and postal
//! area. Personal data is shown only in groups: fewer than 5 cardholders show as "< 5".

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::env::AppState;
use shared::http::ApiQuery;
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

use crate::booking::{Booking, BookingType};
use crate::card::{self, CardStatus};
use crate::holders;

/// Groups smaller than this are not shown with their size.
pub const SMALLEST_GROUP: usize = 5;
/// A card booked within this many days counts as active.
const ACTIVE_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    #[default]
    Month,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// How bookings are grouped: day, week (ISO) or month (default).
    #[serde(default)]
    #[param(inline)]
    pub period: Option<Period>,
}

/// The age band of someone born in `birth_year`, in the year of `today`.
pub fn age_band(birth_year: i16, today: Date) -> &'static str {
    match today.year() - birth_year {
        ..25 => "unter 25",
        25..=39 => "25-39",
        40..=59 => "40-59",
        _ => "60+",
    }
}

/// A group's size as shown: the number, or "< 5".
pub fn shown(count: usize) -> String {
    if count < SMALLEST_GROUP {
        format!("< {SMALLEST_GROUP}")
    } else {
        count.to_string()
    }
}

fn period_of(day: Date, period: Period) -> String {
    match period {
        Period::Day => day.to_string(),
        Period::Week => {
            let week = day.iso_week_date();
            format!("{}-W{:02}", week.year(), week.week())
        }
        Period::Month => format!("{}-{:02}", day.year(), day.month()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeriodFigures {
    pub period: String,
    /// Bookings at the till, voids included.
    pub bookings: u64,
    /// Sales, net of voids, in cent: purchases rewarded with points or stamps, payments
    /// with a prepaid balance and gift-card redemptions. Money loaded onto a card counts
    /// when it is spent, not when it is loaded, so nothing is counted twice.
    pub turnover_cents: i64,
    /// Money loaded onto prepaid and gift cards, net of voids, in cent (no sales yet).
    pub loaded_cents: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Outstanding {
    pub kind: String,
    pub unit: String,
    pub balance: i64,
    pub pending: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub group: String,
    /// The number of cardholders, or "< 5".
    pub cardholders: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = CardStatistics)]
pub struct Statistics {
    pub cards_issued: u64,
    /// Booked within the last 90 days.
    pub cards_active: u64,
    pub cards_registered: u64,
    pub by_period: Vec<PeriodFigures>,
    pub outstanding: Vec<Outstanding>,
    pub by_gender: Vec<Group>,
    pub by_age: Vec<Group>,
    /// By the first two digits of the postal code.
    pub by_postal_area: Vec<Group>,
}

fn groups(counts: BTreeMap<String, usize>) -> Vec<Group> {
    counts
        .into_iter()
        .map(|(group, n)| Group {
            group,
            cardholders: shown(n),
        })
        .collect()
}

const UNKNOWN: &str = "keine Angabe";

/// Bookings, sales and money loaded per period; a void counts as what it takes back.
pub fn figures(bookings: &[Booking], period: Period) -> Vec<PeriodFigures> {
    let kinds: HashMap<(&str, &str), BookingType> = bookings
        .iter()
        .map(|b| ((b.number.as_str(), b.booking_id.as_str()), b.kind))
        .collect();
    let mut by_period: BTreeMap<String, PeriodFigures> = BTreeMap::new();
    for b in bookings.iter().filter(|b| b.kind.at_till()) {
        let key = period_of(b.booked_on, period);
        let f = by_period.entry(key.clone()).or_insert(PeriodFigures {
            period: key,
            bookings: 0,
            turnover_cents: 0,
            loaded_cents: 0,
        });
        f.bookings += 1;
        let counts_as = match b.kind {
            BookingType::Void => b
                .refers_to
                .as_deref()
                .and_then(|id| kinds.get(&(b.number.as_str(), id)).copied()),
            kind => Some(kind),
        };
        match counts_as {
            Some(kind) if kind.is_sale() => f.turnover_cents += b.value_cents,
            Some(kind) if kind.is_load() => f.loaded_cents += b.value_cents,
            _ => {}
        }
    }
    by_period.into_values().collect()
}

/// The merchant's statistics.
#[utoipa::path(get, path = "/cards/statistics", tag = "cards", params(StatsQuery),
    responses((status = 200, description = "The figures.", body = Statistics)))]
pub async fn show(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<Statistics>> {
    let period = query.period.unwrap_or_default();
    let table = state.table.as_ref();
    let today = state.clock.today();
    let active_since = today
        .checked_sub(ACTIVE_DAYS.days())
        .map_err(Error::internal)?;
    let cards = card::all_of(table, &auth.partner_id).await?;
    let mut outstanding: BTreeMap<&'static str, Outstanding> = BTreeMap::new();
    for c in &cards {
        let o = outstanding.entry(c.rules.kind()).or_insert(Outstanding {
            kind: c.rules.kind().into(),
            unit: c.rules.unit().into(),
            balance: 0,
            pending: 0,
        });
        o.balance += c.balance;
        o.pending += c.pending;
    }
    let bookings = holders::all_bookings(table, &cards).await?;
    let by_period = figures(&bookings, period);
    let mut gender = BTreeMap::new();
    let mut age = BTreeMap::new();
    let mut area = BTreeMap::new();
    for (_, data) in holders::all_of(&state, &auth.partner_id).await? {
        *gender
            .entry(data.gender.map_or(UNKNOWN, |g| g.german()).to_string())
            .or_insert(0) += 1;
        *age.entry(
            data.birth_year
                .map_or(UNKNOWN, |y| age_band(y, today))
                .to_string(),
        )
        .or_insert(0) += 1;
        *area
            .entry(
                data.postal_code
                    .as_deref()
                    .and_then(|p| p.get(..2))
                    .map_or_else(|| UNKNOWN.to_string(), |p| format!("{p}xxx")),
            )
            .or_insert(0) += 1;
    }
    Ok(Json(Statistics {
        cards_issued: cards.len() as u64,
        cards_active: cards
            .iter()
            .filter(|c| {
                c.status == CardStatus::Active
                    && c.last_booking_on.is_some_and(|d| d >= active_since)
            })
            .count() as u64,
        cards_registered: cards.iter().filter(|c| c.holder_account.is_some()).count() as u64,
        by_period,
        outstanding: outstanding.into_values().collect(),
        by_gender: groups(gender),
        by_age: groups(age),
        by_postal_area: groups(area),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn age_bands_by_birth_year() {
        let today = date(2026, 11, 24);
        assert_eq!(age_band(2002, today), "unter 25");
        assert_eq!(age_band(2001, today), "25-39");
        assert_eq!(age_band(1987, today), "25-39");
        assert_eq!(age_band(1986, today), "40-59");
        assert_eq!(age_band(1967, today), "40-59");
        assert_eq!(age_band(1966, today), "60+");
        assert_eq!(age_band(1930, today), "60+");
    }

    #[test]
    fn small_groups_are_not_counted_out() {
        assert_eq!(shown(0), "< 5");
        assert_eq!(shown(4), "< 5");
        assert_eq!(shown(5), "5");
        assert_eq!(shown(120), "120");
    }

    #[test]
    fn periods_are_days_iso_weeks_and_months() {
        let d = date(2027, 1, 1);
        assert_eq!(period_of(d, Period::Day), "2027-01-01");
        assert_eq!(period_of(d, Period::Week), "2026-W53");
        assert_eq!(period_of(d, Period::Month), "2027-01");
    }
}
