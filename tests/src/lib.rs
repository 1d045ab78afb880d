//! The end-to-end harness: the registration router served over real HTTP on loopback,
//! persisting to DynamoDB Local, mailing through moto's SES and storing blobs in s3s.
//! `cargo xtask test` starts the emulators and passes their endpoints in
//! `DYNAMODB_ENDPOINT` and `MOTO_ENDPOINT`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod documents;

use std::net::SocketAddr;
use std::sync::Arc;

use aws_credential_types::Credentials;
use serde_json::Value;
use shared::auth::{JwtIssuer, JwtVerifier, generate_ed25519_pems};
use shared::clock::{SharedClock, SystemClock};
use shared::crypto::DataKey;
use shared::embedded_s3::EmbeddedS3;
use shared::env::Env;
use shared::mail::SesMailer;
use shared::store::DynamoTable;
use shared::testing::{Client, Sessions};

pub const SENDER: &str = "noreply@partnernetz.de";
pub const REGION: &str = "eu-central-1";

fn endpoint(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the emulator tests with `cargo xtask test`")
    })
}

fn credentials() -> Credentials {
    Credentials::from_keys("test", "test", None)
}

pub fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::new()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new(REGION))
        .credentials_provider(credentials())
        .endpoint_url(endpoint("DYNAMODB_ENDPOINT"))
        .http_client(shared::config::https_client())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

pub fn ses_client() -> aws_sdk_ses::Client {
    let conf = aws_sdk_ses::config::Builder::new()
        .behavior_version(aws_sdk_ses::config::BehaviorVersion::latest())
        .region(aws_sdk_ses::config::Region::new(REGION))
        .credentials_provider(credentials())
        .endpoint_url(endpoint("MOTO_ENDPOINT"))
        .http_client(shared::config::https_client())
        .build();
    aws_sdk_ses::Client::from_conf(conf)
}

/// Verifies the platform's sender in moto, as SES needs before it sends from it.
pub async fn verify_sender() {
    ses_client()
        .verify_email_identity()
        .email_address(SENDER)
        .send()
        .await
        .expect("verifying the sender in moto");
}

/// The SDK's configuration as a bootstrap builds it, pointed at moto: for what a function
/// builds from it itself (`SesMailer::from_sdk`).
pub fn moto_sdk_config() -> shared::config::SdkConfig {
    shared::config::SdkConfig::builder()
        .behavior_version(aws_sdk_ses::config::BehaviorVersion::latest())
        .region(aws_sdk_ses::config::Region::new(REGION))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials()),
        )
        .endpoint_url(endpoint("MOTO_ENDPOINT"))
        .http_client(shared::config::https_client())
        .build()
}

/// SES switched off: a client for a loopback port nobody listens on, without the SDK's own
/// retries, so each send fails at once as when SES is unreachable.
pub fn ses_client_switched_off() -> aws_sdk_ses::Client {
    let closed = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .and_then(|l| l.local_addr())
        .unwrap();
    let conf = aws_sdk_ses::config::Builder::new()
        .behavior_version(aws_sdk_ses::config::BehaviorVersion::latest())
        .region(aws_sdk_ses::config::Region::new(REGION))
        .credentials_provider(credentials())
        .endpoint_url(format!("http://{closed}"))
        .retry_config(aws_sdk_ses::config::retry::RetryConfig::disabled())
        .http_client(shared::config::https_client())
        .build();
    aws_sdk_ses::Client::from_conf(conf)
}

/// A fresh table on DynamoDB Local, named uniquely so tests never share data.
pub async fn fresh_table() -> Arc<DynamoTable> {
    fresh_named_table(Arc::new(SystemClock)).await.0
}

/// A fresh table that judges expiry (TTL) by `clock`, the clock the journey moves.
pub async fn fresh_table_with_clock(clock: SharedClock) -> Arc<DynamoTable> {
    fresh_named_table(clock).await.0
}

/// A fresh table on `clock`, and its name (for checks that read the raw items).
pub async fn fresh_named_table(clock: SharedClock) -> (Arc<DynamoTable>, String) {
    let name = format!("partnernetz-{}", shared::domain::new_id());
    let table = DynamoTable::new(dynamodb_client(), name.clone(), clock);
    table
        .create_table()
        .await
        .expect("creating the table on DynamoDB Local");
    (Arc::new(table), name)
}

