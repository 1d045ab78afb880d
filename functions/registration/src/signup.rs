//! Partner sign-up with double opt-in: `POST /partners`, `POST /partners/confirm`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{Role, Scope, hash_password};
use shared::domain::{AccountId, Email, PartnerId, Password};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::mail::limit as mail_limit;
use shared::mail::pending::PendingMail;
use shared::model::accounts::{self, LOGIN_GUARD, Login, LoginName};
use shared::model::partners::{self, Partner, partner_key};
use shared::model::stored_email::StoredEmail;
use shared::model::tokens::{self, TokenFor, TokenKind};
use shared::openapi::Gone;
use shared::store::{Cond, Named, StoreError, TTL, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use shared::mail::pending::PendingMails;

use crate::bodies::TokenBody;
use crate::mails;
use crate::replies::{Message, StatusMessage};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "company": "Bäckerei Müller", "contact_name": "Anna Müller",
    "email": "anna@baeckerei-mueller.de", "password": "sehr-geheim-123", "accept_terms": true
}))]
pub struct SignUp {
    #[schema(value_type = shared::openapi::Text<200>, inline)]
    pub company: String,
    #[schema(value_type = shared::openapi::Text<200>, inline)]
    pub contact_name: String,
    /// The login and where the confirmation link goes.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    // Must be `true`: the terms and the privacy notice are accepted.
    #[schema(value_type = shared::openapi::Consent, inline)]
    pub accept_terms: bool,
}

fn accepted() -> (StatusCode, Json<Value>) {
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "message": "Vielen Dank! Bitte bestätigen Sie Ihre E-Mail-Adresse über den Link, den wir Ihnen gesendet haben."
        })),
    )
}

