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
use shared::model::accounts::{self, LOGIN_GUARD, Login, LoginName};
use shared::model::partners::{self, Partner, partner_key};
use shared::model::stored_email::StoredEmail;
use shared::model::tokens::{self, TokenFor, TokenKind};
use shared::openapi::Gone;
use shared::store::{Cond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use shared::mail::pending::PendingMails;

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
    /// Must be `true`: the terms and the privacy notice are accepted.
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
    };
    let (token, token_put) = tokens::issue(
        TokenFor {
            kind: TokenKind::Confirm,
            scope: &login.scope,
            login: &login.login,
            email: &login.email,
            account_id: &account_id,
        },
        now,
    )?;
    let link = mails::link(&state.public_base_url, "registrierung/bestaetigen", &token);
    let outgoing = PendingMails::of(&state);
    let (mail, mail_op) = outgoing.enqueue(mails::render(
        &email,
        mails::CONFIRM_EMAIL,
        &[
            ("contact_name", &contact_name),
            ("company", &company),
            ("link", &link),
            ("token", &token),
        ],
    ))?;
    let ops = vec![
        // The login guard: of two racing sign-ups only one gets past this condition.
        login.guard_put()?,
        TxOp::Put {
            item: shared::model::to_item(&partner_key(&partner_id), &partner)?,
            cond: Cond::NotExists,
        }
        .named("partner"),
        token_put,
        mail_op,
    ];
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: LOGIN_GUARD,
        }) => {
            send_already_registered(&state, &email).await?;
            return Ok(accepted());
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(partner_id = %partner_id, "partner registered");
    outgoing.deliver(mail).await;
    Ok(accepted())
}

async fn send_already_registered(state: &AppState, email: &Email) -> Result<()> {
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "qvJ3vYl0p1m1k8Z7dQ2xY4rT6uW9aB3cD5eF7gH9iJ0"}))]
pub struct TokenBody {
    /// The token from the link in the e-mail.
    pub token: String,
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
            Ok(vec![
                TxOp::Update {
                    key: t.login_key(),
                    ops: vec![Update::Set(accounts::attr::CONFIRMED, true.into())],
                    cond: Cond::Exists,
                }
                .named("confirm_login"),
                TxOp::Update {
                    key: partner_key(&PartnerId::from_raw(t.account_id.as_str())),
                    ops: vec![Update::Set(partners::attr::EMAIL_CONFIRMED, true.into())],
                    cond: Cond::Exists,
                }
                .named("confirm_partner"),
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
