//! Bookings: what each kind of booking does to a card (pure rules, [`plan`]), and the
//! record that is at once the booking's ledger entry and its idempotency key, so a booking
//! writes two items in one transaction: that record and the card.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use shared::domain::{AccountId, PartnerId};
use shared::store::balance::BALANCE_OP;
use shared::store::{Cond, Item, Named, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

pub use crate::card::ledger_key;
use crate::card::{Card, CardStatus, attr};
use crate::programs::Rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingType {
    /// Bonus: a purchase amount earns points.
    Earn,
    /// Bonus: points redeemed.
    Redeem,
    /// Prepaid: money loaded.
    TopUp,
    /// Prepaid: paid with the balance.
    Pay,
    /// Stamp card: one stamp per visit, or by purchase amount.
    AddStamp,
    /// Stamp card: a full card redeemed for the reward.
    RedeemStamps,
    /// Gift card: its value loaded (once).
    Load,
    /// Gift card: part of the value redeemed.
    RedeemGift,
    /// Reverses a booking of the same day.
    Void,
    /// Schedule: pending points became redeemable.
    Release,
    /// Schedule: points expired.
    Expiry,
    /// A lost card's balance moved away (on the old card) or in (on the new one).
    TransferOut,
    TransferIn,
}

impl BookingType {
    /// Whether the booking's `value_cents` is a sale: money spent on a purchase (paid with
    /// the prepaid balance or a gift card, or paid otherwise and rewarded with points or
    /// stamps). Loading money onto a card is no sale: it is spent later, and counted then.
    pub fn is_sale(self) -> bool {
        matches!(
            self,
            BookingType::Earn | BookingType::Pay | BookingType::AddStamp | BookingType::RedeemGift
        )
    }

    /// Whether the booking's `value_cents` is money loaded onto a card (prepaid, gift card).
    pub fn is_load(self) -> bool {
        matches!(self, BookingType::TopUp | BookingType::Load)
    }

    /// Whether a terminal user booked it (not the schedule or a transfer).
    pub fn at_till(self) -> bool {
        !matches!(
            self,
            BookingType::Release
                | BookingType::Expiry
                | BookingType::TransferOut
                | BookingType::TransferIn
        )
    }

    pub fn german(self) -> &'static str {
        match self {
            BookingType::Earn => "Punkte gesammelt",
            BookingType::Redeem => "Punkte eingelöst",
            BookingType::TopUp => "Aufgeladen",
            BookingType::Pay => "Bezahlt",
            BookingType::AddStamp => "Stempel",
            BookingType::RedeemStamps => "Prämie eingelöst",
            BookingType::Load => "Gutscheinwert geladen",
            BookingType::RedeemGift => "Gutschein eingelöst",
            BookingType::Void => "Storno",
            BookingType::Release => "Punkte freigegeben",
            BookingType::Expiry => "Punkte verfallen",
            BookingType::TransferOut => "Übertrag auf Ersatzkarte",
            BookingType::TransferIn => "Übertrag von alter Karte",
        }
    }
}

/// The booking as the till sends it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[schema(as = CardBookingInput)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "earn", "amount_cents": 2350}))]
pub struct BookingInput {
    #[serde(rename = "type")]
    pub kind: BookingType,
    /// Purchase amount (earn, add_stamp by amount), or money (top_up, pay, load, redeem_gift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub amount_cents: Option<i64>,
    /// Points to redeem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub points: Option<i64>,
    /// The booking to void.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<String>,
}

/// A booking's ledger entry: kept for good, never changed except for the mark of its void.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = CardBooking)]
pub struct Booking {
    pub booking_id: String,
    pub number: String,
    pub partner_id: PartnerId,
    pub program_id: String,
    #[serde(rename = "type")]
    pub kind: BookingType,
    /// The change of the balance in its unit (points, cent, stamps); negative takes away.
    pub amount: i64,
    /// The change of pending points (bonus programs with a waiting time).
    #[serde(default)]
    pub pending_amount: i64,
    /// Turnover in cent: the purchase or payment amount, or the value of redeemed points.
    #[serde(default)]
    pub value_cents: i64,
    pub booked_at: Timestamp,
    pub booked_on: Date,
    /// The terminal user; absent for the schedule's and the merchant's own entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<AccountId>,
    /// Credited points expire on this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    /// Pending points become redeemable on this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_on: Option<Date>,
    /// For a void or a release: the booking it refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<String>,
    /// Set on a booking that was voided: the void's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_by: Option<String>,
    /// For a transfer onto this card: the moved points with their dates, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<Lot>,
}

