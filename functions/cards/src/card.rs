//! The card: one item per card number holding everything the till needs (program rules,
//! balance, status, the holder's sealed first name), so a lookup is one read.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::{AccountId, PartnerId};
use shared::model::{from_item, to_item};
use shared::store::{GSI1PK, GSI1SK, Item, Key, Table};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::programs::Rules;

const CARD_PREFIX: &str = "CARD#";
const CARD_SK: &str = "CARD";
/// Index partition of a merchant's cards, sorted by number (list and search).
const CARDS_INDEX_PREFIX: &str = "CARDS#";
/// Index partition of a merchant's bookings, sorted by card number and time.
const BOOKINGS_INDEX_PREFIX: &str = "CARDS#BOOKINGS#";

/// Attribute names of the card that are updated in place.
pub mod attr {
    use shared::store::Attr;
    pub use shared::store::balance::BALANCE;
    pub const PARTNER: Attr = "partner_id";
    pub const STATUS: Attr = "status";
    /// Bonus points earned but not yet redeemable.
    pub const PENDING: Attr = "pending";
    /// Bonus points taken so far (redeemed or expired): what the oldest credits went to.
    pub const DEBITED: Attr = "debited";
    /// Bonus points ever credited with an expiry date.
    pub const EXPIRING: Attr = "expiring_total";
    pub const HOLDER: Attr = "holder_account";
    pub const HOLDER_FIRST_NAME: Attr = "holder_first_name";
    pub const LOADED_ON: Attr = "loaded_on";
    pub const VALID_UNTIL: Attr = "valid_until";
    pub const LAST_BOOKING_ON: Attr = "last_booking_on";
    pub const REPLACED_BY: Attr = "replaced_by";
}

pub fn card_key(number: &str) -> Key {
    Key::new(format!("{CARD_PREFIX}{number}"), CARD_SK)
}

pub fn cards_index(partner: &PartnerId) -> String {
    format!("{CARDS_INDEX_PREFIX}{partner}")
}

pub fn bookings_index(partner: &PartnerId) -> String {
    format!("{BOOKINGS_INDEX_PREFIX}{partner}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    Blocked,
    /// Its balance moved to another card.
    Replaced,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Blocked => "blocked",
            CardStatus::Replaced => "replaced",
        }
    }

    pub fn german(self) -> &'static str {
        match self {
            CardStatus::Active => "aktiv",
            CardStatus::Blocked => "gesperrt",
            CardStatus::Replaced => "ersetzt",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Card {
    pub number: String,
    pub partner_id: PartnerId,
    pub program_id: String,
    pub program_name: String,
    pub rules: Rules,
    pub status: CardStatus,
    #[serde(default)]
    pub balance: i64,
    #[serde(default)]
    pub pending: i64,
    #[serde(default)]
    pub debited: i64,
    #[serde(default)]
    pub expiring_total: i64,
    /// SHA-256 of the number and the printed activation code.
    pub activation_hash: String,
    pub batch_id: String,
    pub issued_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_account: Option<AccountId>,
    /// The holder's first name, sealed (AES-256-GCM): what the till may show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_booking_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl Card {
    pub fn key(&self) -> Key {
        card_key(&self.number)
    }

    /// The card as stored, in its merchant's index.
    pub fn to_item(&self) -> Result<Item> {
        let mut item = to_item(&self.key(), self)?;
        item.insert(GSI1PK.into(), cards_index(&self.partner_id).into());
        item.insert(GSI1SK.into(), self.number.clone().into());
        Ok(item)
    }

    pub fn activation_hash(number: &str, code: &str) -> String {
        shared::crypto::sha256_hex(format!("{number}#{}", code.trim().to_uppercase()).as_bytes())
    }
}

fn not_found() -> Error {
    Error::NotFound("Karte nicht gefunden.".into())
}

/// A card of this merchant; 404 for an unknown number or another merchant's card.
pub async fn load(table: &dyn Table, partner: &PartnerId, number: &str) -> Result<Card> {
    let card = load_any(table, number).await?.ok_or_else(not_found)?;
    if &card.partner_id != partner {
        return Err(not_found());
    }
    Ok(card)
}

/// A card by number, whoever's it is (cardholder registration).
pub async fn load_any(table: &dyn Table, number: &str) -> Result<Option<Card>> {
    let Some(number) = crate::luhn::normalise(number) else {
        return Ok(None);
    };
    match table.get(&card_key(&number)).await? {
        Some(item) => from_item(item).map(Some),
        None => Ok(None),
    }
}
