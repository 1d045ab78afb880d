//! The card contract (docs/architecture.md §1): a fee per terminal user and month, a two-year term
//! that renews by a year, notice three months before a term ends. The cards function writes
//! it; billing reads it with [`load`], [`CardContract::count_at_start`] and
//! [`CardContract::added_during`].
//!
//! The terminal-user count history is kept in the contract record itself, so billing needs
//! one read per partner; every change bumps `version` under a condition on the version read,
//! so two racing changes cannot lose one another.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::{Cents, PartnerId};
use crate::store::{Cond, Item, Key, Named, Table, TxOp, Update};
use crate::{Error, Result};

use super::{ContractKind, contract_key};

/// Attribute names of the contract record that are updated in place.
pub mod attr {
    use crate::store::Attr;
    pub const VERSION: Attr = "version";
    pub const TERMINAL_USERS: Attr = "terminal_users";
    pub const TERMINAL_HISTORY: Attr = "terminal_history";
    pub const CANCELLED_ON: Attr = "cancelled_on";
    pub const ENDS_ON: Attr = "ends_on";
}

/// The name of the contract's operation in a transaction.
pub const CONTRACT_OP: &str = "card_contract";

/// Minimum term in years, and the length of each renewal.
const MINIMUM_TERM_YEARS: i16 = 2;
const NOTICE_MONTHS: i32 = 3;

/// One change of the number of terminal users: from `on`, `count` users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalCountChange {
    pub on: Date,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardContract {
    pub partner_id: PartnerId,
    pub signed_on: Date,
    /// Net per terminal user and month, as the operator priced it when the contract was signed.
    pub fee_per_terminal_user: Cents,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_on: Option<Date>,
    /// The last day of the contract once it is cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<Date>,
    /// Terminal users now.
    pub terminal_users: u32,
    /// Every change of the count, oldest first.
    #[serde(default)]
    pub terminal_history: Vec<TerminalCountChange>,
    pub version: u64,
}

/// The last day of term `n` (0: the minimum term) of a contract signed on `signed_on`:
/// the day before the anniversary, so a contract signed on 15 March runs to 14 March.
pub fn term_end(signed_on: Date, n: u32) -> Date {
    let years = MINIMUM_TERM_YEARS.saturating_add(i16::try_from(n).unwrap_or(i16::MAX));
    let Ok(anniversary) = signed_on.checked_add(i64::from(years).years()) else {
        return Date::MAX;
    };
    // Signed on 29 February: the anniversary is clamped to the 28th, the term's last day.
    if anniversary.day() != signed_on.day() {
        return anniversary;
    }
    anniversary.yesterday().unwrap_or(Date::MAX)
}

/// The last day a cancellation reaches the partner's term ending on `term_end`: three
/// months before (a shorter month clamps, 31 May less three months is 28/29 February).
pub fn last_day_to_cancel(term_end: Date) -> Date {
    term_end
        .checked_sub(NOTICE_MONTHS.months())
        .unwrap_or(Date::MIN)
}

impl CardContract {
    pub fn new(partner_id: PartnerId, signed_on: Date, fee: Cents) -> Self {
        Self {
            partner_id,
            signed_on,
            fee_per_terminal_user: fee,
            cancelled_on: None,
            ends_on: None,
            terminal_users: 0,
            terminal_history: Vec::new(),
            version: 0,
        }
    }

    pub fn key(&self) -> Key {
        contract_key(&self.partner_id, ContractKind::Cards)
    }

    pub fn to_item(&self) -> Result<Item> {
        super::super::to_item(&self.key(), self)
    }

    /// The term running on `today` (the first whose end is not before it).
    pub fn current_term_end(&self, today: Date) -> Date {
        (0..)
            .map(|n| term_end(self.signed_on, n))
            .find(|end| *end >= today)
            .unwrap_or(Date::MAX)
    }

    /// The end a cancellation on `today` takes effect: the current term's end while its
    /// notice period is open, otherwise the next term's.
    pub fn end_if_cancelled_on(&self, today: Date) -> Date {
        (0..)
            .map(|n| term_end(self.signed_on, n))
            .find(|end| last_day_to_cancel(*end) >= today)
            .unwrap_or(Date::MAX)
    }

    /// Cancels the contract on `today`: it ends on [`Self::end_if_cancelled_on`]. Fails as
    /// [`CONTRACT_OP`] once the contract is cancelled (the partner's own cancellation, or the
    /// partner closing its account).
    pub fn cancel_op(&self, today: Date) -> Named {
        TxOp::Update {
            key: self.key(),
            ops: vec![
                Update::Set(attr::CANCELLED_ON, today.to_string().into()),
                Update::Set(
                    attr::ENDS_ON,
                    self.end_if_cancelled_on(today).to_string().into(),
                ),
            ],
            cond: Cond::Absent(attr::CANCELLED_ON),
        }
        .named(CONTRACT_OP)
    }

    /// Whether the contract is in force on `day`.
    pub fn runs_on(&self, day: Date) -> bool {
        self.signed_on <= day && self.ends_on.is_none_or(|end| day <= end)
    }

    /// Terminal users at the start of `day`, before any change dated that day: what the run
    /// on the 1st of a month charges in advance, whenever that run happens to execute.
    /// 0 outside the contract.
    pub fn count_at_start(&self, day: Date) -> u32 {
        if !self.runs_on(day) {
            return 0;
        }
        self.terminal_history
            .iter()
            .take_while(|c| c.on < day)
            .last()
            .map_or(0, |c| c.count)
    }

