//! Vouchers: issued into an end user's wallet (points exchanged at a program's rate, or a
//! voucher reward), shown at the partner's till and taken there once. The partner and its
//! till see the voucher's value, validity and state, never who holds it.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use jiff::civil::{Date, date};
use serde::Serialize;
use shared::auth::{Authenticated, Revocations, Role};
use shared::clock::{berlin_date, german_date};
use shared::domain::{AccountId, Cents, PartnerId, ProgramId};
use shared::env::AppState;
use shared::http::ApiPath;
use shared::model::{from_item, to_item};
use shared::openapi::{Conflict, NotFound, Unprocessable};
use shared::store::{Cond, Named, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::records::{Voucher, VoucherCode, VoucherStatus, attr, voucher_code_key, voucher_key};
use crate::step;

/// Letters and digits of a voucher code (base62, as people read it out at the till).
pub const CODE_LEN: usize = 12;

/// The last day a voucher issued on `issued_on` is taken: the end of the third year after
/// it (the regular limitation period of §§ 195, 199 BGB).
pub fn valid_until(issued_on: Date) -> Date {
    date(issued_on.year().saturating_add(3), 12, 31)
}

/// A new voucher in `account`'s wallet and the writes that store it and its code.
pub fn issue(
    account: &AccountId,
    voucher_id: String,
    program_id: &ProgramId,
    partner_id: &PartnerId,
    value_cents: Cents,
    at: Timestamp,
) -> Result<(Voucher, Vec<Named>)> {
    let voucher = Voucher {
        voucher_id,
        code: shared::domain::short_code(CODE_LEN),
        program_id: program_id.clone(),
        partner_id: partner_id.clone(),
        value_cents,
        status: VoucherStatus::Issued,
        issued_at: at,
        valid_until: Some(valid_until(berlin_date(at))),
        redeemed_at: None,
    };
    let code = VoucherCode {
        account_id: account.clone(),
        voucher_id: voucher.voucher_id.clone(),
        partner_id: partner_id.clone(),
    };
    let ops = vec![
        TxOp::Put {
            item: to_item(&voucher_key(account, &voucher.voucher_id), &voucher)?,
            cond: Cond::NotExists,
        }
        .named(step::VOUCHER),
        TxOp::Put {
            item: to_item(&voucher_code_key(&voucher.code), &code)?,
            cond: Cond::NotExists,
        }
        .named(step::VOUCHER_CODE),
    ];
    Ok((voucher, ops))
}

/// A voucher as the partner's till sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherCheck {
    pub code: String,
    pub value_cents: Cents,
    pub status: VoucherStatus,
    pub valid_until: Option<Date>,
    pub redeemed_at: Option<Timestamp>,
    /// Whether the till may take it now.
    pub redeemable: bool,
    /// Why not, in German, for the till's screen.
    pub reason: Option<String>,
}

impl VoucherCheck {
    fn of(voucher: &Voucher, today: Date) -> Self {
        let reason = refusal(voucher, today);
        Self {
            code: voucher.code.clone(),
            value_cents: voucher.value_cents,
            status: voucher.status,
            valid_until: voucher.valid_until,
            redeemed_at: voucher.redeemed_at,
            redeemable: reason.is_none(),
            reason,
        }
    }
}

/// Why `voucher` cannot be taken on `today`, if it cannot.
fn refusal(voucher: &Voucher, today: Date) -> Option<String> {
    match voucher.status {
        VoucherStatus::Redeemed => Some(format!(
            "Dieser Gutschein wurde bereits am {} eingelöst.",
            voucher
                .redeemed_at
                .map(|at| german_date(berlin_date(at)))
                .unwrap_or_default()
        )),
        VoucherStatus::Revoked => Some("Dieser Gutschein wurde storniert.".into()),
        VoucherStatus::Issued => voucher
            .valid_until
            .filter(|until| *until < today)
            .map(|until| format!("Dieser Gutschein war bis {} gültig.", german_date(until))),
    }
}

