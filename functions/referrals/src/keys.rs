//! API keys for the conversion API: `pnk_<prefix>_<secret>`, shown once, stored as the
//! secret's SHA-256, listed by prefix, revocable. A request carries one in `X-Api-Key`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::crypto::{secrets_equal, sha256_hex};
use shared::domain::{PartnerId, short_code};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::from_item;
use shared::store::{Cond, StoreError, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::records::{ApiKey, api_key_key, attr, partner_api_keys};

pub const HEADER: &str = "x-api-key";
const PREFIX_LEN: usize = 8;
const SECRET_LEN: usize = 40;
const MAX_KEYS: usize = 20;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"label": "Shop-Backend"}))]
pub struct KeyInput {
    /// What the key is for.
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewKey {
    pub prefix: String,
    pub label: String,
    /// The full key: shown only now; send it as `X-Api-Key`.
    pub key: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    pub prefix: String,
    pub label: String,
    pub revoked: bool,
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Keys {
    pub keys: Vec<KeyView>,
}

/// Create an API key for reporting conversions.
#[utoipa::path(post, path = "/partners/me/api-keys", tag = "api keys",
    summary = "API-Schlüssel erzeugen",
    request_body = KeyInput,
    responses(
        (status = 201, description = "The key, shown this once.", body = NewKey),
        (status = 422, response = shared::openapi::Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<KeyInput>,
) -> Result<(StatusCode, Json<NewKey>)> {
    let mut v = Validator::new();
    let label = v.text("label", &body.label, 80);
    v.finish()?;
    let label = label.unwrap_or_default();
    let existing = state
        .table
        .query_all(partner_api_keys(&auth.partner_id))
        .await?;
    if existing.len() >= MAX_KEYS {
        return Err(Error::Unprocessable(
            "Es sind bereits 20 API-Schlüssel angelegt; bitte löschen Sie nicht mehr benötigte."
                .into(),
        ));
    }
    let prefix = short_code(PREFIX_LEN);
    let secret = short_code(SECRET_LEN);
    let key = ApiKey {
        prefix: prefix.clone(),
        partner_id: auth.partner_id.clone(),
        secret_hash: sha256_hex(secret.as_bytes()),
        label: label.clone(),
        revoked: false,
        created_at: state.clock.now(),
    };
    state.table.put(key.to_item()?, Cond::NotExists).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewKey {
            key: format!("pnk_{prefix}_{secret}"),
            prefix,
            label,
        }),
    ))
}

/// The partner's API keys, by prefix (never the secret).
#[utoipa::path(get, path = "/partners/me/api-keys", tag = "api keys",
    summary = "API-Schlüssel auflisten",
    responses((status = 200, description = "The keys.", body = Keys)))]
pub async fn list(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<Keys>> {
    let items = state
        .table
        .query_all(partner_api_keys(&auth.partner_id))
        .await?;
    let keys = items
        .into_iter()
        .map(from_item::<KeyView>)
        .collect::<Result<Vec<_>>>()?;
    Ok(Json(Keys { keys }))
}

/// Revoke an API key; requests with it are refused from now on.
#[utoipa::path(delete, path = "/partners/me/api-keys/{prefix}", tag = "api keys",
    summary = "API-Schlüssel widerrufen",
    params(("prefix" = String, Path, description = "The key's prefix.")),
    responses((status = 204, description = "Revoked.")))]
pub async fn revoke(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(prefix): ApiPath<String>,
) -> Result<StatusCode> {
    let not_found = || Error::NotFound("Diesen API-Schlüssel gibt es nicht.".into());
    if prefix.len() != PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    match state
        .table
        .update(
            &api_key_key(&prefix),
            &[Update::Set(attr::REVOKED, true.into())],
            Cond::Eq(attr::PARTNER_ID, auth.partner_id.as_str().into()),
        )
        .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::ConditionFailed) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// A partner authenticated by an API key.
#[derive(Debug, Clone)]
pub struct ApiKeyAuth {
    pub partner_id: PartnerId,
}

fn refused() -> Error {
    Error::Unauthorized("Der API-Schlüssel fehlt oder ist ungültig.".into())
}

impl FromRequestParts<AppState> for ApiKeyAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let raw = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(refused)?;
        let mut pieces = raw.trim().splitn(3, '_');
        let (Some("pnk"), Some(prefix), Some(secret)) =
            (pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(refused());
        };
        if prefix.len() != PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(refused());
        }
        let Some(item) = state.table.get(&api_key_key(prefix)).await? else {
            return Err(refused());
        };
        let key: ApiKey = from_item(item)?;
        let presented = sha256_hex(secret.as_bytes());
        if key.revoked || !secrets_equal(presented.as_bytes(), key.secret_hash.as_bytes()) {
            return Err(refused());
        }
        Ok(Self {
            partner_id: key.partner_id,
        })
    }
}