    /// Terminal users to bill for the month of `any_day_of_month` beyond those charged at
    /// its start: the highest count the month reached above that count. Each costs the
    /// whole month (the fee changes from the month of the change); replacing a user within
    /// the month costs nothing extra, and a removal counts from the month after.
    pub fn added_during(&self, any_day_of_month: Date) -> u32 {
        let first = any_day_of_month.first_of_month();
        let last = any_day_of_month.last_of_month();
        let peak = self
            .terminal_history
            .iter()
            .filter(|c| first <= c.on && c.on <= last)
            .map(|c| c.count)
            .max()
            .unwrap_or(0);
        peak.saturating_sub(self.count_at_start(first))
    }

    /// The contract after a change of the terminal-user count by `delta` on `today`, and
    /// the operation that writes it only over the version it was read at.
    pub fn change_terminal_users(&self, today: Date, delta: i32) -> Result<(Self, Named)> {
        let mut next = self.clone();
        next.terminal_users = self.terminal_users.saturating_add_signed(delta);
        next.terminal_history.push(TerminalCountChange {
            on: today,
            count: next.terminal_users,
        });
        next.version += 1;
        let op = TxOp::Update {
            key: self.key(),
            ops: vec![
                Update::Set(attr::TERMINAL_USERS, next.terminal_users.into()),
                Update::Set(
                    attr::TERMINAL_HISTORY,
                    serde_json::to_value(&next.terminal_history)?,
                ),
                Update::Add(attr::VERSION, 1),
            ],
            cond: Cond::Eq(attr::VERSION, self.version.into()),
        }
        .named(CONTRACT_OP);
        Ok((next, op))
    }
}

/// A partner's card contract, if it signed one.
pub async fn load(table: &dyn Table, partner: &PartnerId) -> Result<Option<CardContract>> {
    match table
        .get(&contract_key(partner, ContractKind::Cards))
        .await?
    {
        Some(item) => super::super::from_item(item).map(Some),
        None => Ok(None),
    }
}

/// The contract of a partner that must have one.
pub async fn require(table: &dyn Table, partner: &PartnerId) -> Result<CardContract> {
    load(table, partner).await?.ok_or_else(|| {
        Error::Unprocessable("Bitte schließen Sie zuerst den Kartenvertrag ab.".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn signed_mid_march_the_term_ends_the_day_before_the_second_anniversary() {
        let end = term_end(date(2026, 3, 15), 0);
        assert_eq!(end, date(2028, 3, 14));
        assert_eq!(last_day_to_cancel(end), date(2027, 12, 14));
        assert_eq!(term_end(date(2026, 3, 15), 1), date(2029, 3, 14));
    }

    #[test]
    fn month_ends_and_leap_days() {
        // Signed on the 1st: the term ends on the last day of the month before.
        assert_eq!(term_end(date(2026, 3, 1), 0), date(2028, 2, 29));
        assert_eq!(term_end(date(2026, 3, 1), 1), date(2029, 2, 28));
        assert_eq!(last_day_to_cancel(date(2028, 2, 29)), date(2027, 11, 29));
        // A term ending on 30 May: three months earlier is clamped to February's last day.
        assert_eq!(term_end(date(2026, 5, 31), 0), date(2028, 5, 30));
        assert_eq!(last_day_to_cancel(date(2028, 5, 30)), date(2028, 2, 29));
        assert_eq!(last_day_to_cancel(date(2027, 5, 31)), date(2027, 2, 28));
        // Signed on a leap day: the term runs to the end of 28 February.
        assert_eq!(term_end(date(2028, 2, 29), 0), date(2030, 2, 28));
    }

    #[test]
    fn a_late_cancellation_ends_with_the_next_term() {
        let c = CardContract::new(PartnerId::from_raw("p"), date(2026, 3, 15), Cents(500));
        assert_eq!(c.end_if_cancelled_on(date(2027, 12, 14)), date(2028, 3, 14));
        assert_eq!(c.end_if_cancelled_on(date(2027, 12, 15)), date(2029, 3, 14));
        assert_eq!(c.current_term_end(date(2028, 3, 14)), date(2028, 3, 14));
        assert_eq!(c.current_term_end(date(2028, 3, 15)), date(2029, 3, 14));
    }

    #[test]
    fn billing_reads_the_count_at_the_start_of_a_month_and_the_additions_during_it() -> Result<()> {
        let c = CardContract::new(PartnerId::from_raw("p"), date(2026, 3, 15), Cents(500));
        let (c, _) = c.change_terminal_users(date(2026, 3, 15), 1)?;
        let (c, _) = c.change_terminal_users(date(2026, 3, 20), 1)?;
        let (c, _) = c.change_terminal_users(date(2026, 4, 1), 1)?;
        let (c, _) = c.change_terminal_users(date(2026, 4, 2), -1)?;
        let (c, _) = c.change_terminal_users(date(2026, 4, 10), -1)?;
        let (c, _) = c.change_terminal_users(date(2026, 4, 20), 1)?;
        assert_eq!(c.count_at_start(date(2026, 3, 1)), 0, "before the contract");
        // The user added on 1 April is not in the count at its start ...
        assert_eq!(c.count_at_start(date(2026, 4, 1)), 2);
        // ... but in the month's additions; the replacement on the 20th costs nothing more.
        assert_eq!(c.added_during(date(2026, 4, 30)), 1);
        assert_eq!(c.added_during(date(2026, 3, 1)), 2, "signed mid-March");
        assert_eq!(c.count_at_start(date(2026, 5, 1)), 2);
        assert_eq!(c.added_during(date(2026, 5, 1)), 0);
        assert_eq!(c.version, 6);
        let mut ended = c.clone();
        ended.ends_on = Some(date(2026, 4, 30));
        assert_eq!(ended.count_at_start(date(2026, 5, 1)), 0);
        Ok(())
    }
}
