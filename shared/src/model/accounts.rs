//! Accounts and their logins (DESIGN §6). Registration serves login, password reset and
//! invitation accept for every account kind; other functions create tenant-scoped accounts
//! (terminal users, cardholders, a supplier's customers, end users) through [`create_invited`].
//!
//! The login record is the uniqueness guard and the credentials at once: its key holds the
//! scope and the login name, so one e-mail address can hold accounts in several scopes.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::auth::{Role, Scope};
use crate::crypto::DataKey;
use crate::domain::{AccountId, Email, PlatformId};
use crate::env::Env;
use crate::mail::pending::PendingMails;
use crate::mail::{Mail, Template, link};
use crate::store::{Cond, Item, Key, Named, StoreError, Table, TxOp};
use crate::{Error, Result};

use super::stored_email::StoredEmail;
use super::tokens::{self, TokenFor, TokenKind};

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
}

impl Login {
    pub fn key(&self) -> Key {
        login_key(&self.scope, &self.login)
    }

    pub fn to_item(&self) -> Result<Item> {
        super::to_item(&self.key(), self)
    }

    /// The put that claims the login name in its scope; fails as [`LOGIN_GUARD`].
    pub fn guard_put(&self) -> Result<Named> {
        Ok(TxOp::Put {
            item: self.to_item()?,
            cond: Cond::NotExists,
        }
        .named(LOGIN_GUARD))
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

/// An account another function creates and invites to set its password.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub scope: Scope,
    pub login: LoginName,
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// Who invites, as the mail names them (e.g. the merchant's company).
    pub inviter: String,
}

impl Invitation {
    /// The login record the invitation creates, without a password until it is accepted.
    pub fn login_record(&self, account_id: &AccountId, now: Timestamp, key: &DataKey) -> Login {
        Login {
            scope: self.scope.clone(),
            login: self.login.clone(),
            email: StoredEmail::of_login(&self.email, &self.login, key),
            account_id: account_id.clone(),
            role: self.role,
            password_hash: None,
            confirmed: false,
            name: self.name.clone(),
            platforms: vec![],
            created_at: now,
        }
    }
}

const ACCOUNT_INVITE: Template = Template {
    text: include_str!("../../templates/account_invite.txt"),
    html: include_str!("../../templates/account_invite.html"),
};

/// What the invited person gets, in German.
fn access_label(scope: &Scope) -> &'static str {
    match scope {
        Scope::Platform => "Zugang",
        Scope::Pos(_) => "Kassenzugang",
        Scope::Cardholder(_) => "Kundenkarten-Konto",
        Scope::Customer(_) => "digitales Kundenkonto",
        Scope::EndUser(_) => "Kundenkonto",
    }
}

/// The access with its indefinite article in the accusative ("hat für Sie … eingerichtet"):
/// a Zugang is masculine, a Konto neuter.
fn access_accusative(scope: &Scope) -> &'static str {
    match scope {
        Scope::Platform => "einen Zugang",
        Scope::Pos(_) => "einen Kassenzugang",
        Scope::Cardholder(_) => "ein Kundenkarten-Konto",
        Scope::Customer(_) => "ein digitales Kundenkonto",
        Scope::EndUser(_) => "ein Kundenkonto",
    }
}

/// Where an invitation link leads (the web front end's set-password page).
pub const INVITATION_PATH: &str = "einladung";

/// Creates an invited account: its login guard, an invitation token, the invitation mail
/// (outbox) and the caller's own records (`extra`, e.g. the terminal user) in one
/// transaction; the mail is delivered after the commit.
/// 409 when the login name is taken in that scope.
pub async fn create_invited(
    env: &Env,
    invitation: Invitation,
    extra: Vec<Named>,
) -> Result<AccountId> {
    create_invited_as(env, AccountId::generate(), invitation, extra).await
}

