//! Global links: shown to every customer of the supplier (terms, price lists, ...).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::from_item;
use shared::model::partners::partner_pk;
use shared::openapi::NotFound;
use shared::store::{Cond, Index, Query, StoreError};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::account::load_contract;
use crate::records::{GlobalLink, link_key, links};
use crate::secrets;

/// How many global links a supplier keeps.
const MAX_LINKS: usize = 50;

/// A global link as the supplier sees it (never the password).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub has_password: bool,
    pub created_at: Timestamp,
}

impl From<GlobalLink> for LinkView {
    fn from(l: GlobalLink) -> Self {
        Self {
            id: l.link_id,
            name: l.name,
            url: l.url,
            has_password: l.password_sealed.is_some(),
            created_at: l.created_at,
        }
    }
}

/// Every global link of a supplier, oldest first.
pub async fn all(state: &AppState, partner: &shared::domain::PartnerId) -> Result<Vec<GlobalLink>> {
    let items = state
        .table
        .query_all(Query::partition(Index::Primary, partner_pk(partner)).sk(links()))
        .await?;
    items.into_iter().map(from_item).collect()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "AGB und Preisliste", "url": "https://cloud.example.de/s/Alle01", "password": "fuer-alle-1"}))]
pub struct NewLink {
    #[schema(value_type = shared::openapi::Text<100>, inline)]
    pub name: String,
    /// https
    pub url: String,
    /// Stored encrypted.
    pub password: Option<String>,
}

/// Add a global link.
#[utoipa::path(post, path = "/file-links/links", tag = "file-links", request_body = NewLink,
    responses(
        (status = 201, description = "Added.", body = LinkView),
        (status = 404, response = NotFound),
        (status = 422, response = shared::openapi::Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<NewLink>,
) -> Result<(StatusCode, Json<LinkView>)> {
    let mut v = Validator::new();
    let name = v.text("name", &body.name, 100);
    let url = v.check("url", secrets::folder_url(&body.url));
    let password = match body.password.as_deref() {
        None | Some("") => None,
        Some(p) => v.check("password", secrets::folder_password(p)),
    };
    v.finish()?;
    let (Some(name), Some(url)) = (name, url) else {
        return Err(Error::field("name", "fehlt"));
    };
    load_contract(&state, &auth.partner_id).await?;
    if all(&state, &auth.partner_id).await?.len() >= MAX_LINKS {
        return Err(Error::Unprocessable(format!(
            "Es sind höchstens {MAX_LINKS} globale Links möglich."
        )));
    }
    let key = state.data_key()?;
    let link = GlobalLink {
        link_id: shared::domain::new_id(),
        name,
        url,
        password_sealed: password.map(|p| key.seal(&p)),
        created_at: state.clock.now(),
    };
    state
        .table
        .put(
            shared::model::to_item(&link_key(&auth.partner_id, &link.link_id), &link)?,
            Cond::NotExists,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(link.into())))
}

/// The global links.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkList {
    pub links: Vec<LinkView>,
}

/// The supplier's global links.
#[utoipa::path(get, path = "/file-links/links", tag = "file-links",
    responses((status = 200, description = "The links.", body = LinkList)))]
pub async fn list(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<LinkList>> {
    let links = all(&state, &auth.partner_id).await?;
    Ok(Json(LinkList {
        links: links.into_iter().map(LinkView::from).collect(),
    }))
}

/// Remove a global link.
#[utoipa::path(delete, path = "/file-links/links/{link_id}", tag = "file-links",
    params(("link_id" = RecordId, Path, description = "One of the supplier's global links.")),
    responses((status = 204, description = "Removed.")))]
pub async fn delete(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(id): ApiPath<RecordId>,
) -> Result<StatusCode> {
    let key = link_key(&auth.partner_id, id.as_str());
    match state.table.delete(&key, Cond::Exists).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::ConditionFailed) => Err(Error::NotFound("Link nicht gefunden.".into())),
        Err(e) => Err(e.into()),
    }
}
