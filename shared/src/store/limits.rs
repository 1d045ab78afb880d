//! What DynamoDB refuses in a transaction as a whole, before it looks at any item: more than
//! [`MAX_TX_OPS`] operations, a request over [`MAX_TX_BYTES`], or two operations on one item
//! (docs/architecture.md §5). `SqliteTable` refuses the same transactions with the same
//! [`StoreError::TxRefused`](super::StoreError::TxRefused), so a test on SQLite catches a
//! caller that DynamoDB would refuse; callers that write many items use [`fits`] and split
//! their work.
//!
//! A request's size is counted as DynamoDB Local counts it: every item put, or the key of
//! every other operation, plus the text of its expressions, the attribute name of each
//! placeholder as often as the expressions use it, and the values they carry (the table name
//! and the values' placeholders are free). Item sizes follow
//! DynamoDB's rules: names and strings by their UTF-8 bytes, a number by its significant
//! base-100 digits plus one byte (two when negative), booleans and nulls one byte, lists and
//! maps three bytes plus one per element.

use std::collections::HashSet;

use serde_json::Value;

use super::expr::{self, Rendered};
use super::{Item, Key, Named, PK, SK, TxOp};

/// The most operations one transaction may hold.
pub const MAX_TX_OPS: usize = 100;
/// The largest request one transaction may be, in bytes (4 MB as DynamoDB counts it).
pub const MAX_TX_BYTES: usize = 4 * 1024 * 1024;

/// Which of DynamoDB's transaction limits a transaction breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxLimit {
    /// More than [`MAX_TX_OPS`] operations.
    TooManyOps,
    /// A request over [`MAX_TX_BYTES`].
    TooLarge,
    /// Two operations on the same item.
    SameItemTwice,
}

impl std::fmt::Display for TxLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TooManyOps => "more than 100 operations",
            Self::TooLarge => "request over 4 MB",
            Self::SameItemTwice => "two operations on one item",
        })
    }
}

/// Whether DynamoDB accepts `ops` as one transaction, with conditions judged at `now`; the
/// limits are checked in DynamoDB's order (count, size, then repeated items).
pub fn check(ops: &[Named], now: i64) -> Result<(), TxLimit> {
    if ops.len() > MAX_TX_OPS {
        return Err(TxLimit::TooManyOps);
    }
    if request_bytes(ops, now) > MAX_TX_BYTES {
        return Err(TxLimit::TooLarge);
    }
    let mut seen = HashSet::with_capacity(ops.len());
    for named in ops {
        if let Some(key) = expr::op_key(&named.op)
            && !seen.insert(key)
        {
            return Err(TxLimit::SameItemTwice);
        }
    }
    Ok(())
}

/// Whether `ops` fit in one transaction (see [`check`]).
pub fn fits(ops: &[Named], now: i64) -> bool {
    check(ops, now).is_ok()
}

/// The size of a transaction's request as DynamoDB counts it.
pub fn request_bytes(ops: &[Named], now: i64) -> usize {
    ops.iter().map(|named| op_bytes(&named.op, now)).sum()
}

fn op_bytes(op: &TxOp, now: i64) -> usize {
    let target = match op {
        TxOp::Put { item, .. } => item_size(item),
        TxOp::Update { key, .. } | TxOp::Delete { key, .. } | TxOp::Check { key, .. } => {
            key_size(key)
        }
    };
    let Rendered {
        condition,
        update,
        expr,
    } = expr::render(op, now);
    let texts = [condition.unwrap_or_default(), update.unwrap_or_default()];
    let text_bytes: usize = texts.iter().map(String::len).sum();
    let names: usize = expr
        .placeholders()
        .map(|(placeholder, name)| {
            let uses: usize = texts.iter().map(|t| uses_of(placeholder, t)).sum();
            name.len() * uses
        })
        .sum();
    let values: usize = expr.values().iter().map(|(_, v)| value_size(v)).sum();
    target + text_bytes + names + values
}

/// How often `placeholder` stands in `text` as a whole token (`#n` is not in `#name`).
fn uses_of(placeholder: &str, text: &str) -> usize {
    text.match_indices(placeholder)
        .filter(|(at, _)| {
            !text[at + placeholder.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
        .count()
}

/// An item's size as DynamoDB counts it: each attribute's name and value.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, v)| name.len() + value_size(v))
        .sum()
}

fn key_size(key: &Key) -> usize {
    PK.len() + key.pk.len() + SK.len() + key.sk.len()
}

/// A value's size as DynamoDB counts it, for the attribute value the adapters store it as
/// (a JSON string is a string, a number a number, an array a list, an object a map).
pub fn value_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 1,
        Value::String(s) => s.len(),
        Value::Number(n) => number_size(&n.to_string()),
        Value::Array(list) => 3 + list.iter().map(|e| value_size(e) + 1).sum::<usize>(),
        Value::Object(map) => {
            3 + map
                .iter()
                .map(|(name, e)| name.len() + value_size(e) + 1)
                .sum::<usize>()
        }
    }
}