pub struct Stack {
    pub base_url: String,
    pub table: Arc<DynamoTable>,
    /// The table's name on DynamoDB Local, for scans that check what is stored.
    pub table_name: String,
    pub client: Client,
    /// For presigned S3 URLs, which are not API routes.
    pub http: reqwest::Client,
    pub issuer: JwtIssuer,
    /// The clock the functions run on: tokens are issued and judged by it.
    pub clock: SharedClock,
    /// Renews tokens for journeys that move the clock by days and go on as the same users.
    pub sessions: Sessions,
    pub s3: EmbeddedS3,
    server: tokio::task::JoinHandle<()>,
    dir: std::path::PathBuf,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Stack {
    /// Registration's router, as deployed.
    pub async fn start() -> Self {
        Self::start_with(Arc::new(SystemClock), registration::build).await
    }

    /// The stack serving the router `build` makes of the environment (e.g. registration
    /// and another function merged, as local-api serves them), on `clock`.
    pub async fn start_with(clock: SharedClock, build: impl FnOnce(&Env) -> axum::Router) -> Self {
        let dir = std::env::temp_dir().join(format!("pn-e2e-{}", shared::domain::new_id()));
        let s3 = EmbeddedS3::start(&dir.join("s3"), "assets", "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        verify_sender().await;
        let ses = ses_client();
        let pems = generate_ed25519_pems().unwrap();
        let issuer = JwtIssuer::from_pem(&pems.private_pem).unwrap();
        let (table, table_name) = fresh_named_table(clock.clone()).await;
        let blobs = s3.blobs("assets").unwrap();
        let env = Env {
            table: table.clone(),
            // As deployed: attachments are read from the bucket when a mail is sent.
            mailer: Arc::new(SesMailer::new(ses, SENDER).with_attachments(Arc::new(blobs.clone()))),
            blobs,
            clock: clock.clone(),
            verifier: Arc::new(JwtVerifier::from_pem(&pems.public_pem).unwrap()),
            issuer: Some(issuer.clone()),
            data_key: Some(DataKey::from_base64(&DataKey::generate_base64()).unwrap()),
            public_base_url: "https://partnernetz.de".into(),
        };
        let sessions = Sessions::new(&env);
        let app = build(&env);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            table,
            table_name,
            client: Client::http(format!("http://{addr}")),
            http: reqwest::Client::new(),
            issuer,
            clock,
            sessions,
            s3,
            server,
            dir,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        reply(self.client.call(method, path, body, token).await)
    }

    pub async fn raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req = http::Request::post(path)
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap();
        reply(self.client.send(req).await)
    }
}

fn reply(r: shared::testing::Reply) -> Reply {
    Reply {
        status: r.status.as_u16(),
        body: r.body,
    }
}

/// A mail as moto's SES recorded it: `SendEmail` as its parts, `SendRawEmail` as MIME,
/// read back here as a mail client would.
#[derive(Debug, Clone)]
pub struct SentMail {
    pub to: Vec<String>,
    pub subject: String,
    /// The text part.
    pub body: String,
    pub attachments: Vec<SentAttachment>,
}

/// A file attached to a sent mail, decoded.
#[derive(Clone)]
pub struct SentAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for SentAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentAttachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A raw message as its recipient's mail client shows it.
fn read_raw(destinations: Vec<String>, raw: &str) -> SentMail {
    use mail_parser::{MessageParser, MimeHeaders};
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME message");
    let attachments = message
        .attachments()
        .map(|part| SentAttachment {
            filename: part.attachment_name().unwrap_or_default().to_string(),
            content_type: part
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                .unwrap_or_default(),
            bytes: part.contents().to_vec(),
        })
        .collect();
    SentMail {
        to: destinations,
        subject: message.subject().unwrap_or_default().to_string(),
        body: message.body_text(0).unwrap_or_default().into_owned(),
        attachments,
    }
}

/// Every mail moto accepted so far (all tests share the server), in sending order within
/// each kind: the simple ones, then the raw ones.
pub async fn sent_mails() -> Vec<SentMail> {
    let url = format!("{}/moto-api/data.json", endpoint("MOTO_ENDPOINT"));
    let data: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let simple = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|m| SentMail {
            to: strings(&m["destinations"]["ToAddresses"]),
            subject: m["subject"].as_str().unwrap_or_default().to_string(),
            body: m["body"].as_str().unwrap_or_default().to_string(),
            attachments: Vec::new(),
        });
    let raw = data["ses"]["RawMessage"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            read_raw(
                strings(&m["destinations"]),
                m["raw_data"].as_str().unwrap_or_default(),
            )
        });
    simple.chain(raw).collect()
}

pub async fn mails_to(address: &str) -> Vec<SentMail> {
    sent_mails()
        .await
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .collect()
}

/// The token in the newest link mailed to `address`.
pub async fn token_mailed_to(address: &str) -> String {
    let mail = mails_to(address)
        .await
        .pop()
        .unwrap_or_else(|| panic!("no mail to {address}"));
    shared::mail::token_in_link(&mail.body).expect("a link with a token")
}

/// A unique address per test run, since moto's mailbox is shared.
pub fn unique_email(name: &str) -> String {
    format!(
        "{name}-{}@baeckerei-e2e.de",
        shared::domain::short_code(8).to_lowercase()
    )
}
