//! A partner's referral programs: the landing page, the rewards per event, recurring
//! commissions, cap, friend's share, attribution and hold; pause, resume and end.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::domain::{Cents, PartnerId, ProgramId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::from_item;
use shared::model::referrals::{attr as link_attr, program_links};
use shared::openapi::{Conflict, Unprocessable};
use shared::store::{Cond, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::records::{
    Attribution, Program, ProgramStatus, Reward, RewardRule, VoucherRate, attr, partner_programs,
    program_key,
};
use crate::{domains, eligibility};

/// Longest attribution window and hold: a year.
const MAX_DAYS: u32 = 365;
const MAX_RULES: usize = 20;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "Freunde werben Freunde",
    "landing_url": "https://shop.baeckerei-mueller.de/aktion?utm_source=empfehlung",
    "rewards": [
        {"event": "signup", "reward": {"kind": "fixed", "amount_cents": 500}},
        {"event": "purchase", "reward": {"kind": "percent", "basis_points": 500}}
    ],
    "recurring_months": 12,
    "cap_per_referrer": 50,
    "friend_share_percent": 20,
    "attribution_days": 30,
    "attribution": "first",
    "hold_days": 14,
    "voucher_rate": {"points": 500, "value_cents": 500},
    "monthly_budget_cents": 50000
}))]
pub struct ProgramInput {
    #[schema(value_type = shared::openapi::Text<120>, inline)]
    pub name: String,
    /// https, on one of the partner's verified domains (`PUT /partners/me/referral-domains`,
    /// then `POST /partners/me/referral-domains/{domain}/verification`).
    #[schema(pattern = r"^https://[^\s@/]+(/\S*)?$", max_length = 1000)]
    pub landing_url: String,
    /// 1 to 20 rules, each event once.
    #[schema(min_items = 1, max_items = 20)]
    pub rewards: Vec<RewardRule>,
    /// 0 to 120; none: as long as the friend stays a customer.
    #[serde(default)]
    #[schema(maximum = 120, nullable)]
    pub recurring_months: Option<u32>,
    /// 1 to 100.000; none: unlimited.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000, nullable)]
    pub cap_per_referrer: Option<u32>,
    #[serde(default)]
    #[schema(maximum = 100, nullable)]
    pub friend_share_percent: Option<u32>,
    #[schema(minimum = 1, maximum = 365)]
    pub attribution_days: u32,
    pub attribution: Attribution,
    #[schema(maximum = 365)]
    pub hold_days: u32,
    #[serde(default)]
    pub voucher_rate: Option<VoucherRate>,
    /// Cash rewards (cents) the program may grant per calendar month; the partner is billed
    /// for the rewards it grants.
    #[schema(minimum = 1, maximum = 10_000_000)]
    pub monthly_budget_cents: i64,
}

