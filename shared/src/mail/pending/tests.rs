//! The outbox on SQLite with mailers that fail on command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::*;
use crate::clock::FixedClock;
use crate::domain::Email;
use crate::mail::MailError;
use crate::store::{GSI1PK, Index, Key, Query, SqliteTable, StoreError, TTL, TxOp, item_with_key};

/// Records what it sends; fails while switched off, as SES does when it is down.
#[derive(Default)]
struct Switchable {
    down: AtomicBool,
    calls: AtomicUsize,
    sent: Mutex<Vec<Mail>>,
}

impl Switchable {
    fn down() -> Self {
        let m = Self::default();
        m.down.store(true, Ordering::SeqCst);
        m
    }

    fn switch_on(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    fn sent(&self) -> Vec<Mail> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl Mailer for Switchable {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        // Gives concurrent senders the chance to interleave.
        tokio::task::yield_now().await;
        if self.down.load(Ordering::SeqCst) {
            return Err(MailError::Send(Box::new(std::io::Error::other(
                "provider unreachable",
            ))));
        }
        self.sent.lock().unwrap().push(mail);
        Ok(())
    }
}

fn t0() -> Timestamp {
    "2026-11-16T09:00:00Z".parse().unwrap()
}

fn mail(to: &str, subject: &str) -> Mail {
    Mail {
        to: Email::parse(to).unwrap(),
        subject: subject.into(),
        text: "Bitte bestätigen: https://partnernetz.de/x?token=geheim".into(),
        html: "<p>Bitte bestätigen</p>".into(),
        attachments: Vec::new(),
    }
}

fn note_key(n: usize) -> Key {
    Key::new(format!("NOTE#{n}"), "NOTE")
}

/// A change and its mail in one transaction, as a handler writes them.
async fn save_with_mail(table: &dyn Table, n: usize, mail: Mail, now: Timestamp) -> PendingMail {
    let (pending, mail_op) = enqueue(mail, now).unwrap();
    let note = item_with_key(&note_key(n), &json!({"text": "Notiz"})).unwrap();
    table
        .transact(vec![
            TxOp::Put {
                item: note,
                cond: crate::store::Cond::NotExists,
            }
            .named("note"),
            mail_op,
        ])
        .await
        .unwrap();
    pending
}

async fn listed_as_pending(table: &dyn Table) -> usize {
    table
        .query(Query::partition(Index::Gsi1, PENDING_PARTITION))
        .await
        .unwrap()
        .items
        .len()
}

async fn record(table: &dyn Table, id: &PendingMailId) -> PendingMailRecord {
    load(table, id).await.unwrap().expect("the mail's record")
}

#[tokio::test]
async fn a_mail_that_failed_is_sent_once_by_the_retry_and_the_change_stays_saved() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::down();

    let pending = save_with_mail(&table, 1, mail("anna@baeckerei.de", "Hallo"), clock.now()).await;
    let id = pending.id().clone();
    let delivery = deliver(&table, &mailer, &clock, pending).await;
    assert_eq!(
        delivery,
        Delivery::Deferred {
            next_attempt: t0() + FIRST_RETRY
        }
    );
    assert!(table.get(&note_key(1)).await.unwrap().is_some());
    assert!(mailer.sent().is_empty());
    let waiting = record(&table, &id).await;
    assert_eq!(waiting.status, MailStatus::Pending);
    assert_eq!(waiting.attempts, 1);
    assert!(
        waiting
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("provider unreachable"))
    );

    // Before the next attempt is due the schedule leaves it alone, even with SES back.
    mailer.switch_on();
    let early = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!(early, RetrySummary::default());

    clock.advance(FIRST_RETRY);
    let run = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!((run.due, run.sent), (1, 1));
    assert_eq!(mailer.sent(), vec![mail("anna@baeckerei.de", "Hallo")]);

    clock.advance(SignedDuration::from_hours(24));
    let again = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!(again.due, 0);
    assert_eq!(mailer.sent().len(), 1, "sent exactly once");

    let sent = record(&table, &id).await;
    assert_eq!(sent.status, MailStatus::Sent);
    assert_eq!(sent.attempts, 2);
    assert_eq!(sent.mail, None, "the content (with its token) is gone");
    assert_eq!(listed_as_pending(&table).await, 0);
    let item = table.get(&id.key()).await.unwrap().unwrap();
    assert!(item.get(GSI1PK).is_none());
    assert_eq!(
        item.get(TTL).and_then(|v| v.as_i64()),
        Some((clock.now() - SignedDuration::from_hours(24) + RETENTION).as_second())
    );
}

