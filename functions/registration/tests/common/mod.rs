//! A registration router on the shared test kit: SQLite in memory, the folder mailer, an
//! embedded S3 and a clock the tests can move, driven in process.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::ops::Deref;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use shared::auth::Role;
use shared::store::{SqliteTable, Table};
use shared::testing::{Client, TestEnv};

pub use shared::testing::PASSWORD;

pub struct TestApp {
    pub kit: TestEnv,
    pub client: Client,
    pub table: Arc<SqliteTable>,
}

impl Deref for TestApp {
    type Target = TestEnv;
    fn deref(&self) -> &TestEnv {
        &self.kit
    }
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl TestApp {
    /// With the bucket's `Object Created` events of logo uploads delivered to the function,
    /// as deployed.
    pub async fn new() -> Self {
        let kit = TestEnv::new().await;
        let client = Client::in_process(registration::build(&kit.env));
        let table = kit.table.clone();
        let state = registration::AppState::new(&kit.env);
        kit.s3.on_object_created(Arc::new(move |object| {
            let state = state.clone();
            Box::pin(async move {
                if object.key.starts_with(registration::logo::UPLOAD_PREFIX) {
                    registration::logo::adopt(&state, &object.key)
                        .await
                        .unwrap();
                }
            })
        }));
        Self { kit, client, table }
    }

    pub async fn send(&self, req: Request<Body>) -> Response {
        let reply = self.client.send(req).await;
        Response {
            status: reply.status,
            body: reply.body,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Response {
        let reply = self.client.call(method, path, body, token).await;
        Response {
            status: reply.status,
            body: reply.body,
        }
    }

    pub fn token(&self, sub: &str, role: Role, tenant: Option<&str>, platforms: &[&str]) -> String {
        self.issuer
            .issue(
                sub,
                role,
                tenant.map(str::to_owned),
                platforms.iter().map(|p| p.to_string()).collect(),
                shared::clock::Clock::epoch(self.clock.as_ref()),
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
    shared::mail::token_in_link(text).expect("a link with a token")
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
