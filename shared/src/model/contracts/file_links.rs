//! The digital customer account (file-links): the booking, its price tiers and their
//! history; file-links writes it, billing reads it (docs/architecture.md §1: price × 12 at each
//! booking anniversary, in advance; a higher tier mid-year bills the difference).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::{Cents, PartnerId};
use crate::store::{Cond, Key, Named, TxOp, Update};

use super::{ContractKind, contract_key};

/// Attribute names of the contract record used in conditions.
pub mod attr {
    use crate::store::Attr;
    /// The number of customers; every change of it is conditional on the value read.
    pub const CUSTOMERS: Attr = "customers";
    pub const CANCELLED_ON: Attr = "cancelled_on";
}

pub fn key(partner: &PartnerId) -> Key {
    contract_key(partner, ContractKind::FileLinks)
}

/// The price tiers by number of customers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 1-10 customers, free.
    Free,
    /// 11-25 customers.
    #[serde(rename = "up_to_25")]
    UpTo25,
    /// 26-50 customers.
    #[serde(rename = "up_to_50")]
    UpTo50,
    /// 51-99 customers.
    #[serde(rename = "up_to_99")]
    UpTo99,
    /// 100 or more, at the price the operator granted.
    Unlimited,
}

impl Tier {
    /// The tier a number of customers needs.
    pub fn for_customers(customers: u32) -> Tier {
        match customers {
            0..=10 => Tier::Free,
            11..=25 => Tier::UpTo25,
            26..=50 => Tier::UpTo50,
            51..=99 => Tier::UpTo99,
            _ => Tier::Unlimited,
        }
    }

    /// The most customers the tier holds; `None` for unlimited.
    pub fn max_customers(self) -> Option<u32> {
        match self {
            Tier::Free => Some(10),
            Tier::UpTo25 => Some(25),
            Tier::UpTo50 => Some(50),
            Tier::UpTo99 => Some(99),
            Tier::Unlimited => None,
        }
    }

    /// The list price per month, net; the unlimited tier has none (the operator sets it).
    pub fn list_price(self) -> Option<Cents> {
        match self {
            Tier::Free => Some(Cents(0)),
            Tier::UpTo25 => Some(Cents(250)),
            Tier::UpTo50 => Some(Cents(450)),
            Tier::UpTo99 => Some(Cents(750)),
            Tier::Unlimited => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::UpTo25 => "up_to_25",
            Tier::UpTo50 => "up_to_50",
            Tier::UpTo99 => "up_to_99",
            Tier::Unlimited => "unlimited",
        }
    }
}

/// From `from` on, the account was in `tier` at `monthly_price` (net, per month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TierChange {
    pub tier: Tier,
    pub from: Date,
    pub monthly_price: Cents,
}

/// Why a number of customers cannot be priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierError {
    /// 100 or more customers need the unlimited tier, which the operator has not granted.
    UnlimitedNotGranted,
}

/// The booking of the digital customer account, in the partner's partition.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileLinksContract {
    pub partner_id: PartnerId,
    /// The supplier's own access link: `<base>/<slug>`.
    pub slug: String,
    /// The day of booking (Europe/Berlin): the billing year runs from here.
    pub booked_on: Date,
    pub booked_at: Timestamp,
    pub customers: u32,
    pub tier: Tier,
    /// Every tier the account was in, oldest first; the first entry is the booking's.
    pub tier_history: Vec<TierChange>,
    /// The monthly price of the unlimited tier, once the operator granted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlimited_price: Option<Cents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlimited_granted_on: Option<Date>,
    /// The day the supplier cancelled; the paid year is not refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_on: Option<Date>,
}

impl FileLinksContract {
    /// A new booking: no customers, the free tier from today.
    pub fn book(partner_id: PartnerId, slug: String, now: Timestamp, today: Date) -> Self {
        Self {
            partner_id,
            slug,
            booked_on: today,
            booked_at: now,
            customers: 0,
            tier: Tier::Free,
            tier_history: vec![TierChange {
                tier: Tier::Free,
                from: today,
                monthly_price: Cents(0),
            }],
            unlimited_price: None,
            unlimited_granted_on: None,
            cancelled_on: None,
        }
    }

    pub fn key(&self) -> Key {
        key(&self.partner_id)
    }

    /// The monthly price of a tier for this account.
    pub fn price_of(&self, tier: Tier) -> Result<Cents, TierError> {
        tier.list_price()
            .or(self.unlimited_price)
            .ok_or(TierError::UnlimitedNotGranted)
    }

    /// The current monthly price, net.
    pub fn monthly_price(&self) -> Cents {
        self.price_of(self.tier).unwrap_or_default()
    }

    /// The contract with `customers` customers from `today`: the tier follows, and a tier
    /// change is added to the history. Fails when the tier would need the unlimited grant.
    pub fn with_customers(&self, customers: u32, today: Date) -> Result<Self, TierError> {
        let tier = Tier::for_customers(customers);
        let price = self.price_of(tier)?;
        let mut next = self.clone();
        next.customers = customers;
        if tier != self.tier {
            next.tier = tier;
            next.tier_history.push(TierChange {
                tier,
                from: today,
                monthly_price: price,
            });
        }
        Ok(next)
    }

