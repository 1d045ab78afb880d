//! `POST /auth/password`: an operator, a manager or a partner changes its password, signed
//! in and with the current one (docs/registration.md, The account).

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::AppendHeaders;
use serde::Deserialize;
use shared::auth::hash_password;
use shared::domain::Password;
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::mail::pending::PendingMails;
use shared::model::accounts::{self, Login, LoginName};
use shared::openapi::{Conflict, TooManyRequests, Unprocessable};
use shared::store::{StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::login::{self, Client, Signed};
use crate::replies::PasswordChanged;
use crate::signed_in::{self, PlatformAccount};
use crate::{mails, sessions};

/// Steps of the change's transaction.
mod step {
    pub const LOGIN: &str = "new_password";
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "mein-bisheriges-passwort", "new_password": "ein-ganz-neues-passwort"}))]
pub struct PasswordChange {
    /// The password the account logs in with now.
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: String,
    /// 10 to 128 characters, not the current one.
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
    /// Operators and managers: the address they log in with (nothing in their token leads
    /// to it). Partners leave it out; given, it must be their own.
    #[serde(default)]
    #[schema(format = Email, max_length = 254)]
    pub login: Option<String>,
}

/// The input, checked: the new password and the login address named, if any.
fn checked(body: &PasswordChange) -> Result<(Password, Option<LoginName>)> {
    let mut v = Validator::new();
    let new = v.check("new_password", Password::parse(&body.new_password));
    v.require(
        "new_password",
        body.new_password != body.current_password,
        "muss sich von Ihrem aktuellen Passwort unterscheiden",
    );
    signed_in::check_current(&mut v, &body.current_password);
    let login = match body.login.as_deref() {
        Some(raw) => v.check("login", LoginName::parse(raw)),
        None => None,
    };
    v.finish()?;
    let new = new.ok_or_else(|| Error::field("new_password", "fehlt"))?;
    Ok((new, login))
}

/// Change the password of the signed-in operator, manager or partner.
///
/// Needs the current password, counted like a login attempt (429 after five failures of the
/// account from one client in 15 minutes; 422 naming `current_password` when it is wrong).
/// Every other session of the account ends at its next refresh; this one goes on with the
/// access token and the refresh cookie of the answer. The account holder gets a mail that
/// the password was changed.
#[utoipa::path(post, path = "/auth/password", tag = "auth", request_body = PasswordChange,
    responses(
        (status = 200, description = "Changed; a new access token, and `Set-Cookie` carries a new refresh session.", body = PasswordChanged),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    Client(client): Client,
    PlatformAccount(claims): PlatformAccount,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Signed> {
    let (new, named) = checked(&body)?;
    let own = signed_in::own_login(&state, &claims, named.as_ref()).await?;
    let found = signed_in::confirm_password(&state, &client, own, &body.current_password).await?;
    let login = changed(&state, found.login, &new).await?;
    let mut reply = login::access(&state, &login)?;
    reply["message"] =
        "Ihr Passwort wurde geändert. Auf anderen Geräten melden Sie sich bitte neu an.".into();
    // The other sessions end with the old generation; this one starts afresh.
    let session = sessions::start(state.table.as_ref(), &login, state.clock.epoch()).await?;
    tracing::info!(account_id = %login.account_id, "password changed");
    Ok((AppendHeaders([(SET_COOKIE, session.cookie())]), Json(reply)))
}

/// Stores the new password's hash and counts the generation up (every session and one-time
/// link of the account issued before ends), with the mail that tells the account holder;
/// the login as it is now.
async fn changed(state: &AppState, mut login: Login, new: &Password) -> Result<Login> {
    let hash = hash_password(new.expose())?;
    let to = login.email.open(state.data_key()?)?;
    let changed_at = mails::german_time(state.clock.now());
    let link = mails::forgot_password_link(&state.public_base_url);
    let outgoing = PendingMails::of(state);
    let (mail, mail_op) = outgoing.enqueue(mails::render(
        &to,
        mails::PASSWORD_CHANGED,
        &[
            ("name", login.name.as_str()),
            ("login", login.login.as_str()),
            ("changed_at", &changed_at),
            ("link", &link),
        ],
    ))?;
    let ops = vec![
        TxOp::Update {
            key: login.key(),
            ops: vec![
                Update::Set(accounts::attr::PASSWORD_HASH, hash.clone().into()),
                Update::Add(accounts::attr::GENERATION, 1),
            ],
            // The account as the password was checked on: not changed meanwhile.
            cond: accounts::current(&login.account_id, login.generation),
        }
        .named(step::LOGIN),
        mail_op,
    ];
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: step::LOGIN,
        }) => {
            return Err(Error::Conflict(
                "Ihr Zugang wurde gerade geändert. Bitte melden Sie sich neu an und versuchen Sie es noch einmal."
                    .into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(mail).await;
    login.password_hash = Some(hash);
    login.generation += 1;
    Ok(login)
}
