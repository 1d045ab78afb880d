//! The digital customer account over HTTP, against DynamoDB Local, moto's SES and the
//! embedded S3: a supplier books it, adds a customer who accepts the German invitation,
//! logs in, lists folders and copies a password; disabling, two suppliers, the slug race.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Value, json};
use shared::auth::Role;
use tests::{Stack, mails_to, token_mailed_to, unique_email};

const PASSWORD: &str = "sehr-geheim-123";
const CUSTOMER_PASSWORD: &str = "kunden-passwort-1";
const FOLDER_PASSWORD: &str = "Ordner-Passwort-9f3k";

/// Everything logged while this test binary runs, as the function would log it in Lambda.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn captured_log() -> CapturedLog {
    static LOG: OnceLock<CapturedLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_current_span(true)
            .with_writer(log.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        log
    })
    .clone()
}

/// Registration (login, invitations) and file-links on one server, as local-api serves them.
async fn start() -> Stack {
    Stack::start_with(Arc::new(shared::clock::SystemClock), |env| {
        shared::http::finish(registration::api(env).merge(file_links::api(env)))
    })
    .await
}

/// A partner who signed up, confirmed and logged in; its token.
async fn supplier(stack: &Stack, email: &str, company: &str) -> (String, String) {
    let r = stack
        .call(
            "POST",
            "/partners",
            Some(json!({"company": company, "contact_name": "Anna Müller", "email": email, "password": PASSWORD, "accept_terms": true})),
            None,
        )
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
    assert_eq!(r.status, 200);
    let r = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"email": email, "password": PASSWORD})),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let jwt = r.body["access_token"].as_str().unwrap().to_string();
    let me = stack.call("GET", "/partners/me", None, Some(&jwt)).await;
    (jwt, me.body["id"].as_str().unwrap().to_string())
}

async fn customer_login(stack: &Stack, login: &str, tenant: &str, password: &str) -> (u16, Value) {
    let r = stack
        .call(
            "POST",
            "/auth/login",
            Some(json!({"login": login, "password": password, "scope": "customer", "tenant": tenant})),
            None,
        )
        .await;
    (r.status, r.body)
}

