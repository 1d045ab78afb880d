//! Direct debits from issue to SEPA file (docs/billing.md, "Direct debits"): an invoice with
//! a mandate writes a debit order in its transaction; exactly one SEPA file takes it
//! (`collect`). The records:
//!
//! - the **order** (`DEBITS#DUE` / `<period>#<number>`), in one partition so that a strongly
//!   consistent query finds every debit still due; deleted when a file takes it, or when
//!   the invoice is cancelled before that;
//! - the **file** (`RUN#<period>` / `SEPA#<nnn>`), numbered within its run: `claiming`
//!   while its writer takes orders, `closed` when no order can join it any more, `written`
//!   once its XML is stored;
//! - the **collection** of an order, written by the file that takes it, twice: in the
//!   file's partition (`SEPA_FILE#<period>#<nnn>` / `<number>`, what the XML is written
//!   from) and in the partner's (`COLLECTION#<number>`, what the partner's list shows);
//! - the **mandate's first collection** (`MANDATE_USED#<reference>`), written by the file
//!   that collects from the mandate first: every later collection is RCUR.

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};
use shared::domain::{Cents, PartnerId};
use shared::model::partners::partner_pk;
use shared::store::{Cond, Index, Item, Key, Query, SkCond, TxOp};
use utoipa::ToSchema;

use crate::invoice::{DirectDebit, Invoice};
use crate::run::run_pk;
use shared::domain::Month;

/// The partition of every debit order not yet in a SEPA file.
const DUE_PK: &str = "DEBITS#DUE";
/// Sort-key prefix of a run's SEPA files.
const FILE_PREFIX: &str = "SEPA#";
/// Partition prefix of the collections a SEPA file holds.
const FILE_ENTRIES_PREFIX: &str = "SEPA_FILE#";
/// Sort-key prefix of a mandate's first collection (`MANDATE_USED#<reference>`).
pub const MANDATE_USED_PREFIX: &str = "MANDATE_USED#";
/// Sort-key prefix of a partner's collections.
pub const COLLECTION_PREFIX: &str = "COLLECTION#";

/// The state attribute of a SEPA file and its values.
pub mod attr {
    use shared::store::Attr;
    pub const STATE: Attr = "state";
    pub const PAYMENTS: Attr = "payments";
    pub const TOTAL: Attr = "total_cents";
    pub const COLLECTION_DATES: Attr = "collection_dates";
}

/// A mandate's first collection or a later one (pain.008 `SeqTp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Sequence {
    #[serde(rename = "FRST")]
    First,
    #[serde(rename = "RCUR")]
    Recurring,
}

impl Sequence {
    pub fn code(self) -> &'static str {
        match self {
            Sequence::First => "FRST",
            Sequence::Recurring => "RCUR",
        }
    }
}

/// The first TARGET2 business day on or after `day` (no weekends, 1 Jan, 1 May, 25 and 26
/// Dec; Good Friday and Easter Monday are rare enough on a collection date that banks move
/// them themselves).
pub fn collection_day(day: Date) -> Date {
    let mut d = day;
    while matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
        || (d.month() == 12 && (d.day() == 25 || d.day() == 26))
        || (d.month() == 1 && d.day() == 1)
        || (d.month() == 5 && d.day() == 1)
    {
        d = d.tomorrow().unwrap_or(d);
    }
    d
}

/// The collection day announced by an invoice or notice sent on `day`: `days` later, moved
/// to a business day.
pub fn announced_day(day: Date, days: i64) -> Date {
    collection_day(day.checked_add(jiff::Span::new().days(days)).unwrap_or(day))
}

fn due_key(period: Month, number: &str) -> Key {
    Key::new(DUE_PK, format!("{period}#{number}"))
}

/// Every order still due of `period` and the months before it, oldest invoice first.
pub fn due_until(period: Month) -> Query {
    Query::partition(Index::Primary, DUE_PK).sk(SkCond::Between(
        // Every sort key starts with a year (DynamoDB refuses an empty bound); `~` sorts
        // after every character of an invoice number.
        "0".into(),
        format!("{period}#~"),
    ))
}