fn valid_event(event: &str) -> bool {
    (1..=40).contains(&event.len())
        && event
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn check_landing(v: &mut Validator, raw: &str, domains: &[String]) -> Option<String> {
    let parsed = url::Url::parse(raw.trim());
    let Ok(url) = parsed else {
        v.require(
            "landing_url",
            false,
            "muss eine vollständige https-Adresse sein",
        );
        return None;
    };
    let host = url.host_str().unwrap_or_default().to_lowercase();
    let https = url.scheme() == "https" && url.username().is_empty() && url.password().is_none();
    v.require("landing_url", https, "muss eine https-Adresse sein");
    let listed = domains.iter().any(|d| domains::on_domain(&host, d));
    v.require(
        "landing_url",
        !https || listed,
        "muss auf einer Ihrer bestätigten Domains liegen: hinterlegen Sie die Domain \
         (PUT /partners/me/referral-domains) und bestätigen Sie sie per DNS \
         (POST /partners/me/referral-domains/{domain}/verification)",
    );
    v.require(
        "landing_url",
        url.as_str().len() <= 1000,
        "darf höchstens 1000 Zeichen lang sein",
    );
    (https && listed).then(|| url.to_string())
}

fn check_rewards(v: &mut Validator, rules: &[RewardRule]) {
    v.require(
        "rewards",
        !rules.is_empty(),
        "nennen Sie mindestens eine Belohnung",
    );
    v.require(
        "rewards",
        rules.len() <= MAX_RULES,
        "höchstens 20 Belohnungen",
    );
    for (i, rule) in rules.iter().enumerate() {
        v.require(
            &format!("rewards[{i}].event"),
            valid_event(&rule.event),
            "1 bis 40 Zeichen aus a-z, 0-9, _ und -",
        );
        v.require(
            &format!("rewards[{i}].event"),
            rules.iter().filter(|r| r.event == rule.event).count() == 1,
            "jedes Ereignis nur einmal",
        );
        let field = format!("rewards[{i}].reward");
        match rule.reward {
            Reward::Fixed { amount_cents } => {
                v.cents(&field, amount_cents.0);
                v.require(&field, amount_cents.0 > 0, "muss größer als 0 sein");
            }
            Reward::Voucher { value_cents } => {
                v.cents(&field, value_cents.0);
                v.require(&field, value_cents.0 > 0, "muss größer als 0 sein");
            }
            Reward::Percent { basis_points } => v.require(
                &field,
                (1..=10_000).contains(&basis_points),
                "1 bis 10000 Basispunkte (0,01 % bis 100 %)",
            ),
            Reward::Points { points } => v.require(
                &field,
                (1..=1_000_000).contains(&points),
                "1 bis 1.000.000 Punkte",
            ),
        }
    }
}

/// Create a referral program.
#[utoipa::path(post, path = "/programs", tag = "programs",
    summary = "Empfehlungsprogramm anlegen",
    request_body = ProgramInput,
    responses(
        (status = 201, description = "The program, active.", body = Program),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 422, response = Unprocessable),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<ProgramInput>,
) -> Result<(StatusCode, Json<Program>)> {
    let domains = domains::verified(state.table.as_ref(), &auth.partner_id).await?;
    let mut v = Validator::new();
    let name = v.text("name", &body.name, 120);
    let landing_url = check_landing(&mut v, &body.landing_url, &domains);
    check_rewards(&mut v, &body.rewards);
    v.require(
        "attribution_days",
        (1..=MAX_DAYS).contains(&body.attribution_days),
        "1 bis 365 Tage",
    );
    v.require("hold_days", body.hold_days <= MAX_DAYS, "0 bis 365 Tage");
    v.require(
        "recurring_months",
        body.recurring_months.is_none_or(|m| m <= 120),
        "0 bis 120 Monate, oder leer für unbegrenzt",
    );
    v.require(
        "cap_per_referrer",
        body.cap_per_referrer
            .is_none_or(|c| (1..=100_000).contains(&c)),
        "1 bis 100.000, oder leer für unbegrenzt",
    );
    v.require(
        "friend_share_percent",
        body.friend_share_percent.is_none_or(|p| p <= 100),
        "0 bis 100 Prozent",
    );
    if let Some(rate) = body.voucher_rate {
        v.require(
            "voucher_rate.points",
            (1..=1_000_000).contains(&rate.points),
            "1 bis 1.000.000 Punkte",
        );
        v.cents("voucher_rate.value_cents", rate.value_cents.0);
        v.require(
            "voucher_rate.value_cents",
            rate.value_cents > Cents(0),
            "muss größer als 0 sein",
        );
    }
    let budget = if body.monthly_budget_cents > 0 {
        v.cents("monthly_budget_cents", body.monthly_budget_cents)
    } else {
        v.require("monthly_budget_cents", false, "muss größer als 0 sein");
        None
    };
    v.finish()?;
    let (Some(name), Some(landing_url)) = (name, landing_url) else {
        return Err(Error::field("name", "fehlt"));
    };
    eligibility::ensure_may_run_programs(
        state.table.as_ref(),
        &auth.partner_id,
        state.clock.today(),
    )
    .await?;
    let program = Program {
        program_id: ProgramId::generate(),
        partner_id: auth.partner_id.clone(),
        name,
        landing_url,
        rewards: body.rewards,
        recurring_months: body.recurring_months,
        cap_per_referrer: body.cap_per_referrer,
        friend_share_percent: body.friend_share_percent.filter(|p| *p > 0),
        attribution_days: body.attribution_days,
        attribution: body.attribution,
        hold_days: body.hold_days,
        voucher_rate: body.voucher_rate,
        monthly_budget_cents: budget,
        status: ProgramStatus::Active,
        created_at: state.clock.now(),
    };
    state.table.put(program.to_item()?, Cond::NotExists).await?;
    tracing::info!(partner_id = %auth.partner_id, program_id = %program.program_id, "program created");
    Ok((StatusCode::CREATED, Json(program)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Programs {
    pub programs: Vec<Program>,
}

/// The partner's programs.
#[utoipa::path(get, path = "/programs", tag = "programs",
    summary = "Eigene Empfehlungsprogramme",
    responses((status = 200, description = "Every program of the partner.", body = Programs)))]
pub async fn list(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<Programs>> {
    let items = state
        .table
        .query_all(partner_programs(&auth.partner_id))
        .await?;
    let programs = items
        .into_iter()
        .map(from_item)
        .collect::<Result<Vec<Program>>>()?;
    Ok(Json(Programs { programs }))
}

/// Any program by id (end users join by it).
pub async fn load(state: &AppState, program_id: &ProgramId) -> Result<Program> {
    match state.table.get(&program_key(program_id)).await? {
        Some(item) => from_item(item),
        None => Err(not_found()),
    }
}

fn not_found() -> Error {
    Error::NotFound("Dieses Empfehlungsprogramm gibt es nicht.".into())
}

/// The partner's own program; another partner's is answered as unknown.
pub async fn load_own(
    state: &AppState,
    partner: &PartnerId,
    program_id: &ProgramId,
) -> Result<Program> {
    let program = load(state, program_id).await?;
    if &program.partner_id != partner {
        return Err(not_found());
    }
    Ok(program)
}

/// One of the partner's programs.
#[utoipa::path(get, path = "/programs/{program_id}", tag = "programs",
    summary = "Ein Empfehlungsprogramm",
    params(("program_id" = ProgramId, Path, description = "The program.")),
    responses((status = 200, description = "The program.", body = Program)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(program_id): ApiPath<ProgramId>,
) -> Result<Json<Program>> {
    Ok(Json(load_own(&state, &auth.partner_id, &program_id).await?))
}

async fn change_status(
    state: &AppState,
    partner: &PartnerId,
    program_id: &ProgramId,
    to: ProgramStatus,
) -> Result<Program> {
    let mut program = load_own(state, partner, program_id).await?;
    if program.status == ProgramStatus::Ended {
        return Err(Error::Conflict(
            "Das Programm ist beendet und kann nicht mehr geändert werden.".into(),
        ));
    }
    let from = program.status;
    program.status = to;
    let status_value = serde_json::to_value(to).map_err(Error::internal)?;
    let from_value = serde_json::to_value(from).map_err(Error::internal)?;
    state
        .table
        .update(
            &program_key(program_id),
            &[Update::Set(attr::STATUS, status_value)],
            Cond::Eq(attr::STATUS, from_value),
        )
        .await
        .map_err(|e| match e {
            shared::store::StoreError::ConditionFailed => {
                Error::Conflict("Das Programm wurde gerade geändert; bitte neu laden.".into())
            }
            other => other.into(),
        })?;
    // The redirect reads only the link, so every link learns the program's state.
    let active = to == ProgramStatus::Active;
    for item in state.table.query_all(program_links(program_id)).await? {
        // The link of a deleted account stays closed.
        if item.get(attr::CLOSED).and_then(serde_json::Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(key) = shared::store::Key::of(&item) {
            state
                .table
                .update(
                    &key,
                    &[Update::Set(link_attr::ACTIVE, active.into())],
                    Cond::Exists,
                )
                .await?;
        }
    }
    tracing::info!(program_id = %program_id, status = ?to, "program status changed");
    Ok(program)
}

/// Pause a program: its links show the "not valid" page until it is resumed.
#[utoipa::path(post, path = "/programs/{program_id}/pause", tag = "programs",
    summary = "Programm pausieren",
    params(("program_id" = ProgramId, Path, description = "The program.")),
    responses(
        (status = 200, description = "The paused program.", body = Program),
        (status = 409, response = Conflict),
    ))]
pub async fn pause(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(program_id): ApiPath<ProgramId>,
) -> Result<Json<Program>> {
    change_status(&state, &auth.partner_id, &program_id, ProgramStatus::Paused)
        .await
        .map(Json)
}

/// Resume a paused program.
#[utoipa::path(post, path = "/programs/{program_id}/resume", tag = "programs",
    summary = "Programm fortsetzen",
    params(("program_id" = ProgramId, Path, description = "The program.")),
    responses(
        (status = 200, description = "The active program.", body = Program),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn resume(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(program_id): ApiPath<ProgramId>,
) -> Result<Json<Program>> {
    load_own(&state, &auth.partner_id, &program_id).await?;
    eligibility::ensure_may_run_programs(
        state.table.as_ref(),
        &auth.partner_id,
        state.clock.today(),
    )
    .await?;
    change_status(&state, &auth.partner_id, &program_id, ProgramStatus::Active)
        .await
        .map(Json)
}

/// End a program for good: no new members, links or conversions; pending rewards are still
/// confirmed or reversed.
#[utoipa::path(post, path = "/programs/{program_id}/end", tag = "programs",
    summary = "Programm beenden",
    params(("program_id" = ProgramId, Path, description = "The program.")),
    responses(
        (status = 200, description = "The ended program.", body = Program),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ))]
