//! Setting passwords through one-time links, for every account kind: reset
//! (`/auth/password-reset[/confirm]`) and invitations (`/auth/invitations/accept`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{Role, Scope, hash_password};
use shared::domain::PartnerId;
use shared::domain::Password;
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::mail::limit as mail_limit;
use shared::model::accounts::{self, LoginName};
use shared::model::partners;
use shared::model::tokens::{self, TokenFor, TokenKind};
use shared::openapi::Gone;
use shared::store::{TTL, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use shared::mail::pending::PendingMails;

use crate::mails;
use crate::replies::{Message, StatusMessage};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"login": "anna@baeckerei-mueller.de"}))]
pub struct ResetRequest {
    /// The e-mail address or username the account logs in with (`email` is accepted too).
    #[serde(alias = "email")]
    pub login: String,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    /// The app's page the link leads on to once the new password is set (the login the
    /// person came from, e.g. `/kundenkonto/kanzlei-berger`); else the partner's login.
    #[serde(default)]
    #[schema(example = "/kundenkonto/kanzlei-berger", max_length = 200)]
    pub weiter: Option<String>,
}

/// The app's page a reset link opens.
const RESET_PAGE: &str = "passwort-zuruecksetzen";

/// Ask for a password-reset link.
///
/// Always 202, known account or not; the link is valid for one hour.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses((status = 202, description = "A link is on its way if the account exists.", body = Message)))]
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<Value>)> {
    let mut v = Validator::new();
    let name = v.check("login", LoginName::parse(&body.login));
    let scope = v.check(
        "scope",
        Scope::from_parts(
            body.scope
                .as_deref()
                .unwrap_or(shared::auth::PLATFORM_SCOPE),
            body.tenant.as_deref(),
        ),
    );
    let weiter = match body.weiter.as_deref() {
        Some(path) => v.check("weiter", shared::mail::app_path(path)),
        None => None,
    };
    v.finish()?;
    let (Some(name), Some(scope)) = (name, scope) else {
        return Err(Error::field("login", "fehlt"));
    };
    // Known address or not, the same answer at the same moment (docs/registration.md,
    // "Answers that tell nothing").
    let clock = state.clock.clone();
    shared::steady::in_steady_time(clock.as_ref(), send_reset_link(state, scope, name, weiter))
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "message": "Wenn ein Konto zu dieser Adresse besteht, haben wir einen Link zum Zurücksetzen gesendet."
        })),
    ))
}

/// The reset link for the account `name` logs in with in `scope`, if there is one and it
/// is not disabled (a username finds the account too), within the address's hourly mails.
async fn send_reset_link(
    state: AppState,
    scope: Scope,
    name: LoginName,
    weiter: Option<String>,
) -> Result<()> {
    let Some(found) = accounts::find(state.table.as_ref(), &scope, &name).await? else {
        return Ok(());
    };
    if found.state.disabled {
        return Ok(());
    }
    let login = found.login;
    let to = login.email.open(state.data_key()?)?;
    let (token, put) = tokens::issue(TokenFor::of(TokenKind::Reset, &login), state.clock.now())?;
    let link = match &weiter {
        Some(next) => shared::mail::link_then(&state.public_base_url, RESET_PAGE, &token, next),
        None => mails::link(&state.public_base_url, RESET_PAGE, &token),
    };
    let outgoing = PendingMails::of(&state);
    let (mail, mail_op) = outgoing.enqueue(mails::render(
        &to,
        mails::PASSWORD_RESET,
        &[("link", &link), ("token", &token)],
    ))?;
    let limit = mail_limit::count_op(&to, state.clock.epoch());
    match state.table.transact(vec![put, mail_op, limit]).await {
        Ok(()) => {
            outgoing.deliver(mail).await;
            Ok(())
        }
        Err(e) if mail_limit::is_exhausted(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "qvJ3vYl0p1m1k8Z7dQ2xY4rT6uW9aB3cD5eF7gH9iJ0", "password": "neues-passwort-123"}))]
pub struct NewPassword {
    /// The token from the link in the e-mail.
    pub token: String,
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

async fn set_password(state: &AppState, body: NewPassword, kind: TokenKind) -> Result<Json<Value>> {
    let mut v = Validator::new();
    let password = v.check("password", Password::parse(&body.password));
    v.require("token", !body.token.trim().is_empty(), "fehlt");
    v.finish()?;
    let Some(password) = password else {
        return Err(Error::field("password", "fehlt"));
    };
    let hash = hash_password(password.expose())?;
    tokens::redeem(
        state.table.as_ref(),
        body.token.trim(),
        kind,
        state.clock.now(),
        |t| {
            // The password set ends every link issued before (the generation counts up),
            // and, invitation or reset, the link proved the mailbox: the address is
            // confirmed and an unconfirmed sign-up no longer expires.
            let mut ops = vec![t.account_update(vec![
                Update::Set(accounts::attr::PASSWORD_HASH, hash.clone().into()),
                Update::Add(accounts::attr::GENERATION, 1),
                Update::Set(accounts::attr::CONFIRMED, true.into()),
                Update::Remove(TTL),
            ])];
            if t.scope == Scope::Platform && t.role == Some(Role::Partner) {
                ops.push(partners::confirm_op(&PartnerId::from_raw(
                    t.account_id.as_str(),
                )));
            }
            Ok(ops)
        },
    )
    .await?;
    Ok(Json(json!({
        "status": "password_set",
        "message": "Ihr Passwort wurde gespeichert. Sie können sich jetzt anmelden."
    })))
}

/// Set a new password with the token from the reset e-mail.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", request_body = NewPassword,
    responses(
        (status = 200, description = "The password is set.", body = StatusMessage),
        (status = 410, response = Gone),
    ))]
pub async fn confirm_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<Json<Value>> {
    set_password(&state, body, TokenKind::Reset).await
}

/// Accept an invitation (a manager's, or another account's) by choosing a password.
#[utoipa::path(post, path = "/auth/invitations/accept", tag = "auth", request_body = NewPassword,
    responses(
        (status = 200, description = "The password is set; the account can log in.", body = StatusMessage),
        (status = 410, response = Gone),
    ))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<Json<Value>> {
    set_password(&state, body, TokenKind::Invite).await
}
