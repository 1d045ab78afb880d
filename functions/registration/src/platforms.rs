//! Bank platforms: the public list, creation by the operator, inviting managers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::auth::{OperatorAuth, Role, Scope};
use shared::domain::{AccountId, Email, Month, PartnerId, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::mail::pending::PendingMails;
use shared::model::accounts::{self, LOGIN_GUARD, Login, LoginName, login_key};
use shared::model::platforms::{ManagerEntry, PLATFORMS_INDEX, Platform, platform_key};
use shared::model::stored_email::StoredEmail;
use shared::model::tokens::{self, TokenFor, TokenKind};
use shared::model::{from_item, partners};
use shared::openapi::Conflict;
use shared::store::{Cond, Index, Query, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::mails;
use crate::replies::{ManagerInvited, Platforms};

/// The console's login a manager's invitation leads on to.
const MANAGER_LOGIN_PAGE: &str = "/plattform/anmelden";

/// A bank customer platform and its monthly fee.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformView {
    pub id: PlatformId,
    pub name: String,
    /// Net, in euro cents: the fee of the current month (Europe/Berlin).
    pub monthly_fee_cents: i64,
    /// The same, German notation (`49,00 €`).
    pub monthly_fee: String,
    /// Fee changes from a later month on, oldest first; absent when none is stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upcoming_fees: Option<Vec<UpcomingFee>>,
}

/// A monthly fee that applies from a later month on.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpcomingFee {
    /// The first month billed at the fee.
    #[schema(value_type = String, example = "2027-01")]
    pub from: Month,
    /// Net, in euro cents.
    pub monthly_fee_cents: i64,
    /// The same, German notation.
    pub monthly_fee: String,
}

impl PlatformView {
    /// The platform as it is billed in `this_month`, with the changes after it.
    pub fn of(p: Platform, this_month: Month) -> Self {
        let fee = p.fee_in(this_month);
        let upcoming: Vec<UpcomingFee> = p
            .fee_changes
            .iter()
            .filter(|c| c.from > this_month)
            .map(|c| UpcomingFee {
                from: c.from,
                monthly_fee_cents: c.fee.0,
                monthly_fee: c.fee.to_string(),
            })
            .collect();
        Self {
            upcoming_fees: (!upcoming.is_empty()).then_some(upcoming),
            monthly_fee: fee.to_string(),
            monthly_fee_cents: fee.0,
            id: p.platform_id,
            name: p.name,
        }
    }
}

/// The names of the steps of inviting a manager.
mod step {
    pub const ADD_PLATFORM: &str = "add_platform";
    pub const MANAGER_ENTRY: &str = "manager_entry";
}

/// The manager's entry in the platform's list of managers (the operator's console reads it).
fn entry_put(entry: &ManagerEntry, platform: &PlatformId) -> Result<shared::store::Named> {
    Ok(TxOp::Put {
        item: entry.to_item(platform)?,
        cond: Cond::Always,
    }
    .named(step::MANAGER_ENTRY))
}

