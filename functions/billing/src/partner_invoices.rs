//! `GET /billing/partners/{partner_id}/invoices`: a partner's invoices and credit notes as
//! the operator's console lists them, each with its state.

use std::collections::{HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use jiff::civil::Date;
use serde::Serialize;
use shared::auth::OperatorAuth;
use shared::domain::{Month, PartnerId};
use shared::http::ApiPath;
use shared::model::from_item;
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::BillingState;
use crate::debit::{Collection, collections_of};
use crate::invoice::{DocumentKind, Invoice, invoices_of};

/// How long a download link stays valid.
const LINK_VALIDITY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    /// Paid by transfer (no mandate): issued, nothing to collect.
    Transfer,
    /// A direct debit announced, no SEPA file holds it yet.
    DebitDue,
    /// A SEPA file collects it.
    DebitInFile,
    /// A credit note cancels it.
    Cancelled,
    /// The document is itself a credit note.
    CreditNote,
}

/// One invoice or credit note of a partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerInvoice {
    pub number: String,
    pub kind: DocumentKind,
    #[schema(value_type = String, example = "2026-12")]
    pub period: Month,
    pub issued_on: Date,
    pub net_cents: i64,
    pub gross_cents: i64,
    /// Gross, German notation (`205,28 €`).
    pub gross: String,
    pub state: InvoiceState,
    /// The credit note that cancels it, or on a credit note the invoice it cancels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// The SEPA file that collects it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sepa_file: Option<String>,
    /// Presigned download link of the PDF, valid at least 15 minutes.
    pub pdf_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerInvoiceList {
    /// Newest first.
    pub invoices: Vec<PartnerInvoice>,
}

/// A partner's invoices and credit notes with their state, newest first.
#[utoipa::path(get, path = "/billing/partners/{partner_id}/invoices", tag = "billing",
    params(("partner_id" = PartnerId, Path, description = "The partner.")),
    responses((status = 200, description = "The invoices.", body = PartnerInvoiceList)))]
pub async fn list(
    State(state): State<BillingState>,
    _operator: OperatorAuth,
    ApiPath(partner_id): ApiPath<PartnerId>,
) -> Result<Json<PartnerInvoiceList>> {
    let table = state.env.table.as_ref();
    let invoices: Vec<Invoice> = table
        .query_all(invoices_of(&partner_id))
        .await?
        .into_iter()
        .map(from_item)
        .collect::<Result<_>>()?;
    let mut files: HashMap<String, String> = HashMap::new();
    for item in table.query_all(collections_of(&partner_id)).await? {
        let c: Collection = from_item(item)?;
        files.insert(c.order.invoice_number, c.file);
    }
    let cancelled_by: HashMap<&str, &str> = invoices
        .iter()
        .filter_map(|i| {
            i.cancels
                .as_ref()
                .map(|c| (c.invoice_number.as_str(), i.number.as_str()))
        })
        .collect();
    let numbers: HashSet<&str> = invoices.iter().map(|i| i.number.as_str()).collect();
    let mut out = Vec::with_capacity(invoices.len());
    for invoice in &invoices {
        let sepa_file = files.get(&invoice.number).cloned();
        let credit = cancelled_by.get(invoice.number.as_str()).copied();
        let (state_now, related) = match (&invoice.kind, &invoice.cancels) {
            (DocumentKind::CreditNote, cancels) => (
                InvoiceState::CreditNote,
                cancels
                    .as_ref()
                    .map(|c| c.invoice_number.clone())
                    .filter(|n| numbers.contains(n.as_str())),
            ),
            _ if credit.is_some() => (InvoiceState::Cancelled, credit.map(str::to_string)),
            _ if sepa_file.is_some() => (InvoiceState::DebitInFile, None),
            _ if invoice.debit.is_some() => (InvoiceState::DebitDue, None),
            _ => (InvoiceState::Transfer, None),
        };
        let pdf_url = state
            .env
            .blobs
            .download_url(&invoice.pdf_key(), LINK_VALIDITY)
            .await
            .map_err(Error::internal)?;
        out.push(PartnerInvoice {
            number: invoice.number.clone(),
            kind: invoice.kind,
            period: invoice.period,
            issued_on: invoice.issued_on,
            net_cents: invoice.totals.net_cents.0,
            gross_cents: invoice.totals.gross_cents.0,
            gross: invoice.totals.gross_cents.to_string(),
            state: state_now,
            related,
            sepa_file,
            pdf_url,
        });
    }
    Ok(Json(PartnerInvoiceList { invoices: out }))
}
