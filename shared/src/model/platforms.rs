//! Bank customer platforms, each with its monthly fee.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{Cents, PlatformId};
use crate::store::{GSI1PK, GSI1SK, Item, Key};

pub const PLATFORM_PREFIX: &str = "PLATFORM#";
const PLATFORM_SK: &str = "PLATFORM";
/// The index partition listing every platform, sorted by name.
pub const PLATFORMS_INDEX: &str = "PLATFORMS";

pub fn platform_pk(platform: &PlatformId) -> String {
    format!("{PLATFORM_PREFIX}{platform}")
}

pub fn platform_key(platform: &PlatformId) -> Key {
    Key::new(platform_pk(platform), PLATFORM_SK)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Platform {
    pub platform_id: PlatformId,
    pub name: String,
    #[serde(rename = "monthly_fee_cents")]
    pub monthly_fee: Cents,
    pub created_at: Timestamp,
}

impl Platform {
    /// The item with its keys and its place in the list of platforms.
    pub fn to_item(&self) -> Result<Item, crate::Error> {
        let mut item = super::to_item(&platform_key(&self.platform_id), self)?;
        item.insert(GSI1PK.into(), PLATFORMS_INDEX.into());
        item.insert(
            GSI1SK.into(),
            format!("{}#{}", self.name.to_lowercase(), self.platform_id).into(),
        );
        Ok(item)
    }
}
