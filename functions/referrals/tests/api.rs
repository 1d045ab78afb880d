//! Referrals as partners, end users and the operator meet it, with the redirect and
//! registration (invitation accept, login) on the same table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use jiff::SignedDuration;
use redirect::{ClickSecret, RedirectState};
use referrals::dns::StaticDns;
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::domain::{Cents, PlatformId};
use shared::testing::{Account, Client, PASSWORD, PartnerFixture, Reply, TestEnv, assert_problem};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

struct World {
    kit: TestEnv,
    /// The DNS the verification reads: tests put the partners' TXT records here.
    dns: Arc<StaticDns>,
    api: Client,
    redirect: Client,
    partner: PartnerFixture,
    operator: Account,
    platform: PlatformId,
    api_key: String,
    /// Every key the referrals routes reached (registration's are its own).
    audit: Arc<shared::testing::key_audit::KeyAudit>,
}

/// Puts the first listed domain's TXT record (as the answer of `PUT
/// /partners/me/referral-domains` names it) into DNS and asks for the verification.
async fn publish_and_verify(api: &Client, dns: &StaticDns, listed: &Value, token: &str) -> Reply {
    let domain = &listed["domains"][0];
    dns.add(
        domain["txt_name"].as_str().unwrap(),
        domain["txt_value"].as_str().unwrap(),
    );
    api.call(
        "POST",
        &format!(
            "/partners/me/referral-domains/{}/verification",
            domain["domain"].as_str().unwrap()
        ),
        None,
        Some(token),
    )
    .await
}

