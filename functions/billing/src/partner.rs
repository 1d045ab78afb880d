//! What the run reads of one partner: its whole partition in one query (profile, platform
//! subscriptions, contracts, earlier invoices and markers), and the draft invoice the line
//! sources make of it.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;
use shared::domain::{PartnerId, PlatformId};
use shared::model::contracts::cards::CardContract;
use shared::model::contracts::file_links::FileLinksContract;
use shared::model::contracts::{ContractKind, contract_key};
use shared::model::from_item;
use shared::model::partners::{Partner, partner_key, partner_pk};
use shared::model::placements::{BOOKING_PREFIX, PlacementBooking};
use shared::model::platforms::{Platform, platform_key};
use shared::model::rewards::{REWARD_MONTH_PREFIX, RewardMonth};
use shared::model::subscriptions::{APPLICATION_PREFIX, Application};
use shared::store::{Index, Query, SK, StoreError, Table};
use tokio::sync::Mutex;

use crate::config::BillingConfig;
use crate::customer::{CUSTOMER_NUMBER_SK, CustomerNumber};
use crate::debit::{MANDATE_USED_PREFIX, announced_day};
use crate::invoice::{DirectDebit, Invoice, Recipient, invoice_key, nothing_due_key};
use crate::lines::{InvoiceLine, Totals};
use crate::sources;
use shared::domain::Month;

/// The records of one partner that billing reads.
#[derive(Debug, Default)]
pub struct PartnerRecords {
    pub partner: Option<Partner>,
    pub applications: Vec<Application>,
    /// Premium placement bookings, all months.
    pub placements: Vec<PlacementBooking>,
    pub card_contract: Option<CardContract>,
    pub file_links: Option<FileLinksContract>,
    /// An invoice or a nothing-due marker exists for the period: nothing more to do.
    pub done: bool,
    /// The period's invoice, if written before.
    pub invoice: Option<Invoice>,
    /// Mandate references a SEPA file has collected from (their next collection is RCUR).
    pub used_mandates: HashSet<String>,
    /// The number printed on its invoices, once given.
    pub customer_number: Option<String>,
    /// Confirmed referral rewards per month, billed and not.
    pub reward_months: Vec<RewardMonth>,
}

/// One strongly consistent query of the partner's partition.
pub async fn load(
    table: &dyn Table,
    partner: &PartnerId,
    period: Month,
) -> Result<PartnerRecords, shared::Error> {
    let items = table
        .query_all(Query::partition(Index::Primary, partner_pk(partner)))
        .await?;
    let profile_sk = partner_key(partner).sk;
    let invoice_sk = invoice_key(partner, period).sk;
    let nothing_due_sk = nothing_due_key(partner, period).sk;
    let cards_sk = contract_key(partner, ContractKind::Cards).sk;
    let file_links_sk = contract_key(partner, ContractKind::FileLinks).sk;
    let mut out = PartnerRecords::default();
    for item in items {
        let sk = item
            .get(SK)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if sk == profile_sk {
            out.partner = Some(from_item(item)?);
        } else if sk.starts_with(APPLICATION_PREFIX) {
            out.applications.push(from_item(item)?);
        } else if sk.starts_with(BOOKING_PREFIX) {
            out.placements.push(from_item(item)?);
        } else if sk == cards_sk {
            out.card_contract = Some(from_item(item)?);
        } else if sk == file_links_sk {
            out.file_links = Some(from_item(item)?);
        } else if sk == invoice_sk {
            out.invoice = Some(from_item(item)?);
            out.done = true;
        } else if sk == nothing_due_sk {
            out.done = true;
        } else if sk == CUSTOMER_NUMBER_SK {
            out.customer_number = Some(from_item::<CustomerNumber>(item)?.number);
        } else if sk.starts_with(REWARD_MONTH_PREFIX) {
            out.reward_months.push(from_item(item)?);
        } else if let Some(reference) = sk.strip_prefix(MANDATE_USED_PREFIX) {
            out.used_mandates.insert(reference.to_string());
        }
    }
    Ok(out)
}

/// The platforms' fee schedules, read once per worker and run month and kept: a run reads
/// each platform once, not once per partner. A platform not found is asked for again next
/// time. Kept per month, so a fee changed for a later month (allowed only while no run of
/// that month exists) is read afresh by that month's run.
#[derive(Debug, Default)]
pub struct Fees(Mutex<HashMap<(PlatformId, Month), Platform>>);

