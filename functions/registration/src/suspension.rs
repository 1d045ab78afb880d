//! A platform's manager suspends a partner there (with a reason the partner is mailed) and
//! reinstates it. While suspended, the partner's subscription does not count as running
//! (`Application::subscribed_on`): its offers leave the platform's feed at once, nothing can be
//! submitted or booked there, its referral programs are not offered there, and a month that
//! starts suspended is not billed.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::json;
use shared::auth::ManagerAuth;
use shared::domain::{PartnerId, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::mail::pending::PendingMails;
use shared::model::from_item;
use shared::model::subscriptions::{Application, STATUS, Suspension, application_key};
use shared::openapi::{Conflict, NotFound, closed_object, multiline_text_between};
use shared::store::{Cond, StoreError, TxOp};
use shared::{Error, Result};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::{mails, profile};

/// The shortest and longest reason, in characters (trimmed).
pub const REASON_MIN: usize = 3;
pub const REASON_MAX: usize = 1000;

/// Marks the suspension's write: a suspension changes nothing else of the application.
const SUSPENSION: shared::store::Attr = "suspension";
/// The name of the application's write in a transaction.
const APPLICATION_OP: &str = "application";

/// Why the partner is suspended; the partner reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    pub reason: String,
}

impl PartialSchema for SuspendBody {
    fn schema() -> RefOr<Schema> {
        #[allow(deprecated)] // `example`, as the derived schemas write it
        closed_object()
            .property(
                "reason",
                multiline_text_between(REASON_MIN, REASON_MAX).description(Some(
                    "Why the partner is suspended (3 to 1000 characters); the partner reads it.",
                )),
            )
            .required("reason")
            .example(Some(
                json!({"reason": "Mehrere Beschwerden über nicht eingelöste Gutscheine."}),
            ))
            .into()
    }
}

impl ToSchema for SuspendBody {}

async fn load(state: &AppState, partner: &PartnerId, platform: &PlatformId) -> Result<Application> {
    let item = state
        .table
        .get(&application_key(partner, platform))
        .await?
        .ok_or_else(not_subscribed)?;
    from_item(item)
}

fn not_subscribed() -> Error {
    Error::NotFound("Dieser Partner nimmt an dieser Plattform nicht teil.".into())
}

/// What a suspension or reinstatement found.
enum Change {
    /// Written now, with the mail that reports it.
    Done(Application),
    /// Already so: nothing written, nothing mailed.
    Already(Application),
}

