//! The key of a month's billing run record. Billing writes and reads the run; registration
//! checks that none exists for a month whose platform fee it changes (a month a run has
//! started for is billed, or being billed, at the fee read then).

use crate::domain::Month;
use crate::store::Key;

pub const RUN_PREFIX: &str = "RUN#";
const RUN_SK: &str = "RUN";

pub fn run_pk(period: Month) -> String {
    format!("{RUN_PREFIX}{period}")
}

pub fn run_key(period: Month) -> Key {
    Key::new(run_pk(period), RUN_SK)
}
