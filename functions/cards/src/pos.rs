//! The point of sale: a terminal user looks a card up by its number and books on it. The
//! till sees only what a booking needs: program, balance, status and the holder's first name.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use shared::auth::{Role, TenantAuth};
use shared::domain::{AccountId, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath};
use shared::model::from_item;
use shared::openapi::{Conflict, Unprocessable};
use shared::store::balance::BALANCE_OP;
use shared::store::idempotency::{IdempotencyError, IdempotencyKey, StoredResponse};
use shared::store::{Backoff, Cond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::booking::{self, Booking, BookingInput, BookingType, VOIDED_BY};
use crate::card::{self, Card};
use crate::ledger;
use crate::programs::Rules;

/// The header every booking carries; a retry with the same key books once.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
const VOIDED_OP: &str = "voided_booking";

/// The merchant a terminal user works for.
pub fn merchant_of(auth: &TenantAuth) -> Result<PartnerId> {
    auth.require(Role::Pos)?;
    auth.scope
        .partner()
        .cloned()
        .ok_or_else(|| Error::Forbidden("Das Token nennt keinen Händler.".into()))
}

/// What the till shows of a card.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardAtTill {
    pub number: String,
    pub program_name: String,
    /// bonus, prepaid, stamp or gift.
    pub kind: String,
    /// The unit of `balance`: Punkte, Cent or Stempel.
    pub unit: String,
    pub balance: i64,
    /// Bonus points not yet redeemable.
    pub pending: i64,
    pub status: card::CardStatus,
    /// The holder's first name, if the card is registered; nothing else about the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamps_for_reward: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<jiff::civil::Date>,
}

impl CardAtTill {
    pub fn of(card: &Card, state: &AppState) -> Self {
        let (stamps_for_reward, reward) = match &card.rules {
            Rules::Stamp {
                stamps_for_reward,
                reward,
                ..
            } => (Some(*stamps_for_reward), Some(reward.clone())),
            _ => (None, None),
        };
        Self {
            number: card.number.clone(),
            program_name: card.program_name.clone(),
            kind: card.rules.kind().into(),
            unit: card.rules.unit().into(),
            balance: card.balance,
            pending: card.pending,
            status: card.status,
            // A name that cannot be opened is left out rather than failing the till.
            first_name: card
                .holder_first_name
                .as_deref()
                .and_then(|sealed| state.data_key().ok()?.open(sealed).ok()),
            stamps_for_reward,
            reward,
            valid_until: card.valid_until,
        }
    }
}

/// Look up a card by its number (typed or scanned).
#[utoipa::path(get, path = "/cards/pos/cards/{number}", tag = "pos",
    params(("number" = String, Path, description = "The card number, 16 digits.")),
    responses((status = 200, description = "The card.", body = CardAtTill)))]
pub async fn lookup(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<CardAtTill>> {
    let merchant = merchant_of(&auth)?;
    let card = card::load(state.table.as_ref(), &merchant, &number).await?;
    card::usable(&card, state.clock.today())?;
    Ok(Json(CardAtTill::of(&card, &state)))
}

/// A booking of today at the till, as the till shows it (and may void it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TillBooking {
    pub booking_id: String,
    #[serde(rename = "type")]
    pub kind: BookingType,
    pub amount: i64,
    pub pending_amount: i64,
    pub value_cents: i64,
    pub unit: String,
    pub booked_at: jiff::Timestamp,
    /// Voided by a later booking (the void's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voided_by: Option<String>,
    /// Can be voided now: a booking of today, not a void, not voided yet.
    pub voidable: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TillBookings {
    /// The card's bookings of today at the merchant's tills, newest first.
    pub bookings: Vec<TillBooking>,
}

/// Today's bookings of a card at the merchant's tills (Europe/Berlin), newest first: what
/// the till lists to void after a reload or at another till.
#[utoipa::path(get, path = "/cards/pos/cards/{number}/bookings", tag = "pos",
    params(("number" = String, Path, description = "The card number, 16 digits.")),
    responses((status = 200, description = "Today's bookings of the card.", body = TillBookings)))]
