//! A referral from program to payout, over HTTP against DynamoDB Local and moto's SES:
//! registration, referrals, billing and the redirect served together on loopback, as
//! local-api does; the month's billing run in process.
//! The click's write units are read from DynamoDB's ReturnConsumedCapacity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use jiff::SignedDuration;
use redirect::{ClickSecret, RedirectState};
use referrals::dns::StaticDns;
use serde_json::{Value, json};
use shared::auth::{JwtIssuer, JwtVerifier, generate_ed25519_pems};
use shared::clock::{Clock, FixedClock};
use shared::crypto::DataKey;
use shared::domain::Cents;
use shared::embedded_s3::EmbeddedS3;
use shared::env::Env;
use shared::mail::SesMailer;
use shared::model::referrals::{ClickCount, link_clicks, sum_clicks};
use shared::store::{DynamoTable, Table};
use shared::testing::{Fixtures, PASSWORD, Sessions};
use tests::documents::{assert_xrechnung, download};
use tests::{SENDER, dynamodb_client, ses_client, token_mailed_to, unique_email};

const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const BINGBOT: &str = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";

struct Journey {
    base: String,
    http: reqwest::Client,
    table: Arc<DynamoTable>,
    table_name: String,
    clock: Arc<FixedClock>,
    issuer: JwtIssuer,
    /// Partners and end users go on working on the days the journey moves the clock to.
    sessions: Sessions,
    billing: Arc<billing::Billing>,
    queue: Arc<billing::LocalQueue>,
    server: tokio::task::JoinHandle<()>,
    /// The DNS the referrals function reads its partners' TXT records from.
    dns: Arc<StaticDns>,
    _s3: EmbeddedS3,
    dir: std::path::PathBuf,
}