/// The partner a partner's or its till's token acts for; a till's only while its terminal
/// user is not disabled (one read, as for every tenant account).
async fn merchant(state: &AppState, auth: &Authenticated) -> Result<PartnerId> {
    let claims = &auth.0;
    let allowed =
        matches!(claims.role, Role::Partner | Role::Pos) && claims.scope.admits(claims.role);
    if allowed && claims.role == Role::Pos {
        Revocations(state.table.clone()).check(claims).await?;
    }
    match (&claims.tenant, allowed) {
        (Some(tenant), true) => Ok(PartnerId::from_raw(tenant.clone())),
        _ => Err(Error::Forbidden(
            "Diese Funktion steht Ihrer Rolle nicht zur Verfügung.".into(),
        )),
    }
}

fn unknown() -> Error {
    Error::NotFound("Diesen Gutschein gibt es nicht.".into())
}

/// The merchant's voucher with this code; another partner's is as unknown as none.
async fn load(state: &AppState, partner: &PartnerId, code: &str) -> Result<(VoucherCode, Voucher)> {
    if code.len() != CODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(unknown());
    }
    let pointer: VoucherCode = match state.table.get(&voucher_code_key(code)).await? {
        Some(item) => from_item(item)?,
        None => return Err(unknown()),
    };
    if &pointer.partner_id != partner {
        return Err(unknown());
    }
    let voucher: Voucher = match state
        .table
        .get(&voucher_key(&pointer.account_id, &pointer.voucher_id))
        .await?
    {
        Some(item) => from_item(item)?,
        None => return Err(unknown()),
    };
    Ok((pointer, voucher))
}

/// Check a voucher code at the till.
#[utoipa::path(get, path = "/vouchers/{code}", tag = "vouchers",
    summary = "Gutschein prüfen",
    params(("code" = String, Path, description = "The code the end user shows.")),
    responses(
        (status = 200, description = "The voucher's value, validity and state.", body = VoucherCheck),
        (status = 404, response = NotFound),
    ))]
pub async fn check(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<VoucherCheck>> {
    let partner = merchant(&state, &auth).await?;
    let (_, voucher) = load(&state, &partner, &code).await?;
    Ok(Json(VoucherCheck::of(&voucher, state.clock.today())))
}

/// Take a voucher at the till: once; a second time answers when it was taken.
#[utoipa::path(post, path = "/vouchers/{code}/redemption", tag = "vouchers",
    summary = "Gutschein einlösen",
    params(("code" = String, Path, description = "The code the end user shows.")),
    responses(
        (status = 200, description = "Taken now.", body = VoucherCheck),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn redeem(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<VoucherCheck>> {
    let partner = merchant(&state, &auth).await?;
    let (pointer, mut voucher) = load(&state, &partner, &code).await?;
    let today = state.clock.today();
    if let Some(reason) = refusal(&voucher, today) {
        return Err(match voucher.status {
            VoucherStatus::Redeemed => Error::Conflict(reason),
            _ => Error::Unprocessable(reason),
        });
    }
    let now = state.clock.now();
    let taken = state
        .table
        .update(
            &voucher_key(&pointer.account_id, &pointer.voucher_id),
            &[
                Update::Set(attr::STATUS, VoucherStatus::Redeemed.as_str().into()),
                Update::Set(
                    attr::REDEEMED_AT,
                    serde_json::to_value(now).map_err(Error::internal)?,
                ),
            ],
            Cond::Eq(attr::STATUS, VoucherStatus::Issued.as_str().into()),
        )
        .await;
    match taken {
        Ok(_) => {}
        // Taken (or revoked) meanwhile: answer with what happened.
        Err(StoreError::ConditionFailed) => {
            let (_, now_stored) = load(&state, &partner, &code).await?;
            let reason = refusal(&now_stored, today)
                .unwrap_or_else(|| "Bitte versuchen Sie es noch einmal.".into());
            return Err(Error::Conflict(reason));
        }
        Err(e) => return Err(e.into()),
    }
    voucher.status = VoucherStatus::Redeemed;
    voucher.redeemed_at = Some(now);
    tracing::info!(partner_id = %partner, "voucher redeemed");
    Ok(Json(VoucherCheck::of(&voucher, today)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_voucher_is_valid_to_the_end_of_the_third_year_after_its_issue() {
        assert_eq!(valid_until(date(2026, 12, 6)), date(2029, 12, 31));
        assert_eq!(valid_until(date(2027, 1, 1)), date(2030, 12, 31));
    }
}