/// A manager who manages the platform already: 409, unless it was invited before the
/// platform listed its managers, whose entry is written now (200), so the operator can see
/// and remove it.
async fn listed_already(
    state: &AppState,
    platform_id: &PlatformId,
    existing: &Login,
    email: &Email,
) -> Result<(StatusCode, Json<Value>)> {
    let entry = ManagerEntry {
        account_id: existing.account_id.clone(),
        name: existing.name.clone(),
        email: email.as_str().to_string(),
        invited_at: existing.created_at,
    };
    match state
        .table
        .put(entry.to_item(platform_id)?, Cond::NotExists)
        .await
    {
        Ok(()) => Ok((
            StatusCode::OK,
            Json(json!({ "status": "added", "platform_id": platform_id })),
        )),
        Err(StoreError::ConditionFailed) => Err(Error::Conflict(
            "Diese Person verwaltet die Plattform bereits.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn load_platform(state: &AppState, platform_id: &PlatformId) -> Result<Platform> {
    let item = state
        .table
        .get(&platform_key(platform_id))
        .await?
        .ok_or_else(|| Error::NotFound("Plattform nicht gefunden.".into()))?;
    from_item(item)
}

/// Every platform with its monthly fee, by name; public.
#[utoipa::path(get, path = "/platforms", tag = "platforms",
    responses((status = 200, description = "The platforms.", body = Platforms)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>> {
    let this_month = Month::of(state.clock.today());
    let platforms = state
        .table
        .query_all(Query::partition(Index::Gsi1, PLATFORMS_INDEX))
        .await?
        .into_iter()
        .map(|item| from_item::<Platform>(item).map(|p| PlatformView::of(p, this_month)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(json!({ "platforms": platforms })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sparkasse Vorteilswelt", "monthly_fee_cents": 4900}))]
pub struct NewPlatform {
    /// 1–100 characters.
    pub name: String,
    /// Net, in euro cents, up to 100.000,00 €.
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub monthly_fee_cents: i64,
}

/// Create a platform.
#[utoipa::path(post, path = "/platforms", tag = "platforms", request_body = NewPlatform,
    responses(
        (status = 201, description = "The new platform.", body = PlatformView),
        (status = 409, response = Conflict),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiJson(body): ApiJson<NewPlatform>,
) -> Result<(StatusCode, Json<PlatformView>)> {
    let mut v = Validator::new();
    let name = v.text("name", &body.name, 100);
    let fee = v.cents("monthly_fee_cents", body.monthly_fee_cents);
    v.finish()?;
    let (Some(name), Some(fee)) = (name, fee) else {
        return Err(Error::field("name", "fehlt"));
    };
    let platform = Platform {
        platform_id: PlatformId::generate(),
        name,
        monthly_fee: fee,
        created_at: state.clock.now(),
        fee_changes: Vec::new(),
        revision: 0,
    };
    state
        .table
        .put(platform.to_item()?, Cond::NotExists)
        .await?;
    tracing::info!(platform_id = %platform.platform_id, "platform created");
    let this_month = Month::of(state.clock.today());
    Ok((
        StatusCode::CREATED,
        Json(PlatformView::of(platform, this_month)),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "max@sparkasse.example", "name": "Max Manager"}))]
pub struct ManagerInvite {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(value_type = shared::openapi::Text<200>, inline)]
    pub name: String,
}

/// Invite a manager of a platform.
///
/// A new address gets an invitation with a set-password link (valid for 7 days); an existing
/// manager gets the platform added to its list.
#[utoipa::path(post, path = "/platforms/{platform_id}/managers", tag = "platforms",
    params(("platform_id" = PlatformId, Path, description = "The platform to manage.")),
    request_body = ManagerInvite,
    responses(
        (status = 201, description = "Invited.", body = ManagerInvited),
        (status = 200, description = "An existing manager now manages this platform too.", body = ManagerInvited),
        (status = 409, response = Conflict),
    ))]
pub async fn invite_manager(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiJson(body): ApiJson<ManagerInvite>,
) -> Result<(StatusCode, Json<Value>)> {
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    let name = v.text("name", &body.name, 200);
    v.finish()?;
    let (Some(email), Some(name)) = (email, name) else {
        return Err(Error::field("email", "fehlt"));
    };
    let platform = load_platform(&state, &platform_id).await?;

    let key = login_key(&Scope::Platform, &LoginName::from_email(&email));
    let existing: Option<Login> = state.table.get(&key).await?.map(from_item).transpose()?;
    // A sign-up nobody confirmed does not keep the address from being invited.
    let unconfirmed = existing.clone().filter(Login::is_unconfirmed_sign_up);
    if let Some(existing) = existing.filter(|_| unconfirmed.is_none()) {
        if existing.role != Role::Manager {
            return Err(Error::Conflict(
                "Diese E-Mail-Adresse gehört zu einem Konto mit einer anderen Rolle.".into(),
            ));
        }
        if existing.platforms.contains(&platform_id) {
            return listed_already(&state, &platform_id, &existing, &email).await;
        }
        let mut platforms = existing.platforms.clone();
        platforms.push(platform_id.clone());
        let entry = ManagerEntry {
            account_id: existing.account_id.clone(),
            name: existing.name.clone(),
            email: email.as_str().to_string(),
            invited_at: state.clock.now(),
        };
        let outgoing = PendingMails::of(&state);
        let (mail, mail_op) = outgoing.enqueue(mails::render(
            &email,
            mails::MANAGER_ADDED,
            &[("name", &existing.name), ("platform", &platform.name)],
        ))?;
        state
            .table
            .transact(vec![
                TxOp::Update {
                    key,
                    // A manager removed from every platform before works again.
                    ops: vec![
                        Update::Set(accounts::attr::PLATFORMS, serde_json::to_value(&platforms)?),
                        Update::Set(accounts::attr::DISABLED, false.into()),
                    ],
                    cond: Cond::Eq(
                        accounts::attr::PLATFORMS,
                        serde_json::to_value(&existing.platforms)?,
                    ),
                }
                .named(step::ADD_PLATFORM),
                entry_put(&entry, &platform_id)?,
                mail_op,
            ])
            .await?;
        outgoing.deliver(mail).await;
        return Ok((
            StatusCode::OK,
            Json(json!({ "status": "added", "platform_id": platform_id })),
        ));
    }

    let manager_id = AccountId::generate();
    let now = state.clock.now();
    let login = Login {
        scope: Scope::Platform,
        login: LoginName::from_email(&email),
        email: StoredEmail::login_name(&email),
        account_id: manager_id.clone(),
        role: Role::Manager,
        password_hash: None,
        confirmed: false,
        name: name.clone(),
        platforms: vec![platform_id.clone()],
        created_at: now,
        generation: 0,
    };
    let (token, token_put) = tokens::issue(TokenFor::of(TokenKind::Invite, &login), now)?;
    // After the password is set, on to the console's login.
    let link = shared::mail::link_then(
        &state.public_base_url,
        "einladung",
        &token,
        MANAGER_LOGIN_PAGE,
    );
    let outgoing = PendingMails::of(&state);
    let (mail, mail_op) = outgoing.enqueue(mails::render(
        &email,
        mails::MANAGER_INVITE,
        &[
            ("name", &name),
            ("platform", &platform.name),
            ("link", &link),
            ("token", &token),
        ],
    ))?;
    let entry = ManagerEntry {
        account_id: manager_id.clone(),
        name: name.clone(),
        email: email.as_str().to_string(),
        invited_at: now,
    };
    let mut ops = vec![token_put, entry_put(&entry, &platform_id)?, mail_op];
    match &unconfirmed {
        // Its links die with it; its partner profile goes.
        Some(old) => ops.extend([
            login.replace_unconfirmed(old)?,
            partners::drop_unconfirmed_op(&PartnerId::from_raw(old.account_id.as_str())),
        ]),
        None => ops.push(login.guard_put()?),
    }
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: LOGIN_GUARD | partners::UNCONFIRMED_OP,
        }) => {
            return Err(Error::Conflict(
                "Diese E-Mail-Adresse ist bereits vergeben.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(mail).await;
    tracing::info!(platform_id = %platform_id, manager_id = %manager_id, "manager invited");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "status": "invited", "manager_id": manager_id, "platform_id": platform_id })),
    ))
}