/// As [`create_invited`], with an account id the caller chose, so its own records in `extra`
/// can name the account. A failed [`ALIAS_GUARD`] in `extra` is a 409 as well.
pub async fn create_invited_as(
    env: &Env,
    account_id: AccountId,
    invitation: Invitation,
    extra: Vec<Named>,
) -> Result<AccountId> {
    let (table, clock) = (env.table.as_ref(), env.clock.as_ref());
    if !invitation.scope.admits(invitation.role) {
        return Err(Error::internal(std::io::Error::other(
            "role does not belong to the scope",
        )));
    }
    let now = clock.now();
    let login = invitation.login_record(&account_id, now, &env.data_key);
    let (token, token_put) = tokens::issue(
        TokenFor {
            kind: TokenKind::Invite,
            scope: &login.scope,
            login: &login.login,
            email: &login.email,
            account_id: &account_id,
        },
        now,
    )?;
    let outgoing = PendingMails {
        table,
        mailer: env.mailer.as_ref(),
        clock,
    };
    let (mail, mail_op) = outgoing.enqueue(Mail::render(
        &invitation.email,
        ACCOUNT_INVITE,
        &[
            ("name", &invitation.name),
            ("inviter", &invitation.inviter),
            ("access", access_label(&invitation.scope)),
            ("an_access", access_accusative(&invitation.scope)),
            ("login", invitation.login.as_str()),
            ("link", &link(&env.public_base_url, INVITATION_PATH, &token)),
        ],
    ))?;
    let mut ops = vec![login.guard_put()?, token_put, mail_op];
    ops.extend(extra);
    match table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: LOGIN_GUARD,
        }) => {
            return Err(Error::Conflict(format!(
                "Der Anmeldename {} ist hier bereits vergeben.",
                invitation.login
            )));
        }
        Err(StoreError::TxCancelled {
            failed: ALIAS_GUARD,
        }) => {
            return Err(Error::Conflict(
                "Der Benutzername ist hier bereits vergeben.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(mail).await;
    Ok(account_id)
}

/// The transaction operation of [`reinvite`] that requires the invitation still open.
pub const NOT_YET_ACCEPTED: &str = "not_yet_accepted";

/// Sends an invited account a new invitation (a fresh 7-day token; earlier links stay valid
/// until they expire). 409 once the account has set its password.
pub async fn reinvite(env: &Env, login: &Login, inviter: &str) -> Result<()> {
    let (table, clock) = (env.table.as_ref(), env.clock.as_ref());
    let (token, token_put) = tokens::issue(
        TokenFor {
            kind: TokenKind::Invite,
            scope: &login.scope,
            login: &login.login,
            email: &login.email,
            account_id: &login.account_id,
        },
        clock.now(),
    )?;
    let outgoing = PendingMails {
        table,
        mailer: env.mailer.as_ref(),
        clock,
    };
    let (mail, mail_op) = outgoing.enqueue(Mail::render(
        &login.email.open(&env.data_key)?,
        ACCOUNT_INVITE,
        &[
            ("name", &login.name),
            ("inviter", inviter),
            ("access", access_label(&login.scope)),
            ("an_access", access_accusative(&login.scope)),
            ("login", login.login.as_str()),
            ("link", &link(&env.public_base_url, INVITATION_PATH, &token)),
        ],
    ))?;
    let open = TxOp::Check {
        key: login.key(),
        cond: Cond::Eq(attr::CONFIRMED, false.into()),
    }
    .named(NOT_YET_ACCEPTED);
    match table.transact(vec![open, token_put, mail_op]).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: NOT_YET_ACCEPTED,
        }) => {
            return Err(Error::Conflict(
                "Die Einladung wurde bereits angenommen; für ein neues Passwort gibt es „Passwort vergessen“.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(mail).await;
    Ok(())
}

#[cfg(test)]
mod grammar_tests {
    use super::*;

    #[test]
    fn every_scope_reads_as_correct_german_in_the_invitation() {
        let partner = crate::domain::PartnerId::generate();
        for (scope, expected) in [
            (Scope::Platform, "einen Zugang"),
            (Scope::Pos(partner.clone()), "einen Kassenzugang"),
            (Scope::Cardholder(partner.clone()), "ein Kundenkarten-Konto"),
            (Scope::Customer(partner), "ein digitales Kundenkonto"),
        ] {
            assert_eq!(access_accusative(&scope), expected);
            assert!(access_accusative(&scope).ends_with(access_label(&scope)));
        }
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
