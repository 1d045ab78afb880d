//! `POST /auth/login`: a 15-minute EdDSA JWT for any account kind, within its scope, with
//! per-account throttling.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{PLATFORM_SCOPE, Scope, TOKEN_LIFETIME_SECS, dummy_hash, verify_password};
use shared::crypto::sha256_hex;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::ApiJson;
use shared::model::accounts::{self, LoginName, login_key};
use shared::openapi::{Forbidden, TooManyRequests, Unauthorized};
use shared::store::{Attr, Cond, Key, TTL, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::replies::LoginReply;

/// Failed attempts allowed per account and window before logins are refused with 429.
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;

const THROTTLE_PREFIX: &str = "THROTTLE#";
const WINDOW_PREFIX: &str = "LOGIN#";
const FAILURES: Attr = "failures";

fn platform_scope() -> String {
    PLATFORM_SCOPE.to_string()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"login": "anna@baeckerei-mueller.de", "password": "sehr-geheim-123"}))]
pub struct Credentials {
    /// An e-mail address, or a terminal user's username (`email` is accepted too).
    #[serde(alias = "email")]
    pub login: String,
    pub password: String,
    /// `platform` (operators, managers, partners) or a tenant scope: `pos`, `cardholder`,
    /// `customer`, `enduser`.
    #[serde(default = "platform_scope")]
    #[schema(default = "platform")]
    pub scope: String,
    /// The merchant (or, for end users, the platform) of a tenant scope: a UUID, so text
    /// that is none is a 400 naming `tenant`, not a failed login.
    #[serde(default)]
    pub tenant: Option<RecordId>,
}

/// The failure counter of one account in the current window; keyed by a hash so that the
/// login name itself is not in the key.
fn throttle_key(login: &Key, now: i64) -> Key {
    Key::new(
        format!("{THROTTLE_PREFIX}{}", sha256_hex(login.pk.as_bytes())),
        format!("{WINDOW_PREFIX}{}", now / WINDOW_SECS),
    )
}

/// 429 until the current window ends, saying when that is.
fn throttled(now: i64) -> Error {
    let window_end = (now.div_euclid(WINDOW_SECS) + 1) * WINDOW_SECS;
    let secs = u64::try_from(window_end - now).unwrap_or(1);
    let minutes = secs.div_ceil(60);
    let wait = if minutes == 1 {
        "einer Minute".to_string()
    } else {
        format!("{minutes} Minuten")
    };
    Error::too_many_requests(
        format!(
            "Zu viele fehlgeschlagene Anmeldeversuche. Bitte versuchen Sie es in {wait} erneut oder setzen Sie Ihr Passwort zurück."
        ),
        secs,
    )
}

fn wrong_credentials() -> Error {
    Error::Unauthorized("Anmeldename oder Passwort ist falsch.".into())
}

/// Log in: a bearer token valid for 15 minutes.
///
/// Unknown login and wrong password answer alike (401); after 5 failures in 15 minutes
/// the account is refused with 429 for the rest of the window.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, description = "Logged in.", body = LoginReply),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<Value>> {
    let scope = Scope::from_parts(
        body.scope.trim(),
        body.tenant.as_ref().map(RecordId::as_str),
    )
    .map_err(|m| Error::field("scope", m))?;
    // A malformed login name cannot have an account: same answer as a wrong password.
    let name = LoginName::parse(&body.login).map_err(|_| wrong_credentials())?;
    let key = login_key(&scope, &name);
    let now = state.clock.epoch();
    let throttle = throttle_key(&key, now);
    if let Some(counter) = state.table.get(&throttle).await?
        && counter.get(FAILURES).and_then(Value::as_i64).unwrap_or(0) >= MAX_FAILURES
    {
        return Err(throttled(now));
    }

    // A second login name (a customer's username) leads to the account's own record.
    let (login, disabled) = match accounts::find(state.table.as_ref(), &scope, &name).await? {
        Some(found) => (Some(found.login), found.state.disabled),
        None => (None, false),
    };
    // Unknown accounts are verified against a dummy hash so both cases cost the same.
    let hash = login
        .as_ref()
        .and_then(|l| l.password_hash.as_deref())
        .unwrap_or_else(|| dummy_hash());
    let password_ok = verify_password(&body.password, hash);
    let Some(login) = login.filter(|l| password_ok && l.password_hash.is_some()) else {
        state
            .table
            .update(
                &throttle,
                &[
                    Update::Add(FAILURES, 1),
                    Update::Set(TTL, (now + 2 * WINDOW_SECS).into()),
                ],
                Cond::Always,
            )
            .await?;
        return Err(wrong_credentials());
    };
    // Only after the password: a disabled account is not revealed to guessers.
    if disabled {
        return Err(Error::Forbidden(
            "Dieser Zugang ist gesperrt. Bitte wenden Sie sich an den Anbieter, der ihn eingerichtet hat."
                .into(),
        ));
    }
    if !login.confirmed {
        return Err(Error::Forbidden(
            "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in unserer E-Mail."
                .into(),
        ));
    }
    let issuer = state.issuer.as_ref().ok_or_else(|| {
        Error::internal(std::io::Error::other(
            "registration runs without its signing key",
        ))
    })?;
    let token = issuer
        .issue_scoped(
            login.account_id.as_str(),
            login.role,
            login.tenant(),
            login.token_platforms(),
            login.scope.clone(),
            now,
        )
        .map_err(Error::internal)?;
    // The last login, as the account's owner sees it (a supplier's customer list).
    state
        .table
        .update(
            &login.key(),
            &[Update::Set(
                accounts::attr::LAST_LOGIN_AT,
                serde_json::to_value(state.clock.now())?,
            )],
            Cond::Exists,
        )
        .await?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "role": login.role.as_str(),
        "scope": login.scope.to_string(),
    })))
}
