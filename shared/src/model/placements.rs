//! Premium placements ("Plus-Platzierungen"): the kinds an operator offers per platform, their
//! monthly slot counters, and the partners' bookings, which billing charges per calendar month.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{Cents, Month, PartnerId, PlatformId};
use crate::store::{Attr, Cond, Index, Item, Key, Query, SkCond};

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
    /// New prices from a month on, sorted by month; a booking keeps the price of its month
    /// as it was when booked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_changes: Vec<KindPriceChange>,
    /// Retired by the operator then: no new bookings; existing ones stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<Timestamp>,
    /// Counts every change, so two changes at once cannot both build on one read.
    #[serde(default)]
    pub revision: i64,
}

/// A kind's price from a month on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindPriceChange {
    #[schema(value_type = String, example = "2027-01")]
    pub from: Month,
    #[serde(rename = "price_cents")]
    #[schema(value_type = i64)]
    pub price: Cents,
    pub changed_at: Timestamp,
}

/// Attribute names of the kind record that are updated in place.
pub mod kind_attr {
    use crate::store::Attr;
    pub const PRICE_CHANGES: Attr = "price_changes";
    pub const RETIRED_AT: Attr = "retired_at";
    pub const REVISION: Attr = "revision";
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

    /// The price of a booking for `month`: the last change from that month or before, else
    /// the price the kind was defined with.
    pub fn price_in(&self, month: Month) -> Cents {
        self.price_changes
            .iter()
            .rev()
            .find(|c| c.from <= month)
            .map_or(self.price, |c| c.price)
    }

    /// The changes with `price` from `from` on, replacing those from that month on.
    pub fn with_price_from(
        &self,
        from: Month,
        price: Cents,
        now: Timestamp,
    ) -> Vec<KindPriceChange> {
        let mut changes: Vec<KindPriceChange> = self
            .price_changes
            .iter()
            .filter(|c| c.from < from)
            .cloned()
            .collect();
        changes.push(KindPriceChange {
            from,
            price,
            changed_at: now,
        });
        changes
    }

    /// The kind as a list shows it in `month`: its price then, the changes after it.
    pub fn as_of(mut self, month: Month) -> Self {
        self.price = self.price_in(month);
        self.price_changes.retain(|c| c.from > month);
        self
    }

    /// The condition of a change built on this record as read.
    pub fn unchanged(&self) -> Cond {
        if self.revision == 0 {
            Cond::LtOrAbsent(kind_attr::REVISION, 1)
        } else {
            Cond::Eq(kind_attr::REVISION, self.revision.into())
        }
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

/// The slot counters of one kind from month `first` to month `last`: one short query,
/// whatever the kind's history.
pub fn slots_between(platform: &PlatformId, kind_id: &str, first: Month, last: Month) -> Query {
    let sk = |m: Month| format!("{SLOTS_PREFIX}{kind_id}#{m}");
    Query::partition(Index::Primary, platform_pk(platform)).sk(SkCond::Between(sk(first), sk(last)))
}

/// The month a slot counter's sort key counts.
pub fn slots_month(sk: &str) -> Option<Month> {
    sk.strip_prefix(SLOTS_PREFIX)?
        .rsplit('#')
        .next()?
        .parse()
        .ok()
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

    #[tokio::test]
    async fn a_kinds_slot_counters_are_read_for_the_months_asked_only() {
        use crate::store::Update;
        let table = SqliteTable::in_memory(std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
        let platform = PlatformId::generate();
        for (kind, month) in [
            ("top", "2026-11"),
            ("top", "2026-12"),
            ("top", "2027-06"),
            ("top", "2027-07"),
            ("topp", "2026-12"),
        ] {
            let key = slots_key(&platform, kind, month.parse().unwrap());
            table
                .update(&key, &[Update::Add(attr::TAKEN, 1)], Cond::Always)
                .await
                .unwrap();
        }
        let found = table
            .query_all(slots_between(
                &platform,
                "top",
                "2026-12".parse().unwrap(),
                "2027-06".parse().unwrap(),
            ))
            .await
            .unwrap();
        let months: Vec<String> = found
            .iter()
            .filter_map(crate::store::Key::of)
            .filter_map(|k| slots_month(&k.sk))
            .map(|m| m.to_string())
            .collect();
        assert_eq!(months, vec!["2026-12", "2027-06"]);
    }
}
