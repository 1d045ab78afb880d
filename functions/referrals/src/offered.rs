//! The referral programs a bank platform's end users can join: live programs of partners the
//! platform shows (their subscription there runs) whose landing page lies on a domain the
//! partner has verified. Public, like the platform's offer feed; it names what a referrer
//! earns and under which conditions, never the partner's budget, landing URL or ids.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use shared::domain::{PlatformId, ProgramId};
use shared::env::AppState;
use shared::http::ApiPath;
use shared::model::from_item;
use shared::model::platforms::{Platform, platform_key};
use shared::model::subscriptions::{Application, ApplicationStatus, applications_index};
use shared::openapi::NotFound;
use shared::store::{Index, Query, SkCond};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::domains;
use crate::records::{Program, ProgramStatus, RewardRule, VoucherRate, partner_programs};

/// A program as an end user of the platform may see it before joining.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedProgram {
    pub program_id: ProgramId,
    pub name: String,
    /// The partner's company, as the platform shows it.
    pub partner_name: String,
    /// What a referrer earns per event.
    pub rewards: Vec<RewardRule>,
    /// Months after the friend's first action in which further actions pay: 0 = only the
    /// first, none = unlimited.
    pub recurring_months: Option<u32>,
    /// Rewards per referrer at most.
    pub cap_per_referrer: Option<u32>,
    /// Percent of the reward that goes to the friend.
    pub friend_share_percent: Option<u32>,
    /// Days a click counts for a later purchase.
    pub attribution_days: u32,
    /// Days a reward waits before it is confirmed.
    pub hold_days: u32,
    /// Points to voucher, if the program has points.
    pub voucher_rate: Option<VoucherRate>,
}

impl OfferedProgram {
    fn of(program: Program, partner_name: &str) -> Self {
        Self {
            program_id: program.program_id,
            name: program.name,
            partner_name: partner_name.to_string(),
            rewards: program.rewards,
            recurring_months: program.recurring_months,
            cap_per_referrer: program.cap_per_referrer,
            friend_share_percent: program.friend_share_percent,
            attribution_days: program.attribution_days,
            hold_days: program.hold_days,
            voucher_rate: program.voucher_rate,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferedPrograms {
    pub platform_name: String,
    /// By partner, then by the program's name.
    pub programs: Vec<OfferedProgram>,
}

/// The partners whose subscription on `platform` runs today (approved, or cancelled and not
/// yet ended).
async fn shown_partners(state: &AppState, platform: &PlatformId) -> Result<Vec<Application>> {
    let today = state.clock.today();
    let mut shown = Vec::new();
    for status in [ApplicationStatus::Approved, ApplicationStatus::Cancelled] {
        let items = state
            .table
            .query_all(
                Query::partition(Index::Gsi1, applications_index(platform))
                    .sk(SkCond::BeginsWith(status.index_prefix())),
            )
            .await?;
        for item in items {
            let application: Application = from_item(item)?;
            if application.subscribed_on(today) {
                shown.push(application);
            }
        }
    }
    shown.sort_by(|a, b| a.company.cmp(&b.company));
    Ok(shown)
}

/// The programs the platform's end users can join.
#[utoipa::path(get, path = "/platforms/{platform_id}/programs", tag = "end users",
    summary = "Empfehlungsprogramme der Plattform",
    params(("platform_id" = PlatformId, Path, description = "The bank platform.")),
    responses(
        (status = 200, description = "Live programs of the partners the platform shows, on verified domains.", body = OfferedPrograms),
        (status = 404, response = NotFound),
    ))]
pub async fn offered(
    State(state): State<AppState>,
    ApiPath(platform_id): ApiPath<PlatformId>,
) -> Result<Json<OfferedPrograms>> {
    let platform: Platform = match state.table.get(&platform_key(&platform_id)).await? {
        Some(item) => from_item(item)?,
        None => return Err(Error::NotFound("Diese Plattform gibt es nicht.".into())),
    };
    let mut programs = Vec::new();
    for application in shown_partners(&state, &platform_id).await? {
        let partner = &application.partner_id;
        let verified = domains::verified(state.table.as_ref(), partner).await?;
        let mut own: Vec<Program> = state
            .table
            .query_all(partner_programs(partner))
            .await?
            .into_iter()
            .map(from_item::<Program>)
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|p| {
                p.status == ProgramStatus::Active && domains::lies_on(&p.landing_url, &verified)
            })
            .collect();
        own.sort_by(|a, b| a.name.cmp(&b.name));
        programs.extend(
            own.into_iter()
                .map(|p| OfferedProgram::of(p, &application.company)),
        );
    }
    Ok(Json(OfferedPrograms {
        platform_name: platform.name,
        programs,
    }))
}
