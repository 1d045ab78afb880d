//! The operator's view of partners: finding them by company or address, one partner's
//! overview (company, subscriptions, contracts), and disabling an account.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{Ended, OperatorAuth, Scope, revoke_op};
use shared::domain::{Month, PartnerId, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, ApiQuery, Validator};
use shared::mail::pending::PendingMails;
use shared::model::accounts::{self, Login, LoginName, login_key};
use shared::model::contracts::{cards, file_links};
use shared::model::from_item;
use shared::model::partners::{
    self, Address, Disabled, PARTNERS_INDEX, Partner, partner_key, partner_pk,
};
use shared::model::platforms::{Platform, platform_key};
use shared::model::subscriptions::{
    APPLICATION_PREFIX, Application, ApplicationStatus, PARTNER_DISABLED_AT,
};
use shared::openapi::Conflict;
use shared::store::{Cond, Index, Query, SkCond, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::contract_views::{CardContractExport, CustomerAccountExport};
use crate::mails;
use crate::profile::load_partner;

/// Partners come 20 to a page unless asked otherwise.
pub const PAGE_SIZE: u32 = 20;
const MAX_SEARCH_LEN: usize = 100;
/// The longest reason for disabling an account, in characters.
pub const REASON_MAX: usize = 1000;

/// The names of the steps of disabling an account.
mod step {
    pub const LOGIN: &str = "login";
    pub const PARTNER: &str = "partner";
    pub const SUBSCRIPTION: &str = "subscription";
}

/// A search over partners.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerSearch {
    /// Part of the company name or the e-mail address, in any case.
    pub q: Option<String>,
    /// `next_cursor` of the previous page (of the same search).
    pub cursor: Option<String>,
    /// Entries per page, 1–100; 20 unless asked otherwise.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A partner in the operator's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerSummary {
    pub partner_id: PartnerId,
    pub company: String,
    pub contact_name: String,
    pub email: String,
    pub email_confirmed: bool,
    pub created_at: Timestamp,
    /// `active`, `disabled` (by the operator) or `closed` (by the partner).
    pub state: AccountState,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    Active,
    Disabled,
    Closed,
}

fn state_of(p: &Partner) -> AccountState {
    if p.disabled.is_some() {
        AccountState::Disabled
    } else if p.closed_at.is_some() {
        AccountState::Closed
    } else {
        AccountState::Active
    }
}