/// A direct debit due: written with its invoice, until exactly one SEPA file takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitOrder {
    pub invoice_number: String,
    pub partner_id: PartnerId,
    pub period: Month,
    pub amount_cents: Cents,
    /// As announced on the invoice (its `collection_date` is the announced day).
    pub debit: DirectDebit,
    /// A SEPA file had collected from the mandate before the invoice was issued.
    pub mandate_collected: bool,
}

impl DebitOrder {
    /// The order of an invoice with a direct debit.
    pub fn of(invoice: &Invoice, mandate_collected: bool) -> Option<Self> {
        let debit = invoice.debit.clone()?;
        Some(Self {
            invoice_number: invoice.number.clone(),
            partner_id: invoice.partner_id.clone(),
            period: invoice.period,
            amount_cents: invoice.totals.gross_cents,
            debit,
            mandate_collected,
        })
    }

    pub fn key(&self) -> Key {
        due_key(self.period, &self.invoice_number)
    }

    /// Written in the invoice's transaction, once.
    pub fn put(&self) -> Result<TxOp, shared::Error> {
        Ok(TxOp::Put {
            item: shared::model::to_item(&self.key(), self)?,
            cond: Cond::NotExists,
        })
    }
}

/// Takes a cancelled invoice's order out, if no file has taken it yet.
pub fn withdraw(period: Month, number: &str) -> TxOp {
    TxOp::Delete {
        key: due_key(period, number),
        cond: Cond::Always,
    }
}

/// Where a file is in its making.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Its writer is taking orders into it.
    Claiming,
    /// It holds what it will hold; its XML is being stored.
    Closed,
    /// Stored: the operator can fetch it.
    Written,
}

impl FileState {
    pub fn value(self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// One SEPA file (pain.008.001.08) of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SepaFile {
    pub period: Month,
    /// 1 for the run's first file.
    pub number: u32,
    pub created_at: Timestamp,
    pub state: FileState,
    #[serde(default)]
    pub payments: u64,
    #[serde(default)]
    pub total_cents: Cents,
    /// The collection days it asks for, earliest first.
    #[serde(default)]
    pub collection_dates: Vec<Date>,
}

impl SepaFile {
    pub fn new(period: Month, number: u32, created_at: Timestamp) -> Self {
        Self {
            period,
            number,
            created_at,
            state: FileState::Claiming,
            payments: 0,
            total_cents: Cents(0),
            collection_dates: Vec::new(),
        }
    }

    /// `LS-2026-12-2`: the run's second file.
    pub fn name(&self) -> String {
        format!("LS-{}-{}", self.period, self.number)
    }

    /// Where its XML is stored, never overwritten with other content.
    pub fn blob_key(&self) -> String {
        format!("sepa/{}/{}.xml", self.period, self.name())
    }

    pub fn key(&self) -> Key {
        file_key(self.period, self.number)
    }

    /// The partition of the collections it holds.
    pub fn entries(&self) -> Query {
        Query::partition(Index::Primary, self.entries_pk())
    }

    fn entries_pk(&self) -> String {
        format!("{FILE_ENTRIES_PREFIX}{}#{:03}", self.period, self.number)
    }

    /// Creates the record, only if this number is free.
    pub fn create(&self) -> Result<Item, shared::Error> {
        shared::model::to_item(&self.key(), self)
    }

    /// The check every claim makes: the file still takes orders.
    pub fn still_claiming(&self) -> TxOp {
        TxOp::Check {
            key: self.key(),
            cond: Cond::Eq(attr::STATE, FileState::Claiming.value()),
        }
    }
}

pub fn file_key(period: Month, number: u32) -> Key {
    Key::new(run_pk(period), format!("{FILE_PREFIX}{number:03}"))
}

/// A run's SEPA files, first first.
pub fn files_of(period: Month) -> Query {
    Query::partition(Index::Primary, run_pk(period)).sk(SkCond::BeginsWith(FILE_PREFIX.into()))
}

/// An order as a SEPA file collects it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub order: DebitOrder,
    /// The file's name (`LS-2026-12-2`).
    pub file: String,
    pub sequence: Sequence,
    /// The day it is collected: as announced on the invoice, or as announced anew when the
    /// file came too late for that day.
    pub collection_date: Date,
    /// The day the invoice announced, when a new notice moved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced_first: Option<Date>,
}

