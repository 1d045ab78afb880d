//! The schedule as deployed (`infra/template.yaml`) and one run of the function, fed the
//! sample event from `events/mail-retry/`, over SQLite and the local outbox folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use jiff::Timestamp;
use mail_retry::RetryState;
use serde_json::Value;
use shared::clock::{Clock, FixedClock};
use shared::domain::Email;
use shared::mail::pending::{self, LEASE};
use shared::mail::{Attachment, AttachmentSource, Mail, OutboxMailer};
use shared::store::{SqliteTable, Table};
use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schedule() -> Yaml {
    let text = std::fs::read_to_string(repo().join("infra/template.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let events = &docs[0]["Resources"]["MailRetryFunction"]["Properties"]["Events"];
    let Yaml::Hash(events) = events else {
        panic!("MailRetryFunction has no Events");
    };
    let mut schedules = events
        .values()
        .filter(|e| e["Type"].as_str() == Some("ScheduleV2"));
    let found = schedules.next().expect("a ScheduleV2 event").clone();
    assert!(schedules.next().is_none(), "one schedule");
    found["Properties"].clone()
}

fn sample_event() -> Value {
    let text = std::fs::read_to_string(repo().join("events/mail-retry/scheduled.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_schedule_runs_every_five_minutes_in_berlin_with_a_failure_queue() {
    let props = schedule();
    assert_eq!(
        props["ScheduleExpression"].as_str(),
        Some("rate(5 minutes)")
    );
    assert_eq!(
        props["ScheduleExpressionTimezone"].as_str(),
        Some("Europe/Berlin")
    );
    assert!(!props["DeadLetterConfig"]["Arn"].is_badvalue());
}

#[test]
fn the_scheduler_sends_the_event_the_function_reads() {
    // The scheduler's input with the values it and CloudFormation fill in.
    let input = schedule()["Input"].as_str().unwrap().to_string();
    let filled = input
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${AWS::Region}", "eu-central-1")
        .replace("<aws.scheduler.execution-id>", "d32c5kddcf5bb8c3")
        .replace("<aws.scheduler.scheduled-time>", "2026-11-16T09:05:00Z")
        .replace(
            "<aws.scheduler.schedule-arn>",
            "arn:aws:scheduler:eu-central-1:123456789012:schedule/default/partnernetz-mail-retry",
        );
    let sent: Value = serde_json::from_str(&filled).unwrap();
    assert_eq!(sent, sample_event());
    let event: EventBridgeEvent = serde_json::from_value(sent).unwrap();
    assert_eq!(event.source, "aws.scheduler");
}

#[tokio::test]
async fn a_scheduled_run_sends_what_a_request_left_behind_once() {
    let dir = std::env::temp_dir().join(format!("pn-mail-retry-{}", shared::domain::new_id()));
    let outbox = OutboxMailer::new(dir.join("outbox")).unwrap();
    let clock = Arc::new(FixedClock::at(
        "2026-11-16T09:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let table = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
    let mail = Mail {
        to: Email::parse("anna@baeckerei-mueller.de").unwrap(),
        subject: "Ihre Bewerbung wurde angenommen".into(),
        text: "Guten Tag".into(),
        html: "<p>Guten Tag</p>".into(),
        attachments: Vec::new(),
    };
    // Saved with its change, but the request ended before sending it.
    let (_unsent, op) = pending::enqueue(mail.clone(), clock.now()).unwrap();
    table.transact(vec![op]).await.unwrap();
    clock.advance(LEASE);

    let state = RetryState {
        table: table.clone(),
        mailer: Arc::new(outbox.clone()),
        clock: clock.clone(),
    };
    let event: EventBridgeEvent = serde_json::from_value(sample_event()).unwrap();
    let run = mail_retry::handle(&state, event.clone(), Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!((run.due, run.sent), (1, 1));
    assert_eq!(outbox.list().await.unwrap(), vec![mail]);

    let next = mail_retry::handle(&state, event, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(next.due, 0);
    assert_eq!(outbox.list().await.unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The bucket as the function reads it: one stored invoice PDF.
struct Bucket {
    key: &'static str,
    bytes: &'static [u8],
}

#[async_trait::async_trait]
impl AttachmentSource for Bucket {
    async fn read(
        &self,
        key: &str,
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        Ok((key == self.key).then(|| self.bytes.to_vec()))
    }
}

#[tokio::test]
async fn a_scheduled_run_sends_an_invoice_mail_again_with_its_pdf() {
    const PDF: &[u8] = b"%PDF-1.7 Rechnung 2026-000001";
    let dir = std::env::temp_dir().join(format!("pn-mail-retry-{}", shared::domain::new_id()));
    let outbox = OutboxMailer::new(dir.join("outbox"))
        .unwrap()
        .with_attachments(Arc::new(Bucket {
            key: "invoices/p1/2026-000001.pdf",
            bytes: PDF,
        }));
    let clock = Arc::new(FixedClock::at(
        "2026-12-01T01:00:00Z".parse::<Timestamp>().unwrap(),
    ));
    let table = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
    let mail = Mail {
        to: Email::parse("anna@baeckerei-mueller.de").unwrap(),
        subject: "Ihre Rechnung 2026-000001 von partnernetz".into(),
        text: "Ihre Rechnung liegt als PDF im Anhang.".into(),
        html: "<p>Ihre Rechnung liegt als PDF im Anhang.</p>".into(),
        attachments: Vec::new(),
    }
    .with_attachment(Attachment::new(
        "invoices/p1/2026-000001.pdf",
        "Rechnung-2026-000001.pdf",
        "application/pdf",
    ));
    // The billing worker saved it with the invoice and died before sending it.
    let (_unsent, op) = pending::enqueue(mail.clone(), clock.now()).unwrap();
    table.transact(vec![op]).await.unwrap();
    clock.advance(LEASE);

    let state = RetryState {
        table: table.clone(),
        mailer: Arc::new(outbox.clone()),
        clock: clock.clone(),
    };
    let event: EventBridgeEvent = serde_json::from_value(sample_event()).unwrap();
    let run = mail_retry::handle(&state, event, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!((run.due, run.sent), (1, 1));
    assert_eq!(outbox.list().await.unwrap(), vec![mail]);
    assert_eq!(
        outbox
            .attachment("Rechnung-2026-000001.pdf")
            .await
            .unwrap()
            .as_deref(),
        Some(PDF)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