    /// The operator grants the unlimited tier at `price` per month.
    pub fn grant_unlimited(&mut self, price: Cents, today: Date) {
        self.unlimited_price = Some(price);
        self.unlimited_granted_on = Some(today);
        // An account already unlimited (a changed price) is billed at the new price from now.
        if self.tier == Tier::Unlimited {
            self.tier_history.push(TierChange {
                tier: Tier::Unlimited,
                from: today,
                monthly_price: price,
            });
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_on.is_some()
    }

    /// The booking anniversary that starts the billing year `years` after booking.
    pub fn anniversary(&self, years: i16) -> Date {
        self.booked_on
            .checked_add(jiff::Span::new().years(years))
            .unwrap_or(Date::MAX)
    }

    /// After a cancellation: the first day no longer paid for, the next booking anniversary
    /// after the day of cancellation. The paid year runs to its end and is not refunded.
    pub fn ends_on(&self) -> Option<Date> {
        let cancelled = self.cancelled_on?;
        (1..=i16::MAX)
            .map(|years| self.anniversary(years))
            .find(|day| *day > cancelled)
    }

    /// Whether the supplier's customers can use the account on `today`.
    pub fn runs_on(&self, today: Date) -> bool {
        self.ends_on().is_none_or(|end| today < end)
    }

    /// This contract cancelled on `today`, as [`Self::cancel_op`] leaves it.
    pub fn cancelled(&self, today: Date) -> Self {
        Self {
            cancelled_on: Some(today),
            ..self.clone()
        }
    }

    /// Cancels on `today` (the paid year runs to its end, [`Self::ends_on`], and is not
    /// refunded); fails as [`CANCEL_OP`] once the account is cancelled. It writes only the
    /// day, so a change of the customers meanwhile stays as it is.
    pub fn cancel_op(&self, today: Date) -> crate::Result<Named> {
        Ok(TxOp::Update {
            key: self.key(),
            ops: vec![Update::Set(
                attr::CANCELLED_ON,
                serde_json::to_value(today).map_err(crate::Error::internal)?,
            )],
            cond: Cond::Absent(attr::CANCELLED_ON),
        }
        .named(CANCEL_OP))
    }
}

/// The name of [`FileLinksContract::cancel_op`] in a transaction.
pub const CANCEL_OP: &str = "cancel_customer_account";

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn contract() -> FileLinksContract {
        FileLinksContract::book(
            PartnerId::from_raw("p1"),
            "mueller".into(),
            Timestamp::UNIX_EPOCH,
            date(2026, 11, 24),
        )
    }

    #[test]
    fn tiers_change_after_10_25_50_and_99_customers() {
        for (last_of_tier, next) in [
            (10, Tier::UpTo25),
            (25, Tier::UpTo50),
            (50, Tier::UpTo99),
            (99, Tier::Unlimited),
        ] {
            let tier = Tier::for_customers(last_of_tier);
            assert_eq!(tier.max_customers(), Some(last_of_tier));
            assert_eq!(Tier::for_customers(last_of_tier + 1), next);
        }
        assert_eq!(Tier::for_customers(0), Tier::Free);
        assert_eq!(Tier::for_customers(1), Tier::Free);
        assert_eq!(Tier::for_customers(5000), Tier::Unlimited);
    }

    #[test]
    fn prices_per_month_follow_the_price_list() {
        let c = contract();
        assert_eq!(c.price_of(Tier::for_customers(10)), Ok(Cents(0)));
        assert_eq!(c.price_of(Tier::for_customers(11)), Ok(Cents(250)));
        assert_eq!(c.price_of(Tier::for_customers(26)), Ok(Cents(450)));
        assert_eq!(c.price_of(Tier::for_customers(51)), Ok(Cents(750)));
        assert_eq!(
            c.price_of(Tier::for_customers(100)),
            Err(TierError::UnlimitedNotGranted)
        );
    }

    #[test]
    fn crossing_a_limit_records_the_new_tier_with_its_date_and_price() {
        let day = date(2027, 2, 1);
        let c = contract().with_customers(10, day).unwrap();
        assert_eq!(c.tier_history.len(), 1, "10 customers are still free");
        let c = c.with_customers(11, day).unwrap();
        assert_eq!(c.tier, Tier::UpTo25);
        assert_eq!(
            c.tier_history.last(),
            Some(&TierChange {
                tier: Tier::UpTo25,
                from: day,
                monthly_price: Cents(250)
            })
        );
        assert_eq!(c.monthly_price(), Cents(250));
    }

    #[test]
    fn a_cancelled_account_runs_to_the_end_of_its_paid_year() {
        let mut c = contract();
        assert!(c.runs_on(date(2030, 1, 1)));
        c.cancelled_on = Some(date(2027, 3, 10));
        assert_eq!(c.ends_on(), Some(date(2027, 11, 24)));
        assert!(c.runs_on(date(2027, 11, 23)));
        assert!(!c.runs_on(date(2027, 11, 24)));
        c.cancelled_on = Some(date(2026, 11, 24));
        assert_eq!(
            c.ends_on(),
            Some(date(2027, 11, 24)),
            "cancelled on the day of booking"
        );
    }

    #[test]
    fn the_hundredth_customer_needs_the_granted_unlimited_tier() {
        let day = date(2027, 3, 1);
        let c = contract().with_customers(99, day).unwrap();
        assert_eq!(c.monthly_price(), Cents(750));
        assert_eq!(
            c.with_customers(100, day).map(|c| c.tier),
            Err(TierError::UnlimitedNotGranted)
        );
        let mut granted = c.clone();
        granted.grant_unlimited(Cents(1990), day);
        let c = granted.with_customers(100, day).unwrap();
        assert_eq!(c.tier, Tier::Unlimited);
        assert_eq!(c.monthly_price(), Cents(1990));
    }
}
