//! Moving a partner's login to another e-mail address: `POST /partners/me/email` mails a
//! one-time link to the new address, `POST /partners/email/confirm` redeems it and moves the
//! login in one transaction (docs/registration.md, The account).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{PartnerAuth, Role, Scope};
use shared::domain::{Email, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::mail::limit as mail_limit;
use shared::mail::pending::{PendingMail, PendingMails};
use shared::model::accounts::{self, LOGIN_GUARD, Login, LoginName, login_key};
use shared::model::from_item;
use shared::model::partners::{self, Partner, partner_key, partner_pk};
use shared::model::stored_email::StoredEmail;
use shared::model::subscriptions::{APPLICATION_PREFIX, CONTACT_EMAIL};
use shared::model::tokens::{self, OneTimeToken, TokenFor, TokenKind, Usable};
use shared::openapi::{Conflict, Gone, TooManyRequests, Unprocessable};
use shared::store::{
    Cond, Index, Item, Key, Named, PK, Query, SK, SkCond, StoreError, TTL, TxOp, Update,
};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::bodies::TokenBody;
use crate::login::Client;
use crate::mails;
use crate::replies::{Message, StatusMessage};
use crate::signed_in;

/// The app's page the link opens; it posts the token to `POST /partners/email/confirm`.
pub const CONFIRM_PAGE: &str = "partner/email-bestaetigen";

/// Steps of the move's transaction, besides the token's own (`tokens::TOKEN_OP`), the old
/// login's deletion (`tokens::ACCOUNT_OP`), the new login's guard (`LOGIN_GUARD`) and the
/// notice mail.
mod step {
    pub const PARTNER: &str = "partner_email";
    pub const APPLICATION: &str = "application_contact_email";
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "mein-bisheriges-passwort", "new_email": "anna@neue-baeckerei.de"}))]
pub struct EmailChange {
    /// The password the partner logs in with now.
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: String,
    /// The address to log in with from now on; not the current one.
    #[schema(format = Email, max_length = 254)]
    pub new_email: String,
}

/// Ask to log in with another address: a link to confirm it goes to that address.
///
/// Needs the current password, counted like a login attempt (429 after five failures of the
/// account from one client in 15 minutes; 422 naming `current_password` when it is wrong).
/// Always 202 once the password is right, whether or not the address belongs to another
/// account (the link tells that only to the mailbox's owner), and also when the address's
/// three mails of the hour are used up (nothing is sent then). The link is valid for 24
/// hours; until it is used the login stays as it is.
#[utoipa::path(post, path = "/partners/me/email", tag = "profile", request_body = EmailChange,
    responses(
        (status = 202, description = "A confirmation link is on its way to the new address.", body = Message),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ))]
pub async fn request_change(
    State(state): State<AppState>,
    Client(client): Client,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<EmailChange>,
) -> Result<(StatusCode, Json<Value>)> {
    let mut v = Validator::new();
    let new = v.check("new_email", Email::parse(&body.new_email));
    signed_in::check_current(&mut v, &body.current_password);
    v.finish()?;
    let new = new.ok_or_else(|| Error::field("new_email", "fehlt"))?;
    let partner = crate::profile::load_partner(&state, &auth.partner_id).await?;
    if new == partner.email {
        return Err(Error::field("new_email", "ist bereits Ihre Anmeldeadresse"));
    }
    let own = signed_in::own_login(&state, &auth.claims, None).await?;
    let found = signed_in::confirm_password(&state, &client, own, &body.current_password).await?;
    send_link(&state, &found.login, &partner, &new).await?;
    tracing::info!(partner_id = %auth.partner_id, "login address change asked for");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "message": format!(
                "Wir haben einen Bestätigungslink an {new} gesendet. Ihre Anmeldeadresse ändert sich erst, wenn Sie ihn öffnen."
            )
        })),
    ))
}

