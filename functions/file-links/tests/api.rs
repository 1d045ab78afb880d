//! The file-links routes in process on the shared test kit, beside registration's, which
//! serves the customers' login and invitation accept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api {
    pub mod customers;
    pub mod folders;
    pub mod supplier;
}

use axum::http::StatusCode;
use serde_json::{Value, json};
use shared::testing::{Client, PartnerFixture, Reply, TestEnv};

pub const CUSTOMER_PASSWORD: &str = "kunden-passwort-1";

/// Both functions on one kit, as local-api serves them.
pub struct App {
    pub kit: TestEnv,
    pub client: Client,
}

impl App {
    pub async fn new() -> Self {
        let kit = TestEnv::new().await;
        let router =
            shared::http::finish(registration::api(&kit.env).merge(file_links::api(&kit.env)));
        Self {
            // Tests that move the clock by days keep their sessions.
            client: Client::in_process(router).with_sessions(kit.sessions()),
            kit,
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, token: &str) -> Reply {
        self.client.call(method, path, body, Some(token)).await
    }

    /// A confirmed partner that booked the account with `slug`.
    pub async fn supplier(&self, email: &str, slug: &str) -> PartnerFixture {
        let partner = self.kit.fixtures().confirmed_partner(email).await;
        let booked = self
            .call(
                "POST",
                "/file-links/account",
                Some(json!({"slug": slug})),
                &partner.token,
            )
            .await;
        assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
        partner
    }

    /// Adds a customer; returns its id.
    pub async fn add_customer(&self, supplier: &PartnerFixture, body: Value) -> String {
        let reply = self
            .call("POST", "/file-links/customers", Some(body), &supplier.token)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_string()
    }

    /// Accepts the newest invitation mailed to `email` with [`CUSTOMER_PASSWORD`].
    pub async fn accept_invitation(&self, email: &str) {
        let token = self.kit.token_from_mail(email).await;
        let accepted = self
            .client
            .call(
                "POST",
                "/auth/invitations/accept",
                Some(json!({"token": token, "password": CUSTOMER_PASSWORD})),
                None,
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    }

    /// A customer's login within its supplier's scope.
    pub async fn login(&self, login: &str, supplier: &PartnerFixture, password: &str) -> Reply {
        self.client
            .call(
                "POST",
                "/auth/login",
                Some(json!({
                    "login": login, "password": password,
                    "scope": "customer", "tenant": supplier.id.as_str()
                })),
                None,
            )
            .await
    }

    pub async fn customer_token(&self, login: &str, supplier: &PartnerFixture) -> String {
        let reply = self.login(login, supplier, CUSTOMER_PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_string()
    }
}

pub fn customer(email: &str) -> Value {
    json!({
        "first_name": "Karl", "last_name": "Kunde", "email": email,
        "folder_url": "https://cloud.example.de/s/Xy7aB2"
    })
}
