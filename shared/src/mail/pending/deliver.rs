//! One mail's way out: whoever holds its claim sends it, then settles it as sent, as due
//! again later (backoff), or as abandoned after too many attempts.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::record::{
    ATTEMPTS, CLAIM, CONTENT, DUE_AT, LAST_ERROR, MailStatus, PENDING_PARTITION, PendingMailId,
    PendingMailRecord, SETTLED_AT, STATUS, due_sort_key,
};
use crate::clock::Clock;
use crate::mail::{Mail, MailError, Mailer};
use crate::store::{Cond, GSI1PK, GSI1SK, Item, Named, StoreError, TTL, Table, TxOp, Update};

/// How long a claim lasts. Longer than a send may take (`SEND_TIMEOUT`) plus the writes
/// around it, so a live sender has always settled its mail before anyone else may claim it.
pub const LEASE: SignedDuration = SignedDuration::from_secs(120);
/// A send that has not answered by then counts as failed (and keeps a request well inside
/// its Lambda timeout).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
const _: () = assert!((SEND_TIMEOUT.as_secs() as i64) * 10 < LEASE.as_secs());
/// The first retry waits a minute, each further one twice as long, at most an hour.
pub const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(60);
pub const LONGEST_WAIT: SignedDuration = SignedDuration::from_secs(3600);
/// About three days of attempts; by then the links in the mail have mostly expired.
pub const MAX_ATTEMPTS: u32 = 72;
/// How long a settled record stays (without its content) before DynamoDB's TTL removes it.
pub const RETENTION: SignedDuration = SignedDuration::from_hours(30 * 24);
/// The name of the mail's operation in the caller's transaction.
pub const TX_OP: &str = "pending_mail";
/// Longest `last_error` kept in the record.
const ERROR_CHARS: usize = 300;

/// A mail written to the outbox, claimed by its writer: after the transaction that holds
/// it has committed, hand it to [`deliver`]. Until its lease ends nobody else sends it; a
/// writer that never delivers (a crash) leaves it to the retry schedule.
#[must_use = "deliver the mail once the transaction holding it has committed"]
#[derive(Debug)]
pub struct PendingMail {
    id: PendingMailId,
    claim: String,
    attempt: u32,
    lease_end: i64,
    mail: Mail,
}

impl PendingMail {
    pub fn id(&self) -> &PendingMailId {
        &self.id
    }
}

/// What became of one attempt to send a pending mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// The send failed; the mail stays pending and the schedule tries again from then.
    Deferred {
        next_attempt: Timestamp,
    },
    /// The send failed for the last allowed time; the mail is given up (and logged).
    Abandoned,
    /// Another sender holds the mail, or it is settled already (only the retry job sees this).
    Skipped,
}

/// The outbox record for `mail` and the operation that writes it: add the operation to the
/// transaction of the change the mail reports. The writer holds the first claim.
pub fn enqueue(mail: Mail, now: Timestamp) -> Result<(PendingMail, Named), crate::Error> {
    let (pending, item) = new_record(mail, now)?;
    let op = TxOp::Put {
        item,
        cond: Cond::NotExists,
    }
    .named(TX_OP);
    Ok((pending, op))
}

pub(super) fn new_record(
    mail: Mail,
    now: Timestamp,
) -> Result<(PendingMail, Item), serde_json::Error> {
    let id = PendingMailId::generate();
    let claim = crate::crypto::random_token();
    let lease_end = now.as_second() + LEASE.as_secs();
    let record = PendingMailRecord {
        mail_id: id.clone(),
        mail: Some(mail.clone()),
        status: MailStatus::Pending,
        attempts: 1,
        due_at: Some(lease_end),
        claim: Some(claim.clone()),
        created_at: now,
        settled_at: None,
        last_error: None,
    };
    let mut item = crate::store::item_with_key(&id.key(), &record)?;
    item.insert(GSI1PK.into(), PENDING_PARTITION.into());
    item.insert(GSI1SK.into(), due_sort_key(lease_end, &id).into());
    let pending = PendingMail {
        id,
        claim,
        attempt: 1,
        lease_end,
        mail,
    };
    Ok((pending, item))
}

/// Sends a mail whose record has committed, then settles it. Never fails: a failed send
/// is logged (without personal data) and left to the retry schedule, so the request that
/// saved the change still answers with success.
pub async fn deliver(
    table: &dyn Table,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    pending: PendingMail,
) -> Delivery {
    let PendingMail {
        id,
        claim,
        attempt,
        lease_end,
        mail,
    } = pending;
    let outcome = match tokio::time::timeout(SEND_TIMEOUT, mailer.send(mail)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(describe(&e)),
        // The send may still have reached the provider: see "never twice" in the module docs.
        Err(_) => Err("timeout".to_string()),
    };
    let settle = Settle {
        table,
        id: &id,
        claim: &claim,
        attempt,
        now: clock.now(),
    };
    match outcome {
        Ok(()) => {
            settle.sent().await;
            Delivery::Sent
        }
        Err(reason) => settle.failed(reason, lease_end).await,
    }
}

