//! The test kit (feature `testing`, docs/architecture.md §12.3): an env builder, a client for any
//! router (in process or over HTTP), `assert_problem`, and fixtures (an operator, a confirmed
//! partner, a platform and its manager) shared by every crate's tests and the bench, and the
//! frame of the handler benches (`bench`), and where a PDF's words are (`pdf_layout`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

pub mod bench;
pub mod key_audit;
pub mod pdf_layout;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use jiff::civil::Date;
use serde_json::Value;
use tower::ServiceExt;

use crate::auth::{JwtIssuer, JwtVerifier, Role, Scope, generate_ed25519_pems, hash_password};
use crate::clock::{Clock, FixedClock, SharedClock};
use crate::crypto::DataKey;
use crate::domain::{AccountId, Cents, Email, PartnerId, PlatformId};
use crate::embedded_s3::EmbeddedS3;
use crate::env::Env;
use crate::mail::{Mail, MailError, Mailer, OutboxMailer, token_in_link};
use crate::model::accounts::{Login, LoginName};
use crate::model::billable;
use crate::model::partners::Address;
use crate::model::partners::{Mandate, Partner, attr::MANDATE as PARTNER_MANDATE, partner_key};
use crate::model::platforms::Platform;
use crate::model::stored_email::StoredEmail;
use crate::model::subscriptions::{Application, ApplicationStatus};
use crate::store::{Cond, SqliteTable, Table, TxOp, Update};

/// The password of every fixture account.
pub const PASSWORD: &str = "sehr-geheim-123";
pub const BUCKET: &str = "assets";

/// A complete environment on SQLite in memory, the folder mailer, an embedded S3 and a
/// clock that stands still; removed from disk when dropped.
pub struct TestEnv {
    pub env: Env,
    pub table: Arc<SqliteTable>,
    pub outbox: OutboxMailer,
    /// The mail provider as the functions see it: the folder mailer, until switched off.
    pub mail: Arc<SwitchableMailer>,
    pub clock: Arc<FixedClock>,
    pub issuer: JwtIssuer,
    pub s3: EmbeddedS3,
    dir: PathBuf,
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where a test environment's clock starts (a Monday morning in Berlin), whatever the date
/// the suite runs on; tests move it where they need to.
pub const START: &str = "2026-11-16T08:00:00Z";

impl TestEnv {
    pub async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("pn-test-{}", crate::domain::new_id()));
        let s3 = EmbeddedS3::start(&dir.join("s3"), BUCKET, ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let clock = Arc::new(FixedClock::at(START.parse().unwrap()));
        // The table judges expiry (TTL) by the same clock the tests move.
        let table = Arc::new(SqliteTable::in_memory(clock.clone()).unwrap());
        let blobs = s3.blobs(BUCKET).unwrap();
        let outbox = OutboxMailer::new(dir.join("outbox"))
            .unwrap()
            .with_attachments(Arc::new(blobs.clone()));
        let mail = Arc::new(SwitchableMailer::new(outbox.clone()));
        let pems = generate_ed25519_pems().unwrap();
        let issuer = JwtIssuer::from_pem(&pems.private_pem).unwrap();
        let env = Env {
            table: table.clone(),
            blobs,
            mailer: mail.clone(),
            clock: clock.clone(),
            verifier: Arc::new(JwtVerifier::from_pem(&pems.public_pem).unwrap()),
            issuer: Some(issuer.clone()),
            data_key: Some(DataKey::from_base64(&DataKey::generate_base64()).unwrap()),
            public_base_url: "https://partnernetz.de".into(),
        };
        Self {
            env,
            table,
            outbox,
            mail,
            clock,
            issuer,
            s3,
            dir,
        }
    }

    /// This environment with its table wrapped in a [`key_audit::KeyAudit`]: build a
    /// function on the returned `Env` and check what it reached against its policy
    /// (`routes::policy::assert_allowed`).
    pub fn audited(&self) -> (Env, Arc<key_audit::KeyAudit>) {
        let audit = key_audit::KeyAudit::new(self.env.table.clone());
        let mut env = self.env.clone();
        env.table = audit.clone();
        (env, audit)
    }

