//! Statistics for the merchant: cards issued and active, bookings and turnover per day,
//! week or month, what is outstanding, and cardholders by gender, age band and postal
//! area. Personal data is shown only in groups of at least 5 cardholders: a smaller group is
//! hidden, and so are as many further groups as it takes that no hidden group can be computed
//! from the shown ones and the total (secondary suppression, [`suppress`]).

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
use crate::ledger;

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

/// What a hidden group shows instead of its size. One text for every hidden group, whether
/// it is under 5 or hidden to protect a smaller one: a second text would tell which is which.
pub const HIDDEN: &str = "verborgen";

/// The groups of one breakdown as shown (docs/cards.md, "Statistics"). Every group under
/// [`SMALLEST_GROUP`] is hidden; when the hidden groups are fewer than two or hold fewer than
/// [`SMALLEST_GROUP`] cardholders together, the smallest shown group is hidden too, until
/// they are not, so that the total less the shown groups tells no group under the threshold.
/// A breakdown of fewer than [`SMALLEST_GROUP`] cardholders shows no group at all: even its
/// only group would be the total.
pub fn suppress(counts: BTreeMap<String, usize>) -> Vec<Group> {
    let total: usize = counts.values().sum();
    if total < SMALLEST_GROUP {
        return Vec::new();
    }
    let mut by_size: Vec<(&String, usize)> = counts.iter().map(|(g, n)| (g, *n)).collect();
    by_size.sort_by_key(|(group, n)| (*n, *group));
    let mut hidden = by_size
        .iter()
        .take_while(|(_, n)| *n < SMALLEST_GROUP)
        .count();
    if hidden > 0 {
        loop {
            let hidden_sum: usize = by_size[..hidden].iter().map(|(_, n)| n).sum();
            if (hidden >= 2 && hidden_sum >= SMALLEST_GROUP) || hidden == by_size.len() {
                break;
            }
            hidden += 1;
        }
    }
    let hidden: Vec<&String> = by_size[..hidden].iter().map(|(g, _)| *g).collect();
    counts
        .iter()
        .map(|(group, n)| Group {
            group: group.clone(),
            cardholders: if hidden.contains(&group) {
                HIDDEN.to_string()
            } else {
                n.to_string()
            },
        })
        .collect()
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
    /// The number of cardholders, or "verborgen": under 5, or hidden so that a group under 5
    /// cannot be computed from the others and the total.
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
    let bookings = ledger::all_bookings(table, &cards).await?;
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
        by_gender: suppress(gender),
        by_age: suppress(age),
        by_postal_area: suppress(area),
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

    fn shown(groups: &[(&str, usize)]) -> Vec<(String, String)> {
        suppress(groups.iter().map(|(g, n)| (g.to_string(), *n)).collect())
            .into_iter()
            .map(|g| (g.group, g.cardholders))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(g, n)| (g.to_string(), n.to_string()))
            .collect()
    }

    #[test]
    fn one_small_group_hides_the_next_smallest_too() {
        // 5 women and 1 man: with the total of 6, "weiblich: 5" would tell the one man.
        assert_eq!(
            shown(&[("männlich", 1), ("weiblich", 5)]),
            pairs(&[("männlich", HIDDEN), ("weiblich", HIDDEN)])
        );
        // The next smallest is hidden, the larger groups stay.
        assert_eq!(
            shown(&[("männlich", 2), ("weiblich", 40), ("keine Angabe", 7)]),
            pairs(&[
                ("keine Angabe", HIDDEN),
                ("männlich", HIDDEN),
                ("weiblich", "40")
            ])
        );
    }

    #[test]
    fn hidden_groups_together_hold_at_least_five() {
        // Two groups of 1: hidden together they would still tell "2 are not 60+".
        assert_eq!(
            shown(&[("unter 25", 1), ("25-39", 1), ("40-59", 6), ("60+", 30)]),
            pairs(&[
                ("25-39", HIDDEN),
                ("40-59", HIDDEN),
                ("60+", "30"),
                ("unter 25", HIDDEN)
            ])
        );
        // Two small groups that hold 5 together need no third.
        assert_eq!(
            shown(&[("50xxx", 4), ("60xxx", 3), ("10xxx", 9)]),
            pairs(&[("10xxx", "9"), ("50xxx", HIDDEN), ("60xxx", HIDDEN)])
        );
    }

    #[test]
    fn groups_of_five_and_more_show_their_size() {
        assert_eq!(
            shown(&[("männlich", 5), ("weiblich", 120)]),
            pairs(&[("männlich", "5"), ("weiblich", "120")])
        );
        assert_eq!(shown(&[("weiblich", 6)]), pairs(&[("weiblich", "6")]));
    }

    #[test]
    fn fewer_than_five_cardholders_show_no_breakdown() {
        assert!(shown(&[("weiblich", 3)]).is_empty());
        assert!(shown(&[("weiblich", 2), ("männlich", 2)]).is_empty());
    }

    /// Whatever the figures, no hidden group can be told from the total and the shown groups.
    #[test]
    fn no_hidden_group_can_be_computed() {
        for a in 1..12 {
            for b in 1..12 {
                for c in 0..12 {
                    let mut groups = vec![("a", a), ("b", b)];
                    if c > 0 {
                        groups.push(("c", c));
                    }
                    let total: usize = groups.iter().map(|(_, n)| n).sum();
                    let out = shown(&groups);
                    if total < SMALLEST_GROUP {
                        assert!(out.is_empty());
                        continue;
                    }
                    let hidden: Vec<usize> = groups
                        .iter()
                        .zip(&out)
                        .filter(|(_, (_, s))| s == HIDDEN)
                        .map(|((_, n), _)| *n)
                        .collect();
                    for (&(_, n), (_, s)) in groups.iter().zip(&out) {
                        if n < SMALLEST_GROUP {
                            assert_eq!(s, HIDDEN, "{groups:?}");
                        }
                    }
                    if !hidden.is_empty() {
                        assert!(hidden.len() >= 2, "{groups:?} -> {out:?}");
                        assert!(
                            hidden.iter().sum::<usize>() >= SMALLEST_GROUP,
                            "{groups:?} -> {out:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn periods_are_days_iso_weeks_and_months() {
        let d = date(2027, 1, 1);
        assert_eq!(period_of(d, Period::Day), "2027-01-01");
        assert_eq!(period_of(d, Period::Week), "2026-W53");
        assert_eq!(period_of(d, Period::Month), "2027-01");
    }
}
