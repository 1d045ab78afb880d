//! A partner's whole way through registration, over HTTP, against DynamoDB Local, moto's
//! SES and the embedded S3: what a real client of the deployed API would see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use shared::auth::Role;
use shared::domain::PlatformId;
use tests::{Stack, mails_to, token_mailed_to, unique_email};

const PASSWORD: &str = "sehr-geheim-123";
/// The logo the partner uploads (its first bytes are all the upload checks).
const LOGO: &[u8] = b"RIFF----WEBPVP8 logo";

async fn login(stack: &Stack, email: &str, password: &str) -> String {
    let r = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": email, "password": password})),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "login {email}: {:?}", r.body);
    r.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn partner_journey_from_sign_up_to_cancellation() {
    let stack = Stack::start().await;
    let email = unique_email("anna");

    // Sign up and read the German confirmation mail from SES.
    let r = stack
        .call("POST", "/partners", Some(json!({"company": "Bäckerei Müller", "contact_name": "Anna Müller", "email": email, "password": PASSWORD, "accept_terms": true})), None)
        .await;
    assert_eq!(r.status, 202);
    let mails = mails_to(&email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].subject,
        "Bitte bestätigen Sie Ihre E-Mail-Adresse bei partnernetz"
    );
    let token = token_mailed_to(&email).await;

    // Before confirming, the right password only says "confirm first".
    let early = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": email, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(early.status, 403);
    let confirmed = stack
        .call(
            "POST",
            "/partners/confirm",
            Some(json!({"token": token})),
            None,
        )
        .await;
    assert_eq!(confirmed.status, 200);
    let jwt = login(&stack, &email, PASSWORD).await;

    // Logo through the presigned URL, then visible on the profile.
    let upload = stack
        .call(
            "POST",
            "/partners/me/logo",
            Some(json!({"content_type": "image/webp", "size_bytes": LOGO.len()})),
            Some(&jwt),
        )
        .await;
    assert_eq!(upload.status, 200);
    let url = upload.body["upload"]["url"].as_str().unwrap();
    let logo = LOGO.to_vec();
    let put = stack
        .http
        .put(url)
        .header("content-type", "image/webp")
        .body(logo.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "upload: {}", put.status());
    let me = stack.call("GET", "/partners/me", None, Some(&jwt)).await;
    let logo_url = me.body["logo_url"].as_str().expect("logo shown");
    assert_eq!(
        stack
            .http
            .get(logo_url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        logo
    );

    // Applying needs a mandate.
    let operator = stack
        .issuer
        .issue("op", Role::Operator, None, vec![], stack.clock.epoch())
        .unwrap();
    let platform = stack
        .call(
            "POST",
            "/platforms",
            Some(json!({"name": "Sparkasse Vorteilswelt", "monthly_fee_cents": 4900})),
            Some(&operator),
        )
        .await;
    assert_eq!(platform.status, 201);
    let platform_id = platform.body["id"].as_str().unwrap().to_string();
    let refused = stack
        .call(
            "POST",
            &format!("/partners/me/platforms/{platform_id}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(refused.status, 422);
    let mandate = stack
        .call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(json!({"account_holder": "Bäckerei Müller", "iban": "DE89370400440532013000"})),
            Some(&jwt),
        )
        .await;
    assert_eq!(mandate.status, 200);
    assert_eq!(mandate.body["iban"], "DE89 •••• •••• •••• ••30 00");
    let applied = stack
        .call(
            "POST",
            &format!("/partners/me/platforms/{platform_id}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(applied.status, 201);

    // The operator invites a manager, who sets a password and approves.
    let manager_email = unique_email("max");
    let invited = stack
        .call(
            "POST",
            &format!("/platforms/{platform_id}/managers"),
            Some(json!({"email": manager_email, "name": "Max Manager"})),
            Some(&operator),
        )
        .await;
    assert_eq!(invited.status, 201);
    let invite = token_mailed_to(&manager_email).await;
    let set = stack
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": invite, "password": "manager-passwort-1"})),
            None,
        )
        .await;
    assert_eq!(set.status, 200);
    let manager = login(&stack, &manager_email, "manager-passwort-1").await;
    let pending = stack
        .call(
            "GET",
            &format!("/platforms/{platform_id}/applications?status=pending"),
            None,
            Some(&manager),
        )
        .await;
    let partner_id = pending.body["applications"][0]["partner_id"]
        .as_str()
        .unwrap()
        .to_string();
    let approved = stack
        .call(
            "POST",
            &format!("/platforms/{platform_id}/applications/{partner_id}/decision"),
            Some(json!({"decision": "approve"})),
            Some(&manager),
        )
        .await;
    assert_eq!(approved.status, 200);
    assert_eq!(
        approved.body["approved_on"],
        stack.clock.today().to_string()
    );
    let approval_mail = mails_to(&email).await.pop().unwrap();
    assert_eq!(
        approval_mail.subject,
        "Ihre Bewerbung bei Sparkasse Vorteilswelt wurde angenommen"
    );

    // Cancelling ends the subscription after the notice period.
    let cancelled = stack
        .call(
            "DELETE",
            &format!("/partners/me/platforms/{platform_id}"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(cancelled.status, 200);
    let expected = registration::notice::subscription_end(stack.clock.today()).to_string();
    assert_eq!(cancelled.body["ends_on"], expected.as_str());
    let mine = stack
        .call("GET", "/partners/me/platforms", None, Some(&jwt))
        .await;
    assert_eq!(mine.body["applications"][0]["status"], "cancelled");
    assert!(stack.table.consumed_capacity() > 0.0);
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn bad_input_and_wrong_roles_over_http() {
    let stack = Stack::start().await;
    let email = unique_email("bad");
    let malformed = stack
        .raw("/partners", "application/json", b"{\"company\":".to_vec())
        .await;
    assert_eq!(malformed.status, 400);
    let wrong_type = stack.raw("/partners", "text/plain", b"{}".to_vec()).await;
    assert_eq!(wrong_type.status, 415);
    let oversized = stack
        .raw("/partners", "application/json", vec![b' '; 64 * 1024])
        .await;
    assert_eq!(oversized.status, 413);
    let invalid = stack
        .call("POST", "/partners", Some(json!({"company": "X", "contact_name": "Y", "email": email, "password": "kurz", "accept_terms": true})), None)
        .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["errors"][0]["field"], "password");
    assert!(
        mails_to(&email).await.is_empty(),
        "nothing sent for refused input"
    );

    let partner = stack
        .issuer
        .issue(
            "p1",
            Role::Partner,
            Some("p1".into()),
            vec![],
            stack.clock.epoch(),
        )
        .unwrap();
    let as_partner = stack
        .call(
            "POST",
            "/platforms",
            Some(json!({"name": "X", "monthly_fee_cents": 1})),
            Some(&partner),
        )
        .await;
    assert_eq!(as_partner.status, 403);
    let manager = stack
        .issuer
        .issue(
            "m1",
            Role::Manager,
            None,
            vec![PlatformId::generate().to_string()],
            stack.clock.epoch(),
        )
        .unwrap();
    let other_platform = stack
        .call(
            "GET",
            &format!("/platforms/{}/applications", PlatformId::generate()),
            None,
            Some(&manager),
        )
        .await;
    assert_eq!(other_platform.status, 403);
    let expired = stack
        .issuer
        .issue(
            "p1",
            Role::Partner,
            Some("p1".into()),
            vec![],
            stack.clock.epoch() - 3600,
        )
        .unwrap();
    assert_eq!(
        stack
            .call("GET", "/partners/me", None, Some(&expired))
            .await
            .status,
        401
    );
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn racing_duplicate_sign_ups_create_one_partner_on_dynamodb() {
    let stack = std::sync::Arc::new(Stack::start().await);
    let email = unique_email("race");
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let stack = stack.clone();
        let email = email.clone();
        tasks.push(tokio::spawn(async move {
            stack
                .call("POST", "/partners", Some(json!({"company": "Race", "contact_name": "R", "email": email, "password": PASSWORD, "accept_terms": true})), None)
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 202);
    }
    // Each sign-up replaced the unconfirmed one before it, as long as the address's hourly
    // mails lasted (three): of the links mailed, exactly one confirms an account.
    let mails = mails_to(&email).await;
    assert!(
        !mails.is_empty() && mails.len() <= 3,
        "{} mails",
        mails.len()
    );
    let mut confirmed = 0;
    for mail in &mails {
        let Some(token) = shared::mail::token_in_link(&mail.body) else {
            continue;
        };
        let r = stack
            .call(
                "POST",
                "/partners/confirm",
                Some(json!({"token": token})),
                None,
            )
            .await;
        if r.status == 200 {
            confirmed += 1;
        }
    }
    assert_eq!(
        confirmed, 1,
        "exactly one partner got a working confirmation link"
    );
}

/// A partner, signed up and confirmed: its id and a bearer token.
async fn confirmed_partner(stack: &Stack, email: &str) -> (String, String) {
    let r = stack
        .call("POST", "/partners", Some(json!({"company": "Bäckerei Müller", "contact_name": "Anna Müller", "email": email, "password": PASSWORD, "accept_terms": true})), None)
        .await;
    assert_eq!(r.status, 202);
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
    let jwt = login(stack, email, PASSWORD).await;
    let me = stack.call("GET", "/partners/me", None, Some(&jwt)).await;
    (me.body["id"].as_str().unwrap().to_string(), jwt)
}

/// The login moves in one transaction on DynamoDB: a taken address refuses the whole move
/// (the new login's conditional put), and of two links used at once exactly one moves it,
/// the old login deleted and the profile following.
#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn a_login_moves_to_a_new_address_in_one_transaction_on_dynamodb() {
    use shared::auth::Scope;
    use shared::model::accounts::{LoginName, login_key};
    use shared::store::Table;

    let stack = std::sync::Arc::new(Stack::start().await);
    let old = unique_email("anna");
    let taken = unique_email("bert");
    let (partner_id, jwt) = confirmed_partner(&stack, &old).await;
    confirmed_partner(&stack, &taken).await;
    let (one, two) = (unique_email("eins"), unique_email("zwei"));
    for to in [&taken, &one, &two] {
        let r = stack
            .call(
                "POST",
                "/partners/me/email",
                Some(json!({"current_password": PASSWORD, "new_email": to})),
                Some(&jwt),
            )
            .await;
        assert_eq!(r.status, 202, "{:?}", r.body);
    }
    let confirm = |token: String| {
        let stack = stack.clone();
        async move {
            stack
                .call(
                    "POST",
                    "/partners/email/confirm",
                    Some(json!({"token": token})),
                    None,
                )
                .await
        }
    };

    // The taken address: nothing of the move is written.
    let refused = confirm(token_mailed_to(&taken).await).await;
    assert_eq!(refused.status, 409, "{:?}", refused.body);
    login(&stack, &old, PASSWORD).await;
    login(&stack, &taken, PASSWORD).await;

    // Two links at once: one moves the login, the other finds its account gone.
    let (a, b) = tokio::join!(
        confirm(token_mailed_to(&one).await),
        confirm(token_mailed_to(&two).await)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "{:?} {:?}", a.body, b.body);
    let (winner, loser) = if a.status == 200 {
        (&one, &two)
    } else {
        (&two, &one)
    };

    let key = |email: &str| login_key(&Scope::Platform, &LoginName::parse(email).unwrap());
    assert!(stack.table.get(&key(&old)).await.unwrap().is_none());
    assert!(stack.table.get(&key(loser)).await.unwrap().is_none());
    let moved = stack.table.get(&key(winner)).await.unwrap().unwrap();
    assert_eq!(moved["account_id"], partner_id.as_str());
    assert_eq!(moved["generation"], 1);
    assert!(moved.contains_key("password_hash"));
    let jwt = login(&stack, winner, PASSWORD).await;
    let me = stack.call("GET", "/partners/me", None, Some(&jwt)).await;
    assert_eq!(me.body["id"], partner_id.as_str());
    assert_eq!(me.body["email"], winner.as_str());
    let notice = mails_to(&old).await.pop().unwrap();
    assert_eq!(
        notice.subject,
        "Ihre Anmeldeadresse bei partnernetz wurde geändert"
    );
}
