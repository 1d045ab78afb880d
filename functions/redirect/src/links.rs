//! Links read in the last few seconds, kept by one instance.
//!
//! A link changes only when its program is paused or ended, and every click of a popular
//! link would otherwise read it again. Deployed, a link is kept for `LINK_CACHE_SECS`
//! (5 s unless set): a paused or ended program stops redirecting within that time, as
//! an eventually consistent read already lags by up to a second. Unknown codes are never
//! kept, so a new link works at once and guessed codes fill no memory.

use std::collections::HashMap;
use std::sync::Mutex;

use shared::model::referrals::Link;

/// How long a deployed instance uses a link it read, unless `LINK_CACHE_SECS` says otherwise.
pub const DEFAULT_KEEP_SECS: i64 = 5;

/// Bounds the memory of a long-lived instance: the links start over when full.
const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub struct RecentLinks {
    /// How long a read link is used again, in seconds; 0 keeps nothing.
    keep_secs: i64,
    read: Mutex<HashMap<String, (i64, Link)>>,
}

impl RecentLinks {
    pub fn keeping_for(keep_secs: i64) -> Self {
        Self {
            keep_secs: keep_secs.max(0),
            read: Mutex::default(),
        }
    }

    /// The link as read less than the keeping time before `now`.
    pub fn get(&self, code: &str, now: i64) -> Option<Link> {
        if self.keep_secs == 0 {
            return None;
        }
        let read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.get(code)
            .filter(|(read_at, _)| now < read_at + self.keep_secs)
            .map(|(_, link)| link.clone())
    }

    /// Keeps a link just read from the table.
    pub fn keep(&self, link: &Link, now: i64) {
        if self.keep_secs == 0 {
            return;
        }
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if read.len() >= CAPACITY {
            read.clear();
        }
        read.insert(link.code.clone(), (now, link.clone()));
    }
}

#[cfg(test)]
mod tests {
    use shared::domain::{AccountId, PartnerId, PlatformId, ProgramId};

    use super::*;

    fn link(code: &str) -> Link {
        Link {
            code: code.into(),
            program_id: ProgramId::generate(),
            partner_id: PartnerId::generate(),
            referrer: AccountId::generate(),
            platform_id: PlatformId::generate(),
            landing_url: "https://shop.example.de/".into(),
            active: true,
            attribution_days: 30,
            referrer_hash: String::new(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_link_is_used_again_for_the_keeping_time_only() {
        let recent = RecentLinks::keeping_for(5);
        assert!(recent.get("Ab3dE6gH9k", 100).is_none());
        recent.keep(&link("Ab3dE6gH9k"), 100);
        assert_eq!(
            recent.get("Ab3dE6gH9k", 104).map(|l| l.code),
            Some("Ab3dE6gH9k".to_string())
        );
        assert!(recent.get("Ab3dE6gH9k", 105).is_none());
        assert!(recent.get("Zz3dE6gH9k", 101).is_none());
    }

    #[test]
    fn keeping_for_no_time_keeps_nothing() {
        let recent = RecentLinks::default();
        recent.keep(&link("Ab3dE6gH9k"), 100);
        assert!(recent.get("Ab3dE6gH9k", 100).is_none());
    }
}
