//! Accounts another function creates (terminal users, cardholders, a supplier's customers,
//! end users): the login without a password, an invitation token and the German mail that
//! leads to setting it.

use jiff::Timestamp;

use crate::auth::{Role, Scope};
use crate::crypto::DataKey;
use crate::domain::{AccountId, Email};
use crate::env::Env;
use crate::mail::pending::{PendingMail, PendingMails};
use crate::mail::{Mail, Template, link, link_then};
use crate::model::stored_email::StoredEmail;
use crate::model::tokens::{self, TokenFor, TokenKind};
use crate::store::{Cond, Named, StoreError, TxOp};
use crate::{Error, Result};

use super::{ALIAS_GUARD, LOGIN_GUARD, Login, LoginName, attr};

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
    /// The app's page the person goes on to once the password is set (e.g. a supplier's
    /// customer page `/kundenkonto/<slug>`); `None`: the login of the account's kind.
    pub then: Option<String>,
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
            generation: 0,
        }
    }
}

const ACCOUNT_INVITE: Template = Template {
    text: include_str!("../../../templates/account_invite.txt"),
    html: include_str!("../../../templates/account_invite.html"),
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

/// The invitation's link: a terminal user goes on from setting the password to the login of
/// its merchant's till (`/kasse/<merchant>/anmelden`, the till's one URL), a cardholder to
/// the login of the merchant's cardholder pages (`/karte/<merchant>/anmelden`), an end user
/// to the login of its platform's benefits (`/vorteile/<platform>/anmelden`); every other
/// account to its kind's login, which the set-password page offers.
fn invitation_link(base_url: &str, scope: &Scope, token: &str, then: Option<&str>) -> String {
    if let Some(then) = then {
        return link_then(base_url, INVITATION_PATH, token, then);
    }
    match scope {
        Scope::Pos(merchant) => link_then(
            base_url,
            INVITATION_PATH,
            token,
            &format!("/kasse/{merchant}/anmelden"),
        ),
        Scope::Cardholder(merchant) => link_then(
            base_url,
            INVITATION_PATH,
            token,
            &format!("/karte/{merchant}/anmelden"),
        ),
        Scope::EndUser(platform) => link_then(
            base_url,
            INVITATION_PATH,
            token,
            &format!("/vorteile/{platform}/anmelden"),
        ),
        _ => link(base_url, INVITATION_PATH, token),
    }
}

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
    if !invitation.scope.admits(invitation.role) {
        return Err(Error::internal(std::io::Error::other(
            "role does not belong to the scope",
        )));
    }
    let login = invitation.login_record(&account_id, env.clock.now(), env.data_key()?);
    let outgoing = PendingMails::of(env);
    let (mail, [token_put, mail_op]) = invitation_ops(
        env,
        &outgoing,
        &login,
        &invitation.email,
        &invitation.inviter,
        invitation.then.as_deref(),
    )?;
    let mut ops = vec![login.guard_put()?, token_put, mail_op];
    ops.extend(extra);
    match env.table.transact(ops).await {
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

/// A fresh 7-day invitation token for `login` and its German mail to `to` (outbox), both
/// to be written in the caller's transaction; the mail goes out after it commits.
fn invitation_ops(
    env: &Env,
    outgoing: &PendingMails<'_>,
    login: &Login,
    to: &Email,
    inviter: &str,
    then: Option<&str>,
) -> Result<(PendingMail, [Named; 2])> {
    let (token, token_put) =
        tokens::issue(TokenFor::of(TokenKind::Invite, login), env.clock.now())?;
    let (mail, mail_op) = outgoing.enqueue(Mail::render(
        to,
        ACCOUNT_INVITE,
        &[
            ("name", &login.name),
            ("inviter", inviter),
            ("access", access_label(&login.scope)),
            ("an_access", access_accusative(&login.scope)),
            ("login", login.login.as_str()),
            (
                "link",
                &invitation_link(&env.public_base_url, &login.scope, &token, then),
            ),
        ],
    ))?;
    Ok((mail, [token_put, mail_op]))
}

/// The transaction operation of [`reinvite`] that requires the invitation still open.
pub const NOT_YET_ACCEPTED: &str = "not_yet_accepted";

/// Sends an invited account a new invitation (a fresh 7-day token; earlier links stay valid
/// until one of them is accepted, which ends them all). 409 once the account has set its
/// password. Resent invitations count against the address's hourly mails
/// ([`crate::mail::limit`]): past the limit nothing is sent, and the caller is told the
/// same.
/// `then` as for [`Invitation::then`].
pub async fn reinvite(env: &Env, login: &Login, inviter: &str, then: Option<&str>) -> Result<()> {
    let outgoing = PendingMails::of(env);
    let to = login.email.open(env.data_key()?)?;
    let (mail, [token_put, mail_op]) = invitation_ops(env, &outgoing, login, &to, inviter, then)?;
    let open = TxOp::Check {
        key: login.key(),
        cond: Cond::Eq(attr::CONFIRMED, false.into()),
    }
    .named(NOT_YET_ACCEPTED);
    let limit = crate::mail::limit::count_op(&to, env.clock.epoch());
    match env
        .table
        .transact(vec![open, token_put, mail_op, limit])
        .await
    {
        Ok(()) => {}
        Err(e) if crate::mail::limit::is_exhausted(&e) => return Ok(()),
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
