//! A registration router over SQLite (in memory), the outbox mailer and an embedded S3,
//! driven with `oneshot`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use registration::{AppState, Services};
use serde_json::Value;
use shared::auth::{JwtIssuer, JwtVerifier, Role, generate_ed25519_pems};
use shared::blobs::Blobs;
use shared::crypto::DataKey;
use shared::embedded_s3::EmbeddedS3;
use shared::mail::{Mail, OutboxMailer};
use shared::store::{SqliteTable, Table};
use tower::ServiceExt;

pub const PASSWORD: &str = "sehr-geheim-123";

pub struct TestApp {
    pub router: Router,
    pub table: Arc<SqliteTable>,
    pub outbox: OutboxMailer,
    pub issuer: JwtIssuer,
    pub s3: EmbeddedS3,
    dir: PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl TestApp {
    pub async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("pn-registration-{}", uuid_like()));
        let s3 = EmbeddedS3::start(&dir.join("s3"), "assets", "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let pems = generate_ed25519_pems().unwrap();
        let table = Arc::new(SqliteTable::in_memory().unwrap());
        let outbox = OutboxMailer::new(dir.join("outbox")).unwrap();
        let issuer = JwtIssuer::from_pem(&pems.private_pem).unwrap();
        let services = Services {
            table: table.clone(),
            blobs: Blobs::new(s3.client(), "assets"),
            mailer: Arc::new(outbox.clone()),
            issuer: issuer.clone(),
            verifier: Arc::new(JwtVerifier::from_pem(&pems.public_pem).unwrap()),
            data_key: DataKey::from_base64(&DataKey::generate_base64()).unwrap(),
            public_base_url: "https://partnernetz.de".into(),
        };
        Self {
            router: registration::router(AppState::new(services)),
            table,
            outbox,
            issuer,
            s3,
            dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Response { status, body }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Response {
        let mut req = Request::builder().method(method).uri(path);
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
        token_in(&self.last_mail_to(to).await.text)
    }

    pub fn token(&self, sub: &str, role: Role, tenant: Option<&str>, platforms: &[&str]) -> String {
        self.issuer
            .issue(
                sub,
                role,
                tenant.map(str::to_owned),
                platforms.iter().map(|p| p.to_string()).collect(),
                jiff::Timestamp::now().as_second(),
            )
            .unwrap()
    }

    pub fn operator_token(&self) -> String {
        self.token("op-1", Role::Operator, None, &[])
    }

    /// Registers and confirms a partner, and logs in: the partner's bearer token and id.
    pub async fn confirmed_partner(&self, email: &str) -> (String, String) {
        let r = self
            .call("POST", "/partners", Some(sign_up(email)), None)
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let token = self.token_from_mail(email).await;
        let r = self
            .call(
                "POST",
                "/partners/confirm",
                Some(serde_json::json!({"token": token})),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let jwt = self.login(email, PASSWORD).await;
        let me = self.call("GET", "/partners/me", None, Some(&jwt)).await;
        (jwt, me.body["id"].as_str().unwrap().to_string())
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .call(
                "POST",
                "/auth/login",
                Some(serde_json::json!({"email": email, "password": password})),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {email}: {:?}", r.body);
        r.body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn platform(&self, name: &str, fee: i64) -> String {
        let r = self
            .call(
                "POST",
                "/platforms",
                Some(serde_json::json!({"name": name, "monthly_fee_cents": fee})),
                Some(&self.operator_token()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    pub async fn add_mandate(&self, jwt: &str) {
        let r = self
            .call(
                "PUT",
                "/partners/me/sepa-mandate",
                Some(serde_json::json!({"account_holder": "Bäckerei Müller GmbH", "iban": "DE89 3704 0044 0532 0130 00"})),
                Some(jwt),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }

    /// The partner applies to a platform.
    pub async fn apply(&self, platform: &str, partner_jwt: &str) -> Response {
        self.call(
            "POST",
            &format!("/partners/me/platforms/{platform}"),
            None,
            Some(partner_jwt),
        )
        .await
    }

    /// A manager decides on a partner's application.
    pub async fn decide(
        &self,
        platform: &str,
        partner: &str,
        decision: Value,
        manager_jwt: &str,
    ) -> Response {
        let path = format!("/platforms/{platform}/applications/{partner}/decision");
        self.call("POST", &path, Some(decision), Some(manager_jwt))
            .await
    }

    pub fn table(&self) -> &dyn Table {
        self.table.as_ref()
    }
}

pub fn sign_up(email: &str) -> Value {
    serde_json::json!({
        "company": "Bäckerei Müller",
        "contact_name": "Anna Müller",
        "email": email,
        "password": PASSWORD,
        "accept_terms": true
    })
}

pub fn token_in(text: &str) -> String {
    registration::mails::token_in_link(text).expect("a link with a token")
}

fn uuid_like() -> String {
    shared::domain::new_id()
}

pub fn field_names(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}
