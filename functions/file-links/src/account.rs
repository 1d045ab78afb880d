//! The booking of the digital customer account: book with a slug, read, cancel; the
//! operator's unlimited tier; the public branding of the login page.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{OperatorAuth, PartnerAuth};
use shared::domain::{Cents, PartnerId};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::billable;
use shared::model::contracts::file_links::{self, FileLinksContract, Tier, TierChange};
use shared::model::from_item;
use shared::model::partners::{Partner, partner_key};
use shared::openapi::{Conflict, NotFound};
use shared::store::{Cond, StoreError, TxOp};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::records::{SlugRecord, slug_key};
use crate::slug;

const LOGO_URL_LIFETIME: Duration = Duration::from_secs(3600);
/// Where the web front end serves a supplier's login page.
pub const LOGIN_PAGE_PATH: &str = "kundenkonto";

/// The supplier's page in the app, where its customers log in: `/kundenkonto/<slug>`.
pub fn login_page(slug: &str) -> String {
    format!("/{LOGIN_PAGE_PATH}/{slug}")
}

const SLUG_GUARD: &str = "slug";
const CONTRACT: &str = "contract";

pub fn not_booked() -> Error {
    Error::NotFound("Das digitale Kundenkonto ist für Sie nicht gebucht.".into())
}

/// The supplier's contract, read strongly (every change is conditional on it).
pub async fn load_contract(state: &AppState, partner: &PartnerId) -> Result<FileLinksContract> {
    let item = state
        .table
        .get(&file_links::key(partner))
        .await?
        .ok_or_else(not_booked)?;
    from_item(item)
}

pub async fn load_partner(state: &AppState, partner: &PartnerId) -> Result<Partner> {
    let item = state
        .table
        .get(&partner_key(partner))
        .await?
        .ok_or_else(|| Error::NotFound("Partnerkonto nicht gefunden.".into()))?;
    from_item(item)
}

/// The contract as its supplier sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub slug: String,
    /// The supplier's own login page for its customers.
    pub access_url: String,
    pub booked_on: Date,
    pub customers: u32,
    pub tier: Tier,
    /// Net per month, billed yearly in advance.
    pub monthly_price_cents: i64,
    /// Net per year: twelve monthly prices, what a billing year of the current tier costs.
    pub yearly_price_cents: i64,
    /// The next booking anniversary, when the next year is billed; none once cancelled.
    pub next_billing_on: Option<Date>,
    /// How many customers the current tier holds; none for unlimited.
    pub tier_limit: Option<u32>,
    /// The unlimited tier's monthly price, once the operator granted it.
    pub unlimited_price_cents: Option<i64>,
    pub tier_history: Vec<TierChange>,
    /// The tier the customer after `tier_limit` moves the account into, with its price:
    /// what to say before that customer is added. None for the unlimited tier, and while
    /// the operator has not granted it to an account at 99 customers.
    pub next_tier: Option<NextTier>,
    pub cancelled_on: Option<Date>,
    /// After a cancellation: the first day the customers can no longer log in.
    pub ends_on: Option<Date>,
}

impl AccountView {
    pub fn of(state: &AppState, c: &FileLinksContract) -> Self {
        Self {
            access_url: format!(
                "{}/{LOGIN_PAGE_PATH}/{}",
                state.public_base_url.trim_end_matches('/'),
                c.slug
            ),
            slug: c.slug.clone(),
            booked_on: c.booked_on,
            customers: c.customers,
            tier: c.tier,
            monthly_price_cents: c.monthly_price().0,
            yearly_price_cents: c.monthly_price().0.saturating_mul(12),
            next_billing_on: c.next_billing_on(state.clock.today()),
            tier_limit: c.tier.max_customers(),
            unlimited_price_cents: c.unlimited_price.map(|p| p.0),
            tier_history: c.tier_history.clone(),
            next_tier: NextTier::of(c),
            cancelled_on: c.cancelled_on,
            ends_on: c.ends_on(),
        }
    }
}

/// The next higher tier and what it costs.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextTier {
    pub tier: Tier,
    /// The customer (counted from 1) that moves the account into this tier.
    pub from_customer: u32,
    /// Net per month.
    pub monthly_price_cents: i64,
    /// Net per year, twelve monthly prices.
    pub yearly_price_cents: i64,
}

