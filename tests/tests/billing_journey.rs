//! Billing end to end on DynamoDB Local, moto (SES, SQS) and s3s: the operator starts the
//! December run over HTTP, the worker takes its batches from a real SQS queue (as Lambda's
//! event source hands them over), and the files are checked by the real validators:
//! xmllint for pain.008 and UBL, the KoSIT rules for the XRechnung, the PDF read back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use aws_credential_types::Credentials;
use billing::{Billing, BillingConfig, SqsQueue};
use jiff::Timestamp;
use jiff::civil::{Date, date};
use serde_json::{Value, json};
use shared::auth::{JwtIssuer, JwtVerifier, generate_ed25519_pems};
use shared::clock::FixedClock;
use shared::crypto::DataKey;
use shared::domain::{Cents, PartnerId, PlatformId};
use shared::embedded_s3::EmbeddedS3;
use shared::env::Env;
use shared::mail::SesMailer;
use shared::model::partners::{Mandate, attr, partner_key};
use shared::store::{Cond, DynamoTable, Table, TxOp, Update};
use shared::testing::{Account, Client, Fixtures, PartnerFixture, Sessions};
use tests::documents::{assert_xrechnung, download, xmllint};
use tests::{REGION, SENDER, fresh_table, mails_to, ses_client, unique_email};

