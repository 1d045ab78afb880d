//! Billing a batch of partners: each partner's draft, then one transaction that takes the
//! batch's invoice numbers from the year's counter, writes every invoice, the nothing-due
//! markers and the run's counters. One counter write per batch instead of per invoice keeps
//! the hot counter item from limiting the run (docs/billing.md, Scale).
//!
//! Idempotent: a partner with an invoice or a nothing-due marker for the period is left
//! alone, and every invoice is written only if absent, so a redelivered or repeated batch
//! creates nothing. When a concurrent delivery of the same batch wins a race, the batch
//! falls back to one transaction per partner, where the lost race is simply "done".

use shared::domain::PartnerId;
use shared::mail::pending::{PendingMail, PendingMails};
use shared::model::rewards;
use shared::store::counter::Counter;
use shared::store::{Cond, Named, StoreError, TxOp};

use crate::Billing;
use crate::debit::DebitOrder;
use crate::invoice::{DocumentKind, Invoice, format_number, nothing_due, number_counter_key};
use crate::partner::{self, Draft, Prepared};
use crate::run::{Counts, Failure, failed_key};
use crate::sources;
use shared::domain::Month;

/// Partners per queue message. Each costs up to six operations in the batch transaction
/// (invoice, debit order, failure cleanup, mail, and the marks of at most
/// [`sources::referrals::MONTHS_PER_INVOICE`] reward months), plus the counter and the run:
/// 16 × 6 + 2 = 98, under DynamoDB's 100.
pub const BATCH_SIZE: usize = 16;
const _: () = assert!(
    BATCH_SIZE * (4 + sources::referrals::MONTHS_PER_INVOICE) + 2
        <= shared::store::limits::MAX_TX_OPS
);

const INVOICE_OP: &str = "invoice";
const NOTHING_DUE_OP: &str = "nothing_due";
const DEBIT_ORDER_OP: &str = "debit_order";
const FAILED_OP: &str = "failed";
/// A referral reward month the invoice bills; cancelled when the month changed since it was
/// read, so the batch is delivered again and billed from a fresh read.
const REWARD_MONTH_OP: &str = "reward_month";

/// What became of a batch.
#[derive(Debug, Default)]
pub struct BatchReport {
    pub invoices: Vec<Invoice>,
    pub nothing_due: usize,
    /// Billed by an earlier delivery or run.
    pub already: usize,
    /// The invoices of those, to complete their documents if a crash cut them off.
    pub existing: Vec<Invoice>,
    /// The new invoices' mails, written with them, to deliver after the commit.
    pub mails: Vec<PendingMail>,
    pub failed: Vec<Failure>,
}

impl BatchReport {
    pub fn partners(&self) -> usize {
        self.invoices.len() + self.nothing_due + self.already + self.failed.len()
    }

    fn absorb(&mut self, other: BatchReport) {
        self.invoices.extend(other.invoices);
        self.nothing_due += other.nothing_due;
        self.already += other.already;
        self.existing.extend(other.existing);
        self.mails.extend(other.mails);
        self.failed.extend(other.failed);
    }
}

/// Bills the partners for the period. An error (the table is down) leaves the batch for
/// redelivery; a partner whose data is incomplete is listed as failed in the run instead.
pub async fn bill_batch(
    billing: &Billing,
    period: Month,
    partners: &[PartnerId],
) -> Result<BatchReport, shared::Error> {
    let table = billing.env.table.as_ref();
    let today = billing.env.clock.today();
    let mut report = BatchReport::default();
    let mut drafts = Vec::new();
    let mut nothing = Vec::new();
    for partner_id in partners {
        let records = partner::load(table, partner_id, period).await?;
        match partner::prepare(
            table,
            &billing.fees,
            &billing.config,
            records,
            partner_id,
            period,
            today,
        )
        .await?
        {
            Prepared::Done(invoice) => {
                report.already += 1;
                report.existing.extend(invoice.map(|i| *i));
            }
            Prepared::NothingDue => nothing.push(partner_id.clone()),
            Prepared::Draft(draft) => drafts.push(*draft),
            Prepared::Failed(reason) => report.failed.push(Failure {
                partner_id: partner_id.clone(),
                reason,
                at: billing.env.clock.now(),
            }),
        }
    }
    // A partner's first invoice gives it its customer number.
    let unnumbered: Vec<PartnerId> = drafts
        .iter()
        .filter(|d| d.customer_number.is_none())
        .map(|d| d.partner_id.clone())
        .collect();
    if !unnumbered.is_empty() {
        let mut numbers =
            crate::customer::assign(table, &unnumbered, billing.env.clock.now()).await?;
        for draft in &mut drafts {
            if draft.customer_number.is_none() {
                draft.customer_number = numbers.remove(&draft.partner_id);
            }
        }
    }
    for failure in &report.failed {
        tracing::warn!(partner_id = %failure.partner_id, reason = %failure.reason, "partner not billed");
        table
            .transact(vec![failure.put(period)?.named(FAILED_OP)])
            .await?;
    }
    match commit(billing, period, &drafts, &nothing).await {
        Ok(committed) => report.absorb(committed),
        // A concurrent delivery wrote one of them first: settle each partner on its own.
        Err(CommitError::Lost) if drafts.len() + nothing.len() > 1 => {
            for draft in &drafts {
                report
                    .absorb(settle_alone(billing, period, std::slice::from_ref(draft), &[]).await?);
            }
            for partner in &nothing {
                report.absorb(
                    settle_alone(billing, period, &[], std::slice::from_ref(partner)).await?,
                );
            }
        }
        Err(CommitError::Lost) => report.already += 1,
        Err(CommitError::Other(e)) => return Err(e),
    }
    Ok(report)
}

