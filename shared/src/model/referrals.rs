//! Referral links, clicks and click counters: referrals writes the links, the redirect reads
//! them and writes clicks and counters, and referrals reads those back (conversions resolve a
//! click id, end users and partners see the counts).
//!
//! The click path is budgeted at 2 write units (issue 9): the click record (an update with a
//! condition) and one counter update. Neither item carries index keys, because every index
//! write would cost a write unit more.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, PartnerId, PlatformId, ProgramId};
use crate::store::{Attr, GSI1PK, GSI1SK, Index, Item, Key, Query, SkCond};

const LINK_PREFIX: &str = "LINK#";
const LINK_SK: &str = "LINK";
const CLICK_PREFIX: &str = "CLICK#";
const CLICK_SK: &str = "CLICK";
const CLICKS_SK_PREFIX: &str = "CLICKS#";
const PROGRAM_LINKS_PREFIX: &str = "PROGRAM_LINKS#";

/// How long the same visitor on the same link counts once.
pub const DEDUPE_SECS: i64 = 3600;
/// Length of a link code: 62^10 ≈ 8·10^17 codes, not guessable.
pub const CODE_LEN: usize = 10;

/// Attribute names updated in place.
pub mod attr {
    use crate::store::Attr;
    /// Link: whether the redirect forwards (false when the program is paused or ended).
    pub const ACTIVE: Attr = "active";
    /// Click counter: counted clicks and first clicks of a visitor that day.
    pub const CLICKS: Attr = "clicks";
    pub const UNIQUE: Attr = "unique";
    /// Click record.
    pub const CODE: Attr = "code";
    pub const PROGRAM_ID: Attr = "program_id";
    pub const CLICKED_AT: Attr = "clicked_at";
    pub const COUNTED_UNTIL: Attr = "counted_until";
    pub const VISITS: Attr = "visits";
}

pub fn link_key(code: &str) -> Key {
    Key::new(format!("{LINK_PREFIX}{code}"), LINK_SK)
}

/// A visitor's click on a link, under its click id.
pub fn click_key(click_id: &str) -> Key {
    Key::new(format!("{CLICK_PREFIX}{click_id}"), CLICK_SK)
}

/// The click counter of a link for one Berlin day; in the link's partition, so a link's
/// totals are one query.
pub fn clicks_key(code: &str, day: Date) -> Key {
    Key::new(
        format!("{LINK_PREFIX}{code}"),
        format!("{CLICKS_SK_PREFIX}{day}"),
    )
}

/// Every click counter of a link, between two days inclusive.
pub fn link_clicks(code: &str, from: Date, to: Date) -> Query {
    Query::partition(Index::Primary, format!("{LINK_PREFIX}{code}")).sk(SkCond::Between(
        format!("{CLICKS_SK_PREFIX}{from}"),
        format!("{CLICKS_SK_PREFIX}{to}"),
    ))
}

/// Every link of a program (links are written once, so their index entry costs nothing on
/// the click path).
pub fn program_links(program: &ProgramId) -> Query {
    Query::partition(Index::Gsi1, format!("{PROGRAM_LINKS_PREFIX}{program}"))
}

/// An end user's personal link to a program.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Link {
    pub code: String,
    pub program_id: ProgramId,
    pub partner_id: PartnerId,
    pub referrer: AccountId,
    pub platform_id: PlatformId,
    /// The program's landing URL: the only place the redirect sends anyone.
    pub landing_url: String,
    pub active: bool,
    /// How long a click can be converted; the click record lives as long.
    pub attribution_days: u32,
    /// SHA-256 of the referrer's login, to refuse self-referrals without storing it twice.
    pub referrer_hash: String,
    pub created_at: Timestamp,
}

impl Link {
    pub fn key(&self) -> Key {
        link_key(&self.code)
    }

    pub fn to_item(&self) -> Result<Item, crate::Error> {
        let mut item = super::to_item(&self.key(), self)?;
        item.insert(
            GSI1PK.into(),
            format!("{PROGRAM_LINKS_PREFIX}{}", self.program_id).into(),
        );
        item.insert(GSI1SK.into(), self.code.clone().into());
        Ok(item)
    }
}

/// A counted click, as conversions look it up by its id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Click {
    pub code: String,
    pub program_id: ProgramId,
    /// Epoch seconds of the visitor's latest counted click.
    pub clicked_at: i64,
    pub counted_until: i64,
    pub visits: i64,
}

/// A link's clicks on one day.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClickCount {
    #[serde(default)]
    pub clicks: i64,
    #[serde(default)]
    pub unique: i64,
}

/// The counter items of [`link_clicks`] summed up.
pub fn sum_clicks(items: &[Item]) -> ClickCount {
    let n = |item: &Item, a: Attr| item.get(a).and_then(|v| v.as_i64()).unwrap_or(0);
    items
        .iter()
        .fold(ClickCount::default(), |acc, item| ClickCount {
            clicks: acc.clicks + n(item, attr::CLICKS),
            unique: acc.unique + n(item, attr::UNIQUE),
        })
}

/// The day of a counter item (its sort key).
pub fn counter_day(item: &Item) -> Option<Date> {
    item.get(crate::store::SK)?
        .as_str()?
        .strip_prefix(CLICKS_SK_PREFIX)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counters_live_in_the_links_partition_and_sort_by_day() {
        let day: Date = "2026-11-24".parse().unwrap_or_default();
        let key = clicks_key("AbC123xyZ0", day);
        assert_eq!(key.pk, link_key("AbC123xyZ0").pk);
        let mut item = Item::new();
        item.insert(crate::store::SK.into(), json!(key.sk));
        item.insert(attr::CLICKS.into(), json!(3));
        item.insert(attr::UNIQUE.into(), json!(2));
        assert_eq!(counter_day(&item), Some(day));
        assert_eq!(
            sum_clicks(&[item.clone(), item]),
            ClickCount {
                clicks: 6,
                unique: 4
            }
        );
    }
}