/// Points moved from a lost card with their dates: they expire on `expires_on` and, while
/// `release_on` is set, are pending until that day, as they would have been on the old card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Lot {
    pub points: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_on: Option<Date>,
}

pub const VOIDED_BY: shared::store::Attr = "voided_by";

/// The put of a ledger entry written once under `key`.
pub fn ledger_put(key: &shared::store::Key, booking: &Booking) -> Result<Named> {
    let mut item = booking.attributes()?;
    item.insert(shared::store::PK.into(), key.pk.clone().into());
    item.insert(shared::store::SK.into(), key.sk.clone().into());
    Ok(shared::store::TxOp::Put {
        item,
        cond: Cond::NotExists,
    }
    .named(shared::store::balance::LEDGER_OP))
}

impl Booking {
    /// The booking's attributes (the record's key is added by its writer).
    pub fn attributes(&self) -> Result<Item> {
        match serde_json::to_value(self)? {
            serde_json::Value::Object(m) => Ok(m),
            _ => Ok(Item::new()),
        }
    }
}

/// What a booking does to its card.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub kind: BookingType,
    pub amount: i64,
    pub pending_amount: i64,
    pub value_cents: i64,
    pub expires_on: Option<Date>,
    pub release_on: Option<Date>,
    /// Further updates of the card besides balance and pending.
    pub updates: Vec<Update>,
    /// Further conditions on the card besides "active and this merchant's".
    pub conds: Vec<Cond>,
}

impl Plan {
    fn new(kind: BookingType, amount: i64) -> Self {
        Self {
            kind,
            amount,
            pending_amount: 0,
            value_cents: 0,
            expires_on: None,
            release_on: None,
            updates: Vec::new(),
            conds: Vec::new(),
        }
    }

    fn value(mut self, cents: i64) -> Self {
        self.value_cents = cents;
        self
    }
}

/// A gift card bought on `on` is valid to the end of the third year after.
pub fn gift_valid_until(on: Date) -> Date {
    jiff::civil::date(on.year().saturating_add(3), 12, 31)
}

fn wrong_kind(rules: &Rules) -> Error {
    Error::Unprocessable(format!(
        "Diese Buchung ist für eine Karte der Art „{}“ nicht möglich.",
        rules.kind()
    ))
}

fn required(field: &str, value: Option<i64>) -> Result<i64> {
    match value {
        Some(v) if (1..=10_000_000).contains(&v) => Ok(v),
        Some(_) => Err(Error::field(field, "muss zwischen 1 und 10000000 liegen")),
        None => Err(Error::field(field, "fehlt")),
    }
}

fn add_months(day: Date, months: u32) -> Date {
    day.checked_add(i64::from(months).months())
        .unwrap_or(Date::MAX)
}

fn add_days(day: Date, days: u32) -> Date {
    day.checked_add(i64::from(days).days()).unwrap_or(Date::MAX)
}