pub async fn end(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(program_id): ApiPath<ProgramId>,
) -> Result<Json<Program>> {
    change_status(&state, &auth.partner_id, &program_id, ProgramStatus::Ended)
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_pages_must_be_on_a_listed_domain() {
        let domains = vec!["baeckerei-mueller.de".to_string()];
        for ok in [
            "https://baeckerei-mueller.de/",
            "https://shop.baeckerei-mueller.de/aktion?x=1",
        ] {
            let mut v = Validator::new();
            assert!(check_landing(&mut v, ok, &domains).is_some(), "{ok}");
            assert!(v.finish().is_ok());
        }
        for bad in [
            "http://baeckerei-mueller.de/",
            "https://evil-baeckerei-mueller.de/",
            "https://baeckerei-mueller.de.evil.example/",
            "https://user@baeckerei-mueller.de/",
            "javascript:alert(1)",
            "baeckerei-mueller.de",
        ] {
            let mut v = Validator::new();
            assert!(check_landing(&mut v, bad, &domains).is_none(), "{bad}");
            assert!(v.finish().is_err(), "{bad}");
        }
    }

    /// What the document states of a program (the fuzzer and the web app's client generate
    /// from it) is what the checks accept: the landing page's form, and the bounds.
    #[test]
    fn the_documented_program_is_what_the_checks_accept() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let input = &doc["components"]["schemas"]["ProgramInput"]["properties"];
        let landing = regex::Regex::new(input["landing_url"]["pattern"].as_str().unwrap()).unwrap();
        let domains = vec!["baeckerei-mueller.de".to_string()];
        for ok in [
            "https://baeckerei-mueller.de",
            "https://shop.baeckerei-mueller.de/aktion?utm_source=empfehlung",
        ] {
            assert!(landing.is_match(ok), "{ok}");
            let mut v = Validator::new();
            assert!(check_landing(&mut v, ok, &domains).is_some(), "{ok}");
        }
        for bad in [
            "http://baeckerei-mueller.de/",
            "https://user@baeckerei-mueller.de/",
            "https://baeckerei-mueller.de/ x",
            "",
        ] {
            assert!(!landing.is_match(bad), "{bad}");
        }
        assert_eq!(input["rewards"]["minItems"], 1);
        assert_eq!(input["rewards"]["maxItems"], MAX_RULES);
        assert_eq!(input["attribution_days"]["maximum"], MAX_DAYS);
        assert_eq!(input["hold_days"]["maximum"], MAX_DAYS);
        assert_eq!(input["monthly_budget_cents"]["maximum"], Cents::MAX_INPUT.0);
        let rate = &doc["components"]["schemas"]["VoucherRate"]["properties"];
        assert_eq!(rate["value_cents"]["minimum"], 1);
        assert_eq!(rate["value_cents"]["maximum"], Cents::MAX_INPUT.0);
    }
}
