//! Writing a run's SEPA files (docs/billing.md, "Direct debits"). When the operator fetches
//! a complete run's files, every debit order still due of that month and the months before
//! goes into a new file of the run: so an invoice issued by a retry after the run's first
//! file is in the next one, and one that no file of its month took is in the next month's.
//!
//! Each order is taken by exactly one file: a file takes it by deleting it from the due
//! ones under the condition that it is still there, in the transaction that records the
//! collection. A mandate's first collection is FRST, written with a marker only if none
//! exists (its invoice said whether one existed when it was issued); every later one is
//! RCUR. A file asks for the day the invoice announced; if that day is too close (less
//! than [`LEAD_DAYS`] ahead) or past, it asks for the day a new notice announces, and
//! sends that notice in the same transaction.
//!
//! A file is made in three steps, each left to the next caller if its writer dies:
//! `claiming` (taking orders, each claim checks the file still takes them), `closed`
//! (nothing joins it any more: what it holds is final), `written` (its XML stored). A file
//! left `claiming` longer than [`LEASE`] is closed and completed by the next fetch.

use std::collections::HashSet;

use shared::domain::PartnerId;
use shared::mail::pending::{PendingMail, PendingMails};
use shared::model::from_item;
use shared::store::{Cond, Named, StoreError, Update};

use crate::Billing;
use crate::debit::{
    Collection, DebitOrder, FileState, SepaFile, Sequence, announced_day, attr, collection_day,
    due_until, files_of, first_collection, mandate_used_key,
};
use crate::invoice::{Invoice, invoice_key};
use crate::runner;
use shared::domain::Month;

/// Days a file is written ahead of the earliest collection day it may ask for: the bank
/// needs the file one business day before, and the operator a day to hand it over.
pub const LEAD_DAYS: i64 = 2;
/// How long a file's writer may take orders before the next fetch completes the file.
pub const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
/// Orders per claim transaction: up to five operations each (claim, file entry, partner's
/// record, first-collection marker, new notice) plus the file check: 19 × 5 + 1 = 96.
const CLAIMS_PER_TX: usize = 19;
/// Attempts per group of claims when concurrent writers or cancellations change them.
const CLAIM_TRIES: usize = 5;

const FILE_OP: &str = "sepa_file";
const CLAIM_OP: &str = "claim";
const ENTRY_OP: &str = "file_entry";
const RECORD_OP: &str = "collection";
const FIRST_OP: &str = "first_collection";

/// Every SEPA file of the run, in any state, first first.
pub async fn files(billing: &Billing, period: Month) -> Result<Vec<SepaFile>, shared::Error> {
    let items = billing.env.table.query_all(files_of(period)).await?;
    items.into_iter().map(from_item).collect()
}

/// The debit orders still due of `period` and the months before.
pub async fn due(billing: &Billing, period: Month) -> Result<Vec<DebitOrder>, shared::Error> {
    let items = billing.env.table.query_all(due_until(period)).await?;
    items.into_iter().map(from_item).collect()
}

/// What the operator fetches: completes files their writers left unfinished; once the run
/// is complete, writes a new file with every debit still due of the month and the months
/// before; returns the run's written files. 409 while the run is not complete and has no
/// file yet, or while another fetch is writing one.
pub async fn collect(billing: &Billing, period: Month) -> Result<Vec<SepaFile>, shared::Error> {
    let summary = runner::summary(billing, period).await?;
    let mut known = files(billing, period).await?;
    for file in known.iter().filter(|f| f.state != FileState::Written) {
        finish_left(billing, file).await?;
    }
    if summary.is_complete() {
        let due = due(billing, period).await?;
        if !due.is_empty() {
            let number = known.iter().map(|f| f.number).max().unwrap_or(0) + 1;
            write_file(billing, period, number, due).await?;
        }
    } else if !known.iter().any(|f| f.state == FileState::Written) {
        return Err(shared::Error::Conflict(format!(
            "Der Abrechnungslauf {period} ist noch nicht abgeschlossen ({} von {} Partnern).",
            summary.settled(),
            summary.run.planned
        )));
    }
    known = files(billing, period).await?;
    known.retain(|f| f.state == FileState::Written);
    Ok(known)
}

