//! Bank customer platforms, each with its monthly fee, the changes of that fee from stated
//! months on, and the managers the operator invited.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, Cents, Month, PlatformId};
use crate::store::{Cond, GSI1PK, GSI1SK, Index, Item, Key, Query, SkCond};

pub const PLATFORM_PREFIX: &str = "PLATFORM#";
const PLATFORM_SK: &str = "PLATFORM";
const MANAGER_PREFIX: &str = "MANAGER#";
/// The index partition listing every platform, sorted by name.
pub const PLATFORMS_INDEX: &str = "PLATFORMS";

/// Attribute names of the platform record that are updated in place.
pub mod attr {
    use crate::store::Attr;
    pub const NAME: Attr = "name";
    pub const FEE_CHANGES: Attr = "fee_changes";
    /// Counts every edit, so two edits at once cannot both build on the same record.
    pub const REVISION: Attr = "revision";
}

pub fn platform_pk(platform: &PlatformId) -> String {
    format!("{PLATFORM_PREFIX}{platform}")
}

pub fn platform_key(platform: &PlatformId) -> Key {
    Key::new(platform_pk(platform), PLATFORM_SK)
}

/// The sort key in the platform's list of its platforms.
pub fn platform_sort_key(name: &str, platform: &PlatformId) -> String {
    format!("{}#{platform}", name.to_lowercase())
}

/// A new monthly fee from a month on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeChange {
    pub from: Month,
    #[serde(rename = "monthly_fee_cents")]
    pub fee: Cents,
    pub changed_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Platform {
    pub platform_id: PlatformId,
    pub name: String,
    /// The fee the platform was created with, for every month before its first change.
    #[serde(rename = "monthly_fee_cents")]
    pub monthly_fee: Cents,
    pub created_at: Timestamp,
    /// Sorted by month, at most one per month.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fee_changes: Vec<FeeChange>,
    /// See [`attr::REVISION`]; records written before read as 0.
    #[serde(default)]
    pub revision: i64,
}

impl Platform {
    /// The item with its keys and its place in the list of platforms.
    pub fn to_item(&self) -> Result<Item, crate::Error> {
        let mut item = super::to_item(&platform_key(&self.platform_id), self)?;
        item.insert(GSI1PK.into(), PLATFORMS_INDEX.into());
        item.insert(
            GSI1SK.into(),
            platform_sort_key(&self.name, &self.platform_id).into(),
        );
        Ok(item)
    }

    /// The monthly fee that applies to `month`: the last change from that month or before,
    /// else the fee the platform was created with.
    pub fn fee_in(&self, month: Month) -> Cents {
        self.fee_changes
            .iter()
            .rev()
            .find(|c| c.from <= month)
            .map_or(self.monthly_fee, |c| c.fee)
    }

    /// The schedule with `fee` from `from` on: it replaces every change from that month on
    /// (those months are not billed yet).
    pub fn with_fee_from(&self, from: Month, fee: Cents, now: Timestamp) -> Vec<FeeChange> {
        let mut changes: Vec<FeeChange> = self
            .fee_changes
            .iter()
            .filter(|c| c.from < from)
            .cloned()
            .collect();
        changes.push(FeeChange {
            from,
            fee,
            changed_at: now,
        });
        changes
    }

    /// The condition of an edit built on this record as read.
    pub fn unchanged(&self) -> Cond {
        if self.revision == 0 {
            Cond::LtOrAbsent(attr::REVISION, 1)
        } else {
            Cond::Eq(attr::REVISION, self.revision.into())
        }
    }
}

/// A manager of a platform, as the operator's list shows it: kept in the platform's
/// partition beside the manager's login record, which holds the platforms it may act for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagerEntry {
    pub account_id: AccountId,
    pub name: String,
    /// The login address (the login record's name, so no secret beyond it).
    pub email: String,
    pub invited_at: Timestamp,
}

pub fn manager_key(platform: &PlatformId, account: &AccountId) -> Key {
    Key::new(platform_pk(platform), format!("{MANAGER_PREFIX}{account}"))
}

impl ManagerEntry {
    pub fn to_item(&self, platform: &PlatformId) -> Result<Item, crate::Error> {
        super::to_item(&manager_key(platform, &self.account_id), self)
    }
}

/// Every manager entry of a platform.
pub fn managers_of(platform: &PlatformId) -> Query {
    Query::partition(Index::Primary, platform_pk(platform))
        .sk(SkCond::BeginsWith(MANAGER_PREFIX.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn a_fee_applies_from_its_month_on_and_a_later_change_replaces_the_ones_after() {
        let now = Timestamp::UNIX_EPOCH;
        let mut p = Platform {
            platform_id: PlatformId::generate(),
            name: "Sparkasse".into(),
            monthly_fee: Cents(4900),
            created_at: now,
            fee_changes: Vec::new(),
            revision: 0,
        };
        p.fee_changes = p.with_fee_from(month("2027-03"), Cents(5900), now);
        p.fee_changes = p.with_fee_from(month("2027-01"), Cents(5500), now);
        assert_eq!(p.fee_changes.len(), 1, "the change from March is replaced");
        assert_eq!(p.fee_in(month("2026-12")), Cents(4900));
        assert_eq!(p.fee_in(month("2027-01")), Cents(5500));
        assert_eq!(p.fee_in(month("2027-06")), Cents(5500));
        p.fee_changes = p.with_fee_from(month("2027-04"), Cents(6000), now);
        assert_eq!(p.fee_in(month("2027-03")), Cents(5500));
        assert_eq!(p.fee_in(month("2027-04")), Cents(6000));
    }
}