async fn accept(stack: &Stack, email: &str, password: &str) {
    let token = token_mailed_to(email).await;
    let r = stack
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": password})),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Every item of the table, as DynamoDB Local stores it.
async fn scan(stack: &Stack) -> String {
    let out = tests::dynamodb_client()
        .scan()
        .table_name(&stack.table_name)
        .send()
        .await
        .unwrap();
    format!("{:?}", out.items())
}

fn slug() -> String {
    format!("kanzlei-{}", shared::domain::short_code(8).to_lowercase())
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn supplier_and_customer_journey() {
    let log = captured_log();
    let stack = start().await;
    let (jwt, supplier_id) = supplier(&stack, &unique_email("anna"), "Steuerkanzlei Müller").await;
    let slug = slug();

    // Book, with the supplier's own access link.
    let booked = stack
        .call(
            "POST",
            "/file-links/account",
            Some(json!({"slug": slug})),
            Some(&jwt),
        )
        .await;
    assert_eq!(booked.status, 201, "{}", booked.body);
    assert_eq!(
        booked.body["access_url"],
        format!("https://partnernetz.de/kundenkonto/{slug}")
    );
    let page = stack
        .call("GET", &format!("/suppliers/{slug}"), None, None)
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["name"], "Steuerkanzlei Müller");
    assert_eq!(page.body["tenant"], supplier_id.as_str());

    // A customer with a folder password and a username, and a global link.
    let karl = unique_email("karl");
    let created = stack
        .call(
            "POST",
            "/file-links/customers",
            Some(json!({
                "first_name": "Karl", "last_name": "Kunde", "email": karl,
                "username": format!("karl-{}", &slug[8..]),
                "folder_url": "https://cloud.example.de/s/Karl", "folder_password": FOLDER_PASSWORD
            })),
            Some(&jwt),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let karl_id = created.body["id"].as_str().unwrap().to_string();
    let link = stack
        .call(
            "POST",
            "/file-links/links",
            Some(json!({"name": "AGB", "url": "https://cloud.example.de/s/AGB"})),
            Some(&jwt),
        )
        .await;
    assert_eq!(link.status, 201);

    // The invitation arrives in German, and its link sets the password.
    let mails = mails_to(&karl).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].subject,
        "Ihr digitales Kundenkonto bei Steuerkanzlei Müller"
    );
    assert!(mails[0].body.contains("Guten Tag Karl Kunde"));
    assert!(mails[0].body.contains("innerhalb von 7 Tagen"));
    accept(&stack, &karl, CUSTOMER_PASSWORD).await;

    // Log in with the username, list the folders, copy the password.
    let (status, login) = customer_login(
        &stack,
        &format!("karl-{}", &slug[8..]),
        &supplier_id,
        CUSTOMER_PASSWORD,
    )
    .await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["role"], "customer");
    let token = login["access_token"].as_str().unwrap().to_string();
    let before = stack.table.consumed_capacity();
    let folders = stack.call("GET", "/me/folders", None, Some(&token)).await;
    let folder_units = stack.table.consumed_capacity() - before;
    assert_eq!(folders.status, 200);
    assert_eq!(folders.body["folders"].as_array().unwrap().len(), 2);
    assert_eq!(folders.body["folders"][0]["has_password"], true);
    // Customer, contract and links: three strongly consistent reads of small items, and
    // whether the customer's account was ended since the token was issued: one more.
    assert!(
        folder_units <= 4.0,
        "GET /me/folders read {folder_units} units"
    );
    let copied = stack
        .call(
            "POST",
            &format!("/me/folders/{karl_id}/password"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(copied.status, 200);
    assert_eq!(copied.body["password"], FOLDER_PASSWORD);
    let reveals = stack
        .call("GET", "/file-links/reveals", None, Some(&jwt))
        .await;
    assert_eq!(reveals.body["reveals"][0]["customer_id"], karl_id.as_str());
    assert_eq!(reveals.body["reveals"][0]["folder_name"], "Mein Ordner");
    let listed = stack
        .call("GET", "/file-links/customers", None, Some(&jwt))
        .await;
    assert_eq!(listed.body["customers"][0]["state"], "active");
    assert!(listed.body["customers"][0]["last_login_at"].is_string());

    // The folder password is neither stored nor logged in plain text.
    let stored = scan(&stack).await;
    assert!(stored.contains("Karl"), "the scan sees the customer");
    assert!(!stored.contains(FOLDER_PASSWORD));
    let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("handled"), "requests were logged");
    assert!(!logged.contains(FOLDER_PASSWORD));

    // Disabled: the password is refused, and so is the token still in hand.
    let disabled = stack
        .call(
            "POST",
            &format!("/file-links/customers/{karl_id}/disable"),
            None,
            Some(&jwt),
        )
        .await;
    assert_eq!(disabled.body["state"], "disabled");
    let (status, _) = customer_login(&stack, &karl, &supplier_id, CUSTOMER_PASSWORD).await;
    assert_eq!(status, 403);
    let live = stack.call("GET", "/me/folders", None, Some(&token)).await;
    assert_eq!(live.status, 403);
    let copy = stack
        .call(
            "POST",
            &format!("/me/folders/{karl_id}/password"),
            None,
            Some(&token),
        )
        .await;
    assert_eq!(copy.status, 403);
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn one_address_at_two_suppliers_has_two_passwords_and_sees_only_its_own_folder() {
    let stack = start().await;
    let (jwt_a, a) = supplier(&stack, &unique_email("a"), "Agentur A").await;
    let (jwt_b, b) = supplier(&stack, &unique_email("b"), "Büro B").await;
    let karl = unique_email("karl");
    for (jwt, url) in [
        (&jwt_a, "https://cloud.example.de/s/A"),
        (&jwt_b, "https://cloud.example.de/s/B"),
    ] {
        let r = stack
            .call(
                "POST",
                "/file-links/account",
                Some(json!({"slug": slug()})),
                Some(jwt),
            )
            .await;
        assert_eq!(r.status, 201);
        let r = stack
            .call(
                "POST",
                "/file-links/customers",
                Some(json!({"first_name": "Karl", "last_name": "Kunde", "email": karl, "folder_url": url})),
                Some(jwt),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let password = if url.ends_with('A') {
            "passwort-bei-a"
        } else {
            "passwort-bei-b"
        };
        accept(&stack, &karl, password).await;
    }
    let (status, login_a) = customer_login(&stack, &karl, &a, "passwort-bei-a").await;
    assert_eq!(status, 200);
    let (status, _) = customer_login(&stack, &karl, &b, "passwort-bei-b").await;
    assert_eq!(status, 200);
    let (status, _) = customer_login(&stack, &karl, &b, "passwort-bei-a").await;
    assert_eq!(status, 401);
    let token_a = login_a["access_token"].as_str().unwrap();
    let folders = stack.call("GET", "/me/folders", None, Some(token_a)).await;
    assert_eq!(
        folders.body["folders"][0]["url"],
        "https://cloud.example.de/s/A"
    );
    assert_eq!(folders.body["folders"].as_array().unwrap().len(), 1);
    // A's token is no key to B's customers.
    let theirs = stack
        .call("GET", "/file-links/customers", None, Some(&jwt_b))
        .await;
    let b_id = theirs.body["customers"][0]["id"].as_str().unwrap();
    let r = stack
        .call(
            "POST",
            &format!("/me/folders/{b_id}/password"),
            None,
            Some(token_a),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = stack
        .call(
            "GET",
            &format!("/file-links/customers/{b_id}"),
            None,
            Some(&jwt_a),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn suppliers_racing_for_one_slug_leave_exactly_one_winner() {
    let stack = start().await;
    let now = stack.clock.epoch();
    let token = || {
        let id = shared::domain::PartnerId::generate();
        stack
            .issuer
            .issue(
                id.as_str(),
                Role::Partner,
                Some(id.to_string()),
                vec![],
                now,
            )
            .unwrap()
    };
    let (t1, t2, t3, t4) = (token(), token(), token(), token());
    let slug = slug();
    let book = |t: &str| {
        let body = Some(json!({"slug": slug}));
        let t = t.to_string();
        let stack = &stack;
        async move {
            stack
                .call("POST", "/file-links/account", body, Some(&t))
                .await
        }
    };
    let (r1, r2, r3, r4) = tokio::join!(book(&t1), book(&t2), book(&t3), book(&t4));
    let replies = [r1, r2, r3, r4];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        3,
        "{statuses:?}"
    );
    for r in replies.iter().filter(|r| r.status == 409) {
        assert!(
            r.body["detail"].as_str().unwrap().contains("vergeben"),
            "{}",
            r.body
        );
    }
}