fn being_written(file: &SepaFile) -> shared::Error {
    shared::Error::Conflict(format!(
        "Die Lastschriftdatei {} wird gerade erstellt; bitte gleich noch einmal abrufen.",
        file.name()
    ))
}

/// Completes a file whose writer stopped (or is still at work: then 409).
async fn finish_left(billing: &Billing, file: &SepaFile) -> Result<(), shared::Error> {
    if file.state == FileState::Claiming {
        let expires = file
            .created_at
            .checked_add(LEASE)
            .map_err(shared::Error::internal)?;
        if billing.env.clock.now() < expires {
            return Err(being_written(file));
        }
        close(billing, file).await?;
    }
    complete(billing, file).await
}

/// Creates file `number` of the run and puts `due` into it.
async fn write_file(
    billing: &Billing,
    period: Month,
    number: u32,
    due: Vec<DebitOrder>,
) -> Result<(), shared::Error> {
    let file = SepaFile::new(period, number, billing.env.clock.now());
    match billing.env.table.put(file.create()?, Cond::NotExists).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) => return Err(being_written(&file)),
        Err(e) => return Err(e.into()),
    }
    let mails = claim_all(billing, &file, due).await?;
    close(billing, &file).await?;
    complete(billing, &file).await?;
    let outgoing = PendingMails::of(&billing.env);
    for mail in mails {
        outgoing.deliver(mail).await;
    }
    Ok(())
}

