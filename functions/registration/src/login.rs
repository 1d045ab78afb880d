//! `POST /auth/login`: a 15-minute EdDSA JWT for any account kind, within its scope, with
//! per-account throttling, and a refresh session (`POST /auth/refresh`, `POST /auth/logout`,
//! [`crate::sessions`]).

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, HeaderName, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::AppendHeaders;
use lambda_http::request::RequestContext;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{PLATFORM_SCOPE, Scope, TOKEN_LIFETIME_SECS, dummy_hash, verify_password};
use shared::crypto::sha256_hex;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::ApiJson;
use shared::model::accounts::{self, Login, LoginName, login_key};
use shared::openapi::{Forbidden, TooManyRequests, Unauthorized, closed_object, one_of_strings};
use shared::store::{Attr, Cond, Key, StoreError, TTL, Update};
use shared::{Error, Result};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, RefBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::replies::LoginReply;
use crate::sessions;

/// Failed attempts allowed per account and window before logins are refused with 429.
pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;

const THROTTLE_PREFIX: &str = "THROTTLE#";
const WINDOW_PREFIX: &str = "LOGIN#";
const FAILURES: Attr = "failures";

fn platform_scope() -> String {
    PLATFORM_SCOPE.to_string()
}

/// A login; documented by hand (below) as its two kinds, so the document states what
/// [`Scope::from_parts`] checks: a platform login has no tenant, a tenant login names one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// An e-mail address, or a terminal user's username (`email` is accepted too).
    #[serde(alias = "email")]
    pub login: String,
    pub password: String,
    /// `platform` (operators, managers, partners) or a tenant scope: `pos`, `cardholder`,
    /// `customer`, `enduser`.
    #[serde(default = "platform_scope")]
    pub scope: String,
    /// The merchant (or, for end users, the platform) of a tenant scope: a UUID, so text
    /// that is none is a 400 naming `tenant`, not a failed login.
    #[serde(default)]
    pub tenant: Option<RecordId>,
}

impl PartialSchema for Credentials {
    fn schema() -> RefOr<Schema> {
        let kind = |scope: ObjectBuilder| {
            closed_object()
                .property(
                    "login",
                    ObjectBuilder::new().schema_type(Type::String).description(Some(
                        "An e-mail address, or a terminal user's username (`email` is accepted too).",
                    )),
                )
                .required("login")
                .property("password", ObjectBuilder::new().schema_type(Type::String))
                .required("password")
                .property("scope", scope)
        };
        let platform = kind(one_of_strings(&[PLATFORM_SCOPE]).default(Some(PLATFORM_SCOPE.into())))
            .property(
                "tenant",
                ObjectBuilder::new()
                    .schema_type(Type::Null)
                    .description(Some("A platform login has no tenant.")),
            );
        let tenant = kind(one_of_strings(&[
            "pos",
            "cardholder",
            "customer",
            "enduser",
        ]))
        .required("scope")
        .property(
            "tenant",
            RefBuilder::new()
                .ref_location_from_schema_name(RecordId::name())
                .description(Some(
                    "The merchant (or, for end users, the platform) of the tenant scope.",
                )),
        )
        .required("tenant");
        #[allow(deprecated)] // `example`, as the derived schemas write it
        OneOfBuilder::new()
            .item(platform.description(Some(
                "Operators, managers and partners: `scope` is `platform` or absent.",
            )))
            .item(tenant.description(Some(
                "An account of a tenant: a till's user (`pos`), a cardholder, a supplier's customer or an end user of a platform.",
            )))
            .example(Some(
                json!({"login": "anna@baeckerei-mueller.de", "password": "sehr-geheim-123"}),
            ))
            .into()
    }
}

impl ToSchema for Credentials {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((RecordId::name().into(), RecordId::schema()));
    }
}

/// The failure counter of one account and one client in the current window; keyed by
/// hashes so that neither the login name nor the client's address is in the key. The
/// account is its own login record, whichever of its login names was typed.
fn throttle_key(account: &Key, client: &str, now: i64) -> Key {
    Key::new(
        format!("{THROTTLE_PREFIX}{}", sha256_hex(account.pk.as_bytes())),
        format!(
            "{WINDOW_PREFIX}{}#{}",
            now.div_euclid(WINDOW_SECS),
            sha256_hex(client.as_bytes())
        ),
    )
}

/// Who is calling, as far as the throttle tells callers apart: the source address API
/// Gateway saw (a caller cannot choose it). Without API Gateway (local runs) every caller
/// is one client.
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
            #[allow(unreachable_patterns)]
            _ => None,
        };
        Ok(Self(address.unwrap_or_default()))
    }
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
    Error::Unauthorized("Anmeldename oder Passwort ist falsch.".into())
}

/// One attempt at the password of `account` (its own login record's key) from `client`,
/// with `hash` its stored hash (`None`: no account, or one without a password). Counted
/// before the password is checked, by one conditional write, so that of any number of
/// parallel guesses at most [`MAX_FAILURES`] per window reach argon2 (429 past them); given
/// back when the password was right. A missing hash is checked against a dummy hash, so both
/// cost the same. Login and every signed-in confirmation of the password count here, on one
/// counter per account and client.
pub async fn attempt(
    state: &AppState,
    client: &str,
    account: &Key,
    hash: Option<&str>,
    password: &str,
) -> Result<bool> {
    let now = state.clock.epoch();
    let throttle = throttle_key(account, client, now);
    match state
        .table
        .update(
            &throttle,
            &[
                Update::Add(FAILURES, 1),
                Update::Set(TTL, (now + 2 * WINDOW_SECS).into()),
            ],
            Cond::LtOrAbsent(FAILURES, MAX_FAILURES),
        )
        .await
    {
        Err(StoreError::ConditionFailed) => return Err(throttled(now)),
        other => other?,
    };
    let right = verify_password(password, hash.unwrap_or_else(|| dummy_hash())) && hash.is_some();
    if right {
        // The right password: the attempt was no failure.
        state
            .table
            .update(&throttle, &[Update::Add(FAILURES, -1)], Cond::Exists)
            .await?;
    }
    Ok(right)
}

