//! Offers end to end, over HTTP against DynamoDB Local, moto's SES and the embedded S3
//! (which checks presigned uploads): registration and offers on one server, as local-api
//! and API Gateway serve them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use jiff::{SignedDuration, Span};
use serde_json::{Value, json};
use shared::clock::{Clock, FixedClock};
use shared::domain::Month;
use shared::domain::{Cents, PlatformId};
use shared::testing::{Account, Fixtures, PartnerFixture};
use tests::{Stack, mails_to, unique_email};

struct Journey {
    stack: Stack,
    clock: Arc<FixedClock>,
    operator: Account,
    pa: PlatformId,
    pb: PlatformId,
    manager_a: Account,
    manager_b: Account,
}

fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(len, 1);
    bytes
}

impl Journey {
    async fn start() -> Self {
        let clock = Arc::new(FixedClock::at(shared::testing::START.parse().unwrap()));
        let stack = Stack::start_with(clock.clone(), |env| {
            shared::http::finish(registration::api(env).merge(offers::api(env)))
        })
        .await;
        let f = Fixtures {
            table: stack.table.as_ref(),
            clock: clock.as_ref(),
            issuer: &stack.issuer,
        };
        let operator = f.operator(&unique_email("olga")).await;
        let pa = f.platform("Sparkasse A", Cents(4900)).await;
        let pb = f.platform("Volksbank B", Cents(3900)).await;
        let manager_a = f.manager_of(&unique_email("max"), &pa).await;
        let manager_b = f.manager_of(&unique_email("mia"), &pb).await;
        Self {
            stack,
            clock,
            operator,
            pa,
            pb,
            manager_a,
            manager_b,
        }
    }

    fn fixtures(&self) -> Fixtures<'_> {
        Fixtures {
            table: self.stack.table.as_ref(),
            clock: self.clock.as_ref(),
            issuer: &self.stack.issuer,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Value {
        let token = token.map(|t| self.stack.sessions.current(t));
        let r = self.stack.call(method, path, body, token.as_deref()).await;
        assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.body);
        r.body
    }

