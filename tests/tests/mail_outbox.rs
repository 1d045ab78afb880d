//! The outbox end to end (docs/architecture.md §9), through a small handler written the way every
//! handler that mails uses it: the change and its mail in one transaction, the send after
//! the commit, the retry schedule for what failed. SES is switched off midway: the change
//! is still saved and answered 201, and the retry sends the mail exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::clock::{Clock, FixedClock};
use shared::domain::{Email, new_id};
use shared::env::{AppState, Env};
use shared::http::{ApiJson, Validator};
use shared::mail::pending::{
    self, Delivery, FIRST_RETRY, LEASE, MailStatus, PENDING_PARTITION, PendingMailRecord,
    PendingMails,
};
use shared::mail::{Mail, MailError, Mailer, SesMailer};
use shared::store::{Cond, Index, Key, Query, Table, TxOp, item_with_key};
use shared::testing::{Client, TestEnv};
use tests::{
    SENDER, fresh_table, mails_to, moto_sdk_config, ses_client, ses_client_switched_off,
    unique_email, verify_sender,
};

// ---- The demonstration: a note, saved and reported by mail. ----

const NOTE_PREFIX: &str = "NOTE#";
const NOTE_SK: &str = "NOTE";

fn note_key(id: &str) -> Key {
    Key::new(format!("{NOTE_PREFIX}{id}"), NOTE_SK)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewNote {
    email: String,
    text: String,
}

/// `POST /notes`: saves a note and mails its author. 201 once the note is saved, whatever
/// becomes of the mail.
async fn save_note(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewNote>,
) -> shared::Result<(StatusCode, Json<Value>)> {
    let mut v = Validator::new();
    let email = v.check("email", Email::parse(&body.email));
    let text = v.text("text", &body.text, 500);
    v.finish()?;
    let (Some(email), Some(text)) = (email, text) else {
        return Err(shared::Error::BadRequest("Ungültige Eingabe.".into()));
    };
    let id = new_id();
    let note = item_with_key(&note_key(&id), &json!({ "text": text }))?;
    let mail = Mail {
        to: email,
        subject: "Ihre Notiz ist gespeichert".into(),
        text: format!("Guten Tag,\n\nIhre Notiz ist gespeichert: {text}\n"),
        html: "<p>Guten Tag,</p><p>Ihre Notiz ist gespeichert.</p>".into(),
        attachments: Vec::new(),
    };

    let outgoing = PendingMails::of(&state);
    let (mail, mail_op) = outgoing.enqueue(mail)?;
    let note_op = TxOp::Put {
        item: note,
        cond: Cond::NotExists,
    }
    .named("note");
    // The note and its mail, or neither.
    state.table.transact(vec![note_op, mail_op]).await?;
    // After the commit; a failed send is left to the schedule and never fails the request.
    let delivery = outgoing.deliver(mail).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "mail_sent": delivery == Delivery::Sent })),
    ))
}

fn notes_api(env: &Env) -> Router {
    shared::http::finish(
        Router::new()
            .route("/notes", post(save_note))
            .with_state(AppState::new(env)),
    )
}

// ---- Switching the mail provider off and on. ----

/// A mailer whose provider a test switches off (sends go to `off`, which fails) and on.
struct Switch {
    on: AtomicBool,
    up: Arc<dyn Mailer>,
    off: Arc<dyn Mailer>,
}

impl Switch {
    fn new(up: Arc<dyn Mailer>, off: Arc<dyn Mailer>) -> Self {
        Self {
            on: AtomicBool::new(true),
            up,
            off,
        }
    }

    fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }
}

#[async_trait]
impl Mailer for Switch {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        if self.on.load(Ordering::SeqCst) {
            self.up.send(mail).await
        } else {
            self.off.send(mail).await
        }
    }
}

/// What a folder mailer sees when its provider is gone.
struct Unreachable;

#[async_trait]
impl Mailer for Unreachable {
    async fn send(&self, _mail: Mail) -> Result<(), MailError> {
        Err(MailError::Send(Box::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "provider unreachable",
        ))))
    }
}

fn note(email: &str) -> Value {
    json!({ "email": email, "text": "Lieferung am Montag" })
}

async fn pending_records(table: &dyn Table) -> Vec<PendingMailRecord> {
    table
        .query(Query::partition(Index::Gsi1, PENDING_PARTITION))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|item| PendingMailRecord::from_item(item).unwrap())
        .collect()
}

