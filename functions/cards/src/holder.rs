//! The cardholder record that the cardholders' own routes (`holders`, `own_data`) and the
//! merchant's (moving a card, statistics, export) share: its key, the sealed personal data,
//! the consents, the validation of the optional data, and the holder a token names.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{Role, TenantAuth};
use shared::domain::{AccountId, Email, PartnerId};
use shared::env::AppState;
use shared::http::Validator;
use shared::model::accounts::LoginName;
use shared::model::from_item;
use shared::model::partners::partner_pk;
use shared::store::{Index, Key, Query, SkCond};
use shared::{Error, Result};
use utoipa::ToSchema;

const HOLDER_PREFIX: &str = "CARDS#HOLDER#";
/// The transaction step on the holder record.
pub(crate) const HOLDER_OP: &str = "cardholder";
/// The holder record's card number, updated when the balance moves to a new card.
pub const NUMBER: shared::store::Attr = "number";
/// The holder record's sealed [`PersonalData`].
pub const SEALED: shared::store::Attr = "sealed";
/// When the holder consented to being counted in the statistics; absent without consent.
pub const STATISTICS_CONSENT_AT: shared::store::Attr = "statistics_consent_at";
/// The transaction step on the card.
pub(crate) const CARD_OP: &str = "card";

pub fn holder_key(partner: &PartnerId, account: &AccountId) -> Key {
    Key::new(partner_pk(partner), format!("{HOLDER_PREFIX}{account}"))
}

/// The query over a merchant's cardholders.
pub fn holders_of(partner: &PartnerId) -> Query {
    Query::partition(Index::Primary, partner_pk(partner))
        .sk(SkCond::BeginsWith(HOLDER_PREFIX.into()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Female,
    Male,
    Diverse,
}

impl Gender {
    pub fn german(self) -> &'static str {
        match self {
            Gender::Female => "weiblich",
            Gender::Male => "männlich",
            Gender::Diverse => "divers",
        }
    }
}

/// A cardholder's personal data: stored only sealed, as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PersonalData {
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// The cardholder record: which card, the consent, and the sealed personal data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub account_id: AccountId,
    pub number: String,
    /// The login name (the first card's number).
    pub login: LoginName,
    /// [`PersonalData`] as JSON, AES-256-GCM sealed with the data key.
    pub sealed: String,
    pub consent_at: Timestamp,
    /// Consent to being counted (by gender, age band and postal area) in the merchant's
    /// statistics: given at registration or later, withdrawn at any time; absent, the
    /// holder is not counted there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics_consent_at: Option<Timestamp>,
    pub registered_on: Date,
}

impl Holder {
    pub fn open(&self, state: &AppState) -> Result<PersonalData> {
        let json = state
            .data_key()?
            .open(&self.sealed)
            .map_err(Error::internal)?;
        Ok(serde_json::from_str(&json)?)
    }
}

/// Every cardholder of a merchant with the personal data opened.
pub async fn all_of(state: &AppState, partner: &PartnerId) -> Result<Vec<(Holder, PersonalData)>> {
    let items = state.table.query_all(holders_of(partner)).await?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let holder: Holder = from_item(item)?;
        let data = holder.open(state)?;
        out.push((holder, data));
    }
    Ok(out)
}

/// A birth year from 1900 to this year, or the field's error.
pub(crate) fn valid_birth_year(v: &mut Validator, year: i32, today: Date) -> Option<i16> {
    let year = i16::try_from(year)
        .ok()
        .filter(|y| (1900..=today.year()).contains(y));
    v.require(
        "birth_year",
        year.is_some(),
        "muss ein Jahr zwischen 1900 und heute sein",
    );
    year
}

/// A German postal code of five digits; blank is none.
pub(crate) fn valid_postal_code(v: &mut Validator, raw: &str) -> Option<String> {
    let p = raw.trim();
    if p.is_empty() {
        return None;
    }
    let ok = p.len() == 5 && p.chars().all(|c| c.is_ascii_digit());
    v.require("postal_code", ok, "muss aus fünf Ziffern bestehen");
    ok.then(|| p.to_string())
}

/// A cardholder's own record, from the token.
pub(crate) async fn me(state: &AppState, auth: &TenantAuth) -> Result<(PartnerId, Holder)> {
    auth.require(Role::Cardholder)?;
    let partner = auth
        .scope
        .partner()
        .cloned()
        .ok_or_else(|| Error::Forbidden("Das Token nennt keinen Händler.".into()))?;
    let item = state
        .table
        .get(&holder_key(&partner, &auth.account_id))
        .await?
        .ok_or_else(|| Error::NotFound("Kein Kundenkarten-Konto gefunden.".into()))?;
    Ok((partner, from_item(item)?))
}