/// The link to `new`, bound to the login as it is now, within the address's hourly mails.
/// Nothing here asks whether `new` is taken: a taken and a free address cost the same.
async fn send_link(state: &AppState, login: &Login, partner: &Partner, new: &Email) -> Result<()> {
    let sealed = StoredEmail::of_login(new, &login.login, state.data_key()?);
    let spec = TokenFor::of(TokenKind::EmailChange, login).moving_to(sealed);
    let (token, token_put) = tokens::issue(spec, state.clock.now())?;
    let link = mails::link(&state.public_base_url, CONFIRM_PAGE, &token);
    let outgoing = PendingMails::of(state);
    let (mail, mail_op) = outgoing.enqueue(mails::render(
        new,
        mails::EMAIL_CHANGE,
        &[
            ("company", &partner.company),
            ("link", &link),
            ("token", &token),
        ],
    ))?;
    let limit = mail_limit::count_op(new, state.clock.epoch());
    match state.table.transact(vec![token_put, mail_op, limit]).await {
        Ok(()) => {
            outgoing.deliver(mail).await;
            Ok(())
        }
        Err(e) if mail_limit::is_exhausted(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Confirm the new login address with the token from the link mailed to it; once.
///
/// The login moves in one transaction: the new address must be free (a sign-up there that
/// nobody confirmed gives way), the old login is deleted, the profile's address (where mails
/// and invoices go) and the applications' contact address follow. The old address gets a
/// notice. Every session and every other link of the account ends: the partner logs in with
/// the new address. 409 when the address belongs to another account (nothing changes).
#[utoipa::path(post, path = "/partners/email/confirm", tag = "profile", request_body = TokenBody,
    responses(
        (status = 200, description = "Moved; log in with the new address.", body = StatusMessage),
        (status = 409, response = Conflict),
        (status = 410, response = Gone),
    ))]
pub async fn confirm_change(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Value>> {
    let moved = move_login(&state, body.token.trim()).await?;
    tracing::info!(partner_id = %moved.partner_id, "login address changed");
    Ok(Json(json!({
        "status": "email_changed",
        "message": format!(
            "Ihre Anmeldeadresse ist jetzt {}. Bitte melden Sie sich damit neu an.",
            moved.email
        )
    })))
}

/// A login that moved.
struct Moved {
    partner_id: PartnerId,
    email: Email,
}

/// What the move reads before it writes.
struct Read {
    usable: Usable,
    /// The login record as stored, every attribute of it.
    old: Item,
    new: Email,
    partner: Partner,
    applications: Vec<Key>,
}

/// How the new login record claims its address.
enum Claim {
    /// Nobody has it.
    Free,
    /// A sign-up nobody confirmed has it, and gives way (as to a new sign-up).
    Replacing(Box<Login>),
}

fn taken() -> Error {
    Error::Conflict(
        "Diese E-Mail-Adresse gehört bereits zu einem anderen Konto bei partnernetz. Die Anmeldeadresse wurde nicht geändert."
            .into(),
    )
}

async fn move_login(state: &AppState, raw: &str) -> Result<Moved> {
    let read = read(state, raw).await?;
    let mut claim = Claim::Free;
    loop {
        let (mail, ops) = plan(state, &read, &claim)?;
        match state.table.transact(ops).await {
            Ok(()) => {
                PendingMails::of(state).deliver(mail).await;
                return Ok(Moved {
                    partner_id: read.partner.partner_id,
                    email: read.new,
                });
            }
            Err(StoreError::TxCancelled { failed }) => {
                if let Some(refused) = tokens::refusal(failed) {
                    return Err(refused);
                }
                match (failed, &claim) {
                    (LOGIN_GUARD, Claim::Free) => {
                        claim = Claim::Replacing(Box::new(unconfirmed_at(state, &read.new).await?));
                    }
                    (LOGIN_GUARD | partners::UNCONFIRMED_OP, Claim::Replacing(_)) => {
                        return Err(taken());
                    }
                    (step::PARTNER, _) => {
                        return Err(Error::Conflict(
                            "Ihr Konto wurde gerade geändert. Bitte fordern Sie einen neuen Link an."
                                .into(),
                        ));
                    }
                    _ => return Err(StoreError::TxCancelled { failed }.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The sign-up nobody confirmed that holds `email`; 409 when the address belongs to an
/// account that is confirmed (or of another kind).
async fn unconfirmed_at(state: &AppState, email: &Email) -> Result<Login> {
    accounts::find(
        state.table.as_ref(),
        &Scope::Platform,
        &LoginName::from_email(email),
    )
    .await?
    .map(|f| f.login)
    .filter(Login::is_unconfirmed_sign_up)
    .ok_or_else(taken)
}

async fn read(state: &AppState, raw: &str) -> Result<Read> {
    let usable = tokens::usable(
        state.table.as_ref(),
        raw,
        TokenKind::EmailChange,
        state.clock.now(),
    )
    .await?;
    let token: &OneTimeToken = &usable.token;
    let new = match (&token.new_email, token.role, &token.scope) {
        (Some(new), Some(Role::Partner), Scope::Platform) => new.open(state.data_key()?)?,
        _ => return Err(Error::field("token", "ist ungültig")),
    };
    // Deleted, or moved by another link meanwhile: this link's account is gone.
    let old = state
        .table
        .get(&token.login_key())
        .await?
        .ok_or_else(tokens::dead)?;
    let partner_id = PartnerId::from_raw(token.account_id.as_str());
    let partner: Partner = from_item(
        state
            .table
            .get(&partner_key(&partner_id))
            .await?
            .ok_or_else(tokens::dead)?,
    )?;
    let applications = state
        .table
        .query_all(
            Query::partition(Index::Primary, partner_pk(&partner_id))
                .sk(SkCond::BeginsWith(APPLICATION_PREFIX.into())),
        )
        .await?
        .iter()
        .filter_map(Key::of)
        .collect();
    Ok(Read {
        usable,
        old,
        new,
        partner,
        applications,
    })
}

/// The login record under the new address: the old one with every attribute (the password,
/// the last login), its generation counted up.
fn moved_login(read: &Read) -> Result<Item> {
    let token = &read.usable.token;
    let key = login_key(&Scope::Platform, &LoginName::from_email(&read.new));
    let mut item = read.old.clone();
    item.insert(PK.into(), key.pk.into());
    item.insert(SK.into(), key.sk.into());
    item.insert(accounts::attr::LOGIN.into(), read.new.as_str().into());
    item.insert(
        accounts::attr::EMAIL.into(),
        serde_json::to_value(StoredEmail::login_name(&read.new))?,
    );
    item.insert(
        accounts::attr::GENERATION.into(),
        (token.generation + 1).into(),
    );
    item.remove(TTL);
    Ok(item)
}

/// The move as one transaction, and the notice to the old address it writes.
fn plan(state: &AppState, read: &Read, claim: &Claim) -> Result<(PendingMail, Vec<Named>)> {
    let token = &read.usable.token;
    let old_email = &read.partner.email;
    let new_login = TxOp::Put {
        item: moved_login(read)?,
        cond: match claim {
            Claim::Free => Cond::NotExists,
            Claim::Replacing(old) => accounts::still_unconfirmed(old),
        },
    }
    .named(LOGIN_GUARD);
    let mut ops = vec![
        read.usable.use_op(state.clock.now())?,
        token.account_delete(),
        new_login,
        TxOp::Update {
            key: partner_key(&read.partner.partner_id),
            ops: vec![
                Update::Set(partners::attr::EMAIL, read.new.as_str().into()),
                Update::Set(partners::attr::EMAIL_CONFIRMED, true.into()),
            ],
            cond: Cond::Eq(partners::attr::EMAIL, old_email.as_str().into()),
        }
        .named(step::PARTNER),
    ];
    if let Claim::Replacing(old) = claim {
        ops.push(partners::drop_unconfirmed_op(&PartnerId::from_raw(
            old.account_id.as_str(),
        )));
    }
    ops.extend(read.applications.iter().map(|key| {
        TxOp::Update {
            key: key.clone(),
            ops: vec![Update::Set(CONTACT_EMAIL, read.new.as_str().into())],
            cond: Cond::Exists,
        }
        .named(step::APPLICATION)
    }));
    let changed_at = mails::german_time(state.clock.now());
    let (mail, mail_op) = PendingMails::of(state).enqueue(mails::render(
        old_email,
        mails::EMAIL_CHANGED,
        &[
            ("contact_name", &read.partner.contact_name),
            ("company", &read.partner.company),
            ("changed_at", &changed_at),
            ("new_email", &masked(&read.new)),
        ],
    ))?;
    ops.push(mail_op);
    Ok((mail, ops))
}

/// An address as the old mailbox is told it: enough to recognise, not to copy
/// (`a…@neue-baeckerei.de`).
fn masked(email: &Email) -> String {
    let (local, domain) = email
        .as_str()
        .split_once('@')
        .unwrap_or(("", email.as_str()));
    let first: String = local.chars().take(1).collect();
    format!("{first}…@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_mailbox_sees_the_new_address_masked() {
        let email =
            Email::parse("anna.mueller@neue-baeckerei.de").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(masked(&email), "a…@neue-baeckerei.de");
    }
}
