//! The card contract: the operator prices a terminal user per month; a merchant signs,
//! sees its term and notice date, and cancels. The record is `shared::model::contracts::cards`
//! (billing reads it).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{OperatorAuth, PartnerAuth};
use shared::domain::Cents;
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::model::billable;
use shared::model::contracts::cards::{
    self as contract, CONTRACT_OP, CardContract, last_day_to_cancel,
};
use shared::model::{from_item, to_item};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{Cond, Key, StoreError, TxOp};
use shared::{Error, Result};
use utoipa::ToSchema;

/// The operator's price of a terminal user per month, for contracts signed from now on.
fn price_key() -> Key {
    Key::new("CARDS#PRICE", "PRICE")
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"fee_per_terminal_user_cents": 990}))]
pub struct Price {
    /// Net per terminal user and month, in euro cents.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub fee_per_terminal_user_cents: i64,
}

/// Set the price per terminal user and month (operator); it applies to contracts signed
/// from now on.
#[utoipa::path(put, path = "/cards/price", tag = "cards", request_body = Price,
    responses((status = 200, description = "The price.", body = Price)))]
pub async fn set_price(
    State(state): State<AppState>,
    _auth: OperatorAuth,
    ApiJson(body): ApiJson<Price>,
) -> Result<Json<Price>> {
    let mut v = Validator::new();
    let fee = v.cents(
        "fee_per_terminal_user_cents",
        body.fee_per_terminal_user_cents,
    );
    v.finish()?;
    let fee = fee.ok_or_else(|| Error::field("fee_per_terminal_user_cents", "fehlt"))?;
    let price = Price {
        fee_per_terminal_user_cents: fee.0,
    };
    state
        .table
        .put(to_item(&price_key(), &price)?, Cond::Always)
        .await?;
    Ok(Json(price))
}

/// The price per terminal user and month that contracts signed now get (operator); 422
/// while none is set.
#[utoipa::path(get, path = "/cards/price", tag = "cards",
    responses(
        (status = 200, description = "The price.", body = Price),
        (status = 422, response = shared::openapi::Unprocessable),
    ))]
pub async fn get_price(State(state): State<AppState>, _auth: OperatorAuth) -> Result<Json<Price>> {
    Ok(Json(current_price(&state).await?))
}

/// The contract as the merchant sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContractView {
    pub signed_on: Date,
    pub fee_per_terminal_user_cents: i64,
    /// The same, German notation.
    pub fee_per_terminal_user: String,
    pub terminal_users: u32,
    /// What this month's terminal users cost, net in cents.
    pub monthly_fee_cents: i64,
    /// The end of the term running now.
    pub term_end: Date,
    /// The last day a cancellation ends the contract with `term_end`.
    pub last_day_to_cancel: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on: Option<Date>,
    /// While not cancelled: the last day if the contract were cancelled today (the term's
    /// end while its notice period is open, else the next term's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_if_cancelled_today: Option<Date>,
}

impl ContractView {
    pub fn of(c: &CardContract, today: Date) -> Self {
        let term_end = c.ends_on.unwrap_or_else(|| c.current_term_end(today));
        Self {
            signed_on: c.signed_on,
            fee_per_terminal_user_cents: c.fee_per_terminal_user.0,
            fee_per_terminal_user: c.fee_per_terminal_user.to_string(),
            terminal_users: c.terminal_users,
            monthly_fee_cents: c.fee_per_terminal_user.0 * i64::from(c.terminal_users),
            term_end,
            last_day_to_cancel: last_day_to_cancel(term_end),
            cancelled_on: c.cancelled_on,
            ends_on: c.ends_on,
            ends_if_cancelled_today: c.ends_on.is_none().then(|| c.end_if_cancelled_on(today)),
        }
    }
}

/// The operator's current price, or the 422 that there is none yet.
async fn current_price(state: &AppState) -> Result<Price> {
    match state.table.get(&price_key()).await? {
        Some(item) => from_item(item),
        None => Err(Error::Unprocessable(
            "Der Preis für Kartenverträge steht noch nicht fest.".into(),
        )),
    }
}