async fn notes_saved(table: &dyn Table, reply: &Value) -> bool {
    let id = reply["id"].as_str().unwrap();
    table.get(&note_key(id)).await.unwrap().is_some()
}

// ---- On SQLite with the folder mailer. ----

#[tokio::test]
async fn mail_down_midway_still_saves_and_answers_201_then_the_retry_mails_once() {
    let t = TestEnv::new().await;
    let switch = Arc::new(Switch::new(
        Arc::new(t.outbox.clone()),
        Arc::new(Unreachable),
    ));
    let mut env = t.env.clone();
    env.mailer = switch.clone();
    let api = Client::in_process(notes_api(&env));

    let sent = api
        .call("POST", "/notes", Some(note("anna@baeckerei.de")), None)
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    assert_eq!(sent.body["mail_sent"], true);
    assert_eq!(t.mails().await.len(), 1);

    switch.set(false);
    let saved = api
        .call("POST", "/notes", Some(note("bert@baeckerei.de")), None)
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    assert_eq!(saved.body["mail_sent"], false);
    assert!(notes_saved(t.env.table.as_ref(), &saved.body).await);
    assert_eq!(
        t.mails().await.len(),
        1,
        "nothing went out while the mailer was down"
    );

    switch.set(true);
    t.clock.advance(FIRST_RETRY);
    let outgoing = PendingMails::of(&env);
    let run = outgoing.retry_due(100).await.unwrap();
    assert_eq!((run.due, run.sent), (1, 1));
    let again = outgoing.retry_due(100).await.unwrap();
    assert_eq!(again.due, 0);

    let to: Vec<String> = t.mails().await.iter().map(|m| m.to.to_string()).collect();
    assert_eq!(
        to,
        ["anna@baeckerei.de", "bert@baeckerei.de"],
        "each mail once"
    );
    assert!(pending_records(t.env.table.as_ref()).await.is_empty());
}

