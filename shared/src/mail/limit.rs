//! Mails that anyone can make the platform send to an address (a password-reset link, "this
//! address is already registered", a resent invitation or confirmation link) are limited
//! per address: at most [`MAX_PER_HOUR`] in one clock hour. A counter per address and hour,
//! raised by a conditional update, so racing requests cannot get past it; the caller's
//! answer stays the same whether a mail went out or not.

use crate::crypto::sha256_hex;
use crate::domain::Email;
use crate::store::{Attr, Cond, Key, Named, StoreError, TTL, Table, TxOp, Update};

/// Mails of the limited kinds to one address per clock hour.
pub const MAX_PER_HOUR: i64 = 3;
const HOUR_SECS: i64 = 3600;
const PREFIX: &str = "MAILLIMIT#";
const COUNT: Attr = "count";
/// The name of the counter's operation in a transaction.
pub const LIMIT_OP: &str = "mail_limit";

/// The counter of `to` in the hour of `now` (epoch seconds); keyed by a hash, so the
/// address is not in the key.
fn key(to: &Email, now: i64) -> Key {
    Key::new(
        format!("{PREFIX}{}", sha256_hex(to.as_str().as_bytes())),
        format!("HOUR#{}", now.div_euclid(HOUR_SECS)),
    )
}

fn count_one(to: &Email, now: i64) -> (Key, Vec<Update>, Cond) {
    (
        key(to, now),
        vec![
            Update::Add(COUNT, 1),
            Update::Set(TTL, (now + 2 * HOUR_SECS).into()),
        ],
        Cond::LtOrAbsent(COUNT, MAX_PER_HOUR),
    )
}

/// The operation that counts one more mail to `to`, for the mail's own transaction; it
/// fails as [`LIMIT_OP`] once the hour's mails are used up.
pub fn count_op(to: &Email, now: i64) -> Named {
    let (key, ops, cond) = count_one(to, now);
    TxOp::Update { key, ops, cond }.named(LIMIT_OP)
}

/// Counts one more mail to `to`: `false` when the hour's mails are used up.
pub async fn take(table: &dyn Table, to: &Email, now: i64) -> Result<bool, StoreError> {
    let (key, ops, cond) = count_one(to, now);
    match table.update(&key, &ops, cond).await {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether a transaction failed because the hour's mails to the address are used up.
pub fn is_exhausted(e: &StoreError) -> bool {
    matches!(e, StoreError::TxCancelled { failed: LIMIT_OP })
}
