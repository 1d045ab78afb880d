//! Terminal users: the merchant's till logins (role `pos`, by username, invited by mail).
//! Their number is what the card contract charges, so every change is written together
//! with the contract's count history.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{Ended, PartnerAuth, Role, Scope, revoke_op};
use shared::domain::{Email, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::accounts::{self, Invitation, LoginName, login_key};
use shared::model::contracts::cards::{self as contract, CONTRACT_OP};
use shared::model::partners::{partner_key, partner_pk};
use shared::model::{from_item, to_item};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{
    Attr, Cond, Index, Key, Named, Query, SkCond, StoreError, Table, TxOp, Update,
};
use shared::{Error, Result};
use utoipa::ToSchema;

const TERMINAL_PREFIX: &str = "CARDS#TERMINAL#";
const ACTIVE: Attr = "active";
const DISABLED_ON: Attr = "disabled_on";
const TERMINAL_OP: &str = "terminal_user";
/// Two merchants' staff changing terminal users at the same moment is rare: a few tries.
const CONTRACT_TRIES: usize = 5;

pub fn terminal_key(partner: &PartnerId, login: &LoginName) -> Key {
    Key::new(partner_pk(partner), format!("{TERMINAL_PREFIX}{login}"))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TerminalUser {
    pub username: String,
    pub name: String,
    pub active: bool,
    pub created_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_on: Option<Date>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "kasse-1", "name": "Kasse Filiale Mitte", "email": "filiale-mitte@baeckerei-mueller.de"}))]
pub struct NewTerminalUser {
    /// 3–64 characters: a-z, 0-9, `.`, `_`, `-`.
    pub username: String,
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub name: String,
    /// Where the invitation to set the password goes.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TerminalUsers {
    pub terminal_users: Vec<TerminalUser>,
}

