//! The run record of a month: when it started, how many partners were planned, and
//! counters that move in the same transaction as each invoice (so they count each invoice
//! once, whatever is redelivered). Partners that failed are listed in the run's partition
//! until a later attempt bills them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::domain::{Cents, PartnerId};
use shared::store::{Attr, Cond, GSI1PK, GSI1SK, Index, Item, Key, Query, SkCond, TxOp, Update};
use utoipa::ToSchema;

use crate::lines::Totals;
use shared::domain::Month;

pub use shared::model::runs::{run_key, run_pk};
const FAILED_PREFIX: &str = "FAILED#";
/// The index partition listing every run by month.
pub const RUNS_INDEX: &str = "RUNS";

/// Counter attributes of the run record.
pub mod attr {
    use shared::store::Attr;
    pub const PLANNED: Attr = "planned";
    pub const INVOICES: Attr = "invoices";
    pub const NOTHING_DUE: Attr = "nothing_due";
    pub const WITHOUT_DEBIT: Attr = "without_debit";
    pub const NET: Attr = "net_cents";
    pub const VAT: Attr = "vat_cents";
    pub const GROSS: Attr = "gross_cents";
}

pub fn failed_key(period: Month, partner: &PartnerId) -> Key {
    Key::new(run_pk(period), format!("{FAILED_PREFIX}{partner}"))
}

/// Every run, newest first.
pub fn runs() -> Query {
    Query::partition(Index::Gsi1, RUNS_INDEX).backwards()
}

/// The partners of a run that failed and have not been billed since.
pub fn failed_of(period: Month) -> Query {
    Query::partition(Index::Primary, run_pk(period)).sk(SkCond::BeginsWith(FAILED_PREFIX.into()))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Run {
    #[schema(value_type = String, example = "2026-12")]
    pub period: Month,
    pub started_at: Timestamp,
    /// Billable partners the planner sent to the queue (all passes together).
    #[serde(default)]
    pub planned: u64,
    #[serde(default)]
    pub invoices: u64,
    /// Partners with nothing due: no invoice.
    #[serde(default)]
    pub nothing_due: u64,
    /// Invoices without a valid SEPA mandate: paid by transfer.
    #[serde(default)]
    pub without_debit: u64,
    #[serde(default)]
    #[schema(value_type = i64)]
    pub net_cents: Cents,
    #[serde(default)]
    #[schema(value_type = i64)]
    pub vat_cents: Cents,
    #[serde(default)]
    #[schema(value_type = i64)]
    pub gross_cents: Cents,
}

impl Run {
    pub fn new(period: Month, at: Timestamp) -> Self {
        Self {
            period,
            started_at: at,
            planned: 0,
            invoices: 0,
            nothing_due: 0,
            without_debit: 0,
            net_cents: Cents(0),
            vat_cents: Cents(0),
            gross_cents: Cents(0),
        }
    }

    /// The run's item, listed in the index of runs.
    pub fn item(&self) -> Result<Item, shared::Error> {
        let mut item: Item = shared::model::to_item(&run_key(self.period), self)?;
        item.insert(GSI1PK.into(), RUNS_INDEX.into());
        item.insert(GSI1SK.into(), self.period.to_string().into());
        Ok(item)
    }
}

/// What a batch adds to the run's counters, in the transaction that writes its invoices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub invoices: i64,
    pub nothing_due: i64,
    pub without_debit: i64,
    pub net: i64,
    pub vat: i64,
    pub gross: i64,
}

impl Counts {
    pub fn add_invoice(&mut self, totals: &Totals, with_debit: bool) {
        self.invoices += 1;
        if !with_debit {
            self.without_debit += 1;
        }
        self.net += totals.net_cents.0;
        self.vat += totals.vat_cents.0;
        self.gross += totals.gross_cents.0;
    }

    pub fn update(&self, period: Month) -> TxOp {
        let adds: [(Attr, i64); 6] = [
            (attr::INVOICES, self.invoices),
            (attr::NOTHING_DUE, self.nothing_due),
            (attr::WITHOUT_DEBIT, self.without_debit),
            (attr::NET, self.net),
            (attr::VAT, self.vat),
            (attr::GROSS, self.gross),
        ];
        TxOp::Update {
            key: run_key(period),
            ops: adds
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|(a, n)| Update::Add(a, n))
                .collect(),
            cond: Cond::Exists,
        }
    }
}

/// A partner's failure in a run, listed until billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Failure {
    #[schema(value_type = String)]
    pub partner_id: PartnerId,
    /// Why, without personal data.
    pub reason: String,
    pub at: Timestamp,
}

impl Failure {
    pub fn put(&self, period: Month) -> Result<TxOp, shared::Error> {
        Ok(TxOp::Put {
            item: shared::model::to_item(&failed_key(period, &self.partner_id), self)?,
            cond: Cond::Always,
        })
    }
}
