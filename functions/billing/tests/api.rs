//! The billing run and its routes in process, on SQLite with the test kit: what the
//! operator and the partners see after a run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::http::StatusCode;
use billing::runner::{self, Progress};
use billing::{Billing, BillingConfig, LocalQueue, Message, Month};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::{Cents, PartnerId, PlatformId};
use shared::model::billable;
use shared::model::partners::{Mandate, attr, partner_key};
use shared::store::{Cond, Table, TxOp, Update};
use shared::testing::key_audit::KeyAudit;
use shared::testing::{Account, Client, PartnerFixture, TestEnv, assert_problem};

struct Setup {
    kit: TestEnv,
    /// What the function (routes) and its worker (schedule, queue batches) reach in the
    /// table; the fixtures write beside them.
    audits: [(&'static str, Arc<KeyAudit>); 2],
    queue: Arc<LocalQueue>,
    /// The worker: the monthly schedule and the queue's batches.
    worker: Arc<Billing>,
    client: Client,
    operator: Account,
}

/// The run of the 1st of December 2026, 02:00 in Berlin.
const RUN_TIME: &str = "2026-12-01T01:00:00Z";

async fn setup() -> Setup {
    let kit = TestEnv::new().await;
    kit.clock.set(RUN_TIME.parse::<Timestamp>().unwrap());
    let queue = Arc::new(LocalQueue::new());
    let (env, api_audit) = kit.audited();
    let billing = Arc::new(Billing::new(&env, queue.clone(), BillingConfig::local()));
    let (env, worker_audit) = kit.audited();
    let worker = Arc::new(Billing::new(&env, queue.clone(), BillingConfig::local()));
    // The operator and partners go on working in the months the tests move the clock to.
    let client = Client::in_process(billing::build_with(billing)).with_sessions(kit.sessions());
    let operator = kit.fixtures().operator("olga@betreiber.de").await;
    Setup {
        kit,
        audits: [
            ("BillingFunction", api_audit),
            ("BillingWorkerFunction", worker_audit),
        ],
        queue,
        worker,
        client,
        operator,
    }
}

impl Setup {
    async fn partner(&self, email: &str) -> PartnerFixture {
        self.kit.fixtures().confirmed_partner(email).await
    }

    async fn platform(&self, name: &str, fee: i64) -> PlatformId {
        self.kit.fixtures().platform(name, Cents(fee)).await
    }

    /// An approved subscription, saved as registration's approval saves it.
    async fn approve(&self, partner: &PartnerFixture, platform: &PlatformId, name: &str, on: Date) {
        self.kit
            .fixtures()
            .approve(partner, platform, name, on)
            .await;
    }

    async fn give_mandate(&self, partner: &PartnerId) {
        let mandate = Mandate {
            account_holder: "Bäckerei Müller".into(),
            iban_sealed: self
                .kit
                .env
                .data_key()
                .unwrap()
                .seal("DE89370400440532013000"),
            iban_masked: "DE89 **** **** **** **30 00".into(),
            reference: format!("PN-{}", &partner.as_str()[..8]),
            signed_on: date(2026, 10, 1),
        };
        Table::update(
            self.kit.table.as_ref(),
            &partner_key(partner),
            &[Update::Set(
                attr::MANDATE,
                serde_json::to_value(&mandate).unwrap(),
            )],
            Cond::Exists,
        )
        .await
        .unwrap();
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> shared::testing::Reply {
        self.client
            .call(method, path, body, Some(&self.operator.token))
            .await
    }

    /// Starts the month's run through the operator's route and works off the queue.
    async fn run(&self, period: &str) -> Value {
        let started = self
            .call("POST", "/billing/runs", Some(json!({"period": period})))
            .await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
        runner::drain(&self.worker, &self.queue, &mut |_| {})
            .await
            .unwrap();
        let run = self
            .call("GET", &format!("/billing/runs/{period}"), None)
            .await;
        assert_eq!(run.status, StatusCode::OK, "{:?}", run.body);
        run.body
    }

    /// Every key the runs, the worker and the routes reached is one the policies of the
    /// billing function and its worker in infra/template.yaml grant.
    fn assert_within_policy(&self) {
        for (function, audit) in &self.audits {
            shared::routes::policy::assert_allowed(function, &audit.accesses());
        }
    }

    async fn invoices_of(&self, partner: &PartnerFixture) -> Vec<Value> {
        let reply = self
            .client
            .call("GET", "/partners/me/invoices", None, Some(&partner.token))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["invoices"].as_array().unwrap().clone()
    }
}

fn amounts(invoice: &Value) -> Vec<i64> {
    invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["net_cents"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_december_run_bills_the_rest_of_november_and_december() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let sparkasse = s.platform("Sparkasse Vorteilswelt", 4900).await;
    let volksbank = s.platform("Volksbank Plus", 9900).await;
    s.approve(
        &anna,
        &sparkasse,
        "Sparkasse Vorteilswelt",
        date(2026, 11, 16),
    )
    .await;
    s.approve(&anna, &volksbank, "Volksbank Plus", date(2025, 6, 3))
        .await;
    s.give_mandate(&anna.id).await;

    let run = s.run("2026-12").await;
    assert_eq!(run["planned"], 1);
    assert_eq!(run["invoices"], 1);
    assert_eq!(run["failed"], 0);
    // 99.00 + 24.50 + 49.00 = 172.50 net; 19 % = 32.775 → 32.78; gross 205.28.
    assert_eq!(run["net_cents"], 17250);
    assert_eq!(run["vat_cents"], 3278);
    assert_eq!(run["gross_cents"], 20528);

    let invoices = s.invoices_of(&anna).await;
    assert_eq!(invoices.len(), 1);
    let invoice = &invoices[0];
    assert_eq!(invoice["number"], "2026-000001");
    assert_eq!(invoice["period"], "2026-12");
    assert_eq!(invoice["issued_on"], "2026-12-01");
    assert_eq!(amounts(invoice), vec![9900, 2450, 4900]);
    let prorated = &invoice["lines"][1];
    assert_eq!(prorated["period_from"], "2026-11-16");
    assert_eq!(prorated["period_to"], "2026-11-30");
    assert!(prorated["description"].as_str().unwrap().contains("15/30"));
    assert_eq!(invoice["totals"]["gross_cents"], 20528);
    assert_eq!(invoice["recipient"]["company"], "Bäckerei Müller");
    // Pre-notification: collected 14 days later (a Tuesday); which of the mandate's
    // collections it is, the SEPA file that takes it says.
    let debit = &invoice["direct_debit"];
    assert_eq!(debit["collection_date"], "2026-12-15");
    assert!(debit.get("sequence").is_none(), "{debit}");
    assert!(debit.get("iban_sealed").is_none(), "{debit}");
    assert!(
        invoice["pdf_url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Signature")
    );

    // The invoice mail says so and carries the invoice PDF.
    let mail = s.kit.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.subject.contains("2026-000001"), "{}", mail.subject);
    assert!(mail.text.contains("als PDF im Anhang"), "{}", mail.text);
    let names: Vec<(&str, &str)> = mail
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.content_type.as_str()))
        .collect();
    assert_eq!(names, vec![("Rechnung-2026-000001.pdf", "application/pdf")]);
    let pdf = s
        .kit
        .outbox
        .attachment("Rechnung-2026-000001.pdf")
        .await
        .unwrap()
        .expect("the PDF saved beside the mail");
    let text = shared::pdf::read_back(&pdf);
    for expected in ["Rechnung 2026-000001", "205,28 €"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    s.assert_within_policy();
}

#[tokio::test]
async fn nothing_due_means_no_invoice_and_a_second_run_changes_nothing() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let bert = s.partner("bert@metzgerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    // Approved today, after the run started: billed from the next run on.
    s.approve(&bert, &platform, "Sparkasse", date(2026, 12, 1))
        .await;

    let first = s.run("2026-12").await;
    assert_eq!(first["planned"], 2);
    assert_eq!(first["invoices"], 1);
    assert_eq!(first["nothing_due"], 1);
    assert_eq!(first["without_debit"], 1, "Anna has no mandate");
    assert!(s.invoices_of(&bert).await.is_empty(), "no zero invoices");

    let second = s.run("2026-12").await;
    for counter in [
        "invoices",
        "nothing_due",
        "net_cents",
        "vat_cents",
        "gross_cents",
    ] {
        assert_eq!(second[counter], first[counter], "{counter}");
    }
    let invoices = s.invoices_of(&anna).await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["number"], "2026-000001");
    assert!(invoices[0].get("direct_debit").is_none());
}

#[tokio::test]
async fn a_run_killed_after_half_its_batches_yields_every_invoice_once_with_gapless_numbers() {
    let s = setup().await;
    let platform = s.platform("Sparkasse", 4900).await;
    // Three batches: two full ones and five partners.
    let count = 2 * billing::bill::BATCH_SIZE + 5;
    let mut partners = Vec::new();
    for i in 0..count {
        let p = s.partner(&format!("partner{i}@example.de")).await;
        s.approve(&p, &platform, "Sparkasse", date(2026, 3, 1))
            .await;
        partners.push(p);
    }
    let started = s
        .call("POST", "/billing/runs", Some(json!({"period": "2026-12"})))
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED);
    // The planner, then one of three batches; then the process dies.
    for _ in 0..2 {
        let message = s.queue.pop().unwrap();
        runner::handle(&s.worker, message).await.unwrap();
    }
    assert_eq!(s.queue.len(), 2, "a full batch and one of five left");
    while s.queue.pop().is_some() {}

