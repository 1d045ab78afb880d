//! The partner's own offers: create, edit, delete, list with the state per platform.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use serde::Serialize;
use shared::auth::PartnerAuth;
use shared::domain::Month;
use shared::domain::PlatformId;
use shared::domain::RecordId;
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery, PageParams};
use shared::model::from_stored;
use shared::openapi::{Conflict, NotFound, Unprocessable};
use shared::store::{Cond, StoreError};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::feed::PAGE_SIZE;
use crate::input::{self, OfferInput};
use crate::offer::{
    self, Checks, Content, LiveRevision, Offer, ShownVersion, Status, changed_meanwhile, save_op,
    step,
};
use crate::withdrawal::{self, Deletion};

/// The offer's state on one platform, as its partner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformStateView {
    pub platform_id: PlatformId,
    /// `draft` (never submitted there), `in_review`, `approved`, `rejected`, `withdrawn` or
    /// `taken_down` (by the platform's manager, the reason in `rejection_reason`).
    pub status: String,
    /// Whether an approved version is shown there.
    pub live: bool,
    /// The draft differs from the version shown: a revision to submit or in review.
    pub revision_pending: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// The manager's reason of a rejection or a take-down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
    pub placed_months: Vec<Month>,
}

/// An offer as its partner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub offer_id: String,
    pub content: Content,
    pub platforms: Vec<PlatformStateView>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl<L: ShownVersion> From<Offer<L>> for OfferView {
    fn from(o: Offer<L>) -> Self {
        // The chosen platforms, then any the offer is still shown on after an edit dropped
        // them (until it is withdrawn there).
        let mut listed: Vec<&PlatformId> = o.platforms.iter().collect();
        listed.extend(o.states.keys().filter(|p| !o.platforms.contains(p)));
        let platforms = listed
            .into_iter()
            .map(|p| match o.states.get(p) {
                Some(s) => PlatformStateView {
                    platform_id: p.clone(),
                    status: match s.status {
                        Status::InReview => "in_review",
                        Status::Approved => "approved",
                        Status::Rejected => "rejected",
                        Status::Withdrawn => "withdrawn",
                        Status::TakenDown => "taken_down",
                    }
                    .into(),
                    live: s.live.is_some(),
                    revision_pending: s.revision_pending(&o.content, o.draft_revision),
                    submitted_at: s.submitted_at,
                    decided_at: s.decided_at,
                    rejection_reason: s.rejection_reason.clone(),
                    checks: s.checks,
                    placed_months: s.placed_months.clone(),
                },
                None => PlatformStateView {
                    platform_id: p.clone(),
                    status: "draft".into(),
                    live: false,
                    revision_pending: false,
                    submitted_at: None,
                    decided_at: None,
                    rejection_reason: None,
                    checks: None,
                    placed_months: Vec::new(),
                },
            })
            .collect();
        Self {
            offer_id: o.offer_id,
            content: o.content,
            platforms,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// One page of the partner's offers, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferList {
    pub offers: Vec<OfferView>,
    /// Present when more offers may follow.
    pub next_cursor: Option<String>,
}

/// Create a draft offer.
#[utoipa::path(post, path = "/offers", tag = "offers", request_body = OfferInput,
    responses(
        (status = 201, description = "The draft.", body = OfferView),
        (status = 422, response = Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<OfferInput>,
) -> Result<(StatusCode, Json<OfferView>)> {
    let valid = input::validate(state.table.as_ref(), &body, state.clock.today()).await?;
    let now = state.clock.now();
    let offer = Offer {
        offer_id: shared::domain::new_id(),
        partner_id: auth.partner_id.clone(),
        content: valid.content,
        draft_revision: 0,
        platforms: valid.platforms,
        states: Default::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    state.table.put(offer.to_item()?, Cond::NotExists).await?;
    tracing::info!(offer_id = %offer.offer_id, partner_id = %auth.partner_id, "offer created");
    Ok((StatusCode::CREATED, Json(OfferView::from(offer))))
}

/// Replace the draft's texts, terms, categories and platforms (images stay). A published
/// offer keeps showing its approved version until the revision is submitted and approved.
#[utoipa::path(put, path = "/offers/{offer_id}", tag = "offers", request_body = OfferInput,
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses(
        (status = 200, description = "The changed draft.", body = OfferView),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<OfferInput>,
) -> Result<Json<OfferView>> {
    let offer_id = offer_id.into_string();
    let mut offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    let valid = input::validate(state.table.as_ref(), &body, state.clock.today()).await?;
    let read = offer.version;
    offer.revise(|draft| {
        *draft = Content {
            images: std::mem::take(&mut draft.images),
            ..valid.content
        }
    });
    offer.platforms = valid.platforms;
    offer.updated_at = state.clock.now();
    offer.version += 1;
    save(&state, &offer, read).await?;
    Ok(Json(OfferView::from(offer)))
}

/// Writes a changed offer conditioned on the version it was read with.
pub async fn save(state: &AppState, offer: &Offer, read_version: u64) -> Result<()> {
    match state
        .table
        .transact(vec![save_op(offer, read_version)?.named(step::OFFER)])
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::TxCancelled {
            failed: step::OFFER,
        }) => Err(changed_meanwhile()),
        Err(e) => Err(e.into()),
    }
}

/// Delete a draft that is neither shown nor in review anywhere; its placements of months not
/// yet started are cancelled.
#[utoipa::path(delete, path = "/offers/{offer_id}", tag = "offers",
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses(
        (status = 204, description = "Deleted; placements of later months cancelled."),
        (status = 409, response = Conflict),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
) -> Result<StatusCode> {
    let offer_id = offer_id.into_string();
    match withdrawal::delete(&state, &auth.partner_id, &offer_id).await? {
        Deletion::Deleted => Ok(StatusCode::NO_CONTENT),
        Deletion::StillShown => Err(Error::Conflict(
            "Das Angebot ist veröffentlicht oder in Prüfung. Ziehen Sie es zuerst zurück.".into(),
        )),
    }
}

/// The partner's offers with their state on each platform, newest first, page by page.
#[utoipa::path(get, path = "/partners/me/offers", tag = "offers", params(PageParams),
    responses((status = 200, description = "One page of the partner's offers.", body = OfferList),
        (status = 404, response = NotFound)))]
pub async fn list_mine(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<OfferList>> {
    let limit = params.limit_or(PAGE_SIZE)?;
    let page = state
        .table
        .query_stored(
            offer::partner_offers(&auth.partner_id)
                .limit(limit)
                .cursor(params.cursor),
        )
        .await?;
    let mut offers = Vec::with_capacity(page.items.len());
    for item in page.items {
        // Of each shown version only its revision: the list never shows approved content.
        let lean = from_stored::<Offer<LiveRevision>>(item)?;
        offers.push(if lean.uncounted() {
            OfferView::from(offer::load(state.table.as_ref(), &lean.offer_id).await?)
        } else {
            OfferView::from(lean)
        });
    }
    Ok(Json(OfferList {
        offers,
        next_cursor: page.cursor,
    }))
}
