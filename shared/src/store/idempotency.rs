//! Idempotency keys (`Idempotency-Key` on POS bookings, conversions, payouts; SQS message ids).
//!
//! The key record (a hash of the request and the response it got) is written in the same
//! transaction as the effect, first, under `NotExists`. When that condition fails, the key was
//! used before: the same request gets the stored response again, another request gets
//! [`IdempotencyError::Mismatch`] (422). So however many retries race, one effect happens.
//! Records expire (see [`super::ttl`]); after that the key is new again.

use serde_json::Value;

use super::{Attr, Cond, Item, Key, Named, PK, SK, StoreError, TTL, Table, TxOp};
use crate::crypto::sha256_hex;

/// The key records' partition-and-sort-key prefix.
pub const KEY_PREFIX: &str = "IDEMPOTENCY#";
/// SHA-256 of the request, so another request under the same key is told apart.
pub const REQUEST_HASH: Attr = "request_hash";
pub const RESPONSE_STATUS: Attr = "response_status";
/// The response body, as JSON text.
pub const RESPONSE_BODY: Attr = "response_body";
/// The name of the key's operation in a transaction.
pub const KEY_OP: &str = "idempotency_key";

/// A response as it is stored and replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Value,
}

/// What a request under an idempotency key came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// This request's effect was written, with its response.
    Applied(StoredResponse),
    /// An earlier request with this key and the same body had the effect; its response.
    Replayed(StoredResponse),
}

impl Outcome {
    pub fn response(&self) -> &StoredResponse {
        match self {
            Outcome::Applied(r) | Outcome::Replayed(r) => r,
        }
    }

    pub fn into_response(self) -> StoredResponse {
        match self {
            Outcome::Applied(r) | Outcome::Replayed(r) => r,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used before with another request.
    #[error("idempotency key reused with another request")]
    Mismatch,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client's idempotency key within a scope, with the request made under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: Key,
    request_hash: String,
}

impl IdempotencyKey {
    /// `scope` keeps tenants and operations apart (e.g. `POS#<merchant id>`), so one tenant's key
    /// never answers for another's. `client_key` is stored hashed, so any header value makes a
    /// valid table key. `request` is what must match on a retry: the body, plus path
    /// parameters that select what it acts on.
    pub fn new(scope: &str, client_key: &str, request: &[u8]) -> Self {
        let id = format!("{KEY_PREFIX}{scope}#{}", sha256_hex(client_key.as_bytes()));
        Self {
            key: Key::new(id.clone(), id),
            request_hash: sha256_hex(request),
        }
    }

    /// A key record stored at `key`, chosen by the caller: e.g. in the partition of the
    /// item the request acts on, so the records (bookings of a card) can be queried with it.
    /// `key` must be built from the client's key within the caller's scope.
    pub fn at(key: Key, request: &[u8]) -> Self {
        Self {
            key,
            request_hash: sha256_hex(request),
        }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The operation that writes the key with `response`; [`IdempotencyKey::commit`] puts it
    /// first in the transaction, so a used key is what a replay is cancelled by.
    pub fn record(&self, response: &StoredResponse, expires_at: i64) -> Named {
        let mut item = Item::new();
        item.insert(PK.into(), self.key.pk.clone().into());
        item.insert(SK.into(), self.key.sk.clone().into());
        item.insert(REQUEST_HASH.into(), self.request_hash.clone().into());
        item.insert(RESPONSE_STATUS.into(), response.status.into());
        item.insert(RESPONSE_BODY.into(), response.body.to_string().into());
        item.insert(TTL.into(), expires_at.into());
        TxOp::Put {
            item,
            cond: Cond::NotExists,
        }
        .named(KEY_OP)
    }

    /// The key's record carrying the effect's own attributes (`extra`, e.g. the booking
    /// that the request is), kept for good when `expires_at` is `None`. With
    /// [`IdempotencyKey::commit_record`] a booking is one item instead of a key record plus a
    /// ledger entry, which halves its write cost.
    pub fn record_with(
        &self,
        response: &StoredResponse,
        expires_at: Option<i64>,
        extra: Item,
    ) -> Named {
        let mut named = self.record(response, expires_at.unwrap_or_default());
        if let TxOp::Put { item, .. } = &mut named.op {
            if expires_at.is_none() {
                item.remove(TTL);
            }
            for (k, v) in extra {
                item.entry(k).or_insert(v);
            }
        }
        named
    }

    /// The response already given under this key, if the key was used; an early way out
    /// before a caller does costly work. [`IdempotencyKey::commit`] decides for certain.
    pub async fn stored(
        &self,
        table: &dyn Table,
    ) -> Result<Option<StoredResponse>, IdempotencyError> {
        let Some(item) = table.get(&self.key).await? else {
            return Ok(None);
        };
        if item.get(REQUEST_HASH).and_then(Value::as_str) != Some(self.request_hash.as_str()) {
            return Err(IdempotencyError::Mismatch);
        }
        let status = item
            .get(RESPONSE_STATUS)
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok());
        let body = item
            .get(RESPONSE_BODY)
            .and_then(Value::as_str)
            .and_then(|b| serde_json::from_str(b).ok());
        match (status, body) {
            (Some(status), Some(body)) => Ok(Some(StoredResponse { status, body })),
            _ => Err(StoreError::unavailable(std::io::Error::other(
                "an idempotency record without its response",
            ))
            .into()),
        }
    }

    /// Writes `effect` and the key with `response` in one transaction, the record kept until
    /// `expires_at` (epoch seconds). If the key was used already, writes nothing and answers
    /// the stored response, or `Mismatch` for another request. A failed condition of the
    /// effect's own operations is returned as its `TxCancelled`.
    pub async fn commit(
        &self,
        table: &dyn Table,
        effect: Vec<Named>,
        response: StoredResponse,
        expires_at: i64,
    ) -> Result<Outcome, IdempotencyError> {
        self.commit_record(table, self.record(&response, expires_at), effect, response)
            .await
    }

    /// As [`IdempotencyKey::commit`], with the key's record built by the caller
    /// ([`IdempotencyKey::record_with`]).
    pub async fn commit_record(
        &self,
        table: &dyn Table,
        record: Named,
        effect: Vec<Named>,
        response: StoredResponse,
    ) -> Result<Outcome, IdempotencyError> {
        let mut ops = Vec::with_capacity(effect.len() + 1);
        ops.push(record);
        ops.extend(effect);
        match table.transact(ops).await {
            Ok(()) => Ok(Outcome::Applied(response)),
            Err(StoreError::TxCancelled { failed: KEY_OP }) => match self.stored(table).await? {
                Some(stored) => Ok(Outcome::Replayed(stored)),
                // It expired between the transaction and the read: the caller may retry.
                None => Err(StoreError::Conflict.into()),
            },
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_scoped_and_requests_told_apart() {
        let a = IdempotencyKey::new("POS#m1", "abc", b"{\"amount\":100}");
        let b = IdempotencyKey::new("POS#m2", "abc", b"{\"amount\":100}");
        let c = IdempotencyKey::new("POS#m1", "abc", b"{\"amount\":200}");
        assert_ne!(a.key(), b.key(), "another tenant, another record");
        assert_eq!(a.key(), c.key(), "same scope and key, same record");
        assert_ne!(a, c, "another body is another request");
        assert!(a.key().pk.starts_with(KEY_PREFIX));
    }
}