pub async fn bookings_today(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<TillBookings>> {
    let merchant = merchant_of(&auth)?;
    let table = state.table.as_ref();
    let card = card::load(table, &merchant, &number).await?;
    let today = state.clock.today();
    let unit = card.rules.unit().to_string();
    let mut bookings: Vec<TillBooking> = ledger::bookings_of(table, &card.number)
        .await?
        .into_iter()
        .filter(|b| b.booked_on == today && b.by.is_some() && b.kind.at_till())
        .map(|b| TillBooking {
            voidable: b.kind != BookingType::Void && b.voided_by.is_none(),
            booking_id: b.booking_id,
            kind: b.kind,
            amount: b.amount,
            pending_amount: b.pending_amount,
            value_cents: b.value_cents,
            unit: unit.clone(),
            booked_at: b.booked_at,
            voided_by: b.voided_by,
        })
        .collect();
    bookings.reverse();
    Ok(Json(TillBookings { bookings }))
}

/// The answer to a booking: the booking and the card's new balance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BookingReply {
    pub booking_id: String,
    pub number: String,
    #[serde(rename = "type")]
    pub kind: BookingType,
    pub amount: i64,
    pub pending_amount: i64,
    pub value_cents: i64,
    pub balance: i64,
    pub pending: i64,
    pub unit: String,
    pub booked_at: jiff::Timestamp,
}

fn idempotency_key(headers: &HeaderMap) -> Result<String> {
    let value = headers
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if value.is_empty() {
        return Err(Error::field("Idempotency-Key", "fehlt"));
    }
    if value.len() > 200 {
        return Err(Error::field(
            "Idempotency-Key",
            "darf höchstens 200 Zeichen lang sein",
        ));
    }
    Ok(value.to_string())
}

/// A booking as the till asked for it, with who asked.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub merchant: PartnerId,
    pub number: String,
    pub client_key: String,
    pub input: BookingInput,
    pub by: AccountId,
}

/// How often a booking that lost a race for its card is planned again on the card as it
/// is now: the condition on the balance it read lets one of several racing bookings
/// through at a time; the others wait, jittered and longer each time they lose, so that
/// many tills on one card spread out instead of colliding again.
pub const RACES: Backoff = Backoff {
    attempts: 32,
    base: Duration::from_millis(4),
    cap: Duration::from_millis(800),
};

