//! Premium placements ("Plus-Platzierungen"): the kinds an operator offers per platform, their
//! monthly slot counters, and the partners' bookings, which billing charges per calendar month.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{Cents, PartnerId, PlatformId};
use crate::store::{Attr, Index, Item, Key, Query, SkCond};

use super::partners::partner_pk;
use super::platforms::platform_pk;

pub const PLACEMENT_KIND_PREFIX: &str = "PLACEMENT_KIND#";
const SLOTS_PREFIX: &str = "PLACEMENT_SLOTS#";
pub const BOOKING_PREFIX: &str = "PLACEMENT#";

/// Attribute names conditions and updates use.
pub mod attr {
    use crate::store::Attr;
    /// Slots of a kind taken in a month (the slot counter).
    pub const TAKEN: Attr = "taken";
    /// A booking's state.
    pub const STATE: Attr = "state";
    pub const CANCELLED_AT: Attr = "cancelled_at";
}

/// A calendar month (Europe/Berlin), written `2026-12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i16,
    month: i8,
}

impl Month {
    pub fn new(year: i16, month: i8) -> Option<Self> {
        Date::new(year, month, 1).ok().map(|_| Self { year, month })
    }

    /// The month of a civil date.
    pub fn of(day: Date) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        self.next().first_day().yesterday().unwrap_or(Date::MAX)
    }

    /// The month after this one.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year.saturating_add(1),
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Whole months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: Month) -> i32 {
        (i32::from(later.year) - i32::from(self.year)) * 12 + i32::from(later.month)
            - i32::from(self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const MESSAGE: &str = "muss ein Monat im Format JJJJ-MM sein (z. B. 2026-12)";
        let (y, m) = s.split_once('-').ok_or(MESSAGE)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(MESSAGE);
        }
        let year: i16 = y.parse().map_err(|_| MESSAGE)?;
        let month: i8 = m.parse().map_err(|_| MESSAGE)?;
        if !(2000..=2999).contains(&year) {
            return Err(MESSAGE);
        }
        Month::new(year, month).ok_or(MESSAGE)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^2[0-9]{3}-(0[1-9]|1[0-2])$"))
            .description(Some("A calendar month, JJJJ-MM."))
            .examples([serde_json::json!("2026-12")])
            .into()
    }
}
impl utoipa::ToSchema for Month {}

/// A kind of placement an operator offers on a platform, e.g. "Top-Platzierung".
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlacementKind {
    pub kind_id: String,
    pub platform_id: PlatformId,
    pub name: String,
    /// Net price per calendar month.
    #[serde(rename = "price_cents")]
    pub price: Cents,
    /// How many partners may book it per month.
    pub slots_per_month: u32,
    pub created_at: Timestamp,
}

pub fn kind_key(platform: &PlatformId, kind_id: &str) -> Key {
    Key::new(
        platform_pk(platform),
        format!("{PLACEMENT_KIND_PREFIX}{kind_id}"),
    )
}

/// Every placement kind of a platform.
pub fn kinds_of(platform: &PlatformId) -> Query {
    Query::partition(Index::Primary, platform_pk(platform))
        .sk(SkCond::BeginsWith(PLACEMENT_KIND_PREFIX.into()))
}

impl PlacementKind {
    pub fn to_item(&self) -> Result<Item, crate::Error> {
        super::to_item(&kind_key(&self.platform_id, &self.kind_id), self)
    }
}