impl From<Partner> for PartnerSummary {
    fn from(p: Partner) -> Self {
        Self {
            state: state_of(&p),
            partner_id: p.partner_id,
            company: p.company,
            contact_name: p.contact_name,
            email: p.email.as_str().to_string(),
            email_confirmed: p.email_confirmed,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPage {
    /// Newest sign-up first.
    pub partners: Vec<PartnerSummary>,
    /// Present when more partners may follow (with `q`, a page may hold fewer than `limit`,
    /// even none, and still be followed by more).
    pub next_cursor: Option<String>,
}

fn search_text(raw: Option<&str>) -> Result<Option<String>> {
    let text = raw.map(str::trim).unwrap_or_default();
    if text.chars().count() > MAX_SEARCH_LEN {
        return Err(Error::field(
            "q",
            format!("darf höchstens {MAX_SEARCH_LEN} Zeichen lang sein"),
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_lowercase()))
}

fn matches(p: &Partner, text: &str) -> bool {
    p.company.to_lowercase().contains(text) || p.email.as_str().to_lowercase().contains(text)
}

/// One page of partners (all, or those a search finds), newest sign-up first, with the
/// cursor that follows (`shared::model::search`).
async fn partners_page(
    state: &AppState,
    search: Option<&str>,
    limit: u32,
    cursor: Option<String>,
) -> Result<(Vec<Partner>, Option<String>)> {
    let query = Query::partition(Index::Gsi1, PARTNERS_INDEX).backwards();
    let keep = search.map(|text| move |p: &Partner| matches(p, text));
    let keep = keep
        .as_ref()
        .map(|k| k as &(dyn Fn(&Partner) -> bool + Sync));
    shared::model::search::matching_page(state.table.as_ref(), query, keep, limit, cursor).await
}

/// Find partners by part of their company name or e-mail address (any case), newest
/// sign-up first; without `q`, every partner.
#[utoipa::path(get, path = "/partners", tag = "partners", params(PartnerSearch),
    responses((status = 200, description = "One page.", body = PartnerPage)))]
pub async fn search(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiQuery(params): ApiQuery<PartnerSearch>,
) -> Result<Json<PartnerPage>> {
    let limit = shared::http::page_limit(params.limit, PAGE_SIZE, 100)?;
    let text = search_text(params.q.as_deref())?;
    let (found, next_cursor) = partners_page(&state, text.as_deref(), limit, params.cursor).await?;
    Ok(Json(PartnerPage {
        partners: found.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// A platform subscription (or application) in the operator's overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionSummary {
    pub platform_id: PlatformId,
    /// The platform's current name.
    pub platform_name: String,
    pub status: ApplicationStatus,
    pub approved_on: Option<Date>,
    /// The last day, once cancelled.
    pub ends_on: Option<Date>,
    /// The platform's fee in the current month, net in euro cents; billed while the
    /// subscription runs.
    pub monthly_fee_cents: Option<i64>,
    /// Whether the partner's offers show on the platform today.
    pub shown: bool,
}

/// The SEPA mandate, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MandateSummary {
    pub account_holder: String,
    pub iban: String,
    pub reference: String,
    pub signed_on: Date,
}

/// Everything the operator's console shows of a partner beside its invoices
/// (`GET /billing/partners/{partner_id}/invoices`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerOverview {
    pub partner_id: PartnerId,
    pub company: String,
    pub contact_name: String,
    pub email: String,
    pub email_confirmed: bool,
    pub phone: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    pub created_at: Timestamp,
    pub state: AccountState,
    pub closed_at: Option<Timestamp>,
    pub disabled: Option<Disabled>,
    pub mandate: Option<MandateSummary>,
    pub subscriptions: Vec<SubscriptionSummary>,
    pub card_contract: Option<CardContractExport>,
    /// The digital customer account with its tier.
    pub customer_account: Option<CustomerAccountExport>,
}

/// One partner as the operator sees it: company data, subscriptions with state, fee and
/// end, the card contract and the customer account's tier.
#[utoipa::path(get, path = "/partners/{partner_id}", tag = "partners",
    params(("partner_id" = PartnerId, Path, description = "The partner.")),
    responses((status = 200, description = "The partner.", body = PartnerOverview)))]
pub async fn overview(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(partner_id): ApiPath<PartnerId>,
) -> Result<Json<PartnerOverview>> {
    let partner = load_partner(&state, &partner_id).await?;
    let today = state.clock.today();
    let this_month = Month::of(today);
    let mut subscriptions = Vec::new();
    for app in applications_of(&state, &partner_id).await? {
        let platform: Option<Platform> = state
            .table
            .get(&platform_key(&app.platform_id))
            .await?
            .map(from_item)
            .transpose()?;
        subscriptions.push(SubscriptionSummary {
            shown: app.subscribed_on(today),
            platform_name: platform
                .as_ref()
                .map_or_else(|| app.platform_name.clone(), |p| p.name.clone()),
            monthly_fee_cents: platform.map(|p| p.fee_in(this_month).0),
            platform_id: app.platform_id,
            status: app.status,
            approved_on: app.approved_on,
            ends_on: app.ends_on,
        });
    }
    let card_contract = cards::load(state.table.as_ref(), &partner_id).await?;
    let customer_account = match state.table.get(&file_links::key(&partner_id)).await? {
        Some(item) => Some(from_item::<file_links::FileLinksContract>(item)?.into()),
        None => None,
    };
    Ok(Json(PartnerOverview {
        state: state_of(&partner),
        mandate: partner.mandate.map(|m| MandateSummary {
            account_holder: m.account_holder,
            iban: m.iban_masked,
            reference: m.reference,
            signed_on: m.signed_on,
        }),
        partner_id: partner.partner_id,
        company: partner.company,
        contact_name: partner.contact_name,
        email: partner.email.as_str().to_string(),
        email_confirmed: partner.email_confirmed,
        phone: partner.phone,
        address: partner.address,
        vat_id: partner.vat_id,
        created_at: partner.created_at,
        closed_at: partner.closed_at,
        disabled: partner.disabled,
        subscriptions,
        card_contract: card_contract.map(Into::into),
        customer_account,
    }))
}

async fn applications_of(state: &AppState, partner: &PartnerId) -> Result<Vec<Application>> {
    state
        .table
        .query_all(
            Query::partition(Index::Primary, partner_pk(partner))
                .sk(SkCond::BeginsWith(APPLICATION_PREFIX.into())),
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// Why the account is disabled (`reason`, 1–1000 characters, may span lines): mailed to
/// the partner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Die Lastschriften wurden wiederholt zurückgegeben."}))]
pub struct DisableInput {
    // Described on the struct: a description here would wrap the inline text schema in
    // an `allOf` with an object schema that no string matches.
    #[schema(value_type = shared::openapi::MultilineText<1000>, inline)]
    pub reason: String,
}

/// Disable a partner account.
///
/// At once: its tokens are refused (403), its sessions end, its login is refused, its
/// offers leave every feed and it can submit none. Contracts are not cancelled and are
/// billed as before (docs/billing.md). The partner is mailed the reason. A second call
/// answers the account as disabled the first time and writes nothing.
#[utoipa::path(post, path = "/partners/{partner_id}/disable", tag = "partners",
    params(("partner_id" = PartnerId, Path, description = "The partner.")),
    request_body = DisableInput,
    responses(
        (status = 200, description = "Disabled.", body = PartnerSummary),
        (status = 409, response = Conflict),
    ))]
pub async fn disable(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(partner_id): ApiPath<PartnerId>,
    ApiJson(body): ApiJson<DisableInput>,
) -> Result<Json<PartnerSummary>> {
    let mut v = Validator::new();
    let reason = v.optional_multiline_text("reason", Some(&body.reason), REASON_MAX);
    v.require("reason", !body.reason.trim().is_empty(), "fehlt");
    v.finish()?;
    let Some(reason) = reason else {
        return Err(Error::field("reason", "fehlt"));
    };
    let partner = load_partner(&state, &partner_id).await?;
    if partner.disabled.is_some() {
        return Ok(Json(partner.into()));
    }
    let login = partner_login(&state, &partner).await?;
    let now = state.clock.now();
    let disabled = Disabled { at: now, reason };
    let mut ops = vec![
        TxOp::Update {
            key: partner_key(&partner_id),
            ops: vec![Update::Set(
                partners::attr::DISABLED,
                serde_json::to_value(&disabled)?,
            )],
            cond: Cond::Absent(partners::attr::DISABLED),
        }
        .named(step::PARTNER),
        revoke_op(
            &accounts_id(&partner_id),
            Ended::Disabled,
            state.clock.epoch(),
        ),
    ];
    if let Some(login) = &login {
        ops.push(
            TxOp::Update {
                key: login.key(),
                ops: vec![
                    Update::Set(accounts::attr::DISABLED, true.into()),
                    Update::Add(accounts::attr::GENERATION, 1),
                ],
                cond: accounts::current(&login.account_id, login.generation),
            }
            .named(step::LOGIN),
        );
    }
    for app in applications_of(&state, &partner_id).await? {
        ops.push(
            TxOp::Update {
                key: app.key(),
                ops: vec![Update::Set(PARTNER_DISABLED_AT, serde_json::to_value(now)?)],
                cond: Cond::Exists,
            }
            .named(step::SUBSCRIPTION),
        );
    }
    let outgoing = PendingMails::of(&state);
    let (mail, mail_op) = outgoing.enqueue(mails::render(
        &partner.email,
        mails::ACCOUNT_DISABLED,
        &[
            ("contact_name", &partner.contact_name),
            ("company", &partner.company),
            ("disabled_at", &mails::german_date(state.clock.today())),
            ("reason", &disabled.reason),
        ],
    ))?;
    ops.push(mail_op);
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: step::PARTNER,
        }) => {
            // Disabled meanwhile by another request: its answer stands.
            let partner = load_partner(&state, &partner_id).await?;
            return Ok(Json(partner.into()));
        }
        Err(StoreError::TxCancelled {
            failed: step::LOGIN | step::SUBSCRIPTION,
        }) => {
            return Err(Error::Conflict(
                "Das Partnerkonto wurde gerade geändert. Bitte versuchen Sie es erneut.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    outgoing.deliver(mail).await;
    tracing::info!(partner_id = %partner_id, "partner account disabled");
    let partner = Partner {
        disabled: Some(disabled),
        ..partner
    };
    Ok(Json(partner.into()))
}

/// A partner's account id is its partner id.
fn accounts_id(partner: &PartnerId) -> shared::domain::AccountId {
    shared::domain::AccountId::from_raw(partner.as_str())
}

/// The partner's login record, if it is still the partner's.
async fn partner_login(state: &AppState, partner: &Partner) -> Result<Option<Login>> {
    let key = login_key(&Scope::Platform, &LoginName::from_email(&partner.email));
    let login: Option<Login> = state.table.get(&key).await?.map(from_item).transpose()?;
    Ok(login.filter(|l| l.account_id.as_str() == partner.partner_id.as_str()))
}
