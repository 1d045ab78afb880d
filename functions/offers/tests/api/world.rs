//! Two bank platforms A and B with their managers, an operator, and partners, on the shared
//! test kit (SQLite in memory, folder mailer, embedded S3 verifying SigV4, fixed clock).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::civil::Date;
use serde_json::{Value, json};
use shared::auth::Role;
use shared::domain::{Cents, Email, PartnerId, PlatformId};
use shared::model::subscriptions::{Application, ApplicationStatus};
use shared::store::{Cond, Table};
use shared::testing::{Account, Client, PartnerFixture, Reply, TestEnv};
use tower::ServiceExt;

/// The smallest valid PNG header a sniffer accepts, padded to a small file.
pub fn png_bytes() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(2048, 7);
    bytes
}

pub struct World {
    pub kit: TestEnv,
    pub client: Client,
    pub operator: Account,
    pub pa: PlatformId,
    pub pb: PlatformId,
    pub manager_a: Account,
    pub manager_b: Account,
    pub partner: PartnerFixture,
    pub other: PartnerFixture,
}

impl World {
    pub async fn new() -> Self {
        let kit = TestEnv::new().await;
        let client = Client::in_process(offers::build(&kit.env));
        let f = kit.fixtures();
        let operator = f.operator("olga@betreiber.de").await;
        let pa = f.platform("Sparkasse A", Cents(4900)).await;
        let pb = f.platform("Volksbank B", Cents(3900)).await;
        let manager_a = f.manager_of("max@sparkasse-a.de", &pa).await;
        let manager_b = f.manager_of("mia@volksbank-b.de", &pb).await;
        let partner = f.confirmed_partner("anna@baeckerei.de").await;
        let other = f.confirmed_partner("bert@metzgerei.de").await;
        Self {
            kit,
            client,
            operator,
            pa,
            pb,
            manager_a,
            manager_b,
            partner,
            other,
        }
    }

    pub fn today(&self) -> Date {
        shared::clock::Clock::today(self.kit.clock.as_ref())
    }

    /// Writes the partner's subscription to `platform` as registration leaves it.
    pub async fn subscribe(
        &self,
        partner: &PartnerId,
        platform: &PlatformId,
        status: ApplicationStatus,
        ends_on: Option<Date>,
    ) {
        let now = shared::clock::Clock::now(self.kit.clock.as_ref());
        let app = Application {
            partner_id: partner.clone(),
            platform_id: platform.clone(),
            platform_name: "Plattform".into(),
            company: "Bäckerei Müller".into(),
            contact_email: Email::parse("anna@baeckerei.de").unwrap(),
            status,
            applied_at: now,
            decided_at: Some(now),
            approved_on: Some(self.today()),
            rejection_reason: None,
            cancelled_at: None,
            ends_on,
            suspension: None,
            partner_disabled_at: None,
        };
        self.kit
            .table
            .put(app.to_item().unwrap(), Cond::Always)
            .await
            .unwrap();
    }

    pub async fn approve_on(&self, partner: &PartnerId, platform: &PlatformId) {
        self.subscribe(partner, platform, ApplicationStatus::Approved, None)
            .await;
    }

    pub fn offer_body(&self, platforms: &[&PlatformId]) -> Value {
        let today = self.today();
        json!({
            "title": "15 % auf alle Torten",
            "teaser": "Für alle Kundinnen und Kunden",
            "description": "Zeigen Sie den Gutschein an der Theke.\nNicht mit anderen Aktionen kombinierbar.",
            "benefit": {"kind": "percent", "value": 15},
            "online": {"shop_url": "https://shop.baeckerei.de", "discount_code": "TORTE15"},
            "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "TORTE15"},
            "valid_from": today.to_string(),
            "valid_to": today.checked_add(jiff::Span::new().days(60)).unwrap().to_string(),
            "categories": ["essen"],
            "platforms": platforms.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        })
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        self.client.call(method, path, body, token).await
    }

    /// Creates an offer for `who` on `platforms`; returns its id.
    pub async fn create_offer(&self, who: &PartnerFixture, platforms: &[&PlatformId]) -> String {
        let reply = self
            .call(
                "POST",
                "/offers",
                Some(self.offer_body(platforms)),
                Some(&who.token),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["offer_id"].as_str().unwrap().to_string()
    }

    /// Presigns an image and uploads `bytes` with exactly the signed request.
    pub async fn upload(
        &self,
        who: &PartnerFixture,
        offer: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> (Value, reqwest::StatusCode) {
        let reply = self
            .call(
                "POST",
                &format!("/offers/{offer}/images"),
                Some(json!({"content_type": content_type, "size_bytes": bytes.len()})),
                Some(&who.token),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let status = put_upload(&reply.body["upload"], bytes).await;
        (reply.body["image"].clone(), status)
    }

    pub async fn submit(&self, who: &PartnerFixture, offer: &str) -> Reply {
        self.call(
            "POST",
            &format!("/offers/{offer}/submit"),
            None,
            Some(&who.token),
        )
        .await
    }

    pub async fn decide(
        &self,
        manager: &Account,
        platform: &PlatformId,
        offer: &str,
        body: Value,
    ) -> Reply {
        self.call(
            "POST",
            &format!("/platforms/{platform}/reviews/{offer}/decision"),
            Some(body),
            Some(&manager.token),
        )
        .await
    }

    pub async fn approve(&self, manager: &Account, platform: &PlatformId, offer: &str) {
        let reply = self
            .decide(
                manager,
                platform,
                offer,
                json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    /// A published offer of `who` on platform A (created, submitted, approved).
    pub async fn published_on_a(&self, who: &PartnerFixture) -> String {
        self.approve_on(&who.id, &self.pa).await;
        let offer = self.create_offer(who, &[&self.pa]).await;
        let reply = self.submit(who, &offer).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        self.approve(&self.manager_a, &self.pa, &offer).await;
        offer
    }

    /// `revision_pending` of the partner's newest offer on its first platform, as their list
    /// shows it.
    pub async fn revision_pending_in_list(&self) -> Value {
        let mine = self
            .call(
                "GET",
                "/partners/me/offers",
                None,
                Some(&self.partner.token),
            )
            .await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        mine.body["offers"][0]["platforms"][0]["revision_pending"].clone()
    }

    /// The offer ids of a feed page, in order.
    pub async fn feed(&self, platform: &PlatformId) -> Vec<String> {
        let reply = self
            .call("GET", &format!("/platforms/{platform}/offers"), None, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        ids(&reply.body["offers"])
    }

    pub fn token(&self, role: Role, sub: &str, tenant: Option<&str>, platforms: &[&str]) -> String {
        self.kit
            .issuer
            .issue(
                sub,
                role,
                tenant.map(str::to_owned),
                platforms.iter().map(|p| p.to_string()).collect(),
                shared::clock::Clock::epoch(self.kit.clock.as_ref()),
            )
            .unwrap()
    }

    /// A raw GET returning the status and the body's bytes (for the PDF).
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let router = offers::build(&self.kit.env);
        let res = router
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, ct, bytes)
    }
}

pub fn ids(offers: &Value) -> Vec<String> {
    offers
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["offer_id"].as_str().unwrap().to_string())
        .collect()
}

/// Sends a presigned upload as a browser would: the signed method, URL and headers.
pub async fn put_upload(upload: &Value, bytes: Vec<u8>) -> reqwest::StatusCode {
    let mut req = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        if name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        req = req.header(name, value.as_str().unwrap());
    }
    req.body(bytes).send().await.unwrap().status()
}