/// The counter of a kind's slots taken in a month: booking adds one under the condition
/// `taken < slots`, so of two partners racing for the last slot exactly one wins.
pub fn slots_key(platform: &PlatformId, kind_id: &str, month: Month) -> Key {
    Key::new(
        platform_pk(platform),
        format!("{SLOTS_PREFIX}{kind_id}#{month}"),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BookingState {
    Booked,
    Cancelled,
}

impl BookingState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A partner's booking of a placement kind for one offer, platform and month: what billing
/// charges for that month while its state is `booked`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlacementBooking {
    pub partner_id: PartnerId,
    pub platform_id: PlatformId,
    pub offer_id: String,
    pub kind_id: String,
    /// The kind's name when booked.
    pub kind_name: String,
    pub month: Month,
    /// Net price for the month, fixed when booked.
    #[serde(rename = "price_cents")]
    pub price: Cents,
    pub state: BookingState,
    pub booked_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Timestamp>,
}

fn month_prefix(month: Month) -> String {
    format!("{BOOKING_PREFIX}{month}#")
}

/// One booking per offer, platform and month; the month leads, so a partner's bookings of a
/// month are one query.
pub fn booking_key(partner: &PartnerId, month: Month, platform: &PlatformId, offer: &str) -> Key {
    Key::new(
        partner_pk(partner),
        format!("{}{platform}#{offer}", month_prefix(month)),
    )
}

/// A partner's bookings (booked and cancelled) for month `month`: what billing reads.
pub fn bookings_of(partner: &PartnerId, month: Month) -> Query {
    Query::partition(Index::Primary, partner_pk(partner))
        .sk(SkCond::BeginsWith(month_prefix(month)))
}

/// A partner's bookings (booked and cancelled) of month `first` and every later month.
pub fn bookings_from(partner: &PartnerId, first: Month) -> Query {
    Query::partition(Index::Primary, partner_pk(partner)).sk(SkCond::Between(
        month_prefix(first),
        format!("{BOOKING_PREFIX}~"),
    ))
}

/// Every booking of a partner, all months.
pub fn all_bookings_of(partner: &PartnerId) -> Query {
    Query::partition(Index::Primary, partner_pk(partner))
        .sk(SkCond::BeginsWith(BOOKING_PREFIX.into()))
}

impl PlacementBooking {
    pub fn key(&self) -> Key {
        booking_key(
            &self.partner_id,
            self.month,
            &self.platform_id,
            &self.offer_id,
        )
    }

    pub fn to_item(&self) -> Result<Item, crate::Error> {
        super::to_item(&self.key(), self)
    }

    /// Whether billing charges it.
    pub fn is_billable(&self) -> bool {
        self.state == BookingState::Booked
    }
}

/// The attribute a booking's transitions are conditioned on.
pub const STATE: Attr = attr::STATE;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{from_item, to_item};
    use crate::store::{Cond, SqliteTable, Table};

    #[test]
    fn months_parse_print_and_count() {
        let m: Month = "2026-12".parse().unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(m.last_day(), jiff::civil::date(2026, 12, 31));
        let february: Month = "2028-02".parse().unwrap();
        assert_eq!(february.last_day(), jiff::civil::date(2028, 2, 29));
        assert_eq!(m.months_until("2027-02".parse().unwrap()), 2);
        assert_eq!(
            Month::of(jiff::civil::date(2026, 3, 31)).to_string(),
            "2026-03"
        );
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", "x"] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_month_query_finds_that_months_bookings_only() {
        let table = SqliteTable::in_memory(std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
        let partner = PartnerId::generate();
        let platform = PlatformId::generate();
        for month in ["2026-11", "2026-12", "2027-01"] {
            let booking = PlacementBooking {
                partner_id: partner.clone(),
                platform_id: platform.clone(),
                offer_id: "offer".into(),
                kind_id: "top".into(),
                kind_name: "Top".into(),
                month: month.parse().unwrap(),
                price: Cents(1990),
                state: BookingState::Booked,
                booked_at: Timestamp::UNIX_EPOCH,
                cancelled_at: None,
            };
            table
                .put(to_item(&booking.key(), &booking).unwrap(), Cond::NotExists)
                .await
                .unwrap();
        }
        let found = table
            .query_all(bookings_of(&partner, "2026-12".parse().unwrap()))
            .await
            .unwrap();
        let months: Vec<String> = found
            .into_iter()
            .map(|i| from_item::<PlacementBooking>(i).unwrap().month.to_string())
            .collect();
        assert_eq!(months, vec!["2026-12"]);
        let later = table
            .query_all(bookings_from(&partner, "2026-12".parse().unwrap()))
            .await
            .unwrap();
        let months: Vec<String> = later
            .into_iter()
            .map(|i| from_item::<PlacementBooking>(i).unwrap().month.to_string())
            .collect();
        assert_eq!(months, vec!["2026-12", "2027-01"]);
    }
}