    pub fn fixtures(&self) -> Fixtures<'_> {
        Fixtures {
            table: self.table.as_ref(),
            clock: self.clock.as_ref(),
            issuer: &self.issuer,
        }
    }

    pub async fn mails(&self) -> Vec<Mail> {
        self.outbox.list().await.unwrap()
    }

    pub async fn last_mail_to(&self, to: &str) -> Mail {
        self.mails()
            .await
            .into_iter()
            .rev()
            .find(|m| m.to.as_str() == to)
            .unwrap_or_else(|| panic!("no mail to {to}"))
    }

    /// The token of the newest link mailed to `to`.
    pub async fn token_from_mail(&self, to: &str) -> String {
        token_in_link(&self.last_mail_to(to).await.text).expect("a link with a token")
    }

    /// Renews tokens the test's clock has expired (see [`Sessions`]).
    pub fn sessions(&self) -> Sessions {
        Sessions::new(&self.env)
    }
}

/// A mail provider that can be switched off, as SES can fail: while off, every send fails
/// and nothing reaches the folder.
pub struct SwitchableMailer {
    inner: OutboxMailer,
    on: AtomicBool,
}

impl SwitchableMailer {
    pub fn new(inner: OutboxMailer) -> Self {
        Self {
            inner,
            on: AtomicBool::new(true),
        }
    }

    pub fn switch(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Mailer for SwitchableMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        if self.on.load(Ordering::SeqCst) {
            self.inner.send(mail).await
        } else {
            Err(MailError::Send(Box::new(std::io::Error::other(
                "mail provider switched off",
            ))))
        }
    }
}

/// An answer as a user sees it: status, headers and the body (JSON, or text as a string).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    fn from_parts(status: StatusCode, headers: HeaderMap, bytes: &[u8]) -> Self {
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into()))
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The fields named in a problem's `errors`.
    pub fn problem_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Asserts an RFC 9457 problem with this status, naming `field` among its errors if given.
pub fn assert_problem(reply: &Reply, status: StatusCode, field: Option<&str>) {
    assert_eq!(reply.status, status, "status of {:?}", reply.body);
    assert_eq!(
        reply.content_type(),
        "application/problem+json",
        "content type of {:?}",
        reply.body
    );
    assert_eq!(reply.body["status"], status.as_u16(), "{:?}", reply.body);
    assert!(
        reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a problem explains itself: {:?}",
        reply.body
    );
    if let Some(field) = field {
        assert!(
            reply.problem_fields().iter().any(|f| f == field),
            "expected field {field} in {:?}",
            reply.body
        );
    }
}

/// Whether `value` stands in `text` as a value of its own (`N("1977")`, `"birth_year":1977`),
/// not as characters inside a timestamp's fraction, a UUID group, a card number or a hash's
/// base64, where any few digits turn up by chance. For asserting that personal data is not
/// stored or shown in clear.
pub fn holds_value_in_clear(text: &str, value: &str) -> bool {
    let part_of_a_longer_token = |c: char| c.is_ascii_alphanumeric() || "-.+/$".contains(c);
    text.match_indices(value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        !before.is_some_and(part_of_a_longer_token) && !after.is_some_and(part_of_a_longer_token)
    })
}

/// One client for any router: in process (`oneshot`) or over real HTTP.
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    sessions: Option<Sessions>,
}

#[derive(Clone)]
enum Transport {
    InProcess(Router),
    Http {
        base_url: String,
        http: reqwest::Client,
    },
}

/// Renews bearer tokens the clock has expired: a user who keeps working holds a fresh token
/// on the day the test's clock shows, as logging in again (or a refreshed session) gives.
#[derive(Clone)]
pub struct Sessions {
    verifier: Arc<JwtVerifier>,
    issuer: JwtIssuer,
    clock: SharedClock,
}

impl Sessions {
    pub fn new(env: &Env) -> Self {
        Self {
            verifier: env.verifier.clone(),
            issuer: env
                .issuer
                .clone()
                .expect("a test environment that signs tokens"),
            clock: env.clock.clone(),
        }
    }

    /// `token` while it is valid by the clock; once the clock passed its 15 minutes, the
    /// same claims issued anew at the clock's now.
    pub fn current(&self, token: &str) -> String {
        let now = self.clock.epoch();
        if self.verifier.verify(token, now).is_ok() {
            return token.to_owned();
        }
        // The claims as of their own issue time; the signature is checked all the same.
        let Ok(claims) = self.verifier.verify(token, i64::MIN) else {
            return token.to_owned(); // not one of ours: sent as the test wrote it
        };
        self.issuer
            .issue_scoped(
                &claims.sub,
                claims.role,
                claims.tenant,
                claims.platforms,
                claims.scope,
                now,
            )
            .unwrap()
    }
}

