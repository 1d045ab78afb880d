//! Refresh sessions (docs/registration.md, Sessions): a login starts a session family; its
//! refresh token travels only in an `HttpOnly; Secure; SameSite=Strict` cookie on `/auth`,
//! is stored as a SHA-256 hash, and is used once: each refresh takes the token and gives a
//! new one of the same family. A token used again more than [`GRACE_SECS`] after its first
//! use means it was copied: the whole family ends. Within that window it gives another
//! token of the family: the browser lost the answer that carried the new cookie (a reload
//! or a lost connection during the refresh), or two tabs refreshed at once. A family lives as long as its scope's working span (a till's shift, a
//! partner's working day, a cardholder's "angemeldet bleiben"), not longer however often it
//! is refreshed; a password change or a disabled or deleted account ends it at the next
//! refresh.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::auth::Scope;
use shared::crypto::{random_token, sha256_hex};
use shared::domain::{AccountId, new_id};
use shared::model::accounts::{Login, LoginState};
use shared::model::from_item;
use shared::store::{Cond, Key, StoreError, TTL, Table, TxOp, Update};
use shared::{Error, Result};

/// The cookie's name and the only path it is sent to.
pub const COOKIE: &str = "pn_refresh";
pub const COOKIE_PATH: &str = "/auth";

const SESSION_PREFIX: &str = "SESSION#";
const FAMILY_PREFIX: &str = "SESSION_FAMILY#";

mod attr {
    use shared::store::Attr;
    pub const USED: Attr = "used";
    pub const USED_AT: Attr = "used_at";
    pub const REVOKED: Attr = "revoked";
}

/// Steps of a refresh's transaction.
mod step {
    pub const TAKE: &str = "take_refresh_token";
    pub const FAMILY: &str = "family_alive";
    pub const NEW: &str = "new_refresh_token";
}

/// How long after its first use a refresh token still gives a token of its family instead
/// of ending it: long enough for a reload or a retry over a slow network, short enough that
/// a copy used later is caught. (OAuth 2.0 Security BCP §4.14.2 allows such a window.)
pub const GRACE_SECS: i64 = 30;

/// How long a session family lives, by scope.
pub fn lifetime_secs(scope: &Scope) -> i64 {
    const HOUR: i64 = 3600;
    match scope {
        // A till's shift, with room for overtime: the cashier logs in once.
        Scope::Pos(_) => 12 * HOUR,
        // A working day of a partner, a manager or the operator.
        Scope::Platform => 10 * HOUR,
        // "Angemeldet bleiben" on the own phone.
        Scope::Cardholder(_) | Scope::Customer(_) | Scope::EndUser(_) => 30 * 24 * HOUR,
    }
}

fn session_key(token: &str) -> Key {
    Key::new(
        format!("{SESSION_PREFIX}{}", sha256_hex(token.as_bytes())),
        "SESSION",
    )
}

fn family_key(family: &str) -> Key {
    Key::new(format!("{FAMILY_PREFIX}{family}"), "FAMILY")
}

/// One refresh token, by its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Session {
    family: String,
    /// The login record's key, read again at each refresh.
    login_pk: String,
    login_sk: String,
    account_id: AccountId,
    /// The login's generation when the family started: a password change ends it.
    generation: i64,
    /// Epoch seconds the family ends at.
    expires_at: i64,
    used: bool,
    /// Epoch seconds of the first use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    used_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Family {
    revoked: bool,
    expires_at: i64,
}

/// A refresh token to set as the cookie, and for how many seconds.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub max_age: i64,
}

impl Issued {
    /// The `Set-Cookie` value.
    pub fn cookie(&self) -> String {
        format!(
            "{COOKIE}={}; HttpOnly; Secure; SameSite=Strict; Path={COOKIE_PATH}; Max-Age={}",
            self.token, self.max_age
        )
    }
}

/// The `Set-Cookie` value that removes the cookie.
pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path={COOKIE_PATH}; Max-Age=0")
}

/// The refresh token in a `Cookie` header, if any.
pub fn from_cookie_header(header: Option<&str>) -> Option<String> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|value| (20..=100).contains(&value.len()))
}

fn session_item(token: &str, session: &Session) -> Result<shared::store::Item> {
    let mut item = shared::model::to_item(&session_key(token), session)?;
    item.insert(TTL.into(), Value::from(session.expires_at));
    Ok(item)
}

