//! The retry job (`mail-retry`): every mail that is due, or whose sender's lease ran out,
//! is claimed, sent and settled, one after the other.

use std::fmt;
use std::time::Instant;

use serde::Serialize;

use super::deliver::{Delivery, claim, deliver};
use super::record::{DUE_FROM, MAIL_ID, PENDING_PARTITION, PendingMailId, due_by};
use crate::clock::Clock;
use crate::mail::Mailer;
use crate::store::{Index, Query, SkCond, StoreError, Table};

/// Mails read per query page.
const PAGE_SIZE: u32 = 25;
/// After this many failed sends in a row the provider is taken to be down: the run ends
/// and leaves the rest for the next one instead of waiting out a timeout per mail.
pub const FAILURES_IN_A_ROW: usize = 5;

/// How far one run may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryLimits {
    /// Mails to take on at most.
    pub mails: usize,
    /// No new mail is taken on from then (a Lambda run ends before its timeout, so no
    /// send is cut off between the provider accepting it and its marking).
    pub stop_by: Option<Instant>,
}

impl RetryLimits {
    pub fn mails(mails: usize) -> Self {
        Self {
            mails,
            stop_by: None,
        }
    }
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RetrySummary {
    /// Mails found due.
    pub due: usize,
    pub sent: usize,
    /// Sending failed; tried again by a later run.
    pub deferred: usize,
    pub abandoned: usize,
    /// Taken by another sender (a request or a concurrent run) or settled meanwhile.
    pub skipped: usize,
    /// The run ended before all due mails: `FAILURES_IN_A_ROW` sends failed, or a limit
    /// was reached.
    pub stopped_early: bool,
}

impl RetrySummary {
    fn count(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Sent => self.sent += 1,
            Delivery::Deferred { .. } => self.deferred += 1,
            Delivery::Abandoned => self.abandoned += 1,
            Delivery::Skipped => self.skipped += 1,
        }
    }
}

impl fmt::Display for RetrySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} due: {} sent, {} deferred, {} abandoned, {} skipped",
            self.due, self.sent, self.deferred, self.abandoned, self.skipped
        )?;
        if self.stopped_early {
            f.write_str(" (stopped early; the next run continues)")?;
        }
        Ok(())
    }
}

/// Sends every mail due by now, at most `limit` of them, paging through the pending index
/// (a query, never a scan). Safe to run concurrently with requests and other runs: each
/// mail is claimed before it is sent. Fails only when the table does.
pub async fn retry_due(
    table: &dyn Table,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    limit: usize,
) -> Result<RetrySummary, StoreError> {
    retry_due_with(table, mailer, clock, RetryLimits::mails(limit), &mut |_| {}).await
}

/// [`retry_due`] within `limits`, telling `progress` about each mail as it is done.
pub async fn retry_due_with(
    table: &dyn Table,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    limits: RetryLimits,
    progress: &mut (dyn FnMut(Delivery) + Send),
) -> Result<RetrySummary, StoreError> {
    let mut summary = RetrySummary::default();
    // Mails due later, including the ones this run defers, lie beyond this bound, so the
    // run ends even while sending keeps failing.
    let due_by = due_by(clock.now().as_second());
    let mut failures_in_a_row = 0;
    let mut cursor = None;
    loop {
        let page = table
            .query(
                Query::partition(Index::Gsi1, PENDING_PARTITION)
                    .sk(SkCond::Between(DUE_FROM.into(), due_by.clone()))
                    .limit(PAGE_SIZE)
                    .cursor(cursor),
            )
            .await?;
        for item in page.items {
            let out_of_time = limits.stop_by.is_some_and(|t| Instant::now() >= t);
            if summary.due >= limits.mails || failures_in_a_row >= FAILURES_IN_A_ROW || out_of_time
            {
                summary.stopped_early = true;
                return Ok(finish(summary));
            }
            let Some(id) = item
                .get(MAIL_ID)
                .cloned()
                .and_then(|v| serde_json::from_value::<PendingMailId>(v).ok())
            else {
                continue;
            };
            summary.due += 1;
            // The index may lag behind the table; the claim reads the table itself.
            let delivery = match claim(table, &id, clock.now()).await? {
                Some(pending) => deliver(table, mailer, clock, pending).await,
                None => Delivery::Skipped,
            };
            match delivery {
                Delivery::Sent => failures_in_a_row = 0,
                Delivery::Deferred { .. } | Delivery::Abandoned => failures_in_a_row += 1,
                Delivery::Skipped => {}
            }
            summary.count(delivery);
            progress(delivery);
        }
        cursor = page.cursor;
        if cursor.is_none() {
            return Ok(finish(summary));
        }
    }
}

fn finish(summary: RetrySummary) -> RetrySummary {
    tracing::info!(
        due = summary.due,
        sent = summary.sent,
        deferred = summary.deferred,
        abandoned = summary.abandoned,
        skipped = summary.skipped,
        stopped_early = summary.stopped_early,
        "mail retry run"
    );
    summary
}