/// A number's size: its significant digits in base-100 pairs counted from the decimal point,
/// plus one byte, plus one more when negative; zero is one byte.
fn number_size(text: &str) -> usize {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .filter(u8::is_ascii_digit)
        .map(|d| d - b'0')
        .collect();
    let Some(first) = digits.iter().position(|&d| d != 0) else {
        return 1;
    };
    let last = digits.iter().rposition(|&d| d != 0).unwrap_or(first);
    // The power of ten of each digit: the first digit of `whole` stands for 10^(len-1).
    let power = |index: usize| whole.len() as i64 - 1 - index as i64 + exponent;
    // Pairs are aligned on the decimal point: 10^0 and 10^1 share a pair.
    let pair = |p: i64| p.div_euclid(2);
    let pairs = pair(power(first)) - pair(power(last)) + 1;
    usize::try_from(pairs).unwrap_or(0) + 1 + usize::from(negative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Cond;
    use serde_json::json;

    /// Sizes DynamoDB Local reported for these values (its "Payload Size").
    #[test]
    fn values_are_counted_as_dynamodb_counts_them() {
        let numbers = [
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("12345", 4),
            ("-1", 3),
            ("1.5", 3),
            ("10", 2),
            ("100", 2),
            ("101", 3),
            ("1000000", 2),
            ("1700000000", 2),
            ("1767225600", 5),
            ("125.00", 3),
            ("0.001", 2),
            ("0.5", 2),
            ("-0.05", 3),
            ("12.345", 4),
            ("1E-130", 2),
            ("9.99E+125", 3),
        ];
        for (text, size) in numbers {
            assert_eq!(number_size(text), size, "{text}");
        }
        assert_eq!(value_size(&json!(true)), 1);
        assert_eq!(value_size(&json!(null)), 1);
        assert_eq!(value_size(&json!("äb")), 3);
        assert_eq!(value_size(&json!("😀")), 4);
        assert_eq!(value_size(&json!([])), 3);
        assert_eq!(value_size(&json!(["ab", 1])), 9);
        assert_eq!(value_size(&json!({"k": "ab", "kk": false})), 11);
        assert_eq!(value_size(&json!([[], {"x": null}])), 14);
    }

    fn put(sk: &str, cond: Cond) -> Named {
        let mut item = Item::new();
        item.insert("pk".into(), "P".into());
        item.insert("sk".into(), sk.into());
        TxOp::Put { item, cond }.named("put")
    }

    #[test]
    fn the_limits_are_checked_in_dynamodbs_order() {
        let many: Vec<Named> = (0..=MAX_TX_OPS)
            .map(|i| put(&i.to_string(), Cond::Always))
            .collect();
        assert_eq!(check(&many[..MAX_TX_OPS], 0), Ok(()));
        assert_eq!(check(&many, 0), Err(TxLimit::TooManyOps));
        let twice = vec![put("a", Cond::Always), put("a", Cond::NotExists)];
        assert_eq!(check(&twice, 0), Err(TxLimit::SameItemTwice));
        // A condition check counts as an operation on its item, as DynamoDB documents it.
        let checked = vec![
            put("a", Cond::NotExists),
            TxOp::Check {
                key: Key::new("P", "a"),
                cond: Cond::NotExists,
            }
            .named("check"),
        ];
        assert_eq!(check(&checked, 0), Err(TxLimit::SameItemTwice));
        // Key attributes and values only, without a condition.
        assert_eq!(request_bytes(&[put("abc", Cond::Always)], 0), 2 + 1 + 2 + 3);
    }

    #[test]
    fn a_name_counts_as_often_as_its_expressions_use_it() {
        assert_eq!(uses_of("#n", "attribute_not_exists(#n) OR #n < :v0"), 2);
        assert_eq!(uses_of("#n", "#name = :v0 AND #n_2 = :v1"), 0);
        // `Always` on a check: "attribute_exists(#pk) OR attribute_not_exists(#pk)" (50
        // bytes), the name `pk` twice, and the key P/a.
        let check = TxOp::Check {
            key: Key::new("P", "a"),
            cond: Cond::Always,
        }
        .named("check");
        assert_eq!(request_bytes(&[check], 0), 50 + 2 * 2 + (2 + 1 + 2 + 1));
    }
}
