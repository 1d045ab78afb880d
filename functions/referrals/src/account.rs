//! The end user's account: the terms accepted at sign-up, and deleting it.
//!
//! Deleting erases the login and the profile (the only records naming the person, by the
//! address and its hash), ends every token at once and closes the personal links (their
//! friends see the "not valid" page; resuming a paused program leaves them closed). Cash
//! not yet paid out (pending, confirmed and payable) and points lapse with the account, so
//! a wallet with cash is deleted only when the request says so (`forfeit_cash`); payouts
//! already requested are still made. Vouchers stay valid until their end at the partner's
//! till: their code is all the till needs. The wallet's other records stay, naming nobody.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::auth::revocation::{Ended, revoke_op};
use shared::auth::{Scope, TenantAuth};
use shared::domain::{Cents, Email, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::model::accounts::{LoginName, attr as login_attr, login_key};
use shared::model::from_item;
use shared::model::referrals::{attr as link_attr, link_key};
use shared::openapi::Unprocessable;
use shared::store::{Cond, SkCond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::members::end_user;
use crate::records::{
    MEMBER_SK_PREFIX, Member, Profile, attr, enduser_partition, person_hash, profile_key,
};
use crate::step;
use crate::wallet;

/// The account as its end user sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub platform_id: PlatformId,
    /// The version of the terms of participation accepted at sign-up (none: signed up before
    /// acceptance was recorded).
    pub terms_version: Option<String>,
    pub terms_accepted_at: Option<Timestamp>,
}

/// The end user's account with the terms accepted at sign-up.
#[utoipa::path(get, path = "/me", tag = "end users",
    summary = "Eigenes Konto und akzeptierte Teilnahmebedingungen",
    responses((status = 200, description = "The account.", body = Account)))]
pub async fn get_me(State(state): State<AppState>, auth: TenantAuth) -> Result<Json<Account>> {
    let user = end_user(&auth)?;
    let profile: Option<Profile> = match state.table.get(&profile_key(&user.account)).await? {
        Some(item) => Some(from_item(item)?),
        None => None,
    };
    let (terms_version, terms_accepted_at) = profile
        .map(|p| (p.terms_version, p.terms_accepted_at))
        .unwrap_or_default();
    Ok(Json(Account {
        platform_id: user.platform,
        terms_version,
        terms_accepted_at,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "erika@example.de", "forfeit_cash": true}))]
pub struct DeleteInput {
    /// The account's address, typed again as confirmation.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Cash not yet paid out lapses with the account: required when the wallet holds some.
    #[serde(default)]
    pub forfeit_cash: bool,
}

/// Delete the account. Cash not yet paid out lapses (see the module's description).
#[utoipa::path(delete, path = "/me", tag = "end users",
    summary = "Konto löschen",
    request_body = DeleteInput,
    responses(
        (status = 204, description = "Deleted: the login, the profile and every token end now."),
        (status = 422, response = Unprocessable),
    ))]
pub async fn delete_me(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiJson(body): ApiJson<DeleteInput>,
) -> Result<StatusCode> {
    let user = end_user(&auth)?;
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    v.finish()?;
    let Some(email) = email else {
        return Err(Error::field("email", "fehlt"));
    };
    let profile: Option<Profile> = match state.table.get(&profile_key(&user.account)).await? {
        Some(item) => Some(from_item(item)?),
        None => None,
    };
    if profile.is_none_or(|p| p.email_hash != person_hash(email.as_str())) {
        return Err(Error::field(
            "email",
            "stimmt nicht mit der Adresse Ihres Kontos überein",
        ));
    }
    let cash = wallet::cash(&state, &user.account).await?;
    if cash > 0 && !body.forfeit_cash {
        return Err(Error::field(
            "forfeit_cash",
            format!(
                "Ihr Guthaben von {} verfällt mit dem Konto; bestätigen Sie das, oder lassen \
                 Sie es sich zuerst auszahlen",
                Cents(cash)
            ),
        ));
    }
    let members = state
        .table
        .query_all(enduser_partition(&user.account).sk(SkCond::BeginsWith(MEMBER_SK_PREFIX.into())))
        .await?;
    let mut ops = vec![
        TxOp::Delete {
            key: profile_key(&user.account),
            cond: Cond::Exists,
        }
        .named(step::PROFILE),
        TxOp::Delete {
            key: login_key(
                &Scope::EndUser(user.platform.clone()),
                &LoginName::from_email(&email),
            ),
            cond: Cond::Eq(login_attr::ACCOUNT_ID, user.account.as_str().into()),
        }
        .named(step::LOGIN),
        // Every token of the account ends with it.
        revoke_op(&user.account, Ended::Deleted, state.clock.epoch()),
    ];
    for item in members {
        let member: Member = from_item(item)?;
        ops.push(
            TxOp::Update {
                key: link_key(&member.code),
                ops: vec![
                    Update::Set(link_attr::ACTIVE, false.into()),
                    Update::Set(attr::CLOSED, true.into()),
                ],
                cond: Cond::Exists,
            }
            .named(step::CODE),
        );
    }
    match state.table.transact(ops).await {
        Ok(()) => {
            tracing::info!(account_id = %user.account, "end user deleted the account");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(StoreError::TxCancelled {
            failed: step::PROFILE | step::LOGIN,
        }) => Err(Error::field(
            "email",
            "stimmt nicht mit der Adresse Ihres Kontos überein",
        )),
        Err(e) => Err(e.into()),
    }
}