    let mut seen = Vec::new();
    let summary = runner::run_in_process(
        &s.worker,
        &s.queue,
        Month::parse("2026-12").unwrap(),
        &mut |p| seen.push(p),
    )
    .await
    .unwrap();
    assert_eq!(summary.run.invoices, count as u64);
    assert_eq!(summary.run.net_cents, Cents(count as i64 * 4900));
    assert!(summary.failed.is_empty());
    assert_eq!(seen.first(), Some(&Progress::Planned(count as u64)));

    let mut numbers = Vec::new();
    for p in &partners {
        let invoices = s.invoices_of(p).await;
        assert_eq!(invoices.len(), 1);
        numbers.push(invoices[0]["number"].as_str().unwrap().to_string());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=count).map(|n| format!("2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn a_redelivered_batch_creates_nothing() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    s.run("2026-12").await;
    let again = Message::Bill {
        period: Month::parse("2026-12").unwrap(),
        partners: vec![anna.id.clone(), anna.id.clone()],
    };
    let handled = runner::handle(&s.worker, again).await.unwrap();
    let runner::Handled::Billed(report) = handled else {
        panic!("a bill message bills");
    };
    assert!(report.invoices.is_empty());
    assert_eq!(report.already, 2);
    assert_eq!(s.invoices_of(&anna).await.len(), 1);
}

#[tokio::test]
async fn the_second_collection_of_a_mandate_is_recurring() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    s.give_mandate(&anna.id).await;
    s.run("2026-12").await;
    assert!(
        s.invoices_of(&anna).await[0]["direct_debit"]
            .get("sequence")
            .is_none(),
        "decided by the SEPA file that collects it"
    );
    assert_eq!(sepa_files(&s, "2026-12").await.len(), 1);
    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    s.run("2027-01").await;
    assert_eq!(sepa_files(&s, "2027-01").await.len(), 1);
    let invoices = s.invoices_of(&anna).await;
    assert_eq!(invoices.len(), 2);
    // Newest first; numbers start again in the new year.
    assert_eq!(invoices[0]["number"], "2027-000001");
    assert_eq!(invoices[0]["direct_debit"]["sequence"], "RCUR");
    assert_eq!(invoices[0]["direct_debit"]["sepa_file"], "LS-2027-01-1");
    assert_eq!(invoices[1]["number"], "2026-000001");
    assert_eq!(invoices[1]["direct_debit"]["sequence"], "FRST");
    assert_eq!(invoices[1]["direct_debit"]["sepa_file"], "LS-2026-12-1");
    s.assert_within_policy();
}

#[tokio::test]
async fn a_partner_that_cannot_be_billed_is_listed_and_billed_by_a_retry() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    // A platform id that has no record (yet): the fee is unknown.
    let missing = PlatformId::generate();
    s.approve(&anna, &missing, "Unbekannt", date(2026, 1, 10))
        .await;
    let run = s.run("2026-12").await;
    assert_eq!(run["invoices"], 0);
    assert_eq!(run["failed"], 1);
    assert_eq!(run["failures"][0]["partner_id"], anna.id.as_str());
    assert!(
        run["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Plattform")
    );
    assert_eq!(
        run["failures"][0]["company"], "Bäckerei Müller",
        "the console names whom it concerns"
    );
    assert_eq!(run["failures"][0]["customer_number"], Value::Null);

    let list = s.call("GET", "/billing/runs", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["runs"][0]["period"], "2026-12");
    assert_eq!(list.body["runs"][0]["failed"], 1);

    // The platform appears (say, restored); the operator re-runs the failed partners.
    Table::put(
        s.kit.table.as_ref(),
        shared::model::platforms::Platform {
            platform_id: missing.clone(),
            name: "Unbekannt".into(),
            monthly_fee: Cents(1000),
            created_at: Timestamp::UNIX_EPOCH,
            fee_changes: Vec::new(),
            revision: 0,
        }
        .to_item()
        .unwrap(),
        Cond::NotExists,
    )
    .await
    .unwrap();
    let retried = s.call("POST", "/billing/runs/2026-12/retry", None).await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{:?}", retried.body);
    assert_eq!(retried.body["queued"], 1);
    runner::drain(&s.worker, &s.queue, &mut |_| {})
        .await
        .unwrap();
    let run = s.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run.body["invoices"], 1);
    assert_eq!(run.body["failed"], 0);
    assert_eq!(s.invoices_of(&anna).await.len(), 1);
}

