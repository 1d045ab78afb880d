//! The merchant's cards: list and search by number, block and unblock, and moving a lost
//! card's balance to a new card.

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::{PartnerId, new_id};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::balance::BALANCE_OP;
use shared::store::{Cond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::{IntoParams, ToSchema};

use crate::booking::{Booking, BookingType, ledger_key, ledger_put};
use crate::card::{self, Card, CardStatus, attr};
use crate::credits;
use crate::holders::holder_key;
use crate::ledger::bookings_of;
use crate::pos::CardAtTill;

const PAGE: u32 = 50;
const NEW_CARD_OP: &str = "new_card";
const LEDGER_IN_OP: &str = "ledger_entry_in";
const HOLDER_OP: &str = "cardholder";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardSearch {
    /// The start of a card number (digits).
    #[serde(default)]
    pub number: Option<String>,
    /// From the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardSummary {
    pub number: String,
    pub program_id: String,
    pub program_name: String,
    pub kind: String,
    pub balance: i64,
    pub pending: i64,
    pub status: CardStatus,
    pub registered: bool,
    pub issued_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_booking_on: Option<Date>,
}

impl From<&Card> for CardSummary {
    fn from(c: &Card) -> Self {
        Self {
            number: c.number.clone(),
            program_id: c.program_id.clone(),
            program_name: c.program_name.clone(),
            kind: c.rules.kind().into(),
            balance: c.balance,
            pending: c.pending,
            status: c.status,
            registered: c.holder_account.is_some(),
            issued_on: c.issued_on,
            last_booking_on: c.last_booking_on,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CardPage {
    pub cards: Vec<CardSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The merchant's cards by number, 50 a page; `number` searches by the start of the number.
#[utoipa::path(get, path = "/cards/cards", tag = "cards", params(CardSearch),
    responses((status = 200, description = "A page of cards.", body = CardPage)))]
pub async fn list(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiQuery(search): ApiQuery<CardSearch>,
) -> Result<Json<CardPage>> {
    let prefix: String = search
        .number
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if prefix.len() > crate::luhn::NUMBER_LEN || !prefix.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::field(
            "number",
            "darf nur Ziffern enthalten (höchstens 16)",
        ));
    }
    let query = card::index_query(&auth.partner_id, &prefix)
        .limit(PAGE)
        .cursor(search.cursor);
    let page = state.table.query(query).await?;
    let cards = card::cards_of(state.table.as_ref(), page.items)
        .await?
        .iter()
        .map(CardSummary::from)
        .collect();
    Ok(Json(CardPage {
        cards,
        cursor: page.cursor,
    }))
}

async fn set_status(
    state: &AppState,
    auth: &PartnerAuth,
    number: &str,
    from: CardStatus,
    to: CardStatus,
) -> Result<Json<CardAtTill>> {
    let table = state.table.as_ref();
    let card = card::load(table, &auth.partner_id, number).await?;
    let result = table
        .update(
            &card.key(),
            &[Update::Set(attr::STATUS, to.as_str().into())],
            Cond::Eq(attr::STATUS, from.as_str().into()),
        )
        .await;
    match result {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => {
            return Err(Error::Conflict(format!(
                "Die Karte ist nicht {}.",
                from.german()
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let card = card::load(table, &auth.partner_id, number).await?;
    Ok(Json(CardAtTill::of(&card, state)))
}

/// Block a card: no more bookings.
#[utoipa::path(post, path = "/cards/cards/{number}/block", tag = "cards",
    params(("number" = String, Path, description = "The card number.")),
    responses(
        (status = 200, description = "Blocked.", body = CardAtTill),
        (status = 409, response = Conflict),
    ))]
pub async fn block(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<CardAtTill>> {
    set_status(
        &state,
        &auth,
        &number,
        CardStatus::Active,
        CardStatus::Blocked,
    )
    .await
}

/// Unblock a blocked card.
#[utoipa::path(post, path = "/cards/cards/{number}/unblock", tag = "cards",
    params(("number" = String, Path, description = "The card number.")),
    responses(
        (status = 200, description = "Active again.", body = CardAtTill),
        (status = 409, response = Conflict),
    ))]
pub async fn unblock(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(number): ApiPath<String>,
) -> Result<Json<CardAtTill>> {
    set_status(
        &state,
        &auth,
        &number,
        CardStatus::Blocked,
        CardStatus::Active,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to_number": "9276001234567895"}))]
pub struct Transfer {
    /// A new, unused card of the same program.
    pub to_number: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Transferred {
    pub from: CardAtTill,
    pub to: CardAtTill,
}

/// What moving a balance came to.
#[derive(Debug)]
pub enum TransferOutcome {
    Moved {
        from: Box<Card>,
        to: Box<Card>,
    },
    /// The lost card's balance was moved before.
    AlreadyReplaced,
    /// The new card was booked, registered or blocked already.
    NewCardNotUnused,
    /// The merchant's card contract has ended.
    ContractEnded(Error),
    /// One of the cards was booked while the move was written.
    Raced,
}

/// Move a lost card's balance (and its holder) to a new card of the same program; the old
/// card is marked replaced. Points move with their dates: pending points are released on
/// the new card on the day they would have been, and every point expires when it would have.
#[utoipa::path(post, path = "/cards/cards/{number}/transfer", tag = "cards",
    params(("number" = String, Path, description = "The lost card's number.")),
    request_body = Transfer,
    responses(
        (status = 200, description = "Moved.", body = Transferred),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn transfer(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(number): ApiPath<String>,
    ApiJson(body): ApiJson<Transfer>,
) -> Result<Json<Transferred>> {
    match move_balance(&state, &auth.partner_id, &number, &body.to_number).await? {
        TransferOutcome::Moved { from, to } => Ok(Json(Transferred {
            from: CardAtTill::of(&from, &state),
            to: CardAtTill::of(&to, &state),
        })),
        TransferOutcome::AlreadyReplaced => {
            Err(Error::Conflict("Die Karte wurde bereits ersetzt.".into()))
        }
        TransferOutcome::NewCardNotUnused => Err(Error::Unprocessable(
            "Die neue Karte muss unbenutzt und aktiv sein.".into(),
        )),
        TransferOutcome::ContractEnded(e) => Err(e),
        TransferOutcome::Raced => Err(Error::Conflict(
            "Eine der Karten wurde zwischenzeitlich gebucht; bitte noch einmal versuchen.".into(),
        )),
    }
}

/// Moves the balance of the merchant's card `number` to its unused card `to_number`: the
/// old card, the new one, a ledger entry on each (the new card's with the moved lots) and
/// the holder's record, in one transaction over the balances read.
pub async fn move_balance(
    state: &AppState,
    partner: &PartnerId,
    number: &str,
    to_number: &str,
) -> Result<TransferOutcome> {
    let table = state.table.as_ref();
    let old = card::load(table, partner, number).await?;
    let new = card::load(table, partner, to_number)
        .await
        .map_err(|_| Error::field("to_number", "ist keine Karte dieses Händlers"))?;
    if old.number == new.number || old.program_id != new.program_id {
        return Err(Error::field(
            "to_number",
            "muss eine andere Karte desselben Programms sein",
        ));
    }
    if old.status == CardStatus::Replaced {
        return Ok(TransferOutcome::AlreadyReplaced);
    }
    let today = state.clock.today();
    if let Err(e) = card::usable(&new, today) {
        return Ok(TransferOutcome::ContractEnded(e));
    }
    if new.status != CardStatus::Active
        || new.holder_account.is_some()
        || new.balance != 0
        || new.pending != 0
        || new.last_booking_on.is_some()
    {
        return Ok(TransferOutcome::NewCardNotUnused);
    }
    let now = state.clock.now();
    let lots = credits::lots_to_move(
        &bookings_of(table, &old.number).await?,
        old.debited,
        old.balance,
        old.pending,
    );
    let expiring: i64 = lots
        .iter()
        .filter(|l| l.expires_on.is_some())
        .map(|l| l.points)
        .sum();
    let entry = |card: &Card, kind: BookingType, amount: i64, pending: i64| Booking {
        booking_id: new_id(),
        number: card.number.clone(),
        partner_id: partner.clone(),
        program_id: card.program_id.clone(),
        kind,
        amount,
        pending_amount: pending,
        value_cents: 0,
        booked_at: now,
        booked_on: today,
        by: None,
        expires_on: None,
        release_on: None,
        refers_to: None,
        voided_by: None,
        lots: Vec::new(),
    };
    let out = entry(&old, BookingType::TransferOut, -old.balance, -old.pending);
    let mut into = entry(&new, BookingType::TransferIn, old.balance, old.pending);
    into.lots = lots;
    let mut new_updates = vec![
        Update::Add(attr::BALANCE, old.balance),
        Update::Add(attr::PENDING, old.pending),
        // The new card's credits are the moved lots: none of them is taken yet.
        Update::Set(attr::EXPIRING, expiring.into()),
        Update::Set(attr::DEBITED, 0.into()),
        Update::Set(attr::LAST_BOOKING_ON, today.to_string().into()),
    ];
    for (a, v) in [
        (attr::LOADED_ON, old.loaded_on),
        (attr::VALID_UNTIL, old.valid_until),
    ] {
        if let Some(day) = v {
            new_updates.push(Update::Set(a, day.to_string().into()));
        }
    }
    if let (Some(holder), Some(first)) = (&old.holder_account, &old.holder_first_name) {
        new_updates.push(Update::Set(attr::HOLDER, holder.as_str().into()));
        new_updates.push(Update::Set(attr::HOLDER_FIRST_NAME, first.clone().into()));
    }
    let mut ops = vec![
        TxOp::Update {
            key: old.key(),
            ops: vec![
                Update::Set(attr::BALANCE, 0.into()),
                Update::Set(attr::PENDING, 0.into()),
                // Its credits went with the balance: nothing is left to expire here.
                Update::Set(attr::DEBITED, old.expiring_total.into()),
                Update::Set(attr::STATUS, CardStatus::Replaced.as_str().into()),
                Update::Set(attr::REPLACED_BY, new.number.clone().into()),
                Update::Remove(attr::HOLDER),
                Update::Remove(attr::HOLDER_FIRST_NAME),
            ],
            // Only over the balance and the ledger that were read: a booking or a run of
            // the schedule in between fails the move.
            cond: Cond::All(vec![
                Cond::Eq(attr::BALANCE, old.balance.into()),
                Cond::Eq(attr::PENDING, old.pending.into()),
                Cond::Eq(attr::DEBITED, old.debited.into()),
                Cond::Eq(attr::STATUS, old.status.as_str().into()),
            ]),
        }
        .named(BALANCE_OP),
        TxOp::Update {
            key: new.key(),
            ops: new_updates,
            cond: Cond::All(vec![
                Cond::Eq(attr::STATUS, CardStatus::Active.as_str().into()),
                Cond::Absent(attr::HOLDER),
                Cond::Absent(attr::LAST_BOOKING_ON),
            ]),
        }
        .named(NEW_CARD_OP),
        ledger_put(
            &ledger_key(&old.number, &format!("TRANSFER#{}", out.booking_id)),
            &out,
        )?,
        {
            let mut op = ledger_put(
                &ledger_key(&new.number, &format!("TRANSFER#{}", into.booking_id)),
                &into,
            )?;
            op.name = LEDGER_IN_OP;
            op
        },
    ];
    if let Some(holder) = &old.holder_account {
        ops.push(
            TxOp::Update {
                key: holder_key(partner, holder),
                ops: vec![Update::Set(
                    crate::holders::NUMBER,
                    new.number.clone().into(),
                )],
                cond: Cond::Exists,
            }
            .named(HOLDER_OP),
        );
    }
    match table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) => return Ok(TransferOutcome::Raced),
        Err(e) => return Err(e.into()),
    }
    Ok(TransferOutcome::Moved {
        from: Box::new(card::load(table, partner, &old.number).await?),
        to: Box::new(card::load(table, partner, &new.number).await?),
    })
}