impl Client {
    pub fn in_process(router: Router) -> Self {
        Self {
            transport: Transport::InProcess(router),
            sessions: None,
        }
    }

    pub fn http(base_url: impl Into<String>) -> Self {
        Self {
            transport: Transport::Http {
                base_url: base_url.into(),
                http: reqwest::Client::new(),
            },
            sessions: None,
        }
    }

    /// This client with every bearer token renewed once the clock expired it (see
    /// [`Sessions`]): for tests that move the clock by days and go on as the same users.
    /// Tests of expiry itself use a client without.
    pub fn with_sessions(mut self, sessions: Sessions) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// A JSON request, with a bearer token if given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    /// Any request, as built by the test.
    pub async fn send(&self, mut req: Request<Body>) -> Reply {
        if let Some(sessions) = &self.sessions {
            renew_bearer(sessions, req.headers_mut());
        }
        match &self.transport {
            Transport::InProcess(router) => {
                let res = router.clone().oneshot(req).await.unwrap();
                let (parts, body) = res.into_parts();
                let bytes = body.collect().await.unwrap().to_bytes();
                Reply::from_parts(parts.status, parts.headers, &bytes)
            }
            Transport::Http { base_url, http } => {
                let (parts, body) = req.into_parts();
                let bytes = body.collect().await.unwrap().to_bytes();
                let url = format!("{base_url}{}", parts.uri);
                let res = http
                    .request(parts.method, url)
                    .headers(parts.headers)
                    .body(bytes)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let headers = res.headers().clone();
                let bytes = res.bytes().await.unwrap();
                Reply::from_parts(status, headers, &bytes)
            }
        }
    }
}

/// An account created by a fixture, with a valid bearer token.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub email: Email,
    pub token: String,
}

/// A confirmed partner with a bearer token.
#[derive(Debug, Clone)]
pub struct PartnerFixture {
    pub id: PartnerId,
    pub email: Email,
    pub token: String,
}

/// Creates accounts and records directly in a table, as registration would have left them.
pub struct Fixtures<'a> {
    pub table: &'a dyn Table,
    pub clock: &'a dyn Clock,
    pub issuer: &'a JwtIssuer,
}

/// Replaces an expired bearer token in `headers` by its renewal.
fn renew_bearer(sessions: &Sessions, headers: &mut HeaderMap) {
    let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return;
    };
    let renewed = sessions.current(token);
    if renewed != token {
        let value = format!("Bearer {renewed}").parse().unwrap();
        headers.insert(AUTHORIZATION, value);
    }
}

/// The fixture password's hash, computed once: argon2id is slow by design.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap())
        .clone()
}