/// Book on a card: earn, redeem, top up, pay, stamp, load, redeem a gift card, or void a
/// booking of today. Needs an `Idempotency-Key` header: a retry with the same key and body
/// gets the same answer and books nothing; another body under the key is 422.
#[utoipa::path(post, path = "/cards/pos/cards/{number}/bookings", tag = "pos",
    params(
        ("number" = String, Path, description = "The card number, 16 digits."),
        ("Idempotency-Key" = String, Header, description = "Unique per booking; repeat it on a retry."),
    ),
    request_body = BookingInput,
    responses(
        (status = 201, description = "Booked; the card's balance right after this booking.", body = BookingReply),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn book(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiPath(number): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<BookingInput>,
) -> Result<(StatusCode, Json<serde_json::Value>)> {
    let merchant = merchant_of(&auth)?;
    // Another merchant's card is 404 before anything else is looked at.
    let card = card::load(state.table.as_ref(), &merchant, &number).await?;
    let request = BookingRequest {
        merchant,
        number: card.number.clone(),
        client_key: idempotency_key(&headers)?,
        input,
        by: auth.account_id.clone(),
    };
    let stored = book_on(&state, card, request).await?;
    Ok(replay(stored))
}

/// The booking's planning and its one transaction (the card and the booking record, which
/// is also the idempotency record), planned again whenever another booking changed the card
/// in between; the answer stored with the booking, or the one stored under its key before.
pub async fn book_on(
    state: &AppState,
    mut card: Card,
    request: BookingRequest,
) -> Result<StoredResponse> {
    let input = &request.input;
    let table = state.table.as_ref();
    let today = state.clock.today();
    let wire = serde_json::to_string(input)?;
    let body = format!("{}#{wire}", card.number);
    // The booking's record is its idempotency record, in the card's partition: keys are
    // scoped to the card (a card belongs to one merchant), and the card's history is one
    // query. Only the key's hash is stored.
    let booking_id = shared::crypto::sha256_hex(request.client_key.as_bytes());
    let idem = IdempotencyKey::at(
        card::booking_key(&card.number, &booking_id),
        body.as_bytes(),
    );

    let original = match (input.kind, input.booking_id.as_deref()) {
        (BookingType::Void, Some(id)) => {
            let found = table.get(&card::booking_key(&card.number, id)).await?;
            let found: Option<Booking> = found.map(from_item).transpose()?;
            Some(
                found
                    .filter(|b| b.number == card.number)
                    .ok_or_else(|| Error::field("booking_id", "keine Buchung dieser Karte"))?,
            )
        }
        (BookingType::Void, None) => return Err(Error::field("booking_id", "fehlt")),
        _ => None,
    };
    for attempt in 0..RACES.attempts {
        let planned = match &original {
            Some(original) => booking::plan_void(original, today).and_then(|p| {
                card::usable(&card, today)?;
                match card.status {
                    card::CardStatus::Active => Ok(p),
                    other => Err(Error::Unprocessable(format!(
                        "Die Karte ist {}.",
                        other.german()
                    ))),
                }
            }),
            None => booking::plan(&card, input, today),
        }
        .and_then(|plan| match plan.shortfall(&card, original.is_some()) {
            Some(refused) => Err(refused),
            None => Ok(plan),
        });
        let plan = match planned {
            Ok(plan) => plan,
            // A retry of a booking that changed the card (a gift card loaded, a balance
            // paid away) is answered from its record, not refused by the card's new state.
            Err(e) => match idem.stored(table).await? {
                Some(stored) => return Ok(stored),
                None => return Err(e),
            },
        };

        let now = state.clock.now();
        let (balance, pending) = plan.after(&card);
        let booking = Booking {
            booking_id: booking_id.clone(),
            number: card.number.clone(),
            partner_id: request.merchant.clone(),
            program_id: card.program_id.clone(),
            kind: plan.kind,
            amount: plan.amount,
            pending_amount: plan.pending_amount,
            value_cents: plan.value_cents,
            booked_at: now,
            booked_on: today,
            by: Some(request.by.clone()),
            expires_on: plan.expires_on,
            release_on: plan.release_on,
            refers_to: original.as_ref().map(|o| o.booking_id.clone()),
            voided_by: None,
            lots: Vec::new(),
        };
        let reply = BookingReply {
            booking_id: booking_id.clone(),
            number: card.number.clone(),
            kind: plan.kind,
            amount: plan.amount,
            pending_amount: plan.pending_amount,
            value_cents: plan.value_cents,
            balance,
            pending,
            unit: card.rules.unit().into(),
            booked_at: now,
        };
        let response = StoredResponse {
            status: StatusCode::CREATED.as_u16(),
            body: serde_json::to_value(&reply)?,
        };
        // The booking is kept for good: its record has no expiry.
        let record = idem.record_with(&response, None, booking.attributes()?);
        let mut effect = vec![plan.card_op(&card, today)];
        if let Some(original) = &original {
            effect.push(
                TxOp::Update {
                    key: card::booking_key(&card.number, &original.booking_id),
                    ops: vec![Update::Set(VOIDED_BY, booking_id.clone().into())],
                    cond: Cond::Absent(VOIDED_BY),
                }
                .named(VOIDED_OP),
            );
        }
        match idem.commit_record(table, record, effect, response).await {
            Ok(outcome) => {
                tracing::info!(booking = ?plan.kind, attempt, "card booked");
                return Ok(outcome.into_response());
            }
            // The card is no longer as it was read, or another booking was being written
            // at the same moment: plan again on the card as it is now.
            Err(IdempotencyError::Store(
                StoreError::TxCancelled { failed: BALANCE_OP } | StoreError::Conflict,
            )) => {
                if RACES.retries_after(attempt) {
                    tokio::time::sleep(RACES.delay(attempt)).await;
                }
                card = card::load(table, &request.merchant, &card.number).await?;
            }
            Err(IdempotencyError::Store(StoreError::TxCancelled { failed: VOIDED_OP })) => {
                return Err(Error::Unprocessable(
                    "Die Buchung ist bereits storniert.".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(
        "Die Karte wird gerade an einer anderen Kasse gebucht; bitte noch einmal versuchen.".into(),
    ))
}

fn replay(stored: StoredResponse) -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK),
        Json(stored.body),
    )
}
