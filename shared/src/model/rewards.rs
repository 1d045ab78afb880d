//! Referral rewards a partner owes (docs/architecture.md §1): the cash rewards confirmed in a
//! calendar month, summed per partner. Referrals adds each confirmed cash reward to the month
//! it was confirmed in; billing puts every month not yet billed on the partner's next invoice
//! and marks it with that invoice's number in the invoice's own transaction; referrals then
//! makes the month's rewards payable. A billed month takes no more rewards: a late one goes to
//! the next month, and a reward of a billed month can no longer be reversed.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::{Month, PartnerId};
use crate::store::{Attr, Cond, Key, TxOp, Update};

use super::partners::partner_pk;

/// Sort key prefix of a reward month in the partner's partition.
pub const REWARD_MONTH_PREFIX: &str = "REFERRAL_REWARDS#";

pub mod attr {
    use crate::store::Attr;
    pub const PARTNER_ID: Attr = "partner_id";
    pub const MONTH: Attr = "month";
    /// Confirmed rewards and their sum in cents.
    pub const COUNT: Attr = "count";
    pub const CENTS: Attr = "cents";
    /// Set by billing when an invoice bills the month.
    pub const INVOICE_NUMBER: Attr = "invoice_number";
    pub const BILLED_ON: Attr = "billed_on";
}

pub fn reward_month_key(partner: &PartnerId, month: Month) -> Key {
    Key::new(partner_pk(partner), format!("{REWARD_MONTH_PREFIX}{month}"))
}

/// The confirmed cash rewards of one partner and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardMonth {
    pub partner_id: PartnerId,
    pub month: Month,
    #[serde(default)]
    pub count: i64,
    #[serde(default)]
    pub cents: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_on: Option<Date>,
}

impl RewardMonth {
    pub fn key(&self) -> Key {
        reward_month_key(&self.partner_id, self.month)
    }

    pub fn is_billed(&self) -> bool {
        self.invoice_number.is_some()
    }
}

/// Adds (`count` 1) or takes back (`count` -1) a confirmed reward of `cents`; cancelled by
/// its condition once the month is billed.
pub fn change(partner: &PartnerId, month: Month, count: i64, cents: i64) -> TxOp {
    TxOp::Update {
        key: reward_month_key(partner, month),
        ops: vec![
            Update::Set(attr::PARTNER_ID, Value::from(partner.as_str())),
            Update::Set(attr::MONTH, Value::from(month.to_string())),
            Update::Add(attr::COUNT, count),
            Update::Add(attr::CENTS, cents),
        ],
        cond: Cond::Absent(attr::INVOICE_NUMBER),
    }
}

/// Billing's mark: the month is on invoice `number`, issued on `day`. Cancelled when the
/// month changed since it was read (a reward added or reversed meanwhile) or another
/// invoice billed it, so an invoice bills exactly what it shows.
pub fn mark_billed(month: &RewardMonth, number: &str, day: Date) -> TxOp {
    let same = |a: Attr, v: i64| Cond::Eq(a, Value::from(v));
    TxOp::Update {
        key: month.key(),
        ops: vec![
            Update::Set(attr::INVOICE_NUMBER, Value::from(number)),
            Update::Set(attr::BILLED_ON, Value::from(day.to_string())),
        ],
        cond: Cond::All(vec![
            same(attr::COUNT, month.count),
            same(attr::CENTS, month.cents),
            Cond::Absent(attr::INVOICE_NUMBER),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::from_item;
    use crate::store::{SqliteTable, StoreError, Table};

    #[tokio::test]
    async fn a_billed_month_takes_no_more_rewards_and_bills_only_what_was_read() {
        let table = SqliteTable::in_memory(std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
        let partner = PartnerId::generate();
        let november = Month::new(2026, 11).unwrap();
        for cents in [1300, 700] {
            table
                .transact(vec![change(&partner, november, 1, cents).named("month")])
                .await
                .unwrap();
        }
        let read: RewardMonth = from_item(
            table
                .get(&reward_month_key(&partner, november))
                .await
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        assert_eq!((read.count, read.cents, read.is_billed()), (2, 2000, false));

        // A reward reversed after the read: the invoice would bill what it no longer is.
        table
            .transact(vec![change(&partner, november, -1, -700).named("month")])
            .await
            .unwrap();
        let day = jiff::civil::date(2026, 12, 1);
        let stale = table
            .transact(vec![mark_billed(&read, "2026-000001", day).named("billed")])
            .await;
        assert!(matches!(
            stale,
            Err(StoreError::TxCancelled { failed: "billed" })
        ));

        let read: RewardMonth = from_item(table.get(&read.key()).await.unwrap().unwrap()).unwrap();
        table
            .transact(vec![mark_billed(&read, "2026-000001", day).named("billed")])
            .await
            .unwrap();
        let late = table
            .transact(vec![change(&partner, november, 1, 500).named("month")])
            .await;
        assert!(matches!(
            late,
            Err(StoreError::TxCancelled { failed: "month" })
        ));
        let billed: RewardMonth =
            from_item(table.get(&read.key()).await.unwrap().unwrap()).unwrap();
        assert_eq!(billed.invoice_number.as_deref(), Some("2026-000001"));
        assert_eq!((billed.count, billed.cents), (1, 1300));
    }
}
