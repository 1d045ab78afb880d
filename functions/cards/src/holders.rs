//! Cardholders: register a card with its activation code and personal data (sealed with
//! AES-256-GCM, never stored in plain text by this function), log in through registration's
//! scoped login with the card number, see balance and history, block a lost card, delete
//! the account (the data is erased; the bookings stay, they name no person).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{Ended, Role, Scope, TenantAuth, revoke_op};
use shared::domain::{AccountId, Email, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::model::accounts::{self, Invitation, LoginName, login_key};
use shared::model::partners::{self, partner_key};
use shared::model::to_item;
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{Cond, StoreError, Table, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::booking::BookingType;
use crate::card::{self, Card, CardStatus, attr};
pub use crate::credits::expiring_lots;
use crate::holder::{
    CARD_OP, Gender, HOLDER_OP, Holder, PersonalData, holder_key, me, valid_birth_year,
    valid_postal_code,
};
use crate::ledger::bookings_of;
use crate::pos::CardAtTill;

/// The invitation greets everyone alike: the mail record must not carry the name.
const GREETING: &str = "und willkommen";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "number": "9276 0012 3456 7895", "activation_code": "K7QM2XPRTA",
    "first_name": "Anna", "last_name": "Schmidt", "email": "anna.schmidt@example.de",
    "gender": "female", "birth_year": 1988, "postal_code": "50667", "consent": true,
    "statistics_consent": false
}))]
pub struct Registration {
    pub number: String,
    pub activation_code: String,
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub first_name: String,
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub last_name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[serde(default)]
    pub gender: Option<Gender>,
    /// From 1900 to the current year.
    #[serde(default)]
    #[schema(minimum = 1900, maximum = 2100)]
    pub birth_year: Option<i32>,
    /// Five digits; empty is none.
    #[serde(default)]
    #[schema(pattern = "^([0-9]{5})?$")]
    pub postal_code: Option<String>,
    // Consent to storing the data for the card program; required.
    #[schema(value_type = shared::openapi::Consent, inline)]
    pub consent: bool,
    /// Consent to being counted in the merchant's statistics (gender, age band, postal
    /// area); optional, never assumed.
    #[serde(default)]
    pub statistics_consent: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Registered {
    pub number: String,
    /// The login name for registration's login (`scope` cardholder, `tenant` the merchant).
    pub login: String,
    pub tenant: PartnerId,
    pub message: String,
}

fn wrong_code() -> Error {
    Error::field(
        "activation_code",
        "passt nicht zu dieser Kartennummer oder die Karte ist unbekannt",
    )
}

async fn company(table: &dyn Table, partner: &PartnerId) -> Result<String> {
    let item = table.get(&partner_key(partner)).await?;
    Ok(item
        .and_then(|i| {
            i.get(partners::attr::COMPANY)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Ihr Händler".into()))
}

/// Register a card: number, activation code, personal data and consent. The invitation to
/// set a password goes to the e-mail address; the login name is the card number.
#[utoipa::path(post, path = "/cards/register", tag = "cardholder", operation_id = "register_card",
    request_body = Registration,
    responses(
        (status = 201, description = "Registered; the invitation is mailed.", body = Registered),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Registered>)> {
    let mut v = Validator::new();
    let first_name = v.text("first_name", &body.first_name, 100);
    let last_name = v.text("last_name", &body.last_name, 100);
    let email = v.check("email", Email::parse(&body.email));
    let birth_year = body
        .birth_year
        .and_then(|y| valid_birth_year(&mut v, y, state.clock.today()));
    let postal_code = body
        .postal_code
        .as_deref()
        .and_then(|p| valid_postal_code(&mut v, p));
    v.require(
        "consent",
        body.consent,
        "Ohne Einwilligung ist keine Registrierung möglich",
    );
    v.require(
        "activation_code",
        !body.activation_code.trim().is_empty() && body.activation_code.len() <= 32,
        "fehlt",
    );
    v.finish()?;
    let (Some(first_name), Some(last_name), Some(email)) = (first_name, last_name, email) else {
        return Err(Error::field("first_name", "fehlt"));
    };
    let table = state.table.as_ref();
    let card = card::load_any(table, &body.number)
        .await?
        .ok_or_else(wrong_code)?;
    let given = Card::activation_hash(&card.number, &body.activation_code);
    if !shared::crypto::secrets_equal(given.as_bytes(), card.activation_hash.as_bytes()) {
        return Err(wrong_code());
    }
    card::usable(&card, state.clock.today())?;
    if card.holder_account.is_some() {
        return Err(Error::Conflict("Die Karte ist bereits registriert.".into()));
    }
    if card.status != CardStatus::Active {
        return Err(Error::Unprocessable(format!(
            "Die Karte ist {}.",
            card.status.german()
        )));
    }
    let data = PersonalData {
        first_name: first_name.clone(),
        last_name,
        email: email.clone(),
        gender: body.gender,
        birth_year,
        postal_code,
    };
    let login = LoginName::parse(&card.number).map_err(|_| wrong_code())?;
    let account_id = AccountId::generate();
    let holder = Holder {
        account_id: account_id.clone(),
        number: card.number.clone(),
        login: login.clone(),
        sealed: state.data_key()?.seal(&serde_json::to_string(&data)?),
        consent_at: state.clock.now(),
        statistics_consent_at: body.statistics_consent.then(|| state.clock.now()),
        registered_on: state.clock.today(),
    };
    let extra = vec![
        TxOp::Put {
            item: to_item(&holder_key(&card.partner_id, &account_id), &holder)?,
            cond: Cond::NotExists,
        }
        .named(HOLDER_OP),
        TxOp::Update {
            key: card.key(),
            ops: vec![
                Update::Set(attr::HOLDER, account_id.as_str().into()),
                Update::Set(
                    attr::HOLDER_FIRST_NAME,
                    state.data_key()?.seal(&first_name).into(),
                ),
            ],
            cond: Cond::All(vec![
                Cond::Absent(attr::HOLDER),
                Cond::Eq(attr::STATUS, CardStatus::Active.as_str().into()),
            ]),
        }
        .named(CARD_OP),
    ];
    let invitation = Invitation {
        scope: Scope::Cardholder(card.partner_id.clone()),
        login: login.clone(),
        email,
        name: GREETING.into(),
        role: Role::Cardholder,
        inviter: company(table, &card.partner_id).await?,
        then: None,
    };
    match accounts::create_invited_as(&state, account_id, invitation, extra).await {
        Ok(_) => {}
        Err(Error::Conflict(_)) => {
            return Err(Error::Conflict("Die Karte ist bereits registriert.".into()));
        }
        Err(e) => return Err(e),
    }
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            number: card.number,
            login: login.to_string(),
            tenant: card.partner_id,
            message: "Bitte legen Sie über den Link in unserer E-Mail Ihr Passwort fest.".into(),
        }),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExpiringPoints {
    pub expires_on: Date,
    pub points: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub booking_id: String,
    pub booked_at: Timestamp,
    #[serde(rename = "type")]
    pub kind: BookingType,
    /// In German.
    pub text: String,
    pub amount: i64,
    pub pending_amount: i64,
    pub value_cents: i64,
    pub voided: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyCard {
    pub card: CardAtTill,
    pub points_expiring: Vec<ExpiringPoints>,
    pub history: Vec<HistoryEntry>,
    pub personal_data: PersonalData,
    /// Whether the holder is counted in the merchant's statistics.
    pub statistics_consent: bool,
}

/// The cardholder's card: balance, stamps or points with their expiry, the history and
/// the personal data on file.
#[utoipa::path(get, path = "/cards/me", tag = "cardholder", operation_id = "show_my_card",
    responses((status = 200, description = "The card.", body = MyCard)))]
pub async fn show(State(state): State<AppState>, auth: TenantAuth) -> Result<Json<MyCard>> {
    let (partner, holder) = me(&state, &auth).await?;
    let table = state.table.as_ref();
    let card = card::load(table, &partner, &holder.number).await?;
    let bookings = bookings_of(table, &card.number).await?;
    let points_expiring = expiring_lots(&bookings, card.debited)
        .into_iter()
        .map(|(expires_on, points)| ExpiringPoints { expires_on, points })
        .collect();
    let history = bookings
        .iter()
        .rev()
        .map(|b| HistoryEntry {
            booking_id: b.booking_id.clone(),
            booked_at: b.booked_at,
            kind: b.kind,
            text: b.kind.german().into(),
            amount: b.amount,
            pending_amount: b.pending_amount,
            value_cents: b.value_cents,
            voided: b.voided_by.is_some(),
        })
        .collect();
    Ok(Json(MyCard {
        card: CardAtTill::of(&card, &state),
        points_expiring,
        history,
        personal_data: holder.open(&state)?,
        statistics_consent: holder.statistics_consent_at.is_some(),
    }))
}

/// Block the card (lost or stolen); the merchant can move its balance to a new card.
#[utoipa::path(post, path = "/cards/me/block", tag = "cardholder", operation_id = "block_my_card",
    responses(
        (status = 200, description = "Blocked.", body = CardAtTill),
        (status = 409, response = Conflict),
    ))]