/// No order joins the file any more (whoever closes it first).
async fn close(billing: &Billing, file: &SepaFile) -> Result<(), shared::Error> {
    match billing
        .env
        .table
        .update(
            &file.key(),
            &[Update::Set(attr::STATE, FileState::Closed.value())],
            Cond::Eq(attr::STATE, FileState::Claiming.value()),
        )
        .await
    {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Writes a closed file's XML from the collections it holds and marks it written; a file
/// that holds none (others took its orders first) is removed. Repeatable: the same record
/// and collections give the same bytes.
async fn complete(billing: &Billing, file: &SepaFile) -> Result<(), shared::Error> {
    let table = billing.env.table.as_ref();
    let held: Vec<Collection> = table
        .query_all(file.entries())
        .await?
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    let closed = Cond::Eq(attr::STATE, FileState::Closed.value());
    if held.is_empty() {
        return match table.delete(&file.key(), closed).await {
            Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e.into()),
        };
    }
    let key_ring = billing.env.data_key()?;
    let xml = crate::sepa::write(&billing.config, file, &held, &|sealed| {
        key_ring.open(sealed).ok()
    })
    .map_err(shared::Error::internal)?;
    billing
        .env
        .blobs
        .put(&file.blob_key(), "application/xml", xml.xml)
        .await
        .map_err(shared::Error::internal)?;
    let written = [
        Update::Set(attr::STATE, FileState::Written.value()),
        Update::Set(attr::PAYMENTS, serde_json::Value::from(xml.payments)),
        Update::Set(attr::TOTAL, serde_json::Value::from(xml.total.0)),
        Update::Set(
            attr::COLLECTION_DATES,
            serde_json::to_value(&xml.dates).map_err(shared::Error::internal)?,
        ),
    ];
    match table.update(&file.key(), &written, closed).await {
        Ok(_) => {
            tracing::info!(file = %file.name(), payments = xml.payments, "sepa file written");
            Ok(())
        }
        // Another fetch completed it with the same content.
        Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The mandates this file collects from for the first time.
type FirstInFile = HashSet<(PartnerId, String)>;

/// Takes every order of `due` still due into the file, a group per transaction; returns
/// the new notices to send. Orders a group could not take after [`CLAIM_TRIES`] stay due
/// for the next file.
async fn claim_all(
    billing: &Billing,
    file: &SepaFile,
    mut due: Vec<DebitOrder>,
) -> Result<Vec<PendingMail>, shared::Error> {
    due.sort_by(|a, b| a.invoice_number.cmp(&b.invoice_number));
    let mut first_in_file = FirstInFile::new();
    let mut mails = Vec::new();
    for group in due.chunks(CLAIMS_PER_TX) {
        let mut orders = group.to_vec();
        for attempt in 1..=CLAIM_TRIES {
            if orders.is_empty() {
                break;
            }
            let claims = plan(billing, file, &orders, &first_in_file).await?;
            match billing.env.table.transact(claims.ops).await {
                Ok(()) => {
                    first_in_file.extend(claims.first);
                    mails.extend(claims.mails);
                    break;
                }
                // Closed by a later fetch: the file holds what it has taken.
                Err(StoreError::TxCancelled { failed: FILE_OP }) => return Ok(mails),
                Err(StoreError::TxCancelled { failed }) if attempt < CLAIM_TRIES => {
                    tracing::info!(file = %file.name(), failed, "claims changed; reading again");
                    orders = refresh(billing, orders).await?;
                }
                Err(StoreError::TxCancelled { failed }) => {
                    tracing::warn!(file = %file.name(), failed, "debits left for the next file");
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(mails)
}

/// A group's claim transaction.
struct Claims {
    ops: Vec<Named>,
    first: Vec<(PartnerId, String)>,
    mails: Vec<PendingMail>,
}

/// The transaction that takes `orders` into the file: sequence and day decided per order.
async fn plan(
    billing: &Billing,
    file: &SepaFile,
    orders: &[DebitOrder],
    first_in_file: &FirstInFile,
) -> Result<Claims, shared::Error> {
    let today = billing.env.clock.today();
    let earliest = collection_day(
        today
            .checked_add(jiff::Span::new().days(LEAD_DAYS))
            .unwrap_or(today),
    );
    let announced_now = announced_day(today, billing.config.prenotification_days);
    let outgoing = PendingMails::of(&billing.env);
    let mut claims = Claims {
        ops: vec![file.still_claiming().named(FILE_OP)],
        first: Vec::new(),
        mails: Vec::new(),
    };
    for order in orders {
        let mandate = (
            order.partner_id.clone(),
            order.debit.mandate_reference.clone(),
        );
        let first = !order.mandate_collected
            && !first_in_file.contains(&mandate)
            && !claims.first.contains(&mandate);
        let announced = order.debit.collection_date;
        let (collection_date, announced_first) = if announced >= earliest {
            (announced, None)
        } else {
            (announced_now, Some(announced))
        };
        let collection = Collection {
            order: order.clone(),
            file: file.name(),
            sequence: if first {
                Sequence::First
            } else {
                Sequence::Recurring
            },
            collection_date,
            announced_first,
        };
        claims.ops.push(collection.claim().named(CLAIM_OP));
        claims.ops.push(collection.entry(file)?.named(ENTRY_OP));
        claims.ops.push(collection.record()?.named(RECORD_OP));
        if first {
            claims.ops.push(
                first_collection(&order.partner_id, &mandate.1, &order.invoice_number)
                    .named(FIRST_OP),
            );
            claims.first.push(mandate);
        }
        if announced_first.is_some() {
            let invoice = invoice_of(billing, order).await?;
            let notice = crate::delivery::collection_moved(&billing.config, &invoice, &collection);
            let (mail, op) = outgoing.enqueue(notice)?;
            claims.ops.push(op);
            claims.mails.push(mail);
        }
    }
    Ok(claims)
}

async fn invoice_of(billing: &Billing, order: &DebitOrder) -> Result<Invoice, shared::Error> {
    match billing
        .env
        .table
        .get(&invoice_key(&order.partner_id, order.period))
        .await?
    {
        Some(item) => from_item(item),
        None => Err(shared::Error::internal(std::io::Error::other(format!(
            "the invoice {} of a debit order is missing",
            order.invoice_number
        )))),
    }
}

/// The orders still due, each knowing whether its mandate has been collected from since.
async fn refresh(
    billing: &Billing,
    orders: Vec<DebitOrder>,
) -> Result<Vec<DebitOrder>, shared::Error> {
    let table = billing.env.table.as_ref();
    let mut still = Vec::with_capacity(orders.len());
    for mut order in orders {
        if table.get(&order.key()).await?.is_none() {
            continue; // cancelled, or taken by another file
        }
        if !order.mandate_collected {
            let marker = mandate_used_key(&order.partner_id, &order.debit.mandate_reference);
            order.mandate_collected = table.get(&marker).await?.is_some();
        }
        still.push(order);
    }
    Ok(still)
}