#[tokio::test]
async fn the_writer_sends_its_own_mail_and_the_schedule_keeps_out() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::default();

    let pending = save_with_mail(&table, 1, mail("anna@baeckerei.de", "Hallo"), clock.now()).await;
    // A run between the commit and the send does not touch the writer's mail.
    let meanwhile = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!(meanwhile.due, 0);
    assert_eq!(
        deliver(&table, &mailer, &clock, pending).await,
        Delivery::Sent
    );

    clock.advance(LEASE + SignedDuration::from_hours(1));
    let later = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!(later.due, 0);
    assert_eq!(mailer.sent().len(), 1);
}

#[tokio::test]
async fn a_mail_whose_writer_died_before_sending_goes_out_when_the_lease_ends() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::default();

    // Committed, but the request never got to deliver it.
    let pending = save_with_mail(&table, 1, mail("anna@baeckerei.de", "Hallo"), clock.now()).await;
    drop(pending);

    clock.advance(LEASE - SignedDuration::from_secs(1));
    assert_eq!(
        retry_due(&table, &mailer, &clock, 100).await.unwrap().due,
        0
    );
    clock.advance(SignedDuration::from_secs(1));
    let run = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!((run.due, run.sent), (1, 1));
    assert_eq!(mailer.sent(), vec![mail("anna@baeckerei.de", "Hallo")]);
}

#[tokio::test]
async fn a_change_that_is_not_saved_sends_no_mail() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::default();
    table
        .put(
            item_with_key(&note_key(1), &json!({"text": "schon da"})).unwrap(),
            crate::store::Cond::NotExists,
        )
        .await
        .unwrap();

    let (_pending, mail_op) = enqueue(mail("anna@baeckerei.de", "Hallo"), clock.now()).unwrap();
    let note = item_with_key(&note_key(1), &json!({"text": "doppelt"})).unwrap();
    let result = table
        .transact(vec![
            TxOp::Put {
                item: note,
                cond: crate::store::Cond::NotExists,
            }
            .named("note"),
            mail_op,
        ])
        .await;
    assert!(matches!(
        result,
        Err(StoreError::TxCancelled { failed: "note" })
    ));

    clock.advance(SignedDuration::from_hours(24));
    let run = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!(run.due, 0);
    assert!(mailer.sent().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_send_every_mail_exactly_once() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table: Arc<dyn Table> = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
    let mailer = Arc::new(Switchable::default());
    const MAILS: usize = 60;
    for n in 0..MAILS {
        // Committed by requests that died before sending.
        let to = format!("partner{n}@baeckerei.de");
        drop(
            save_with_mail(
                table.as_ref(),
                n,
                mail(&to, &format!("Mail {n}")),
                clock.now(),
            )
            .await,
        );
    }
    clock.advance(LEASE);

    let mut runs = Vec::new();
    for _ in 0..4 {
        let (table, clock, mailer) = (table.clone(), clock.clone(), mailer.clone());
        runs.push(tokio::spawn(async move {
            retry_due(table.as_ref(), mailer.as_ref(), clock.as_ref(), usize::MAX)
                .await
                .unwrap()
        }));
    }
    let mut sent_by_runs = 0;
    for run in runs {
        let summary = run.await.unwrap();
        assert_eq!(summary.due, summary.sent + summary.skipped);
        sent_by_runs += summary.sent;
    }
    let mut subjects: Vec<String> = mailer.sent().into_iter().map(|m| m.subject).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), MAILS, "every mail went out");
    assert_eq!(mailer.sent().len(), MAILS, "none of them twice");
    assert_eq!(sent_by_runs, MAILS);
    assert_eq!(listed_as_pending(table.as_ref()).await, 0);
}