pub async fn block(State(state): State<AppState>, auth: TenantAuth) -> Result<Json<CardAtTill>> {
    let (partner, holder) = me(&state, &auth).await?;
    let table = state.table.as_ref();
    let result = table
        .update(
            &card::card_key(&holder.number),
            &[Update::Set(
                attr::STATUS,
                CardStatus::Blocked.as_str().into(),
            )],
            Cond::All(vec![
                Cond::Eq(attr::HOLDER, holder.account_id.as_str().into()),
                Cond::Eq(attr::STATUS, CardStatus::Active.as_str().into()),
            ]),
        )
        .await;
    match result {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(Error::Conflict("Die Karte ist nicht aktiv.".into()));
        }
        Err(e) => return Err(e.into()),
    }
    let card = card::load(table, &partner, &holder.number).await?;
    Ok(Json(CardAtTill::of(&card, &state)))
}

/// Delete the account: the personal data and the login are erased; the card keeps its
/// balance without a holder, and the bookings stay (they name no person).
#[utoipa::path(delete, path = "/cards/me", tag = "cardholder", operation_id = "delete_my_account",
    responses((status = 204, description = "Deleted.")))]
pub async fn delete(State(state): State<AppState>, auth: TenantAuth) -> Result<StatusCode> {
    let (partner, holder) = me(&state, &auth).await?;
    let ops = vec![
        TxOp::Delete {
            key: holder_key(&partner, &holder.account_id),
            cond: Cond::Exists,
        }
        .named(HOLDER_OP),
        // Every token of the account ends with it.
        revoke_op(&holder.account_id, Ended::Deleted, state.clock.epoch()),
        TxOp::Delete {
            key: login_key(&Scope::Cardholder(partner.clone()), &holder.login),
            cond: Cond::Always,
        }
        .named("login"),
        TxOp::Update {
            key: card::card_key(&holder.number),
            ops: vec![
                Update::Remove(attr::HOLDER),
                Update::Remove(attr::HOLDER_FIRST_NAME),
            ],
            cond: Cond::Exists,
        }
        .named(CARD_OP),
    ];
    match state.table.transact(ops).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::TxCancelled { failed: HOLDER_OP }) => {
            Err(Error::NotFound("Kein Kundenkarten-Konto gefunden.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::Booking;
    use jiff::civil::date;

    fn earn(id: &str, points: i64, day: Date, expires_on: Date) -> Booking {
        Booking {
            booking_id: id.into(),
            number: "9276004150201234".into(),
            partner_id: PartnerId::from_raw("m1"),
            program_id: "p1".into(),
            kind: BookingType::Earn,
            amount: points,
            pending_amount: 0,
            value_cents: points * 100,
            booked_at: day
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or_default(),
            booked_on: day,
            by: None,
            expires_on: Some(expires_on),
            release_on: None,
            refers_to: None,
            voided_by: None,
            lots: Vec::new(),
        }
    }

    #[test]
    fn the_oldest_credits_are_used_and_expire_first() {
        let ledger = vec![
            earn("a", 100, date(2026, 1, 10), date(2026, 3, 10)),
            earn("b", 50, date(2026, 2, 1), date(2026, 4, 1)),
            earn("c", 20, date(2026, 3, 1), date(2026, 5, 1)),
        ];
        // Nothing taken yet: every credit is whole.
        assert_eq!(
            expiring_lots(&ledger, 0),
            vec![
                (date(2026, 3, 10), 100),
                (date(2026, 4, 1), 50),
                (date(2026, 5, 1), 20)
            ]
        );
        // 130 points redeemed: the first credit is used up, 30 of the second.
        assert_eq!(
            expiring_lots(&ledger, 130),
            vec![(date(2026, 4, 1), 20), (date(2026, 5, 1), 20)]
        );
        // A voided credit holds nothing.
        let mut voided = ledger.clone();
        voided[0].voided_by = Some("v".into());
        assert_eq!(
            expiring_lots(&voided, 10),
            vec![(date(2026, 4, 1), 40), (date(2026, 5, 1), 20)]
        );
        assert!(expiring_lots(&ledger, 170).is_empty());
    }
}
