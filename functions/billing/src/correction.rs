//! Corrections (§14 UStG, GoBD): an issued invoice is never changed. The operator cancels
//! it with a credit note (Stornorechnung) that takes the next gapless number in the same
//! transaction that writes it, refers to the invoice, and negates every line; the partner
//! gets it by mail and in the list of invoices. Its direct debit, if no SEPA file has taken
//! it yet, is withdrawn in the same transaction (never collected); once a file holds it,
//! the amount is paid back by transfer. A corrected invoice, if one is due, is billed by
//! hand; the run never bills a period twice.

use shared::Error;
use shared::http::Validator;
use shared::mail::pending::PendingMails;
use shared::model::from_item;
use shared::store::counter::Counter;

use crate::Billing;
use crate::debit::withdraw;
use crate::invoice::{
    Invoice, credit_note_key, format_number, invoice_numbered, number_counter_key,
};
use shared::domain::Month;

const REASON_MAX_CHARS: usize = 500;
const CREDIT_NOTE_OP: &str = "credit_note";
const WITHDRAW_OP: &str = "withdraw_debit";

/// The invoice `number` of `period`, or 404.
pub async fn find_invoice(
    billing: &Billing,
    period: Month,
    number: &str,
) -> Result<Invoice, Error> {
    let items = billing
        .env
        .table
        .query_all(invoice_numbered(period, number))
        .await?;
    match items.into_iter().next() {
        Some(item) => from_item(item),
        None => Err(Error::NotFound(format!(
            "Rechnung {number} im Abrechnungslauf {period}"
        ))),
    }
}

/// The checked reason of a cancellation: printed on the credit note, so a single-line text
/// (`http::Validator::text`, as the document states it).
pub fn reason(raw: &str) -> Result<String, Error> {
    let mut v = Validator::new();
    let reason = v.text("reason", raw, REASON_MAX_CHARS);
    v.finish()?;
    reason.ok_or_else(|| Error::field("reason", "fehlt: der Grund steht auf der Stornorechnung"))
}

/// Cancels the invoice with a credit note, stores its documents and mails it. A second
/// cancellation of the same invoice is refused with 409 naming the credit note, and first
/// completes its documents if an earlier attempt stopped after the commit.
pub async fn cancel(
    billing: &Billing,
    period: Month,
    number: &str,
    reason: String,
) -> Result<Invoice, Error> {
    let invoice = find_invoice(billing, period, number).await?;
    let table = billing.env.table.as_ref();
    if let Some(existing) = table
        .get(&credit_note_key(&invoice.partner_id, period))
        .await?
    {
        let note: Invoice = from_item(existing)?;
        complete_documents(billing, &note).await?;
        return Err(already_cancelled(&invoice, &note));
    }
    let today = billing.env.clock.today();
    let now = billing.env.clock.now();
    let outgoing = PendingMails::of(&billing.env);
    let mut written = None;
    let mut pending = None;
    let result = Counter::new(number_counter_key(today.year()))
        .allocate(table, |n| {
            let note =
                invoice.credit_note(format_number(today.year(), n), reason.clone(), today, now);
            let (mail, mail_op) = outgoing.enqueue(crate::delivery::mail(&note))?;
            let mut ops = vec![note.put()?.named(CREDIT_NOTE_OP), mail_op];
            if invoice.debit.is_some() {
                // Not collected if no SEPA file has taken the debit yet.
                ops.push(withdraw(period, &invoice.number).named(WITHDRAW_OP));
            }
            written = Some(note);
            pending = Some(mail);
            Ok::<_, Error>(ops)
        })
        .await;
    if let Err(e) = result {
        // Another cancellation of the same invoice won the race: name its credit note.
        if let Some(existing) = table
            .get(&credit_note_key(&invoice.partner_id, period))
            .await?
        {
            return Err(already_cancelled(&invoice, &from_item(existing)?));
        }
        return Err(e);
    }
    let (Some(note), Some(mail)) = (written, pending) else {
        return Err(Error::internal(std::io::Error::other(
            "the committed credit note was not kept",
        )));
    };
    crate::delivery::store_documents(billing, &note).await?;
    outgoing.deliver(mail).await;
    Ok(note)
}

async fn complete_documents(billing: &Billing, note: &Invoice) -> Result<(), Error> {
    let stored = billing
        .env
        .blobs
        .head(&note.pdf_key())
        .await
        .map_err(Error::internal)?
        .is_some();
    if !stored {
        crate::delivery::store_documents(billing, note).await?;
    }
    Ok(())
}

fn already_cancelled(invoice: &Invoice, note: &Invoice) -> Error {
    Error::Conflict(format!(
        "Die Rechnung {} ist bereits storniert (Stornorechnung {}).",
        invoice.number, note.number
    ))
}
