//! The customer's side: its folder and the global links, "copy password" with a record of
//! every reveal, and the supplier's list of those records.

use axum::Json;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::auth::{PartnerAuth, Role, TenantAuth};
use shared::domain::PartnerId;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::{ApiPath, ApiQuery, PageParams};
use shared::model::from_item;
use shared::model::partners::partner_pk;
use shared::openapi::NotFound;
use shared::store::{Cond, Index, Query};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::account::load_contract;
use crate::customers::PAGE_SIZE;
use crate::records::{Customer, GlobalLink, Reveal, customer_key, link_key, reveal_key, reveals};

/// The name the customer's own folder is shown with.
const OWN_FOLDER: &str = "Mein Ordner";

/// DynamoDB requests a customer's request sends side by side ([`customer_of`]): init opens
/// as many connections.
pub const FIRST_READS: usize = 2;

/// The customer behind a token, checked on every request: a deleted customer's token is
/// refused (401), a disabled one's too (403), and so is every token once the supplier's
/// account has ended. One read of the customer, one of the contract, side by side.
pub async fn customer_of(state: &AppState, auth: &TenantAuth) -> Result<(PartnerId, Customer)> {
    auth.require(Role::Customer)?;
    let partner = auth
        .scope
        .partner()
        .cloned()
        .ok_or_else(|| Error::Forbidden("Das Token nennt keinen Anbieter.".into()))?;
    let key = customer_key(&partner, auth.account_id.as_str());
    let (customer, contract) = tokio::join!(state.table.get(&key), load_contract(state, &partner));
    let gone = || Error::Unauthorized("Ihr Zugang besteht nicht mehr.".into());
    let customer: Customer = from_item(customer?.ok_or_else(gone)?)?;
    if customer.disabled {
        return Err(Error::Forbidden(
            "Ihr Zugang ist gesperrt. Bitte wenden Sie sich an Ihren Anbieter.".into(),
        ));
    }
    match contract {
        Ok(c) if c.runs_on(state.clock.today()) => Ok((partner, customer)),
        Ok(_) | Err(Error::NotFound(_)) => Err(Error::Forbidden(
            "Das digitale Kundenkonto Ihres Anbieters ist beendet.".into(),
        )),
        Err(e) => Err(e),
    }
}

/// A folder the customer can open.
#[derive(Debug, Serialize, ToSchema)]
pub struct Folder {
    /// The id for `POST /me/folders/{id}/password`.
    pub id: String,
    /// `personal` (the customer's own) or `global` (every customer's).
    pub kind: String,
    pub name: String,
    pub url: String,
    /// Whether "copy password" has something to copy.
    pub has_password: bool,
}

/// The customer's folders.
#[derive(Debug, Serialize, ToSchema)]
pub struct Folders {
    pub first_name: String,
    pub last_name: String,
    pub folders: Vec<Folder>,
}

/// The customer's own folder and the supplier's global links.
#[utoipa::path(get, path = "/me/folders", tag = "file-links",
    responses((status = 200, description = "The folders.", body = Folders)))]
pub async fn mine(State(state): State<AppState>, auth: TenantAuth) -> Result<Json<Folders>> {
    let (partner, customer) = customer_of(&state, &auth).await?;
    let links = crate::links::all(&state, &partner).await?;
    let mut folders = vec![Folder {
        id: customer.account_id.to_string(),
        kind: "personal".into(),
        name: OWN_FOLDER.into(),
        url: customer.folder_url,
        has_password: customer.folder_password_sealed.is_some(),
    }];
    folders.extend(links.into_iter().map(|l| Folder {
        id: l.link_id,
        kind: "global".into(),
        name: l.name,
        url: l.url,
        has_password: l.password_sealed.is_some(),
    }));
    Ok(Json(Folders {
        first_name: customer.first_name,
        last_name: customer.last_name,
        folders,
    }))
}

/// A folder password, for the clipboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedPassword {
    pub password: String,
}

/// Reveal a folder's password ("copy password"); the supplier sees who did so and when.
///
/// Another customer's folder, or one without a password, is 404.
#[utoipa::path(post, path = "/me/folders/{folder_id}/password", tag = "file-links",
    params(("folder_id" = RecordId, Path, description = "The customer's own folder or a global link.")),
    responses(
        (status = 200, description = "The password; not to be cached.", body = RevealedPassword),
        (status = 404, response = NotFound),
    ))]
pub async fn reveal(
    State(state): State<AppState>,
    auth: TenantAuth,
    ApiPath(folder_id): ApiPath<RecordId>,
) -> Result<Response> {
    let (partner, customer) = customer_of(&state, &auth).await?;
    let folder_id = folder_id.into_string();
    let no_password = || Error::NotFound("Für diesen Ordner ist kein Passwort hinterlegt.".into());
    let (name, sealed) = if folder_id == customer.account_id.as_str() {
        (
            OWN_FOLDER.to_string(),
            customer.folder_password_sealed.clone(),
        )
    } else {
        let item = state
            .table
            .get(&link_key(&partner, &folder_id))
            .await?
            .ok_or_else(|| Error::NotFound("Ordner nicht gefunden.".into()))?;
        let link: GlobalLink = from_item(item)?;
        (link.name, link.password_sealed)
    };
    let sealed = sealed.ok_or_else(no_password)?;
    let password = state.data_key()?.open(&sealed).map_err(Error::internal)?;
    let now = state.clock.now();
    let record = Reveal {
        customer_id: customer.account_id.clone(),
        customer_name: customer.name(),
        folder_id,
        folder_name: name,
        revealed_at: now,
    };
    state
        .table
        .put(
            shared::model::to_item(&reveal_key(&partner, now), &record)?,
            Cond::NotExists,
        )
        .await?;
    let mut response = Json(RevealedPassword { password }).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// One page of reveals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealPage {
    pub reveals: Vec<Reveal>,
    pub next_cursor: Option<String>,
}

/// Who copied which folder password when, newest first.
#[utoipa::path(get, path = "/file-links/reveals", tag = "file-links", params(PageParams),
    responses((status = 200, description = "One page.", body = RevealPage)))]
pub async fn list_reveals(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<(StatusCode, Json<RevealPage>)> {
    let limit = params.limit_or(PAGE_SIZE)?;
    let page = state
        .table
        .query(
            Query::partition(Index::Primary, partner_pk(&auth.partner_id))
                .sk(reveals())
                .limit(limit)
                .cursor(params.cursor)
                .backwards(),
        )
        .await?;
    let reveals = page
        .items
        .into_iter()
        .map(from_item)
        .collect::<Result<Vec<Reveal>>>()?;
    Ok((
        StatusCode::OK,
        Json(RevealPage {
            reveals,
            next_cursor: page.cursor,
        }),
    ))
}
