//! The mail outbox (DESIGN §9): nothing lost, nothing sent twice.
//!
//! A change and the mail that reports it are written in one transaction: the mail as a
//! pending record (`MAIL#<id>`, listed in the sparse gsi1 partition `MAIL#PENDING` by due
//! time). After the commit the request sends it; a send that fails leaves it pending with
//! a later due time, and the `mail-retry` schedule sends it then. A request never fails
//! because of its mail, so a saved change is never answered with a 5xx.
//!
//! In a handler (the clock from the state, never the system time):
//!
//! ```text
//! let (mail, mail_op) = pending::enqueue(mail, state.clock.now())?;
//! state.table.transact(vec![change_op, mail_op]).await?;   // both, or neither
//! pending::deliver(table, mailer, clock, mail).await;       // after the commit; never fails
//! ```
//!
//! A mail that reports no change of its own (e.g. "already registered") goes through
//! [`send_alone`]. The schedule calls [`retry_due`].
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
use crate::mail::{Mail, Mailer};
use crate::store::{Cond, Table};

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