/// The account behind proven credentials, or why there is none.
async fn authenticate(state: &AppState, client: &str, body: &Credentials) -> Result<Login> {
    let scope = Scope::from_parts(
        body.scope.trim(),
        body.tenant.as_ref().map(RecordId::as_str),
    )
    .map_err(|m| Error::field("scope", m))?;
    // A malformed login name cannot have an account: same answer as a wrong password.
    let name = LoginName::parse(&body.login).map_err(|_| wrong_credentials())?;
    // A second login name (a customer's username) leads to the account's own record.
    let (login, disabled) = match accounts::find(state.table.as_ref(), &scope, &name).await? {
        Some(found) => (Some(found.login), found.state.disabled),
        None => (None, false),
    };
    let account = login
        .as_ref()
        .map_or_else(|| login_key(&scope, &name), Login::key);
    let hash = login.as_ref().and_then(|l| l.password_hash.as_deref());
    let password_ok = attempt(state, client, &account, hash, &body.password).await?;
    let Some(login) = login.filter(|_| password_ok) else {
        return Err(wrong_credentials());
    };
    // Only after the password: a disabled account is not revealed to guessers.
    if disabled {
        return Err(Error::Forbidden(
            "Dieser Zugang ist gesperrt. Bitte wenden Sie sich an den Anbieter, der ihn eingerichtet hat."
                .into(),
        ));
    }
    if !login.confirmed {
        return Err(Error::Forbidden(
            "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link in unserer E-Mail."
                .into(),
        ));
    }
    Ok(login)
}

/// The access token of a login and the body that carries it.
pub fn access(state: &AppState, login: &Login) -> Result<Value> {
    let issuer = state.issuer.as_ref().ok_or_else(|| {
        Error::internal(std::io::Error::other(
            "registration runs without its signing key",
        ))
    })?;
    let token = issuer
        .issue_scoped(
            login.account_id.as_str(),
            login.role,
            login.tenant(),
            login.token_platforms(),
            login.scope.clone(),
            state.clock.epoch(),
        )
        .map_err(Error::internal)?;
    Ok(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECS,
        "role": login.role.as_str(),
        "scope": login.scope.to_string(),
        "platforms": login.token_platforms(),
    }))
}

/// What a login or a refresh answers: the access token, and the refresh cookie.
pub type Signed = (AppendHeaders<[(HeaderName, String); 1]>, Json<Value>);

/// Log in: a bearer token valid for 15 minutes, and a refresh session in an `HttpOnly`
/// cookie on `/auth` (docs/registration.md, Sessions).
///
/// Unknown login and wrong password answer alike (401); after 5 failures in 15 minutes
/// the account is refused with 429 for the rest of the window.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, description = "Logged in; `Set-Cookie` carries the refresh token.", body = LoginReply),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
    ))]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Signed> {
    let login = authenticate(&state, &client, &body).await?;
    let reply = access(&state, &login)?;
    let session = sessions::start(state.table.as_ref(), &login, state.clock.epoch()).await?;
    // The last login, as the account's owner sees it (a supplier's customer list).
    state
        .table
        .update(
            &login.key(),
            &[Update::Set(
                accounts::attr::LAST_LOGIN_AT,
                serde_json::to_value(state.clock.now())?,
            )],
            Cond::Exists,
        )
        .await?;
    Ok((AppendHeaders([(SET_COOKIE, session.cookie())]), Json(reply)))
}

/// A new access token for the refresh cookie, which is replaced by the next one.
///
/// A refresh token used a second time ends its whole session (401); so do a password
/// change and a disabled or deleted account.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth",
    responses(
        (status = 200, description = "A new access token; `Set-Cookie` carries the next refresh token.", body = LoginReply),
        (status = 401, response = Unauthorized),
    ))]
pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> Result<Signed> {
    let cookie = headers.get(COOKIE).and_then(|v| v.to_str().ok());
    let Some(token) = sessions::from_cookie_header(cookie) else {
        return Err(Error::Unauthorized(
            "Sie sind nicht angemeldet. Bitte melden Sie sich an.".into(),
        ));
    };
    let (login, next) =
        sessions::refresh(state.table.as_ref(), &token, state.clock.epoch()).await?;
    let reply = access(&state, &login)?;
    Ok((AppendHeaders([(SET_COOKIE, next.cookie())]), Json(reply)))
}

/// Log out: the refresh session ends and its cookie is removed; the access token expires
/// within its 15 minutes.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out.")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<(StatusCode, AppendHeaders<[(HeaderName, String); 1]>)> {
    let cookie = headers.get(COOKIE).and_then(|v| v.to_str().ok());
    if let Some(token) = sessions::from_cookie_header(cookie) {
        sessions::end(state.table.as_ref(), &token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, sessions::cleared_cookie())]),
    ))
}