/// What `input` does to `card` on `today` (everything but a void); 422 for a booking the
/// card's kind or state does not allow. Balances are checked again by the write's
/// conditions, so a concurrent booking cannot overdraw.
pub fn plan(card: &Card, input: &BookingInput, today: Date) -> Result<Plan> {
    crate::card::usable(card, today)?;
    if card.status != CardStatus::Active {
        return Err(Error::Unprocessable(format!(
            "Die Karte ist {}.",
            card.status.german()
        )));
    }
    let plan = match (&card.rules, input.kind) {
        (
            Rules::Bonus {
                points_per_euro,
                expiry_months,
                pending_days,
                ..
            },
            BookingType::Earn,
        ) => {
            let cents = required("amount_cents", input.amount_cents)?;
            let points = cents * i64::from(*points_per_euro) / 100;
            if points == 0 {
                return Err(Error::Unprocessable(
                    "Der Betrag ergibt noch keinen Punkt.".into(),
                ));
            }
            let mut plan = Plan::new(BookingType::Earn, 0).value(cents);
            match pending_days {
                Some(days) => {
                    plan.pending_amount = points;
                    plan.release_on = Some(add_days(today, *days));
                }
                None => plan.amount = points,
            }
            if let Some(months) = expiry_months {
                plan.expires_on = Some(add_months(today, *months));
                plan.updates.push(Update::Add(attr::EXPIRING, points));
            }
            plan
        }
        (
            Rules::Bonus {
                point_value_cents, ..
            },
            BookingType::Redeem,
        ) => {
            let points = required("points", input.points)?;
            let mut plan = Plan::new(BookingType::Redeem, -points)
                .value(points * i64::from(*point_value_cents));
            plan.updates.push(Update::Add(attr::DEBITED, points));
            plan
        }
        (Rules::Prepaid { max_balance_cents }, BookingType::TopUp) => {
            let cents = required("amount_cents", input.amount_cents)?;
            if cents > *max_balance_cents {
                return Err(Error::Unprocessable(format!(
                    "Das Guthaben darf höchstens {} betragen.",
                    shared::domain::Cents(*max_balance_cents)
                )));
            }
            let mut plan = Plan::new(BookingType::TopUp, cents).value(cents);
            // Never above the maximum, whatever else is booked at the same time.
            plan.conds.push(Cond::LtOrAbsent(
                attr::BALANCE,
                max_balance_cents - cents + 1,
            ));
            plan
        }
        (Rules::Prepaid { .. }, BookingType::Pay) => {
            let cents = required("amount_cents", input.amount_cents)?;
            Plan::new(BookingType::Pay, -cents).value(cents)
        }
        (
            Rules::Stamp {
                cents_per_stamp, ..
            },
            BookingType::AddStamp,
        ) => match cents_per_stamp {
            None => Plan::new(BookingType::AddStamp, 1)
                .value(input.amount_cents.unwrap_or(0).clamp(0, 10_000_000)),
            Some(per) => {
                let cents = required("amount_cents", input.amount_cents)?;
                let stamps = cents / per;
                if stamps == 0 {
                    return Err(Error::Unprocessable(
                        "Der Betrag ergibt noch keinen Stempel.".into(),
                    ));
                }
                Plan::new(BookingType::AddStamp, stamps).value(cents)
            }
        },
        (
            Rules::Stamp {
                stamps_for_reward, ..
            },
            BookingType::RedeemStamps,
        ) => Plan::new(BookingType::RedeemStamps, -i64::from(*stamps_for_reward)),
        (
            Rules::Gift {
                choices_cents,
                max_cents,
            },
            BookingType::Load,
        ) => {
            let cents = required("amount_cents", input.amount_cents)?;
            if !choices_cents.is_empty() && !choices_cents.contains(&cents) {
                return Err(Error::field(
                    "amount_cents",
                    "muss einer der Beträge des Gutscheins sein",
                ));
            }
            if cents > *max_cents {
                return Err(Error::field(
                    "amount_cents",
                    "liegt über dem Höchstbetrag des Gutscheins",
                ));
            }
            if card.loaded_on.is_some() {
                return Err(Error::Unprocessable(
                    "Der Gutschein wurde bereits geladen.".into(),
                ));
            }
            let mut plan = Plan::new(BookingType::Load, cents).value(cents);
            plan.updates
                .push(Update::Set(attr::LOADED_ON, today.to_string().into()));
            plan.updates.push(Update::Set(
                attr::VALID_UNTIL,
                gift_valid_until(today).to_string().into(),
            ));
            // Loaded once, even when two tills try at the same time.
            plan.conds.push(Cond::Absent(attr::LOADED_ON));
            plan
        }
        (Rules::Gift { .. }, BookingType::RedeemGift) => {
            let cents = required("amount_cents", input.amount_cents)?;
            match card.valid_until {
                None => {
                    return Err(Error::Unprocessable(
                        "Der Gutschein wurde noch nicht geladen.".into(),
                    ));
                }
                Some(until) if until < today => {
                    return Err(Error::Unprocessable(format!(
                        "Der Gutschein war bis {} gültig.",
                        shared::clock::german_date(until)
                    )));
                }
                Some(_) => Plan::new(BookingType::RedeemGift, -cents).value(cents),
            }
        }
        (rules, _) => return Err(wrong_kind(rules)),
    };
    Ok(plan)
}