/// Starts a family for a login that just proved its password.
pub async fn start(table: &dyn Table, login: &Login, now: i64) -> Result<Issued> {
    let max_age = lifetime_secs(&login.scope);
    let family = new_id();
    let key = login.key();
    let session = Session {
        family: family.clone(),
        login_pk: key.pk,
        login_sk: key.sk,
        account_id: login.account_id.clone(),
        generation: login.generation,
        expires_at: now + max_age,
        used: false,
        used_at: None,
    };
    let token = random_token();
    let mut family_item = shared::model::to_item(
        &family_key(&family),
        &Family {
            revoked: false,
            expires_at: now + max_age,
        },
    )?;
    family_item.insert(TTL.into(), Value::from(now + max_age));
    table
        .transact(vec![
            TxOp::Put {
                item: family_item,
                cond: Cond::NotExists,
            }
            .named(step::FAMILY),
            TxOp::Put {
                item: session_item(&token, &session)?,
                cond: Cond::NotExists,
            }
            .named(step::NEW),
        ])
        .await?;
    Ok(Issued { token, max_age })
}

fn ended() -> Error {
    Error::Unauthorized("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.".into())
}

async fn revoke_family(table: &dyn Table, family: &str) -> Result<()> {
    table
        .update(
            &family_key(family),
            &[Update::Set(attr::REVOKED, true.into())],
            Cond::Exists,
        )
        .await
        .map(|_| ())
        .or_else(|e| match e {
            StoreError::ConditionFailed => Ok(()),
            e => Err(e.into()),
        })
}

/// Takes a refresh token and gives the next one, with the login it belongs to; 401 for a
/// token unknown, used before (its family ends), expired, or of an account that changed.
pub async fn refresh(table: &dyn Table, token: &str, now: i64) -> Result<(Login, Issued)> {
    let Some(item) = table.get(&session_key(token)).await? else {
        return Err(ended());
    };
    let session: Session = from_item(item)?;
    let within_grace = |used_at: Option<i64>| used_at.is_some_and(|at| now - at <= GRACE_SECS);
    if session.used && !within_grace(session.used_at) {
        tracing::warn!("a refresh token was used twice: its session family ends");
        revoke_family(table, &session.family).await?;
        return Err(ended());
    }
    if session.expires_at <= now {
        return Err(ended());
    }
    let family: Option<Family> = match table.get(&family_key(&session.family)).await? {
        Some(item) => Some(from_item(item)?),
        None => None,
    };
    if family.is_none_or(|f| f.revoked || f.expires_at <= now) {
        return Err(ended());
    }
    let login_key = Key::new(session.login_pk.clone(), session.login_sk.clone());
    let Some(item) = table.get(&login_key).await? else {
        return Err(ended());
    };
    let state: LoginState = from_item(item.clone())?;
    let login: Login = from_item(item)?;
    if state.disabled
        || login.account_id != session.account_id
        || login.generation != session.generation
    {
        revoke_family(table, &session.family).await?;
        return Err(ended());
    }
    let next = random_token();
    let successor = Session {
        used: false,
        used_at: None,
        ..session.clone()
    };
    let mut ops = Vec::with_capacity(3);
    // A token already taken (within the window) is not taken again.
    if !session.used {
        ops.push(
            TxOp::Update {
                key: session_key(token),
                ops: vec![
                    Update::Set(attr::USED, true.into()),
                    Update::Set(attr::USED_AT, now.into()),
                ],
                cond: Cond::Eq(attr::USED, false.into()),
            }
            .named(step::TAKE),
        );
    }
    ops.push(
        TxOp::Check {
            key: family_key(&session.family),
            cond: Cond::Eq(attr::REVOKED, false.into()),
        }
        .named(step::FAMILY),
    );
    ops.push(
        TxOp::Put {
            item: session_item(&next, &successor)?,
            cond: Cond::NotExists,
        }
        .named(step::NEW),
    );
    let result = table.transact(ops).await;
    match result {
        Ok(()) => Ok((
            login,
            Issued {
                token: next,
                max_age: session.expires_at - now,
            },
        )),
        // Taken by a parallel refresh this very moment (two tabs): within the window, so
        // this one gets a token of the family too.
        Err(StoreError::TxCancelled { failed: step::TAKE }) => {
            Box::pin(refresh(table, token, now)).await
        }
        Err(StoreError::TxCancelled {
            failed: step::FAMILY,
        }) => Err(ended()),
        Err(e) => Err(e.into()),
    }
}

/// Ends the family of a refresh token (logout); an unknown token ends nothing.
pub async fn end(table: &dyn Table, token: &str) -> Result<()> {
    if let Some(item) = table.get(&session_key(token)).await? {
        let session: Session = from_item(item)?;
        revoke_family(table, &session.family).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_read_back_and_set_strictly_on_the_auth_path() {
        let issued = Issued {
            token: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
            max_age: 36000,
        };
        let cookie = issued.cookie();
        for part in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/auth",
            "Max-Age=36000",
        ] {
            assert!(cookie.contains(part), "{part} in {cookie}");
        }
        let header = format!("theme=dunkel; {COOKIE}={}; other=1", issued.token);
        assert_eq!(from_cookie_header(Some(&header)), Some(issued.token));
        assert_eq!(from_cookie_header(Some("theme=dunkel")), None);
        assert_eq!(from_cookie_header(None), None);
        assert!(cleared_cookie().contains("Max-Age=0"));
    }
}