/// Claims a due mail for this sender: one conditional write, so of two racing senders
/// exactly one gets it. `None` when it is not due, claimed by another, or settled.
pub(super) async fn claim(
    table: &dyn Table,
    id: &PendingMailId,
    now: Timestamp,
) -> Result<Option<PendingMail>, StoreError> {
    let claim = crate::crypto::random_token();
    let now = now.as_second();
    let lease_end = now + LEASE.as_secs();
    let ops = [
        Update::Set(CLAIM, claim.clone().into()),
        Update::Set(DUE_AT, lease_end.into()),
        Update::Set(GSI1SK, due_sort_key(lease_end, id).into()),
        Update::Add(ATTEMPTS, 1),
    ];
    let cond = Cond::All(vec![
        Cond::Eq(GSI1PK, PENDING_PARTITION.into()),
        Cond::Eq(STATUS, MailStatus::Pending.as_str().into()),
        // Due, or the previous claimant's lease has run out.
        Cond::LtOrAbsent(DUE_AT, now + 1),
    ]);
    let item = match table.update(&id.key(), &ops, cond).await {
        Ok(item) => item,
        Err(StoreError::ConditionFailed) => return Ok(None),
        Err(e) => return Err(e),
    };
    let record = PendingMailRecord::from_item(item).map_err(StoreError::unavailable)?;
    let mail = record.mail.ok_or_else(|| {
        StoreError::unavailable(std::io::Error::other("pending mail without content"))
    })?;
    Ok(Some(PendingMail {
        id: id.clone(),
        claim,
        attempt: record.attempts,
        lease_end,
        mail,
    }))
}

/// The writes that end an attempt; each is conditional on still holding the claim.
struct Settle<'a> {
    table: &'a dyn Table,
    id: &'a PendingMailId,
    claim: &'a str,
    attempt: u32,
    now: Timestamp,
}

impl Settle<'_> {
    fn holds_claim(&self) -> Cond {
        Cond::Eq(CLAIM, self.claim.into())
    }

    /// Out of the index, content removed (it holds links with tokens), expiring later.
    fn closing(&self, status: MailStatus) -> Vec<Update> {
        let expires = self.now.as_second() + RETENTION.as_secs();
        vec![
            Update::Set(STATUS, status.as_str().into()),
            Update::Set(SETTLED_AT, Value::String(self.now.to_string())),
            Update::Set(TTL, expires.into()),
            Update::Remove(CONTENT),
            Update::Remove(CLAIM),
            Update::Remove(DUE_AT),
            Update::Remove(GSI1PK),
            Update::Remove(GSI1SK),
        ]
    }

    /// Marks the mail sent. This write is what keeps it from being sent again, so a
    /// failing store gets a few quick retries before the lease would let someone resend.
    async fn sent(&self) {
        let ops = self.closing(MailStatus::Sent);
        let mut pause = Duration::from_millis(50);
        for _ in 0..3 {
            match self
                .table
                .update(&self.id.key(), &ops, self.holds_claim())
                .await
            {
                Ok(_) => {
                    tracing::info!(mail_id = %self.id, attempt = self.attempt, "mail sent");
                    return;
                }
                Err(StoreError::ConditionFailed) => {
                    // Only possible if the send outlived the lease, which SEND_TIMEOUT rules out.
                    tracing::error!(mail_id = %self.id, "mail sent after its claim had passed to another sender");
                    return;
                }
                Err(e) => {
                    tracing::warn!(mail_id = %self.id, error = %e, "marking a sent mail failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 4;
                }
            }
        }
        tracing::error!(
            mail_id = %self.id,
            "mail sent but not marked as sent: it is sent again when its lease ends"
        );
    }

    async fn failed(&self, reason: String, lease_end: i64) -> Delivery {
        if self.attempt >= MAX_ATTEMPTS {
            let mut ops = self.closing(MailStatus::Abandoned);
            ops.push(Update::Set(LAST_ERROR, reason.clone().into()));
            let written = self
                .table
                .update(&self.id.key(), &ops, self.holds_claim())
                .await;
            tracing::error!(
                mail_id = %self.id,
                attempts = self.attempt,
                error = %reason,
                recorded = written.is_ok(),
                "mail abandoned after its last attempt"
            );
            return Delivery::Abandoned;
        }
        let next = self.now.as_second() + backoff(self.attempt).as_secs();
        let ops = [
            Update::Set(DUE_AT, next.into()),
            Update::Set(GSI1SK, due_sort_key(next, self.id).into()),
            Update::Set(LAST_ERROR, reason.clone().into()),
            Update::Remove(CLAIM),
        ];
        let next = match self
            .table
            .update(&self.id.key(), &ops, self.holds_claim())
            .await
        {
            Ok(_) => next,
            // Still claimed: it becomes due again when the lease ends.
            Err(_) => lease_end,
        };
        let next_attempt = Timestamp::from_second(next).unwrap_or(self.now);
        tracing::warn!(
            mail_id = %self.id,
            attempt = self.attempt,
            error = %reason,
            next_attempt = %next_attempt,
            "mail not sent; the schedule tries again"
        );
        Delivery::Deferred { next_attempt }
    }
}

/// The wait after the `attempt`-th failed send.
pub fn backoff(attempt: u32) -> SignedDuration {
    let doublings = attempt.saturating_sub(1).min(16);
    let wait = FIRST_RETRY.as_secs().saturating_mul(1 << doublings);
    SignedDuration::from_secs(wait.min(LONGEST_WAIT.as_secs()))
}

/// The error and its causes in one line. Mailers keep personal data out of their errors
/// (see `MailError`), so this may be logged and stored.
fn describe(e: &MailError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out.chars().take(ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let minutes: Vec<i64> = (1..=8).map(|a| backoff(a).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(MAX_ATTEMPTS), LONGEST_WAIT);
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| backoff(a).as_secs()).sum();
        assert!(
            (2 * 24 * 3600..4 * 24 * 3600).contains(&total),
            "about three days of attempts, got {total} s"
        );
    }
}