/// The reversal of `original` (a booking of today): the opposite change, and what else
/// the original changed on the card.
pub fn plan_void(original: &Booking, today: Date) -> Result<Plan> {
    if original.booked_on != today {
        return Err(Error::Unprocessable(
            "Nur Buchungen von heute können storniert werden.".into(),
        ));
    }
    if original.voided_by.is_some() {
        return Err(Error::Unprocessable(
            "Die Buchung ist bereits storniert.".into(),
        ));
    }
    let mut plan = match original.kind {
        BookingType::Earn
        | BookingType::Redeem
        | BookingType::TopUp
        | BookingType::Pay
        | BookingType::AddStamp
        | BookingType::RedeemStamps
        | BookingType::Load
        | BookingType::RedeemGift => Plan::new(BookingType::Void, -original.amount),
        _ => {
            return Err(Error::Unprocessable(
                "Diese Buchung kann nicht storniert werden.".into(),
            ));
        }
    };
    plan.pending_amount = -original.pending_amount;
    // Money spent or loaded is taken back; redeemed points or stamps were no money.
    if original.kind.is_sale() || original.kind.is_load() {
        plan.value_cents = -original.value_cents;
    }
    match original.kind {
        BookingType::Earn if original.expires_on.is_some() => plan.updates.push(Update::Add(
            attr::EXPIRING,
            -(original.amount + original.pending_amount),
        )),
        BookingType::Redeem => plan
            .updates
            .push(Update::Add(attr::DEBITED, original.amount)),
        BookingType::Load => {
            plan.updates.push(Update::Remove(attr::LOADED_ON));
            plan.updates.push(Update::Remove(attr::VALID_UNTIL));
        }
        _ => {}
    }
    Ok(plan)
}

impl Plan {
    /// The card's balance and pending points once the plan is booked on `card` as read.
    pub fn after(&self, card: &Card) -> (i64, i64) {
        (
            card.balance.saturating_add(self.amount),
            card.pending.saturating_add(self.pending_amount),
        )
    }

    /// Why `card`, as read, cannot take the plan: a balance or pending points below zero,
    /// or a prepaid balance above its maximum.
    pub fn shortfall(&self, card: &Card, void: bool) -> Option<Error> {
        let (balance, pending) = self.after(card);
        if let Rules::Prepaid { max_balance_cents } = card.rules
            && self.amount > 0
            && balance > max_balance_cents
        {
            return Some(Error::Unprocessable(
                "Das Höchstguthaben der Karte würde überschritten.".into(),
            ));
        }
        if balance >= 0 && pending >= 0 {
            return None;
        }
        Some(if void {
            Error::Unprocessable("Das Guthaben reicht für das Storno nicht mehr aus.".into())
        } else {
            Error::Unprocessable(format!(
                "Das Guthaben reicht nicht: {} {} verfügbar.",
                card.balance,
                card.rules.unit()
            ))
        })
    }

