//! What registration stores, and under which keys (DESIGN.md §5).

use serde::{Deserialize, Serialize};
use shared::auth::Role;
use shared::domain::Email;
use shared::store::{Item, Key};

pub fn login_key(email: &Email) -> Key {
    Key::new(format!("EMAIL#{email}"), "LOGIN")
}

pub fn partner_key(partner_id: &str) -> Key {
    Key::new(format!("PARTNER#{partner_id}"), "PROFILE")
}

pub fn platform_key(platform_id: &str) -> Key {
    Key::new(format!("PLATFORM#{platform_id}"), "PLATFORM")
}

pub fn application_key(partner_id: &str, platform_id: &str) -> Key {
    Key::new(
        format!("PARTNER#{partner_id}"),
        format!("APPLICATION#{platform_id}"),
    )
}

/// The GSI partition listing a platform's applications, sorted by status then date.
pub fn applications_index(platform_id: &str) -> String {
    format!("PLATFORM#{platform_id}#APPLICATIONS")
}

pub const PLATFORMS_INDEX: &str = "PLATFORMS";

/// The e-mail uniqueness guard and credentials of one account, of any role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub email: Email,
    pub account_id: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub confirmed: bool,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub platforms: Vec<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Address {
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mandate {
    pub account_holder: String,
    /// AES-256-GCM sealed; never shown in full.
    pub iban_sealed: String,
    pub iban_masked: String,
    pub reference: String,
    pub signed_on: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partner {
    pub partner_id: String,
    pub company: String,
    pub contact_name: String,
    pub email: Email,
    pub email_confirmed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_key: Option<String>,
    /// A logo upload that was presigned but not yet seen in the bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_pending_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate: Option<Mandate>,
    pub terms_accepted_at: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Platform {
    pub platform_id: String,
    pub name: String,
    pub monthly_fee_cents: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    Cancelled,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Approved,
            Self::Rejected,
            Self::Withdrawn,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    pub partner_id: String,
    pub platform_id: String,
    pub platform_name: String,
    pub company: String,
    pub contact_email: Email,
    pub status: ApplicationStatus,
    pub applied_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// The civil date (Europe/Berlin) from which the monthly fee runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    /// Last day of the subscription after a cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<String>,
}

impl Application {
    pub fn index_sort_key(&self) -> String {
        format!(
            "{}#{}#{}",
            self.status.as_str(),
            self.applied_at,
            self.partner_id
        )
    }

    /// The item with its keys and index attributes.
    pub fn to_item(&self) -> Result<Item, serde_json::Error> {
        let mut item = shared::store::item_with_key(
            &application_key(&self.partner_id, &self.platform_id),
            self,
        )?;
        item.insert(
            "gsi1pk".into(),
            applications_index(&self.platform_id).into(),
        );
        item.insert("gsi1sk".into(), self.index_sort_key().into());
        Ok(item)
    }
}

/// Reads a stored item into its record type.
pub fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, shared::Error> {
    serde_json::from_value(serde_json::Value::Object(item)).map_err(shared::Error::internal)
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().to_string()
}
