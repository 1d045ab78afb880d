//! The operator's console over HTTP against DynamoDB Local and moto's SES: a fee change
//! checked against the month's billing run, a manager removed, partners searched page by
//! page through the index, and a partner disabled, as the deployed API would answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use shared::auth::Role;
use shared::domain::Month;
use shared::store::{Cond, Item, Table};
use tests::{Stack, mails_to, token_mailed_to, unique_email};

const PASSWORD: &str = "sehr-geheim-123";

async fn confirmed_partner(stack: &Stack, email: &str, company: &str) -> String {
    let r = stack
        .call("POST", "/partners", Some(json!({"company": company, "contact_name": "Anna Müller", "email": email, "password": PASSWORD, "accept_terms": true})), None)
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let token = token_mailed_to(email).await;
    let r = stack
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": token})),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": email, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn the_operator_changes_a_fee_removes_a_manager_finds_and_disables_a_partner() {
    let stack = Stack::start().await;
    let operator = stack
        .issuer
        .issue("op", Role::Operator, None, vec![], stack.clock.epoch())
        .unwrap();
    let created = stack
        .call(
            "POST",
            "/platforms",
            Some(json!({"name": "Sparkasse Vorteilswelt", "monthly_fee_cents": 4900})),
            Some(&operator),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let platform = created.body["id"].as_str().unwrap().to_string();

    // This month's run has started: its fee stays; next month's changes.
    let this_month = Month::of(stack.clock.today());
    let key = shared::model::runs::run_key(this_month);
    let mut run = Item::new();
    run.insert("pk".into(), key.pk.into());
    run.insert("sk".into(), key.sk.into());
    stack.table.put(run, Cond::NotExists).await.unwrap();
    let fee = |from: Month| json!({"from": from.to_string(), "monthly_fee_cents": 5900});
    let path = format!("/platforms/{platform}/fee-changes");
    let refused = stack
        .call("POST", &path, Some(fee(this_month)), Some(&operator))
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "from");
    let changed = stack
        .call("POST", &path, Some(fee(this_month.next())), Some(&operator))
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["monthly_fee_cents"], 4900);
    assert_eq!(changed.body["upcoming_fees"][0]["monthly_fee_cents"], 5900);

    // A manager invited, signed in, removed: refused on the next request.
    let manager_email = unique_email("max");
    let invited = stack
        .call(
            "POST",
            &format!("/platforms/{platform}/managers"),
            Some(json!({"email": manager_email, "name": "Max Manager"})),
            Some(&operator),
        )
        .await;
    assert_eq!(invited.status, 201, "{:?}", invited.body);
    let token = token_mailed_to(&manager_email).await;
    let accepted = stack
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    let login = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": manager_email, "password": PASSWORD})),
            None,
        )
        .await;
    let manager = login.body["access_token"].as_str().unwrap().to_string();
    let queue = format!("/platforms/{platform}/applications");
    assert_eq!(
        stack.call("GET", &queue, None, Some(&manager)).await.status,
        200
    );
    let listed = stack
        .call(
            "GET",
            &format!("/platforms/{platform}/managers"),
            None,
            Some(&operator),
        )
        .await;
    let account = listed.body["managers"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_string();
    let removed = stack
        .call(
            "DELETE",
            &format!("/platforms/{platform}/managers/{account}"),
            None,
            Some(&operator),
        )
        .await;
    assert_eq!(removed.status, 200, "{:?}", removed.body);
    assert_eq!(
        stack.call("GET", &queue, None, Some(&manager)).await.status,
        403
    );

    // Partners found through the index, one per page.
    let marker = shared::domain::new_id();
    let mut tokens = Vec::new();
    for company in ["Bäckerei Müller", "Blumen Schmidt"] {
        let email = unique_email("partner");
        let jwt = confirmed_partner(&stack, &email, &format!("{company} {marker}")).await;
        tokens.push(jwt);
    }
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/partners?q={marker}&limit=1&cursor={c}"),
            None => format!("/partners?q={marker}&limit=1"),
        };
        let page = stack.call("GET", &query, None, Some(&operator)).await;
        assert_eq!(page.status, 200, "{:?}", page.body);
        for p in page.body["partners"].as_array().unwrap() {
            found.push(p["company"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    found.sort();
    assert_eq!(
        found,
        [
            format!("Blumen Schmidt {marker}"),
            format!("Bäckerei Müller {marker}")
        ]
    );

    // One disabled: refused at once, mailed the reason.
    let me = stack
        .call("GET", "/partners/me", None, Some(&tokens[0]))
        .await;
    let partner = me.body["id"].as_str().unwrap().to_string();
    let email = me.body["email"].as_str().unwrap().to_string();
    let disabled = stack
        .call(
            "POST",
            &format!("/partners/{partner}/disable"),
            Some(json!({"reason": "Die Lastschriften wurden wiederholt zurückgegeben."})),
            Some(&operator),
        )
        .await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.body);
    assert_eq!(
        stack
            .call("GET", "/partners/me", None, Some(&tokens[0]))
            .await
            .status,
        403
    );
    let mails = mails_to(&email).await;
    assert!(
        mails
            .iter()
            .any(|m| m.body.contains("wiederholt zurückgegeben")),
        "the reason is mailed"
    );
    let overview = stack
        .call(
            "GET",
            &format!("/partners/{partner}"),
            None,
            Some(&operator),
        )
        .await;
    assert_eq!(overview.body["state"], "disabled");
}
