//! Feed entries: the copies of an approved offer that a platform's feed reads with one query
//! per page.
//!
//! Each approved offer has, per platform and per facet (the whole feed and each of its
//! categories), one entry sorted by `N#<published_at>`, and one more per booked placement
//! month sorted by `P#<month>`. The feed reads its partition backwards, bounded above by
//! `P#<current month>#~`: the current month's placements come first, then the newest offers;
//! later months' placements lie above the bound. No job moves anything when a month starts:
//! a placement entry expires (TTL) at the end of its month, and an entry at the end of the
//! offer's validity, so expired offers are invisible without a job. The partner's
//! subscription is checked at read time (see `feed`).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::Result;
use shared::domain::Month;
use shared::domain::{PartnerId, PlatformId};
use shared::model::platforms::platform_pk;
use shared::store::{GSI1PK, GSI1SK, Item, Key, Named, SkCond, TTL, TxOp};

use crate::offer::{Benefit, Category, Live, Offer, offer_pk, step};

/// The facet of the whole feed (every category).
pub const ALL: &str = "alle";
const ENTRY_PREFIX: &str = "FEED#";
/// The sort-key prefix of the newest-order entries (one per offer and facet).
pub const NEWEST: &str = "N#";
const PLACED: &str = "P#";

/// The index partition of a platform's feed facet.
pub fn feed_index(platform: &PlatformId, facet: &str) -> String {
    format!("{}#FEED#{facet}", platform_pk(platform))
}

/// The sort-key range of a feed page in `month`: placements of that month, then the newest.
pub fn feed_range(month: Month) -> SkCond {
    SkCond::Between(NEWEST.into(), format!("{PLACED}{month}#~"))
}

/// What a feed shows of an offer, copied from its approved version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub offer_id: String,
    pub partner_id: PartnerId,
    pub company: String,
    pub title: String,
    pub teaser: String,
    pub benefit: Benefit,
    pub categories: Vec<Category>,
    pub valid_from: Date,
    pub valid_to: Date,
    /// The first image's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_key: Option<String>,
    pub online: bool,
    pub in_store: bool,
    pub published_at: Timestamp,
    /// The placement month of a placement entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placed_month: Option<Month>,
    /// On the newest-order entry: months in which the offer sits among the placements
    /// instead (so it is not shown twice).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placed_months: Vec<Month>,
}

impl Entry {
    /// Whether a feed of `today` shows this entry (its partner's subscription aside).
    pub fn shown_on(&self, today: Date) -> bool {
        let month = Month::of(today);
        let in_validity = self.valid_from <= today && today <= self.valid_to;
        let in_place = match self.placed_month {
            Some(m) => m == month,
            None => !self.placed_months.contains(&month),
        };
        in_validity && in_place
    }
}

/// The first second (epoch) of a civil day in Europe/Berlin.
fn berlin_start(day: Date) -> i64 {
    day.to_zoned(shared::clock::berlin())
        .map(|z| z.timestamp().as_second())
        .unwrap_or(i64::MAX)
}

fn entry_sk(platform: &PlatformId, facet: &str, placed: Option<Month>) -> String {
    match placed {
        None => format!("{ENTRY_PREFIX}{platform}#{facet}#N"),
        Some(m) => format!("{ENTRY_PREFIX}{platform}#{facet}#P#{m}"),
    }
}

/// The keys and items of every feed entry of `offer` on `platform` as it stands.
pub fn entries(offer: &Offer, platform: &PlatformId) -> Result<Vec<(Key, Item)>> {
    let Some(state) = offer.states.get(platform) else {
        return Ok(Vec::new());
    };
    let Some(live) = &state.live else {
        return Ok(Vec::new());
    };
    let mut facets = vec![ALL.to_string()];
    facets.extend(
        live.content
            .categories
            .iter()
            .map(|c| c.as_str().to_string()),
    );
    let expires = berlin_start(live.content.valid_to.tomorrow().unwrap_or(Date::MAX));
    let mut out = Vec::new();
    for facet in &facets {
        let base = entry(offer, live, &state.placed_months);
        let mut placed = vec![None];
        placed.extend(state.placed_months.iter().copied().map(Some));
        for month in placed {
            let key = Key::new(offer_pk(&offer.offer_id), entry_sk(platform, facet, month));
            let mut value = base.clone();
            let (sort, ttl) = match month {
                None => (
                    format!("{NEWEST}{}#{}", live.published_at, offer.offer_id),
                    expires,
                ),
                Some(m) => {
                    value.placed_month = Some(m);
                    value.placed_months = Vec::new();
                    (
                        format!("{PLACED}{m}#{}", offer.offer_id),
                        expires.min(berlin_start(m.next().first())),
                    )
                }
            };
            let mut item = shared::model::to_item(&key, &value)?;
            item.insert(GSI1PK.into(), feed_index(platform, facet).into());
            item.insert(GSI1SK.into(), sort.into());
            item.insert(TTL.into(), ttl.into());
            out.push((key, item));
        }
    }
    Ok(out)
}

fn entry(offer: &Offer, live: &Live, placed_months: &[Month]) -> Entry {
    let c = &live.content;
    Entry {
        offer_id: offer.offer_id.clone(),
        partner_id: offer.partner_id.clone(),
        company: live.company.clone(),
        title: c.title.clone(),
        teaser: c.teaser.clone(),
        benefit: c.benefit.clone(),
        categories: c.categories.clone(),
        valid_from: c.valid_from,
        valid_to: c.valid_to,
        image_key: c.images.first().map(|i| i.key.clone()),
        online: c.online.is_some(),
        in_store: c.in_store.is_some(),
        published_at: live.published_at,
        placed_month: None,
        placed_months: placed_months.to_vec(),
    }
}

/// The writes that turn the feed entries of `before` into those of `after` on `platform`:
/// puts for the new, deletes for the ones gone.
pub fn sync(before: &Offer, after: &Offer, platform: &PlatformId) -> Result<Vec<Named>> {
    let old = entries(before, platform)?;
    let new = entries(after, platform)?;
    let mut ops = Vec::new();
    for (key, _) in &old {
        if !new.iter().any(|(k, _)| k == key) {
            ops.push(
                TxOp::Delete {
                    key: key.clone(),
                    cond: shared::store::Cond::Always,
                }
                .named(step::FEED_ENTRY),
            );
        }
    }
    for (_, item) in new {
        ops.push(
            TxOp::Put {
                item,
                cond: shared::store::Cond::Always,
            }
            .named(step::FEED_ENTRY),
        );
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_page_ranges_over_this_months_placements_and_the_newest() {
        let SkCond::Between(low, high) = feed_range("2026-11".parse().unwrap()) else {
            panic!("a range");
        };
        let inside = |sk: &str| low.as_str() <= sk && sk <= high.as_str();
        assert!(inside("N#2026-11-02T10:00:00Z#o1"));
        assert!(inside("P#2026-11#o2"));
        assert!(!inside("P#2026-12#o3"), "next month's placement waits");
        // Sorted backwards, this month's placement comes before every newest entry.
        assert!("P#2026-11#o2" > "N#2026-11-30T23:00:00Z#o1");
    }

    #[test]
    fn berlin_days_start_at_local_midnight() {
        // 1 Dec 2026 00:00 in Berlin is 30 Nov 23:00 UTC.
        let start = berlin_start(jiff::civil::date(2026, 12, 1));
        assert_eq!(
            Timestamp::from_second(start).unwrap().to_string(),
            "2026-11-30T23:00:00Z"
        );
    }
}
