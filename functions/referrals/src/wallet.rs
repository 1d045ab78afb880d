//! The end user's wallet: cash (cents) pending, confirmed and payable, points per program,
//! vouchers and the immutable ledger whose sum every balance is; points become vouchers at
//! the program's rate; payable cash (billed to the partner on an issued invoice, see
//! [`crate::daily`]) is paid out to an IBAN, which the operator marks as paid.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::auth::OperatorAuth;
use shared::auth::TenantAuth;
use shared::domain::RecordId;
use shared::domain::{AccountId, Cents, Iban, ProgramId, new_id};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::from_item;
use shared::openapi::{Conflict, NotFound, Unprocessable};
use shared::store::balance::{Amount, BALANCE, Balance, is_insufficient};
use shared::store::{Cond, GSI1PK, GSI1SK, Item, SK, SkCond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::members::end_user;
use crate::programs;
use crate::records::{
    LEDGER_SK_PREFIX, LedgerEntry, MEMBER_SK_PREFIX, POINTS_SK_PREFIX, Payout, PayoutStatus,
    VOUCHER_SK_PREFIX, Voucher, WALLET_SK, attr, enduser_partition, payout_key, points_key,
    requested_payouts, wallet_key,
};
use crate::step;
use crate::vouchers;

/// The ledger entry's kind of a payout (its `reference` is the payout id).
pub const PAYOUT_ENTRY: &str = "payout";

/// Smallest payout: 10,00 €, so transfer costs stay in proportion.
pub const MIN_PAYOUT: Cents = Cents(1000);

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramPoints {
    pub program_id: ProgramId,
    pub points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Wallet {
    /// Cash rewards waiting for their hold to end (a refund may still take them back).
    pub pending_cents: i64,
    /// Cash rewards confirmed after the hold, payable once the partner's invoice that bills
    /// them is issued.
    pub confirmed_cents: i64,
    /// Cash that can be paid out: the sum of the ledger's `cash_cents`.
    pub payable_cents: i64,
    pub points: Vec<ProgramPoints>,
    pub vouchers: Vec<Voucher>,
    /// Newest first.
    pub ledger: Vec<LedgerEntry>,
}

fn balance_of(item: &Item) -> i64 {
    cents_of(item, BALANCE)
}

fn cents_of(item: &Item, attr: shared::store::Attr) -> i64 {
    item.get(attr).and_then(Value::as_i64).unwrap_or(0)
}

async fn load_wallet(state: &AppState, account: &AccountId) -> Result<Wallet> {
    let items = state.table.query_all(enduser_partition(account)).await?;
    let mut wallet = Wallet {
        pending_cents: 0,
        confirmed_cents: 0,
        payable_cents: 0,
        points: Vec::new(),
        vouchers: Vec::new(),
        ledger: Vec::new(),
    };
    for item in items {
        let sk = item
            .get(SK)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if sk == WALLET_SK {
            wallet.payable_cents = balance_of(&item);
            wallet.confirmed_cents = cents_of(&item, attr::CONFIRMED_CENTS);
        } else if sk.starts_with(MEMBER_SK_PREFIX) {
            wallet.pending_cents += cents_of(&item, attr::PENDING_CENTS);
        } else if let Some(program) = sk.strip_prefix(POINTS_SK_PREFIX) {
            wallet.points.push(ProgramPoints {
                program_id: ProgramId::from_raw(program),
                points: balance_of(&item),
            });
        } else if sk.starts_with(VOUCHER_SK_PREFIX) {
            wallet.vouchers.push(from_item(item)?);
        } else if sk.starts_with(LEDGER_SK_PREFIX) {
            wallet.ledger.push(from_item(item)?);
        }
    }
    wallet.ledger.reverse();
    Ok(wallet)
}

/// The wallet's cash not yet paid out, in cents: pending, confirmed and payable.
pub async fn cash(state: &AppState, account: &AccountId) -> Result<i64> {
    let w = load_wallet(state, account).await?;
    Ok(w.pending_cents + w.confirmed_cents + w.payable_cents)
}

/// The end user's wallet: cash, points, vouchers and the ledger.
#[utoipa::path(get, path = "/me/wallet", tag = "wallet",
    summary = "Guthaben, Punkte, Gutscheine und Buchungen",
    responses((status = 200, description = "The wallet.", body = Wallet)))]
pub async fn get_wallet(State(state): State<AppState>, auth: TenantAuth) -> Result<Json<Wallet>> {
    let user = end_user(&auth)?;
    Ok(Json(load_wallet(&state, &user.account).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"program_id": "01938a4e-1111-7000-8000-000000000001"}))]
pub struct ExchangeInput {
    pub program_id: ProgramId,
}

/// Exchange points for a voucher at the program's rate.
#[utoipa::path(post, path = "/me/wallet/vouchers", tag = "wallet",
    summary = "Punkte in einen Gutschein tauschen",
    request_body = ExchangeInput,
    responses(
        (status = 201, description = "The voucher.", body = Voucher),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ))]
