//! `GET /partners/me/export`: everything registration holds about the partner, as one JSON
//! document (DSGVO Art. 15 and 20), with pointers to what the other functions hold
//! (docs/registration.md, The account).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, HeaderName};
use axum::response::AppendHeaders;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use shared::auth::PartnerAuth;
use shared::domain::{Month, PartnerId};
use shared::env::AppState;
use shared::model::contracts::cards;
use shared::model::contracts::file_links::{self, FileLinksContract};
use shared::model::from_item;
use shared::model::partners::{Address, Partner, partner_pk};
use shared::model::placements::{PlacementBooking, all_bookings_of};
use shared::model::rewards::{REWARD_MONTH_PREFIX, RewardMonth};
use shared::model::subscriptions::{APPLICATION_PREFIX, Application};
use shared::openapi::NotFound;
use shared::store::{Index, Query, SkCond};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::profile::load_partner;
use crate::signed_in;

const LOGO_URL_LIFETIME: Duration = Duration::from_secs(3600);

/// The login, without its password hash or anything else that is no information about the
/// partner (counters, sessions, one-time links).
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginExport {
    /// The address the partner logs in with.
    pub email: String,
    /// Always `partner`.
    pub role: String,
    pub confirmed: bool,
    pub created_at: Timestamp,
    pub last_login_at: Option<Timestamp>,
}

/// The profile as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileExport {
    pub company: String,
    pub contact_name: String,
    /// Where mails and invoices go.
    pub email: String,
    pub email_confirmed: bool,
    pub phone: Option<String>,
    pub address: Option<Address>,
    pub vat_id: Option<String>,
    /// When the terms and the privacy notice were accepted (at sign-up).
    pub terms_accepted_at: Timestamp,
    pub created_at: Timestamp,
    /// A presigned GET URL of the logo, valid for an hour.
    pub logo_url: Option<String>,
}

/// The SEPA direct-debit mandate, the IBAN in full: it is the partner's own.
#[derive(Debug, Serialize, ToSchema)]
pub struct MandateExport {
    pub account_holder: String,
    #[schema(example = "DE89370400440532013000")]
    pub iban: String,
    pub reference: String,
    pub signed_on: Date,
}

pub use crate::contract_views::{CardContractExport, CustomerAccountExport, TerminalUsersFrom};

/// The cash referral rewards confirmed in one month, which billing charges.
#[derive(Debug, Serialize, ToSchema)]
pub struct RewardMonthExport {
    pub month: Month,
    pub count: i64,
    pub cents: i64,
    /// The invoice that billed them, once billed.
    pub invoice_number: Option<String>,
    pub billed_on: Option<Date>,
}

impl From<RewardMonth> for RewardMonthExport {
    fn from(r: RewardMonth) -> Self {
        Self {
            month: r.month,
            count: r.count,
            cents: r.cents,
            invoice_number: r.invoice_number,
            billed_on: r.billed_on,
        }
    }
}

/// Data about the partner that another part of partnernetz keeps, and the route that shows
/// it (with the same login).
#[derive(Debug, Serialize, ToSchema)]
pub struct Elsewhere {
    /// What it is, in German.
    pub what: String,
    /// `GET /partners/me/invoices` and the like.
    pub route: String,
}

/// Everything registration holds about the partner (docs/registration.md, The account).
#[derive(Debug, Serialize, ToSchema)]
pub struct DataExport {
    pub exported_at: Timestamp,
    pub partner_id: PartnerId,
    pub login: LoginExport,
    pub profile: ProfileExport,
    pub sepa_mandate: Option<MandateExport>,
    /// Applications and subscriptions, every state.
    pub platforms: Vec<Application>,
    /// Premium placements booked, every month, cancelled ones too.
    pub placements: Vec<PlacementBooking>,
    pub card_contract: Option<CardContractExport>,
    pub customer_account: Option<CustomerAccountExport>,
    pub referral_rewards: Vec<RewardMonthExport>,
    pub elsewhere: Vec<Elsewhere>,
}