impl NextTier {
    fn of(c: &FileLinksContract) -> Option<Self> {
        let from_customer = c.tier.max_customers()?.saturating_add(1);
        let tier = Tier::for_customers(from_customer);
        let monthly = c.price_of(tier).ok()?.0;
        Some(Self {
            tier,
            from_customer,
            monthly_price_cents: monthly,
            yearly_price_cents: monthly.saturating_mul(12),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = FileLinksBooking)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"slug": "kanzlei-mueller"}))]
pub struct Booking {
    /// The supplier's access link: 3-40 characters a-z, 0-9 and single hyphens between
    /// them, not a reserved word (upper case is taken as lower case, spaces around are
    /// dropped).
    #[schema(min_length = 3, max_length = 40, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: String,
}

/// Book the digital customer account with the slug of its access link.
///
/// 1-10 customers are free; the price follows the number of customers. The logo on the
/// login page is the partner profile's.
#[utoipa::path(post, path = "/file-links/account", tag = "file-links", request_body = Booking,
    responses(
        (status = 201, description = "Booked.", body = AccountView),
        (status = 409, response = Conflict),
    ))]
pub async fn book(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiJson(body): ApiJson<Booking>,
) -> Result<(StatusCode, Json<AccountView>)> {
    let mut v = Validator::new();
    let slug = v.check("slug", slug::parse(&body.slug));
    v.finish()?;
    let Some(slug) = slug else {
        return Err(Error::field("slug", "fehlt"));
    };
    let contract = FileLinksContract::book(
        auth.partner_id.clone(),
        slug.clone(),
        state.clock.now(),
        state.clock.today(),
    );
    let guard = SlugRecord {
        slug: slug.clone(),
        partner_id: auth.partner_id.clone(),
    };
    let ops = vec![
        TxOp::Put {
            item: shared::model::to_item(&contract.key(), &contract)?,
            cond: Cond::NotExists,
        }
        .named(CONTRACT),
        // Two suppliers asking for one slug at once: the conditional put lets exactly one win.
        TxOp::Put {
            item: shared::model::to_item(&slug_key(&slug), &guard)?,
            cond: Cond::NotExists,
        }
        .named(SLUG_GUARD),
        billable::mark(&auth.partner_id).named("billable"),
    ];
    match state.table.transact(ops).await {
        Ok(()) => Ok((
            StatusCode::CREATED,
            Json(AccountView::of(&state, &contract)),
        )),
        Err(StoreError::TxCancelled { failed: CONTRACT }) => Err(Error::Conflict(
            "Sie haben das digitale Kundenkonto bereits gebucht.".into(),
        )),
        Err(StoreError::TxCancelled { failed: SLUG_GUARD }) => Err(Error::Conflict(format!(
            "Der Zugangslink „{slug}“ ist bereits vergeben. Bitte wählen Sie einen anderen."
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The booking: tier, price, customers, tier history.
#[utoipa::path(get, path = "/file-links/account", tag = "file-links",
    responses(
        (status = 200, description = "The booking.", body = AccountView),
        (status = 404, response = NotFound),
    ))]
pub async fn get(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<AccountView>> {
    let contract = load_contract(&state, &auth.partner_id).await?;
    Ok(Json(AccountView::of(&state, &contract)))
}

/// Cancel, effective now: the customers keep access to the end of the paid year, which is
/// not refunded.
#[utoipa::path(delete, path = "/file-links/account", tag = "file-links",
    responses(
        (status = 200, description = "Cancelled; `ends_on` names the first day without access.", body = AccountView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn cancel(State(state): State<AppState>, auth: PartnerAuth) -> Result<Json<AccountView>> {
    let mut contract = load_contract(&state, &auth.partner_id).await?;
    if contract.is_cancelled() {
        return Err(Error::Conflict(
            "Das digitale Kundenkonto ist bereits gekündigt.".into(),
        ));
    }
    let read = contract.clone();
    contract.cancelled_on = Some(state.clock.today());
    put_if_unchanged(&state, &read, &contract).await?;
    Ok(Json(AccountView::of(&state, &contract)))
}

/// Replaces the contract if nobody changed it since `read` (same customers, same
/// cancellation): every change of the contract goes through this condition.
pub fn replace_op(
    read: &FileLinksContract,
    next: &FileLinksContract,
) -> Result<shared::store::Named> {
    let mut conds = vec![Cond::Eq(file_links::attr::CUSTOMERS, read.customers.into())];
    conds.push(match read.cancelled_on {
        Some(day) => Cond::Eq(file_links::attr::CANCELLED_ON, serde_json::to_value(day)?),
        None => Cond::Absent(file_links::attr::CANCELLED_ON),
    });
    Ok(TxOp::Put {
        item: shared::model::to_item(&next.key(), next)?,
        cond: Cond::All(conds),
    }
    .named(CONTRACT))
}

/// Whether a failed transaction lost to a concurrent change of the contract.
pub fn lost_contract_race(e: &StoreError) -> bool {
    matches!(e, StoreError::TxCancelled { failed: CONTRACT })
}

async fn put_if_unchanged(
    state: &AppState,
    read: &FileLinksContract,
    next: &FileLinksContract,
) -> Result<()> {
    match state.table.transact(vec![replace_op(read, next)?]).await {
        Ok(()) => Ok(()),
        Err(e) if lost_contract_race(&e) => Err(Error::Conflict(
            "Das Kundenkonto wurde gerade geändert. Bitte versuchen Sie es noch einmal.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"monthly_price_cents": 1990}))]
pub struct UnlimitedGrant {
    /// Net per month, in cents.
    pub monthly_price_cents: i64,
}

/// Grant a supplier the unlimited tier (100 customers or more) at a monthly price.
#[utoipa::path(put, path = "/file-links/accounts/{partner_id}/unlimited", tag = "file-links",
    params(("partner_id" = PartnerId, Path, description = "The supplier.")),
    request_body = UnlimitedGrant,
    responses(
        (status = 200, description = "Granted.", body = AccountView),
        (status = 404, response = NotFound),
    ))]
pub async fn grant_unlimited(
    State(state): State<AppState>,
    _operator: OperatorAuth,
    ApiPath(partner): ApiPath<PartnerId>,
    ApiJson(body): ApiJson<UnlimitedGrant>,
) -> Result<Json<AccountView>> {
    let mut v = Validator::new();
    let price = v.cents("monthly_price_cents", body.monthly_price_cents);
    v.finish()?;
    let price = price.unwrap_or(Cents(0));
    let read = load_contract(&state, &partner).await?;
    let mut next = read.clone();
    next.grant_unlimited(price, state.clock.today());
    put_if_unchanged(&state, &read, &next).await?;
    Ok(Json(AccountView::of(&state, &next)))
}

/// What the supplier's login page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierPage {
    pub slug: String,
    /// The supplier's id: `tenant` of the customers' login (`scope` `customer`).
    pub tenant: PartnerId,
    pub name: String,
    /// A presigned URL of the logo, valid for an hour.
    pub logo_url: Option<String>,
    /// Whom the customers ask: the supplier's contact as in its profile.
    pub contact: SupplierContact,
}

/// The supplier's business contact, shown on its customers' login page.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierContact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// The public branding of a supplier's login page; unknown slugs are 404.
#[utoipa::path(get, path = "/suppliers/{slug}", tag = "file-links",
    params(("slug" = String, Path, description = "The supplier's access link.")),
    responses(
        (status = 200, description = "Name and logo.", body = SupplierPage),
        (status = 404, response = NotFound),
    ))]
pub async fn supplier_page(
    State(state): State<AppState>,
    ApiPath(raw): ApiPath<String>,
) -> Result<Json<SupplierPage>> {
    let unknown = || Error::NotFound("Diesen Zugang gibt es nicht.".into());
    let slug = slug::parse(&raw).map_err(|_| unknown())?;
    let item = state
        .table
        .get(&slug_key(&slug))
        .await?
        .ok_or_else(unknown)?;
    let record: SlugRecord = from_item(item)?;
    let contract = match load_contract(&state, &record.partner_id).await {
        Err(Error::NotFound(_)) => return Err(unknown()),
        other => other?,
    };
    if !contract.runs_on(state.clock.today()) {
        return Err(unknown());
    }
    let partner = load_partner(&state, &record.partner_id).await?;
    let logo_url = match &partner.logo_key {
        Some(key) => Some(state.blobs.presign_get(key, LOGO_URL_LIFETIME).await?),
        None => None,
    };
    Ok(Json(SupplierPage {
        slug,
        tenant: record.partner_id,
        name: partner.company,
        logo_url,
        contact: SupplierContact {
            name: partner.contact_name,
            email: partner.email.as_str().to_string(),
            phone: partner.phone,
        },
    }))
}