#[tokio::test]
async fn a_run_pages_through_more_mails_than_one_page_and_keeps_to_its_limit() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::default();
    for n in 0..70 {
        drop(
            save_with_mail(
                &table,
                n,
                mail("anna@baeckerei.de", &format!("Mail {n}")),
                clock.now(),
            )
            .await,
        );
    }
    clock.advance(LEASE);

    let first = retry_due(&table, &mailer, &clock, 60).await.unwrap();
    assert_eq!((first.sent, first.stopped_early), (60, true));
    let rest = retry_due(&table, &mailer, &clock, 60).await.unwrap();
    assert_eq!((rest.sent, rest.stopped_early), (10, false));
    assert_eq!(mailer.sent().len(), 70);
}

#[tokio::test]
async fn a_run_stops_when_the_provider_keeps_failing() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::down();
    for n in 0..20 {
        drop(
            save_with_mail(
                &table,
                n,
                mail("anna@baeckerei.de", &format!("Mail {n}")),
                clock.now(),
            )
            .await,
        );
    }
    clock.advance(LEASE);

    let run = retry_due(&table, &mailer, &clock, usize::MAX)
        .await
        .unwrap();
    assert_eq!(run.deferred, FAILURES_IN_A_ROW);
    assert!(run.stopped_early);
    assert_eq!(mailer.calls.load(Ordering::SeqCst), FAILURES_IN_A_ROW);
    assert_eq!(listed_as_pending(&table).await, 20, "all still pending");
}

#[tokio::test]
async fn a_mail_that_never_goes_out_is_abandoned_after_the_last_attempt() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::down();
    let pending = save_with_mail(&table, 1, mail("anna@baeckerei.de", "Hallo"), clock.now()).await;
    let id = pending.id().clone();
    deliver(&table, &mailer, &clock, pending).await;

    let mut runs = 0;
    loop {
        clock.advance(LONGEST_WAIT);
        let run = retry_due(&table, &mailer, &clock, 100).await.unwrap();
        runs += 1;
        if run.abandoned == 1 {
            break;
        }
        assert_eq!(run.deferred, 1, "run {runs}");
    }
    assert_eq!(runs, MAX_ATTEMPTS - 1);
    assert_eq!(mailer.calls.load(Ordering::SeqCst), MAX_ATTEMPTS as usize);
    let given_up = record(&table, &id).await;
    assert_eq!(given_up.status, MailStatus::Abandoned);
    assert_eq!(given_up.mail, None);
    assert!(given_up.last_error.is_some());
    assert_eq!(listed_as_pending(&table).await, 0);
}

#[tokio::test]
async fn a_mail_without_a_change_is_retried_too() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::down();

    let delivery = send_alone(
        &table,
        &mailer,
        &clock,
        mail("anna@baeckerei.de", "Schon registriert"),
    )
    .await
    .unwrap();
    assert!(matches!(delivery, Delivery::Deferred { .. }));
    mailer.switch_on();
    clock.advance(FIRST_RETRY);
    assert_eq!(
        retry_due(&table, &mailer, &clock, 100).await.unwrap().sent,
        1
    );
    assert_eq!(mailer.sent().len(), 1);
}

#[tokio::test]
async fn an_unreadable_record_is_set_aside_and_the_run_goes_on() {
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();
    let mailer = Switchable::default();
    let broken = save_with_mail(&table, 1, mail("anna@baeckerei.de", "Kaputt"), clock.now()).await;
    let broken_id = broken.id().clone();
    drop(broken);
    table
        .update(
            &broken_id.key(),
            &[crate::store::Update::Set(
                CONTENT,
                json!("kein Mail-Objekt"),
            )],
            crate::store::Cond::Exists,
        )
        .await
        .unwrap();
    drop(save_with_mail(&table, 2, mail("bert@baeckerei.de", "Heil"), clock.now()).await);
    clock.advance(LEASE);

    let run = retry_due(&table, &mailer, &clock, 100).await.unwrap();
    assert_eq!((run.due, run.sent, run.skipped), (2, 1, 1));
    assert_eq!(mailer.sent(), vec![mail("bert@baeckerei.de", "Heil")]);
    let item = table.get(&broken_id.key()).await.unwrap().unwrap();
    assert_eq!(item.get(STATUS), Some(&json!("abandoned")));
    assert_eq!(
        item.get(CONTENT),
        Some(&json!("kein Mail-Objekt")),
        "kept for inspection"
    );
    assert_eq!(listed_as_pending(&table).await, 0);
}

