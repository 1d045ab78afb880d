//! The mail outbox (docs/architecture.md §9): nothing lost, nothing sent twice.
//!
//! A change and the mail that reports it are written in one transaction: the mail as a
//! pending record (`MAIL#<id>`, listed in the sparse gsi1 partition `MAIL#PENDING` by due
//! time). After the commit the request sends it; a send that fails leaves it pending with
//! a later due time, and the `mail-retry` schedule sends it then. A request never fails
//! because of its mail, so a saved change is never answered with a 5xx.
//!
//! In a handler, over the state's table, mailer and clock:
//!
//! ```text
//! let outgoing = PendingMails::of(&state);
//! let mail = Mail::render(&email, mails::CONFIRM_EMAIL, &[("link", &link)]);
//! let (mail, mail_op) = outgoing.enqueue(mail)?;
//! state.table.transact(vec![change_op, mail_op]).await?;  // the change and its mail, or neither
//! outgoing.deliver(mail).await;                           // after the commit; never fails
//! ```
//!
//! A mail that reports no change of its own (e.g. "already registered") goes through
//! [`PendingMails::send_alone`]. The schedule calls [`retry_due`]. The free functions
//! ([`enqueue`], [`deliver`], [`send_alone`]) do the same over ports passed one by one.
//!
//! **Never twice.** Only the holder of a mail's claim sends it, and only it can mark it
//! sent. The writer of a mail holds the first claim (it is written claimed, for `LEASE`);
//! the retry job claims with one conditional write, which succeeds only for a pending mail
//! that is due or whose lease ran out, so of two racing senders one gets it. A send is cut
//! off after `SEND_TIMEOUT`, far inside the lease, so a live sender always settles its
//! mail before anyone else may claim it; marking it sent is conditional on the claim and
//! retried quickly when the store stumbles. One window remains, as with any provider that
//! takes no idempotency key: if the sender dies (or the store stays down, or the provider
//! accepts but does not answer in time) after the provider took the mail and before it was
//! marked sent, the mail counts as not sent and goes out again after the lease. That is a
//! duplicate, never a loss, and the window is one write wide.
//!
//! Settled records lose their content (the links carry one-time tokens) and leave with
//! the table's TTL after `RETENTION`. Logs carry the mail id, never the address.

mod deliver;
mod record;
mod retry;

#[cfg(test)]
mod tests;

pub use deliver::{
    Delivery, FIRST_RETRY, LEASE, LONGEST_WAIT, MAX_ATTEMPTS, PendingMail, RETENTION, SEND_TIMEOUT,
    TX_OP, backoff, deliver, enqueue,
};
pub use record::{
    ATTEMPTS, CLAIM, CONTENT, CREATED_AT, DUE_AT, LAST_ERROR, MAIL_ID, MAIL_PREFIX, MAIL_SK,
    MailStatus, PENDING_PARTITION, PendingMailId, PendingMailRecord, SETTLED_AT, STATUS,
};
pub use retry::{FAILURES_IN_A_ROW, RetryLimits, RetrySummary, retry_due, retry_due_with};

use crate::clock::Clock;
#[cfg(all(feature = "s3", feature = "ses"))]
use crate::env::Env;
use crate::mail::{Mail, Mailer};
use crate::store::{Cond, Named, StoreError, Table};

/// The outbox over one table, mailer and clock (a function's state), for handlers.
#[derive(Clone, Copy)]
pub struct PendingMails<'a> {
    pub table: &'a dyn Table,
    pub mailer: &'a dyn Mailer,
    pub clock: &'a dyn Clock,
}

impl<'a> PendingMails<'a> {
    #[cfg(all(feature = "s3", feature = "ses"))]
    pub fn of(env: &'a Env) -> Self {
        Self {
            table: env.table.as_ref(),
            mailer: env.mailer.as_ref(),
            clock: env.clock.as_ref(),
        }
    }

    /// [`enqueue`] at the clock's time: add the operation to the change's transaction.
    pub fn enqueue(&self, mail: Mail) -> Result<(PendingMail, Named), crate::Error> {
        enqueue(mail, self.clock.now())
    }

    /// [`deliver`]: after the commit; never fails.
    pub async fn deliver(&self, mail: PendingMail) -> Delivery {
        deliver(self.table, self.mailer, self.clock, mail).await
    }

    /// [`send_alone`]: a mail that reports no change of its own.
    pub async fn send_alone(&self, mail: Mail) -> Result<Delivery, crate::Error> {
        send_alone(self.table, self.mailer, self.clock, mail).await
    }

    /// [`retry_due`]: one run of the schedule.
    pub async fn retry_due(&self, limit: usize) -> Result<RetrySummary, StoreError> {
        retry_due(self.table, self.mailer, self.clock, limit).await
    }
}

/// A mail that reports no change of its own: written to the outbox, then delivered. Fails
/// only when the record cannot be written (then nothing was saved and nothing is sent).
pub async fn send_alone(
    table: &dyn Table,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    mail: Mail,
) -> Result<Delivery, crate::Error> {
    let (pending, item) = deliver::new_record(mail, clock.now())?;
    table.put(item, Cond::NotExists).await?;
    Ok(deliver(table, mailer, clock, pending).await)
}

/// The stored record of a mail, for tests and operators.
pub async fn load(
    table: &dyn Table,
    id: &PendingMailId,
) -> Result<Option<PendingMailRecord>, crate::Error> {
    match table.get(&id.key()).await? {
        Some(item) => Ok(Some(PendingMailRecord::from_item(item)?)),
        None => Ok(None),
    }
}