/// Sign up a partner.
///
/// Always 202: whether the address is new or known is told only to its mailbox. The
/// confirmation link is valid for 48 hours.
#[utoipa::path(post, path = "/partners", tag = "sign-up", request_body = SignUp,
    responses((status = 202, description = "A confirmation e-mail is on its way.", body = Message)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignUp>,
) -> Result<(StatusCode, Json<Value>)> {
    let mut v = Validator::new();
    let company = v.text("company", &body.company, 200);
    let contact_name = v.text("contact_name", &body.contact_name, 200);
    let email = v.check("email", Email::parse(&body.email));
    let password = v.check("password", Password::parse(&body.password));
    v.require(
        "accept_terms",
        body.accept_terms,
        "Die AGB und die Datenschutzerklärung müssen akzeptiert werden",
    );
    v.finish()?;
    let (Some(company), Some(contact_name), Some(email), Some(password)) =
        (company, contact_name, email, password)
    else {
        return Err(Error::BadRequest("Ungültige Eingabe.".into()));
    };

    // New and known addresses cost the same: one hash and one transaction, whose guard
    // tells them apart. Hashing only for new accounts let the answer time tell.
    let login_name = LoginName::from_email(&email);
    let password_hash = hash_password(password.expose())?;
    let partner_id = PartnerId::generate();
    let account_id = AccountId::from(&partner_id);
    let now = state.clock.now();
    let login = Login {
        scope: Scope::Platform,
        login: login_name,
        email: StoredEmail::login_name(&email),
        account_id: account_id.clone(),
        role: Role::Partner,
        password_hash: Some(password_hash),
        confirmed: false,
        name: contact_name.clone(),
        platforms: vec![],
        created_at: now,
        generation: 0,
    };
    let partner = Partner {
        partner_id: partner_id.clone(),
        company: company.clone(),
        contact_name: contact_name.clone(),
        email: email.clone(),
        email_confirmed: false,
        phone: None,
        address: None,
        vat_id: None,
        logo_key: None,
        logo_pending_key: None,
        mandate: None,
        terms_accepted_at: now,
        created_at: now,
        closed_at: None,
        disabled: None,
    };
    let (mail, mut ops) = sign_up_ops(&state, &login, &partner)?;
    ops.insert(0, until_confirmed(&state, login.guard_put()?));
    let outcome = match state.table.transact(ops).await {
        Err(StoreError::TxCancelled {
            failed: LOGIN_GUARD,
        }) => replace_unconfirmed(&state, &login, &partner).await?,
        other => other.map(|()| Some(mail)),
    };
    match outcome {
        Ok(Some(mail)) => {
            tracing::info!(partner_id = %partner_id, "partner registered");
            PendingMails::of(&state).deliver(mail).await;
        }
        Ok(None) => {}
        // The hour's mails to the address are used up: nothing written, nothing sent.
        Err(e) if mail_limit::is_exhausted(&e) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(accepted())
}

/// When an unconfirmed sign-up expires: with its confirmation link.
fn sign_up_expiry(state: &AppState) -> i64 {
    state.clock.epoch() + TokenKind::Confirm.lifetime_secs()
}

/// A sign-up's put of its login record, expiring with the confirmation link until the
/// address is confirmed.
fn until_confirmed(state: &AppState, mut put: Named) -> Named {
    if let TxOp::Put { item, .. } = &mut put.op {
        item.insert(TTL.into(), sign_up_expiry(state).into());
    }
    put
}

/// The partner, a confirmation token and its mail, and the count of mails to the address:
/// a sign-up's writes beside its login record.
fn sign_up_ops(
    state: &AppState,
    login: &Login,
    partner: &Partner,
) -> Result<(PendingMail, Vec<Named>)> {
    let (mail, [token_put, mail_op]) = confirmation_mail(state, login, partner)?;
    let mut item = shared::model::to_item(&partner_key(&partner.partner_id), partner)?;
    item.insert(TTL.into(), sign_up_expiry(state).into());
    // Listed for the operator's search.
    let (index, sort_key) = partners::index_keys(partner);
    item.insert(shared::store::GSI1PK.into(), index.into());
    item.insert(shared::store::GSI1SK.into(), sort_key.into());
    let ops = vec![
        TxOp::Put {
            item,
            cond: Cond::NotExists,
        }
        .named("partner"),
        token_put,
        mail_op,
        mail_limit::count_op(&partner.email, state.clock.epoch()),
    ];
    Ok((mail, ops))
}

/// A new confirmation token of `login` and its mail (outbox), for the caller's transaction.
fn confirmation_mail(
    state: &AppState,
    login: &Login,
    partner: &Partner,
) -> Result<(PendingMail, [Named; 2])> {
    let (token, token_put) =
        tokens::issue(TokenFor::of(TokenKind::Confirm, login), state.clock.now())?;
    let link = mails::link(&state.public_base_url, "registrierung/bestaetigen", &token);
    let (mail, mail_op) = PendingMails::of(state).enqueue(mails::render(
        &partner.email,
        mails::CONFIRM_EMAIL,
        &[
            ("contact_name", &partner.contact_name),
            ("company", &partner.company),
            ("link", &link),
            ("token", &token),
        ],
    ))?;
    Ok((mail, [token_put, mail_op]))
}

/// The address is taken. A sign-up nobody confirmed gives way to this one (its links die
/// with it); a confirmed account, or another kind of account, gets the "already registered"
/// mail. `Ok(None)` when no mail of this sign-up is to be delivered.
async fn replace_unconfirmed(
    state: &AppState,
    login: &Login,
    partner: &Partner,
) -> Result<std::result::Result<Option<PendingMail>, StoreError>> {
    let existing = accounts::find(state.table.as_ref(), &login.scope, &login.login).await?;
    let Some(old) = existing
        .map(|f| f.login)
        .filter(Login::is_unconfirmed_sign_up)
    else {
        send_already_registered(state, &partner.email).await?;
        return Ok(Ok(None));
    };
    let (mail, mut ops) = sign_up_ops(state, login, partner)?;
    ops.insert(0, until_confirmed(state, login.replace_unconfirmed(&old)?));
    ops.push(partners::drop_unconfirmed_op(&PartnerId::from_raw(
        old.account_id.as_str(),
    )));
    match state.table.transact(ops).await {
        Ok(()) => Ok(Ok(Some(mail))),
        // Confirmed in between: the address is registered after all.
        Err(StoreError::TxCancelled {
            failed: LOGIN_GUARD | partners::UNCONFIRMED_OP,
        }) => {
            send_already_registered(state, &partner.email).await?;
            Ok(Ok(None))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// "This address is already registered", within the address's hourly mails.
async fn send_already_registered(state: &AppState, email: &Email) -> Result<()> {
    if !mail_limit::take(state.table.as_ref(), email, state.clock.epoch()).await? {
        return Ok(());
    }
    let link = format!(
        "{}/passwort-vergessen",
        state.public_base_url.trim_end_matches('/')
    );
    PendingMails::of(state)
        .send_alone(mails::render(
            email,
            mails::ALREADY_REGISTERED,
            &[("link", &link)],
        ))
        .await?;
    Ok(())
}

/// Confirm the e-mail address with the token from the sign-up e-mail; once.
#[utoipa::path(post, path = "/partners/confirm", tag = "sign-up", request_body = TokenBody,
    responses(
        (status = 200, description = "Confirmed; the partner can log in.", body = StatusMessage),
        (status = 410, response = Gone),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Value>> {
    let token = tokens::redeem(
        state.table.as_ref(),
        body.token.trim(),
        TokenKind::Confirm,
        state.clock.now(),
        |t| {
            // Only the sign-up the link was sent for: not one that replaced it since.
            Ok(vec![
                t.account_update(vec![
                    Update::Set(accounts::attr::CONFIRMED, true.into()),
                    Update::Remove(TTL),
                ]),
                partners::confirm_op(&PartnerId::from_raw(t.account_id.as_str())),
            ])
        },
    )
    .await?;
    tracing::info!(partner_id = %token.account_id, "e-mail confirmed");
    Ok(Json(json!({
        "status": "confirmed",
        "message": "Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden."
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "anna@baeckerei-mueller.de"}))]
pub struct ResendConfirmation {
    /// The address the partner signed up with.
    pub email: String,
}

/// Send the confirmation link of a sign-up again.
///
/// Always 202, known address or not: an unconfirmed sign-up gets a new 48-hour link (and
/// expires with it); everyone else gets nothing. At most three such mails per address and
/// hour.
#[utoipa::path(post, path = "/auth/confirmation/resend", tag = "sign-up",
    request_body = ResendConfirmation,
    responses((status = 202, description = "A new link is on its way if a sign-up waits for it.", body = Message)))]
pub async fn resend_confirmation(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResendConfirmation>,
) -> Result<(StatusCode, Json<Value>)> {
    let email = Email::parse(&body.email).map_err(|m| Error::field("email", m))?;
    // The same answer at the same moment, as for a password reset.
    let clock = state.clock.clone();
    shared::steady::in_steady_time(clock.as_ref(), send_link_again(state, email)).await?;
    Ok(accepted())
}

/// A new confirmation link for the unconfirmed sign-up of `email`, if there is one; the
/// sign-up now expires with the new link.
async fn send_link_again(state: AppState, email: Email) -> Result<()> {
    let table = state.table.as_ref();
    let name = LoginName::from_email(&email);
    let Some(login) = accounts::find(table, &Scope::Platform, &name)
        .await?
        .map(|f| f.login)
        .filter(Login::is_unconfirmed_sign_up)
    else {
        return Ok(());
    };
    let partner_id = PartnerId::from_raw(login.account_id.as_str());
    let Some(item) = table.get(&partner_key(&partner_id)).await? else {
        return Ok(());
    };
    let partner: Partner = shared::model::from_item(item)?;
    let (mail, [token_put, mail_op]) = confirmation_mail(&state, &login, &partner)?;
    let expires: serde_json::Value = sign_up_expiry(&state).into();
    let ops = vec![
        TxOp::Update {
            key: login.key(),
            ops: vec![Update::Set(TTL, expires.clone())],
            cond: Cond::All(vec![
                accounts::current(&login.account_id, login.generation),
                Cond::Eq(accounts::attr::CONFIRMED, false.into()),
            ]),
        }
        .named(LOGIN_GUARD),
        TxOp::Update {
            key: partner_key(&partner_id),
            ops: vec![Update::Set(TTL, expires)],
            cond: Cond::Eq(partners::attr::EMAIL_CONFIRMED, false.into()),
        }
        .named(partners::UNCONFIRMED_OP),
        token_put,
        mail_op,
        mail_limit::count_op(&email, state.clock.epoch()),
    ];
    match table.transact(ops).await {
        Ok(()) => {
            PendingMails::of(&state).deliver(mail).await;
            Ok(())
        }
        // Confirmed or replaced in between, or the hour's mails are used up.
        Err(StoreError::TxCancelled { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