/// Writes `app` as changed from `read` (same status, the suspension as read), with the mail,
/// in one transaction; a concurrent change of the same kind answers `Already`.
async fn save(
    state: &AppState,
    app: Application,
    read: &Application,
    mail: shared::mail::Mail,
    done: impl Fn(&Application) -> bool,
) -> Result<Change> {
    let suspension_as_read = match &read.suspension {
        None => Cond::Absent(SUSPENSION),
        Some(s) => Cond::Eq(SUSPENSION, serde_json::to_value(s)?),
    };
    let outgoing = PendingMails::of(state);
    let (pending, mail_op) = outgoing.enqueue(mail)?;
    let ops = vec![
        TxOp::Put {
            item: app.to_item()?,
            cond: Cond::All(vec![
                Cond::Eq(STATUS, read.status.as_str().into()),
                suspension_as_read,
            ]),
        }
        .named(APPLICATION_OP),
        mail_op,
    ];
    match state.table.transact(ops).await {
        Ok(()) => {
            outgoing.deliver(pending).await;
            Ok(Change::Done(app))
        }
        Err(StoreError::TxCancelled { .. }) => {
            let now = load(state, &app.partner_id, &app.platform_id).await?;
            if done(&now) {
                Ok(Change::Already(now))
            } else {
                Err(Error::Conflict(
                    "Die Teilnahme wurde gerade anderweitig geändert. Bitte neu laden.".into(),
                ))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Suspend a partner on the platform with a reason the partner is mailed: all of its offers
/// leave the platform's feed at once, and months that start while it is suspended are not
/// billed. Suspending again changes nothing and mails nothing.
#[utoipa::path(post, path = "/platforms/{platform_id}/partners/{partner_id}/suspension", tag = "applications",
    params(
        ("platform_id" = PlatformId, Path, description = "A platform the caller manages."),
        ("partner_id" = PartnerId, Path, description = "A partner subscribed there."),
    ),
    request_body = SuspendBody,
    responses(
        (status = 200, description = "Suspended (now or before): the application with its `suspension`.", body = Application),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn suspend(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath((platform_id, partner_id)): ApiPath<(PlatformId, PartnerId)>,
    ApiJson(body): ApiJson<SuspendBody>,
) -> Result<Json<Application>> {
    manager.ensure_platform(&platform_id)?;
    let mut v = Validator::new();
    let reason = v.optional_multiline_text("reason", Some(&body.reason), REASON_MAX);
    if reason.is_some() || body.reason.trim().is_empty() {
        v.require(
            "reason",
            reason
                .as_deref()
                .is_some_and(|r| r.chars().count() >= REASON_MIN),
            "Geben Sie eine Begründung von mindestens 3 Zeichen an",
        );
    }
    v.finish()?;
    let reason = reason.unwrap_or_default();
    let read = load(&state, &partner_id, &platform_id).await?;
    if read.suspension.is_some() {
        return Ok(Json(read));
    }
    if !read.contracted_on(state.clock.today()) {
        return Err(not_subscribed());
    }
    let mut app = read.clone();
    app.suspension = Some(Suspension {
        reason: reason.clone(),
        suspended_at: state.clock.now(),
    });
    let partner = profile::load_partner(&state, &partner_id).await?;
    let mail = mails::render(
        &partner.email,
        mails::PARTNER_SUSPENDED,
        &[
            ("contact_name", &partner.contact_name),
            ("company", &partner.company),
            ("platform", &app.platform_name),
            ("reason", &reason),
        ],
    );
    let change = save(&state, app, &read, mail, |a| a.suspension.is_some()).await?;
    let (Change::Done(app) | Change::Already(app)) = change;
    tracing::info!(platform_id = %platform_id, partner_id = %partner_id, "partner suspended");
    Ok(Json(app))
}

/// Reinstate a suspended partner on the platform: its offers approved there are shown again
/// at once and the partner is mailed. Reinstating one not suspended changes nothing.
#[utoipa::path(delete, path = "/platforms/{platform_id}/partners/{partner_id}/suspension", tag = "applications",
    params(
        ("platform_id" = PlatformId, Path, description = "A platform the caller manages."),
        ("partner_id" = PartnerId, Path, description = "A partner subscribed there."),
    ),
    responses(
        (status = 200, description = "Not suspended (now or before): the application.", body = Application),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn reinstate(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath((platform_id, partner_id)): ApiPath<(PlatformId, PartnerId)>,
) -> Result<Json<Application>> {
    manager.ensure_platform(&platform_id)?;
    let read = load(&state, &partner_id, &platform_id).await?;
    if read.suspension.is_none() {
        return Ok(Json(read));
    }
    let mut app = read.clone();
    app.suspension = None;
    let partner = profile::load_partner(&state, &partner_id).await?;
    let mail = mails::render(
        &partner.email,
        mails::PARTNER_REINSTATED,
        &[
            ("contact_name", &partner.contact_name),
            ("company", &partner.company),
            ("platform", &app.platform_name),
        ],
    );
    let change = save(&state, app, &read, mail, |a| a.suspension.is_none()).await?;
    let (Change::Done(app) | Change::Already(app)) = change;
    tracing::info!(platform_id = %platform_id, partner_id = %partner_id, "partner reinstated");
    Ok(Json(app))
}
