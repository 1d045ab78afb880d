//! One-time tokens (confirm e-mail, reset password, manager invitation): 32 random bytes
//! for the link, only their SHA-256 stored, with an expiry and single use.

use serde::{Deserialize, Serialize};
use shared::Error;
use shared::crypto::{random_token, sha256_hex};
use shared::domain::Email;
use shared::store::{Cond, Item, Key, Named, StoreError, Table, TxOp, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Confirm,
    Reset,
    Invite,
}

impl TokenKind {
    pub fn lifetime_secs(self) -> i64 {
        match self {
            TokenKind::Confirm => 48 * 3600,
            TokenKind::Reset => 3600,
            TokenKind::Invite => 7 * 24 * 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OneTimeToken {
    pub kind: TokenKind,
    pub email: Email,
    pub account_id: String,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<String>,
}

/// The name of the token's own operation in a transaction.
pub const TOKEN_OP: &str = "one_time_token";

fn key(raw: &str) -> Key {
    Key::new(format!("TOKEN#{}", sha256_hex(raw.as_bytes())), "TOKEN")
}

/// A new token: the raw value for the e-mail link and the put that stores its hash.
pub fn issue(
    kind: TokenKind,
    email: &Email,
    account_id: &str,
    now: i64,
) -> Result<(String, Named), Error> {
    let raw = random_token();
    let token = OneTimeToken {
        kind,
        email: email.clone(),
        account_id: account_id.to_string(),
        expires_at: now + kind.lifetime_secs(),
        used_at: None,
    };
    let mut item: Item = shared::store::item_with_key(&key(&raw), &token)?;
    // DynamoDB's TTL removes the record a day after it stops being useful.
    item.insert("ttl".into(), (token.expires_at + 86_400).into());
    Ok((
        raw,
        TxOp::Put {
            item,
            cond: Cond::NotExists,
        }
        .named(TOKEN_OP),
    ))
}

fn invalid() -> Error {
    Error::field("token", "ist ungültig")
}

/// Checks the token and, in one transaction with the caller's writes, marks it used.
/// Unknown or foreign tokens are 400, expired or used ones 410.
pub async fn redeem(
    table: &dyn Table,
    raw: &str,
    kind: TokenKind,
    now: i64,
    writes: impl FnOnce(&OneTimeToken) -> Result<Vec<Named>, Error>,
) -> Result<OneTimeToken, Error> {
    if raw.len() != 43 {
        return Err(invalid());
    }
    let k = key(raw);
    let item = table.get(&k).await?.ok_or_else(invalid)?;
    let token: OneTimeToken = crate::records::from_item(item)?;
    if token.kind != kind {
        return Err(invalid());
    }
    if token.used_at.is_some() {
        return Err(used());
    }
    if token.expires_at < now {
        return Err(Error::Gone(
            "Der Link ist abgelaufen. Bitte fordern Sie einen neuen an.".into(),
        ));
    }
    let mut ops = vec![
        TxOp::Update {
            key: k,
            ops: vec![Update::Set("used_at", crate::records::now_rfc3339().into())],
            cond: Cond::Absent("used_at"),
        }
        .named(TOKEN_OP),
    ];
    ops.extend(writes(&token)?);
    match table.transact(ops).await {
        Ok(()) => Ok(token),
        Err(StoreError::TxCancelled { failed: TOKEN_OP }) => Err(used()),
        Err(e) => Err(e.into()),
    }
}

fn used() -> Error {
    Error::Gone("Der Link wurde bereits verwendet.".into())
}
