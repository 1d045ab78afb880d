//! The partner and the platform an offer's decisions are about, as their mails name them.

use shared::domain::{PartnerId, PlatformId};
use shared::env::AppState;
use shared::model::from_item;
use shared::model::partners::{Partner, partner_key};
use shared::model::platforms::{Platform, platform_key};
use shared::{Error, Result};

/// The partner's profile (its address and contact name for mails).
pub async fn load_partner(state: &AppState, partner: &PartnerId) -> Result<Partner> {
    let item = state
        .table
        .get(&partner_key(partner))
        .await?
        .ok_or_else(|| Error::NotFound("Partnerkonto nicht gefunden.".into()))?;
    from_item(item)
}

/// The platform's name, or its id when it has none on record.
pub async fn platform_name(state: &AppState, platform: &PlatformId) -> Result<String> {
    match state.table.get(&platform_key(platform)).await? {
        Some(item) => Ok(from_item::<Platform>(item)?.name),
        None => Ok(platform.to_string()),
    }
}
