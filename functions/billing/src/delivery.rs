//! What follows an invoice's commit: its PDF and XRechnung stored in S3 under the invoice
//! (rendered from the immutable record, so a repeat renders the same documents), and the
//! invoice mail from the outbox, written in the invoice's transaction, with the PDF attached
//! (read from S3 when the mail is sent, so the documents are stored before the mails go).

use shared::domain::Email;
use shared::mail::pending::PendingMails;
use shared::mail::{Attachment, Mail, Template};

use crate::Billing;
use crate::bill::BatchReport;
use crate::config::BillingConfig;
use crate::debit::Collection;
use crate::invoice::Invoice;
use shared::clock::german_date;

pub const INVOICE_MAIL: Template = Template {
    text: include_str!("../templates/invoice.txt"),
    html: include_str!("../templates/invoice.html"),
};

pub const CREDIT_NOTE_MAIL: Template = Template {
    text: include_str!("../templates/credit_note.txt"),
    html: include_str!("../templates/credit_note.html"),
};

/// A new pre-notification, when the SEPA file that takes a debit comes too late for the day
/// the invoice announced.
pub const COLLECTION_MOVED_MAIL: Template = Template {
    text: include_str!("../templates/collection_moved.txt"),
    html: include_str!("../templates/collection_moved.html"),
};

/// The name of the document's PDF as the partner receives it.
pub fn pdf_filename(invoice: &Invoice) -> String {
    if invoice.is_credit_note() {
        format!("Stornorechnung-{}.pdf", invoice.number)
    } else {
        format!("Rechnung-{}.pdf", invoice.number)
    }
}

/// The document's mail with its PDF attached: for an invoice, number, amounts and how it
/// is paid; for a credit note, what it cancels, why, and the amount paid back.
pub fn mail(invoice: &Invoice) -> Mail {
    let pdf = Attachment::new(invoice.pdf_key(), pdf_filename(invoice), "application/pdf");
    let t = &invoice.totals;
    if let Some(cancelled) = &invoice.cancels {
        let refund = |c: shared::domain::Cents| shared::domain::Cents(c.0.abs()).to_string();
        return Mail::render(
            &invoice.recipient.email,
            CREDIT_NOTE_MAIL,
            &[
                ("contact", &invoice.recipient.contact_name),
                ("company", &invoice.recipient.company),
                ("number", &invoice.number),
                ("date", &german_date(invoice.issued_on)),
                ("cancelled", &cancelled.invoice_number),
                ("cancelled_date", &german_date(cancelled.invoice_issued_on)),
                ("reason", &cancelled.reason),
                ("gross", &refund(t.gross_cents)),
                ("net", &refund(t.net_cents)),
                ("vat", &refund(t.vat_cents)),
            ],
        )
        .with_attachment(pdf);
    }
    let payment = match &invoice.debit {
        Some(d) => format!(
            "Wir ziehen den Betrag am {} per SEPA-Lastschrift von Ihrem Konto {} ein (Mandatsreferenz {}).",
            german_date(d.collection_date),
            d.iban_masked,
            d.mandate_reference
        ),
        None => "Bitte überweisen Sie den Betrag wie auf der Rechnung angegeben.".to_string(),
    };
    let to: &Email = &invoice.recipient.email;
    Mail::render(
        to,
        INVOICE_MAIL,
        &[
            ("contact", &invoice.recipient.contact_name),
            ("company", &invoice.recipient.company),
            ("number", &invoice.number),
            ("date", &german_date(invoice.issued_on)),
            ("gross", &t.gross_cents.to_string()),
            ("net", &t.net_cents.to_string()),
            ("vat", &t.vat_cents.to_string()),
            ("payment", &payment),
        ],
    )
    .with_attachment(pdf)
}

/// The new pre-notification of `invoice`'s debit, collected by `collection` on another day
/// than the invoice announced.
pub fn collection_moved(
    config: &BillingConfig,
    invoice: &Invoice,
    collection: &Collection,
) -> Mail {
    let debit = &collection.order.debit;
    Mail::render(
        &invoice.recipient.email,
        COLLECTION_MOVED_MAIL,
        &[
            ("contact", &invoice.recipient.contact_name),
            ("company", &invoice.recipient.company),
            ("number", &invoice.number),
            ("date", &german_date(invoice.issued_on)),
            ("announced", &german_date(debit.collection_date)),
            ("gross", &collection.order.amount_cents.to_string()),
            ("collection_date", &german_date(collection.collection_date)),
            ("iban", &debit.iban_masked),
            ("mandate", &debit.mandate_reference),
            ("creditor", &config.creditor_id),
        ],
    )
}

/// Renders and stores both documents of an invoice.
pub async fn store_documents(billing: &Billing, invoice: &Invoice) -> Result<(), shared::Error> {
    let key = billing.env.data_key()?;
    let iban = invoice
        .debit
        .as_ref()
        .and_then(|d| key.open(&d.iban_sealed).ok());
    let xml = crate::xrechnung::write(&billing.config, invoice, iban.as_deref())
        .map_err(shared::Error::internal)?;
    let pdf = crate::document::render_pdf(&billing.config, invoice)?;
    let blobs = &billing.env.blobs;
    blobs
        .put(&invoice.xml_key(), "application/xml", xml)
        .await
        .map_err(shared::Error::internal)?;
    blobs
        .put(&invoice.pdf_key(), "application/pdf", pdf)
        .await
        .map_err(shared::Error::internal)?;
    Ok(())
}

/// After the batch's commit: documents of the new invoices, and of earlier ones whose
/// documents are missing (the worker died between commit and upload); then the mails,
/// which attach the PDFs just stored. A mail whose PDF is not stored yet (this step failed
/// before it) stays pending and is sent by the schedule once a redelivery has stored it.
/// An error leaves the message for redelivery, which finds the invoices and completes them.
pub async fn after_commit(
    billing: &Billing,
    report: &mut BatchReport,
) -> Result<(), shared::Error> {
    for invoice in &report.invoices {
        store_documents(billing, invoice).await?;
    }
    for invoice in &report.existing {
        let stored = billing
            .env
            .blobs
            .head(&invoice.pdf_key())
            .await
            .map_err(shared::Error::internal)?
            .is_some();
        if !stored {
            store_documents(billing, invoice).await?;
        }
    }
    let outgoing = PendingMails::of(&billing.env);
    for pending in std::mem::take(&mut report.mails) {
        outgoing.deliver(pending).await;
    }
    Ok(())
}
