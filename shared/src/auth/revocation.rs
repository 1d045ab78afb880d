//! Tokens end with the account (docs/architecture.md §6): a terminal user disabled, a
//! cardholder or a supplier's customer deleted or disabled, a partner that closed its account
//! is refused on its very next request, not when its 15-minute token expires.
//!
//! Whatever ends an account writes, in the same transaction, a revocation record for the
//! account id with the time ([`revoke_op`]); [`crate::auth::TenantAuth`] reads it on every
//! request and refuses a token issued at or before that time. The record outlives every
//! token it refuses by a minute and then expires; enabling the account again removes it
//! ([`reinstate_op`]). An account created anew under the same login name has another id.
//! [`crate::auth::PartnerAuth`] reads it too, for a partner that closed its account.
//!
//! Per request this is one strongly consistent read of a (usually absent) item: one read
//! unit, no write.

use serde_json::Value;

use super::jwt::{Claims, TOKEN_LIFETIME_SECS};
use crate::domain::AccountId;
use crate::error::Error;
use crate::store::{Cond, Item, Key, Named, SharedTable, TTL, TxOp};

const PREFIX: &str = "REVOKED#";
const SK: &str = "REVOKED";
const REVOKED_AT: &str = "revoked_at";
const REASON: &str = "reason";
/// The name of [`revoke_op`] and [`reinstate_op`] in a transaction.
pub const REVOKE_OP: &str = "revoke_tokens";

/// Why an account's tokens end, as its holder is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Disabled (or blocked) by whoever runs the account: 403.
    Disabled,
    /// Deleted: 401, as if it had never been.
    Deleted,
    /// A partner closed its own account: 401, saying so.
    Closed,
    /// What the account may do changed (a manager removed from one of its platforms): 401,
    /// asking to log in again.
    Changed,
}

impl Ended {
    fn as_str(self) -> &'static str {
        match self {
            Ended::Disabled => "disabled",
            Ended::Deleted => "deleted",
            Ended::Closed => "closed",
            Ended::Changed => "changed",
        }
    }
}

pub fn revocation_key(account: &AccountId) -> Key {
    Key::new(format!("{PREFIX}{account}"), SK)
}

/// Ends every token of `account` issued up to `now` (epoch seconds).
pub fn revoke_op(account: &AccountId, why: Ended, now: i64) -> Named {
    let key = revocation_key(account);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert(REVOKED_AT.into(), now.into());
    item.insert(REASON.into(), why.as_str().into());
    item.insert(TTL.into(), (now + TOKEN_LIFETIME_SECS + 60).into());
    TxOp::Put {
        item,
        cond: Cond::Always,
    }
    .named(REVOKE_OP)
}

/// Lets tokens issued before [`revoke_op`] count again (an account enabled again).
pub fn reinstate_op(account: &AccountId) -> Named {
    TxOp::Delete {
        key: revocation_key(account),
        cond: Cond::Always,
    }
    .named(REVOKE_OP)
}

/// The table the tenant extractor reads revocations from.
#[derive(Clone)]
pub struct Revocations(pub SharedTable);

impl Revocations {
    /// 403 when the token's account was disabled after the token was issued, 401 when it
    /// was deleted.
    pub async fn check(&self, claims: &Claims) -> Result<(), Error> {
        let account = AccountId::from_raw(claims.sub.clone());
        let Some(item) = self.0.get(&revocation_key(&account)).await? else {
            return Ok(());
        };
        let revoked_at = item.get(REVOKED_AT).and_then(Value::as_i64);
        if revoked_at.is_none_or(|at| claims.iat > at) {
            return Ok(());
        }
        let reason = item.get(REASON).and_then(Value::as_str);
        if reason == Some(Ended::Disabled.as_str()) {
            Err(Error::Forbidden(
                "Ihr Zugang ist gesperrt. Bitte wenden Sie sich an den Anbieter, der ihn eingerichtet hat.".into(),
            ))
        } else if reason == Some(Ended::Changed.as_str()) {
            Err(Error::Unauthorized(
                "Ihre Berechtigungen wurden geändert. Bitte melden Sie sich erneut an.".into(),
            ))
        } else if reason == Some(Ended::Closed.as_str()) {
            Err(Error::Unauthorized(
                "Dieses Partnerkonto wurde geschlossen.".into(),
            ))
        } else {
            Err(Error::Unauthorized("Ihr Zugang besteht nicht mehr.".into()))
        }
    }
}
