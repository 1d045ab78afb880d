//! The customer number on a partner's invoices: six digits from 100001 on, short enough to
//! read out on the phone, where the partner id (a 36-character UUID) is not. The run gives a
//! partner its number before its first invoice, from one counter, and keeps it in the
//! partner's partition (`CUSTOMER_NUMBER`); an invoice keeps the number it was issued with.
//! Numbers are unique; one may be skipped (a partner numbered whose invoice then failed keeps
//! its number), which is harmless for a customer number.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::domain::PartnerId;
use shared::model::from_item;
use shared::model::partners::partner_pk;
use shared::store::counter::Counter;
use shared::store::{Cond, Key, StoreError, Table, TxOp};

/// Sort key of a partner's customer number, in its partition.
pub const CUSTOMER_NUMBER_SK: &str = "CUSTOMER_NUMBER";
/// The counter the numbers come from.
const COUNTER_PK: &str = "CUSTOMER_NUMBERS";
const COUNTER_SK: &str = "COUNTER";
/// Number n of the counter is printed as `OFFSET + n`: 100001, 100002, …
const OFFSET: u64 = 100_000;
/// The transaction step that writes a partner's number (only if it has none).
const ASSIGN_OP: &str = "customer_number";
/// Rounds of numbering when concurrent deliveries number the same partners.
const ROUNDS: usize = 3;

pub fn customer_number_key(partner: &PartnerId) -> Key {
    Key::new(partner_pk(partner), CUSTOMER_NUMBER_SK)
}

/// `100001` for the counter's first number.
pub fn format(n: u64) -> String {
    (OFFSET + n).to_string()
}

/// A partner's customer number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerNumber {
    pub partner_id: PartnerId,
    pub number: String,
    pub assigned_at: Timestamp,
}

impl CustomerNumber {
    fn put(&self) -> Result<TxOp, shared::Error> {
        Ok(TxOp::Put {
            item: shared::model::to_item(&customer_number_key(&self.partner_id), self)?,
            cond: Cond::NotExists,
        })
    }
}

/// Gives each of `partners` (none of which had a number when read) its customer number, in
/// one transaction with the counter; returns the number of each. A partner numbered by a
/// concurrent delivery meanwhile keeps that number.
pub async fn assign(
    table: &dyn Table,
    partners: &[PartnerId],
    now: Timestamp,
) -> Result<HashMap<PartnerId, String>, shared::Error> {
    let mut numbers = HashMap::new();
    let mut missing: Vec<PartnerId> = partners.to_vec();
    for _ in 0..ROUNDS {
        if missing.is_empty() {
            break;
        }
        let result = Counter::new(Key::new(COUNTER_PK, COUNTER_SK))
            .allocate_many(table, missing.len() as u64, |first| {
                missing
                    .iter()
                    .zip(first..)
                    .map(|(partner, n)| {
                        CustomerNumber {
                            partner_id: partner.clone(),
                            number: format(n),
                            assigned_at: now,
                        }
                        .put()
                        .map(|op| op.named(ASSIGN_OP))
                        .map_err(AssignError::Other)
                    })
                    .collect::<Result<Vec<_>, AssignError>>()
            })
            .await;
        match result {
            Ok(first) => {
                numbers.extend(missing.drain(..).zip(first..).map(|(p, n)| (p, format(n))));
            }
            // Another delivery numbered one of them first: take what it wrote, number the rest.
            Err(AssignError::Store(StoreError::TxCancelled { failed: ASSIGN_OP })) => {
                let mut still = Vec::new();
                for partner in missing.drain(..) {
                    match table.get(&customer_number_key(&partner)).await? {
                        Some(item) => {
                            let known: CustomerNumber = from_item(item)?;
                            numbers.insert(partner, known.number);
                        }
                        None => still.push(partner),
                    }
                }
                missing = still;
            }
            Err(AssignError::Store(e)) => return Err(e.into()),
            Err(AssignError::Other(e)) => return Err(e),
        }
    }
    if missing.is_empty() {
        Ok(numbers)
    } else {
        Err(shared::Error::Conflict(
            "Kundennummern konnten nicht vergeben werden; bitte erneut versuchen.".into(),
        ))
    }
}

/// Why numbering did not commit: the store's answer (kept, to see which step failed), or
/// a record that could not be written.
enum AssignError {
    Store(StoreError),
    Other(shared::Error),
}

impl From<StoreError> for AssignError {
    fn from(e: StoreError) -> Self {
        AssignError::Store(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_six_digits_from_100001() {
        assert_eq!(format(1), "100001");
        assert_eq!(format(899_999), "999999");
    }
}