impl World {
    async fn new() -> Self {
        let kit = TestEnv::new().await;
        let dns = Arc::new(StaticDns::default());
        // Partners and end users go on working on the days the tests move the clock to.
        let (audited, audit) = kit.audited();
        let api = Client::in_process(shared::http::finish(
            referrals::api_with(&audited, dns.clone()).merge(registration::api(&kit.env)),
        ))
        .with_sessions(kit.sessions());
        let redirect = Client::in_process(redirect::build(RedirectState::new(
            kit.table.clone(),
            kit.clock.clone(),
            ClickSecret::new("test"),
        )));
        let fixtures = kit.fixtures();
        let partner = fixtures
            .confirmed_partner("anna@baeckerei-mueller.de")
            .await;
        let operator = fixtures.operator("olga@betreiber.de").await;
        let platform = fixtures
            .platform("Sparkasse Musterstadt", Cents(4900))
            .await;
        // Programs run for a partner billed by direct debit and approved on a platform.
        fixtures
            .give_mandate(&partner.id, kit.env.data_key().unwrap())
            .await;
        fixtures
            .approve(
                &partner,
                &platform,
                "Sparkasse Musterstadt",
                kit.clock.today(),
            )
            .await;
        let domains = api
            .call(
                "PUT",
                "/partners/me/referral-domains",
                Some(json!({"domains": ["baeckerei-mueller.de"]})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(domains.status, StatusCode::OK, "{:?}", domains.body);
        let verified = publish_and_verify(&api, &dns, &domains.body, &partner.token).await;
        assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
        let key = api
            .call(
                "POST",
                "/partners/me/api-keys",
                Some(json!({"label": "Shop"})),
                Some(&partner.token),
            )
            .await;
        assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
        let api_key = key.body["key"].as_str().unwrap().to_string();
        Self {
            kit,
            dns,
            api,
            redirect,
            partner,
            operator,
            platform,
            api_key,
            audit,
        }
    }

    async fn program(&self, extra: Value) -> String {
        let mut body = json!({
            "name": "Freunde werben Freunde",
            "landing_url": "https://shop.baeckerei-mueller.de/aktion?utm_source=empfehlung",
            "rewards": [
                {"event": "signup", "reward": {"kind": "fixed", "amount_cents": 500}},
                {"event": "purchase", "reward": {"kind": "percent", "basis_points": 1000}},
                {"event": "newsletter", "reward": {"kind": "points", "points": 300}}
            ],
            "attribution_days": 30,
            "attribution": "first",
            "hold_days": 14,
            "monthly_budget_cents": 50000,
            "voucher_rate": {"points": 500, "value_cents": 500}
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = self
            .api
            .call("POST", "/programs", Some(body), Some(&self.partner.token))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        reply.body["program_id"].as_str().unwrap().to_string()
    }

    /// Signs up through the API, accepts the mailed invitation and logs in.
    async fn end_user(&self, email: &str) -> String {
        let signup = self
            .api
            .call(
                "POST",
                &format!("/platforms/{}/endusers", self.platform),
                Some(json!({"email": email, "name": "Erika Mustermann", "accept_terms": true})),
                None,
            )
            .await;
        assert_eq!(signup.status, StatusCode::ACCEPTED, "{:?}", signup.body);
        let token = self.kit.token_from_mail(email).await;
        let accepted = self
            .api
            .call(
                "POST",
                "/auth/invitations/accept",
                Some(json!({"token": token, "password": PASSWORD})),
                None,
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
        let login = self
            .api
            .call(
                "POST",
                "/auth/login",
                Some(json!({"login": email, "password": PASSWORD, "scope": "enduser", "tenant": self.platform.as_str()})),
                None,
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
        login.body["access_token"].as_str().unwrap().to_string()
    }

    async fn join(&self, token: &str, program: &str) -> Value {
        let reply = self
            .api
            .call(
                "POST",
                "/me/referrals",
                Some(json!({"program_id": program})),
                Some(token),
            )
            .await;
        assert!(reply.status.is_success(), "{:?}", reply.body);
        reply.body
    }

    /// Follows a link as a browser; returns the click id.
    async fn click(&self, code: &str, ip: &str) -> String {
        let req = Request::builder()
            .uri(format!("/r/{code}"))
            .header("user-agent", CHROME)
            .header("x-forwarded-for", ip)
            .body(Body::empty())
            .unwrap();
        let reply = self.redirect.send(req).await;
        assert_eq!(reply.status, StatusCode::FOUND);
        let to = url::Url::parse(reply.headers["location"].to_str().unwrap()).unwrap();
        to.query_pairs()
            .find(|(k, _)| k == "pn_click")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    async fn convert(&self, body: Value) -> Reply {
        let req = Request::builder()
            .method("POST")
            .uri("/conversions")
            .header("content-type", "application/json")
            .header("x-api-key", &self.api_key)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.api.send(req).await
    }

    async fn reverse(&self, external_id: &str) -> Reply {
        let req = Request::builder()
            .method("POST")
            .uri(format!("/conversions/{external_id}/reversal"))
            .header("x-api-key", &self.api_key)
            .body(Body::empty())
            .unwrap();
        self.api.send(req).await
    }

    async fn daily(&self) -> referrals::daily::Summary {
        use shared::clock::Clock;
        referrals::daily::run(
            self.kit.table.as_ref(),
            self.kit.clock.now(),
            self.kit.clock.today(),
            &mut |_, _| {},
        )
        .await
        .unwrap()
    }

    /// Erika in a program without hold, with 600 points confirmed (two newsletters): enough
    /// for one voucher at the rate of 500.
    async fn points_for_a_voucher(&self) -> (String, String) {
        let program = self.program(json!({"hold_days": 0})).await;
        let erika = self.end_user("erika@example.de").await;
        let code = self.join(&erika, &program).await["code"]
            .as_str()
            .unwrap()
            .to_string();
        for id in ["N-1", "N-2"] {
            self.convert(json!({"code": code, "event": "newsletter", "external_id": id}))
                .await;
        }
        self.daily().await;
        (erika, program)
    }

    /// What the partner's monthly invoice does to its reward months (billing's invoice
    /// transaction marks each month it bills, `shared::model::rewards::mark_billed`), then
    /// the nightly run that makes their rewards payable.
    async fn invoice_rewards(&self) -> referrals::daily::Summary {
        use shared::model::rewards::{REWARD_MONTH_PREFIX, RewardMonth, mark_billed};
        use shared::store::{Index, Query, SkCond, Table};
        let months = self
            .kit
            .table
            .query_all(
                Query::partition(Index::Primary, format!("PARTNER#{}", self.partner.id))
                    .sk(SkCond::BeginsWith(REWARD_MONTH_PREFIX.into())),
            )
            .await
            .unwrap();
        for item in months {
            let month: RewardMonth = shared::model::from_item(item).unwrap();
            if !month.is_billed() {
                self.kit
                    .table
                    .transact(vec![
                        mark_billed(&month, "2026-000001", self.kit.clock.today())
                            .named("reward_month"),
                    ])
                    .await
                    .unwrap();
            }
        }
        self.daily().await
    }

    async fn wallet(&self, token: &str) -> Value {
        let reply = self.api.call("GET", "/me/wallet", None, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let w = reply.body;
        // The payable balance always equals the ledger's sum.
        let sum: i64 = w["ledger"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["cash_cents"].as_i64().unwrap())
            .sum();
        assert_eq!(w["payable_cents"].as_i64().unwrap(), sum, "{w}");
        w
    }
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

#[tokio::test]
async fn a_purchase_through_a_click_pays_the_referrer_after_the_hold() {
    let w = World::new().await;
    let program = w.program(json!({})).await;
    let erika = w.end_user("erika@example.de").await;
    let link = w.join(&erika, &program).await;
    let code = link["code"].as_str().unwrap();
    assert!(
        link["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/r/{code}"))
    );
    // Joining again gives the same link.
    assert_eq!(w.join(&erika, &program).await["code"], link["code"]);

    let click = w.click(code, "203.0.113.7").await;
    let purchase = json!({"click_id": click, "event": "purchase", "external_id": "B-4711", "amount_cents": 12999, "customer": "kunde-1"});
    let first = w.convert(purchase.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["reward_status"], "pending");
    assert_eq!(first.body["reward"]["amount_cents"], 1300); // 10 % of 129,99 half up
    // Reported twice: the same answer, one reward.
    let again = w.convert(purchase.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    let mut other = purchase.clone();
    other["amount_cents"] = json!(5000);
    assert_problem(
        &w.convert(other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    );

    let mine = w.api.call("GET", "/me/referrals", None, Some(&erika)).await;
    let l = &mine.body["links"][0];
    assert_eq!(
        (l["clicks"].as_i64(), l["rewards"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(l["pending_cents"], 1300);
    let cash = |w: &Value| {
        (
            w["pending_cents"].as_i64().unwrap(),
            w["confirmed_cents"].as_i64().unwrap(),
            w["payable_cents"].as_i64().unwrap(),
        )
    };
    assert_eq!(cash(&w.wallet(&erika).await), (1300, 0, 0));

    // Nothing before the hold ends; on the 14th day the reward is confirmed, once.
    w.kit.clock.advance(days(13));
    assert_eq!(w.daily().await.confirmed, 0);
    assert_eq!(cash(&w.wallet(&erika).await), (1300, 0, 0));
    w.kit.clock.advance(days(1));
    assert_eq!(w.daily().await.confirmed, 1);
    assert_eq!(w.daily().await.due, 0);
    // Confirmed, but not payable until the partner's invoice bills it.
    assert_eq!(cash(&w.wallet(&erika).await), (0, 1300, 0));
    assert_eq!(w.daily().await.released, 0);
    assert_eq!(w.invoice_rewards().await.released, 1);
    let wallet = w.wallet(&erika).await;
    assert_eq!(cash(&wallet), (0, 0, 1300));
    assert_eq!(wallet["ledger"][0]["kind"], "reward");
    // Released once.
    assert_eq!(w.invoice_rewards().await.released, 0);

    let stats = w
        .api
        .call(
            "GET",
            &format!("/programs/{program}/statistics?from=2000-01-01&to=2000-03-01"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    let stats = w
        .api
        .call(
            "GET",
            &format!("/programs/{program}/statistics"),
            None,
            Some(&w.partner.token),
        )
        .await;
    let total = &stats.body["total"];
    assert_eq!(total["clicks"], 1);
    assert_eq!(total["conversions"], 1);
    assert_eq!(total["rewards_confirmed"], 1);
    assert_eq!(total["commission_cents"], 1300);
    assert!(!stats.body.to_string().contains("erika"), "aggregates only");
}

#[tokio::test]
async fn a_reversal_after_confirmation_leaves_the_wallet_exact() {
    let w = World::new().await;
    let program = w.program(json!({"hold_days": 0})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    for (id, amount) in [("A-1", 10000), ("A-2", 20000)] {
        let r = w
            .convert(json!({"code": code, "event": "purchase", "external_id": id, "amount_cents": amount}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!(w.daily().await.confirmed, 2);
    assert_eq!(w.wallet(&erika).await["confirmed_cents"], 3000);
    let reversed = w.reverse("A-2").await;
    assert_eq!(reversed.status, StatusCode::OK, "{:?}", reversed.body);
    assert_eq!(reversed.body["taken_back"], true);
    // Reversing again changes nothing.
    assert_eq!(w.reverse("A-2").await.body["taken_back"], false);
    let wallet = w.wallet(&erika).await;
    assert_eq!(wallet["confirmed_cents"], 1000);
    assert_eq!(wallet["payable_cents"], 0);
    assert_problem(&w.reverse("unbekannt").await, StatusCode::NOT_FOUND, None);

    // The invoice bills what is left, and only that becomes payable.
    assert_eq!(w.invoice_rewards().await.released, 1);
    let wallet = w.wallet(&erika).await;
    assert_eq!(wallet["confirmed_cents"], 0);
    assert_eq!(wallet["payable_cents"], 1000);
    assert_eq!(wallet["ledger"].as_array().unwrap().len(), 1);
    // Billed and payable, the reward stays.
    let late = w.reverse("A-1").await;
    assert_problem(&late, StatusCode::CONFLICT, None);
    assert!(
        late.body["detail"]
            .as_str()
            .unwrap()
            .contains("bereits mit Ihrer Rechnung abgerechnet")
    );
    assert_eq!(w.wallet(&erika).await["payable_cents"], 1000);

    // A pending reward reversed never reaches the wallet.
    w.convert(
        json!({"code": code, "event": "purchase", "external_id": "A-3", "amount_cents": 5000}),
    )
    .await;
    w.reverse("A-3").await;
    w.daily().await;
    let wallet = w.wallet(&erika).await;
    assert_eq!(
        (
            wallet["pending_cents"].as_i64(),
            wallet["confirmed_cents"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(wallet["payable_cents"], 1000);
}

#[tokio::test]
async fn recurring_rewards_stop_after_the_programs_months() {
    let w = World::new().await;
    let program = w
        .program(json!({"hold_days": 0, "recurring_months": 2}))
        .await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let buy = |id: &str| json!({"code": code, "event": "purchase", "external_id": id, "amount_cents": 1000, "customer": "kunde-7"});
    assert_eq!(w.convert(buy("M-1")).await.body["reward_status"], "pending");
    w.kit.clock.advance(days(45));
    assert_eq!(w.convert(buy("M-2")).await.body["reward_status"], "pending");
    w.kit.clock.advance(days(20));
    let late = w.convert(buy("M-3")).await;
    assert_eq!(late.status, StatusCode::CREATED);
    assert_eq!(late.body["reward_status"], "none", "{:?}", late.body);
    w.daily().await;
    assert_eq!(w.wallet(&erika).await["confirmed_cents"], 200);
}

#[tokio::test]
async fn self_referral_is_refused() {
    let w = World::new().await;
    let program = w.program(json!({})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let own = w
        .convert(json!({"code": code, "event": "signup", "external_id": "S-1", "customer": " Erika@Example.de "}))
        .await;
    assert_problem(&own, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(own.body["detail"].as_str().unwrap().contains("sich selbst"));
}

#[tokio::test]
async fn points_become_a_voucher_at_the_programs_rate() {
    let w = World::new().await;
    let (erika, program) = w.points_for_a_voucher().await;
    let exchange = || {
        w.api.call(
            "POST",
            "/me/wallet/vouchers",
            Some(json!({"program_id": program})),
            Some(&erika),
        )
    };
    let voucher = exchange().await;
    assert_eq!(voucher.status, StatusCode::CREATED, "{:?}", voucher.body);
    assert_eq!(voucher.body["value_cents"], 500);
    // 100 points left: not enough for another.
    assert_problem(&exchange().await, StatusCode::UNPROCESSABLE_ENTITY, None);
    let wallet = w.wallet(&erika).await;
    assert_eq!(wallet["points"][0]["points"], 100);
    assert_eq!(wallet["vouchers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn payouts_above_the_balance_are_refused_and_the_operator_pays_the_rest() {
    let w = World::new().await;
    let program = w.program(json!({"hold_days": 0})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    w.convert(
        json!({"code": code, "event": "purchase", "external_id": "P-1", "amount_cents": 25000}),
    )
    .await;
    w.daily().await;
    let payout = |cents: i64| {
        w.api.call(
            "POST",
            "/me/payouts",
            Some(json!({"amount_cents": cents, "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Erika Mustermann"})),
            Some(&erika),
        )
    };
    // Confirmed but not yet billed to the partner: nothing can be paid out.
    let early = payout(2500).await;
    assert_problem(&early, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        early.body["detail"]
            .as_str()
            .unwrap()
            .contains("in Rechnung gestellt")
    );
    w.invoice_rewards().await;
    assert_problem(&payout(2600).await, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert_problem(
        &payout(500).await,
        StatusCode::BAD_REQUEST,
        Some("amount_cents"),
    );
    let ok = payout(2500).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert!(
        !ok.body["iban"].as_str().unwrap().contains("0532013000"),
        "masked"
    );
    assert_eq!(w.wallet(&erika).await["payable_cents"], 0);
    let dump = serde_json::to_string(&w.kit.table.dump().unwrap()).unwrap();
    assert!(
        !dump.contains("DE89370400440532013000"),
        "the IBAN is stored encrypted"
    );

    let open = w
        .api
        .call("GET", "/payouts", None, Some(&w.operator.token))
        .await;
    assert_eq!(open.body["payouts"][0]["iban"], "DE89370400440532013000");
    let id = open.body["payouts"][0]["payout_id"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = w
        .api
        .call(
            "POST",
            &format!("/payouts/{id}/paid"),
            None,
            Some(&w.operator.token),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    assert_problem(
        &w.api
            .call(
                "POST",
                &format!("/payouts/{id}/paid"),
                None,
                Some(&w.operator.token),
            )
            .await,
        StatusCode::CONFLICT,
        None,
    );
    let open = w
        .api
        .call("GET", "/payouts", None, Some(&w.operator.token))
        .await;
    assert_eq!(open.body["payouts"], json!([]));
}

/// The platform's `/r/<code>` sends people only to a domain whose owner put the partner's
/// token into DNS: a partner cannot point links at someone else's site.
#[tokio::test]
async fn a_landing_domain_is_used_only_after_its_dns_record_proves_it() {
    let w = World::new().await;
    let listed = w
        .api
        .call(
            "PUT",
            "/partners/me/referral-domains",
            Some(json!({"domains": ["baeckerei-mueller.de", "fremde-bank.de"]})),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let domains = listed.body["domains"].as_array().unwrap();
    assert_eq!(domains[0]["verified"], true, "listed again, still verified");
    assert_eq!(domains[1]["domain"], "fremde-bank.de");
    assert_eq!(domains[1]["verified"], false);
    assert_eq!(domains[1]["txt_name"], "_partnernetz.fremde-bank.de");
    let value = domains[1]["txt_value"].as_str().unwrap().to_string();
    assert!(value.starts_with("partnernetz-verification="), "{value}");
    let shown = w
        .api
        .call(
            "GET",
            "/partners/me/referral-domains",
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(shown.body, listed.body);

    let phishing = json!({"name": "X", "landing_url": "https://login.fremde-bank.de/", "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 100}}], "attribution_days": 30, "attribution": "last", "hold_days": 0, "monthly_budget_cents": 50000});
    let create = || {
        w.api.call(
            "POST",
            "/programs",
            Some(phishing.clone()),
            Some(&w.partner.token),
        )
    };
    let refused = create().await;
    assert_problem(&refused, StatusCode::BAD_REQUEST, Some("landing_url"));
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bestätigten Domains"),
        "{:?}",
        refused.body
    );

    let verify = || {
        w.api.call(
            "POST",
            "/partners/me/referral-domains/fremde-bank.de/verification",
            None,
            Some(&w.partner.token),
        )
    };
    // No record yet: the answer names the record to create.
    let missing = verify().await;
    assert_problem(&missing, StatusCode::UNPROCESSABLE_ENTITY, None);
    let detail = missing.body["detail"].as_str().unwrap();
    assert!(detail.contains("_partnernetz.fremde-bank.de"), "{detail}");
    assert!(detail.contains(&value), "{detail}");
    // A record for another partner proves nothing for this one.
    w.dns.add(
        "_partnernetz.fremde-bank.de",
        "partnernetz-verification=0123456789abcdef0123456789abcdef",
    );
    assert_problem(&verify().await, StatusCode::UNPROCESSABLE_ENTITY, None);
    // A domain that is not listed is not looked up.
    let unlisted = w
        .api
        .call(
            "POST",
            "/partners/me/referral-domains/andere-bank.de/verification",
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&unlisted, StatusCode::NOT_FOUND, None);
    // DNS that does not answer: try again later.
    w.dns.set_unavailable(true);
    w.dns.add("_partnernetz.fremde-bank.de", &value);
    assert_problem(&verify().await, StatusCode::SERVICE_UNAVAILABLE, None);
    w.dns.set_unavailable(false);
    assert_eq!(
        create().await.status,
        StatusCode::BAD_REQUEST,
        "still unverified"
    );

    let verified = verify().await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    assert_eq!(verified.body["domains"][1]["verified"], true);
    assert_eq!(create().await.status, StatusCode::CREATED);
}

/// A program whose domain is no longer verified (listed anew without it) makes no links.
#[tokio::test]
async fn a_program_whose_domain_was_dropped_makes_no_new_links() {
    let w = World::new().await;
    let program = w.program(json!({})).await;
    let dropped = w
        .api
        .call(
            "PUT",
            "/partners/me/referral-domains",
            Some(json!({"domains": ["andere-domain.de"]})),
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(dropped.status, StatusCode::OK, "{:?}", dropped.body);
    let erika = w.end_user("erika@example.de").await;
    let join = w
        .api
        .call(
            "POST",
            "/me/referrals",
            Some(json!({"program_id": program})),
            Some(&erika),
        )
        .await;
    assert_problem(&join, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        join.body["detail"]
            .as_str()
            .unwrap()
            .contains("nicht bestätigt"),
        "{:?}",
        join.body
    );
}

#[tokio::test]
async fn programs_need_a_listed_https_domain_and_ending_closes_the_links() {
    let w = World::new().await;
    let bad = w
        .api
        .call(
            "POST",
            "/programs",
            Some(json!({"name": "X", "landing_url": "https://evil.example/", "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 100}}], "attribution_days": 30, "attribution": "last", "hold_days": 0, "monthly_budget_cents": 50000})),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("landing_url"));
    let program = w.program(json!({})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let ended = w
        .api
        .call(
            "POST",
            &format!("/programs/{program}/end"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{:?}", ended.body);
    let req = Request::builder()
        .uri(format!("/r/{code}"))
        .header("user-agent", CHROME)
        .body(Body::empty())
        .unwrap();
    assert_eq!(w.redirect.send(req).await.status, StatusCode::NOT_FOUND);
    let late = w
        .convert(json!({"code": code, "event": "signup", "external_id": "E-1"}))
        .await;
    assert_problem(&late, StatusCode::UNPROCESSABLE_ENTITY, None);
}

#[tokio::test]
async fn conversions_need_a_valid_unrevoked_key_and_an_own_link() {
    let w = World::new().await;
    let program = w.program(json!({})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"code": code, "event": "signup", "external_id": "K-1"});
    let no_key = w
        .api
        .call("POST", "/conversions", Some(body.clone()), None)
        .await;
    assert_problem(&no_key, StatusCode::UNAUTHORIZED, None);
    // Another partner's key does not see this partner's links.
    let bert = w
        .kit
        .fixtures()
        .confirmed_partner("bert@metzgerei.de")
        .await;
    let key = w
        .api
        .call(
            "POST",
            "/partners/me/api-keys",
            Some(json!({"label": "B"})),
            Some(&bert.token),
        )
        .await;
    let other_key = key.body["key"].as_str().unwrap().to_string();
    let req = Request::builder()
        .method("POST")
        .uri("/conversions")
        .header("content-type", "application/json")
        .header("x-api-key", &other_key)
        .body(Body::from(body.to_string()))
        .unwrap();
    assert_problem(
        &w.api.send(req).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    );
    // A revoked key is refused.
    let prefix = w.api_key.split('_').nth(1).unwrap();
    let revoked = w
        .api
        .call(
            "DELETE",
            &format!("/partners/me/api-keys/{prefix}"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_problem(&w.convert(body).await, StatusCode::UNAUTHORIZED, None);
    let keys = w
        .api
        .call("GET", "/partners/me/api-keys", None, Some(&w.partner.token))
        .await;
    assert_eq!(keys.body["keys"][0]["revoked"], true);
    assert!(
        !keys.body.to_string().contains(&w.api_key),
        "never the secret again"
    );
}

#[tokio::test]
async fn a_percentage_reward_without_its_amount_is_refused_and_a_corrected_report_still_earns() {
    let w = World::new().await;
    let program = w.program(json!({})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let click = w.click(&code, "203.0.113.9").await;
    let without = json!({"click_id": click, "event": "purchase", "external_id": "B-5000"});
    assert_problem(
        &w.convert(without).await,
        StatusCode::BAD_REQUEST,
        Some("amount_cents"),
    );
    // Nothing was kept under that id: the corrected report earns the reward.
    let corrected = json!({"click_id": click, "event": "purchase", "external_id": "B-5000", "amount_cents": 4000});
    let reply = w.convert(corrected).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["reward_status"], "pending");
    assert_eq!(reply.body["reward"]["amount_cents"], 400);
}

#[tokio::test]
async fn a_program_starts_only_with_a_mandate_and_an_approval_and_only_that_platform_joins() {
    let w = World::new().await;
    let fixtures = w.kit.fixtures();
    let bert = fixtures.confirmed_partner("bert@metzgerei.de").await;
    let body = json!({"name": "Werben", "landing_url": "https://metzgerei.de/", "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 500}}], "attribution_days": 30, "attribution": "first", "hold_days": 14, "monthly_budget_cents": 50000});
    let domains = w
        .api
        .call(
            "PUT",
            "/partners/me/referral-domains",
            Some(json!({"domains": ["metzgerei.de"]})),
            Some(&bert.token),
        )
        .await;
    assert_eq!(domains.status, StatusCode::OK, "{:?}", domains.body);
    let create = || {
        w.api
            .call("POST", "/programs", Some(body.clone()), Some(&bert.token))
    };
    // The domain is not his until he proves it, and proving it is for approved partners.
    let unverified = create().await;
    assert_problem(&unverified, StatusCode::BAD_REQUEST, Some("landing_url"));

    let no_mandate = publish_and_verify(&w.api, &w.dns, &domains.body, &bert.token).await;
    assert_problem(&no_mandate, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        no_mandate.body["detail"]
            .as_str()
            .unwrap()
            .contains("Lastschriftmandat")
    );
    fixtures
        .give_mandate(&bert.id, w.kit.env.data_key().unwrap())
        .await;
    let no_platform = publish_and_verify(&w.api, &w.dns, &domains.body, &bert.token).await;
    assert_problem(&no_platform, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        no_platform.body["detail"]
            .as_str()
            .unwrap()
            .contains("Plattform")
    );
    let listed = w
        .api
        .call("GET", "/programs", None, Some(&bert.token))
        .await;
    assert_eq!(
        listed.body["programs"].as_array().unwrap().len(),
        0,
        "nothing half-made"
    );

    // Approved on another platform than the end user's: the program runs, but Erika of
    // Sparkasse Musterstadt cannot join it.
    let volksbank = fixtures.platform("Volksbank", Cents(3900)).await;
    fixtures
        .approve(&bert, &volksbank, "Volksbank", w.kit.clock.today())
        .await;
    let verified = publish_and_verify(&w.api, &w.dns, &domains.body, &bert.token).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    let created = create().await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let program = created.body["program_id"].as_str().unwrap().to_string();
    let erika = w.end_user("erika@example.de").await;
    let join = w
        .api
        .call(
            "POST",
            "/me/referrals",
            Some(json!({"program_id": program})),
            Some(&erika),
        )
        .await;
    assert_problem(&join, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(join.body["detail"].as_str().unwrap().contains("Plattform"));

    // Once Sparkasse Musterstadt approves Bert, its end users join.
    fixtures
        .approve(
            &bert,
            &w.platform,
            "Sparkasse Musterstadt",
            w.kit.clock.today(),
        )
        .await;
    assert!(w.join(&erika, &program).await["code"].is_string());
}

#[tokio::test]
async fn rewards_beyond_the_monthly_budget_are_not_granted_and_a_new_month_grants_again() {
    let w = World::new().await;
    // 10 % of each purchase, at most 25,00 € of rewards a month.
    let program = w
        .program(json!({"hold_days": 0, "monthly_budget_cents": 2500}))
        .await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let purchase = |n: u32, cents: i64| json!({"code": code, "event": "purchase", "external_id": format!("B-{n}"), "amount_cents": cents});
    let first = w.convert(purchase(1, 20000)).await; // 20,00 €
    assert_eq!(
        first.body["reward"]["amount_cents"], 2000,
        "{:?}",
        first.body
    );
    let over = w.convert(purchase(2, 10000)).await; // 10,00 € would make 30,00 €
    assert_eq!(over.status, StatusCode::CREATED, "{:?}", over.body);
    assert_eq!(over.body["reward_status"], "none");
    assert!(
        over.body["reason"]
            .as_str()
            .unwrap()
            .contains("Monatsbudget"),
        "{:?}",
        over.body
    );
    let within = w.convert(purchase(3, 5000)).await; // 5,00 € makes exactly 25,00 €
    assert_eq!(
        within.body["reward"]["amount_cents"], 500,
        "{:?}",
        within.body
    );

    // The next month has its budget again.
    w.kit.clock.advance(days(31));
    let next = w.convert(purchase(4, 10000)).await;
    assert_eq!(next.body["reward"]["amount_cents"], 1000, "{:?}", next.body);

    let missing = w
        .api
        .call(
            "POST",
            "/programs",
            Some(json!({"name": "Ohne Budget", "landing_url": "https://shop.baeckerei-mueller.de/", "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 500}}], "attribution_days": 30, "attribution": "first", "hold_days": 0, "monthly_budget_cents": 0})),
            Some(&w.partner.token),
        )
        .await;
    assert_problem(
        &missing,
        StatusCode::BAD_REQUEST,
        Some("monthly_budget_cents"),
    );
}

#[tokio::test]
async fn the_partners_till_takes_a_voucher_once_and_the_wallet_shows_when() {
    let w = World::new().await;
    let (erika, program) = w.points_for_a_voucher().await;
    let voucher = w
        .api
        .call(
            "POST",
            "/me/wallet/vouchers",
            Some(json!({"program_id": program})),
            Some(&erika),
        )
        .await;
    assert_eq!(voucher.status, StatusCode::CREATED, "{:?}", voucher.body);
    let voucher_code = voucher.body["code"].as_str().unwrap().to_string();
    // Issued at 2026-11-16: valid to the end of the third year after.
    assert_eq!(voucher.body["valid_until"], "2029-12-31");

    // The partner's till: the same tenant, logged in at the shop.
    let till = w
        .kit
        .issuer
        .issue_scoped(
            shared::domain::AccountId::generate().as_str(),
            shared::auth::Role::Pos,
            Some(w.partner.id.to_string()),
            vec![],
            shared::auth::Scope::Pos(w.partner.id.clone()),
            w.kit.clock.epoch(),
        )
        .unwrap();
    let path = format!("/vouchers/{voucher_code}");
    let checked = w.api.call("GET", &path, None, Some(&till)).await;
    assert_eq!(checked.status, StatusCode::OK, "{:?}", checked.body);
    assert_eq!(checked.body["value_cents"], 500);
    assert_eq!(checked.body["redeemable"], true);
    // No end-user data at the till.
    assert!(!checked.body.to_string().contains("erika"));

    w.kit.clock.advance(days(20));
    let redeem = format!("{path}/redemption");
    let taken = w.api.call("POST", &redeem, None, Some(&till)).await;
    assert_eq!(taken.status, StatusCode::OK, "{:?}", taken.body);
    assert_eq!(taken.body["status"], "redeemed");
    let again = w
        .api
        .call("POST", &redeem, None, Some(&w.partner.token))
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);
    assert_eq!(
        again.body["detail"],
        "Dieser Gutschein wurde bereits am 06.12.2026 eingelöst."
    );
    let wallet = w.wallet(&erika).await;
    assert_eq!(wallet["vouchers"][0]["status"], "redeemed");
    assert!(
        wallet["vouchers"][0]["redeemed_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-06")
    );

    // Another partner does not know the code; a mistyped code is unknown too.
    let bert = w
        .kit
        .fixtures()
        .confirmed_partner("bert@metzgerei.de")
        .await;
    assert_problem(
        &w.api.call("GET", &path, None, Some(&bert.token)).await,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_problem(
        &w.api
            .call("GET", "/vouchers/nicht-da", None, Some(&till))
            .await,
        StatusCode::NOT_FOUND,
        None,
    );
}

#[tokio::test]
async fn a_reward_confirmed_after_its_month_was_billed_goes_on_the_next_invoice() {
    use shared::model::rewards::{RewardMonth, reward_month_key};
    use shared::store::Table;
    let w = World::new().await;
    let program = w.program(json!({"hold_days": 0})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let buy = |id: &str, cents: i64| json!({"code": code, "event": "purchase", "external_id": id, "amount_cents": cents});
    w.convert(buy("L-1", 10000)).await;
    assert_eq!(w.daily().await.confirmed, 1);
    // The partner's invoice bills this month's 10,00 €; a purchase the same day comes after.
    assert_eq!(w.invoice_rewards().await.released, 1);
    w.convert(buy("L-2", 30000)).await;
    assert_eq!(w.daily().await.confirmed, 1);
    let wallet = w.wallet(&erika).await;
    assert_eq!(
        (
            wallet["confirmed_cents"].as_i64(),
            wallet["payable_cents"].as_i64()
        ),
        (Some(3000), Some(1000))
    );
    let table = w.kit.table.clone();
    let partner = w.partner.id.clone();
    let month = |m: shared::domain::Month| {
        let (table, key) = (table.clone(), reward_month_key(&partner, m));
        async move {
            let item = table.get(&key).await.unwrap().unwrap();
            shared::model::from_item::<RewardMonth>(item).unwrap()
        }
    };
    let this = shared::domain::Month::of(w.kit.clock.today());
    let billed = month(this).await;
    assert_eq!(
        (billed.count, billed.cents),
        (1, 1000),
        "the billed month is as billed"
    );
    let next = month(this.next()).await;
    assert_eq!((next.count, next.cents, next.is_billed()), (1, 3000, false));
    assert_eq!(w.invoice_rewards().await.released, 1);
    assert_eq!(w.wallet(&erika).await["payable_cents"], 4000);
}

/// What an end user of a platform may join: live programs of partners the platform shows,
/// on verified domains, without the partner's budget, landing URL or ids; nobody needs to
/// be logged in.
#[tokio::test]
async fn the_platform_lists_the_live_programs_of_its_partners_for_anyone() {
    let w = World::new().await;
    let live = w.program(json!({"name": "Brötchen-Freunde"})).await;
    let paused = w.program(json!({"name": "Pausiert"})).await;
    let reply = w
        .api
        .call(
            "POST",
            &format!("/programs/{paused}/pause"),
            None,
            Some(&w.partner.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    // A partner approved only on another platform, with a live program there.
    let fixtures = w.kit.fixtures();
    let other = fixtures.platform("Volksbank Nebenan", Cents(4900)).await;
    let metzger = fixtures.confirmed_partner("bert@metzgerei.de").await;
    fixtures
        .give_mandate(&metzger.id, w.kit.env.data_key().unwrap())
        .await;
    fixtures
        .approve(&metzger, &other, "Volksbank Nebenan", w.kit.clock.today())
        .await;
    let listed = w
        .api
        .call(
            "PUT",
            "/partners/me/referral-domains",
            Some(json!({"domains": ["metzgerei.de"]})),
            Some(&metzger.token),
        )
        .await;
    let verified = publish_and_verify(&w.api, &w.dns, &listed.body, &metzger.token).await;
    assert_eq!(verified.status, StatusCode::OK, "{:?}", verified.body);
    let wurst = w
        .api
        .call(
            "POST",
            "/programs",
            Some(json!({"name": "Wurst-Werber", "landing_url": "https://metzgerei.de/", "rewards": [{"event": "signup", "reward": {"kind": "fixed", "amount_cents": 300}}], "attribution_days": 30, "attribution": "first", "hold_days": 0, "monthly_budget_cents": 10000})),
            Some(&metzger.token),
        )
        .await;
    assert_eq!(wurst.status, StatusCode::CREATED, "{:?}", wurst.body);

    let mine = w
        .api
        .call(
            "GET",
            &format!("/platforms/{}/programs", w.platform),
            None,
            None,
        )
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(mine.body["platform_name"], "Sparkasse Musterstadt");
    let programs = mine.body["programs"].as_array().unwrap();
    assert_eq!(programs.len(), 1, "{programs:?}");
    let p = &programs[0];
    assert_eq!(p["program_id"], live.as_str());
    assert_eq!(p["name"], "Brötchen-Freunde");
    assert_eq!(p["partner_name"], "Bäckerei Müller");
    assert_eq!(p["rewards"][0]["reward"]["amount_cents"], 500);
    assert_eq!(p["voucher_rate"]["points"], 500);
    for private in [
        "monthly_budget_cents",
        "landing_url",
        "partner_id",
        "status",
    ] {
        assert!(p.get(private).is_none(), "{private} is the partner's: {p}");
    }
    let theirs = w
        .api
        .call("GET", &format!("/platforms/{other}/programs"), None, None)
        .await;
    assert_eq!(theirs.body["programs"][0]["name"], "Wurst-Werber");
    assert_eq!(theirs.body["programs"].as_array().unwrap().len(), 1);

    // A domain dropped from the list takes its programs off the platform.
    w.api
        .call(
            "PUT",
            "/partners/me/referral-domains",
            Some(json!({"domains": ["anderswo.de"]})),
            Some(&w.partner.token),
        )
        .await;
    let gone = w
        .api
        .call(
            "GET",
            &format!("/platforms/{}/programs", w.platform),
            None,
            None,
        )
        .await;
    assert_eq!(gone.body["programs"], json!([]));
    let unknown = w
        .api
        .call(
            "GET",
            "/platforms/01a20996-1d13-756c-954c-72ad0a27051f/programs",
            None,
            None,
        )
        .await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, None);
    shared::routes::policy::assert_allowed("ReferralsFunction", &w.audit.accesses());
}

/// The sign-up accepts the terms of participation, which the account then shows with their
/// version and day; the invitation leads on to the platform's login.
#[tokio::test]
async fn sign_up_accepts_the_terms_and_the_mail_leads_to_the_platforms_login() {
    let w = World::new().await;
    let path = format!("/platforms/{}/endusers", w.platform);
    let refused = w
        .api
        .call(
            "POST",
            &path,
            Some(json!({"email": "erika@example.de", "name": "Erika Mustermann"})),
            None,
        )
        .await;
    assert_problem(&refused, StatusCode::BAD_REQUEST, Some("accept_terms"));
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Teilnahmebedingungen")
    );
    let erika = w.end_user("erika@example.de").await;
    let mail = w.kit.last_mail_to("erika@example.de").await;
    assert!(
        mail.text
            .contains(&format!("&weiter=/vorteile/{}/anmelden", w.platform)),
        "{}",
        mail.text
    );
    let me = w.api.call("GET", "/me", None, Some(&erika)).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["terms_version"], referrals::members::TERMS_VERSION);
    assert_eq!(me.body["terms_accepted_at"], json!(shared::testing::START));
    assert_eq!(me.body["platform_id"], w.platform.as_str());
    shared::routes::policy::assert_allowed("ReferralsFunction", &w.audit.accesses());
}

/// The end user follows a payout from the request to the operator's payment, with the IBAN
/// masked; another end user sees none of it.
#[tokio::test]
async fn the_end_user_sees_the_own_payouts_with_status_and_a_masked_iban() {
    let w = World::new().await;
    let program = w.program(json!({"hold_days": 0})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    w.convert(
        json!({"code": code, "event": "purchase", "external_id": "P-1", "amount_cents": 25000}),
    )
    .await;
    w.daily().await;
    w.invoice_rewards().await;
    let none = w.api.call("GET", "/me/payouts", None, Some(&erika)).await;
    assert_eq!(none.status, StatusCode::OK, "{:?}", none.body);
    assert_eq!(none.body["payouts"], json!([]));
    let asked = w
        .api
        .call(
            "POST",
            "/me/payouts",
            Some(json!({"amount_cents": 2500, "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Erika Mustermann"})),
            Some(&erika),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    let mine = w.api.call("GET", "/me/payouts", None, Some(&erika)).await;
    let p = &mine.body["payouts"][0];
    assert_eq!(p["amount_cents"], 2500);
    assert_eq!(p["status"], "requested");
    assert_eq!(p["iban"], asked.body["iban"]);
    let iban = p["iban"].as_str().unwrap();
    let compact = iban.replace(' ', "");
    assert!(
        compact.starts_with("DE89") && compact.ends_with("3000") && compact.contains('•'),
        "{iban}"
    );
    assert!(p["paid_at"].is_null());
    assert!(p.get("account_id").is_none());

    let id = p["payout_id"].as_str().unwrap().to_string();
    let paid = w
        .api
        .call(
            "POST",
            &format!("/payouts/{id}/paid"),
            None,
            Some(&w.operator.token),
        )
        .await;
    assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
    let mine = w.api.call("GET", "/me/payouts", None, Some(&erika)).await;
    assert_eq!(mine.body["payouts"][0]["status"], "paid");
    assert_eq!(mine.body["payouts"][0]["paid_at"], json!(w.kit.clock.now()));
    let max = w.end_user("max@example.de").await;
    let theirs = w.api.call("GET", "/me/payouts", None, Some(&max)).await;
    assert_eq!(theirs.body["payouts"], json!([]));
    shared::routes::policy::assert_allowed("ReferralsFunction", &w.audit.accesses());
}

/// Deleting the account: confirmed by the address, cash lapses only when the request says
/// so, then the login, the token and the links end; the address can sign up again.
#[tokio::test]
async fn an_end_user_deletes_the_account_and_its_cash_lapses_only_when_confirmed() {
    let w = World::new().await;
    let program = w.program(json!({"hold_days": 0})).await;
    let erika = w.end_user("erika@example.de").await;
    let code = w.join(&erika, &program).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    w.convert(json!({"code": code, "event": "signup", "external_id": "S-1"}))
        .await;
    w.daily().await;
    let delete = |body: Value| w.api.call("DELETE", "/me", Some(body), Some(&erika));

    let wrong = delete(json!({"email": "jemand@example.de", "forfeit_cash": true})).await;
    assert_problem(&wrong, StatusCode::BAD_REQUEST, Some("email"));
    let cash = delete(json!({"email": "erika@example.de"})).await;
    assert_problem(&cash, StatusCode::BAD_REQUEST, Some("forfeit_cash"));
    assert!(
        cash.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("5,00 €"),
        "{:?}",
        cash.body
    );
    // Nothing changed: the account still works.
    assert_eq!(
        w.api.call("GET", "/me", None, Some(&erika)).await.status,
        StatusCode::OK
    );

    let gone = delete(json!({"email": "Erika@Example.de", "forfeit_cash": true})).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    assert_eq!(
        w.api
            .call("GET", "/me/wallet", None, Some(&erika))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let login = w
        .api
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": "erika@example.de", "password": PASSWORD, "scope": "enduser", "tenant": w.platform.as_str()})),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{:?}", login.body);
    // The shared link shows the "not valid" page, also after the program is paused and
    // resumed.
    let req = || {
        Request::builder()
            .uri(format!("/r/{code}"))
            .header("user-agent", CHROME)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(w.redirect.send(req()).await.status, StatusCode::NOT_FOUND);
    for step in ["pause", "resume"] {
        let r = w
            .api
            .call(
                "POST",
                &format!("/programs/{program}/{step}"),
                None,
                Some(&w.partner.token),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(w.redirect.send(req()).await.status, StatusCode::NOT_FOUND);
    // The login and the profile are gone (refresh sessions name the login until they expire;
    // a refresh finds no login and fails).
    let login_pk = format!("LOGIN#enduser:{}#erika@example.de", w.platform);
    let left: Vec<_> = w
        .kit
        .table
        .dump()
        .unwrap()
        .into_iter()
        .filter(|item| {
            item["pk"] == login_pk.as_str()
                || (item["pk"]
                    .as_str()
                    .is_some_and(|pk| pk.starts_with("ENDUSER#"))
                    && item["sk"] == "PROFILE")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The address is free again: a new account.
    let again = w.end_user("erika@example.de").await;
    let me = w.api.call("GET", "/me/wallet", None, Some(&again)).await;
    assert_eq!(me.body["pending_cents"], 0);
    assert_eq!(me.body["confirmed_cents"], 0);
    shared::routes::policy::assert_allowed("ReferralsFunction", &w.audit.accesses());
}