#[tokio::test]
async fn months_are_checked_and_unknown_runs_are_not_found() {
    let s = setup().await;
    let bad = s
        .call("POST", "/billing/runs", Some(json!({"period": "2026-13"})))
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("period"));
    let bad = s.call("GET", "/billing/runs/Dezember", None).await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("period"));
    let unknown = s.call("GET", "/billing/runs/2026-11", None).await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, None);
    let unknown = s.call("POST", "/billing/runs/2026-11/retry", None).await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn a_partner_sees_only_its_own_invoices() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let bert = s.partner("bert@metzgerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    s.run("2026-12").await;
    assert_eq!(s.invoices_of(&anna).await.len(), 1);
    assert!(s.invoices_of(&bert).await.is_empty());
}

#[tokio::test]
async fn a_partner_reads_the_payee_its_mandate_names() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let reply = s
        .client
        .call("GET", "/partners/me/sepa-creditor", None, Some(&anna.token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["name"], "partnernetz GmbH");
    assert_eq!(reply.body["creditor_id"], "DE98ZZZ09999999999");
    assert_eq!(reply.body["city"], "Berlin");
    assert_eq!(reply.body["prenotification_days"], 14);
}

/// The reference schemas and rules in the repository (`reference/`).
fn reference(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../reference")
        .join(path)
}

/// `xmllint --schema`: Debian's libxml2-utils (`cargo xtask test` installs it).
fn xmllint(xml: &[u8], schema: &std::path::Path) -> (bool, String) {
    let file = std::env::temp_dir().join(format!("pn-{}.xml", shared::domain::new_id()));
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(&file)
        .output()
        .expect("xmllint is needed (Debian libxml2-utils; cargo xtask test installs it)");
    let _ = std::fs::remove_file(&file);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_sepa_file_of_a_run_passes_the_pain_008_schema() {
    let s = setup().await;
    let platform = s.platform("Sparkasse", 4900).await;
    let anna = s.partner("anna@baeckerei.de").await;
    let bert = s.partner("bert@metzgerei.de").await;
    let carl = s.partner("carl@cafe.de").await;
    for p in [&anna, &bert, &carl] {
        s.approve(p, &platform, "Sparkasse", date(2026, 11, 16))
            .await;
    }
    s.give_mandate(&anna.id).await;
    s.give_mandate(&bert.id).await;
    // Bert was collected from before: RCUR.
    Table::put(
        s.kit.table.as_ref(),
        {
            let key = billing::debit::mandate_used_key(
                &bert.id,
                &format!("PN-{}", &bert.id.as_str()[..8]),
            );
            let mut item = shared::store::Item::new();
            item.insert("pk".into(), key.pk.into());
            item.insert("sk".into(), key.sk.into());
            item
        },
        Cond::Always,
    )
    .await
    .unwrap();
    let early = s.call("GET", "/billing/runs/2026-12/sepa", None).await;
    assert_problem(&early, StatusCode::NOT_FOUND, None);

    let run = s.run("2026-12").await;
    assert_eq!(run["invoices"], 3);
    assert_eq!(run["without_debit"], 1, "Carl has no mandate");
    let files = sepa_files(&s, "2026-12").await;
    assert_eq!(files.len(), 1);
    let (file, text) = &files[0];
    assert_eq!(file["name"], "LS-2026-12-1");
    assert_eq!(file["payments"], 2);
    assert_eq!(file["total_cents"], 17494);
    assert_eq!(file["collection_dates"], json!(["2026-12-15"]));
    // Two payments (Anna FRST, Bert RCUR), 73.50 + 19 % = 87.47 each.
    assert!(text.contains("<NbOfTxs>2</NbOfTxs>"), "{text}");
    assert!(text.contains("<CtrlSum>174.94</CtrlSum>"), "{text}");
    assert!(text.contains("<SeqTp>FRST</SeqTp>"));
    assert!(text.contains("<SeqTp>RCUR</SeqTp>"));
    assert!(text.contains("<ReqdColltnDt>2026-12-15</ReqdColltnDt>"));
    assert!(text.contains("<IBAN>DE89370400440532013000</IBAN>"));
    assert!(text.contains("DE98ZZZ09999999999"));
    // Asked again: the same file, not a second one.
    let again = sepa_files(&s, "2026-12").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0["key"], file["key"]);
    s.assert_within_policy();
}

fn events_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/billing")
}

#[tokio::test]
async fn every_sample_api_event_reaches_its_handler() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let mut seen = 0;
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read_to_string(&path).unwrap();
        let event: Value = serde_json::from_str(&raw).unwrap();
        let Some(route_key) = event["routeKey"].as_str() else {
            continue; // the schedule's and the queue's events: below
        };
        let token = if route_key.contains("/partners/me") {
            &anna.token
        } else {
            &s.operator.token
        };
        let raw = raw.replace("{{token}}", token);
        let request =
            lambda_http::request::from_str(&raw).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
        let reply = s.client.send(request).await;
        assert!(
            reply.status.is_success() || reply.status == StatusCode::NOT_FOUND,
            "{name}: {} {:?}",
            reply.status,
            reply.body
        );
        if reply.status == StatusCode::NOT_FOUND {
            // Only "no such run", never "no such route".
            assert!(
                reply.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("Abrechnungslauf"),
                "{name}: {:?}",
                reply.body
            );
        }
        seen += 1;
    }
    assert_eq!(seen, billing::routes().len());
}

#[tokio::test]
async fn the_schedule_starts_the_month_and_the_worker_takes_queue_batches() {
    let s = setup().await;
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(events_dir().join(name)).unwrap()).unwrap()
    };
    let started = runner::handle_event(&s.worker, read("scheduled.json"))
        .await
        .unwrap();
    assert_eq!(started["period"], "2026-12", "the run of the clock's month");
    assert_eq!(
        s.queue.pop(),
        Some(Message::Plan {
            period: Month::parse("2026-12").unwrap()
        })
    );

    // A batch naming a partner with nothing due: handled, not reported as failed.
    let response = runner::handle_event(&s.worker, read("sqs-batch.json"))
        .await
        .unwrap();
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    let run = s.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run.body["nothing_due"], 1);

    // An unreadable body is dropped, a batch for a month without a run is reported failed.
    let response = runner::handle_event(
        &s.worker,
        json!({"Records": [
            {"messageId": "a", "body": "kein json", "eventSource": "aws:sqs"},
            {"messageId": "b", "body": "{\"kind\":\"bill\",\"period\":\"2026-10\",\"partners\":[\"01a20995-f66b-7041-8db5-03382a668100\"]}", "eventSource": "aws:sqs"}
        ]}),
    )
    .await
    .unwrap();
    assert_eq!(
        response["batchItemFailures"],
        json!([{"itemIdentifier": "b"}]),
        "{response}"
    );
}