pub async fn exchange(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiJson(body): ApiJson<ExchangeInput>,
) -> Result<(StatusCode, Json<Voucher>)> {
    let user = end_user(&auth)?;
    let program = programs::load(&state, &body.program_id).await?;
    let Some(rate) = program.voucher_rate else {
        return Err(Error::Unprocessable(
            "Dieses Programm tauscht keine Punkte in Gutscheine.".into(),
        ));
    };
    let points = Amount::new(rate.points)
        .ok_or_else(|| Error::internal(std::io::Error::other("rate without points")))?;
    let now = state.clock.now();
    let (voucher, voucher_ops) = vouchers::issue(
        &user.account,
        new_id(),
        &program.program_id,
        &program.partner_id,
        rate.value_cents,
        now,
    )?;
    let entry = LedgerEntry {
        entry_id: new_id(),
        at: now,
        kind: "exchange".into(),
        cash_cents: 0,
        points: -rate.points,
        program_id: Some(program.program_id.clone()),
        reference: voucher.voucher_id.clone(),
    };
    let mut ops = Balance::new(points_key(&user.account, &program.program_id))
        .debit(points, entry.to_item(&user.account)?);
    ops.extend(voucher_ops);
    match state.table.transact(ops).await {
        Ok(()) => Ok((StatusCode::CREATED, Json(voucher))),
        Err(e) if is_insufficient(&e) => Err(Error::Unprocessable(format!(
            "Für einen Gutschein über {} brauchen Sie {} Punkte.",
            rate.value_cents, rate.points
        ))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"amount_cents": 2500, "iban": "DE89370400440532013000", "account_holder": "Erika Mustermann"}))]
pub struct PayoutInput {
    pub amount_cents: i64,
    pub iban: String,
    pub account_holder: String,
}

/// A payout as its requester and the operator see it; the IBAN masked for the requester.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutView {
    pub payout_id: String,
    pub account_id: AccountId,
    pub amount_cents: Cents,
    pub account_holder: String,
    pub iban: String,
    pub status: PayoutStatus,
    pub requested_at: jiff::Timestamp,
    pub paid_at: Option<jiff::Timestamp>,
}

fn view(payout: Payout, iban: String) -> PayoutView {
    PayoutView {
        payout_id: payout.payout_id,
        account_id: payout.account_id,
        amount_cents: payout.amount_cents,
        account_holder: payout.account_holder,
        iban,
        status: payout.status,
        requested_at: payout.requested_at,
        paid_at: payout.paid_at,
    }
}

/// Request a payout of cash to an IBAN.
#[utoipa::path(post, path = "/me/payouts", tag = "wallet",
    summary = "Auszahlung beantragen",
    request_body = PayoutInput,
    responses(
        (status = 201, description = "Requested; the payable balance is reduced now.", body = PayoutView),
        (status = 422, response = Unprocessable),
    ))]