async fn settle_alone(
    billing: &Billing,
    period: Month,
    drafts: &[Draft],
    nothing: &[PartnerId],
) -> Result<BatchReport, shared::Error> {
    match commit(billing, period, drafts, nothing).await {
        Ok(report) => Ok(report),
        Err(CommitError::Lost) => Ok(BatchReport {
            already: 1,
            ..BatchReport::default()
        }),
        Err(CommitError::Other(e)) => Err(e),
    }
}

/// Why a batch transaction did not commit.
#[derive(Debug)]
enum CommitError {
    /// Another delivery wrote one of its invoices or markers first.
    Lost,
    Other(shared::Error),
}

impl From<StoreError> for CommitError {
    fn from(e: StoreError) -> Self {
        if lost_race(&e) {
            CommitError::Lost
        } else {
            CommitError::Other(e.into())
        }
    }
}

impl From<shared::Error> for CommitError {
    fn from(e: shared::Error) -> Self {
        CommitError::Other(e)
    }
}

/// One transaction for the batch; `Lost` when an invoice or marker exists already.
async fn commit(
    billing: &Billing,
    period: Month,
    drafts: &[Draft],
    nothing: &[PartnerId],
) -> Result<BatchReport, CommitError> {
    if drafts.is_empty() && nothing.is_empty() {
        return Ok(BatchReport::default());
    }
    let table = billing.env.table.as_ref();
    let now = billing.env.clock.now();
    let today = billing.env.clock.today();
    let mut invoices: Vec<Invoice> = Vec::new();
    let mut mails: Vec<PendingMail> = Vec::new();
    let outgoing = PendingMails::of(&billing.env);
    let build = |first: u64,
                 invoices: &mut Vec<Invoice>,
                 mails: &mut Vec<PendingMail>|
     -> Result<Vec<Named>, CommitError> {
        invoices.clear();
        mails.clear();
        let mut ops = Vec::new();
        let mut counts = Counts {
            nothing_due: i64::try_from(nothing.len()).unwrap_or(i64::MAX),
            ..Counts::default()
        };
        for (i, draft) in drafts.iter().enumerate() {
            let invoice = Invoice {
                number: format_number(today.year(), first + i as u64),
                partner_id: draft.partner_id.clone(),
                customer_number: draft.customer_number.clone(),
                period,
                issued_on: today,
                recipient: draft.recipient.clone(),
                lines: draft.lines.clone(),
                totals: draft.totals,
                debit: draft.debit.clone(),
                created_at: now,
                kind: DocumentKind::Invoice,
                cancels: None,
            };
            counts.add_invoice(&invoice.totals, invoice.debit.is_some());
            ops.push(invoice.put()?.named(INVOICE_OP));
            // Due until exactly one SEPA file takes it (`collect`).
            if let Some(order) = DebitOrder::of(&invoice, draft.mandate_collected) {
                ops.push(order.put()?.named(DEBIT_ORDER_OP));
            }
            ops.push(
                TxOp::Delete {
                    key: failed_key(period, &invoice.partner_id),
                    cond: Cond::Always,
                }
                .named(FAILED_OP),
            );
            for month in &draft.reward_months {
                ops.push(
                    rewards::mark_billed(month, &invoice.number, today).named(REWARD_MONTH_OP),
                );
            }
            let (mail, mail_op) = outgoing.enqueue(crate::delivery::mail(&invoice))?;
            ops.push(mail_op);
            mails.push(mail);
            invoices.push(invoice);
        }
        for partner in nothing {
            ops.push(nothing_due(partner, period, now).named(NOTHING_DUE_OP));
            ops.push(
                TxOp::Delete {
                    key: failed_key(period, partner),
                    cond: Cond::Always,
                }
                .named(FAILED_OP),
            );
        }
        ops.push(counts.update(period).named("run"));
        Ok(ops)
    };
    if drafts.is_empty() {
        let ops = build(0, &mut invoices, &mut mails)?;
        table.transact(ops).await?;
    } else {
        Counter::new(number_counter_key(today.year()))
            .allocate_many(table, drafts.len() as u64, |first| {
                build(first, &mut invoices, &mut mails)
            })
            .await?;
    }
    Ok(BatchReport {
        invoices,
        mails,
        nothing_due: nothing.len(),
        ..BatchReport::default()
    })
}

/// The store's answer to a batch whose invoice or marker was written by someone else.
pub(crate) fn lost_race(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::TxCancelled {
            failed: INVOICE_OP | NOTHING_DUE_OP
        }
    )
}
