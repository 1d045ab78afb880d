//! The operator's routes over runs and the partner's list of invoices.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{OperatorAuth, PartnerAuth};
use shared::domain::Cents;
use shared::http::{ApiJson, ApiPath};
use shared::model::from_item;
use shared::openapi::{Conflict, NotFound, Unprocessable};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::BillingState;
use crate::customer;
use crate::debit::{Collection, FileState, SepaFile, Sequence, collections_of};
use crate::invoice::{
    Cancellation, DirectDebit, DocumentKind, Invoice, Recipient, invoices_in, invoices_of,
};
use crate::lines::{InvoiceLine, Totals};
use crate::run::{Failure, Run, runs};
use crate::runner;
use crate::{collect, correction};
use shared::domain::Month;
use shared::model::partners::{Partner, partner_key};

/// How long a download link of an invoice stays valid.
const LINK_VALIDITY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn parse_period(raw: &str) -> Result<Month> {
    Month::parse(raw).ok_or_else(|| Error::field("period", "muss ein Monat wie 2026-12 sein"))
}

/// A run with its counters, its SEPA files and the partners that failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    #[serde(flatten)]
    pub run: Run,
    /// Partners not billed yet because of their data (listed in `failures` of a single run).
    pub failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failures: Option<Vec<FailureView>>,
    /// The run's SEPA files, first first (the next fetch of `/sepa` writes one for the
    /// debits still due).
    pub sepa_files: Vec<SepaFileView>,
    /// Direct debits of the month and the months before that no SEPA file holds yet (a
    /// single run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debits_due: Option<usize>,
}

/// A partner of a run not billed yet, with the German reason and whom it concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    #[serde(flatten)]
    pub failure: Failure,
    /// The partner's company, as its profile names it (none without a profile).
    pub company: Option<String>,
    /// The partner's customer number, once it has one.
    pub customer_number: Option<String>,
}

async fn failure_views(state: &BillingState, failures: Vec<Failure>) -> Result<Vec<FailureView>> {
    let table = state.env.table.as_ref();
    let mut out = Vec::with_capacity(failures.len());
    for failure in failures {
        let company = table
            .get(&partner_key(&failure.partner_id))
            .await?
            .map(from_item::<Partner>)
            .transpose()?
            .map(|p| p.company);
        let customer_number = table
            .get(&customer::customer_number_key(&failure.partner_id))
            .await?
            .map(from_item::<customer::CustomerNumber>)
            .transpose()?
            .map(|c| c.number);
        out.push(FailureView {
            failure,
            company,
            customer_number,
        });
    }
    Ok(out)
}

/// A SEPA file of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct SepaFileView {
    /// `LS-2026-12-2`: the run's second file.
    pub name: String,
    pub state: FileState,
    pub created_at: jiff::Timestamp,
    pub payments: u64,
    #[schema(value_type = i64)]
    pub total_cents: Cents,
    /// The collection days the file asks for.
    pub collection_dates: Vec<Date>,
}

impl From<SepaFile> for SepaFileView {
    fn from(file: SepaFile) -> Self {
        Self {
            name: file.name(),
            state: file.state,
            created_at: file.created_at,
            payments: file.payments,
            total_cents: file.total_cents,
            collection_dates: file.collection_dates,
        }
    }
}

async fn file_views(state: &BillingState, period: Month) -> Result<Vec<SepaFileView>> {
    let files = collect::files(state, period).await?;
    Ok(files.into_iter().map(SepaFileView::from).collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunList {
    pub runs: Vec<RunView>,
}

/// Every billing run, newest first, with its counts.
#[utoipa::path(get, path = "/billing/runs", tag = "billing",
    responses((status = 200, description = "The runs.", body = RunList)))]
pub async fn list_runs(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
) -> Result<Json<RunList>> {
    let items = state.env.table.query_all(runs()).await?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let run: Run = from_item(item)?;
        let failed = runner::failures(&state, run.period).await?.len();
        let sepa_files = file_views(&state, run.period).await?;
        out.push(RunView {
            run,
            failed,
            failures: None,
            sepa_files,
            debits_due: None,
        });
    }
    Ok(Json(RunList { runs: out }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"period": "2026-12"}))]
pub struct StartRun {
    /// The month to bill, `YYYY-MM`.
    #[schema(value_type = Month)]
    pub period: String,
}

