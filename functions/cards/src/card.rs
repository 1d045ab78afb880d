//! The card: one item per card number holding everything the till needs (program rules,
//! balance, status, the holder's sealed first name), so a lookup is one read.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::domain::{AccountId, PartnerId};
use shared::model::partners::partner_pk;
use shared::model::{from_item, to_item};
use shared::store::{Cond, Consistency, Index, Item, Key, Named, Query, SkCond, Table, TxOp};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::programs::Rules;

const CARD_PREFIX: &str = "CARD#";
const CARD_SK: &str = "CARD";
/// Sort-key prefix of a card's ledger: the till's bookings (`B#`) and the entries of the
/// schedule and transfers (`L#`), in the card's own partition. Neither the card nor its
/// entries are indexed: a booking writes no index item (docs/architecture.md §14: 4 write units).
const ENTRY_PREFIX: &str = "ENTRY#";
const BOOKING_ENTRY: &str = "ENTRY#B#";
const LEDGER_ENTRY: &str = "ENTRY#L#";
/// A merchant's list of its cards, in its partition, by number (list and search).
const INDEX_PREFIX: &str = "CARDS#CARD#";

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
    pub const CONTRACT_ENDS_ON: Attr = "contract_ends_on";
}

pub fn card_key(number: &str) -> Key {
    Key::new(card_pk(number), CARD_SK)
}

fn card_pk(number: &str) -> String {
    format!("{CARD_PREFIX}{number}")
}

/// A booking at the till; its id is the hash of the till's idempotency key.
pub fn booking_key(number: &str, booking_id: &str) -> Key {
    Key::new(card_pk(number), format!("{BOOKING_ENTRY}{booking_id}"))
}

/// A ledger entry of the schedule or a transfer; `entry` names it so a rerun finds the
/// same key (e.g. `EXPIRY#2027-03-31`).
pub fn ledger_key(number: &str, entry: &str) -> Key {
    Key::new(card_pk(number), format!("{LEDGER_ENTRY}{entry}"))
}

/// Every entry of a card's ledger.
pub fn entries_of(number: &str) -> Query {
    Query::partition(Index::Primary, card_pk(number)).sk(SkCond::BeginsWith(ENTRY_PREFIX.into()))
}

/// The merchant's list entry of a card.
pub fn index_key(partner: &PartnerId, number: &str) -> Key {
    Key::new(partner_pk(partner), format!("{INDEX_PREFIX}{number}"))
}

/// The merchant's cards whose number starts with `prefix` (all for an empty one).
pub fn index_query(partner: &PartnerId, prefix: &str) -> Query {
    Query::partition(Index::Primary, partner_pk(partner))
        .sk(SkCond::BeginsWith(format!("{INDEX_PREFIX}{prefix}")))
}

/// A merchant's list entry of a card: enough to find the card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexEntry {
    pub number: String,
    pub program_id: String,
}

/// The put of a new card's list entry.
pub fn index_put(card: &Card) -> Result<Named> {
    let entry = IndexEntry {
        number: card.number.clone(),
        program_id: card.program_id.clone(),
    };
    Ok(TxOp::Put {
        item: to_item(&index_key(&card.partner_id, &card.number), &entry)?,
        cond: Cond::NotExists,
    }
    .named("card_index"))
}

/// The cards of list entries, read one by one.
pub async fn cards_of(table: &dyn Table, entries: Vec<Item>) -> Result<Vec<Card>> {
    let mut cards = Vec::with_capacity(entries.len());
    for item in entries {
        let entry: IndexEntry = from_item(item)?;
        if let Some(item) = table
            .get_with(&card_key(&entry.number), Consistency::Eventual)
            .await?
        {
            cards.push(from_item(item)?);
        }
    }
    Ok(cards)
}

/// Every card of a merchant.
pub async fn all_of(table: &dyn Table, partner: &PartnerId) -> Result<Vec<Card>> {
    let entries = table.query_all(index_query(partner, "")).await?;
    cards_of(table, entries).await
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
    /// The last day of the merchant's card contract, once it is cancelled: the card is
    /// carried with everything the till needs, so a lookup stays one read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_ends_on: Option<Date>,
}

impl Card {
    pub fn key(&self) -> Key {
        card_key(&self.number)
    }

    pub fn to_item(&self) -> Result<Item> {
        to_item(&self.key(), self)
    }

    pub fn activation_hash(number: &str, code: &str) -> String {
        shared::crypto::sha256_hex(format!("{number}#{}", code.trim().to_uppercase()).as_bytes())
    }
}

/// Refuses a card whose merchant's card contract has ended: without the system the
/// cards cannot be used any more (seed 002), neither at the till nor for a registration.
pub fn usable(card: &Card, today: Date) -> Result<()> {
    match card.contract_ends_on {
        Some(end) if end < today => Err(Error::Unprocessable(format!(
            "Die Karte kann nicht mehr verwendet werden: Der Kundenkarten-Vertrag des Händlers \
             endete am {}.",
            shared::clock::german_date(end)
        ))),
        _ => Ok(()),
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