/// The blob store as an attachment source, in memory.
#[derive(Default)]
struct Files(Mutex<std::collections::HashMap<String, Vec<u8>>>);

impl Files {
    fn put(&self, key: &str, bytes: &[u8]) {
        self.0.lock().unwrap().insert(key.into(), bytes.to_vec());
    }
}

#[async_trait]
impl crate::mail::AttachmentSource for Files {
    async fn read(
        &self,
        key: &str,
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
}

fn invoice_mail() -> Mail {
    mail("anna@baeckerei.de", "Ihre Rechnung 2026-000001").with_attachment(
        crate::mail::Attachment::new(
            "invoices/p1/2026-000001.pdf",
            "Rechnung-2026-000001.pdf",
            "application/pdf",
        ),
    )
}

#[test]
fn attachments_are_stored_by_reference_and_older_records_read_without_any() {
    let with = serde_json::to_value(invoice_mail()).unwrap();
    assert_eq!(
        with["attachments"],
        json!([{
            "key": "invoices/p1/2026-000001.pdf",
            "filename": "Rechnung-2026-000001.pdf",
            "content_type": "application/pdf"
        }])
    );
    // A mail without attachments is stored as before they existed ...
    let plain = serde_json::to_value(mail("anna@baeckerei.de", "Hallo")).unwrap();
    assert!(plain.get("attachments").is_none(), "{plain}");
    // ... and a record written before then reads as a mail without any.
    let stored = json!({
        "to": "anna@baeckerei.de",
        "subject": "Hallo",
        "text": "Guten Tag",
        "html": "<p>Guten Tag</p>"
    });
    let read: Mail = serde_json::from_value(stored).unwrap();
    assert!(read.attachments.is_empty());
}

#[tokio::test]
async fn a_mail_whose_attachment_is_missing_waits_and_goes_out_with_it_later() {
    let dir = std::env::temp_dir().join(format!("pn-outbox-{}", crate::domain::new_id()));
    let files = Arc::new(Files::default());
    let outbox = crate::mail::OutboxMailer::new(&dir)
        .unwrap()
        .with_attachments(files.clone());
    let clock = Arc::new(FixedClock::at(t0()));
    let table = SqliteTable::in_memory(clock.clone()).unwrap();

    // The PDF is not stored yet (its upload failed): nothing goes out without it.
    let pending = save_with_mail(&table, 1, invoice_mail(), clock.now()).await;
    let id = pending.id().clone();
    let delivery = deliver(&table, &outbox, &clock, pending).await;
    assert_eq!(
        delivery,
        Delivery::Deferred {
            next_attempt: t0() + FIRST_RETRY
        }
    );
    assert!(outbox.list().await.unwrap().is_empty());
    let waiting = record(&table, &id).await;
    assert_eq!(waiting.status, MailStatus::Pending);
    let reason = waiting.last_error.unwrap();
    assert!(reason.contains("attachment"), "{reason}");
    assert!(
        !reason.contains("anna") && !reason.contains("invoices/"),
        "{reason}"
    );

    // Once it is stored the schedule sends the mail, with the file.
    files.put(
        "invoices/p1/2026-000001.pdf",
        b"%PDF-1.7 Rechnung 2026-000001",
    );
    clock.advance(FIRST_RETRY);
    let run = retry_due(&table, &outbox, &clock, 100).await.unwrap();
    assert_eq!((run.due, run.sent), (1, 1));
    assert_eq!(outbox.list().await.unwrap(), vec![invoice_mail()]);
    assert_eq!(
        outbox
            .attachment("Rechnung-2026-000001.pdf")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"%PDF-1.7 Rechnung 2026-000001"[..])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_mailer_without_a_blob_store_does_not_send_a_mail_with_attachments() {
    let dir = std::env::temp_dir().join(format!("pn-outbox-{}", crate::domain::new_id()));
    let outbox = crate::mail::OutboxMailer::new(&dir).unwrap();
    let err = outbox.send(invoice_mail()).await.unwrap_err();
    assert!(matches!(err, MailError::Attachment(_)), "{err:?}");
    assert!(outbox.list().await.unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