#[tokio::test]
async fn premium_placements_booked_for_the_month_are_on_its_invoice() {
    use shared::model::placements::{BookingState, PlacementBooking};
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    for (month, price) in [("2026-12", 1500), ("2027-01", 2500)] {
        let booking = PlacementBooking {
            partner_id: anna.id.clone(),
            platform_id: platform.clone(),
            offer_id: format!("angebot-{price}"),
            kind_id: "top".into(),
            kind_name: "Top-Platzierung".into(),
            month: month.parse::<shared::domain::Month>().unwrap(),
            price: Cents(price),
            state: BookingState::Booked,
            booked_at: Timestamp::UNIX_EPOCH,
            cancelled_at: None,
        };
        Table::put(
            s.kit.table.as_ref(),
            booking.to_item().unwrap(),
            Cond::NotExists,
        )
        .await
        .unwrap();
    }
    s.run("2026-12").await;
    let invoices = s.invoices_of(&anna).await;
    assert_eq!(amounts(&invoices[0]), vec![4900, 1500]);
    assert_eq!(invoices[0]["lines"][1]["product"], "premium_placement");
    assert_eq!(invoices[0]["totals"]["net_cents"], 6400);
    s.assert_within_policy();
}

/// A card contract signed in September with three terminal users, and a fourth added in
/// November; a digital customer account booked a year ago with 30 customers.
#[tokio::test]
async fn card_contract_and_digital_customer_account_are_on_the_invoice() {
    use shared::model::contracts::cards::CardContract;
    use shared::model::contracts::file_links::FileLinksContract;
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let cards = [(date(2026, 9, 1), 3), (date(2026, 11, 20), 1)]
        .into_iter()
        .fold(
            CardContract::new(anna.id.clone(), date(2026, 9, 1), Cents(990)),
            |c, (on, delta)| c.change_terminal_users(on, delta).unwrap().0,
        );
    let account = FileLinksContract::book(
        anna.id.clone(),
        "baeckerei-mueller".into(),
        Timestamp::UNIX_EPOCH,
        date(2025, 12, 10),
    )
    .with_customers(30, date(2025, 12, 12))
    .unwrap();
    for (item, marked) in [
        (cards.to_item().unwrap(), true),
        (
            shared::model::to_item(&account.key(), &account).unwrap(),
            false,
        ),
    ] {
        let mut ops = vec![
            TxOp::Put {
                item,
                cond: Cond::NotExists,
            }
            .named("contract"),
        ];
        if marked {
            ops.push(billable::mark(&anna.id).named("billable"));
        }
        s.kit.table.as_ref().transact(ops).await.unwrap();
    }

    s.run("2026-12").await;
    let invoices = s.invoices_of(&anna).await;
    assert_eq!(invoices.len(), 1);
    let lines = invoices[0]["lines"].as_array().unwrap();
    let products: Vec<&str> = lines
        .iter()
        .map(|l| l["product"].as_str().unwrap())
        .collect();
    assert_eq!(
        products,
        vec!["card_contract", "card_contract", "digital_customer_account"]
    );
    // The user added in November pays November; four pay December; the account's second
    // year at 4.50 × 12 starts on 10 December.
    assert_eq!(amounts(&invoices[0]), vec![990, 3960, 5400]);
    assert_eq!(lines[0]["quantity"], 1);
    assert_eq!(lines[1]["quantity"], 4);
    assert_eq!(lines[2]["quantity"], 12);
    assert_eq!(lines[2]["unit"], "month");
    assert_eq!(lines[2]["period_from"], "2026-12-10");
    assert_eq!(lines[2]["period_to"], "2027-12-09");
    assert_eq!(invoices[0]["totals"]["net_cents"], 10350);

    // January: the four terminal users only.
    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    s.run("2027-01").await;
    let january = &s.invoices_of(&anna).await[0];
    assert_eq!(january["number"], "2027-000001");
    assert_eq!(amounts(january), vec![3960]);
    s.assert_within_policy();
}

