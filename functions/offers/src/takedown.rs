//! A platform's manager takes a live offer down: out of that platform's feed, detail page and
//! click-out at once, its placements there of months not yet started cancelled, and the
//! partner mailed the reason. The partner sees the state `taken_down` with the reason and may
//! edit and submit the offer again.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::auth::ManagerAuth;
use shared::domain::{PlatformId, RecordId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::mail::pending::PendingMails;
use shared::openapi::{Conflict, NotFound, closed_object, multiline_text_between};
use shared::store::StoreError;
use shared::{Error, Result};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::mails;
use crate::offer::{self, Offer, Status, changed_meanwhile};
use crate::parties::{load_partner, platform_name};
use crate::withdrawal::{Leaving, leave_one};

/// The shortest and longest reason, in characters (trimmed).
pub const REASON_MIN: usize = 3;
pub const REASON_MAX: usize = 1000;

/// Why the offer is taken down; the partner reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeDownBody {
    pub reason: String,
}

impl PartialSchema for TakeDownBody {
    fn schema() -> RefOr<Schema> {
        #[allow(deprecated)] // `example`, as the derived schemas write it
        closed_object()
            .property(
                "reason",
                multiline_text_between(REASON_MIN, REASON_MAX).description(Some(
                    "Why the offer is taken down (3 to 1000 characters); the partner reads it.",
                )),
            )
            .required("reason")
            .example(Some(
                json!({"reason": "Der beworbene Rabatt wird im Shop nicht gewährt."}),
            ))
            .into()
    }
}

impl ToSchema for TakeDownBody {}

/// The offer's state on the platform after the take-down.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakenDownView {
    pub offer_id: String,
    pub platform_id: PlatformId,
    /// Always `taken_down`.
    pub status: String,
    /// The reason the partner was mailed.
    pub reason: String,
    pub taken_down_at: Timestamp,
}

impl TakenDownView {
    fn of(offer: &Offer, platform: &PlatformId) -> Option<Self> {
        let on = offer
            .states
            .get(platform)
            .filter(|s| s.status == Status::TakenDown)?;
        Some(Self {
            offer_id: offer.offer_id.clone(),
            platform_id: platform.clone(),
            status: "taken_down".into(),
            reason: on.rejection_reason.clone().unwrap_or_default(),
            taken_down_at: on.decided_at.unwrap_or(offer.updated_at),
        })
    }
}

/// What taking an offer down found.
pub enum TakeDown {
    /// Taken down now; the partner is mailed.
    Done(TakenDownView),
    /// It had been taken down before: nothing changed, nothing mailed.
    Already(TakenDownView),
    /// Not shown on the platform (never approved there, withdrawn, or not its offer).
    NotShown,
}

/// Takes `offer_id` off `platform` with `reason`: the offer's state, its review there (a
/// revision waiting), feed entries and bookings to come, and the partner's mail, in one
/// transaction conditioned on the offer's version.
pub async fn take_offer_down(
    state: &AppState,
    platform: &PlatformId,
    offer_id: &str,
    reason: &str,
) -> Result<TakeDown> {
    let offer = match offer::load(state.table.as_ref(), offer_id).await {
        Ok(offer) => offer,
        Err(Error::NotFound(_)) => return Ok(TakeDown::NotShown),
        Err(e) => return Err(e),
    };
    if let Some(view) = TakenDownView::of(&offer, platform) {
        return Ok(TakeDown::Already(view));
    }
    let Some(live) = offer.states.get(platform).and_then(|s| s.live.as_ref()) else {
        return Ok(TakeDown::NotShown);
    };
    let title = live.content.title.clone();
    let leaving = Leaving::TakenDown {
        reason: reason.to_string(),
    };
    let (after, mut ops) = leave_one(state, &offer, platform, &leaving).await?;
    let partner = load_partner(state, &offer.partner_id).await?;
    let platform_name = platform_name(state, platform).await?;
    let mail = mails::render(
        &partner.email,
        mails::OFFER_TAKEN_DOWN,
        &[
            ("contact_name", &partner.contact_name),
            ("title", &title),
            ("platform", &platform_name),
            ("reason", reason),
        ],
    );
    let outgoing = PendingMails::of(state);
    let (pending, mail_op) = outgoing.enqueue(mail)?;
    ops.push(mail_op);
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled { .. }) => {
            // Two take-downs at once: the one that lost finds the other's result.
            let now = offer::load(state.table.as_ref(), offer_id).await?;
            return match TakenDownView::of(&now, platform) {
                Some(view) => Ok(TakeDown::Already(view)),
                None => Err(changed_meanwhile()),
            };
        }
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(pending).await;
    tracing::info!(offer_id, platform_id = %platform, "offer taken down");
    TakenDownView::of(&after, platform)
        .map(TakeDown::Done)
        .ok_or_else(|| Error::internal(std::io::Error::other("take-down not recorded")))
}

/// Take a live offer off the platform with a reason the partner is mailed: it leaves the
/// feed, its detail page and click-out there at once. Taking it down again changes nothing
/// and mails nothing.
#[utoipa::path(post, path = "/platforms/{platform_id}/offers/{offer_id}/take-down", tag = "review",
    params(
        ("platform_id" = PlatformId, Path, description = "A platform the caller manages."),
        ("offer_id" = RecordId, Path, description = "An offer shown on the platform."),
    ),
    request_body = TakeDownBody,
    responses(
        (status = 200, description = "Taken down (now or before).", body = TakenDownView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn take_down(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath((platform_id, offer_id)): ApiPath<(PlatformId, RecordId)>,
    ApiJson(body): ApiJson<TakeDownBody>,
) -> Result<Json<TakenDownView>> {
    manager.ensure_platform(&platform_id)?;
    let mut v = Validator::new();
    let reason = v.optional_multiline_text("reason", Some(&body.reason), REASON_MAX);
    let long_enough = reason
        .as_deref()
        .is_some_and(|r| r.chars().count() >= REASON_MIN);
    if reason.is_some() || body.reason.trim().is_empty() {
        v.require(
            "reason",
            long_enough,
            "Geben Sie eine Begründung von mindestens 3 Zeichen an",
        );
    }
    v.finish()?;
    let reason = reason.unwrap_or_default();
    match take_offer_down(&state, &platform_id, &offer_id.into_string(), &reason).await? {
        TakeDown::Done(view) | TakeDown::Already(view) => Ok(Json(view)),
        TakeDown::NotShown => Err(Error::NotFound(
            "Dieses Angebot wird auf dieser Plattform nicht gezeigt.".into(),
        )),
    }
}