async fn company(state: &AppState, partner: &PartnerId) -> Result<String> {
    let item = state.table.get(&partner_key(partner)).await?;
    Ok(item
        .and_then(|i| {
            i.get(shared::model::partners::attr::COMPANY)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Ihr Händler".into()))
}

/// Create a terminal user; the invitation to set a password goes by mail. From today the
/// contract charges one terminal user more.
#[utoipa::path(post, path = "/cards/terminal-users", tag = "cards", request_body = NewTerminalUser,
    responses(
        (status = 201, description = "Created and invited.", body = TerminalUser),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<NewTerminalUser>,
) -> Result<(StatusCode, Json<TerminalUser>)> {
    let mut v = Validator::new();
    let login = v.check("username", LoginName::parse(&body.username));
    v.require(
        "username",
        !body.username.contains('@'),
        "ist ein Benutzername, keine E-Mail-Adresse",
    );
    let name = v.text("name", &body.name, 100);
    let email = v.check("email", Email::parse(&body.email));
    v.finish()?;
    let (Some(login), Some(name), Some(email)) = (login, name, email) else {
        return Err(Error::field("username", "fehlt"));
    };
    let table = state.table.as_ref();
    let scope = Scope::Pos(auth.partner_id.clone());
    let inviter = company(&state, &auth.partner_id).await?;
    let today = state.clock.today();
    let user = TerminalUser {
        username: login.to_string(),
        name: name.clone(),
        active: true,
        created_on: today,
        disabled_on: None,
    };
    for _ in 0..CONTRACT_TRIES {
        if table.get(&login_key(&scope, &login)).await?.is_some() {
            return Err(Error::Conflict(format!(
                "Der Benutzername {login} ist bereits vergeben."
            )));
        }
        let c = contract::require(table, &auth.partner_id).await?;
        if !c.runs_on(today) {
            return Err(Error::Unprocessable(
                "Der Kartenvertrag ist beendet.".into(),
            ));
        }
        let (_, contract_op) = c.change_terminal_users(today, 1)?;
        let record = TxOp::Put {
            item: to_item(&terminal_key(&auth.partner_id, &login), &user)?,
            // The login guard keeps the name unique; a disabled user's record is reused.
            cond: Cond::Always,
        }
        .named(TERMINAL_OP);
        let invitation = Invitation {
            scope: scope.clone(),
            login: login.clone(),
            email: email.clone(),
            name: name.clone(),
            role: Role::Pos,
            inviter: inviter.clone(),
            then: None,
        };
        match accounts::create_invited(&state, invitation, vec![record, contract_op]).await {
            Ok(_) => {
                tracing::info!(partner_id = %auth.partner_id, "terminal user created");
                return Ok((StatusCode::CREATED, Json(user)));
            }
            // The contract changed meanwhile, or the name was just taken: look again.
            Err(Error::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict.into())
}

/// The merchant's terminal users, active and disabled.
#[utoipa::path(get, path = "/cards/terminal-users", tag = "cards",
    responses((status = 200, description = "The terminal users.", body = TerminalUsers)))]
pub async fn list(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<TerminalUsers>> {
    let terminal_users = all_of(state.table.as_ref(), &auth.partner_id).await?;
    Ok(Json(TerminalUsers { terminal_users }))
}

/// What disabling a terminal user came to.
#[derive(Debug)]
pub enum Disabled {
    Done(TerminalUser),
    AlreadyDisabled,
}

/// Disable a terminal user: the login is removed (a token already issued lapses within
/// 15 minutes) and from today the contract charges one terminal user less.
#[utoipa::path(post, path = "/cards/terminal-users/{username}/disable", tag = "cards",
    params(("username" = String, Path, description = "The terminal user's login name.")),
    responses(
        (status = 200, description = "Disabled.", body = TerminalUser),
        (status = 409, response = Conflict),
    ))]
pub async fn disable(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(username): ApiPath<String>,
) -> Result<Json<TerminalUser>> {
    let not_found = || Error::NotFound("Kassenzugang nicht gefunden.".into());
    let login = LoginName::parse(&username).map_err(|_| not_found())?;
    let table = state.table.as_ref();
    let item = table
        .get(&terminal_key(&auth.partner_id, &login))
        .await?
        .ok_or_else(not_found)?;
    let user: TerminalUser = from_item(item)?;
    let (today, now) = (state.clock.today(), state.clock.epoch());
    match disable_user(table, &auth.partner_id, user, today, now).await? {
        Disabled::Done(user) => Ok(Json(user)),
        Disabled::AlreadyDisabled => Err(Error::Conflict(
            "Der Kassenzugang ist bereits deaktiviert.".into(),
        )),
    }
}

/// The merchant's terminal users, active and disabled.
pub async fn all_of(table: &dyn Table, partner: &PartnerId) -> Result<Vec<TerminalUser>> {
    table
        .query_all(
            Query::partition(Index::Primary, partner_pk(partner))
                .sk(SkCond::BeginsWith(TERMINAL_PREFIX.into())),
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Removes a terminal user's login, marks the user disabled on `today` and counts one
/// terminal user less in the contract, in one transaction; the tokens the user holds,
/// issued up to `now` (epoch seconds), are refused from then on.
pub async fn disable_user(
    table: &dyn Table,
    partner: &PartnerId,
    mut user: TerminalUser,
    today: Date,
    now: i64,
) -> Result<Disabled> {
    if !user.active {
        return Ok(Disabled::AlreadyDisabled);
    }
    let login = LoginName::parse(&user.username)
        .map_err(|_| Error::NotFound("Kassenzugang nicht gefunden.".into()))?;
    let key = terminal_key(partner, &login);
    let login_key = login_key(&Scope::Pos(partner.clone()), &login);
    let account = match table.get(&login_key).await? {
        Some(item) => Some(from_item::<accounts::Login>(item)?.account_id),
        None => None,
    };
    for _ in 0..CONTRACT_TRIES {
        let c = contract::require(table, partner).await?;
        let (_, contract_op) = c.change_terminal_users(today, -1)?;
        let mut ops: Vec<Named> = vec![
            TxOp::Update {
                key: key.clone(),
                ops: vec![
                    Update::Set(ACTIVE, false.into()),
                    Update::Set(DISABLED_ON, today.to_string().into()),
                ],
                cond: Cond::Eq(ACTIVE, true.into()),
            }
            .named(TERMINAL_OP),
            contract_op,
            TxOp::Delete {
                key: login_key.clone(),
                cond: Cond::Always,
            }
            .named("login"),
        ];
        if let Some(account) = &account {
            ops.push(revoke_op(account, Ended::Disabled, now));
        }
        match table.transact(ops).await {
            Ok(()) => {
                user.active = false;
                user.disabled_on = Some(today);
                return Ok(Disabled::Done(user));
            }
            Err(StoreError::TxCancelled {
                failed: CONTRACT_OP,
            }) => continue,
            Err(StoreError::TxCancelled {
                failed: TERMINAL_OP,
            }) => return Ok(Disabled::AlreadyDisabled),
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}
