//! `POST /auth/login`: a 15-minute EdDSA JWT for any role, with per-account throttling.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{Role, TOKEN_LIFETIME_SECS, dummy_hash, verify_password};
use shared::crypto::sha256_hex;
use shared::domain::Email;
use shared::http::ApiJson;
use shared::store::{Cond, Key, Update};
use shared::{Error, Result};

use crate::now_epoch;
use crate::records::{Login, from_item, login_key};
use crate::state::AppState;

/// Failed attempts allowed per account and window before logins are refused with 429.
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// The failure counter of one account in the current window; keyed by a hash so that the
/// address itself is not in the key.
fn throttle_key(email: &Email, now: i64) -> Key {
    Key::new(
        format!("THROTTLE#{}", sha256_hex(email.as_str().as_bytes())),
        format!("LOGIN#{}", now / WINDOW_SECS),
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
    Error::Unauthorized("E-Mail-Adresse oder Passwort ist falsch.".into())
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<Value>> {
    // A malformed address cannot have an account: same answer as a wrong password.
    let email = Email::parse(&body.email).map_err(|_| wrong_credentials())?;
    let now = now_epoch();
    let throttle = throttle_key(&email, now);
    if let Some(counter) = state.table.get(&throttle).await?
        && counter.get("failures").and_then(Value::as_i64).unwrap_or(0) >= MAX_FAILURES
    {
        return Err(throttled(now));
    }

    let login: Option<Login> = match state.table.get(&login_key(&email)).await? {
        Some(item) => Some(from_item(item)?),
        None => None,
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
                    Update::Add("failures", 1),
                    Update::Set("ttl", (now + 2 * WINDOW_SECS).into()),
                ],
                Cond::Always,
            )
            .await?;
        return Err(wrong_credentials());
    };
    if !login.confirmed {
        return Err(Error::Forbidden(
            "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in unserer E-Mail."
                .into(),
        ));
    }
    let tenant = (login.role == Role::Partner).then(|| login.account_id.clone());
    let token = state
        .issuer
        .issue(
            &login.account_id,
            login.role,
            tenant,
            login.platforms.clone(),
            now,
        )
        .map_err(Error::internal)?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "role": login.role.as_str(),
    })))
}
