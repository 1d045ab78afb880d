//! Accounts and logins (docs/architecture.md §6). Registration serves login, password reset and
//! invitation accept for every account kind; other functions create tenant-scoped accounts
//! (terminal users, cardholders, a supplier's customers, end users) through [`create_invited`].
//!
//! The login record is the uniqueness guard and the credentials at once: its key holds the
//! scope and the login name, so one e-mail address can hold accounts in several scopes.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::auth::{Role, Scope};
use crate::domain::{AccountId, Email, PlatformId};
use crate::store::{Cond, GSI1PK, GSI1SK, Item, Key, Named, Table, TxOp};

use super::stored_email::StoredEmail;

// The functions that invite need the whole environment (mail, data key); the redirect
// builds without it.
#[cfg(all(feature = "s3", feature = "ses"))]
mod invitations;
#[cfg(all(feature = "s3", feature = "ses"))]
pub use invitations::{
    INVITATION_PATH, Invitation, NOT_YET_ACCEPTED, create_invited, create_invited_as, reinvite,
};

const LOGIN_PREFIX: &str = "LOGIN#";
const LOGIN_SK: &str = "LOGIN";
/// The transaction operation that keeps one account per login name and scope.
pub const LOGIN_GUARD: &str = "login_guard";
/// The transaction operation that claims a second login name (a username) for an account.
pub const ALIAS_GUARD: &str = "alias_guard";

/// Attribute names of the login record that are updated in place.
pub mod attr {
    use crate::store::Attr;
    pub const PASSWORD_HASH: Attr = "password_hash";
    pub const CONFIRMED: Attr = "confirmed";
    pub const PLATFORMS: Attr = "platforms";
    /// A disabled account cannot log in; see [`super::LoginState`].
    pub const NAME: Attr = "name";
    pub const DISABLED: Attr = "disabled";
    /// On a second login name: the account's own login name it stands for.
    pub const ALIAS_OF: Attr = "alias_of";
    pub const LAST_LOGIN_AT: Attr = "last_login_at";
    /// The account the record belongs to; a login name deleted and created again belongs
    /// to another account.
    pub const ACCOUNT_ID: Attr = "account_id";
    /// The credentials' generation: counts up whenever the password is set or the account
    /// is disabled, so every one-time link issued before is dead (see [`super::current`]).
    pub const GENERATION: Attr = "generation";
    pub const ROLE: Attr = "role";
    /// Where mails for the account go ([`super::Login::email`]).
    pub const EMAIL: Attr = "email";
    /// The login name the record is kept under ([`super::Login::login`]).
    pub const LOGIN: Attr = "login";
    /// When a partner closed its account ([`super::LoginState::closed_at`]).
    pub const CLOSED_AT: Attr = "closed_at";
}

/// What a person types to log in: an e-mail address, or a username (terminal users), both
/// compared in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LoginName(String);