impl Fixtures<'_> {
    fn login(
        &self,
        email: &Email,
        id: &AccountId,
        role: Role,
        platforms: Vec<PlatformId>,
    ) -> Login {
        Login {
            scope: Scope::Platform,
            login: LoginName::from_email(email),
            email: StoredEmail::login_name(email),
            account_id: id.clone(),
            role,
            password_hash: Some(password_hash()),
            confirmed: true,
            name: "Test".into(),
            platforms,
            created_at: self.clock.now(),
            generation: 0,
        }
    }

    /// A token as login issues it for this account.
    pub fn token_for(&self, login: &Login) -> String {
        self.issuer
            .issue_scoped(
                login.account_id.as_str(),
                login.role,
                login.tenant(),
                login.token_platforms(),
                login.scope.clone(),
                self.clock.epoch(),
            )
            .unwrap()
    }

    pub async fn operator(&self, email: &str) -> Account {
        let email = Email::parse(email).unwrap();
        let id = AccountId::generate();
        let login = self.login(&email, &id, Role::Operator, vec![]);
        self.table
            .put(login.to_item().unwrap(), Cond::NotExists)
            .await
            .unwrap();
        Account {
            token: self.token_for(&login),
            id,
            email,
        }
    }

    /// A partner who signed up, accepted the terms, confirmed the address and filled in the
    /// profile.
    pub async fn confirmed_partner(&self, email: &str) -> PartnerFixture {
        let email = Email::parse(email).unwrap();
        let id = PartnerId::generate();
        let now = self.clock.now();
        let login = self.login(&email, &AccountId::from(&id), Role::Partner, vec![]);
        let partner = Partner {
            partner_id: id.clone(),
            company: "Bäckerei Müller".into(),
            contact_name: "Anna Müller".into(),
            email: email.clone(),
            email_confirmed: true,
            phone: Some("+49 89 1234567".into()),
            address: Some(Address {
                street: "Marienplatz 1".into(),
                postal_code: "80331".into(),
                city: "München".into(),
                country: "DE".into(),
            }),
            vat_id: Some("DE123456789".into()),
            logo_key: None,
            logo_pending_key: None,
            mandate: None,
            terms_accepted_at: now,
            created_at: now,
            closed_at: None,
            disabled: None,
        };
        self.table
            .transact(vec![
                login.guard_put().unwrap(),
                crate::store::TxOp::Put {
                    item: crate::model::to_item(&partner_key(&id), &partner).unwrap(),
                    cond: Cond::NotExists,
                }
                .named("partner"),
            ])
            .await
            .unwrap();
        PartnerFixture {
            token: self.token_for(&login),
            id,
            email,
        }
    }

    pub async fn platform(&self, name: &str, fee: Cents) -> PlatformId {
        let platform = Platform {
            platform_id: PlatformId::generate(),
            name: name.into(),
            monthly_fee: fee,
            created_at: self.clock.now(),
            fee_changes: Vec::new(),
            revision: 0,
        };
        self.table
            .put(platform.to_item().unwrap(), Cond::NotExists)
            .await
            .unwrap();
        platform.platform_id
    }

    /// `partner`'s subscription to `platform` (named `platform_name`), approved on `on`, and
    /// its billable mark, as registration's approval writes them.
    pub async fn approve(
        &self,
        partner: &PartnerFixture,
        platform: &PlatformId,
        platform_name: &str,
        on: Date,
    ) {
        let app = Application {
            partner_id: partner.id.clone(),
            platform_id: platform.clone(),
            platform_name: platform_name.into(),
            company: "Bäckerei Müller".into(),
            contact_email: partner.email.clone(),
            status: ApplicationStatus::Approved,
            applied_at: self.clock.now(),
            decided_at: Some(self.clock.now()),
            approved_on: Some(on),
            rejection_reason: None,
            cancelled_at: None,
            ends_on: None,
            suspension: None,
            partner_disabled_at: None,
        };
        self.table
            .transact(vec![
                TxOp::Put {
                    item: app.to_item().unwrap(),
                    cond: Cond::NotExists,
                }
                .named("application"),
                billable::mark(&partner.id).named("billable"),
            ])
            .await
            .unwrap();
    }

    /// The SEPA mandate `partner` gave, as registration stores it.
    pub async fn give_mandate(&self, partner: &PartnerId, data_key: &DataKey) {
        let mandate = Mandate {
            account_holder: "Bäckerei Müller".into(),
            iban_sealed: data_key.seal("DE89370400440532013000"),
            iban_masked: "DE89 **** **** **** **30 00".into(),
            reference: format!("PN-{}", &partner.as_str()[..8]),
            signed_on: self.clock.today(),
        };
        self.table
            .update(
                &partner_key(partner),
                &[Update::Set(
                    PARTNER_MANDATE,
                    serde_json::to_value(&mandate).unwrap(),
                )],
                Cond::Exists,
            )
            .await
            .unwrap();
    }

    /// A manager who accepted the invitation to `platform`.
    pub async fn manager_of(&self, email: &str, platform: &PlatformId) -> Account {
        let email = Email::parse(email).unwrap();
        let id = AccountId::generate();
        let login = self.login(&email, &id, Role::Manager, vec![platform.clone()]);
        self.table
            .put(login.to_item().unwrap(), Cond::NotExists)
            .await
            .unwrap();
        Account {
            token: self.token_for(&login),
            id,
            email,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::holds_value_in_clear;

    #[test]
    fn a_value_in_clear_is_told_from_digits_inside_other_tokens() {
        assert!(holds_value_in_clear(r#"{"year": N("1977")}"#, "1977"));
        assert!(holds_value_in_clear(r#"{"birth_year":1977}"#, "1977"));
        assert!(holds_value_in_clear("PLZ 50667 Köln", "50667"));
        assert!(!holds_value_in_clear(
            r#"S("2026-11-24T17:32:26.197765801Z")"#,
            "1977"
        ));
        assert!(!holds_value_in_clear(r#"S("01a20e9d-1977-7726")"#, "1977"));
        assert!(!holds_value_in_clear("$argon2id$v=19$on5p+1977/x", "1977"));
        assert!(!holds_value_in_clear("6280119773050667", "50667"));
    }
}