fn sqs_client() -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::config::Builder::new()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(REGION))
        .credentials_provider(Credentials::from_keys("test", "test", None))
        .endpoint_url(std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT: run cargo xtask test"))
        .http_client(shared::config::https_client())
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

struct Journey {
    table: Arc<DynamoTable>,
    clock: Arc<FixedClock>,
    issuer: JwtIssuer,
    env: Env,
    billing: Arc<Billing>,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    client: Client,
    operator: Account,
    _s3: EmbeddedS3,
    server: tokio::task::JoinHandle<()>,
    dir: std::path::PathBuf,
}

impl Drop for Journey {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Journey {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("pn-billing-{}", shared::domain::new_id()));
        let s3 = EmbeddedS3::start(&dir.join("s3"), "assets", "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        tests::verify_sender().await;
        let ses = ses_client();
        let sqs = sqs_client();
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("billing-{}", shared::domain::short_code(10)))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let pems = generate_ed25519_pems().unwrap();
        let issuer = JwtIssuer::from_pem(&pems.private_pem).unwrap();
        let clock = Arc::new(FixedClock::at(
            "2026-12-01T01:00:00Z".parse::<Timestamp>().unwrap(),
        ));
        let table = fresh_table().await;
        let env = Env {
            table: table.clone(),
            blobs: s3.blobs("assets").unwrap(),
            mailer: Arc::new(
                SesMailer::new(ses, SENDER).with_attachments(Arc::new(s3.blobs("assets").unwrap())),
            ),
            clock: clock.clone(),
            verifier: Arc::new(JwtVerifier::from_pem(&pems.public_pem).unwrap()),
            issuer: Some(issuer.clone()),
            data_key: Some(DataKey::from_base64(&DataKey::generate_base64()).unwrap()),
            public_base_url: "https://partnernetz.de".into(),
        };
        let queue = Arc::new(SqsQueue::new(sqs.clone(), queue_url.clone()));
        let billing = Arc::new(Billing::new(&env, queue, BillingConfig::local()));
        let app = billing::build_with(billing.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let fixtures = Fixtures {
            table: table.as_ref(),
            clock: clock.as_ref(),
            issuer: &issuer,
        };
        let operator = fixtures.operator(&unique_email("olga")).await;
        let sessions = Sessions::new(&env);
        Self {
            table,
            clock,
            issuer,
            env,
            billing,
            sqs,
            queue_url,
            // The operator and partners go on working on the days the journeys move to.
            client: Client::http(format!("http://{addr}")).with_sessions(sessions),
            operator,
            _s3: s3,
            server,
            dir,
        }
    }

    fn fixtures(&self) -> Fixtures<'_> {
        Fixtures {
            table: self.table.as_ref(),
            clock: self.clock.as_ref(),
            issuer: &self.issuer,
        }
    }

    /// An approved subscription, saved as registration's approval saves it.
    async fn approve(&self, partner: &PartnerFixture, platform: &PlatformId, name: &str, on: Date) {
        self.fixtures().approve(partner, platform, name, on).await;
    }

    /// A placement for December, a card contract with 3 terminal users since September,
    /// and a digital customer account booked on 10 Dec 2025 that has 30 customers.
    async fn products(&self, partner: &PartnerId, platform: &PlatformId) {
        use shared::model::contracts::cards::CardContract;
        use shared::model::contracts::file_links::FileLinksContract;
        use shared::model::placements::{BookingState, PlacementBooking};
        let booking = PlacementBooking {
            partner_id: partner.clone(),
            platform_id: platform.clone(),
            offer_id: "angebot-1".into(),
            kind_id: "top".into(),
            kind_name: "Top-Platzierung".into(),
            month: "2026-12".parse::<shared::domain::Month>().unwrap(),
            price: Cents(1500),
            state: BookingState::Booked,
            booked_at: Timestamp::UNIX_EPOCH,
            cancelled_at: None,
        };
        let (cards, _) = CardContract::new(partner.clone(), date(2026, 9, 1), Cents(990))
            .change_terminal_users(date(2026, 9, 1), 3)
            .unwrap();
        let mut account = FileLinksContract::book(
            partner.clone(),
            format!("kunden-{}", &partner.as_str()[..8]).to_lowercase(),
            Timestamp::UNIX_EPOCH,
            date(2025, 12, 10),
        );
        for n in 1..=30 {
            account = account.with_customers(n, date(2025, 12, 12)).unwrap();
        }
        let put = |item| TxOp::Put {
            item,
            cond: Cond::NotExists,
        };
        self.table
            .transact(vec![
                put(booking.to_item().unwrap()).named("placement"),
                put(cards.to_item().unwrap()).named("cards"),
                put(shared::model::to_item(&account.key(), &account).unwrap()).named("file_links"),
            ])
            .await
            .unwrap();
    }

    async fn give_mandate(&self, partner: &PartnerId) {
        let mandate = Mandate {
            account_holder: "Bäckerei Müller".into(),
            iban_sealed: self.env.data_key().unwrap().seal("DE89370400440532013000"),
            iban_masked: "DE89 **** **** **** **30 00".into(),
            reference: format!("PN-{}", &partner.as_str()[..8]),
            signed_on: date(2026, 10, 1),
        };
        self.table
            .update(
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

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let r = self
            .client
            .call(method, path, body, Some(&self.operator.token))
            .await;
        (r.status.as_u16(), r.body)
    }

    async fn start_run(&self) {
        self.start_month("2026-12").await;
    }

    async fn start_month(&self, period: &str) {
        let (status, body) = self
            .call("POST", "/billing/runs", Some(json!({"period": period})))
            .await;
        assert_eq!(status, 202, "{body}");
    }

    /// One delivery of the worker: up to `max` messages, as Lambda's SQS event source hands
    /// them over; the ones not reported as failed are deleted. Returns how many there were.
    async fn deliver(&self, max: i32) -> usize {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return 0;
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| json!({"messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body, "eventSource": "aws:sqs"}))
            .collect();
        let response = billing::runner::handle_event(&self.billing, json!({ "Records": records }))
            .await
            .unwrap();
        let failed: Vec<&str> = response["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["itemIdentifier"].as_str())
            .collect();
        assert!(failed.is_empty(), "failed messages: {response}");
        for m in &messages {
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .send()
                .await
                .unwrap();
        }
        messages.len()
    }

    /// Works the queue off, a message per delivery (the plan message first).
    async fn drain(&self) {
        while self.deliver(1).await > 0 {}
    }

    async fn invoices_of(&self, partner: &PartnerFixture) -> Vec<Value> {
        let r = self
            .client
            .call("GET", "/partners/me/invoices", None, Some(&partner.token))
            .await;
        assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
        r.body["invoices"].as_array().unwrap().clone()
    }
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_partner_with_two_platforms_a_placement_cards_and_file_links_gets_one_invoice() {
    let j = Journey::start().await;
    let email = unique_email("anna");
    let anna = j.fixtures().confirmed_partner(&email).await;
    let sparkasse = j
        .fixtures()
        .platform("Sparkasse Vorteilswelt", Cents(4900))
        .await;
    let volksbank = j.fixtures().platform("Volksbank Plus", Cents(9900)).await;
    j.approve(
        &anna,
        &sparkasse,
        "Sparkasse Vorteilswelt",
        date(2026, 11, 16),
    )
    .await;
    j.approve(&anna, &volksbank, "Volksbank Plus", date(2025, 6, 3))
        .await;
    j.give_mandate(&anna.id).await;
    j.products(&anna.id, &sparkasse).await;

    j.start_run().await;
    j.drain().await;
    let (status, run) = j.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["invoices"], 1);
    // 99.00 + 24.50 + 49.00 (platforms) + 15.00 (placement) + 3 × 9.90 (terminal users)
    // + 12 × 4.50 (26-50 customers, yearly) = 271.20 net; 19 % = 51.528 → 51.53.
    assert_eq!(run["net_cents"], 27120);
    assert_eq!(run["vat_cents"], 5153);
    assert_eq!(run["gross_cents"], 32273);

    let invoices = j.invoices_of(&anna).await;
    assert_eq!(invoices.len(), 1);
    let invoice = &invoices[0];
    assert_eq!(invoice["number"], "2026-000001");
    let lines: Vec<i64> = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["net_cents"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![9900, 2450, 4900, 1500, 2970, 5400]);
    let products: Vec<&str> = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["product"].as_str().unwrap())
        .collect();
    assert_eq!(
        products[3..],
        [
            "premium_placement",
            "card_contract",
            "digital_customer_account"
        ]
    );

    // The partner downloads both documents through the presigned links.
    let http = reqwest::Client::new();
    let text = shared::pdf::read_back(&download(&http, &invoice["pdf_url"]).await);
    for expected in [
        "Rechnung 2026-000001",
        "3 Terminal-Nutzer",
        "271,20 €",
        "51,53 €",
        "322,73 €",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let xml = download(&http, &invoice["xml_url"]).await;
    assert_xrechnung(&xml, "UBL-Invoice-2.1.xsd");

    // The invoice mail went out through SES with the invoice PDF attached.
    let mails = mails_to(&email).await;
    let mail = mails
        .iter()
        .find(|m| m.subject.contains("2026-000001"))
        .unwrap_or_else(|| panic!("no invoice mail in {mails:?}"));
    assert!(mail.body.contains("als PDF im Anhang"), "{}", mail.body);
    assert_eq!(mail.attachments.len(), 1, "{mail:?}");
    let attached = &mail.attachments[0];
    assert_eq!(attached.filename, "Rechnung-2026-000001.pdf");
    assert_eq!(attached.content_type, "application/pdf");
    let text = shared::pdf::read_back(&attached.bytes);
    for expected in ["Rechnung 2026-000001", "322,73 €"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    // The SEPA file passes the pain.008.001.08 schema.
    let (status, listed) = j.call("GET", "/billing/runs/2026-12/sepa", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["files"].as_array().unwrap().len(), 1, "{listed}");
    let sepa = download(&http, &listed["files"][0]["url"]).await;
    let (valid, report) = xmllint(&sepa, "sepa/pain.008.001.08.xsd");
    assert!(valid, "{report}");
    assert!(String::from_utf8_lossy(&sepa).contains("<InstdAmt Ccy=\"EUR\">322.73</InstdAmt>"));

    // A second run of the month changes nothing.
    j.start_run().await;
    j.drain().await;
    let (_, again) = j.call("GET", "/billing/runs/2026-12", None).await;
    for counter in ["invoices", "net_cents", "gross_cents"] {
        assert_eq!(again[counter], run[counter], "{counter}");
    }
    assert_eq!(j.invoices_of(&anna).await.len(), 1);

    // The operator cancels the invoice: a credit note with the next number, which passes
    // the UBL schema and the KoSIT rules as an XRechnung credit note (type 381).
    let (status, note) = j
        .call(
            "POST",
            "/billing/runs/2026-12/invoices/2026-000001/cancellation",
            Some(json!({"reason": "Die Platzierung wurde storniert."})),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["number"], "2026-000002");
    assert_eq!(note["totals"]["gross_cents"], -32273);
    let xml = download(&http, &note["xml_url"]).await;
    assert_xrechnung(&xml, "UBL-CreditNote-2.1.xsd");
    let mails = mails_to(&email).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("Stornorechnung 2026-000002")),
        "{mails:?}"
    );
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_run_killed_after_half_its_batches_and_run_again_bills_everyone_once_gaplessly() {
    let j = Journey::start().await;
    let platform = j.fixtures().platform("Sparkasse", Cents(4900)).await;
    let mut partners = Vec::new();
    let count = 2 * billing::bill::BATCH_SIZE;
    for i in 0..count {
        let p = j
            .fixtures()
            .confirmed_partner(&unique_email(&format!("p{i}")))
            .await;
        j.approve(&p, &platform, "Sparkasse", date(2026, 2, 1))
            .await;
        partners.push(p);
    }
    j.start_run().await;
    // The plan, then the first of two batches; then the worker dies and the queue's
    // messages are lost (purged), the worst case for a restart.
    assert_eq!(j.deliver(1).await, 1);
    assert_eq!(j.deliver(1).await, 1);
    j.sqs
        .purge_queue()
        .queue_url(&j.queue_url)
        .send()
        .await
        .unwrap();
    let (_, half) = j.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(half["invoices"], billing::bill::BATCH_SIZE, "{half}");

    j.start_run().await;
    j.drain().await;
    let (_, run) = j.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run["invoices"], count, "{run}");
    let mut numbers = Vec::new();
    for p in &partners {
        let invoices = j.invoices_of(p).await;
        assert_eq!(invoices.len(), 1);
        numbers.push(invoices[0]["number"].as_str().unwrap().to_string());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=count).map(|n| format!("2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

/// The SEPA files of a run the operator fetches once no other fetch is writing one (409
/// until then), with their XML, each valid against the pain.008.001.08 schema.
async fn sepa_files(j: &Journey, http: &reqwest::Client, period: &str) -> Vec<(Value, String)> {
    let (status, listed) = j
        .call("GET", &format!("/billing/runs/{period}/sepa"), None)
        .await;
    assert_eq!(status, 200, "{listed}");
    let mut files = Vec::new();
    for file in listed["files"].as_array().unwrap() {
        let xml = download(http, &file["url"]).await;
        let (valid, report) = xmllint(&xml, "sepa/pain.008.001.08.xsd");
        assert!(valid, "{report}");
        files.push((file.clone(), String::from_utf8(xml).unwrap()));
    }
    files
}

/// The sequence of `invoice`'s payment in a pain.008 file, if the file holds it.
fn sequence_of(xml: &str, invoice: &str) -> Option<String> {
    let at = xml.find(&format!("<EndToEndId>{invoice}</EndToEndId>"))?;
    let group = &xml[..at];
    let group = &group[group.rfind("<PmtInf>")?..];
    let start = group.find("<SeqTp>")? + "<SeqTp>".len();
    Some(group[start..start + 4].to_string())
}

/// Invoices of a retry, never fetched in their month, are wanted at once by the next
/// fetch of their own run's files and of the next run's: on DynamoDB each debit lands in
/// exactly one file, and each mandate is collected FRST exactly once.
#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn debits_wanted_by_two_runs_at_once_are_each_collected_by_exactly_one_file() {
    let j = Journey::start().await;
    let http = reqwest::Client::new();
    let platform = j.fixtures().platform("Sparkasse", Cents(4900)).await;
    let bert = j.fixtures().confirmed_partner(&unique_email("bert")).await;
    let mut late = Vec::new();
    for i in 0..25 {
        late.push(
            j.fixtures()
                .confirmed_partner(&unique_email(&format!("p{i}")))
                .await,
        );
    }
    for p in late.iter().chain([&bert]) {
        j.approve(p, &platform, "Sparkasse", date(2026, 2, 1)).await;
        j.give_mandate(&p.id).await;
    }
    for p in &late {
        j.table
            .update(
                &partner_key(&p.id),
                &[Update::Remove(attr::ADDRESS)],
                Cond::Exists,
            )
            .await
            .unwrap();
    }
    j.start_run().await;
    j.drain().await;
    let (_, run) = j.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run["invoices"], 1, "{run}");
    assert_eq!(run["failed"], 25, "{run}");
    let first = sepa_files(&j, &http, "2026-12").await;
    assert_eq!(first.len(), 1);

    // 6 December: the addresses are there, the operator retries; no one fetches a file.
    j.clock
        .set("2026-12-06T09:00:00Z".parse::<Timestamp>().unwrap());
    for p in &late {
        j.table
            .update(
                &partner_key(&p.id),
                &[Update::Set(
                    attr::ADDRESS,
                    json!({"street": "Marienplatz 1", "postal_code": "80331", "city": "München", "country": "DE"}),
                )],
                Cond::Exists,
            )
            .await
            .unwrap();
    }
    let (status, retried) = j.call("POST", "/billing/runs/2026-12/retry", None).await;
    assert_eq!(status, 202, "{retried}");
    j.drain().await;
    let (_, run) = j.call("GET", "/billing/runs/2026-12", None).await;
    assert_eq!(run["invoices"], 26, "{run}");
    assert_eq!(run["debits_due"], 25, "{run}");

    // 1 January: the January run, then December's and January's files fetched at once.
    j.clock
        .set("2027-01-01T01:00:00Z".parse::<Timestamp>().unwrap());
    j.start_month("2027-01").await;
    j.drain().await;
    let fetch = |period: &'static str| {
        let client = j.client.clone();
        let token = j.operator.token.clone();
        async move {
            client
                .call(
                    "GET",
                    &format!("/billing/runs/{period}/sepa"),
                    None,
                    Some(&token),
                )
                .await
                .status
                .as_u16()
        }
    };
    let answers = tokio::join!(
        fetch("2026-12"),
        fetch("2027-01"),
        fetch("2026-12"),
        fetch("2027-01")
    );
    for status in [answers.0, answers.1, answers.2, answers.3] {
        assert!(status == 200 || status == 409, "{status}");
    }

    let mut files = sepa_files(&j, &http, "2026-12").await;
    files.extend(sepa_files(&j, &http, "2027-01").await);
    let (_, december) = j.call("GET", "/billing/runs/2026-12", None).await;
    let (_, january) = j.call("GET", "/billing/runs/2027-01", None).await;
    assert_eq!(december["debits_due"], 0, "{december}");
    assert_eq!(january["debits_due"], 0, "{january}");
    for p in late.iter().chain([&bert]) {
        let invoices = j.invoices_of(p).await;
        assert_eq!(invoices.len(), 2);
        let mut firsts = 0;
        for invoice in &invoices {
            let number = invoice["number"].as_str().unwrap();
            let holding: Vec<(&str, String)> = files
                .iter()
                .filter_map(|(file, xml)| {
                    sequence_of(xml, number).map(|seq| (file["name"].as_str().unwrap(), seq))
                })
                .collect();
            assert_eq!(holding.len(), 1, "{number} in {holding:?}");
            let (name, sequence) = &holding[0];
            assert_eq!(invoice["direct_debit"]["sepa_file"], *name);
            assert_eq!(invoice["direct_debit"]["sequence"], sequence.as_str());
            firsts += usize::from(sequence == "FRST");
        }
        assert_eq!(firsts, 1, "one first collection per mandate: {invoices:?}");
    }
}