impl Collection {
    /// Its entry in the file's partition.
    pub fn entry(&self, file: &SepaFile) -> Result<TxOp, shared::Error> {
        let key = Key::new(file.entries_pk(), self.order.invoice_number.clone());
        Ok(TxOp::Put {
            item: shared::model::to_item(&key, self)?,
            cond: Cond::NotExists,
        })
    }

    /// Its record in the partner's partition.
    pub fn record(&self) -> Result<TxOp, shared::Error> {
        Ok(TxOp::Put {
            item: shared::model::to_item(
                &collection_key(&self.order.partner_id, &self.order.invoice_number),
                self,
            )?,
            cond: Cond::NotExists,
        })
    }

    /// Its order, taken out of the due ones: only if still due.
    pub fn claim(&self) -> TxOp {
        TxOp::Delete {
            key: self.order.key(),
            cond: Cond::Exists,
        }
    }
}

pub fn collection_key(partner: &PartnerId, number: &str) -> Key {
    Key::new(partner_pk(partner), format!("{COLLECTION_PREFIX}{number}"))
}

/// A partner's collections.
pub fn collections_of(partner: &PartnerId) -> Query {
    Query::partition(Index::Primary, partner_pk(partner))
        .sk(SkCond::BeginsWith(COLLECTION_PREFIX.into()))
}

pub fn mandate_used_key(partner: &PartnerId, reference: &str) -> Key {
    Key::new(
        partner_pk(partner),
        format!("{MANDATE_USED_PREFIX}{reference}"),
    )
}

/// The marker that a file collects from the mandate for the first time: only if no file
/// did before. Every later collection from it is RCUR.
pub fn first_collection(partner: &PartnerId, reference: &str, number: &str) -> TxOp {
    let key = mandate_used_key(partner, reference);
    let mut item = Item::new();
    item.insert(shared::store::PK.into(), key.pk.into());
    item.insert(shared::store::SK.into(), key.sk.into());
    item.insert("first_invoice".into(), number.into());
    TxOp::Put {
        item,
        cond: Cond::NotExists,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn collections_fall_on_business_days() {
        // Tue 15 Dec 2026 stays; Sat 19 Dec moves to Mon 21 Dec; Fri 25 Dec to Mon 28 Dec.
        assert_eq!(collection_day(date(2026, 12, 15)), date(2026, 12, 15));
        assert_eq!(collection_day(date(2026, 12, 19)), date(2026, 12, 21));
        assert_eq!(collection_day(date(2026, 12, 25)), date(2026, 12, 28));
        // An invoice of Sunday 6 Dec announces 14 days later: Sunday 20th, so Monday 21st.
        assert_eq!(announced_day(date(2026, 12, 6), 14), date(2026, 12, 21));
    }

    #[test]
    fn due_orders_of_a_month_include_the_months_before_only() {
        let Query { sk, .. } = due_until(Month::parse("2026-12").unwrap());
        let SkCond::Between(low, high) = sk else {
            panic!("a range");
        };
        for (sk, inside) in [
            ("2026-11#2026-000004", true),
            ("2026-12#2026-000001", true),
            ("2026-12#2026-999999", true),
            ("2027-01#2027-000001", false),
        ] {
            assert_eq!(low.as_str() <= sk && sk <= high.as_str(), inside, "{sk}");
        }
    }

    #[test]
    fn files_are_named_and_stored_by_run_and_number() {
        let file = SepaFile::new(Month::parse("2026-12").unwrap(), 2, Timestamp::UNIX_EPOCH);
        assert_eq!(file.name(), "LS-2026-12-2");
        assert_eq!(file.blob_key(), "sepa/2026-12/LS-2026-12-2.xml");
        assert_eq!(file.key().sk, "SEPA#002");
        assert_eq!(FileState::Claiming.value(), serde_json::json!("claiming"));
    }
}