impl Drop for Journey {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Answer {
    status: u16,
    body: Value,
    location: Option<String>,
}

impl Journey {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("pn-e2e-{}", shared::domain::new_id()));
        let s3 = EmbeddedS3::start(&dir.join("s3"), "assets", "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        tests::verify_sender().await;
        let ses = ses_client();
        let clock = Arc::new(FixedClock::at(shared::testing::START.parse().unwrap()));
        let table_name = format!("partnernetz-{}", shared::domain::new_id());
        let table = Arc::new(DynamoTable::new(
            dynamodb_client(),
            table_name.clone(),
            clock.clone(),
        ));
        table.create_table().await.unwrap();
        let pems = generate_ed25519_pems().unwrap();
        let issuer = JwtIssuer::from_pem(&pems.private_pem).unwrap();
        let env = Env {
            table: table.clone(),
            blobs: s3.blobs("assets").unwrap(),
            mailer: Arc::new(SesMailer::new(ses, SENDER)),
            clock: clock.clone(),
            verifier: Arc::new(JwtVerifier::from_pem(&pems.public_pem).unwrap()),
            issuer: Some(issuer.clone()),
            data_key: Some(DataKey::from_base64(&DataKey::generate_base64()).unwrap()),
            public_base_url: "https://partnernetz.de".into(),
        };
        let sessions = Sessions::new(&env);
        let dns = Arc::new(StaticDns::default());
        let redirect_state =
            RedirectState::new(table.clone(), clock.clone(), ClickSecret::new("e2e"));
        let queue = Arc::new(billing::LocalQueue::new());
        let billing = Arc::new(billing::Billing::new(
            &env,
            queue.clone(),
            billing::BillingConfig::local(),
        ));
        let app = shared::http::finish(
            registration::api(&env)
                .merge(referrals::api_with(&env, dns.clone()))
                .merge(billing::api_with(billing.clone()))
                .merge(redirect::api(redirect_state)),
        );
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            // The peer address is the visitor's, as API Gateway's source IP is in Lambda.
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            table,
            table_name,
            clock,
            issuer,
            sessions,
            billing,
            queue,
            server,
            dns,
            _s3: s3,
            dir,
        }
    }

    /// The nightly referral run of the clock's day.
    async fn nightly(&self) -> referrals::daily::Summary {
        referrals::daily::run(
            self.table.as_ref(),
            self.clock.now(),
            self.clock.today(),
            &mut |_, _| {},
        )
        .await
        .unwrap()
    }

    /// The wallet's cash: pending, confirmed (waiting for the partner's invoice), payable.
    async fn cash(&self, token: &str) -> (i64, i64, i64) {
        let w = self.call("GET", "/me/wallet", None, Some(token)).await.body;
        let ledger: i64 = w["ledger"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["cash_cents"].as_i64().unwrap())
            .sum();
        let payable = w["payable_cents"].as_i64().unwrap();
        assert_eq!(
            payable, ledger,
            "the payable balance is the ledger's sum: {w}"
        );
        (
            w["pending_cents"].as_i64().unwrap(),
            w["confirmed_cents"].as_i64().unwrap(),
            payable,
        )
    }

    fn fixtures(&self) -> Fixtures<'_> {
        Fixtures {
            table: self.table.as_ref(),
            clock: self.clock.as_ref(),
            issuer: &self.issuer,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        let text = res.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            location,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(self.sessions.current(t));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    async fn convert(&self, key: &str, body: Value) -> Answer {
        self.send(
            self.http
                .post(format!("{}/conversions", self.base))
                .header("x-api-key", key)
                .json(&body),
        )
        .await
    }

    async fn visit(&self, method: &str, code: &str, ua: &str) -> Answer {
        self.send(
            self.http
                .request(method.parse().unwrap(), format!("{}/r/{code}", self.base))
                .header("user-agent", ua),
        )
        .await
    }

    async fn clicks(&self, code: &str) -> ClickCount {
        let items = self
            .table
            .query_all(link_clicks(
                code,
                jiff::civil::Date::constant(2000, 1, 1),
                jiff::civil::Date::constant(2100, 1, 1),
            ))
            .await
            .unwrap();
        sum_clicks(&items)
    }

    fn written(&self) -> f64 {
        self.table.consumed_write_capacity()
    }
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn from_program_and_click_to_a_reward_billed_to_the_partner_then_payable_then_paid_out() {
    let j = Journey::start().await;
    let partner = j.fixtures().confirmed_partner(&unique_email("anna")).await;
    let operator = j.fixtures().operator(&unique_email("olga")).await;
    let platform = j.fixtures().platform("Sparkasse E2E", Cents(4900)).await;

    // The partner lists its domain, creates a program and an API key.
    let r = j
        .call(
            "PUT",
            "/partners/me/referral-domains",
            Some(json!({"domains": ["baeckerei-mueller.de"]})),
            Some(&partner.token),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r_domains = r.body.clone();
    let program_body = json!({
        "name": "Freunde werben Freunde",
        "landing_url": "https://shop.baeckerei-mueller.de/aktion?utm_source=empfehlung",
        "rewards": [{"event": "purchase", "reward": {"kind": "percent", "basis_points": 1000}}],
        "recurring_months": 1,
        "attribution_days": 30, "attribution": "first", "hold_days": 14,
        "monthly_budget_cents": 50000
    });
    let create = || {
        j.call(
            "POST",
            "/programs",
            Some(program_body.clone()),
            Some(&partner.token),
        )
    };

    // Links go only to a domain the partner proved in DNS, and only an approved partner
    // billed by direct debit may prove one.
    let r = create().await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let domain = r_domains["domains"][0].clone();
    j.dns.add(
        domain["txt_name"].as_str().unwrap(),
        domain["txt_value"].as_str().unwrap(),
    );
    let verify = || {
        j.call(
            "POST",
            "/partners/me/referral-domains/baeckerei-mueller.de/verification",
            None,
            Some(&partner.token),
        )
    };
    let r = verify().await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("Lastschriftmandat")
    );
    let r = j
        .call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(json!({"account_holder": "Bäckerei Müller GmbH", "iban": "DE89 3704 0044 0532 0130 00"})),
            Some(&partner.token),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = verify().await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("Plattform"));
    let r = j
        .call(
            "POST",
            &format!("/partners/me/platforms/{platform}"),
            None,
            Some(&partner.token),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let manager = j
        .fixtures()
        .manager_of(&unique_email("max"), &platform)
        .await;
    let r = j
        .call(
            "POST",
            &format!("/platforms/{platform}/applications/{}/decision", partner.id),
            Some(json!({"decision": "approve"})),
            Some(&manager.token),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = verify().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = create().await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let program = r.body["program_id"].as_str().unwrap().to_string();
    let r = j
        .call(
            "POST",
            "/partners/me/api-keys",
            Some(json!({"label": "Shop"})),
            Some(&partner.token),
        )
        .await;
    let key = r.body["key"].as_str().unwrap().to_string();

    // An end user signs up, sets the password from the SES mail, logs in and joins.
    let email = unique_email("erika");
    let r = j
        .call(
            "POST",
            &format!("/platforms/{platform}/endusers"),
            Some(json!({"email": email, "name": "Erika Mustermann", "accept_terms": true})),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let token = token_mailed_to(&email).await;
    let r = j
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = j
        .call("POST", "/auth/login", Some(json!({"login": email, "password": PASSWORD, "scope": "enduser", "tenant": platform.as_str()})), None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let erika = r.body["access_token"].as_str().unwrap().to_string();
    let r = j
        .call(
            "POST",
            "/me/referrals",
            Some(json!({"program_id": program})),
            Some(&erika),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let code = r.body["code"].as_str().unwrap().to_string();

    // A browser's click: 302 to the landing page with its query and the click id; at most 2
    // write units. The same visitor within the hour: counted once.
    let before = j.written();
    let click = j.visit("GET", &code, CHROME).await;
    let counted_cost = j.written() - before;
    assert_eq!(click.status, 302);
    let to = url::Url::parse(click.location.as_deref().unwrap()).unwrap();
    assert_eq!(to.host_str(), Some("shop.baeckerei-mueller.de"));
    let query: Vec<(String, String)> = to.query_pairs().into_owned().collect();
    assert_eq!(query[0], ("utm_source".into(), "empfehlung".into()));
    let click_id = query[1].1.clone();
    assert!(
        counted_cost > 0.0 && counted_cost <= 2.0,
        "a counted click cost {counted_cost} WCU"
    );
    // The same visitor again within the hour, on the instance that counted the first click:
    // known there, so not even the failed conditional write is spent.
    let before = j.written();
    assert_eq!(j.visit("GET", &code, CHROME).await.status, 302);
    assert_eq!(j.written() - before, 0.0, "a repeated click writes nothing");
    // A crawler and a link preview's HEAD: redirected, not counted, no write at all.
    let before = j.written();
    assert_eq!(j.visit("GET", &code, BINGBOT).await.status, 302);
    assert_eq!(j.visit("HEAD", &code, CHROME).await.status, 302);
    assert_eq!(j.written() - before, 0.0, "bots and HEADs write nothing");
    assert_eq!(
        j.clicks(&code).await,
        ClickCount {
            clicks: 1,
            unique: 1
        }
    );
    j.clock.advance(SignedDuration::from_mins(61));
    j.visit("GET", &code, CHROME).await;
    assert_eq!(
        j.clicks(&code).await,
        ClickCount {
            clicks: 2,
            unique: 1
        }
    );
    // A crafted code is the German page, never another target.
    let crafted = j.visit("GET", "https%3A%2F%2Fevil.example", CHROME).await;
    assert_eq!(crafted.status, 404);
    assert!(crafted.location.is_none());

    // The purchase, reported twice: one reward. A self-referral is refused.
    let purchase = json!({"click_id": click_id, "event": "purchase", "external_id": "B-1", "amount_cents": 20000, "customer": "kunde-1"});
    let first = j.convert(&key, purchase.clone()).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let again = j.convert(&key, purchase).await;
    assert_eq!((again.status, &again.body), (200, &first.body));
    let own = j
        .convert(&key, json!({"code": code, "event": "purchase", "external_id": "B-self", "amount_cents": 1000, "customer": email}))
        .await;
    assert_eq!(own.status, 422);

    // The nightly run confirms after the hold: confirmed, but nothing can be paid out before
    // the partner's invoice bills it.
    assert_eq!(j.cash(&erika).await, (2000, 0, 0));
    j.clock.advance(SignedDuration::from_hours(24 * 14));
    assert_eq!(j.nightly().await.confirmed, 1);
    assert_eq!(j.cash(&erika).await, (0, 2000, 0));
    let payout = |cents: i64| {
        j.call("POST", "/me/payouts", Some(json!({"amount_cents": cents, "iban": "DE89370400440532013000", "account_holder": "Erika Mustermann"})), Some(&erika))
    };
    assert_eq!(payout(1500).await.status, 422);
    assert_eq!(j.nightly().await.released, 0);

    // The December run bills the reward to the partner on its own line, at 19 % VAT.
    j.clock.set("2026-12-01T01:00:00Z".parse().unwrap());
    let run = billing::runner::run_in_process(
        &j.billing,
        &j.queue,
        "2026-12".parse().unwrap(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(run.run.invoices, 1, "{run:?}");
    let invoices = j
        .call("GET", "/partners/me/invoices", None, Some(&partner.token))
        .await;
    assert_eq!(invoices.status, 200, "{:?}", invoices.body);
    let invoice = &invoices.body["invoices"][0];
    let line = invoice["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["product"] == "referral_rewards")
        .expect("a line of referral rewards")
        .clone();
    assert_eq!(
        line["description"],
        "Empfehlungsprämien November 2026: 1 bestätigte Prämie"
    );
    assert_eq!(line["net_cents"], 2000);
    assert_eq!(invoice["totals"]["vat_percent"], 19);
    let xml = download(&j.http, &invoice["xml_url"]).await;
    assert_xrechnung(&xml, "UBL-Invoice-2.1.xsd");
    // Billed: the next night makes it payable, once.
    assert_eq!(j.cash(&erika).await, (0, 2000, 0));
    j.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(j.nightly().await.released, 1);
    assert_eq!(j.nightly().await.released, 0);
    assert_eq!(j.cash(&erika).await, (0, 0, 2000));

    // Recurring for one month: a purchase after it earns nothing.
    j.clock.advance(SignedDuration::from_hours(24 * 20));
    let late = j
        .convert(&key, json!({"code": code, "event": "purchase", "external_id": "B-2", "amount_cents": 20000, "customer": "kunde-1"}))
        .await;
    assert_eq!(late.body["reward_status"], "none", "{:?}", late.body);

    // A payout above the payable balance is refused; the rest is paid out by the operator.
    // A refund after the invoice cannot take the billed reward back.
    assert_eq!(payout(2001).await.status, 422);
    assert_eq!(payout(1500).await.status, 201);
    let r = j
        .send(
            j.http
                .post(format!("{}/conversions/B-1/reversal", j.base))
                .header("x-api-key", &key),
        )
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(j.cash(&erika).await, (0, 0, 500));
    let open = j.call("GET", "/payouts", None, Some(&operator.token)).await;
    let payouts = open.body["payouts"].as_array().unwrap().clone();
    assert_eq!(payouts.len(), 1);
    assert_eq!(payouts[0]["amount_cents"], 1500);
    let id = payouts[0]["payout_id"].as_str().unwrap();
    let paid = j
        .call(
            "POST",
            &format!("/payouts/{id}/paid"),
            None,
            Some(&operator.token),
        )
        .await;
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    assert_eq!(paid.body["status"], "paid");
    let open = j.call("GET", "/payouts", None, Some(&operator.token)).await;
    assert_eq!(open.body["payouts"], json!([]));

    // The end user sees the payout paid, the IBAN masked; the platform lists the program.
    let mine = j.call("GET", "/me/payouts", None, Some(&erika)).await;
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    assert_eq!(mine.body["payouts"][0]["status"], "paid");
    assert_eq!(mine.body["payouts"][0]["amount_cents"], 1500);
    assert!(
        mine.body["payouts"][0]["iban"]
            .as_str()
            .unwrap()
            .contains('•')
    );
    let offered = j
        .call(
            "GET",
            &format!("/platforms/{platform}/programs"),
            None,
            None,
        )
        .await;
    assert_eq!(offered.status, 200, "{:?}", offered.body);
    assert_eq!(offered.body["programs"][0]["program_id"], json!(program));

    // Deleting the account: the 5,00 € left lapse only when the request says so; then the
    // token, the login and the link end.
    let refused = j
        .call("DELETE", "/me", Some(json!({"email": email})), Some(&erika))
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "forfeit_cash");
    let deleted = j
        .call(
            "DELETE",
            "/me",
            Some(json!({"email": email, "forfeit_cash": true})),
            Some(&erika),
        )
        .await;
    assert_eq!(deleted.status, 204, "{:?}", deleted.body);
    assert_eq!(
        j.call("GET", "/me/wallet", None, Some(&erika)).await.status,
        401
    );
    let login = j
        .call("POST", "/auth/login", Some(json!({"login": email, "password": PASSWORD, "scope": "enduser", "tenant": platform.as_str()})), None)
        .await;
    assert_eq!(login.status, 401, "{:?}", login.body);
    assert_eq!(j.visit("GET", &code, CHROME).await.status, 404);

    // The table holds no raw IP address (the loopback peer) and no plain IBAN.
    let raw = format!("{:?}", scan(&j).await);
    assert!(!raw.contains("127.0.0.1"), "no IP address is stored");
    assert!(
        !raw.contains("DE89370400440532013000"),
        "no plain IBAN is stored"
    );
}

/// Every item of the journey's own table (a fresh table per test, so a scan is fine here).
async fn scan(j: &Journey) -> Vec<String> {
    let page = dynamodb_client()
        .scan()
        .table_name(&j.table_name)
        .send()
        .await
        .unwrap();
    page.items()
        .iter()
        .map(|item| format!("{item:?}"))
        .collect()
}