/// What signing today would give, shown before signing.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContractTerms {
    /// Today (Europe/Berlin): the day a contract signed now starts.
    pub signed_on: Date,
    /// Net per terminal user and month, in euro cents.
    pub fee_per_terminal_user_cents: i64,
    /// The same, German notation.
    pub fee_per_terminal_user: String,
    /// The last day of the first (two-year) term; then it renews by a year at a time.
    pub term_end: Date,
    /// The last day a cancellation ends the contract with `term_end` (three months before).
    pub last_day_to_cancel: Date,
}

/// The terms of a contract signed today: fee per terminal user, term end and notice date.
#[utoipa::path(get, path = "/cards/contract/terms", tag = "cards",
    responses(
        (status = 200, description = "The terms of signing today.", body = ContractTerms),
        (status = 422, response = Unprocessable),
    ))]
pub async fn terms(
    State(state): State<AppState>,
    auth: PartnerAuth,
) -> Result<Json<ContractTerms>> {
    let price = current_price(&state).await?;
    let today = state.clock.today();
    let c = CardContract::new(
        auth.partner_id,
        today,
        Cents(price.fee_per_terminal_user_cents),
    );
    let term_end = c.current_term_end(today);
    Ok(Json(ContractTerms {
        signed_on: today,
        fee_per_terminal_user_cents: c.fee_per_terminal_user.0,
        fee_per_terminal_user: c.fee_per_terminal_user.to_string(),
        term_end,
        last_day_to_cancel: last_day_to_cancel(term_end),
    }))
}

/// Sign the card contract at the operator's current price per terminal user.
#[utoipa::path(post, path = "/cards/contract", tag = "cards",
    responses(
        (status = 201, description = "Signed.", body = ContractView),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn sign(
    State(state): State<AppState>,
    auth: PartnerAuth,
) -> Result<(StatusCode, Json<ContractView>)> {
    let price = current_price(&state).await?;
    let today = state.clock.today();
    let c = CardContract::new(
        auth.partner_id.clone(),
        today,
        Cents(price.fee_per_terminal_user_cents),
    );
    let ops = vec![
        TxOp::Put {
            item: c.to_item()?,
            cond: Cond::NotExists,
        }
        .named(CONTRACT_OP),
        // The first billable write of the card product marks the partner for billing.
        billable::mark(&auth.partner_id).named("billable"),
    ];
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: CONTRACT_OP,
        }) => {
            return Err(Error::Conflict(
                "Der Kartenvertrag ist bereits abgeschlossen.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(partner_id = %auth.partner_id, "card contract signed");
    Ok((StatusCode::CREATED, Json(ContractView::of(&c, today))))
}

/// The contract: fee, terminal users, term end and the last day to cancel.
#[utoipa::path(get, path = "/cards/contract", tag = "cards",
    responses((status = 200, description = "The contract.", body = ContractView)))]
pub async fn show(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<ContractView>> {
    let c = contract::load(state.table.as_ref(), &auth.partner_id)
        .await?
        .ok_or_else(|| Error::NotFound("Es gibt noch keinen Kartenvertrag.".into()))?;
    Ok(Json(ContractView::of(&c, state.clock.today())))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cancelled {
    /// The contract's last day.
    pub ends_on: Date,
}

/// Cancel the contract: it ends with the current term while the notice period is open,
/// otherwise with the next one.
#[utoipa::path(post, path = "/cards/contract/cancel", tag = "cards",
    responses(
        (status = 200, description = "Cancelled; the end date.", body = Cancelled),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn cancel(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<Cancelled>> {
    let c = contract::require(state.table.as_ref(), &auth.partner_id).await?;
    let today = state.clock.today();
    let ends_on = c.end_if_cancelled_on(today);
    match state.table.transact(vec![c.cancel_op(today)]).await {
        Ok(()) => Ok(Json(Cancelled { ends_on })),
        Err(StoreError::TxCancelled {
            failed: CONTRACT_OP,
        }) => Err(Error::Conflict(
            "Der Kartenvertrag ist bereits gekündigt.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