impl Fees {
    pub async fn of(
        &self,
        table: &dyn Table,
        platform: &PlatformId,
        period: Month,
    ) -> Result<Option<Platform>, StoreError> {
        let mut known = self.0.lock().await;
        let cache_key = (platform.clone(), period);
        if let Some(found) = known.get(&cache_key) {
            return Ok(Some(found.clone()));
        }
        let found = match table.get(&platform_key(platform)).await? {
            Some(item) => from_item::<Platform>(item).ok(),
            None => None,
        };
        if let Some(found) = &found {
            known.insert(cache_key, found.clone());
        }
        Ok(found)
    }
}

/// What the run does with one partner.
#[derive(Debug)]
pub enum Prepared {
    /// Invoiced (with that invoice) or found with nothing due before: nothing to do.
    Done(Option<Box<Invoice>>),
    NothingDue,
    Draft(Box<Draft>),
    /// Cannot be billed until someone fixes its data; the reason names no personal data.
    Failed(String),
}

/// An invoice without its number.
#[derive(Debug, Clone)]
pub struct Draft {
    pub partner_id: PartnerId,
    /// `None` until the partner's first invoice gives it one.
    pub customer_number: Option<String>,
    pub recipient: Recipient,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    pub debit: Option<DirectDebit>,
    /// A SEPA file has collected from the debit's mandate before.
    pub mandate_collected: bool,
    /// The referral reward months the lines bill, marked billed with the invoice.
    pub reward_months: Vec<RewardMonth>,
}

/// Every line due from the partner's contracts in the run for `period`.
pub async fn due_lines(
    table: &dyn Table,
    fees: &Fees,
    records: &PartnerRecords,
    period: Month,
) -> Result<Result<Vec<InvoiceLine>, String>, shared::Error> {
    let mut apps: Vec<&Application> = records
        .applications
        .iter()
        .filter(|a| a.approved_on.is_some())
        .collect();
    apps.sort_by(|a, b| (a.approved_on, &a.platform_name).cmp(&(b.approved_on, &b.platform_name)));
    let mut lines = Vec::new();
    for app in apps {
        let Some(platform) = fees.of(table, &app.platform_id, period).await? else {
            return Ok(Err(format!("Plattform {} nicht gefunden", app.platform_id)));
        };
        lines.extend(sources::subscriptions::lines_with(
            app,
            |month| platform.fee_in(month),
            period,
        ));
    }
    lines.extend(sources::placements::lines(&records.placements, period));
    if let Some(contract) = &records.card_contract {
        lines.extend(sources::cards::lines(contract, period));
    }
    if let Some(contract) = &records.file_links {
        lines.extend(sources::file_links::lines(contract, period));
    }
    lines.extend(sources::referrals::lines(&sources::referrals::due(
        &records.reward_months,
        period,
    )));
    Ok(Ok(lines))
}

/// Turns a partner's records into what the run does with it.
pub async fn prepare(
    table: &dyn Table,
    fees: &Fees,
    config: &BillingConfig,
    records: PartnerRecords,
    partner_id: &PartnerId,
    period: Month,
    today: Date,
) -> Result<Prepared, shared::Error> {
    if records.done {
        return Ok(Prepared::Done(records.invoice.map(Box::new)));
    }
    let lines = match due_lines(table, fees, &records, period).await? {
        Ok(lines) => lines,
        Err(reason) => return Ok(Prepared::Failed(reason)),
    };
    if lines.is_empty() {
        return Ok(Prepared::NothingDue);
    }
    let Some(partner) = records.partner else {
        return Ok(Prepared::Failed("Partnerprofil fehlt".into()));
    };
    let Some(address) = partner.address.clone() else {
        return Ok(Prepared::Failed("Anschrift des Partners fehlt".into()));
    };
    let debit = partner
        .mandate
        .as_ref()
        .filter(|m| m.signed_on <= today && !m.iban_sealed.is_empty())
        .map(|m| DirectDebit {
            account_holder: m.account_holder.clone(),
            mandate_reference: m.reference.clone(),
            mandate_signed_on: m.signed_on,
            collection_date: announced_day(today, config.prenotification_days),
            iban_masked: m.iban_masked.clone(),
            iban_sealed: m.iban_sealed.clone(),
        });
    let mandate_collected = debit
        .as_ref()
        .is_some_and(|d| records.used_mandates.contains(&d.mandate_reference));
    let totals = Totals::of(&lines);
    let reward_months = sources::referrals::due(&records.reward_months, period);
    Ok(Prepared::Draft(Box::new(Draft {
        partner_id: partner_id.clone(),
        customer_number: records.customer_number,
        recipient: Recipient {
            company: partner.company,
            contact_name: partner.contact_name,
            address,
            vat_id: partner.vat_id,
            email: partner.email,
        },
        lines,
        totals,
        debit,
        mandate_collected,
        reward_months,
    })))
}
