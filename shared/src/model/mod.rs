//! The records several functions read (docs/architecture.md §2, §5), with their key builders and
//! attribute names, defined once. A record read by one function lives in that function.

pub mod accounts;
pub mod billable;
pub mod contracts;
pub mod partners;
pub mod placements;
pub mod platforms;
pub mod referrals;
pub mod reviews;
pub mod rewards;
pub mod runs;
pub mod search;
pub mod stored_email;
pub mod subscriptions;
pub mod tokens;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::store::{Item, Key, Stored};

/// Reads a stored item into its record type.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::Object(item)).map_err(Error::internal)
}

/// Reads an item of a page straight into its record type (see [`crate::store::Stored`]).
pub fn from_stored<T: DeserializeOwned>(stored: Stored) -> Result<T, Error> {
    stored.decode().map_err(Error::Internal)
}

/// A record as an item under its key.
pub fn to_item<T: Serialize>(key: &Key, value: &T) -> Result<Item, Error> {
    crate::store::item_with_key(key, value).map_err(Error::internal)
}
