//! The operator's work on a platform: its name, its monthly fee from a stated month on, and
//! its managers (listing and removing them).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::auth::{Ended, OperatorAuth, Scope, revoke_op};
use shared::domain::{AccountId, Email, Month, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::accounts::{self, Login, LoginName, login_key};
use shared::model::platforms::{
    self, ManagerEntry, Platform, manager_key, managers_of, platform_key, platform_sort_key,
};
use shared::model::{from_item, runs};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{Cond, GSI1SK, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::platforms::{PlatformView, load_platform};

/// The names of the steps of the operator's writes.
mod step {
    pub const PLATFORM: &str = "platform";
    /// No billing run of the month the fee changes from has started.
    pub const NO_RUN: &str = "no_run";
    pub const ENTRY: &str = "manager_entry";
    pub const LOGIN: &str = "manager_login";
}

fn platform_changed() -> Error {
    Error::Conflict(
        "Die Plattform wurde gerade anderweitig geändert. Bitte laden Sie sie neu.".into(),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sparkasse Vorteilswelt Plus"}))]
pub struct PlatformEdit {
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub name: String,
}

/// Rename a platform.
///
/// The list of platforms and new applications show the new name; a subscription keeps the
/// name it was approved under on its invoices and in the partner's list.
#[utoipa::path(patch, path = "/platforms/{platform_id}", tag = "platforms",
    params(("platform_id" = PlatformId, Path, description = "The platform.")),
    request_body = PlatformEdit,
    responses(
        (status = 200, description = "The platform.", body = PlatformView),
        (status = 409, response = Conflict),
    ))]
pub async fn rename(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiJson(body): ApiJson<PlatformEdit>,
) -> Result<Json<PlatformView>> {
    let mut v = Validator::new();
    let name = v.text("name", &body.name, 100);
    v.finish()?;
    let Some(name) = name else {
        return Err(Error::field("name", "fehlt"));
    };
    let mut platform = load_platform(&state, &platform_id).await?;
    let update = state
        .table
        .update(
            &platform_key(&platform_id),
            &[
                Update::Set(platforms::attr::NAME, name.clone().into()),
                Update::Set(GSI1SK, platform_sort_key(&name, &platform_id).into()),
                Update::Add(platforms::attr::REVISION, 1),
            ],
            platform.unchanged(),
        )
        .await;
    match update {
        Ok(_) => {}
        Err(StoreError::ConditionFailed) => return Err(platform_changed()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(platform_id = %platform_id, "platform renamed");
    platform.name = name;
    Ok(Json(PlatformView::of(
        platform,
        Month::of(state.clock.today()),
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2027-01", "monthly_fee_cents": 5900}))]
pub struct FeeChangeInput {
    /// The first month billed at the new fee: the current month while its billing run has
    /// not started, or a later one.
    #[schema(value_type = String, pattern = r"^20[0-9]{2}-(0[1-9]|1[0-2])$", example = "2027-01")]
    pub from: String,
    /// Net, in euro cents, up to 100.000,00 €.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub monthly_fee_cents: i64,
}

/// Change a platform's monthly fee from a month on.
///
/// The fee applies to that month and every later one (a change stated before for a later
/// month is replaced); months before keep theirs. A month that has passed, or whose billing
/// run has started, is refused (422 naming `from`): no billed month changes.
#[utoipa::path(post, path = "/platforms/{platform_id}/fee-changes", tag = "platforms",
    params(("platform_id" = PlatformId, Path, description = "The platform.")),
    request_body = FeeChangeInput,
    responses(
        (status = 200, description = "The platform with its current and upcoming fees.", body = PlatformView),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn change_fee(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiJson(body): ApiJson<FeeChangeInput>,
) -> Result<Json<PlatformView>> {
    let mut v = Validator::new();
    let from = v.check("from", body.from.parse::<Month>());
    let fee = v.cents("monthly_fee_cents", body.monthly_fee_cents);
    v.finish()?;
    let (Some(from), Some(fee)) = (from, fee) else {
        return Err(Error::field("from", "fehlt"));
    };
    let this_month = Month::of(state.clock.today());
    if from < this_month {
        return Err(month_billed(from, "ist vergangen"));
    }
    let platform = load_platform(&state, &platform_id).await?;
    let changes = platform.with_fee_from(from, fee, state.clock.now());
    // A run for a later month cannot exist: runs start only for months that have begun.
    let ops = vec![
        TxOp::Check {
            key: runs::run_key(from),
            cond: Cond::NotExists,
        }
        .named(step::NO_RUN),
        TxOp::Update {
            key: platform_key(&platform_id),
            ops: vec![
                Update::Set(
                    platforms::attr::FEE_CHANGES,
                    serde_json::to_value(&changes)?,
                ),
                Update::Add(platforms::attr::REVISION, 1),
            ],
            cond: platform.unchanged(),
        }
        .named(step::PLATFORM),
    ];
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: step::NO_RUN,
        }) => {
            return Err(month_billed(
                from,
                "ist bereits abgerechnet oder in Abrechnung",
            ));
        }
        Err(StoreError::TxCancelled {
            failed: step::PLATFORM,
        }) => return Err(platform_changed()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(platform_id = %platform_id, %from, "platform fee changed");
    let changed = Platform {
        fee_changes: changes,
        ..platform
    };
    Ok(Json(PlatformView::of(changed, this_month)))
}

fn month_billed(from: Month, why: &str) -> Error {
    Error::UnprocessableFields {
        detail: format!(
            "Die Gebühr kann erst ab einem Monat geändert werden, der noch nicht abgerechnet ist; der Monat {from} {why}."
        ),
        errors: vec![shared::error::FieldError::new(
            "from",
            format!("{why}; bitte wählen Sie einen späteren Monat"),
        )],
    }
}

/// A manager of a platform in the operator's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerView {
    pub account_id: AccountId,
    pub name: String,
    #[schema(format = Email)]
    pub email: String,
    pub invited_at: jiff::Timestamp,
    /// Whether the manager accepted the invitation (set a password).
    pub accepted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerList {
    /// By name.
    pub managers: Vec<ManagerView>,
}

/// The managers of a platform.
#[utoipa::path(get, path = "/platforms/{platform_id}/managers", tag = "platforms",
    params(("platform_id" = PlatformId, Path, description = "The platform.")),
    responses((status = 200, description = "Its managers.", body = ManagerList)))]
pub async fn list_managers(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
) -> Result<Json<ManagerList>> {
    load_platform(&state, &platform_id).await?;
    let entries = state.table.query_all(managers_of(&platform_id)).await?;
    let mut managers = Vec::with_capacity(entries.len());
    for item in entries {
        let entry: ManagerEntry = from_item(item)?;
        let login = manager_login(&state, &entry).await?;
        managers.push(ManagerView {
            accepted: login.is_some_and(|l| l.confirmed),
            account_id: entry.account_id,
            name: entry.name,
            email: entry.email,
            invited_at: entry.invited_at,
        });
    }
    managers.sort_by_key(|m| m.name.to_lowercase());
    Ok(Json(ManagerList { managers }))
}

/// The manager's login record, if it is still that account's.
async fn manager_login(state: &AppState, entry: &ManagerEntry) -> Result<Option<Login>> {
    let Ok(email) = Email::parse(&entry.email) else {
        return Ok(None);
    };
    let key = login_key(&Scope::Platform, &LoginName::from_email(&email));
    let login: Option<Login> = state.table.get(&key).await?.map(from_item).transpose()?;
    Ok(login.filter(|l| l.account_id == entry.account_id))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ManagerRemoved {
    /// Always `removed`.
    pub status: String,
    /// The platforms the account still manages; none: its login is disabled.
    pub remaining_platforms: Vec<PlatformId>,
}

/// Remove a manager from a platform.
///
/// The manager's tokens are refused at once and its sessions end at their next refresh; one
/// who manages other platforms logs in again for those, one who managed only this one can no
/// longer log in (as a disabled account) until invited again.
#[utoipa::path(delete, path = "/platforms/{platform_id}/managers/{account_id}", tag = "platforms",
    params(
        ("platform_id" = PlatformId, Path, description = "The platform."),
        ("account_id" = AccountId, Path, description = "The manager's account."),
    ),
    responses(
        (status = 200, description = "Removed.", body = ManagerRemoved),
        (status = 409, response = Conflict),
    ))]
pub async fn remove_manager(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath((platform_id, account_id)): ApiPath<(PlatformId, AccountId)>,
) -> Result<Json<ManagerRemoved>> {
    let entry: ManagerEntry = state
        .table
        .get(&manager_key(&platform_id, &account_id))
        .await?
        .map(from_item)
        .transpose()?
        .ok_or_else(|| Error::NotFound("Diese Person verwaltet die Plattform nicht.".into()))?;
    let mut ops = vec![
        TxOp::Delete {
            key: manager_key(&platform_id, &account_id),
            cond: Cond::Exists,
        }
        .named(step::ENTRY),
    ];
    let mut remaining = Vec::new();
    if let Some(login) = manager_login(&state, &entry).await? {
        remaining = login
            .platforms
            .iter()
            .filter(|p| **p != platform_id)
            .cloned()
            .collect::<Vec<_>>();
        let mut updates = vec![
            Update::Set(accounts::attr::PLATFORMS, serde_json::to_value(&remaining)?),
            // Every session and link of the account ends.
            Update::Add(accounts::attr::GENERATION, 1),
        ];
        let why = if remaining.is_empty() {
            updates.push(Update::Set(accounts::attr::DISABLED, true.into()));
            Ended::Disabled
        } else {
            Ended::Changed
        };
        ops.push(
            TxOp::Update {
                key: login.key(),
                ops: updates,
                cond: Cond::All(vec![
                    accounts::current(&login.account_id, login.generation),
                    Cond::Eq(
                        accounts::attr::PLATFORMS,
                        serde_json::to_value(&login.platforms)?,
                    ),
                ]),
            }
            .named(step::LOGIN),
        );
        ops.push(revoke_op(&login.account_id, why, state.clock.epoch()));
    }
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: step::ENTRY,
        }) => {
            return Err(Error::NotFound(
                "Diese Person verwaltet die Plattform nicht.".into(),
            ));
        }
        Err(StoreError::TxCancelled {
            failed: step::LOGIN,
        }) => {
            return Err(Error::Conflict(
                "Das Konto wurde gerade geändert. Bitte versuchen Sie es erneut.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(platform_id = %platform_id, manager_id = %account_id, "manager removed");
    Ok(Json(ManagerRemoved {
        status: "removed".into(),
        remaining_platforms: remaining,
    }))
}
