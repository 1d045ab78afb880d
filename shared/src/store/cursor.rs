//! Pagination cursors: base64url of JSON naming the index and partition the cursor continues
//! and the position (key attributes) of the last item read.
//!
//! A cursor is checked against the query it is handed to before any adapter sees it: one that
//! names another index or partition, lacks or adds key attributes, holds non-string or
//! out-of-range values, or lies outside the sort-key condition is `InvalidCursor` (a 400), never
//! a DynamoDB `ValidationException` (a 503). Positions are not secrets (they are keys of items
//! the caller was just shown), so the cursor is not signed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{GSI1PK, Item, PK, Query, StoreError};

/// Longer cursors are never issued: key attributes are at most 2 KB (partition) and 1 KB (sort).
const MAX_CURSOR_LEN: usize = 8 * 1024;
const MAX_PARTITION_KEY_BYTES: usize = 2048;
const MAX_SORT_KEY_BYTES: usize = 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    /// The index's name.
    i: String,
    /// The partition the query reads.
    p: String,
    /// The position: the index's key attributes of the last item read.
    k: Item,
}

/// The cursor that continues `query` after `last` (an item, or DynamoDB's last evaluated key).
pub(crate) fn encode(query: &Query, last: &Item) -> Result<String, StoreError> {
    let mut position = Item::new();
    for attr in query.index.position_attrs() {
        let value = last.get(*attr).cloned().ok_or_else(|| {
            StoreError::unavailable(std::io::Error::other(format!(
                "the last item read lacks its key attribute {attr}"
            )))
        })?;
        position.insert((*attr).to_string(), value);
    }
    let wire = Wire {
        i: query.index.name().to_string(),
        p: query.pk.clone(),
        k: position,
    };
    let json = serde_json::to_vec(&wire).map_err(StoreError::unavailable)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// The position a cursor continues after, if it is one `query` issued.
pub(crate) fn decode(query: &Query, cursor: &str) -> Result<Item, StoreError> {
    if cursor.len() > MAX_CURSOR_LEN {
        return Err(StoreError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if wire.i != query.index.name() || wire.p != query.pk {
        return Err(StoreError::InvalidCursor);
    }
    let attrs = query.index.position_attrs();
    if wire.k.len() != attrs.len() {
        return Err(StoreError::InvalidCursor);
    }
    for attr in attrs {
        let max = if [PK, GSI1PK].contains(attr) {
            MAX_PARTITION_KEY_BYTES
        } else {
            MAX_SORT_KEY_BYTES
        };
        match wire.k.get(*attr) {
            Some(Value::String(s)) if !s.is_empty() && s.len() <= max => {}
            _ => return Err(StoreError::InvalidCursor),
        }
    }
    let (pk_attr, sk_attr) = query.index.key_attrs();
    let text = |attr| wire.k.get(attr).and_then(Value::as_str).unwrap_or_default();
    if text(pk_attr) != query.pk || !query.sk.matches(text(sk_attr)) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(wire.k)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{Index, SkCond};

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect()
    }

    fn forge(wire: Value) -> String {
        URL_SAFE_NO_PAD.encode(wire.to_string())
    }

    #[test]
    fn a_cursor_continues_only_its_own_query() -> Result<(), StoreError> {
        let q = Query::partition(Index::Primary, "PARTNER#1").sk(SkCond::BeginsWith("APP#".into()));
        let c = encode(
            &q,
            &item(&[("pk", "PARTNER#1"), ("sk", "APP#7"), ("x", "y")]),
        )?;
        assert_eq!(
            decode(&q, &c)?,
            item(&[("pk", "PARTNER#1"), ("sk", "APP#7")]),
            "only the key attributes travel"
        );
        let other = Query::partition(Index::Primary, "PARTNER#2");
        assert!(matches!(decode(&other, &c), Err(StoreError::InvalidCursor)));
        let gsi = Query::partition(Index::Gsi1, "PARTNER#1");
        assert!(matches!(decode(&gsi, &c), Err(StoreError::InvalidCursor)));
        Ok(())
    }

    #[test]
    fn forged_positions_are_invalid() {
        let q =
            Query::partition(Index::Gsi1, "PLATFORM#1").sk(SkCond::BeginsWith("pending#".into()));
        let good = json!({"gsi1pk": "PLATFORM#1", "gsi1sk": "pending#1", "pk": "P", "sk": "S"});
        assert!(
            decode(
                &q,
                &forge(json!({"i": "gsi1", "p": "PLATFORM#1", "k": good}))
            )
            .is_ok()
        );
        let cases = [
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#1", "gsi1sk": "pending#1"}}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#1", "gsi1sk": 5, "pk": "P", "sk": "S"}}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#2", "gsi1sk": "pending#1", "pk": "P", "sk": "S"}}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#1", "gsi1sk": "approved#1", "pk": "P", "sk": "S"}}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#1", "gsi1sk": "pending#1", "pk": "", "sk": "S"}}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#1", "gsi1sk": "pending#1", "pk": "P", "sk": "S", "x": "y"}}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": good, "extra": 1}),
            json!({"i": "gsi1", "p": "PLATFORM#1", "k": {"gsi1pk": "PLATFORM#1", "gsi1sk": "pending#1", "pk": "P", "sk": "S".repeat(2000)}}),
            json!(["not", "an", "object"]),
        ];
        for case in cases {
            assert!(
                matches!(
                    decode(&q, &forge(case.clone())),
                    Err(StoreError::InvalidCursor)
                ),
                "{case}"
            );
        }
        assert!(matches!(decode(&q, "%%%"), Err(StoreError::InvalidCursor)));
        assert!(matches!(
            decode(&q, &"A".repeat(MAX_CURSOR_LEN + 1)),
            Err(StoreError::InvalidCursor)
        ));
    }
}
