//! The sparse index of billable partners (docs/architecture.md §5: billing alone pages
//! through partners). Every function that gives a partner something billable (an approved
//! platform subscription, a premium placement, the card contract, the digital customer
//! account) adds [`mark`] to the transaction that saves it. The marker is never removed by
//! those functions: billing decides from the contracts whether anything is due.

use crate::domain::PartnerId;
use crate::store::{Cond, GSI1PK, GSI1SK, Index, Item, Key, PK, Query, SK, TxOp};

use super::partners::partner_pk;

/// Sort key of the marker in the partner's partition.
const MARKER_SK: &str = "BILLABLE";
/// The index partition holding one marker per billable partner.
pub const BILLABLE_INDEX: &str = "BILLABLE";

pub fn marker_key(partner: &PartnerId) -> Key {
    Key::new(partner_pk(partner), MARKER_SK)
}

/// Puts the partner's marker; idempotent (the same item every time), so it never fails a
/// transaction and may be added by every product's first billable write.
pub fn mark(partner: &PartnerId) -> TxOp {
    let key = marker_key(partner);
    let mut item = Item::new();
    item.insert(PK.into(), key.pk.clone().into());
    item.insert(SK.into(), key.sk.clone().into());
    item.insert(GSI1PK.into(), BILLABLE_INDEX.into());
    item.insert(GSI1SK.into(), partner.as_str().into());
    TxOp::Put {
        item,
        cond: Cond::Always,
    }
}

/// The query billing pages through: every billable partner, ordered by id.
pub fn billable_partners() -> Query {
    Query::partition(Index::Gsi1, BILLABLE_INDEX).eventually_consistent()
}

/// The partner an index entry of [`billable_partners`] names.
pub fn partner_of(item: &Item) -> Option<PartnerId> {
    item.get(GSI1SK)
        .and_then(|v| v.as_str())
        .map(PartnerId::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteTable;
    use crate::store::Table;

    #[tokio::test]
    async fn marking_twice_lists_the_partner_once() {
        let table = SqliteTable::in_memory(std::sync::Arc::new(crate::clock::SystemClock)).unwrap();
        let partner = PartnerId::generate();
        for _ in 0..2 {
            table
                .transact(vec![mark(&partner).named("billable")])
                .await
                .unwrap();
        }
        let items = table.query_all(billable_partners()).await.unwrap();
        let partners: Vec<PartnerId> = items.iter().filter_map(partner_of).collect();
        assert_eq!(partners, vec![partner]);
    }
}