    /// A partner who gave a mandate and was approved (through registration) on `platforms`.
    async fn partner_on(
        &self,
        name: &str,
        platforms: &[(&PlatformId, &Account)],
    ) -> PartnerFixture {
        let partner = self.fixtures().confirmed_partner(&unique_email(name)).await;
        self.call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(json!({"account_holder": "Anna Müller", "iban": "DE89370400440532013000"})),
            Some(&partner.token),
        )
        .await;
        for (platform, manager) in platforms {
            self.call(
                "POST",
                &format!("/partners/me/platforms/{platform}"),
                None,
                Some(&partner.token),
            )
            .await;
            self.call(
                "POST",
                &format!("/platforms/{platform}/applications/{}/decision", partner.id),
                Some(json!({"decision": "approve"})),
                Some(&manager.token),
            )
            .await;
        }
        partner
    }

    fn offer(&self, title: &str, platforms: &[&PlatformId]) -> Value {
        let today = self.clock.today();
        json!({
            "title": title,
            "teaser": "Für alle Kundinnen und Kunden der Bank",
            "description": "Zeigen Sie den Gutschein an der Theke.",
            "benefit": {"kind": "percent", "value": 15},
            "online": {"shop_url": "https://shop.baeckerei.de", "discount_code": "TORTE15"},
            "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "TORTE15"},
            "valid_from": today.to_string(),
            "valid_to": today.checked_add(Span::new().days(90)).unwrap().to_string(),
            "categories": ["essen"],
            "platforms": platforms.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        })
    }

    /// Presigns an upload of `declared` bytes and sends `body` with the signed headers.
    async fn upload(
        &self,
        who: &PartnerFixture,
        offer: &str,
        declared: usize,
        content_type: &str,
        body: Vec<u8>,
    ) -> u16 {
        let reply = self
            .call(
                "POST",
                &format!("/offers/{offer}/images"),
                Some(json!({"content_type": "image/png", "size_bytes": declared})),
                Some(&who.token),
            )
            .await;
        let upload = &reply["upload"];
        let mut req = self.stack.http.put(upload["url"].as_str().unwrap());
        for (name, value) in upload["headers"].as_object().unwrap() {
            if name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            let value = if name.eq_ignore_ascii_case("content-type") {
                content_type
            } else {
                value.as_str().unwrap()
            };
            req = req.header(name, value);
        }
        req.body(body).send().await.unwrap().status().as_u16()
    }

    async fn publish(
        &self,
        who: &PartnerFixture,
        title: &str,
        platforms: &[&PlatformId],
    ) -> String {
        let offer = self
            .call(
                "POST",
                "/offers",
                Some(self.offer(title, platforms)),
                Some(&who.token),
            )
            .await;
        let id = offer["offer_id"].as_str().unwrap().to_string();
        assert_eq!(
            self.upload(who, &id, 4096, "image/png", png(4096)).await,
            200
        );
        self.call(
            "POST",
            &format!("/offers/{id}/submit"),
            None,
            Some(&who.token),
        )
        .await;
        id
    }

    async fn decide(&self, manager: &Account, platform: &PlatformId, offer: &str, body: Value) {
        self.call(
            "POST",
            &format!("/platforms/{platform}/reviews/{offer}/decision"),
            Some(body),
            Some(&manager.token),
        )
        .await;
    }

    async fn approve(&self, manager: &Account, platform: &PlatformId, offer: &str) {
        self.decide(
            manager,
            platform,
            offer,
            json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
        )
        .await;
    }

    async fn feed(&self, platform: &PlatformId) -> Value {
        self.call("GET", &format!("/platforms/{platform}/offers"), None, None)
            .await
    }

    async fn feed_ids(&self, platform: &PlatformId) -> Vec<String> {
        self.feed(platform).await["offers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["offer_id"].as_str().unwrap().to_string())
            .collect()
    }
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn an_offer_from_draft_to_feed_placement_revision_coupon_and_withdrawal() {
    let j = Journey::start().await;
    let anna = j
        .partner_on("anna", &[(&j.pa, &j.manager_a), (&j.pb, &j.manager_b)])
        .await;
    let offer = j
        .call(
            "POST",
            "/offers",
            Some(j.offer("15 % auf alle Torten", &[&j.pa, &j.pb])),
            Some(&anna.token),
        )
        .await;
    let id = offer["offer_id"].as_str().unwrap().to_string();

    // S3 itself refuses a file over 5 MB and a file of another type than presigned.
    let five_mb = 5 * 1024 * 1024;
    assert_eq!(
        j.upload(&anna, &id, five_mb, "image/png", png(five_mb + 1))
            .await,
        403
    );
    assert_eq!(
        j.upload(&anna, &id, 4096, "text/html", png(4096)).await,
        403
    );
    let too_big = j
        .stack
        .call(
            "POST",
            &format!("/offers/{id}/images"),
            Some(json!({"content_type": "image/png", "size_bytes": five_mb + 1})),
            Some(&anna.token),
        )
        .await;
    assert_eq!(too_big.status, 400);
    // The refused uploads' images never arrived: submit names them. Remove them, add a real one.
    let refused = j
        .stack
        .call(
            "POST",
            &format!("/offers/{id}/submit"),
            None,
            Some(&anna.token),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let mine = j
        .call("GET", "/partners/me/offers", None, Some(&anna.token))
        .await;
    for image in mine["offers"][0]["content"]["images"].as_array().unwrap() {
        let image_id = image["image_id"].as_str().unwrap();
        j.call(
            "DELETE",
            &format!("/offers/{id}/images/{image_id}"),
            None,
            Some(&anna.token),
        )
        .await;
    }
    assert_eq!(
        j.upload(&anna, &id, 4096, "image/png", png(4096)).await,
        200
    );
    j.call(
        "POST",
        &format!("/offers/{id}/submit"),
        None,
        Some(&anna.token),
    )
    .await;

    // A approves, B rejects with a reason: in A's feed only, and Anna is told both.
    let queue = j
        .call(
            "GET",
            &format!("/platforms/{}/reviews", j.pa),
            None,
            Some(&j.manager_a.token),
        )
        .await;
    assert_eq!(queue["reviews"][0]["offer_id"], id.as_str());
    j.approve(&j.manager_a, &j.pa, &id).await;
    j.decide(
        &j.manager_b,
        &j.pb,
        &id,
        json!({"decision": "reject", "reason": "Der Vorteil gilt nur für Neukunden.", "checks": {"lawful": true, "real_benefit": false}}),
    )
    .await;
    assert_eq!(j.feed_ids(&j.pa).await, vec![id.clone()]);
    assert!(j.feed_ids(&j.pb).await.is_empty());
    let mails = mails_to(anna.email.as_str()).await;
    let approved = mails
        .iter()
        .find(|m| m.subject == "Ihr Angebot ist auf Sparkasse A freigegeben");
    assert!(approved.is_some(), "{mails:?}");
    let rejected = mails
        .iter()
        .find(|m| m.subject == "Ihr Angebot auf Volksbank B wurde nicht freigegeben")
        .expect("the rejection mail");
    assert!(
        rejected
            .body
            .contains("Der Vorteil gilt nur für Neukunden.")
    );

    // The image in the feed is ready to use.
    let feed = j.feed(&j.pa).await;
    let image = reqwest::get(feed["offers"][0]["image_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(image.status(), 200);

    // Bert publishes a newer offer on A: newest first.
    let bert = j.partner_on("bert", &[(&j.pa, &j.manager_a)]).await;
    j.clock.advance(SignedDuration::from_secs(2));
    let bert_offer = j.publish(&bert, "Grillpaket gratis", &[&j.pa]).await;
    j.approve(&j.manager_a, &j.pa, &bert_offer).await;
    assert_eq!(
        j.feed_ids(&j.pa).await,
        vec![bert_offer.clone(), id.clone()]
    );

    // A placement for this month moves Anna's offer to the top.
    let kind = j
        .call(
            "POST",
            &format!("/platforms/{}/placement-kinds", j.pa),
            Some(json!({"name": "Top-Platzierung", "price_cents": 4900, "slots_per_month": 1})),
            Some(&j.operator.token),
        )
        .await;
    let kind_id = kind["kind_id"].as_str().unwrap();
    let this_month = Month::of(j.clock.today());
    j.call(
        "POST",
        &format!("/offers/{id}/placements"),
        Some(json!({"platform_id": j.pa.as_str(), "kind_id": kind_id, "month": this_month.to_string()})),
        Some(&anna.token),
    )
    .await;
    assert_eq!(
        j.feed_ids(&j.pa).await,
        vec![id.clone(), bert_offer.clone()]
    );

    // Both race for next month's last slot: exactly one wins.
    let next = this_month.next();
    let body = json!({"platform_id": j.pa.as_str(), "kind_id": kind_id, "month": next.to_string()});
    let (anna_path, bert_path) = (
        format!("/offers/{id}/placements"),
        format!("/offers/{bert_offer}/placements"),
    );
    let (a, b) = tokio::join!(
        j.stack
            .call("POST", &anna_path, Some(body.clone()), Some(&anna.token)),
        j.stack
            .call("POST", &bert_path, Some(body.clone()), Some(&bert.token)),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} {}", a.body, b.body);
    let winner = if a.status == 201 {
        id.clone()
    } else {
        bert_offer.clone()
    };

    // What the partner's placement page reads: this month's and next month's only slot
    // taken, the months after free; the winner's bookings still to come.
    let slots = j
        .call(
            "GET",
            &format!("/platforms/{}/placement-slots", j.pa),
            None,
            Some(&anna.token),
        )
        .await;
    assert_eq!(slots["this_month"], this_month.to_string());
    let free: Vec<u64> = slots["kinds"][0]["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["free"].as_u64().unwrap())
        .collect();
    assert_eq!(free, vec![0, 0, 1, 1, 1, 1, 1]);
    let upcoming = j
        .call(
            "GET",
            "/partners/me/placements?upcoming=true",
            None,
            Some(&anna.token),
        )
        .await;
    let months: Vec<&str> = upcoming["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["month"].as_str().unwrap())
        .collect();
    let (now_month, next_month) = (this_month.to_string(), next.to_string());
    let expected = if winner == id {
        vec![now_month.as_str(), next_month.as_str()]
    } else {
        vec![now_month.as_str()]
    };
    assert_eq!(months, expected);

    // The coupon: its text reads back with the code and the validity.
    let pdf = j
        .stack
        .http
        .get(format!(
            "{}/offers/{id}/coupon.pdf?platform_id={}",
            j.stack.base_url, j.pa
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    let text = shared::pdf::read_back(&pdf.bytes().await.unwrap());
    let today = j.clock.today();
    let to = today.checked_add(Span::new().days(90)).unwrap();
    assert!(text.contains("TORTE15"), "{text}");
    assert!(
        text.contains(&format!(
            "Gültig vom {} bis {}",
            today.strftime("%d.%m.%Y"),
            to.strftime("%d.%m.%Y")
        )),
        "{text}"
    );

    // A revision: the approved text stays visible until the revision is approved.
    j.call(
        "PUT",
        &format!("/offers/{id}"),
        Some(j.offer("20 % auf alle Torten", &[&j.pa, &j.pb])),
        Some(&anna.token),
    )
    .await;
    // The editor shows the revision beside the version in the feed.
    let own = j
        .call(
            "GET",
            &format!("/partners/me/offers/{id}"),
            None,
            Some(&anna.token),
        )
        .await;
    assert_eq!(own["offer"]["content"]["title"], "20 % auf alle Torten");
    assert_eq!(own["live"][0]["content"]["title"], "15 % auf alle Torten");
    assert_eq!(own["offer"]["platforms"][0]["revision_pending"], true);
    j.call(
        "POST",
        &format!("/offers/{id}/submit"),
        None,
        Some(&anna.token),
    )
    .await;
    let title_in_feed = |feed: &Value| {
        feed["offers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["offer_id"] == id.as_str())
            .map(|o| o["title"].clone())
    };
    assert_eq!(
        title_in_feed(&j.feed(&j.pa).await),
        Some(json!("15 % auf alle Torten"))
    );
    j.approve(&j.manager_a, &j.pa, &id).await;
    assert_eq!(
        title_in_feed(&j.feed(&j.pa).await),
        Some(json!("20 % auf alle Torten"))
    );

    // Next month: this month's placement is over, the race's winner is on top, no job ran.
    let days = (next.first() - today).get_days();
    j.clock
        .advance(SignedDuration::from_hours(24 * i64::from(days)));
    let ids = j.feed_ids(&j.pa).await;
    assert_eq!(ids[0], winner);
    assert_eq!(ids.len(), 2);

    // Withdrawn: gone from every feed at once.
    j.call(
        "POST",
        &format!("/offers/{id}/withdraw"),
        None,
        Some(&anna.token),
    )
    .await;
    assert_eq!(j.feed_ids(&j.pa).await, vec![bert_offer]);
}

/// The read cost of a full feed page (20 offers with images), reported by DynamoDB's
/// ReturnConsumedCapacity.
#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_full_feed_page_is_one_query_and_costs_few_read_units() {
    let j = Journey::start().await;
    let anna = j.partner_on("anna", &[(&j.pa, &j.manager_a)]).await;
    for n in 0..21 {
        let id = j.publish(&anna, &format!("Angebot {n}"), &[&j.pa]).await;
        j.approve(&j.manager_a, &j.pa, &id).await;
    }
    let before = j.stack.table.consumed_capacity();
    let page = j.feed(&j.pa).await;
    let units = j.stack.table.consumed_capacity() - before;
    let offers = page["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 20);
    assert!(offers.iter().all(|o| o["image_url"].as_str().is_some()));
    assert!(page["next_cursor"].is_string());
    eprintln!("feed page of 20 offers: {units} read units");
    // One eventually consistent query (20 entries of about 1 KB: 2.5 units) plus the one
    // partner's subscription (0.5).
    assert!(units <= 4.0, "a feed page cost {units} read units");
}

/// An offer in three categories on twenty platforms, placed in this month and the six ahead on
/// each: withdrawing it takes more writes than one DynamoDB transaction may hold (20 × 4 feed
/// facets × 8 entries, the bookings, the slots). DynamoDB Local must accept every transaction,
/// and afterwards no feed shows it and billing charges none of the later months.
#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn an_offer_on_twenty_platforms_with_placements_is_withdrawn_everywhere() {
    const MONTHS: usize = 7;
    const CATEGORIES: [&str; 3] = ["essen", "mode", "reisen"];
    let j = Journey::start().await;
    let f = j.fixtures();
    let mut platforms = vec![
        (j.pa.clone(), j.manager_a.clone()),
        (j.pb.clone(), j.manager_b.clone()),
    ];
    for i in platforms.len()..20 {
        let platform = f.platform(&format!("Bank {i}"), Cents(1000)).await;
        let manager = f.manager_of(&unique_email("manager"), &platform).await;
        platforms.push((platform, manager));
    }
    let pairs: Vec<(&PlatformId, &Account)> = platforms.iter().map(|(p, m)| (p, m)).collect();
    let anna = j.partner_on("anna", &pairs).await;
    let ids: Vec<&PlatformId> = platforms.iter().map(|(p, _)| p).collect();
    let mut body = j.offer("15 % auf alle Torten", &ids);
    body["categories"] = json!(CATEGORIES);
    body["valid_to"] = json!(
        j.clock
            .today()
            .checked_add(Span::new().days(240))
            .unwrap()
            .to_string()
    );
    let offer = j
        .call("POST", "/offers", Some(body), Some(&anna.token))
        .await;
    let id = offer["offer_id"].as_str().unwrap().to_string();
    j.call(
        "POST",
        &format!("/offers/{id}/submit"),
        None,
        Some(&anna.token),
    )
    .await;
    let mut months = vec![Month::of(j.clock.today())];
    while months.len() < MONTHS {
        months.push(months[months.len() - 1].next());
    }
    for (platform, manager) in &platforms {
        j.approve(manager, platform, &id).await;
        let kind = j
            .call(
                "POST",
                &format!("/platforms/{platform}/placement-kinds"),
                Some(json!({"name": "Top-Platzierung", "price_cents": 1900, "slots_per_month": 2})),
                Some(&j.operator.token),
            )
            .await;
        for month in &months {
            j.call(
                "POST",
                &format!("/offers/{id}/placements"),
                Some(json!({"platform_id": platform.as_str(), "kind_id": kind["kind_id"], "month": month.to_string()})),
                Some(&anna.token),
            )
            .await;
        }
        assert_eq!(j.feed_ids(platform).await, vec![id.clone()]);
    }

    let withdrawn = j
        .stack
        .call(
            "POST",
            &format!("/offers/{id}/withdraw"),
            None,
            Some(&anna.token),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    for state in withdrawn.body["platforms"].as_array().unwrap() {
        assert_eq!(state["status"], "withdrawn", "{state}");
        assert_eq!(state["placed_months"], json!([months[0].to_string()]));
    }
    for (platform, _) in &platforms {
        for category in CATEGORIES {
            let page = j
                .call(
                    "GET",
                    &format!("/platforms/{platform}/offers?category={category}"),
                    None,
                    None,
                )
                .await;
            assert!(
                page["offers"].as_array().unwrap().is_empty(),
                "{platform} {category}"
            );
        }
        assert!(j.feed_ids(platform).await.is_empty(), "{platform}");
    }

    // What billing reads for each month: this month's placements on all twenty platforms, none
    // of the later months'.
    for (i, month) in months.iter().enumerate() {
        let period = *month;
        let records = billing::partner::load(j.stack.table.as_ref(), &anna.id, period)
            .await
            .unwrap();
        let lines = billing::sources::placements::lines(&records.placements, period);
        assert_eq!(lines.len(), if i == 0 { 20 } else { 0 }, "{month}");
        let listed = j
            .call(
                "GET",
                &format!("/partners/me/placements?month={month}"),
                None,
                Some(&anna.token),
            )
            .await;
        assert_eq!(listed["total_cents"], if i == 0 { 20 * 1900 } else { 0 });
    }
}

/// The manager's measures on DynamoDB: an offer taken down leaves the feed and is mailed once;
/// a partner suspended (the suspension written under the condition of the state read, an
/// attribute holding a map) leaves the feed with every offer and returns when reinstated.
#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_manager_takes_an_offer_down_and_suspends_and_reinstates_a_partner() {
    let j = Journey::start().await;
    let anna = j.partner_on("anna", &[(&j.pa, &j.manager_a)]).await;
    let first = j.publish(&anna, "15 % auf alle Torten", &[&j.pa]).await;
    j.approve(&j.manager_a, &j.pa, &first).await;
    let second = j.publish(&anna, "Kaffee gratis", &[&j.pa]).await;
    j.approve(&j.manager_a, &j.pa, &second).await;
    let mut shown = j.feed_ids(&j.pa).await;
    shown.sort();
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(shown, both);

    let reason = "Der beworbene Rabatt wird im Shop nicht gewährt.";
    let path = format!("/platforms/{}/offers/{first}/take-down", j.pa);
    for _ in 0..2 {
        let down = j
            .call(
                "POST",
                &path,
                Some(json!({"reason": reason})),
                Some(&j.manager_a.token),
            )
            .await;
        assert_eq!(down["status"], "taken_down");
    }
    assert_eq!(j.feed_ids(&j.pa).await, vec![second.clone()]);
    let taken_down_mails = mails_to(anna.email.as_str())
        .await
        .into_iter()
        .filter(|m| m.subject.contains("aus dem Angebot genommen"))
        .count();
    assert_eq!(taken_down_mails, 1);
    let mine = j
        .call(
            "GET",
            &format!("/partners/me/offers/{first}"),
            None,
            Some(&anna.token),
        )
        .await;
    assert_eq!(mine["offer"]["platforms"][0]["status"], "taken_down");
    assert_eq!(mine["offer"]["platforms"][0]["rejection_reason"], reason);

    let suspension = format!("/platforms/{}/partners/{}/suspension", j.pa, anna.id);
    let suspended = j
        .call(
            "POST",
            &suspension,
            Some(json!({"reason": "Mehrere Beschwerden über nicht eingelöste Gutscheine."})),
            Some(&j.manager_a.token),
        )
        .await;
    assert!(suspended["suspension"]["suspended_at"].is_string());
    assert!(j.feed_ids(&j.pa).await.is_empty());
    let platforms = j
        .call("GET", "/partners/me/platforms", None, Some(&anna.token))
        .await;
    assert_eq!(
        platforms["applications"][0]["suspension"]["reason"],
        "Mehrere Beschwerden über nicht eingelöste Gutscheine."
    );

    let reinstated = j
        .call("DELETE", &suspension, None, Some(&j.manager_a.token))
        .await;
    assert!(reinstated.get("suspension").is_none());
    assert_eq!(j.feed_ids(&j.pa).await, vec![second]);
    let again = j
        .call("DELETE", &suspension, None, Some(&j.manager_a.token))
        .await;
    assert!(again.get("suspension").is_none());
    let mails = mails_to(anna.email.as_str()).await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.contains("gesperrt"))
            .count(),
        1
    );
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject.contains("wieder freigeschaltet"))
            .count(),
        1
    );
}
