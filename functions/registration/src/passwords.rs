//! Setting passwords through one-time links: reset (`/auth/password-reset[/confirm]`) and
//! manager invitations (`/auth/invitations/accept`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::hash_password;
use shared::domain::{Email, Password};
use shared::http::{ApiJson, Validator};
use shared::store::{Cond, Update};
use shared::{Error, Result};

use crate::records::{Login, from_item, login_key};
use crate::state::AppState;
use crate::tokens::{self, TokenKind};
use crate::{mails, now_epoch};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// Always 202, known address or not.
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<Value>)> {
    let email = Email::parse(&body.email).map_err(|m| Error::field("email", m))?;
    if let Some(item) = state.table.get(&login_key(&email)).await? {
        let login: Login = from_item(item)?;
        let (token, put) = tokens::issue(TokenKind::Reset, &email, &login.account_id, now_epoch())?;
        state.table.transact(vec![put]).await?;
        let link = mails::link(&state.public_base_url, "passwort-zuruecksetzen", &token);
        mails::send(
            state.mailer.as_ref(),
            &email,
            mails::PASSWORD_RESET,
            &[("link", &link), ("token", &token)],
        )
        .await?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "message": "Wenn ein Konto zu dieser Adresse besteht, haben wir einen Link zum Zurücksetzen gesendet."
        })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub token: String,
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
        now_epoch(),
        |t| {
            let mut ops = vec![Update::Set("password_hash", hash.clone().into())];
            // Accepting an invitation proves the mailbox, as confirming does.
            if kind == TokenKind::Invite {
                ops.push(Update::Set("confirmed", true.into()));
            }
            Ok(vec![
                shared::store::TxOp::Update {
                    key: login_key(&t.email),
                    ops,
                    cond: Cond::Exists,
                }
                .named("set_password"),
            ])
        },
    )
    .await?;
    Ok(Json(json!({
        "status": "password_set",
        "message": "Ihr Passwort wurde gespeichert. Sie können sich jetzt anmelden."
    })))
}

pub async fn confirm_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<Json<Value>> {
    set_password(&state, body, TokenKind::Reset).await
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewPassword>,
) -> Result<Json<Value>> {
    set_password(&state, body, TokenKind::Invite).await
}
