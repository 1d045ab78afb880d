//! The records only file-links reads, in the supplier's partition, with their keys. The
//! contract itself is read by billing too and lives in `shared::model::contracts::file_links`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::domain::{AccountId, Email, PartnerId};
use shared::model::accounts::LoginName;
use shared::model::partners::partner_pk;
use shared::store::{Key, SkCond};
use shared::{Error, Result};

const CUSTOMER_PREFIX: &str = "FILE_LINKS#CUSTOMER#";
const LINK_PREFIX: &str = "FILE_LINKS#LINK#";
const REVEAL_PREFIX: &str = "FILE_LINKS#REVEAL#";
const SLUG_PREFIX: &str = "FILE_LINKS_SLUG#";
const SLUG_SK: &str = "SLUG";

/// Attribute names updated in place.
pub mod attr {
    use shared::store::Attr;
    pub const DISABLED: Attr = "disabled";
}

/// Ids in paths are ours (UUIDv7, 36 characters); anything much longer cannot name a record
/// and must not reach a key.
const MAX_ID_LEN: usize = 64;

/// A path id, or 404 for one that cannot exist.
pub fn path_id(raw: &str, what: &str) -> Result<String> {
    if raw.is_empty() || raw.len() > MAX_ID_LEN {
        return Err(Error::NotFound(format!("{what} nicht gefunden.")));
    }
    Ok(raw.to_string())
}

/// A supplier's customer: who it is and which folder it opens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub account_id: AccountId,
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<LoginName>,
    /// An https link into the file-sharing service.
    pub folder_url: String,
    /// AES-256-GCM sealed with the data key; never stored or logged in plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_password_sealed: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl Customer {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

pub fn customer_key(partner: &PartnerId, account: &str) -> Key {
    Key::new(partner_pk(partner), format!("{CUSTOMER_PREFIX}{account}"))
}

pub fn customers() -> SkCond {
    SkCond::BeginsWith(CUSTOMER_PREFIX.into())
}

/// A link every customer of the supplier sees.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GlobalLink {
    pub link_id: String,
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_sealed: Option<String>,
    pub created_at: Timestamp,
}

pub fn link_key(partner: &PartnerId, link: &str) -> Key {
    Key::new(partner_pk(partner), format!("{LINK_PREFIX}{link}"))
}

pub fn links() -> SkCond {
    SkCond::BeginsWith(LINK_PREFIX.into())
}

/// One "copy password": who revealed which folder's password, when.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reveal {
    pub customer_id: AccountId,
    pub customer_name: String,
    pub folder_id: String,
    pub folder_name: String,
    pub revealed_at: Timestamp,
}

/// Newest last in key order: the time first, then a random id against collisions.
pub fn reveal_key(partner: &PartnerId, at: Timestamp) -> Key {
    Key::new(
        partner_pk(partner),
        format!(
            "{REVEAL_PREFIX}{}#{}",
            at.as_millisecond(),
            shared::domain::new_id()
        ),
    )
}

pub fn reveals() -> SkCond {
    SkCond::BeginsWith(REVEAL_PREFIX.into())
}

/// The guard that keeps a slug to one supplier, and the public page's way to the supplier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlugRecord {
    pub slug: String,
    pub partner_id: PartnerId,
}

pub fn slug_key(slug: &str) -> Key {
    Key::new(format!("{SLUG_PREFIX}{slug}"), SLUG_SK)
}
