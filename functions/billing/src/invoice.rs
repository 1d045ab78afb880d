//! The invoice record: immutable once written (GoBD), one per partner and period, numbered
//! gaplessly per year. It keeps a snapshot of everything printed on it (recipient, lines,
//! totals, the direct debit), so a document can be rendered again identically. A correction
//! is a credit note (Stornorechnung) of the same shape: its own number from the same
//! counter, every line negated, and a reference to the invoice it cancels.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::{Email, PartnerId};
use shared::model::partners::{Address, partner_pk};
use shared::store::{Cond, GSI1PK, GSI1SK, Index, Item, Key, Query, SkCond, TxOp};
use utoipa::ToSchema;

use crate::lines::{InvoiceLine, Totals};
use shared::domain::Month;

/// Sort-key prefix of a partner's invoices (`INVOICE#2026-12`).
pub const INVOICE_PREFIX: &str = "INVOICE#";
/// Sort-key prefix of the marker of a period with nothing due (`NOTHING_DUE#2026-12`).
pub const NOTHING_DUE_PREFIX: &str = "NOTHING_DUE#";
/// Partition of the gapless invoice-number counters, one item per year.
const NUMBERS_PK: &str = "INVOICE_NUMBERS";

pub fn invoice_key(partner: &PartnerId, period: Month) -> Key {
    Key::new(partner_pk(partner), format!("{INVOICE_PREFIX}{period}"))
}

/// The credit note cancelling the period's invoice (`INVOICE#2026-12#STORNO`): at most one,
/// listed with the partner's invoices next to the one it cancels.
pub fn credit_note_key(partner: &PartnerId, period: Month) -> Key {
    Key::new(
        partner_pk(partner),
        format!("{INVOICE_PREFIX}{period}#STORNO"),
    )
}

pub fn nothing_due_key(partner: &PartnerId, period: Month) -> Key {
    Key::new(partner_pk(partner), format!("{NOTHING_DUE_PREFIX}{period}"))
}

/// The counter of invoice numbers in `year`.
pub fn number_counter_key(year: i16) -> Key {
    Key::new(NUMBERS_PK, year.to_string())
}

/// The index partition listing a period's invoices by number (the SEPA file, the run).
pub fn period_index(period: Month) -> String {
    format!("INVOICES#{period}")
}

/// The index partition listing a period's credit notes by the number they cancel.
pub fn credit_notes_index(period: Month) -> String {
    format!("CREDIT_NOTES#{period}")
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

/// Every invoice of a period, by number (credit notes have their own index partition).
pub fn invoices_in(period: Month) -> Query {
    Query::partition(Index::Gsi1, period_index(period))
}

/// The period's invoice with this number.
pub fn invoice_numbered(period: Month, number: &str) -> Query {
    invoices_in(period).sk(SkCond::Eq(number.to_string()))
}

/// An invoice, or a credit note that cancels one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    #[default]
    Invoice,
    CreditNote,
}

/// What a credit note cancels, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = InvoiceCancellation)]
pub struct Cancellation {
    /// The number of the cancelled invoice.
    pub invoice_number: String,
    pub invoice_issued_on: Date,
    pub reason: String,
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

/// The SEPA direct debit that pays the invoice; the invoice is its pre-notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DirectDebit {
    pub account_holder: String,
    pub mandate_reference: String,
    pub mandate_signed_on: Date,
    /// The day the invoice announces; the SEPA file that takes the debit asks for this day,
    /// or announces a new one when it comes too late for it (`debit::Collection`).
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
    /// The partner's short customer number as printed (`None` on invoices issued before
    /// partners had one: those print the partner id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    pub period: Month,
    pub issued_on: Date,
    pub recipient: Recipient,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    /// `None`: no valid mandate, the partner pays by transfer ("no direct debit"); always
    /// `None` on a credit note, which is paid back by transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit: Option<DirectDebit>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub kind: DocumentKind,
    /// On a credit note: the invoice it cancels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancels: Option<Cancellation>,
}

impl Invoice {
    pub fn key(&self) -> Key {
        match self.kind {
            DocumentKind::Invoice => invoice_key(&self.partner_id, self.period),
            DocumentKind::CreditNote => credit_note_key(&self.partner_id, self.period),
        }
    }

    pub fn is_credit_note(&self) -> bool {
        self.kind == DocumentKind::CreditNote
    }

