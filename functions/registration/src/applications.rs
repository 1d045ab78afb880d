//! Applying to platforms, the managers' review, and cancelling a subscription.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::auth::{ManagerAuth, PartnerAuth};
use shared::domain::{PartnerId, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery, Validator};
use shared::mail::Mail;
use shared::mail::pending::PendingMails;
use shared::model::billable;
use shared::model::from_item;
use shared::model::partners::{Partner, partner_pk};
use shared::model::subscriptions::{
    APPLICATION_PREFIX, Application, ApplicationStatus, STATUS, application_key, applications_index,
};
use shared::openapi::{
    Conflict, Unprocessable, closed_object, multiline_text, one_of_strings, optional_multiline_text,
};
use shared::store::{Cond, Index, Named, Query, SkCond, TxOp};
use shared::{Error, FieldError, Result};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{OneOfBuilder, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::replies::{Cancellation, MyApplications, PlatformApplication, PlatformApplications};
use crate::{mails, notice, platforms, profile};

async fn load(
    state: &AppState,
    partner_id: &PartnerId,
    platform_id: &PlatformId,
) -> Result<Option<Application>> {
    match state
        .table
        .get(&application_key(partner_id, platform_id))
        .await?
    {
        Some(item) => Ok(Some(from_item(item)?)),
        None => Ok(None),
    }
}

/// The name of an application's write in a transaction ([`transition_op`]).
pub const APPLICATION_OP: &str = "application";

/// The write of an application's new state, only if it still has the status it was read
/// with (`None`: a new application).
pub fn transition_op(app: &Application, previous: Option<ApplicationStatus>) -> Result<Named> {
    let cond = match previous {
        Some(status) => Cond::Eq(STATUS, status.as_str().into()),
        None => Cond::NotExists,
    };
    Ok(TxOp::Put {
        item: app.to_item()?,
        cond,
    }
    .named(APPLICATION_OP))
}

/// The partner's own end of an application on `today` (Europe/Berlin; `now` the instant):
/// a pending one is withdrawn at once, a subscription is cancelled and ends after the notice
/// period ([`notice::subscription_end`]). `None` when there is nothing to end.
pub fn ended_by_partner(app: &Application, today: Date, now: Timestamp) -> Option<Application> {
    let mut ended = app.clone();
    match app.status {
        ApplicationStatus::Pending => ended.status = ApplicationStatus::Withdrawn,
        ApplicationStatus::Approved => {
            ended.status = ApplicationStatus::Cancelled;
            ended.ends_on = Some(notice::subscription_end(today));
        }
        _ => return None,
    }
    ended.cancelled_at = Some(now);
    Some(ended)
}

/// Writes the new state of an application only if it still has the status it was read with,
/// together with the mail that reports it (if any), which is delivered after the commit.
async fn save_from(
    state: &AppState,
    app: &Application,
    previous: Option<ApplicationStatus>,
    mail: Option<Mail>,
) -> Result<()> {
    let outgoing = PendingMails::of(state);
    let mut ops = vec![transition_op(app, previous)?];
    if app.status == ApplicationStatus::Approved {
        ops.push(billable::mark(&app.partner_id).named("billable"));
    }
    let pending = match mail {
        Some(mail) => {
            let (pending, op) = outgoing.enqueue(mail)?;
            ops.push(op);
            Some(pending)
        }
        None => None,
    };
    state.table.transact(ops).await?;
    if let Some(pending) = pending {
        outgoing.deliver(pending).await;
    }
    Ok(())
}

/// Apply to a platform; needs a confirmed e-mail address and a SEPA mandate.
#[utoipa::path(post, path = "/partners/me/platforms/{platform_id}", tag = "applications",
    params(("platform_id" = PlatformId, Path, description = "The platform to apply to.")),
    responses(
        (status = 201, description = "The pending application.", body = Application),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn apply(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
) -> Result<(StatusCode, Json<Application>)> {
    let platform = platforms::load_platform(&state, &platform_id).await?;
    let partner = profile::load_partner(&state, &auth.partner_id).await?;
    let mut missing = Vec::new();
    if !partner.email_confirmed {
        missing.push(FieldError::new(
            "email",
            "Die E-Mail-Adresse ist noch nicht bestätigt.",
        ));
    }
    if partner.mandate.is_none() {
        missing.push(FieldError::new(
            "sepa_mandate",
            "Es fehlt ein SEPA-Lastschriftmandat.",
        ));
    }
    if !missing.is_empty() {
        let detail = missing
            .iter()
            .map(|m| m.message.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        return Err(Error::Unprocessable(format!(
            "Bewerbung nicht möglich: {detail}"
        )));
    }
    let today = state.clock.today();
    let existing = load(&state, &auth.partner_id, &platform_id).await?;
    if let Some(app) = &existing
        && app.runs_on(today)
    {
        return Err(Error::Conflict(format!(
            "Für {} besteht bereits eine Bewerbung oder Teilnahme (Status: {}).",
            platform.name,
            app.status.as_str()
        )));
    }
    let app = Application {
        partner_id: auth.partner_id.clone(),
        platform_id: platform_id.clone(),
        platform_name: platform.name,
        company: partner.company,
        contact_email: partner.email,
        status: ApplicationStatus::Pending,
        applied_at: state.clock.now(),
        decided_at: None,
        approved_on: None,
        rejection_reason: None,
        cancelled_at: None,
        ends_on: None,
        suspension: None,
        partner_disabled_at: None,
    };
    save_from(&state, &app, existing.map(|e| e.status), None).await?;
    tracing::info!(
        partner_id = %auth.partner_id,
        platform_id = %platform_id,
        "application submitted"
    );
    Ok((StatusCode::CREATED, Json(app)))
}

/// The partner's own applications and subscriptions, and the day a subscription cancelled
/// today would end (so the portal states it before the partner confirms).
#[utoipa::path(get, path = "/partners/me/platforms", tag = "applications",
    responses((status = 200, description = "Every application, newest state.", body = MyApplications)))]
pub async fn list_mine(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<Value>> {
    let items = state
        .table
        .query_all(
            Query::partition(Index::Primary, partner_pk(&auth.partner_id))
                .sk(SkCond::BeginsWith(APPLICATION_PREFIX.into())),
        )
        .await?;
    let apps = items
        .into_iter()
        .map(from_item::<Application>)
        .collect::<Result<Vec<_>>>()?;
    let cancellation_ends_on = notice::subscription_end(state.clock.today());
    Ok(Json(json!({
        "applications": apps,
        "cancellation_ends_on": cancellation_ends_on,
    })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only applications with this status: `pending`, `approved`, `rejected`, `withdrawn`
    /// or `cancelled`.
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A platform's applications, by status and date (with `status=pending`: the queue, oldest
/// first), page by page, each with the partner's company data (address, VAT id, contact).
#[utoipa::path(get, path = "/platforms/{platform_id}/applications", tag = "applications",
    params(("platform_id" = PlatformId, Path, description = "A platform the caller manages."), ListParams),
    responses((status = 200, description = "One page.", body = PlatformApplications)))]
pub async fn list_for_platform(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Value>> {
    manager.ensure_platform(&platform_id)?;
    let sk = match params.status.as_deref() {
        None | Some("") => SkCond::Any,
        Some(s) => {
            let status = ApplicationStatus::parse(s).ok_or_else(|| {
                Error::field(
                    "status",
                    "muss pending, approved, rejected, withdrawn oder cancelled sein",
                )
            })?;
            SkCond::BeginsWith(status.index_prefix())
        }
    };
    let limit = shared::http::page_limit(params.limit, 50, 100)?;
    let page = state
        .table
        .query(
            Query::partition(Index::Gsi1, applications_index(&platform_id))
                .sk(sk)
                .limit(limit)
                .cursor(params.cursor),
        )
        .await?;
    let mut apps = Vec::with_capacity(page.items.len());
    for item in page.items {
        let application = from_item::<Application>(item)?;
        let partner = match state
            .table
            .get(&shared::model::partners::partner_key(
                &application.partner_id,
            ))
            .await?
        {
            Some(item) => Some(from_item::<Partner>(item)?),
            None => None,
        };
        apps.push(PlatformApplication {
            application,
            address: partner.as_ref().and_then(|p| p.address.clone()),
            vat_id: partner.as_ref().and_then(|p| p.vat_id.clone()),
            contact_name: partner.map(|p| p.contact_name),
        });
    }
    Ok(Json(
        json!({ "applications": apps, "next_cursor": page.cursor }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

/// A manager's decision on an application; documented by hand (below) as its two variants,
/// so the document states what [`decide`] checks: a rejection needs a reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: Decision,
    /// Required to reject (up to 1000 characters); the partner reads it.
    pub reason: Option<String>,
}

impl PartialSchema for DecisionBody {
    fn schema() -> RefOr<Schema> {
        let approve = closed_object()
            .property("decision", one_of_strings(&["approve"]))
            .required("decision")
            .property(
                "reason",
                optional_multiline_text(REASON_MAX)
                    .description(Some("Optional when approving; the partner reads it.")),
            );
        let reject = closed_object()
            .property("decision", one_of_strings(&["reject"]))
            .required("decision")
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
            .example(Some(json!({"decision": "approve"})))
            .into()
    }
}

impl ToSchema for DecisionBody {}

/// The longest reason of a decision, in characters.
const REASON_MAX: usize = 1000;

/// Approve or reject a pending application; the partner gets an e-mail, and an approved
/// subscription's fee runs from today.
#[utoipa::path(post, path = "/platforms/{platform_id}/applications/{partner_id}/decision", tag = "applications",
    params(
        ("platform_id" = PlatformId, Path, description = "A platform the caller manages."),
        ("partner_id" = PartnerId, Path, description = "The partner who applied."),
    ),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "The decided application.", body = Application),
        (status = 409, response = Conflict),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    manager: ManagerAuth,
    ApiPath((platform_id, partner_id)): ApiPath<(PlatformId, PartnerId)>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Application>> {
    manager.ensure_platform(&platform_id)?;
    let mut v = Validator::new();
    let reason = v.optional_multiline_text("reason", body.reason.as_deref(), REASON_MAX);
    if matches!(body.decision, Decision::Reject) {
        // An invalid reason is reported once, by its own message.
        let given = body.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
        v.require("reason", given, "Eine Ablehnung braucht eine Begründung");
    }
    v.finish()?;
    let mut app = load(&state, &partner_id, &platform_id)
        .await?
        .ok_or_else(|| Error::NotFound("Bewerbung nicht gefunden.".into()))?;
    if app.status != ApplicationStatus::Pending {
        return Err(Error::Conflict(format!(
            "Über diese Bewerbung wurde bereits entschieden (Status: {}).",
            app.status.as_str()
        )));
    }
    app.decided_at = Some(state.clock.now());
    match body.decision {
        Decision::Approve => {
            app.status = ApplicationStatus::Approved;
            app.approved_on = Some(state.clock.today());
        }
        Decision::Reject => {
            app.status = ApplicationStatus::Rejected;
            app.rejection_reason = reason.clone();
        }
    }
    let partner = profile::load_partner(&state, &partner_id).await?;
    let mail = match app.status {
        ApplicationStatus::Approved => {
            let platform = platforms::load_platform(&state, &platform_id).await?;
            let approved_on = app.approved_on.map(mails::german_date).unwrap_or_default();
            let fee = platform.monthly_fee.to_string();
            partner_mail(
                &partner,
                mails::APPLICATION_APPROVED,
                &app.platform_name,
                &[("approved_on", &approved_on), ("monthly_fee", &fee)],
            )
        }
        _ => partner_mail(
            &partner,
            mails::APPLICATION_REJECTED,
            &app.platform_name,
            &[("reason", reason.as_deref().unwrap_or_default())],
        ),
    };
    save_from(&state, &app, Some(ApplicationStatus::Pending), Some(mail)).await?;
    tracing::info!(
        platform_id = %platform_id,
        partner_id = %partner_id,
        status = app.status.as_str(),
        "application decided"
    );
    Ok(Json(app))
}

/// A mail to the partner about one of its platforms; templates address the contact by name.
fn partner_mail(
    partner: &Partner,
    template: shared::mail::Template,
    platform_name: &str,
    extra: &[(&str, &str)],
) -> Mail {
    let mut vars = vec![
        ("contact_name", partner.contact_name.as_str()),
        ("company", partner.company.as_str()),
        ("platform", platform_name),
    ];
    vars.extend_from_slice(extra);
    mails::render(&partner.email, template, &vars)
}

/// Withdraw an application or cancel a subscription.
///
/// A pending application is withdrawn at once; an approved subscription ends after the
/// notice period (one calendar month to the end of a month, Europe/Berlin).
#[utoipa::path(delete, path = "/partners/me/platforms/{platform_id}", tag = "applications",
    params(("platform_id" = PlatformId, Path, description = "A platform the partner applied to.")),
    responses(
        (status = 200, description = "Withdrawn, or cancelled with its end date.", body = Cancellation),
        (status = 409, response = Conflict),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(platform_id): ApiPath<PlatformId>,
) -> Result<Json<Value>> {
    let app = load(&state, &auth.partner_id, &platform_id)
        .await?
        .ok_or_else(|| {
            Error::NotFound("Keine Bewerbung oder Teilnahme für diese Plattform.".into())
        })?;
    let previous = app.status;
    let Some(app) = ended_by_partner(&app, state.clock.today(), state.clock.now()) else {
        return Err(Error::Conflict(format!(
            "Nichts zu kündigen (Status: {}).",
            previous.as_str()
        )));
    };
    match app.ends_on {
        None => {
            save_from(&state, &app, Some(previous), None).await?;
            Ok(Json(json!({
                "status": "withdrawn",
                "message": "Ihre Bewerbung wurde zurückgezogen."
            })))
        }
        Some(ends_on) => {
            let partner = profile::load_partner(&state, &auth.partner_id).await?;
            let ends_on_german = mails::german_date(ends_on);
            let mail = partner_mail(
                &partner,
                mails::SUBSCRIPTION_CANCELLED,
                &app.platform_name,
                &[("ends_on", &ends_on_german)],
            );
            save_from(&state, &app, Some(previous), Some(mail)).await?;
            Ok(Json(json!({
                "status": "cancelled",
                "ends_on": ends_on,
                "message": format!("Gekündigt. Die Teilnahme endet mit Ablauf des {ends_on_german}.")
            })))
        }
    }
}
