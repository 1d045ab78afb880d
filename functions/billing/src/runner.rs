//! The run: started by the schedule (or an operator), planned by paging the sparse index of
//! billable partners into queue batches, billed batch by batch by the worker. Locally the
//! same planner and worker run in-process over a [`LocalQueue`].

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use shared::domain::PartnerId;
use shared::model::billable::{billable_partners, partner_of};
use shared::model::from_item;
use shared::store::{Cond, StoreError, Update};

use crate::Billing;
use crate::bill::{BATCH_SIZE, BatchReport, bill_batch};
use crate::queue::{LocalQueue, Message};
use crate::run::{Failure, Run, attr, failed_of, run_key};
use shared::clock::german_date;
use shared::domain::Month;

/// Index entries read per page while planning.
const PLAN_PAGE: u32 = 1000;
/// Queue messages handed to the queue at once while planning.
const SEND_CHUNK: usize = 100;

/// Creates the month's run record (if new) and queues its planning. Starting a month again
/// is safe: every partner billed already is left alone. A month that has not begun (in
/// Berlin) is refused with 422 naming `period`, whoever starts it: its invoices and debits
/// could not be taken back, and what is booked for it later would be billed by no run.
pub async fn start_run(billing: &Billing, period: Month) -> Result<Run, shared::Error> {
    let today = billing.env.clock.today();
    if period.first() > today {
        return Err(not_started(period));
    }
    let run = Run::new(period, billing.env.clock.now());
    match billing.env.table.put(run.item()?, Cond::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    billing.queue.send(vec![Message::Plan { period }]).await?;
    tracing::info!(%period, "billing run started");
    load_run(billing, period)
        .await?
        .ok_or_else(|| shared::Error::NotFound("Abrechnungslauf nicht gefunden.".into()))
}

/// The refusal of a run for a month that has not begun.
pub fn not_started(period: Month) -> shared::Error {
    let from = german_date(period.first());
    shared::Error::UnprocessableFields {
        detail: format!(
            "Der Monat {period} hat noch nicht begonnen; sein Abrechnungslauf ist erst ab dem {from} möglich."
        ),
        errors: vec![shared::FieldError::new(
            "period",
            format!("liegt in der Zukunft: {period} kann erst ab dem {from} abgerechnet werden"),
        )],
    }
}

pub async fn load_run(billing: &Billing, period: Month) -> Result<Option<Run>, shared::Error> {
    match billing.env.table.get(&run_key(period)).await? {
        Some(item) => Ok(Some(from_item(item)?)),
        None => Ok(None),
    }
}

pub async fn failures(billing: &Billing, period: Month) -> Result<Vec<Failure>, shared::Error> {
    let items = billing.env.table.query_all(failed_of(period)).await?;
    items.into_iter().map(from_item).collect()
}

/// Pages through every billable partner and queues them in batches; returns how many.
pub async fn plan(billing: &Billing, period: Month) -> Result<u64, shared::Error> {
    let table = billing.env.table.as_ref();
    let mut query = billable_partners().limit(PLAN_PAGE);
    let mut batch: Vec<PartnerId> = Vec::with_capacity(BATCH_SIZE);
    let mut messages = Vec::new();
    let mut planned = 0u64;
    loop {
        let page = table.query(query.clone()).await?;
        for partner in page.items.iter().filter_map(partner_of) {
            planned += 1;
            batch.push(partner);
            if batch.len() == BATCH_SIZE {
                messages.push(Message::Bill {
                    period,
                    partners: std::mem::take(&mut batch),
                });
            }
            if messages.len() == SEND_CHUNK {
                billing.queue.send(std::mem::take(&mut messages)).await?;
            }
        }
        match page.cursor {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    if !batch.is_empty() {
        messages.push(Message::Bill {
            period,
            partners: batch,
        });
    }
    if !messages.is_empty() {
        billing.queue.send(messages).await?;
    }
    billing
        .env
        .table
        .update(
            &run_key(period),
            &[Update::Set(attr::PLANNED, serde_json::Value::from(planned))],
            Cond::Exists,
        )
        .await?;
    tracing::info!(%period, planned, "billing run planned");
    Ok(planned)
}

/// Queues the partners that failed in the month's run again; returns how many.
pub async fn retry_failed(billing: &Billing, period: Month) -> Result<usize, shared::Error> {
    let failed = failures(billing, period).await?;
    let messages: Vec<Message> = failed
        .chunks(BATCH_SIZE)
        .map(|chunk| Message::Bill {
            period,
            partners: chunk.iter().map(|f| f.partner_id.clone()).collect(),
        })
        .collect();
    billing.queue.send(messages).await?;
    Ok(failed.len())
}

/// What handling one message did.
#[derive(Debug)]
pub enum Handled {
    Planned(u64),
    Billed(BatchReport),
}

/// The worker's handling of one message.
pub async fn handle(billing: &Billing, message: Message) -> Result<Handled, shared::Error> {
    match message {
        Message::Plan { period } => plan(billing, period).await.map(Handled::Planned),
        Message::Bill { period, partners } => {
            // Boxed: the batch's future is deep, and the worker's runtime nests it further.
            let mut report = Box::pin(bill_batch(billing, period, &partners)).await?;
            Box::pin(crate::delivery::after_commit(billing, &mut report)).await?;
            Ok(Handled::Billed(report))
        }
    }
}

/// The worker function's SQS batch: each message on its own; the ones that failed are
/// reported, so SQS redelivers only those (and moves them to the DLQ after the last try).
pub async fn handle_sqs(billing: &Billing, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let message = record
            .body
            .as_deref()
            .and_then(|body| serde_json::from_str::<Message>(body).ok());
        let Some(message) = message else {
            // Unreadable: no retry can help; logged and dropped rather than looping to the DLQ.
            tracing::error!(message_id = %id, "unreadable billing message");
            continue;
        };
        if let Err(e) = handle(billing, message).await {
            tracing::error!(message_id = %id, error = %e, "billing message failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// What the local run reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Planned(u64),
    Partners(usize),
}

/// The whole run in-process: start, plan and every batch, until the queue is empty.
pub async fn run_in_process(
    billing: &Billing,
    queue: &LocalQueue,
    period: Month,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<Summary, shared::Error> {
    start_run(billing, period).await?;
    drain(billing, queue, progress).await?;
    summary(billing, period).await
}

/// Handles every queued message, in order.
pub async fn drain(
    billing: &Billing,
    queue: &LocalQueue,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), shared::Error> {
    while let Some(message) = queue.pop() {
        match handle(billing, message).await? {
            Handled::Planned(n) => progress(Progress::Planned(n)),
            Handled::Billed(report) => progress(Progress::Partners(report.partners())),
        }
    }
    Ok(())
}

/// local-api's worker: handles the in-process queue's messages as they arrive, for ever.
pub async fn work_locally(billing: std::sync::Arc<Billing>, queue: std::sync::Arc<LocalQueue>) {
    loop {
        queue.wait().await;
        while let Some(message) = queue.pop() {
            if let Err(e) = handle(&billing, message).await {
                tracing::error!(error = %e, "billing message failed");
            }
        }
    }
}

/// A run's state: its counters and the partners that failed.
#[derive(Debug, Clone)]
pub struct Summary {
    pub run: Run,
    pub failed: Vec<Failure>,
}

impl Summary {
    /// Planned partners that were invoiced, had nothing due or failed.
    pub fn settled(&self) -> u64 {
        self.run.invoices + self.run.nothing_due + self.failed.len() as u64
    }

    /// Planned, and every planned partner settled: its SEPA files can be written.
    pub fn is_complete(&self) -> bool {
        self.run.planned > 0 && self.settled() >= self.run.planned
    }
}

pub async fn summary(billing: &Billing, period: Month) -> Result<Summary, shared::Error> {
    let run = load_run(billing, period)
        .await?
        .ok_or_else(|| shared::Error::NotFound("Abrechnungslauf nicht gefunden.".into()))?;
    let failed = failures(billing, period).await?;
    Ok(Summary { run, failed })
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.run;
        writeln!(f, "Abrechnungslauf {}", r.period)?;
        writeln!(f, "  Partner geplant:      {}", r.planned)?;
        writeln!(f, "  Rechnungen:           {}", r.invoices)?;
        writeln!(f, "  Netto:                {}", r.net_cents)?;
        writeln!(f, "  USt. 19 %:            {}", r.vat_cents)?;
        writeln!(f, "  Brutto:               {}", r.gross_cents)?;
        writeln!(f, "  ohne Lastschrift:     {}", r.without_debit)?;
        writeln!(f, "  übersprungen (nichts fällig): {}", r.nothing_due)?;
        write!(f, "  fehlgeschlagen:       {}", self.failed.len())?;
        for failure in &self.failed {
            write!(f, "\n    {}: {}", failure.partner_id, failure.reason)?;
        }
        Ok(())
    }
}

/// The worker function's one entry: an SQS batch of the run, or the schedule's event on the
/// 1st of a month (Europe/Berlin), which starts that month's run.
pub async fn handle_event(
    billing: &Billing,
    payload: serde_json::Value,
) -> Result<serde_json::Value, shared::Error> {
    if payload.get("Records").is_some() {
        let event: SqsEvent = serde_json::from_value(payload)
            .map_err(|e| shared::Error::BadRequest(format!("kein SQS-Ereignis: {e}")))?;
        let response = handle_sqs(billing, event).await;
        return serde_json::to_value(response).map_err(shared::Error::internal);
    }
    let period = Month::of(billing.env.clock.today());
    let run = start_run(billing, period).await?;
    serde_json::to_value(run).map_err(shared::Error::internal)
}