    /// The card's operation: balance and pending set to [`Plan::after`], the further
    /// updates made, only while the card still holds the balance and pending points it was
    /// read with, is active and this merchant's. So the figures the booking answers with
    /// are the ones the card stores after it: a booking that raced another one fails
    /// this condition and is planned again on the card as it is now.
    pub fn card_op(&self, card: &Card, today: Date) -> Named {
        let (balance, pending) = self.after(card);
        let mut updates = vec![
            Update::Set(attr::BALANCE, balance.into()),
            Update::Set(attr::PENDING, pending.into()),
            Update::Set(attr::LAST_BOOKING_ON, today.to_string().into()),
        ];
        updates.extend(self.updates.iter().cloned());
        let mut conds = vec![
            Cond::Eq(attr::PARTNER, card.partner_id.as_str().into()),
            Cond::Eq(attr::STATUS, CardStatus::Active.as_str().into()),
            Cond::Eq(attr::BALANCE, card.balance.into()),
            Cond::Eq(attr::PENDING, card.pending.into()),
        ];
        conds.extend(self.conds.iter().cloned());
        TxOp::Update {
            key: card.key(),
            ops: updates,
            cond: Cond::All(conds),
        }
        .named(BALANCE_OP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn card(rules: Rules) -> Card {
        Card {
            number: "9276000000000000".into(),
            partner_id: PartnerId::from_raw("m1"),
            program_id: "p1".into(),
            program_name: "Test".into(),
            rules,
            status: CardStatus::Active,
            balance: 0,
            pending: 0,
            debited: 0,
            expiring_total: 0,
            activation_hash: String::new(),
            batch_id: "b1".into(),
            issued_on: date(2026, 1, 1),
            holder_account: None,
            holder_first_name: None,
            loaded_on: None,
            valid_until: None,
            last_booking_on: None,
            replaced_by: None,
            contract_ends_on: None,
        }
    }

    fn input(kind: BookingType, amount: Option<i64>, points: Option<i64>) -> BookingInput {
        BookingInput {
            kind,
            amount_cents: amount,
            points,
            booking_id: None,
        }
    }

    #[test]
    fn gift_cards_are_valid_to_the_end_of_the_third_year() {
        assert_eq!(gift_valid_until(date(2026, 5, 10)), date(2029, 12, 31));
        assert_eq!(gift_valid_until(date(2026, 12, 31)), date(2029, 12, 31));
        assert_eq!(gift_valid_until(date(2027, 1, 1)), date(2030, 12, 31));
        let mut gift = card(Rules::Gift {
            choices_cents: vec![],
            max_cents: 50_000,
        });
        gift.valid_until = Some(date(2029, 12, 31));
        let redeem = input(BookingType::RedeemGift, Some(500), None);
        assert!(plan(&gift, &redeem, date(2029, 12, 31)).is_ok());
        assert!(matches!(
            plan(&gift, &redeem, date(2030, 1, 1)),
            Err(Error::Unprocessable(_))
        ));
    }

    #[test]
    fn earned_points_follow_the_program() -> Result<()> {
        let bonus = card(Rules::Bonus {
            points_per_euro: 2,
            point_value_cents: 1,
            expiry_months: Some(12),
            pending_days: Some(14),
        });
        let p = plan(
            &bonus,
            &input(BookingType::Earn, Some(2399), None),
            date(2026, 3, 31),
        )?;
        assert_eq!((p.amount, p.pending_amount, p.value_cents), (0, 47, 2399));
        assert_eq!(p.release_on, Some(date(2026, 4, 14)));
        assert_eq!(p.expires_on, Some(date(2027, 3, 31)));
        let stamp = card(Rules::Stamp {
            stamps_for_reward: 10,
            reward: "Ein Kaffee".into(),
            cents_per_stamp: None,
        });
        assert!(matches!(
            plan(
                &stamp,
                &input(BookingType::Earn, Some(100), None),
                date(2026, 1, 1)
            ),
            Err(Error::Unprocessable(_))
        ));
        assert_eq!(
            plan(
                &stamp,
                &input(BookingType::RedeemStamps, None, None),
                date(2026, 1, 1)
            )?
            .amount,
            -10
        );
        Ok(())
    }

    #[test]
    fn blocked_cards_and_missing_amounts_are_refused() {
        let mut prepaid = card(Rules::Prepaid {
            max_balance_cents: 10_000,
        });
        assert!(matches!(
            plan(
                &prepaid,
                &input(BookingType::TopUp, None, None),
                date(2026, 1, 1)
            ),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            plan(
                &prepaid,
                &input(BookingType::TopUp, Some(20_000), None),
                date(2026, 1, 1)
            ),
            Err(Error::Unprocessable(_))
        ));
        prepaid.status = CardStatus::Blocked;
        assert!(matches!(
            plan(
                &prepaid,
                &input(BookingType::Pay, Some(100), None),
                date(2026, 1, 1)
            ),
            Err(Error::Unprocessable(_))
        ));
    }
}