impl LoginName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        if trimmed.contains('@') {
            return Email::parse(trimmed).map(|e| Self::from_email(&e));
        }
        let name = trimmed.to_lowercase();
        let allowed = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
        if !(3..=64).contains(&name.len()) || !name.chars().all(allowed) {
            return Err(
                "muss eine E-Mail-Adresse oder ein Benutzername aus 3 bis 64 Zeichen (a-z, 0-9, . _ -) sein",
            );
        }
        Ok(Self(name))
    }

    pub fn from_email(email: &Email) -> Self {
        Self(email.as_str().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LoginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LoginName {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<LoginName> for String {
    fn from(l: LoginName) -> Self {
        l.0
    }
}

pub fn login_key(scope: &Scope, login: &LoginName) -> Key {
    Key::new(format!("{LOGIN_PREFIX}{scope}#{login}"), LOGIN_SK)
}

/// The index partition of every platform manager's login, by account id.
pub const MANAGERS_INDEX: &str = "MANAGERS";

/// The login guard and credentials of one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub scope: Scope,
    pub login: LoginName,
    /// Where mails for this account go.
    pub email: StoredEmail,
    pub account_id: AccountId,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    pub confirmed: bool,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub platforms: Vec<PlatformId>,
    pub created_at: Timestamp,
    /// See [`attr::GENERATION`]; records written before read as generation 0.
    #[serde(default)]
    pub generation: i64,
}

/// The condition a write on an account's login record carries when a one-time link of it
/// is used: the record is still the same account (not deleted, not created again) at the
/// generation the link was issued for (no password set, no disabling since).
pub fn current(account_id: &AccountId, generation: i64) -> Cond {
    let generation = if generation == 0 {
        // Records written before generations were counted have none.
        Cond::LtOrAbsent(attr::GENERATION, 1)
    } else {
        Cond::Eq(attr::GENERATION, generation.into())
    };
    Cond::All(vec![
        Cond::Eq(attr::ACCOUNT_ID, account_id.as_str().into()),
        generation,
    ])
}

/// The condition of a write that replaces `old`, a login nobody has confirmed: it is still
/// that account, at its generation, and still unconfirmed.
pub fn still_unconfirmed(old: &Login) -> Cond {
    Cond::All(vec![
        current(&old.account_id, old.generation),
        Cond::Eq(attr::CONFIRMED, false.into()),
    ])
}

impl Login {
    pub fn key(&self) -> Key {
        login_key(&self.scope, &self.login)
    }

    /// The item; a manager's also in [`MANAGERS_INDEX`] (the daily digest finds them there).
    pub fn to_item(&self) -> Result<Item> {
        let mut item = super::to_item(&self.key(), self)?;
        if self.role == Role::Manager {
            item.insert(GSI1PK.into(), MANAGERS_INDEX.into());
            item.insert(GSI1SK.into(), self.account_id.as_str().into());
        }
        Ok(item)
    }

    /// The put that claims the login name in its scope; fails as [`LOGIN_GUARD`].
    pub fn guard_put(&self) -> Result<Named> {
        Ok(TxOp::Put {
            item: self.to_item()?,
            cond: Cond::NotExists,
        }
        .named(LOGIN_GUARD))
    }

    /// The put that gives the login name of `old`, a sign-up or invitation nobody has
    /// confirmed, to this new account; fails as [`LOGIN_GUARD`] once `old` is confirmed or
    /// changed. Links issued for `old` are dead from then on (another account id).
    pub fn replace_unconfirmed(&self, old: &Login) -> Result<Named> {
        Ok(TxOp::Put {
            item: self.to_item()?,
            cond: still_unconfirmed(old),
        }
        .named(LOGIN_GUARD))
    }

    /// Whether this is a partner's sign-up whose address nobody has confirmed: the login
    /// name is free for the next sign-up or invitation.
    pub fn is_unconfirmed_sign_up(&self) -> bool {
        self.scope == Scope::Platform && self.role == Role::Partner && !self.confirmed
    }

    /// The tenant a token of this account carries: a partner acts for itself; a
    /// tenant-scoped account belongs to its merchant.
    pub fn tenant(&self) -> Option<String> {
        match (&self.scope, self.role) {
            (Scope::Platform, Role::Partner) => Some(self.account_id.to_string()),
            (scope, _) => scope.partner().map(ToString::to_string),
        }
    }

    /// Platforms in the token: a manager's, or an end user's one platform.
    pub fn token_platforms(&self) -> Vec<String> {
        match &self.scope {
            Scope::EndUser(platform) => vec![platform.to_string()],
            _ => self.platforms.iter().map(ToString::to_string).collect(),
        }
    }
}

/// What the kit keeps beside the credentials on a login record, read from the same item:
/// whether the account is disabled, whether this record is only a second login name, and the
/// last successful login. Kept out of [`Login`] so records written before stay valid.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoginState {
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<LoginName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_at: Option<Timestamp>,
    /// A partner closed its account then: the record is disabled and holds no password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
}

/// An account's login record as login, reset and the owning function see it.
#[derive(Debug, Clone)]
pub struct Found {
    pub login: Login,
    pub state: LoginState,
}

/// The account that logs in with `name` in `scope`: its own login record, also when `name`
/// is a second login name (a username) of it. One read, two for a username.
pub async fn find(table: &dyn Table, scope: &Scope, name: &LoginName) -> Result<Option<Found>> {
    let Some(item) = table.get(&login_key(scope, name)).await? else {
        return Ok(None);
    };
    let state: LoginState = super::from_item(item.clone())?;
    let Some(primary) = state.alias_of else {
        return Ok(Some(Found {
            login: super::from_item(item)?,
            state,
        }));
    };
    let Some(item) = table.get(&login_key(scope, &primary)).await? else {
        return Ok(None);
    };
    Ok(Some(Found {
        login: super::from_item(item.clone())?,
        state: super::from_item(item)?,
    }))
}

impl Login {
    /// The put that claims `alias` as a second login name of this account in its scope;
    /// fails as [`ALIAS_GUARD`]. The alias record holds no password: [`find`] follows it.
    pub fn alias_put(&self, alias: &LoginName) -> Result<Named> {
        let record = Login {
            login: alias.clone(),
            password_hash: None,
            ..self.clone()
        };
        let mut item = record.to_item()?;
        item.insert(attr::ALIAS_OF.into(), self.login.as_str().into());
        Ok(TxOp::Put {
            item,
            cond: Cond::NotExists,
        }
        .named(ALIAS_GUARD))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_are_emails_or_plain_usernames() {
        assert_eq!(
            LoginName::parse(" Kasse-1 ").map(|l| l.0),
            Ok("kasse-1".into())
        );
        assert_eq!(
            LoginName::parse("Anna@Example.de").map(|l| l.0),
            Ok("anna@example.de".into())
        );
        assert!(LoginName::parse("ab").is_err());
        assert!(LoginName::parse("kasse 1").is_err());
        assert!(LoginName::parse("kein@domain").is_err());
    }

    #[test]
    fn one_address_has_one_key_per_scope() {
        let name = LoginName::parse("anna@example.de").unwrap_or_else(|e| panic!("{e}"));
        let a = login_key(
            &Scope::Cardholder(crate::domain::PartnerId::from_raw("m1")),
            &name,
        );
        let b = login_key(
            &Scope::Cardholder(crate::domain::PartnerId::from_raw("m2")),
            &name,
        );
        assert_ne!(a, b);
        assert_ne!(a, login_key(&Scope::Platform, &name));
    }
}