#[tokio::test]
async fn local_api_mail_retry_sends_what_is_left_in_the_local_data() {
    let dir = std::env::temp_dir().join(format!("pn-local-retry-{}", new_id()));
    let config = local_api::LocalConfig {
        data_dir: dir.clone(),
        api_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        s3_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        web_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        web_dir: None,
    };
    std::fs::create_dir_all(&dir).unwrap();
    {
        // A request saved this mail three minutes ago and died before sending it.
        let clock = Arc::new(FixedClock::at(
            shared::testing::START.parse::<Timestamp>().unwrap()
                - LEASE
                - SignedDuration::from_secs(60),
        ));
        let table =
            shared::store::SqliteTable::open(&local_api::database_path(&dir), clock.clone())
                .unwrap();
        let mail = Mail {
            to: Email::parse("anna@baeckerei.de").unwrap(),
            subject: "Ihre Notiz ist gespeichert".into(),
            text: "Guten Tag".into(),
            html: "<p>Guten Tag</p>".into(),
            attachments: Vec::new(),
        };
        let (_unsent, op) = pending::enqueue(mail, clock.now()).unwrap();
        table.transact(vec![op]).await.unwrap();
    }

    let mut handled = 0;
    // The subcommand runs on the clock it is given: now, the lease of that mail has ended.
    let now: Arc<FixedClock> = Arc::new(FixedClock::at(shared::testing::START.parse().unwrap()));
    let run = local_api::mail_retry(&config, now.clone(), &mut |_| handled += 1)
        .await
        .unwrap();
    assert_eq!((run.due, run.sent, handled), (1, 1, 1));
    let outbox = shared::mail::OutboxMailer::new(local_api::outbox_path(&dir)).unwrap();
    let mails = outbox.list().await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Ihre Notiz ist gespeichert");

    let again = local_api::mail_retry(&config, now, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(again.due, 0);
    assert_eq!(outbox.list().await.unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- On DynamoDB Local with moto's SES. ----

/// The notes API over real HTTP on DynamoDB Local, mailing through moto or, switched
/// off, through an SES endpoint nobody answers.
struct NotesStack {
    client: Client,
    env: Env,
    clock: Arc<FixedClock>,
    switch: Arc<Switch>,
    _kit: TestEnv,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for NotesStack {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl NotesStack {
    async fn start() -> Self {
        verify_sender().await;
        let kit = TestEnv::new().await;
        let switch = Arc::new(Switch::new(
            Arc::new(SesMailer::new(ses_client(), SENDER)),
            Arc::new(SesMailer::new(ses_client_switched_off(), SENDER)),
        ));
        let clock = kit.clock.clone();
        let mut env = kit.env.clone();
        env.table = fresh_table().await;
        env.mailer = switch.clone();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = notes_api(&env);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            client: Client::http(format!("http://{addr}")),
            env,
            clock,
            switch,
            _kit: kit,
            server,
        }
    }
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn ses_switched_off_midway_on_dynamodb_and_moto_the_change_is_saved_and_mailed_once_later() {
    let stack = NotesStack::start().await;
    let table = stack.env.table.as_ref();
    let anna = unique_email("anna");
    let bert = unique_email("bert");

    let sent = stack
        .client
        .call("POST", "/notes", Some(note(&anna)), None)
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    assert_eq!(mails_to(&anna).await.len(), 1);

    // SES goes down: the note is saved and answered 201, no mail arrives.
    stack.switch.set(false);
    let saved = stack
        .client
        .call("POST", "/notes", Some(note(&bert)), None)
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    assert_eq!(saved.body["mail_sent"], false);
    assert!(notes_saved(table, &saved.body).await);
    assert!(mails_to(&bert).await.is_empty());
    let waiting = pending_records(table).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].status, MailStatus::Pending);
    let reason = waiting[0].last_error.clone().unwrap();
    assert!(reason.contains("SES"), "{reason}");
    assert!(
        !reason.contains(&bert),
        "no address in the stored error: {reason}"
    );

    // A run while SES is still down sends nothing and keeps the mail.
    let outgoing = PendingMails::of(&stack.env);
    stack.clock.advance(FIRST_RETRY);
    let down = outgoing.retry_due(100).await.unwrap();
    assert_eq!((down.due, down.deferred), (1, 1));
    assert!(mails_to(&bert).await.is_empty());

    // SES is back: the next run sends it, once; a further run has nothing to do.
    stack.switch.set(true);
    stack.clock.advance(pending::LONGEST_WAIT);
    let back = outgoing.retry_due(100).await.unwrap();
    assert_eq!((back.due, back.sent), (1, 1));
    let again = outgoing.retry_due(100).await.unwrap();
    assert_eq!(again.due, 0);
    let bert_mails = mails_to(&bert).await;
    assert_eq!(bert_mails.len(), 1, "sent exactly once");
    assert_eq!(bert_mails[0].subject, "Ihre Notiz ist gespeichert");
    assert_eq!(mails_to(&anna).await.len(), 1);
    assert!(pending_records(table).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs emulators: cargo xtask test"]
async fn concurrent_retry_runs_on_dynamodb_and_moto_send_each_mail_once() {
    let stack = NotesStack::start().await;
    let addresses: Vec<String> = (0..12).map(|n| unique_email(&format!("race{n}"))).collect();
    // Saved by requests that died before sending.
    for to in &addresses {
        let mail = Mail {
            to: Email::parse(to).unwrap(),
            subject: "Ihre Notiz ist gespeichert".into(),
            text: "Guten Tag".into(),
            html: "<p>Guten Tag</p>".into(),
            attachments: Vec::new(),
        };
        let (_unsent, op) = pending::enqueue(mail, stack.clock.now()).unwrap();
        stack.env.table.transact(vec![op]).await.unwrap();
    }
    stack.clock.advance(LEASE);

    let mut runs = Vec::new();
    for _ in 0..3 {
        let env = stack.env.clone();
        runs.push(tokio::spawn(async move {
            PendingMails::of(&env).retry_due(100).await.unwrap()
        }));
    }
    let mut sent = 0;
    for run in runs {
        sent += run.await.unwrap().sent;
    }
    assert_eq!(sent, addresses.len());
    for to in &addresses {
        assert_eq!(mails_to(to).await.len(), 1, "{to} got exactly one mail");
    }
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_mailer_built_from_the_sdk_configuration_sends_through_ses() {
    verify_sender().await;
    // As the bootstraps build it: the SES client comes to be with the first mail.
    let mailer = SesMailer::from_sdk(&moto_sdk_config(), SENDER);
    let to = unique_email("from-sdk");
    let mail = Mail {
        to: Email::parse(&to).unwrap(),
        subject: "Ihre Bestellung".into(),
        text: "Guten Tag".into(),
        html: "<p>Guten Tag</p>".into(),
        attachments: Vec::new(),
    };
    mailer.send(mail.clone()).await.unwrap();
    // A clone shares the client that the first mail built.
    mailer.clone().send(mail).await.unwrap();
    let sent = mails_to(&to).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent.iter().all(|m| m.subject == "Ihre Bestellung"),
        "{sent:?}"
    );
}
