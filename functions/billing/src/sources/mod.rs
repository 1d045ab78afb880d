//! Line sources: one per product, each a pure function of the product's contract
//! record(s) and the billed month to the invoice lines due in that month's run.
//! Reading the records is the worker's job ([`crate::partner`]); the rules live here.

pub mod cards;
pub mod file_links;
pub mod placements;
pub mod referrals;
pub mod subscriptions;
