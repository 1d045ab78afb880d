//! Review per platform: the partner submits (or withdraws), the platform's manager works
//! through the queue oldest first and approves or rejects with a reason.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::auth::{ManagerAuth, PartnerAuth};
use shared::domain::RecordId;
use shared::domain::{PartnerId, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery, Validator};
use shared::mail::pending::PendingMails;
use shared::model::from_item;
use shared::openapi::{
    Conflict, Unprocessable, closed_object, multiline_text, one_of_strings, optional_multiline_text,
};
use shared::store::{Cond, GSI1PK, GSI1SK, Index, Item, Named, Query, StoreError, TxOp};
use shared::{Error, FieldError, Result};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::drafts::OfferView;
use crate::offer::{
    self, Checks, Content, Live, OnPlatform, Status, changed_meanwhile, review_key, save_op, step,
};
use crate::parties::{load_partner, platform_name};
use crate::withdrawal::{self, Withdrawal};
use crate::{images, listing, mails, subscription};

/// The submission's time: a decision deletes exactly the submission it decided.
const SUBMITTED_AT: shared::store::Attr = "submitted_at";

pub use shared::model::reviews::review_index;

/// What a manager reviews: the submitted version, frozen at submit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submission {
    pub offer_id: String,
    pub partner_id: PartnerId,
    pub platform_id: PlatformId,
    pub company: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_key: Option<String>,
    pub content: Content,
    /// Which draft revision `content` is; none on submissions from before offers counted
    /// their revisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_revision: Option<u64>,
    /// A revision of a version already shown there.
    pub revision: bool,
    pub submitted_at: Timestamp,
}

impl Submission {
    fn to_item(&self) -> Result<Item> {
        let mut item =
            shared::model::to_item(&review_key(&self.offer_id, &self.platform_id), self)?;
        item.insert(GSI1PK.into(), review_index(&self.platform_id).into());
        item.insert(
            GSI1SK.into(),
            format!("{}#{}", self.submitted_at, self.offer_id).into(),
        );
        Ok(item)
    }
}

/// Send the draft to review on each of its platforms where the partner is approved;
/// 422 naming the platforms where it is not (nothing is submitted then).
#[utoipa::path(post, path = "/offers/{offer_id}/submit", tag = "review",
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses(
        (status = 200, description = "In review on its platforms.", body = OfferView),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
) -> Result<Json<OfferView>> {
    let offer_id = offer_id.into_string();
    let mut offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    let today = state.clock.today();
    let now = state.clock.now();
    let mut errors = Vec::new();
    if offer.content.valid_to < today {
        errors.push(FieldError::new(
            "valid_to",
            "Das Angebot ist bereits abgelaufen.",
        ));
    }
    // What the manager sees and approves: copies no upload URL can overwrite.
    let pinned = match images::pin(&state.blobs, &offer.content.images).await? {
        Ok(pinned) => pinned,
        Err(image_errors) => {
            errors.extend(image_errors);
            Vec::new()
        }
    };
    let mut not_approved = Vec::new();
    for (i, platform) in offer.platforms.iter().enumerate() {
        let runs = subscription::runs_on(
            state.table.as_ref(),
            &auth.partner_id,
            platform,
            today,
            shared::store::Consistency::Strong,
        )
        .await?;
        if !runs {
            let name = platform_name(&state, platform).await?;
            errors.push(FieldError::new(
                format!("platforms[{i}]"),
                format!("Auf {name} sind Sie nicht als Partner freigeschaltet."),
            ));
            not_approved.push(name);
        }
    }
    if !errors.is_empty() {
        let detail = if not_approved.is_empty() {
            "Das Angebot kann so nicht eingereicht werden.".to_string()
        } else {
            format!(
                "Nicht freigeschaltet auf: {}. Das Angebot wurde nicht eingereicht.",
                not_approved.join(", ")
            )
        };
        return Err(Error::UnprocessableFields { detail, errors });
    }
    let partner = load_partner(&state, &auth.partner_id).await?;
    let read = offer.version;
    let mut ops: Vec<Named> = Vec::new();
    let mut submitted = 0;
    for platform in offer.platforms.clone() {
        let current = offer.states.get(&platform);
        let unchanged = current.is_some_and(|s| s.status == Status::Approved)
            && !offer.revision_pending_on(&platform);
        if unchanged {
            continue;
        }
        let live = current.and_then(|s| s.live.clone());
        let submission = Submission {
            offer_id: offer.offer_id.clone(),
            partner_id: offer.partner_id.clone(),
            platform_id: platform.clone(),
            company: partner.company.clone(),
            logo_key: partner.logo_key.clone(),
            content: Content {
                images: pinned.clone(),
                ..offer.content.clone()
            },
            draft_revision: Some(offer.draft_revision),
            revision: live.is_some(),
            submitted_at: now,
        };
        ops.push(
            TxOp::Put {
                item: submission.to_item()?,
                cond: Cond::Always,
            }
            .named(step::REVIEW),
        );
        let placed_months = current.map(|s| s.placed_months.clone()).unwrap_or_default();
        offer.states.insert(
            platform,
            OnPlatform {
                status: Status::InReview,
                submitted_at: Some(now),
                decided_at: None,
                checks: None,
                rejection_reason: None,
                live,
                placed_months,
            },
        );
        submitted += 1;
    }
    if submitted == 0 {
        return Err(Error::Conflict(
            "Nichts einzureichen: die freigegebene Fassung ist aktuell.".into(),
        ));
    }
    offer.updated_at = now;
    offer.version += 1;
    ops.insert(0, save_op(&offer, read)?.named(step::OFFER));
    commit(&state, ops).await?;
    tracing::info!(offer_id = %offer.offer_id, platforms = submitted, "offer submitted");
    Ok(Json(OfferView::from(offer)))
}