/// Start the run of a month (as the schedule does on the 1st). Starting a month again bills
/// only the partners not billed yet. A month that has not begun in Berlin is refused (422
/// naming `period`).
#[utoipa::path(post, path = "/billing/runs", tag = "billing", request_body = StartRun,
    responses(
        (status = 202, description = "The run, planned in the background.", body = RunView),
        (status = 422, response = Unprocessable),
    ))]
pub async fn start(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
    ApiJson(body): ApiJson<StartRun>,
) -> Result<(StatusCode, Json<RunView>)> {
    let period = parse_period(&body.period)?;
    let run = runner::start_run(&state, period).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RunView {
            run,
            failed: 0,
            failures: None,
            sepa_files: Vec::new(),
            debits_due: None,
        }),
    ))
}

/// One run with the partners that failed and why.
#[utoipa::path(get, path = "/billing/runs/{period}", tag = "billing",
    params(("period" = Month, Path, description = "The month, `YYYY-MM`.", example = "2026-12")),
    responses(
        (status = 200, description = "The run.", body = RunView),
        (status = 404, response = NotFound),
    ))]
pub async fn get_run(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
    ApiPath(period): ApiPath<String>,
) -> Result<Json<RunView>> {
    let period = parse_period(&period)?;
    let summary = runner::summary(&state, period).await?;
    Ok(Json(RunView {
        failed: summary.failed.len(),
        run: summary.run,
        failures: Some(failure_views(&state, summary.failed).await?),
        sepa_files: file_views(&state, period).await?,
        debits_due: Some(collect::due(&state, period).await?.len()),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// Failed partners queued again.
    pub queued: usize,
}

/// Queue the partners that failed in a run again.
#[utoipa::path(post, path = "/billing/runs/{period}/retry", tag = "billing",
    params(("period" = Month, Path, description = "The month, `YYYY-MM`.", example = "2026-12")),
    responses(
        (status = 202, description = "The failed partners were queued again.", body = Retried),
        (status = 404, response = NotFound),
    ))]
pub async fn retry(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
    ApiPath(period): ApiPath<String>,
) -> Result<(StatusCode, Json<Retried>)> {
    let period = parse_period(&period)?;
    if runner::load_run(&state, period).await?.is_none() {
        return Err(Error::NotFound("Abrechnungslauf nicht gefunden.".into()));
    }
    let queued = runner::retry_failed(&state, period).await?;
    Ok((StatusCode::ACCEPTED, Json(Retried { queued })))
}

/// A written SEPA file with its download link.
#[derive(Debug, Serialize, ToSchema)]
pub struct SepaFileLink {
    #[serde(flatten)]
    pub file: SepaFileView,
    /// Presigned download link of the pain.008.001.08 file, valid 15 minutes.
    pub url: String,
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SepaFileList {
    pub files: Vec<SepaFileLink>,
}

/// The run's SEPA direct-debit files (pain.008.001.08). Once the run is complete, a fetch
/// first writes a new file holding every debit of the month and the months before that no
/// file holds yet (say, an invoice of a retry); a file once written never changes.
#[utoipa::path(get, path = "/billing/runs/{period}/sepa", tag = "billing",
    params(("period" = Month, Path, description = "The month, `YYYY-MM`.", example = "2026-12")),
    responses(
        (status = 200, description = "The run's written files with download links.", body = SepaFileList),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn sepa_files(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
    ApiPath(period): ApiPath<String>,
) -> Result<Json<SepaFileList>> {
    let period = parse_period(&period)?;
    let mut files = Vec::new();
    for file in collect::collect(&state, period).await? {
        let key = file.blob_key();
        let url = state
            .env
            .blobs
            .presign_get(&key, LINK_VALIDITY)
            .await
            .map_err(Error::internal)?;
        files.push(SepaFileLink {
            file: file.into(),
            url,
            key,
        });
    }
    Ok(Json(SepaFileList { files }))
}

/// How an invoice's amount is collected: the mandate, the day, and once a SEPA file holds
/// the debit, which file and as which of the mandate's collections.
#[derive(Debug, Serialize, ToSchema)]
pub struct DebitView {
    pub account_holder: String,
    pub mandate_reference: String,
    pub mandate_signed_on: Date,
    pub iban_masked: String,
    /// The day the amount is collected: as the invoice announced, or as a later notice
    /// announced when the SEPA file came too late for that day.
    pub collection_date: Date,
    /// The day the invoice announced, when a notice moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announced_first: Option<Date>,
    /// FRST (the mandate's first collection) or RCUR, once a SEPA file holds the debit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<Sequence>,
    /// The SEPA file that holds it (`LS-2026-12-2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sepa_file: Option<String>,
}

impl DebitView {
    fn of(debit: DirectDebit, collection: Option<Collection>) -> Self {
        let mut view = Self {
            account_holder: debit.account_holder,
            mandate_reference: debit.mandate_reference,
            mandate_signed_on: debit.mandate_signed_on,
            iban_masked: debit.iban_masked,
            collection_date: debit.collection_date,
            announced_first: None,
            sequence: None,
            sepa_file: None,
        };
        if let Some(c) = collection {
            view.collection_date = c.collection_date;
            view.announced_first = c.announced_first;
            view.sequence = Some(c.sequence);
            view.sepa_file = Some(c.file);
        }
        view
    }
}

/// An invoice (or a credit note) as its recipient sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    pub number: String,
    /// The partner's customer number as printed on the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    pub kind: DocumentKind,
    /// On a credit note: the invoice it cancels and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancels: Option<Cancellation>,
    #[schema(value_type = String, example = "2026-12")]
    pub period: Month,
    pub issued_on: Date,
    pub recipient: Recipient,
    pub lines: Vec<InvoiceLine>,
    pub totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_debit: Option<DebitView>,
    /// Presigned download links, valid at least 15 minutes.
    pub pdf_url: String,
    pub xml_url: String,
}

impl InvoiceView {
    async fn of(
        state: &BillingState,
        invoice: Invoice,
        collection: Option<Collection>,
    ) -> Result<Self> {
        let blobs = &state.env.blobs;
        let pdf_url = blobs
            .download_url(&invoice.pdf_key(), LINK_VALIDITY)
            .await
            .map_err(Error::internal)?;
        let xml_url = blobs
            .download_url(&invoice.xml_key(), LINK_VALIDITY)
            .await
            .map_err(Error::internal)?;
        Ok(Self {
            number: invoice.number,
            customer_number: invoice.customer_number,
            kind: invoice.kind,
            cancels: invoice.cancels,
            period: invoice.period,
            issued_on: invoice.issued_on,
            recipient: invoice.recipient,
            lines: invoice.lines,
            totals: invoice.totals,
            direct_debit: invoice.debit.map(|d| DebitView::of(d, collection)),
            pdf_url,
            xml_url,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    pub invoices: Vec<InvoiceView>,
}

/// The partner's invoices and credit notes, newest first, with download links.
#[utoipa::path(get, path = "/partners/me/invoices", tag = "billing",
    responses((status = 200, description = "The invoices.", body = InvoiceList)))]
pub async fn my_invoices(
    State(state): State<BillingState>,
    auth: PartnerAuth,
) -> Result<Json<InvoiceList>> {
    let table = state.env.table.as_ref();
    let items = table.query_all(invoices_of(&auth.partner_id)).await?;
    let mut collections: HashMap<String, Collection> = HashMap::new();
    for item in table.query_all(collections_of(&auth.partner_id)).await? {
        let collection: Collection = from_item(item)?;
        collections.insert(collection.order.invoice_number.clone(), collection);
    }
    let mut invoices = Vec::with_capacity(items.len());
    for item in items {
        let invoice: Invoice = from_item(item)?;
        let collection = collections.remove(&invoice.number);
        invoices.push(InvoiceView::of(&state, invoice, collection).await?);
    }
    Ok(Json(InvoiceList { invoices }))
}

/// One invoice of a run, as the operator's list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunInvoice {
    pub number: String,
    #[schema(value_type = String)]
    pub partner_id: shared::domain::PartnerId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_number: Option<String>,
    pub company: String,
    pub issued_on: Date,
    pub totals: Totals,
    /// Collected by SEPA direct debit (otherwise paid by transfer).
    pub direct_debit: bool,
    /// An invoice, or a credit note cancelling one.
    pub kind: DocumentKind,
    /// Presigned download links (PDF and XRechnung), valid at least 15 minutes.
    pub pdf_url: String,
    pub xml_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RunInvoiceList {
    pub invoices: Vec<RunInvoice>,
}

/// The invoices of a run, by number.
#[utoipa::path(get, path = "/billing/runs/{period}/invoices", tag = "billing",
    params(("period" = Month, Path, description = "The month, `YYYY-MM`.", example = "2026-12")),
    responses(
        (status = 200, description = "The run's invoices.", body = RunInvoiceList),
        (status = 400, response = shared::openapi::BadRequest),
    ))]
pub async fn run_invoices(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
    ApiPath(period): ApiPath<String>,
) -> Result<Json<RunInvoiceList>> {
    let period = parse_period(&period)?;
    let items = state.env.table.query_all(invoices_in(period)).await?;
    let mut invoices = Vec::with_capacity(items.len());
    for item in items {
        let invoice: Invoice = from_item(item)?;
        let blobs = &state.env.blobs;
        let pdf_url = blobs
            .download_url(&invoice.pdf_key(), LINK_VALIDITY)
            .await
            .map_err(Error::internal)?;
        let xml_url = blobs
            .download_url(&invoice.xml_key(), LINK_VALIDITY)
            .await
            .map_err(Error::internal)?;
        invoices.push(RunInvoice {
            kind: invoice.kind,
            pdf_url,
            xml_url,
            number: invoice.number,
            partner_id: invoice.partner_id,
            customer_number: invoice.customer_number,
            company: invoice.recipient.company,
            issued_on: invoice.issued_on,
            totals: invoice.totals,
            direct_debit: invoice.debit.is_some(),
        });
    }
    Ok(Json(RunInvoiceList { invoices }))
}

/// Why the invoice is cancelled (`reason`, up to 500 characters on one line): printed on
/// the credit note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Die Plattform wurde im Dezember doppelt berechnet."}))]
pub struct CancelInvoice {
    // Described on the struct: a description here would wrap the inline text schema in
    // an `allOf` with an object schema that no string matches.
    #[schema(value_type = shared::openapi::Text<500>, inline)]
    pub reason: String,
}

/// Cancel an invoice with a credit note (Stornorechnung): its own gapless number, every
/// line negated, a reference to the invoice; the partner gets it by mail. An invoice is
/// cancelled at most once.
#[utoipa::path(post, path = "/billing/runs/{period}/invoices/{number}/cancellation", tag = "billing",
    request_body = CancelInvoice,
    params(
        ("period" = Month, Path, description = "The month, `YYYY-MM`.", example = "2026-12"),
        ("number" = String, Path, description = "The invoice number.", example = "2026-000001"),
    ),
    responses(
        (status = 201, description = "The credit note.", body = InvoiceView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn cancel_invoice(
    State(state): State<BillingState>,
    _auth: OperatorAuth,
    ApiPath((period, number)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<CancelInvoice>,
) -> Result<(StatusCode, Json<InvoiceView>)> {
    let period = parse_period(&period)?;
    let reason = correction::reason(&body.reason)?;
    let note = correction::cancel(&state, period, &number, reason).await?;
    Ok((
        StatusCode::CREATED,
        Json(InvoiceView::of(&state, note, None).await?),
    ))
}

/// The payee of the partner's SEPA direct-debit mandate, as the mandate text names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SepaCreditor {
    /// The platform's operator, who collects the fees.
    #[schema(example = "partnernetz GmbH")]
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// The creditor identifier (Gläubiger-Identifikationsnummer).
    #[schema(example = "DE98ZZZ09999999999")]
    pub creditor_id: String,
    /// Days from the invoice, which announces each collection, to the collection.
    pub prenotification_days: i64,
}

/// Who collects the platform's fees by direct debit: the payee and creditor identifier the
/// mandate text names before the partner gives it.
#[utoipa::path(get, path = "/partners/me/sepa-creditor", tag = "billing",
    responses((status = 200, description = "The payee of the mandate.", body = SepaCreditor)))]
pub async fn sepa_creditor(
    State(state): State<BillingState>,
    _auth: PartnerAuth,
) -> Json<SepaCreditor> {
    let c = &state.config;
    Json(SepaCreditor {
        name: c.supplier_name.clone(),
        street: c.supplier_street.clone(),
        postal_code: c.supplier_postal_code.clone(),
        city: c.supplier_city.clone(),
        country: c.supplier_country.clone(),
        creditor_id: c.creditor_id.clone(),
        prenotification_days: c.prenotification_days,
    })
}
