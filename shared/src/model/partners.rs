//! The partner (merchant): the one tenant of every product.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::domain::{Email, PartnerId};
use crate::store::{Cond, Key, Named, TTL, TxOp, Update};

pub const PARTNER_PREFIX: &str = "PARTNER#";
const PROFILE_SK: &str = "PROFILE";
/// The index partition listing every partner's profile, by sign-up time (the operator's
/// search pages through it).
pub const PARTNERS_INDEX: &str = "PARTNERS";

/// The largest logo a partner may upload (5 MB, as an offer's images); documents read no
/// more of one than this.
pub const MAX_LOGO_BYTES: u64 = 5 * 1024 * 1024;

/// Attribute names of the partner record that are updated in place.
pub mod attr {
    use crate::store::Attr;
    pub const COMPANY: Attr = "company";
    pub const CONTACT_NAME: Attr = "contact_name";
    pub const PHONE: Attr = "phone";
    pub const ADDRESS: Attr = "address";
    pub const VAT_ID: Attr = "vat_id";
    pub const EMAIL_CONFIRMED: Attr = "email_confirmed";
    pub const LOGO_KEY: Attr = "logo_key";
    pub const LOGO_PENDING_KEY: Attr = "logo_pending_key";
    pub const MANDATE: Attr = "mandate";
    /// The login and mail address ([`super::Partner::email`]).
    pub const EMAIL: Attr = "email";
    /// When the partner closed its account ([`super::Partner::closed_at`]).
    pub const CLOSED_AT: Attr = "closed_at";
    /// When and why the operator disabled the account ([`super::Partner::disabled`]).
    pub const DISABLED: Attr = "disabled";
}

/// The profile's place in [`PARTNERS_INDEX`]: `(gsi1pk, gsi1sk)`.
pub fn index_keys(partner: &Partner) -> (&'static str, String) {
    (
        PARTNERS_INDEX,
        format!("{}#{}", partner.created_at, partner.partner_id),
    )
}

/// The partition of everything a partner owns.
pub fn partner_pk(partner: &PartnerId) -> String {
    format!("{PARTNER_PREFIX}{partner}")
}

pub fn partner_key(partner: &PartnerId) -> Key {
    Key::new(partner_pk(partner), PROFILE_SK)
}

/// The name of [`confirm_op`] in a transaction.
pub const CONFIRM_OP: &str = "confirm_partner";

/// Marks the partner's address confirmed; a partner that signed up and had not confirmed
/// yet no longer expires with its confirmation link.
pub fn confirm_op(partner: &PartnerId) -> Named {
    TxOp::Update {
        key: partner_key(partner),
        ops: vec![
            Update::Set(attr::EMAIL_CONFIRMED, true.into()),
            Update::Remove(TTL),
        ],
        cond: Cond::Exists,
    }
    .named(CONFIRM_OP)
}

/// The name of [`drop_unconfirmed_op`] in a transaction.
pub const UNCONFIRMED_OP: &str = "unconfirmed_partner";

/// Deletes the profile of a partner whose sign-up nobody confirmed, when its login name goes
/// to a new sign-up or an invitation.
pub fn drop_unconfirmed_op(partner: &PartnerId) -> Named {
    TxOp::Delete {
        key: partner_key(partner),
        cond: Cond::Eq(attr::EMAIL_CONFIRMED, false.into()),
    }
    .named(UNCONFIRMED_OP)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
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
    pub signed_on: Date,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partner {
    pub partner_id: PartnerId,
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
    pub terms_accepted_at: Timestamp,
    pub created_at: Timestamp,
    /// When the partner closed its account: its contracts run out, nobody logs in any more
    /// (docs/registration.md, Closing the account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// The operator disabled the account: nobody logs in, its offers are in no feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

/// When and why the operator disabled a partner account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Disabled {
    pub at: Timestamp,
    pub reason: String,
}
