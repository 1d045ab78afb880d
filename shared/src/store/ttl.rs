//! Expiry: an item whose `ttl` attribute (a number, epoch seconds) is at or before the adapter's
//! clock is expired. DynamoDB deletes such items only eventually (often days later), so both
//! adapters decide it themselves, from their clock, the same way:
//! - readers (`get`, `query`, `query_all`) never see an expired item;
//! - conditions see it as absent: `NotExists` holds over it, `Exists` and `Eq` fail;
//! - a put replaces it and a delete removes it, as with a live item;
//! - an update builds on the attributes still stored (DynamoDB cannot do otherwise), so code
//!   that reuses an expired key writes the whole item with a put, or sets every attribute it
//!   relies on, `ttl` included.
//!
//! A `ttl` that is absent or not a number never expires (DynamoDB's TTL ignores it too).

use serde_json::Value;

use super::{Item, TTL};

/// Whether the item has expired at `now` (epoch seconds).
pub fn is_expired(item: &Item, now: i64) -> bool {
    item.get(TTL).is_some_and(|ttl| value_expired(ttl, now))
}

/// A `ttl` attribute as the epoch second it expires at; none when it is not a number.
pub(crate) fn number(ttl: &Value) -> Option<f64> {
    ttl.as_f64()
}

/// Whether a `ttl` of `at` (epoch seconds) has passed at `now`.
pub(crate) fn number_expired(at: f64, now: i64) -> bool {
    at <= now as f64
}

fn value_expired(ttl: &Value, now: i64) -> bool {
    number(ttl).is_some_and(|at| number_expired(at, now))
}

/// The item as readers and conditions see it at `now`.
pub(crate) fn visible(item: Option<Item>, now: i64) -> Option<Item> {
    item.filter(|i| !is_expired(i, now))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn with_ttl(ttl: Value) -> Item {
        let mut item = Item::new();
        item.insert(TTL.into(), ttl);
        item
    }

    #[test]
    fn an_item_expires_at_its_ttl_second() {
        assert!(!is_expired(&with_ttl(json!(1_000)), 999));
        assert!(is_expired(&with_ttl(json!(1_000)), 1_000));
        assert!(is_expired(&with_ttl(json!(1_000)), 1_001));
    }

    #[test]
    fn a_missing_or_non_numeric_ttl_never_expires() {
        assert!(!is_expired(&Item::new(), i64::MAX));
        assert!(!is_expired(&with_ttl(json!("1000")), 2_000));
    }
}