async fn commit(state: &AppState, ops: Vec<Named>) -> Result<()> {
    match state.table.transact(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::TxCancelled {
            failed: step::OFFER,
        }) => Err(changed_meanwhile()),
        Err(e) => Err(e.into()),
    }
}

/// Take the offer off every platform: out of every feed and review queue, its placements of
/// months not yet started cancelled.
#[utoipa::path(post, path = "/offers/{offer_id}/withdraw", tag = "review",
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses(
        (status = 200, description = "Withdrawn everywhere; placements of later months cancelled.", body = OfferView),
        (status = 409, response = Conflict),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
) -> Result<Json<OfferView>> {
    let offer_id = offer_id.into_string();
    match withdrawal::withdraw(&state, &auth.partner_id, &offer_id).await? {
        Withdrawal::Withdrawn(offer) => Ok(Json(OfferView::from(*offer))),
        Withdrawal::NothingToWithdraw => Err(Error::Conflict(
            "Das Angebot ist weder veröffentlicht noch in Prüfung.".into(),
        )),
    }
}

/// An image with a URL valid for at least an hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    pub image_id: String,
    pub content_type: String,
    pub url: String,
}

pub async fn image_views(
    blobs: &shared::blobs::Blobs,
    images: &[offer::Image],
) -> Result<Vec<ImageView>> {
    let mut out = Vec::with_capacity(images.len());
    for image in images {
        out.push(ImageView {
            image_id: image.image_id.clone(),
            content_type: image.content_type.mime().into(),
            url: blobs
                .download_url(&image.key, crate::images::URL_VALIDITY)
                .await?,
        });
    }
    Ok(out)
}

/// The version the platform shows now, beside a revision in review.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveVersion {
    pub content: Content,
    /// The benefit in German, as the feed shows it.
    pub benefit_text: String,
    /// Its images in order, each viewable for an hour.
    pub images: Vec<ImageView>,
    /// The company name the feed shows.
    pub company: String,
    /// First approval on the platform.
    pub published_at: Timestamp,
    /// Approval of this version.
    pub approved_at: Timestamp,
}

/// One offer waiting for review: the submitted version as the feed will show it, and for a
/// revision the version shown now beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    pub offer_id: String,
    pub partner_id: PartnerId,
    /// The company name the feed will show.
    pub company: String,
    pub content: Content,
    /// The benefit in German, as the feed will show it (e.g. `15 % Rabatt`).
    pub benefit_text: String,
    /// In display order (the feed's card shows the first), each viewable for an hour.
    pub images: Vec<ImageView>,
    /// A revision of a version already shown.
    pub revision: bool,
    /// For a revision: the version the platform shows now.
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveVersion>,
    /// Waiting since (the submission).
    pub submitted_at: Timestamp,
}