pub async fn request_payout(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiJson(body): ApiJson<PayoutInput>,
) -> Result<(StatusCode, Json<PayoutView>)> {
    let user = end_user(&auth)?;
    let mut v = Validator::new();
    let amount = v.cents("amount_cents", body.amount_cents);
    if amount.is_some_and(|a| a < MIN_PAYOUT) {
        v.require(
            "amount_cents",
            false,
            &format!("eine Auszahlung beträgt mindestens {MIN_PAYOUT}"),
        );
    }
    let iban = v.check("iban", Iban::parse(&body.iban));
    let holder = v.sepa_text("account_holder", &body.account_holder, 70);
    v.finish()?;
    let (Some(amount), Some(iban), Some(holder)) = (amount, iban, holder) else {
        return Err(Error::field("amount_cents", "fehlt"));
    };
    let debit = Amount::new(amount.0)
        .ok_or_else(|| Error::field("amount_cents", "muss größer als 0 sein"))?;
    let now = state.clock.now();
    let payout = Payout {
        payout_id: new_id(),
        account_id: user.account.clone(),
        amount_cents: amount,
        account_holder: holder.into_string(),
        iban_sealed: state.data_key()?.seal(iban.electronic()),
        status: PayoutStatus::Requested,
        requested_at: now,
        paid_at: None,
    };
    let entry = LedgerEntry {
        entry_id: new_id(),
        at: now,
        kind: PAYOUT_ENTRY.into(),
        cash_cents: -amount.0,
        points: 0,
        program_id: None,
        reference: payout.payout_id.clone(),
    };
    let mut ops =
        Balance::new(wallet_key(&user.account)).debit(debit, entry.to_item(&user.account)?);
    ops.push(
        TxOp::Put {
            item: payout.to_item()?,
            cond: Cond::NotExists,
        }
        .named(step::PAYOUT),
    );
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(e) if is_insufficient(&e) => {
            return Err(Error::Unprocessable(
                "Ihr auszahlbares Guthaben reicht für diese Auszahlung nicht aus. Bestätigte Prämien werden auszahlbar, sobald sie dem Partner in Rechnung gestellt sind.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(payout_id = %payout.payout_id, "payout requested");
    let masked = iban.masked();
    Ok((StatusCode::CREATED, Json(view(payout, masked))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Payouts {
    pub payouts: Vec<PayoutView>,
}

/// A payout as its requester sees it: the IBAN masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPayout {
    pub payout_id: String,
    pub amount_cents: Cents,
    pub account_holder: String,
    /// Country, check digits and the last four characters.
    pub iban: String,
    pub status: PayoutStatus,
    pub requested_at: jiff::Timestamp,
    pub paid_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyPayouts {
    /// Newest first.
    pub payouts: Vec<MyPayout>,
}

/// The end user's own payouts, found through the wallet's ledger (each payout's entry names
/// it), newest first.
#[utoipa::path(get, path = "/me/payouts", tag = "wallet",
    summary = "Eigene Auszahlungen und ihr Stand",
    responses((status = 200, description = "The end user's payouts, IBAN masked.", body = MyPayouts)))]
pub async fn my_payouts(
    State(state): State<AppState>,
    auth: TenantAuth,
) -> Result<Json<MyPayouts>> {
    let user = end_user(&auth)?;
    let entries = state
        .table
        .query_all(enduser_partition(&user.account).sk(SkCond::BeginsWith(LEDGER_SK_PREFIX.into())))
        .await?;
    let mut payouts = Vec::new();
    for item in entries.into_iter().rev() {
        let entry: LedgerEntry = from_item(item)?;
        if entry.kind != PAYOUT_ENTRY {
            continue;
        }
        let Some(item) = state.table.get(&payout_key(&entry.reference)).await? else {
            continue;
        };
        let payout: Payout = from_item(item)?;
        // Only the requester's own (a ledger names nothing else, but the record decides).
        if payout.account_id != user.account {
            continue;
        }
        let iban = state
            .data_key()?
            .open(&payout.iban_sealed)
            .map_err(Error::internal)
            .and_then(|raw| {
                Iban::parse(&raw).map_err(|e| Error::internal(std::io::Error::other(e)))
            })?;
        payouts.push(MyPayout {
            payout_id: payout.payout_id,
            amount_cents: payout.amount_cents,
            account_holder: payout.account_holder,
            iban: iban.masked(),
            status: payout.status,
            requested_at: payout.requested_at,
            paid_at: payout.paid_at,
        });
    }
    Ok(Json(MyPayouts { payouts }))
}

/// Payouts waiting to be made, oldest first, with the IBAN to pay to.
#[utoipa::path(get, path = "/payouts", tag = "payouts",
    summary = "Offene Auszahlungen",
    responses((status = 200, description = "Requested payouts.", body = Payouts)))]
pub async fn list_payouts(
    State(state): State<AppState>,
    _auth: OperatorAuth,
) -> Result<Json<Payouts>> {
    let items = state.table.query_all(requested_payouts()).await?;
    let mut payouts = Vec::new();
    for item in items {
        let payout: Payout = from_item(item)?;
        let iban = state
            .data_key()?
            .open(&payout.iban_sealed)
            .map_err(Error::internal)?;
        payouts.push(view(payout, iban));
    }
    Ok(Json(Payouts { payouts }))
}

/// Mark a payout as paid.
#[utoipa::path(post, path = "/payouts/{payout_id}/paid", tag = "payouts",
    summary = "Auszahlung als bezahlt markieren",
    params(("payout_id" = RecordId, Path, description = "The payout.")),
    responses(
        (status = 200, description = "Paid.", body = PayoutView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn mark_paid(
    State(state): State<AppState>,
    _auth: OperatorAuth,
    ApiPath(payout_id): ApiPath<RecordId>,
) -> Result<Json<PayoutView>> {
    let not_found = || Error::NotFound("Diese Auszahlung gibt es nicht.".into());
    let key = payout_key(payout_id.as_str());
    let now = state.clock.now();
    let updated = state
        .table
        .update(
            &key,
            &[
                Update::Set(attr::STATUS, "paid".into()),
                Update::Set(attr::PAID_AT, serde_json::json!(now)),
                Update::Remove(GSI1PK),
                Update::Remove(GSI1SK),
            ],
            Cond::Eq(attr::STATUS, "requested".into()),
        )
        .await;
    let item = match updated {
        Ok(item) => item,
        Err(StoreError::ConditionFailed) => {
            return match state.table.get(&key).await? {
                Some(_) => Err(Error::Conflict(
                    "Diese Auszahlung ist bereits bezahlt.".into(),
                )),
                None => Err(not_found()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    let payout: Payout = from_item(item)?;
    let iban = state
        .data_key()?
        .open(&payout.iban_sealed)
        .map_err(Error::internal)?;
    Ok(Json(view(payout, iban)))
}