/// What the other functions hold and where the partner reads it.
fn elsewhere() -> Vec<Elsewhere> {
    [
        (
            "Rechnungen und Gutschriften mit PDF und XRechnung",
            "GET /partners/me/invoices",
        ),
        (
            "Angebote mit Texten, Bildern und Prüfständen",
            "GET /partners/me/offers",
        ),
        ("Kundenkarten-Programme", "GET /cards/programs"),
        ("Kassenzugänge", "GET /cards/terminal-users"),
        (
            "Karteninhaberinnen und -inhaber mit Buchungen (CSV-Export)",
            "POST /cards/exports",
        ),
        ("Empfehlungsprogramme", "GET /programs"),
        (
            "Domains der Empfehlungslinks",
            "GET /partners/me/referral-domains",
        ),
        (
            "API-Schlüssel (ohne Geheimnis)",
            "GET /partners/me/api-keys",
        ),
        (
            "Kundinnen und Kunden des digitalen Kundenkontos",
            "GET /file-links/customers",
        ),
        (
            "Globale Links des digitalen Kundenkontos",
            "GET /file-links/links",
        ),
        (
            "Wer wann welches Ordnerpasswort kopiert hat",
            "GET /file-links/reveals",
        ),
    ]
    .into_iter()
    .map(|(what, route)| Elsewhere {
        what: what.into(),
        route: route.into(),
    })
    .collect()
}

async fn all_of<T: serde::de::DeserializeOwned>(state: &AppState, query: Query) -> Result<Vec<T>> {
    state
        .table
        .query_all(query)
        .await?
        .into_iter()
        .map(from_item::<T>)
        .collect()
}

fn in_partition(partner: &PartnerId, prefix: &str) -> Query {
    Query::partition(Index::Primary, partner_pk(partner)).sk(SkCond::BeginsWith(prefix.into()))
}

async fn profile_of(state: &AppState, partner: Partner) -> Result<ProfileExport> {
    let logo_url = match &partner.logo_key {
        Some(key) => Some(state.blobs.presign_get(key, LOGO_URL_LIFETIME).await?),
        None => None,
    };
    Ok(ProfileExport {
        company: partner.company,
        contact_name: partner.contact_name,
        email: partner.email.to_string(),
        email_confirmed: partner.email_confirmed,
        phone: partner.phone,
        address: partner.address,
        vat_id: partner.vat_id,
        terms_accepted_at: partner.terms_accepted_at,
        created_at: partner.created_at,
        logo_url,
    })
}

/// The document, read from the partner's partition and its login record.
async fn collect(state: &AppState, auth: &PartnerAuth) -> Result<DataExport> {
    let id = &auth.partner_id;
    let partner = load_partner(state, id).await?;
    let found = signed_in::own_login(state, &auth.claims, None)
        .await?
        .found
        .ok_or_else(|| Error::NotFound("Partnerkonto nicht gefunden.".into()))?;
    let sepa_mandate = match &partner.mandate {
        Some(m) => Some(MandateExport {
            account_holder: m.account_holder.clone(),
            iban: state
                .data_key()?
                .open(&m.iban_sealed)
                .map_err(Error::internal)?,
            reference: m.reference.clone(),
            signed_on: m.signed_on,
        }),
        None => None,
    };
    let card_contract = cards::load(state.table.as_ref(), id).await?;
    let customer_account = match state.table.get(&file_links::key(id)).await? {
        Some(item) => Some(from_item::<FileLinksContract>(item)?.into()),
        None => None,
    };
    Ok(DataExport {
        exported_at: state.clock.now(),
        partner_id: id.clone(),
        login: LoginExport {
            email: found.login.login.to_string(),
            role: found.login.role.as_str().into(),
            confirmed: found.login.confirmed,
            created_at: found.login.created_at,
            last_login_at: found.state.last_login_at,
        },
        sepa_mandate,
        profile: profile_of(state, partner).await?,
        platforms: all_of(state, in_partition(id, APPLICATION_PREFIX)).await?,
        placements: all_of(state, all_bookings_of(id)).await?,
        card_contract: card_contract.map(Into::into),
        customer_account,
        referral_rewards: all_of::<RewardMonth>(state, in_partition(id, REWARD_MONTH_PREFIX))
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
        elsewhere: elsewhere(),
    })
}

/// Download everything partnernetz's registration holds about the partner (DSGVO Art. 15
/// and 20): login (without the password), profile, SEPA mandate with the full IBAN,
/// applications and subscriptions, placements, the card contract, the customer account and
/// the referral rewards billed, and where the other data is read. A file to save
/// (`Content-Disposition: attachment`), never cached.
#[utoipa::path(get, path = "/partners/me/export", tag = "profile",
    responses(
        (status = 200, description = "The partner's data as one JSON document.", body = DataExport),
        (status = 404, response = NotFound),
    ))]
pub async fn export(
    State(state): State<AppState>,
    auth: PartnerAuth,
) -> Result<(AppendHeaders<[(HeaderName, String); 2]>, Json<DataExport>)> {
    let document = collect(&state, &auth).await?;
    let name = format!("partnernetz-daten-{}.json", state.clock.today());
    tracing::info!(partner_id = %auth.partner_id, "data exported");
    Ok((
        AppendHeaders([
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ]),
        Json(document),
    ))
}
