//! Router tests of the offers function, in process on the shared test kit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/world.rs"]
mod world;

#[path = "api/drafts.rs"]
mod drafts;
#[path = "api/feed.rs"]
mod feed;
#[path = "api/placements.rs"]
mod placements;
#[path = "api/platform_stats.rs"]
mod platform_stats;
#[path = "api/review.rs"]
mod review;
#[path = "api/takedown.rs"]
mod takedown;
#[path = "api/withdrawal.rs"]
mod withdrawal;
