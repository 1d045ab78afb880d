//! Offers waiting for review on a platform, as the offers function queues them: written by
//! offers (its `review::Submission`), read by registration's daily digest to managers.

use jiff::Timestamp;
use serde::Deserialize;

use crate::domain::PlatformId;

use super::platforms::platform_pk;

/// The index partition of a platform's review queue, oldest first.
pub fn review_index(platform: &PlatformId) -> String {
    format!("{}#REVIEWS", platform_pk(platform))
}

/// Of a submission waiting for review, what a digest names.
#[derive(Debug, Clone, Deserialize)]
pub struct WaitingReview {
    pub offer_id: String,
    pub company: String,
    pub content: WaitingContent,
    /// A revision of a version already shown.
    #[serde(default)]
    pub revision: bool,
    pub submitted_at: Timestamp,
}

/// Of the submitted content, its title.
#[derive(Debug, Clone, Deserialize)]
pub struct WaitingContent {
    pub title: String,
}