    /// The credit note that cancels this invoice in full: every line negated (quantity
    /// and amount; the unit price stays as invoiced), so its totals are exactly the
    /// invoice's negated (VAT rounds half away from zero).
    pub fn credit_note(
        &self,
        number: String,
        reason: String,
        issued_on: Date,
        now: Timestamp,
    ) -> Invoice {
        let lines: Vec<InvoiceLine> = self
            .lines
            .iter()
            .map(|l| InvoiceLine {
                quantity: -l.quantity,
                net_cents: shared::domain::Cents(-l.net_cents.0),
                ..l.clone()
            })
            .collect();
        Invoice {
            number,
            partner_id: self.partner_id.clone(),
            customer_number: self.customer_number.clone(),
            period: self.period,
            issued_on,
            recipient: self.recipient.clone(),
            totals: Totals::of(&lines),
            lines,
            debit: None,
            created_at: now,
            kind: DocumentKind::CreditNote,
            cancels: Some(Cancellation {
                invoice_number: self.number.clone(),
                invoice_issued_on: self.issued_on,
                reason,
            }),
        }
    }

    /// The S3 keys of its documents; written once, never overwritten.
    pub fn pdf_key(&self) -> String {
        format!("invoices/{}/{}.pdf", self.partner_id, self.number)
    }

    pub fn xml_key(&self) -> String {
        format!("invoices/{}/{}.xml", self.partner_id, self.number)
    }

    /// The put that writes it, only if the partner has none of its kind for the period.
    pub fn put(&self) -> Result<TxOp, shared::Error> {
        let mut item: Item = shared::model::to_item(&self.key(), self)?;
        match &self.cancels {
            None => {
                item.insert(GSI1PK.into(), period_index(self.period).into());
                item.insert(GSI1SK.into(), self.number.clone().into());
            }
            Some(cancelled) => {
                item.insert(GSI1PK.into(), credit_notes_index(self.period).into());
                item.insert(GSI1SK.into(), cancelled.invoice_number.clone().into());
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::{Product, Unit};
    use jiff::civil::date;
    use shared::domain::Cents;
    use shared::model::partners::Address;

    #[test]
    fn numbers_are_year_and_six_digits() {
        assert_eq!(format_number(2026, 1), "2026-000001");
        assert_eq!(format_number(2027, 123_456), "2027-123456");
    }

    #[test]
    fn a_credit_note_negates_every_line_and_the_totals_exactly() {
        let lines: Vec<InvoiceLine> = [(1, 2450), (3, 990), (1, 158)]
            .into_iter()
            .map(|(q, price)| {
                InvoiceLine::new(
                    Product::CardContract,
                    "Leistung".into(),
                    (date(2026, 12, 1), date(2026, 12, 31)),
                    q,
                    Unit::Piece,
                    Cents(price),
                )
            })
            .collect();
        let invoice = Invoice {
            number: "2026-000001".into(),
            partner_id: PartnerId::from_raw("p"),
            customer_number: Some("100001".into()),
            period: Month::parse("2026-12").unwrap(),
            issued_on: date(2026, 12, 1),
            recipient: Recipient {
                company: "Bäckerei Müller".into(),
                contact_name: "Anna Müller".into(),
                address: Address {
                    street: "Hauptstr. 1".into(),
                    postal_code: "10115".into(),
                    city: "Berlin".into(),
                    country: "DE".into(),
                },
                vat_id: None,
                email: Email::parse("anna@baeckerei.de").unwrap(),
            },
            totals: Totals::of(&lines),
            lines,
            debit: None,
            created_at: Timestamp::UNIX_EPOCH,
            kind: DocumentKind::Invoice,
            cancels: None,
        };
        let note = invoice.credit_note(
            "2026-000002".into(),
            "Doppelt berechnet".into(),
            date(2026, 12, 5),
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(note.totals.net_cents, Cents(-invoice.totals.net_cents.0));
        assert_eq!(note.totals.vat_cents, Cents(-invoice.totals.vat_cents.0));
        assert_eq!(
            note.totals.gross_cents,
            Cents(-invoice.totals.gross_cents.0)
        );
        assert_eq!(note.lines[1].quantity, -3);
        assert_eq!(note.lines[1].unit_price_cents, Cents(990));
        assert_eq!(note.lines[1].net_cents, Cents(-2970));
        assert_eq!(note.key().sk, "INVOICE#2026-12#STORNO");
        assert_eq!(
            note.cancels.as_ref().map(|c| c.invoice_number.as_str()),
            Some("2026-000001")
        );
        let TxOp::Put { item, .. } = note.put().unwrap() else {
            panic!("a credit note is a put");
        };
        assert_eq!(
            item.get(GSI1PK).and_then(|v| v.as_str()),
            Some("CREDIT_NOTES#2026-12"),
            "not in the period's invoice index"
        );
    }
}
