//! The visitors this instance counted itself, until their hour has passed.
//!
//! A click is counted by a conditional write that sets the click's `counted_until`; a second
//! click before then fails that condition and changes nothing. When this instance's own
//! write set `counted_until`, no other instance can have moved it earlier (their writes need
//! it passed), so until then every further click of that visitor is known to be a duplicate
//! without asking the table: a repeated click costs no write and no round trip at all.

use std::collections::HashMap;
use std::sync::Mutex;

/// Enough for the visitors one instance sees within an hour; bounded so a flood of new
/// visitors cannot grow memory (about 100 bytes each).
const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub struct RecentClicks {
    counted_until: Mutex<HashMap<String, i64>>,
}

impl RecentClicks {
    /// Whether this instance counted `click_id` itself and its hour has not yet passed at `now`.
    pub fn is_duplicate(&self, click_id: &str, now: i64) -> bool {
        let known = self.counted_until.lock().unwrap_or_else(|e| e.into_inner());
        known.get(click_id).is_some_and(|until| now < *until)
    }

    /// Remembers a click this instance has just counted, until `until`.
    pub fn counted(&self, click_id: &str, until: i64, now: i64) {
        let mut known = self.counted_until.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= CAPACITY {
            known.retain(|_, until| now < *until);
            if known.len() >= CAPACITY {
                // Forgetting is safe: the table's condition still deduplicates.
                known.clear();
            }
        }
        known.insert(click_id.to_string(), until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_visitor_is_a_duplicate_until_its_hour_has_passed() {
        let recent = RecentClicks::default();
        assert!(!recent.is_duplicate("a", 1_000));
        recent.counted("a", 4_600, 1_000);
        assert!(recent.is_duplicate("a", 1_001));
        assert!(recent.is_duplicate("a", 4_599));
        assert!(!recent.is_duplicate("a", 4_600));
        assert!(!recent.is_duplicate("b", 1_001));
    }

    #[test]
    fn a_full_memory_forgets_the_passed_hours_first() {
        let recent = RecentClicks::default();
        for i in 0..CAPACITY - 1 {
            recent.counted(&format!("old-{i}"), 100, 0);
        }
        recent.counted("live", 5_000, 0);
        recent.counted("new", 5_000, 200);
        assert!(recent.is_duplicate("live", 200));
        assert!(recent.is_duplicate("new", 200));
        assert!(
            !recent.is_duplicate("old-0", 50),
            "passed hours were dropped"
        );
    }
}