/// The version `platform` shows of a revision's offer, if it still shows one.
async fn live_beside(
    state: &AppState,
    offer_id: &str,
    platform: &PlatformId,
) -> Result<Option<LiveVersion>> {
    let offer = match offer::load(state.table.as_ref(), offer_id).await {
        Ok(offer) => offer,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(live) = offer.states.get(platform).and_then(|s| s.live.clone()) else {
        return Ok(None);
    };
    Ok(Some(LiveVersion {
        images: image_views(&state.blobs, &live.content.images).await?,
        benefit_text: live.content.benefit.headline(),
        content: live.content,
        company: live.company,
        published_at: live.published_at,
        approved_at: live.approved_at,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queue {
    pub reviews: Vec<QueueEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// The platform's review queue, oldest first: each submission as the feed will show it,
/// waiting since `submitted_at`, and for a revision the version shown now.
#[utoipa::path(get, path = "/platforms/{platform_id}/reviews", tag = "review",
    params(("platform_id" = PlatformId, Path, description = "A platform the caller manages."), QueueParams),
    responses((status = 200, description = "One page of the queue.", body = Queue)))]
pub async fn queue(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> Result<Json<Queue>> {
    manager.ensure_platform(&platform_id)?;
    let limit = shared::http::page_limit(params.limit, 20, 50)?;
    let page = state
        .table
        .query(
            Query::partition(Index::Gsi1, review_index(&platform_id))
                .limit(limit)
                .cursor(params.cursor),
        )
        .await?;
    let mut reviews = Vec::with_capacity(page.items.len());
    for item in page.items {
        let s: Submission = from_item(item)?;
        let live = if s.revision {
            live_beside(&state, &s.offer_id, &platform_id).await?
        } else {
            None
        };
        reviews.push(QueueEntry {
            images: image_views(&state.blobs, &s.content.images).await?,
            benefit_text: s.content.benefit.headline(),
            live,
            offer_id: s.offer_id,
            partner_id: s.partner_id,
            company: s.company,
            content: s.content,
            revision: s.revision,
            submitted_at: s.submitted_at,
        });
    }
    Ok(Json(Queue {
        reviews,
        next_cursor: page.cursor,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

/// A manager's decision on an offer; documented by hand (below) as its two variants, so
/// the document states what [`decide`] checks: an approval confirms both checks, a
/// rejection gives a reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: Decision,
    /// What the manager confirmed; both must be confirmed to approve.
    pub checks: Checks,
    /// Required to reject (up to 1000 characters); the partner reads it.
    pub reason: Option<String>,
}

/// The longest reason of a decision, in characters.
const REASON_MAX: usize = 1000;

impl PartialSchema for DecisionBody {
    fn schema() -> RefOr<Schema> {
        let confirmed = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .enum_values(Some([true]))
                .description(Some(description))
        };
        let approve = closed_object()
            .property("decision", one_of_strings(&["approve"]))
            .required("decision")
            .property(
                "checks",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("lawful", confirmed("The offer is lawful."))
                    .required("lawful")
                    .property(
                        "real_benefit",
                        confirmed("It gives the community a real benefit."),
                    )
                    .required("real_benefit")
                    .description(Some("Both confirmed: an approval needs them.")),
            )
            .required("checks")
            .property(
                "reason",
                optional_multiline_text(REASON_MAX)
                    .description(Some("Optional when approving; the partner reads it.")),
            );
        let reject = closed_object()
            .property("decision", one_of_strings(&["reject"]))
            .required("decision")
            .property("checks", Checks::schema())
            .required("checks")
            .property(
                "reason",
                multiline_text(REASON_MAX).description(Some(
                    "Required to reject (up to 1000 characters); the partner reads it.",
                )),
            )
            .required("reason");
        #[allow(deprecated)] // `example`, as the derived schemas write it
        OneOfBuilder::new()
            .item(approve)
            .item(reject)
            .example(Some(
                json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
            ))
            .into()
    }
}

impl ToSchema for DecisionBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "OfferDecisionBody".into()
    }
}

/// The decision as recorded on the offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub offer_id: String,
    pub platform_id: PlatformId,
    /// `approved` or `rejected`.
    pub status: String,
    pub checks: Checks,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    pub decided_at: Timestamp,
}

/// Approve (the submitted version goes live in the feed) or reject with a reason; the
/// partner gets an e-mail.
#[utoipa::path(post, path = "/platforms/{platform_id}/reviews/{offer_id}/decision", tag = "review",
    params(
        ("platform_id" = PlatformId, Path, description = "A platform the caller manages."),
        ("offer_id" = RecordId, Path, description = "An offer in the platform's queue."),
    ),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Decided.", body = DecisionView),
        (status = 409, response = Conflict),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath((platform_id, offer_id)): ApiPath<(PlatformId, RecordId)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<DecisionView>> {
    let offer_id = offer_id.into_string();
    manager.ensure_platform(&platform_id)?;
    let mut v = Validator::new();
    let reason = v.optional_multiline_text("reason", body.reason.as_deref(), REASON_MAX);
    match body.decision {
        Decision::Reject => {
            let given = body.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
            v.require("reason", given, "Eine Ablehnung braucht eine Begründung");
        }
        Decision::Approve => {
            v.require(
                "checks.lawful",
                body.checks.lawful,
                "Bestätigen Sie vor der Freigabe, dass das Angebot rechtmäßig ist",
            );
            v.require(
                "checks.real_benefit",
                body.checks.real_benefit,
                "Bestätigen Sie vor der Freigabe, dass es einen echten Mehrwert bietet",
            );
        }
    }
    v.finish()?;
    let item = state
        .table
        .get(&review_key(&offer_id, &platform_id))
        .await?
        .ok_or_else(|| Error::NotFound("Dieses Angebot wartet hier nicht auf Prüfung.".into()))?;
    let submission: Submission = from_item(item)?;
    let mut offer = offer::load(state.table.as_ref(), &offer_id).await?;
    let before = offer.clone();
    let read = offer.version;
    let now = state.clock.now();
    let on = offer
        .states
        .get_mut(&platform_id)
        .filter(|s| s.status == Status::InReview)
        .ok_or_else(|| Error::Conflict("Über dieses Angebot wurde bereits entschieden.".into()))?;
    on.decided_at = Some(now);
    on.checks = Some(body.checks);
    let approve = matches!(body.decision, Decision::Approve);
    if approve {
        on.status = Status::Approved;
        on.rejection_reason = None;
        on.live = Some(Live {
            published_at: on.live.as_ref().map_or(now, |l| l.published_at),
            approved_at: now,
            content: submission.content.clone(),
            draft_revision: submission.draft_revision,
            company: submission.company.clone(),
            logo_key: submission.logo_key.clone(),
        });
    } else {
        on.status = Status::Rejected;
        on.rejection_reason = reason.clone();
    }
    offer.updated_at = now;
    offer.version += 1;
    let partner = load_partner(&state, &offer.partner_id).await?;
    let platform = platform_name(&state, &platform_id).await?;
    let mail = if approve {
        mails::render(
            &partner.email,
            mails::OFFER_APPROVED,
            &[
                ("contact_name", &partner.contact_name),
                ("title", &submission.content.title),
                ("platform", &platform),
            ],
        )
    } else {
        mails::render(
            &partner.email,
            mails::OFFER_REJECTED,
            &[
                ("contact_name", &partner.contact_name),
                ("title", &submission.content.title),
                ("platform", &platform),
                ("reason", reason.as_deref().unwrap_or_default()),
            ],
        )
    };
    let outgoing = PendingMails::of(&state);
    let (pending, mail_op) = outgoing.enqueue(mail)?;
    let mut ops = vec![
        save_op(&offer, read)?.named(step::OFFER),
        TxOp::Delete {
            key: review_key(&offer_id, &platform_id),
            cond: Cond::Eq(SUBMITTED_AT, serde_json::to_value(submission.submitted_at)?),
        }
        .named(step::REVIEW),
        mail_op,
    ];
    ops.extend(listing::sync(&before, &offer, &platform_id)?);
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) => return Err(changed_meanwhile()),
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(pending).await;
    tracing::info!(offer_id = %offer_id, platform_id = %platform_id, approved = approve, "offer decided");
    Ok(Json(DecisionView {
        offer_id,
        platform_id,
        status: if approve { "approved" } else { "rejected" }.into(),
        checks: body.checks,
        rejection_reason: reason,
        decided_at: now,
    }))
}
