//! The signed-in account's own login record, and the confirmation of its current password
//! that changing the password, the login address and closing the account ask for
//! (docs/registration.md, The account).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use shared::auth::{Authenticated, Claims, Revocations, Role, Scope};
use shared::domain::PartnerId;
use shared::env::AppState;
use shared::http::Validator;
use shared::model::accounts::{self, Found, LoginName, login_key};
use shared::model::partners::Partner;
use shared::model::{from_item, partners};
use shared::store::Key;
use shared::{Error, FieldError, Result};

use crate::login;

/// The field a signed-in request names the current password in.
pub const CURRENT_PASSWORD: &str = "current_password";

/// The partition prefix of [`subject_key`].
const SUBJECT_PREFIX: &str = "SUBJECT#";

/// The current password as a request gives it: 1 to 128 characters (no password is longer).
pub fn check_current(v: &mut Validator, value: &str) {
    let n = value.chars().count();
    v.require(CURRENT_PASSWORD, n > 0, "fehlt");
    v.require(
        CURRENT_PASSWORD,
        n <= 128,
        "darf höchstens 128 Zeichen lang sein",
    );
}

/// An operator, manager or partner signed in platform-wide (the accounts that log in with
/// their e-mail address), whose token no closing of the account has ended since.
#[derive(Debug, Clone)]
pub struct PlatformAccount(pub Claims);

impl FromRequestParts<AppState> for PlatformAccount {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        let platform_role = matches!(claims.role, Role::Operator | Role::Manager | Role::Partner);
        if !platform_role || claims.scope != Scope::Platform {
            return Err(Error::Forbidden(
                "Diese Funktion steht Ihrer Rolle nicht zur Verfügung.".into(),
            ));
        }
        Revocations::from_ref(state).check(&claims).await?;
        Ok(Self(claims))
    }
}

/// The login record an attempt at the password counts against, and the account's own
/// record if it is the token's subject's.
#[derive(Debug, Clone)]
pub struct OwnLogin {
    /// The record the attempt is counted on (the throttle's account).
    pub key: Key,
    pub found: Option<Found>,
}

/// The signed-in account's login record. A partner's is found through its profile's
/// address; an operator's or a manager's through the address the request names (`named`),
/// since nothing else leads from the token's subject to it. Either way the record counts
/// only if it is the token subject's own (same account id and role), so no account can
/// reach another's; a record that is not is answered like a wrong password.
pub async fn own_login(
    state: &AppState,
    claims: &Claims,
    named: Option<&LoginName>,
) -> Result<OwnLogin> {
    let name = match (claims.role, named) {
        (_, Some(name)) => name.clone(),
        (Role::Partner, None) => {
            let partner = PartnerId::from_raw(claims.sub.as_str());
            let Some(item) = state.table.get(&partners::partner_key(&partner)).await? else {
                return Err(Error::NotFound("Partnerkonto nicht gefunden.".into()));
            };
            LoginName::from_email(&from_item::<Partner>(item)?.email)
        }
        (_, None) => return Err(Error::field("login", "fehlt")),
    };
    let found = accounts::find(state.table.as_ref(), &Scope::Platform, &name)
        .await?
        .filter(|f| {
            f.login.account_id.as_str() == claims.sub
                && f.login.role == claims.role
                && !f.state.disabled
        });
    // A record not the caller's own is never confirmed, and the attempt counts on the
    // caller: naming another account must not run that account's login into the throttle.
    let key = match &found {
        Some(own) => own.login.key(),
        None if named.is_none() => login_key(&Scope::Platform, &name),
        None => subject_key(claims),
    };
    Ok(OwnLogin { key, found })
}

/// Where the attempts of a signed-in caller are counted when the login it named is not its
/// own: a counter of the token's subject, apart from every login record (only its hash
/// names the throttle's record, `login::attempt`).
fn subject_key(claims: &Claims) -> Key {
    Key::new(format!("{SUBJECT_PREFIX}{}", claims.sub), SUBJECT_PREFIX)
}

/// The 422 of a wrong current password, at its field.
pub fn wrong_password() -> Error {
    Error::UnprocessableFields {
        detail: "Das aktuelle Passwort ist nicht richtig.".into(),
        errors: vec![FieldError::new(
            CURRENT_PASSWORD,
            "ist nicht Ihr aktuelles Passwort",
        )],
    }
}

/// Confirms the current password of the signed-in account, counted like a login attempt
/// (`login::attempt`: 429 after five failures of the account from one client in 15
/// minutes, the login's own counter): the account's login record, or 422 naming
/// `current_password`.
pub async fn confirm_password(
    state: &AppState,
    client: &str,
    own: OwnLogin,
    password: &str,
) -> Result<Found> {
    let hash = own
        .found
        .as_ref()
        .and_then(|f| f.login.password_hash.as_deref());
    let right = login::attempt(state, client, &own.key, hash, password).await?;
    own.found.filter(|_| right).ok_or_else(wrong_password)
}
