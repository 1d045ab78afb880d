//! The invoice record: immutable once written (GoBD), one per partner and period, numbered
//! gaplessly per year. It keeps a snapshot of everything printed on it (recipient, lines,
//! totals, the direct debit), so a document can be rendered again identically.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::{Email, PartnerId};
use shared::model::partners::{Address, partner_pk};
use shared::store::{Cond, GSI1PK, GSI1SK, Index, Item, Key, Query, SkCond, TxOp};
use utoipa::ToSchema;

use crate::lines::{InvoiceLine, Totals};
use crate::period::Month;

/// Sort-key prefix of a partner's invoices (`INVOICE#2026-12`).
pub const INVOICE_PREFIX: &str = "INVOICE#";
/// Sort-key prefix of the marker of a period with nothing due (`NOTHING_DUE#2026-12`).
pub const NOTHING_DUE_PREFIX: &str = "NOTHING_DUE#";
/// Sort-key prefix of a mandate's first collection (`MANDATE_USED#<reference>`).
pub const MANDATE_USED_PREFIX: &str = "MANDATE_USED#";
/// Partition of the gapless invoice-number counters, one item per year.
const NUMBERS_PK: &str = "INVOICE_NUMBERS";

pub fn invoice_key(partner: &PartnerId, period: Month) -> Key {
    Key::new(partner_pk(partner), format!("{INVOICE_PREFIX}{period}"))
}

pub fn nothing_due_key(partner: &PartnerId, period: Month) -> Key {
    Key::new(partner_pk(partner), format!("{NOTHING_DUE_PREFIX}{period}"))
}

pub fn mandate_used_key(partner: &PartnerId, reference: &str) -> Key {
    Key::new(
        partner_pk(partner),
        format!("{MANDATE_USED_PREFIX}{reference}"),
    )
}

/// The counter of invoice numbers in `year`.
pub fn number_counter_key(year: i16) -> Key {
    Key::new(NUMBERS_PK, year.to_string())
}

/// The index partition listing a period's invoices by number (the SEPA file, the run).
pub fn period_index(period: Month) -> String {
    format!("INVOICES#{period}")
}

/// `2026-000001`: the year and the number within it.
pub fn format_number(year: i16, n: u64) -> String {
    format!("{year:04}-{n:06}")
}

/// A partner's invoices, newest first.
pub fn invoices_of(partner: &PartnerId) -> Query {
    Query::partition(Index::Primary, partner_pk(partner))
        .sk(SkCond::BeginsWith(INVOICE_PREFIX.into()))
        .backwards()
}

/// Every invoice of a period, by number.
pub fn invoices_in(period: Month) -> Query {
    Query::partition(Index::Gsi1, period_index(period))
}

/// The invoice's recipient as it was on the invoice date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recipient {
    pub company: String,
    pub contact_name: String,
    pub address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    #[schema(value_type = String)]
    pub email: Email,
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

/// The SEPA direct debit that pays the invoice; the invoice is its pre-notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DirectDebit {
    pub account_holder: String,
    pub mandate_reference: String,
    pub mandate_signed_on: Date,
    pub sequence: Sequence,
    pub collection_date: Date,
    pub iban_masked: String,
    /// AES-256-GCM sealed; opened only while the SEPA file is written.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    #[schema(ignore)]
    pub iban_sealed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: String,
    pub partner_id: PartnerId,
    pub period: Month,
    pub issued_on: Date,
    pub recipient: Recipient,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    /// `None`: no valid mandate, the partner pays by transfer ("no direct debit").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit: Option<DirectDebit>,
    pub created_at: Timestamp,
}

impl Invoice {
    pub fn key(&self) -> Key {
        invoice_key(&self.partner_id, self.period)
    }

    /// The S3 keys of its documents; written once, never overwritten.
    pub fn pdf_key(&self) -> String {
        format!("invoices/{}/{}.pdf", self.partner_id, self.number)
    }

    pub fn xml_key(&self) -> String {
        format!("invoices/{}/{}.xml", self.partner_id, self.number)
    }

    /// The put that writes it, only if the partner has none for the period.
    pub fn put(&self) -> Result<TxOp, shared::Error> {
        let mut item: Item = shared::model::to_item(&self.key(), self)?;
        item.insert(GSI1PK.into(), period_index(self.period).into());
        item.insert(GSI1SK.into(), self.number.clone().into());
        Ok(TxOp::Put {
            item,
            cond: Cond::NotExists,
        })
    }
}

/// The marker that a partner had nothing due in a period (no zero invoices), so a second
/// run neither bills nor counts it again.
pub fn nothing_due(partner: &PartnerId, period: Month, at: Timestamp) -> TxOp {
    let key = nothing_due_key(partner, period);
    let mut item = Item::new();
    item.insert(shared::store::PK.into(), key.pk.into());
    item.insert(shared::store::SK.into(), key.sk.into());
    item.insert("at".into(), at.to_string().into());
    TxOp::Put {
        item,
        cond: Cond::NotExists,
    }
}

/// The marker that a mandate has been collected from: later collections are RCUR.
pub fn mandate_used(partner: &PartnerId, reference: &str, number: &str) -> TxOp {
    let key = mandate_used_key(partner, reference);
    let mut item = Item::new();
    item.insert(shared::store::PK.into(), key.pk.into());
    item.insert(shared::store::SK.into(), key.sk.into());
    item.insert("first_invoice".into(), number.into());
    TxOp::Put {
        item,
        cond: Cond::Always,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_year_and_six_digits() {
        assert_eq!(super::format_number(2026, 1), "2026-000001");
        assert_eq!(super::format_number(2027, 123_456), "2027-123456");
    }
}