#[tokio::test]
async fn an_invoice_is_cancelled_once_by_a_credit_note_with_its_own_number() {
    let s = setup().await;
    let platform = s.platform("Sparkasse", 4900).await;
    let anna = s.partner("anna@baeckerei.de").await;
    let bert = s.partner("bert@metzgerei.de").await;
    for p in [&anna, &bert] {
        s.approve(p, &platform, "Sparkasse", date(2026, 1, 10))
            .await;
        s.give_mandate(&p.id).await;
    }
    s.run("2026-12").await;
    let listed = s.call("GET", "/billing/runs/2026-12/invoices", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let run_invoices = listed.body["invoices"].as_array().unwrap();
    assert_eq!(run_invoices.len(), 2);
    let annas = run_invoices
        .iter()
        .find(|i| i["partner_id"] == anna.id.as_str())
        .unwrap();
    let number = annas["number"].as_str().unwrap().to_string();
    assert_eq!(annas["totals"]["gross_cents"], 5831);
    assert_eq!(annas["direct_debit"], true);
    assert_eq!(annas["kind"], "invoice");
    // The operator downloads every invoice from the list: signed links to its documents.
    for (field, file) in [("pdf_url", ".pdf"), ("xml_url", ".xml")] {
        let url = annas[field].as_str().unwrap();
        assert!(url.contains(&format!("{number}{file}")), "{url}");
        assert!(url.contains("X-Amz-Signature"), "{url}");
    }
    let path = format!("/billing/runs/2026-12/invoices/{number}/cancellation");

    let without_reason = s.call("POST", &path, Some(json!({"reason": " "}))).await;
    assert_problem(&without_reason, StatusCode::BAD_REQUEST, Some("reason"));
    let unknown = s
        .call(
            "POST",
            "/billing/runs/2026-12/invoices/2026-999999/cancellation",
            Some(json!({"reason": "Test"})),
        )
        .await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, None);

    s.kit
        .clock
        .set("2026-12-03T09:00:00Z".parse::<Timestamp>().unwrap());
    let cancelled = s
        .call(
            "POST",
            &path,
            Some(json!({"reason": "Die Plattform wurde doppelt berechnet."})),
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::CREATED,
        "{:?}",
        cancelled.body
    );
    let note = &cancelled.body;
    assert_eq!(note["number"], "2026-000003", "the next number of the year");
    assert_eq!(note["kind"], "credit_note");
    assert_eq!(note["cancels"]["invoice_number"], number.as_str());
    assert_eq!(note["issued_on"], "2026-12-03");
    assert_eq!(note["totals"]["net_cents"], -4900);
    assert_eq!(note["totals"]["vat_cents"], -931);
    assert_eq!(note["totals"]["gross_cents"], -5831);
    assert_eq!(note["lines"][0]["quantity"], -1);
    assert!(
        note.get("direct_debit").is_none(),
        "paid back, not collected"
    );

    // Once only: the second attempt names the credit note.
    let again = s
        .call("POST", &path, Some(json!({"reason": "Noch einmal"})))
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap()
            .contains("2026-000003")
    );

    // Anna sees both, newest first, and gets the credit note by mail.
    let mine = s.invoices_of(&anna).await;
    let numbers: Vec<&str> = mine.iter().map(|i| i["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, vec!["2026-000003", number.as_str()]);
    let mail = s.kit.last_mail_to("anna@baeckerei.de").await;
    assert!(
        mail.subject.contains("Stornorechnung 2026-000003"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("doppelt berechnet"), "{}", mail.text);
    assert!(mail.text.contains("58,31 €"), "{}", mail.text);

    // Its documents: the attached PDF names both numbers and the reason; the XML is a UBL
    // credit note of type 381 referring to the cancelled invoice.
    let note_number = "2026-000003";
    let pdf = s
        .kit
        .outbox
        .attachment(&format!("Stornorechnung-{note_number}.pdf"))
        .await
        .unwrap()
        .expect("the credit note's PDF attached to its mail");
    let text = shared::pdf::read_back(&pdf);
    for expected in [
        "Stornorechnung 2026-000003",
        &format!("Storno der Rechnung {number}"),
        "Grund: Die Plattform wurde",
        "-58,31 €",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let xml = s
        .kit
        .env
        .blobs
        .get(&format!("invoices/{}/{note_number}.xml", anna.id))
        .await
        .unwrap();
    let (valid, errors) = xmllint(
        &xml,
        &reference("xrechnung/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"),
    );
    assert!(valid, "{errors}");
    let xml = String::from_utf8(xml).unwrap();
    assert!(xml.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
    assert!(xml.contains("<cbc:PayableAmount currencyID=\"EUR\">58.31</cbc:PayableAmount>"));
    assert!(xml.contains(&format!("<cbc:ID>{number}</cbc:ID>")));

    // The run's SEPA file, written after the cancellation, collects Bert's invoice only.
    let files = sepa_files(&s, "2026-12").await;
    assert_eq!(files.len(), 1);
    let sepa = &files[0].1;
    assert!(sepa.contains("<NbOfTxs>1</NbOfTxs>"), "{sepa}");
    assert!(!sepa.contains(&number), "{sepa}");
    s.assert_within_policy();
}

/// A booked placement of `offer` for `month` at `price`, as offers saves it.
async fn book_placement(
    s: &Setup,
    partner: &PartnerId,
    platform: &PlatformId,
    (offer, kind): (&str, &str),
    month: &str,
    price: i64,
) {
    use shared::model::placements::{BookingState, PlacementBooking};
    let booking = PlacementBooking {
        partner_id: partner.clone(),
        platform_id: platform.clone(),
        offer_id: offer.into(),
        kind_id: "top".into(),
        kind_name: kind.into(),
        month: month.parse::<shared::domain::Month>().unwrap(),
        price: Cents(price),
        state: BookingState::Booked,
        booked_at: s.kit.clock.now(),
        cancelled_at: None,
    };
    Table::put(
        s.kit.table.as_ref(),
        booking.to_item().unwrap(),
        Cond::NotExists,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_month_that_has_not_begun_is_refused_and_later_billed_with_what_was_booked_for_it() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    s.run("2026-12").await;

    // 6 December: an operator types 2027-01 instead of 2026-12.
    s.kit
        .clock
        .set("2026-12-06T09:00:00Z".parse::<Timestamp>().unwrap());
    let early = s
        .call("POST", "/billing/runs", Some(json!({"period": "2027-01"})))
        .await;
    assert_problem(&early, StatusCode::UNPROCESSABLE_ENTITY, Some("period"));
    let detail = early.body["detail"].as_str().unwrap();
    assert!(detail.contains("noch nicht begonnen"), "{detail}");
    assert!(detail.contains("01.01.2027"), "{detail}");
    assert!(s.queue.is_empty(), "nothing planned");
    let none = s.call("GET", "/billing/runs/2027-01", None).await;
    assert_problem(&none, StatusCode::NOT_FOUND, None);

    // The local subcommand's in-process run is refused the same way.
    let refused = runner::run_in_process(
        &s.worker,
        &s.queue,
        Month::parse("2027-01").unwrap(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(s.queue.is_empty());

    // A minute before midnight in Berlin on New Year's Eve, January has still not begun.
    s.kit
        .clock
        .set("2026-12-31T22:59:00Z".parse::<Timestamp>().unwrap());
    let still_early = s
        .call("POST", "/billing/runs", Some(json!({"period": "2027-01"})))
        .await;
    assert_problem(
        &still_early,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("period"),
    );

    // Booked after the refused attempt, the January placement is on January's invoice.
    book_placement(
        &s,
        &anna.id,
        &platform,
        ("angebot-1", "Top-Platzierung"),
        "2027-01",
        2500,
    )
    .await;
    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(s.kit.clock.today(), date(2027, 1, 1));
    let january = s.run("2027-01").await;
    assert_eq!(january["invoices"], 1);
    let invoices = s.invoices_of(&anna).await;
    assert_eq!(invoices[0]["period"], "2027-01");
    assert_eq!(amounts(&invoices[0]), vec![4900, 2500]);
}

/// No word of a rendered PDF is printed over another, and every word lies within the
/// page's margins (word boxes as poppler's `pdftotext -bbox-layout` finds them).
fn assert_legible(pdf: &[u8]) -> Vec<shared::testing::pdf_layout::WordBox> {
    use shared::testing::pdf_layout::{overlapping_words, word_boxes};
    let boxes = word_boxes(pdf);
    assert!(!boxes.is_empty(), "no text found");
    let overlaps: Vec<String> = overlapping_words(&boxes)
        .iter()
        .map(|(a, b)| format!("page {}: {:?} over {:?}", a.page, a.text, b.text))
        .collect();
    assert!(overlaps.is_empty(), "text printed over text: {overlaps:#?}");
    for word in &boxes {
        assert!(
            word.left >= 10.0 && word.right <= 200.0 && word.top >= 10.0 && word.bottom <= 292.0,
            "outside the page's margins: {word:?}"
        );
    }
    boxes
}

/// The words of the PDF's line (same page, baselines within 1 mm) from `word` rightwards.
fn line_from<'a>(boxes: &'a [shared::testing::pdf_layout::WordBox], word: &str) -> Vec<&'a str> {
    let at = boxes
        .iter()
        .find(|b| b.text == word)
        .unwrap_or_else(|| panic!("{word} not printed"));
    let mut line: Vec<&shared::testing::pdf_layout::WordBox> = boxes
        .iter()
        .filter(|b| b.page == at.page && b.left >= at.left && (b.bottom - at.bottom).abs() < 1.0)
        .collect();
    line.sort_by(|a, b| a.left.total_cmp(&b.left));
    line.into_iter().map(|b| b.text.as_str()).collect()
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn no_text_of_an_invoice_or_credit_note_pdf_is_printed_over_another() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    Table::update(
        s.kit.table.as_ref(),
        &partner_key(&anna.id),
        &[Update::Set(
            attr::COMPANY,
            json!("Bäckerei und Konditorei Müller-Lüdenscheidt GmbH & Co. KG, Filiale Hauptbahnhof Nord"),
        )],
        Cond::Exists,
    )
    .await
    .unwrap();
    let long_name = "Sparkasse Mittelfranken-Süd Vorteilswelt für Geschäftskunden und Vereine";
    let sparkasse = s.platform(long_name, 9_999_999).await;
    s.approve(&anna, &sparkasse, long_name, date(2026, 11, 6))
        .await;
    s.give_mandate(&anna.id).await;
    // Enough placements for a second page.
    for i in 0..24 {
        book_placement(
            &s,
            &anna.id,
            &sparkasse,
            (
                &format!("angebot-{i:02}"),
                "Top-Platzierung auf der Startseite mit Hervorhebung im Newsletter",
            ),
            "2026-12",
            1500 + i,
        )
        .await;
    }
    s.run("2026-12").await;
    let invoice = &s.invoices_of(&anna).await[0];
    let number = invoice["number"].as_str().unwrap();
    let pdf = s
        .kit
        .outbox
        .attachment(&format!("Rechnung-{number}.pdf"))
        .await
        .unwrap()
        .expect("the invoice PDF");
    let boxes = assert_legible(&pdf);
    assert!(
        boxes.iter().any(|b| b.page == 2),
        "the lines run onto a second page"
    );
    // The period and the quantity of a line stand side by side, each readable.
    let prorated = line_from(&boxes, "06.11.2026–30.11.2026");
    assert!(
        prorated.contains(&"1") && prorated.contains(&"Monat"),
        "{prorated:?}"
    );
    // The customer number is short enough to read out on the phone, and printed whole
    // next to its label.
    let customer = invoice["customer_number"].as_str().unwrap();
    assert!(customer.len() <= 8, "{customer}");
    assert_eq!(
        line_from(&boxes, "Kundennummer"),
        vec!["Kundennummer", customer]
    );

    // Its credit note, with a long reason, is just as legible.
    let cancelled = s
        .call(
            "POST",
            &format!("/billing/runs/2026-12/invoices/{number}/cancellation"),
            Some(json!({"reason": "Die Plattformgebühr wurde mit einem falschen Monatsbetrag berechnet; die Platzierungen werden mit der nächsten Rechnung neu abgerechnet."})),
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::CREATED,
        "{:?}",
        cancelled.body
    );
    let note = cancelled.body["number"].as_str().unwrap();
    let pdf = s
        .kit
        .outbox
        .attachment(&format!("Stornorechnung-{note}.pdf"))
        .await
        .unwrap()
        .expect("the credit note PDF");
    assert_legible(&pdf);
}

/// The run's SEPA files as the operator fetches them, each with its XML, checked against
/// the pain.008.001.08 schema.
async fn sepa_files(s: &Setup, period: &str) -> Vec<(Value, String)> {
    let reply = s
        .call("GET", &format!("/billing/runs/{period}/sepa"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let mut files = Vec::new();
    for file in reply.body["files"].as_array().unwrap() {
        assert!(file["url"].as_str().unwrap().contains("X-Amz-Signature"));
        let xml = s
            .kit
            .env
            .blobs
            .get(file["key"].as_str().unwrap())
            .await
            .unwrap();
        let (valid, errors) = xmllint(&xml, &reference("sepa/pain.008.001.08.xsd"));
        assert!(valid, "{errors}\n{}", String::from_utf8_lossy(&xml));
        files.push((file.clone(), String::from_utf8(xml).unwrap()));
    }
    files
}

/// The `DrctDbtTxInf` of `invoice` in a pain.008 file, with the sequence and collection
/// date of its `PmtInf`; `None` when the file does not hold it.
fn payment_of(xml: &str, invoice: &str) -> Option<(String, String)> {
    let at = xml.find(&format!("<EndToEndId>{invoice}</EndToEndId>"))?;
    let group = &xml[..at];
    let group = &group[group.rfind("<PmtInf>")?..];
    let field = |tag: &str| {
        let start = group.find(&format!("<{tag}>"))? + tag.len() + 2;
        let end = group[start..].find('<')? + start;
        Some(group[start..end].to_string())
    };
    Some((field("SeqTp")?, field("ReqdColltnDt")?))
}

/// Which of `files` hold `invoice`: each invoice with a mandate must be in exactly one.
fn files_holding(files: &[(Value, String)], invoice: &str) -> Vec<String> {
    files
        .iter()
        .filter(|(_, xml)| payment_of(xml, invoice).is_some())
        .map(|(file, _)| file["name"].as_str().unwrap().to_string())
        .collect()
}

async fn set_address(s: &Setup, partner: &PartnerId, address: Option<Value>) {
    let op = match address {
        Some(address) => Update::Set(attr::ADDRESS, address),
        None => Update::Remove(attr::ADDRESS),
    };
    Table::update(
        s.kit.table.as_ref(),
        &partner_key(partner),
        &[op],
        Cond::Exists,
    )
    .await
    .unwrap();
}

fn an_address() -> Value {
    json!({"street": "Marienplatz 1", "postal_code": "80331", "city": "München", "country": "DE"})
}

/// The December run: Bert is billed, Anna fails for want of an address; returns Anna and
/// Bert's invoice number.
async fn december_with_a_failure(s: &Setup) -> (PartnerFixture, String) {
    let platform = s.platform("Sparkasse", 4900).await;
    let anna = s.partner("anna@baeckerei.de").await;
    let bert = s.partner("bert@metzgerei.de").await;
    for p in [&anna, &bert] {
        s.approve(p, &platform, "Sparkasse", date(2026, 1, 10))
            .await;
        s.give_mandate(&p.id).await;
    }
    set_address(s, &anna.id, None).await;
    let run = s.run("2026-12").await;
    assert_eq!(run["invoices"], 1);
    assert_eq!(run["failed"], 1);
    let bert_number = s.invoices_of(&bert).await[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    (anna, bert_number)
}

/// Anna adds her address on 6 December and the operator retries: her invoice is issued
/// with its pre-notification; returns its number.
async fn retry_on_6_december(s: &Setup, anna: &PartnerFixture) -> String {
    s.kit
        .clock
        .set("2026-12-06T09:00:00Z".parse::<Timestamp>().unwrap());
    set_address(s, &anna.id, Some(an_address())).await;
    let retried = s.call("POST", "/billing/runs/2026-12/retry", None).await;
    assert_eq!(retried.status, StatusCode::ACCEPTED, "{:?}", retried.body);
    runner::drain(&s.worker, &s.queue, &mut |_| {})
        .await
        .unwrap();
    let invoice = &s.invoices_of(anna).await[0];
    // Issued on 6 December: announced for the 14th day after, a Sunday, so Monday the 21st.
    assert_eq!(invoice["issued_on"], "2026-12-06");
    assert_eq!(invoice["direct_debit"]["collection_date"], "2026-12-21");
    let mail = s.kit.last_mail_to("anna@baeckerei.de").await;
    assert!(mail.text.contains("am 21.12.2026"), "{}", mail.text);
    invoice["number"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_invoice_issued_by_a_retry_is_collected_by_a_later_file_of_its_run() {
    let s = setup().await;
    let (anna, bert_number) = december_with_a_failure(&s).await;
    // The operator takes the run's file to the bank: Bert's debit only.
    let first = sepa_files(&s, "2026-12").await;
    assert_eq!(first.len(), 1);
    assert_eq!(
        payment_of(&first[0].1, &bert_number),
        Some(("FRST".into(), "2026-12-15".into()))
    );

    let anna_number = retry_on_6_december(&s, &anna).await;
    // The next fetch lists a second file of the run holding Anna's debit, due on the day
    // announced to her, as her mandate's first; the first file is as it was.
    let files = sepa_files(&s, "2026-12").await;
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0].0["key"], first[0].0["key"]);
    assert_eq!(files[0].1, first[0].1, "a file once written never changes");
    assert_eq!(
        payment_of(&files[1].1, &anna_number),
        Some(("FRST".into(), "2026-12-21".into()))
    );
    assert_eq!(files[1].0["payments"], 1);
    assert_eq!(files[1].0["total_cents"], 5831);
    for number in [&anna_number, &bert_number] {
        assert_eq!(files_holding(&files, number).len(), 1, "{number}");
    }
    let invoice = &s.invoices_of(&anna).await[0];
    assert_eq!(invoice["direct_debit"]["sequence"], "FRST");
    assert_eq!(invoice["direct_debit"]["sepa_file"], files[1].0["name"]);

    // The run lists both files and no debit without one; asked again, no third file.
    let run = s.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run.body["sepa_files"].as_array().unwrap().len(), 2);
    assert_eq!(run.body["debits_due"], 0);
    assert_eq!(sepa_files(&s, "2026-12").await.len(), 2);

    // January: both mandates were collected from, so both debits are recurring.
    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    s.run("2027-01").await;
    let january = sepa_files(&s, "2027-01").await;
    assert_eq!(january.len(), 1);
    assert_eq!(january[0].0["payments"], 2);
    assert!(
        !january[0].1.contains("<SeqTp>FRST</SeqTp>"),
        "{}",
        january[0].1
    );
    for number in [&anna_number, &bert_number] {
        assert!(
            payment_of(&january[0].1, number).is_none(),
            "collected once"
        );
    }
    s.assert_within_policy();
}

#[tokio::test]
async fn a_debit_no_file_held_in_time_goes_into_the_next_runs_file_announced_anew() {
    let s = setup().await;
    let (anna, bert_number) = december_with_a_failure(&s).await;
    let anna_number = retry_on_6_december(&s, &anna).await;
    // The operator fetches no file in December.
    let run = s.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run.body["debits_due"], 2);

    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    s.run("2027-01").await;
    let anna_january = s.invoices_of(&anna).await[0].clone();
    assert!(
        anna_january["direct_debit"].get("sequence").is_none(),
        "not collected yet: {anna_january}"
    );
    let anna_january = anna_january["number"].as_str().unwrap().to_string();
    let files = sepa_files(&s, "2027-01").await;
    assert_eq!(files.len(), 1);
    let xml = &files[0].1;
    // 21 December has passed: Anna's December debit is due 14 days after this file (Friday
    // 15 January), and she is told so; it is her mandate's first, January's follows it.
    assert_eq!(
        payment_of(xml, &anna_number),
        Some(("FRST".into(), "2027-01-15".into()))
    );
    assert_eq!(
        payment_of(xml, &anna_january),
        Some(("RCUR".into(), "2027-01-15".into()))
    );
    assert_eq!(
        payment_of(xml, &bert_number).map(|(seq, _)| seq),
        Some("FRST".into())
    );
    let notice = s.kit.last_mail_to("anna@baeckerei.de").await;
    assert!(notice.subject.contains(&anna_number), "{}", notice.subject);
    assert!(notice.text.contains("am 15.01.2027"), "{}", notice.text);
    assert!(notice.text.contains("21.12.2026"), "{}", notice.text);
    let december = s
        .invoices_of(&anna)
        .await
        .into_iter()
        .find(|i| i["number"] == anna_number.as_str())
        .unwrap();
    assert_eq!(december["direct_debit"]["collection_date"], "2027-01-15");
    assert_eq!(december["direct_debit"]["announced_first"], "2026-12-21");

    // December's run has nothing left to collect, and writes no file of its own.
    assert!(sepa_files(&s, "2026-12").await.is_empty());
    let run = s.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run.body["debits_due"], 0);
}

#[tokio::test]
async fn a_debit_cancelled_before_any_file_is_not_collected_and_the_next_one_is_first() {
    let s = setup().await;
    let platform = s.platform("Sparkasse", 4900).await;
    let anna = s.partner("anna@baeckerei.de").await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    s.give_mandate(&anna.id).await;
    s.run("2026-12").await;
    let december = s.invoices_of(&anna).await[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    s.kit
        .clock
        .set("2026-12-03T09:00:00Z".parse::<Timestamp>().unwrap());
    let cancelled = s
        .call(
            "POST",
            &format!("/billing/runs/2026-12/invoices/{december}/cancellation"),
            Some(json!({"reason": "Doppelt berechnet"})),
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::CREATED,
        "{:?}",
        cancelled.body
    );
    assert!(
        sepa_files(&s, "2026-12").await.is_empty(),
        "nothing to collect"
    );

    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    s.run("2027-01").await;
    let january = s.invoices_of(&anna).await[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let files = sepa_files(&s, "2027-01").await;
    assert_eq!(files.len(), 1);
    assert!(payment_of(&files[0].1, &december).is_none());
    assert_eq!(
        payment_of(&files[0].1, &january),
        Some(("FRST".into(), "2027-01-15".into())),
        "nothing was ever collected from the mandate"
    );
}

/// Confirmed referral rewards, summed per month as referrals' nightly run sums them.
async fn confirm_rewards(s: &Setup, partner: &PartnerId, month: &str, cents: &[i64]) {
    use shared::model::rewards;
    for amount in cents {
        s.kit
            .table
            .transact(vec![
                rewards::change(partner, month.parse().unwrap(), 1, *amount).named("month"),
            ])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn confirmed_referral_rewards_are_billed_once_on_their_own_line_with_vat() {
    use shared::model::rewards::{RewardMonth, reward_month_key};
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    s.give_mandate(&anna.id).await;
    confirm_rewards(&s, &anna.id, "2026-11", &[1300, 700, 1950]).await;
    // Confirmed on the 1st of December, after the run read the partner: the next invoice's.
    confirm_rewards(&s, &anna.id, "2026-12", &[500]).await;

    s.run("2026-12").await;
    let invoices = s.invoices_of(&anna).await;
    let december = &invoices[0];
    assert_eq!(amounts(december), vec![4900, 3950]);
    let line = &december["lines"][1];
    assert_eq!(line["product"], "referral_rewards");
    assert_eq!(
        line["description"],
        "Empfehlungsprämien November 2026: 3 bestätigte Prämien"
    );
    assert_eq!(
        (line["period_from"].as_str(), line["period_to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-30"))
    );
    assert_eq!(
        (line["quantity"].as_i64(), line["unit"].as_str()),
        (Some(1), Some("lump"))
    );
    // The platform's service at the standard rate: 19 % on 88,50 € = 16,82 €.
    assert_eq!(december["totals"]["net_cents"], 8850);
    assert_eq!(december["totals"]["vat_cents"], 1682);
    let number = december["number"].as_str().unwrap().to_string();
    let key = reward_month_key(&anna.id, "2026-11".parse().unwrap());
    let billed: RewardMonth =
        shared::model::from_item(s.kit.table.get(&key).await.unwrap().unwrap()).unwrap();
    assert_eq!(billed.invoice_number.as_deref(), Some(number.as_str()));
    assert_eq!(billed.billed_on, Some(date(2026, 12, 1)));

    // January bills December's reward, and November's no second time.
    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    s.run("2027-01").await;
    let invoices = s.invoices_of(&anna).await;
    let january = invoices.iter().find(|i| i["period"] == "2027-01").unwrap();
    assert_eq!(amounts(january), vec![4900, 500]);
    assert!(
        january["lines"][1]["description"]
            .as_str()
            .unwrap()
            .contains("Dezember 2026: 1 bestätigte Prämie")
    );
}

/// Registration closing a partner account ends its tokens here too, at once: the invoice
/// list is refused, and the policy grants the read that tells.
#[tokio::test]
async fn a_partner_that_closed_its_account_is_refused_at_once() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    assert!(s.invoices_of(&anna).await.is_empty());
    let closed = shared::auth::revoke_op(
        &shared::domain::AccountId::from(&anna.id),
        shared::auth::Ended::Closed,
        s.kit.clock.epoch(),
    );
    s.kit.table.transact(vec![closed]).await.unwrap();
    let reply = s
        .client
        .call("GET", "/partners/me/invoices", None, Some(&anna.token))
        .await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, None);
    assert_eq!(
        reply.body["detail"],
        "Dieses Partnerkonto wurde geschlossen."
    );
    let (function, audit) = &s.audits[0];
    shared::routes::policy::assert_allowed(function, &audit.accesses());
}

/// A fee changed from January, as the operator's `POST /platforms/{id}/fee-changes` stores
/// it in the platform record.
async fn change_fee(s: &Setup, platform: &PlatformId, from: &str, cents: i64) {
    use shared::model::platforms::{Platform, attr, platform_key};
    let item = Table::get(s.kit.table.as_ref(), &platform_key(platform))
        .await
        .unwrap()
        .unwrap();
    let stored: Platform = shared::model::from_item(item).unwrap();
    let changes =
        stored.with_fee_from(Month::parse(from).unwrap(), Cents(cents), s.kit.clock.now());
    Table::update(
        s.kit.table.as_ref(),
        &platform_key(platform),
        &[Update::Set(
            attr::FEE_CHANGES,
            serde_json::to_value(&changes).unwrap(),
        )],
        stored.unchanged(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_fee_change_bills_the_old_fee_before_its_month_and_the_new_one_from_it() {
    let s = setup().await;
    let anna = s.partner("anna@baeckerei.de").await;
    let platform = s.platform("Sparkasse", 4900).await;
    s.approve(&anna, &platform, "Sparkasse", date(2026, 1, 10))
        .await;
    // Approved on 16 December: January's invoice bills the rest of December at December's
    // fee and January at January's.
    let berta = s.partner("berta@blumen.de").await;
    s.approve(&berta, &platform, "Sparkasse", date(2026, 12, 16))
        .await;

    // The December run reads the platform (a warm worker keeps what it read).
    s.run("2026-12").await;
    assert_eq!(amounts(&s.invoices_of(&anna).await[0]), vec![4900]);

    s.kit
        .clock
        .set("2026-12-06T09:00:00Z".parse::<Timestamp>().unwrap());
    change_fee(&s, &platform, "2027-01", 5900).await;

    s.kit
        .clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    let january = s.run("2027-01").await;
    assert_eq!(january["invoices"], 2, "{january}");
    let anna_invoices = s.invoices_of(&anna).await;
    assert_eq!(anna_invoices[0]["period"], "2027-01");
    assert_eq!(amounts(&anna_invoices[0]), vec![5900]);
    assert_eq!(
        amounts(&anna_invoices[1]),
        vec![4900],
        "December keeps its fee"
    );
    // 16–31 December = 16/31 × 49,00 € = 25,29 €; January 59,00 €.
    let berta_invoices = s.invoices_of(&berta).await;
    assert_eq!(amounts(&berta_invoices[0]), vec![2529, 5900]);
    s.assert_within_policy();
}

#[tokio::test]
async fn the_operator_lists_a_partners_invoices_with_their_state() {
    let s = setup().await;
    let platform = s.platform("Sparkasse", 4900).await;
    let anna = s.partner("anna@baeckerei.de").await;
    let bert = s.partner("bert@metzgerei.de").await;
    for p in [&anna, &bert] {
        s.approve(p, &platform, "Sparkasse", date(2026, 1, 10))
            .await;
    }
    s.give_mandate(&anna.id).await;
    s.run("2026-12").await;
    let path = format!("/billing/partners/{}/invoices", anna.id);
    let listed = s.call("GET", &path, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let invoice = &listed.body["invoices"][0];
    let number = invoice["number"].as_str().unwrap().to_string();
    assert_eq!(invoice["period"], "2026-12");
    assert_eq!(invoice["gross_cents"], 5831);
    assert_eq!(invoice["gross"], "58,31 €");
    assert_eq!(invoice["state"], "debit_due");
    let berts = s
        .call(
            "GET",
            &format!("/billing/partners/{}/invoices", bert.id),
            None,
        )
        .await;
    assert_eq!(berts.body["invoices"][0]["state"], "transfer", "no mandate");

    let cancelled = s
        .call(
            "POST",
            &format!("/billing/runs/2026-12/invoices/{number}/cancellation"),
            Some(json!({"reason": "Doppelt berechnet."})),
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::CREATED,
        "{:?}",
        cancelled.body
    );
    let listed = s.call("GET", &path, None).await;
    let docs = listed.body["invoices"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    let credit = docs.iter().find(|d| d["kind"] == "credit_note").unwrap();
    let original = docs
        .iter()
        .find(|d| d["number"] == number.as_str())
        .unwrap();
    assert_eq!(original["state"], "cancelled");
    assert_eq!(original["related"], credit["number"]);
    assert_eq!(credit["state"], "credit_note");
    assert_eq!(credit["related"], number.as_str());
    assert_eq!(credit["gross_cents"], -5831);

    // Only the operator: a partner, even for its own id, and a manager get 403.
    let manager = s
        .kit
        .fixtures()
        .manager_of("max@sparkasse.de", &platform)
        .await;
    for token in [&anna.token, &manager.token] {
        let r = s.client.call("GET", &path, None, Some(token)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    s.assert_within_policy();
}
