//! What each function needs to run and which of its routes the bench drives: its
//! environment, the items it reads, and the API Gateway v2 events it is sent.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use hyper::body::Bytes;
use serde_json::{Value, json};
use shared::auth::{JwtIssuer, generate_ed25519_pems};
use shared::crypto::DataKey;
use shared::store::DynamoTable;

use crate::storage::StorageCall;

pub const TABLE_NAME: &str = "partnernetz-bench";
const PARTNER_EMAIL: &str = "bench@baeckerei-mueller.de";

/// What every function is started with here: the bench table in DynamoDB Local and the
/// dummy credentials it accepts.
fn base_env(endpoint: &str) -> Vec<(String, String)> {
    vars([
        ("TABLE_NAME", TABLE_NAME.to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.to_owned()),
    ])
}

/// [`base_env`] and what the functions built on `shared::env::Env` read: bucket, sender,
/// public URL, the key that checks tokens and the data key.
fn platform_env(endpoint: &str, jwt_public_pem: String, data_key: String) -> Vec<(String, String)> {
    let mut env = base_env(endpoint);
    env.extend(vars([
        ("BUCKET_NAME", "partnernetz-bench".to_owned()),
        ("SENDER_ADDRESS", "noreply@partnernetz.de".to_owned()),
        ("PUBLIC_BASE_URL", "https://partnernetz.de".to_owned()),
        ("JWT_PUBLIC_KEY_PEM", jwt_public_pem),
        ("DATA_KEY", data_key),
    ]));
    env
}

fn vars<const N: usize>(pairs: [(&str, String); N]) -> Vec<(String, String)> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// One route the bench invokes, with the event sent for it.
#[derive(Debug, Clone)]
pub struct Route {
    /// `GET /partners/me`, as in the report.
    pub name: String,
    pub kind: RouteKind,
    pub event: Bytes,
    /// Where the event came from: a file under `events/`, or built here.
    pub source: String,
    /// The DynamoDB calls the route makes, to time them without the function.
    pub storage: Option<StorageCall>,
    /// The status a successful invocation answers (the redirect's 302, a booking's 201).
    pub status: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Read,
    Write,
    /// Password hashing, reported on its own line.
    Login,
    /// The baseline's echo.
    Echo,
    /// A scheduled run (an EventBridge event), answered with its summary.
    Schedule,
}

#[derive(Debug)]
pub struct Scenario {
    pub env: Vec<(String, String)>,
    pub routes: Vec<Route>,
}

/// The scenario of a function by its crate name; seeds what it needs into the table.
pub async fn prepare(
    name: &str,
    root: &Path,
    table: &DynamoTable,
    dynamodb_endpoint: &str,
) -> Result<Scenario> {
    match name {
        "baseline" => Ok(Scenario {
            env: Vec::new(),
            routes: vec![Route {
                name: "echo".into(),
                kind: RouteKind::Echo,
                event: Bytes::from(serde_json::to_vec(&api_gateway_event(
                    "GET",
                    "/partners/me",
                    None,
                    None,
                ))?),
                source: "built-in API Gateway v2 event".into(),
                storage: None,
                status: 200,
            }],
        }),
        "registration" => registration(root, table, dynamodb_endpoint).await,
        "mail-retry" => mail_retry(root, dynamodb_endpoint),
        "billing" => billing(root, table, dynamodb_endpoint).await,
        "offers" => offers(root, table, dynamodb_endpoint).await,
        "cards" => cards(root, table, dynamodb_endpoint).await,
        "redirect" => redirect(root, table, dynamodb_endpoint).await,
        "referrals" => referrals(root, table, dynamodb_endpoint).await,
        "file-links" => file_links(root, table, dynamodb_endpoint).await,
        other => bail!(
            "no bench scenario for the function `{other}`: add one to bench/harness/src/scenario.rs"
        ),
    }
}

/// The outbox's schedule: a run with no mail due, which is what nearly every run finds
/// (one query of the pending-mail index).
fn mail_retry(root: &Path, endpoint: &str) -> Result<Scenario> {
    let file = root
        .join("events")
        .join("mail-retry")
        .join("scheduled.json");
    let event = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let mut env = base_env(endpoint);
    env.extend(vars([
        // Read only when a due mail has attachments; none is due here.
        ("BUCKET_NAME", "partnernetz-bench".to_owned()),
        ("SENDER_ADDRESS", "noreply@partnernetz.de".to_owned()),
    ]));
    Ok(Scenario {
        env,
        routes: vec![Route {
            name: "scheduled run (nothing due)".into(),
            kind: RouteKind::Schedule,
            event: Bytes::from(event),
            source: "events/mail-retry/scheduled.json".into(),
            storage: None,
            status: 200,
        }],
    })
}

async fn registration(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use shared::clock::SystemClock;
    use shared::model::partners::partner_key;
    use shared::testing::{Fixtures, PASSWORD};

    let pems = generate_ed25519_pems().context("generating a JWT key pair")?;
    let issuer = JwtIssuer::from_pem(&pems.private_pem).context("loading the JWT key")?;
    // The same confirmed partner the handler bench and the router tests use; a fresh token
    // for every run, since a token lives 15 minutes, longer than one function's runs.
    let partner = Fixtures {
        table,
        clock: &SystemClock,
        issuer: &issuer,
    }
    .confirmed_partner(PARTNER_EMAIL)
    .await;
    let partner_id = partner.id;
    let bearer = format!("Bearer {}", partner.token);
    let patch_body = json!({ "company": "Bäckerei Müller GmbH" }).to_string();
    let login_body = json!({ "email": PARTNER_EMAIL, "password": PASSWORD }).to_string();

    let events = root.join("events").join("registration");
    let profile = partner_key(&partner_id);
    let mut read = route(
        &events,
        "GET",
        "/partners/me",
        RouteKind::Read,
        Some(&bearer),
        None,
    )?;
    read.storage = Some(StorageCall::Get {
        pk: profile.pk.clone(),
        sk: profile.sk.clone(),
    });
    let mut write = route(
        &events,
        "PATCH",
        "/partners/me",
        RouteKind::Write,
        Some(&bearer),
        Some(&patch_body),
    )?;
    write.storage = Some(StorageCall::UpdateThenGet {
        pk: profile.pk,
        sk: profile.sk,
        attr: "company",
        value: "Bäckerei Müller GmbH".into(),
    });
    let login_route = route(
        &events,
        "POST",
        "/auth/login",
        RouteKind::Login,
        None,
        Some(&login_body),
    )?;
    let routes = vec![read, write, login_route];

    let mut env = platform_env(endpoint, pems.public_pem, DataKey::generate_base64());
    env.push(("JWT_PRIVATE_KEY_PEM".to_owned(), pems.private_pem));
    Ok(Scenario { env, routes })
}

/// The public feed at full size: 20 approved offers with an image each on the platform of
/// the sample events (`events/offers/`), and the detail of one of them.
async fn offers(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use offers::offer::{
        Benefit, BenefitKind, Category, Content, Image, ImageType, InStore, Live, Offer,
        OnPlatform, Online, Status,
    };
    use shared::domain::{Email, PartnerId, PlatformId};
    use shared::model::subscriptions::{Application, ApplicationStatus};
    use shared::store::{Cond, Table};

    // The ids the sample events name.
    const PLATFORM: &str = "01a20996-1d13-756c-954c-72ad0a27051f";
    const OFFER: &str = "01a20996-1d13-756c-954c-72ad0a270100";
    let platform = PlatformId::from_raw(PLATFORM);
    let partner = PartnerId::from_raw("01a20996-1d13-756c-954c-72ad0a270999");
    let now = jiff::Timestamp::now();
    let today = shared::clock::berlin_date(now);
    let app = Application {
        partner_id: partner.clone(),
        platform_id: platform.clone(),
        platform_name: "Sparkasse Bench".into(),
        company: "Bäckerei Müller".into(),
        contact_email: Email::parse(PARTNER_EMAIL).map_err(anyhow::Error::msg)?,
        status: ApplicationStatus::Approved,
        applied_at: now,
        decided_at: Some(now),
        approved_on: Some(today),
        rejection_reason: None,
        cancelled_at: None,
        ends_on: None,
        suspension: None,
        partner_disabled_at: None,
    };
    table.put(app.to_item()?, Cond::Always).await?;
    for n in 0..20 {
        let offer_id = if n == 0 {
            OFFER.to_owned()
        } else {
            format!("01a20996-1d13-756c-954c-72ad0a2701{n:02}")
        };
        let content = Content {
            title: format!("Angebot {n}: 15 % auf alle Torten"),
            teaser: "Für alle Kundinnen und Kunden der Sparkasse".into(),
            description: "Zeigen Sie den Gutschein an der Theke.".into(),
            benefit: Benefit {
                kind: BenefitKind::Percent,
                value: Some(15),
                text: None,
            },
            online: Some(Online {
                shop_url: "https://shop.baeckerei.de".into(),
                discount_code: Some("TORTE15".into()),
            }),
            in_store: Some(InStore {
                instructions: "Gutschein an der Kasse zeigen.".into(),
                coupon_code: Some("TORTE15".into()),
            }),
            valid_from: today,
            valid_to: today.checked_add(jiff::Span::new().days(60))?,
            categories: vec![Category::Essen],
            images: vec![Image {
                image_id: format!("image-{n}"),
                key: format!("offers/{partner}/{offer_id}/image-{n}.png"),
                content_type: ImageType::Png,
                size_bytes: 1024,
            }],
        };
        let live = Live {
            content: content.clone(),
            draft_revision: Some(0),
            company: "Bäckerei Müller".into(),
            logo_key: None,
            published_at: now,
            approved_at: now,
        };
        let offer = Offer {
            offer_id,
            partner_id: partner.clone(),
            content,
            draft_revision: 0,
            platforms: vec![platform.clone()],
            states: [(
                platform.clone(),
                OnPlatform {
                    status: Status::Approved,
                    submitted_at: Some(now),
                    decided_at: Some(now),
                    checks: None,
                    rejection_reason: None,
                    live: Some(live),
                    placed_months: Vec::new(),
                },
            )]
            .into(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        table.put(offer.to_item()?, Cond::Always).await?;
        for (_, item) in offers::listing::entries(&offer, &platform)? {
            table.put(item, Cond::Always).await?;
        }
    }

    let events = root.join("events").join("offers");
    let feed = route(
        &events,
        "GET",
        &format!("/platforms/{PLATFORM}/offers"),
        RouteKind::Read,
        None,
        None,
    )?;
    let detail = route(
        &events,
        "GET",
        &format!("/offers/{OFFER}"),
        RouteKind::Write,
        None,
        None,
    )?;
    let pems = generate_ed25519_pems().context("generating a JWT key pair")?;
    let env = platform_env(endpoint, pems.public_pem, DataKey::generate_base64());
    Ok(Scenario {
        env,
        routes: vec![feed, detail],
    })
}

/// The customer's folder page, `GET /me/folders`: a supplier with a booking, one customer
/// with a sealed folder password and two global links, as file-links writes them.
async fn file_links(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use file_links::records::{Customer, GlobalLink, customer_key, link_key};
    use shared::auth::{Role, Scope};
    use shared::clock::{Clock, SystemClock};
    use shared::domain::{AccountId, Email, PartnerId};
    use shared::model::contracts::file_links::FileLinksContract;
    use shared::model::to_item;
    use shared::store::{Cond, Table};

    let pems = generate_ed25519_pems().context("generating a JWT key pair")?;
    let issuer = JwtIssuer::from_pem(&pems.private_pem).context("loading the JWT key")?;
    let data_key_b64 = DataKey::generate_base64();
    let data_key = DataKey::from_base64(&data_key_b64).context("the data key")?;
    let clock = SystemClock;
    let supplier = PartnerId::generate();
    let customer = AccountId::generate();
    let contract = FileLinksContract::book(
        supplier.clone(),
        "bench-kanzlei".into(),
        clock.now(),
        clock.today(),
    );
    let record = Customer {
        account_id: customer.clone(),
        first_name: "Karl".into(),
        last_name: "Kunde".into(),
        email: Email::parse("karl@kunde.example").map_err(anyhow::Error::msg)?,
        username: None,
        folder_url: "https://cloud.example.de/s/Karl".into(),
        folder_password_sealed: Some(data_key.seal("ordner-geheim-1")),
        disabled: false,
        created_at: clock.now(),
    };
    let mut items = vec![
        to_item(&contract.key(), &contract)?,
        to_item(&customer_key(&supplier, customer.as_str()), &record)?,
    ];
    for name in ["AGB", "Preisliste"] {
        let link = GlobalLink {
            link_id: shared::domain::new_id(),
            name: name.into(),
            url: "https://cloud.example.de/s/Alle".into(),
            password_sealed: Some(data_key.seal("fuer-alle-1")),
            created_at: clock.now(),
        };
        items.push(to_item(&link_key(&supplier, &link.link_id), &link)?);
    }
    for item in items {
        table.put(item, Cond::Always).await?;
    }
    let token = issuer.issue_scoped(
        customer.as_str(),
        Role::Customer,
        Some(supplier.to_string()),
        vec![],
        Scope::Customer(supplier.clone()),
        clock.epoch(),
    )?;
    let bearer = format!("Bearer {token}");
    let events = root.join("events").join("file-links");
    // Two GetItems and a Query side by side: no single plain SDK call to compare with.
    let folders = route(
        &events,
        "GET",
        "/me/folders",
        RouteKind::Read,
        Some(&bearer),
        None,
    )?;

    let env = platform_env(endpoint, pems.public_pem, data_key_b64);
    Ok(Scenario {
        env,
        routes: vec![folders],
    })
}

/// The event for a route: the matching file under `events/<function>/` when there is
/// one (its authorization header and body replaced by the bench's), else one built here.
fn route(
    dir: &Path,
    method: &str,
    path: &str,
    kind: RouteKind,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Result<Route> {
    let (event, source) = match event_file(dir, method, path)? {
        Some((file, mut event)) => {
            patch_event(&mut event, authorization, body);
            (event, file)
        }
        None => (
            api_gateway_event(method, path, authorization, body),
            "built-in API Gateway v2 event".to_owned(),
        ),
    };
    Ok(Route {
        name: format!("{method} {path}"),
        kind,
        event: Bytes::from(serde_json::to_vec(&event)?),
        source,
        storage: None,
        status: 200,
    })
}

fn event_file(dir: &Path, method: &str, path: &str) -> Result<Option<(String, Value)>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let Ok(event) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let http = &event["requestContext"]["http"];
        if http["method"] == method && event["rawPath"] == path {
            let shown = file
                .strip_prefix(dir.parent().and_then(Path::parent).unwrap_or(dir))
                .unwrap_or(&file)
                .display()
                .to_string();
            return Ok(Some((shown, event)));
        }
    }
    Ok(None)
}

fn patch_event(event: &mut Value, authorization: Option<&str>, body: Option<&str>) {
    if let Some(headers) = event.get_mut("headers").and_then(Value::as_object_mut) {
        headers.retain(|k, _| !k.eq_ignore_ascii_case("authorization"));
        if let Some(auth) = authorization {
            headers.insert("authorization".into(), auth.into());
        }
        if body.is_some() {
            headers.insert("content-type".into(), "application/json".into());
        }
    }
    if let Some(body) = body {
        if let Some(headers) = event.get_mut("headers").and_then(Value::as_object_mut) {
            headers.insert("content-length".into(), body.len().to_string().into());
        }
        event["body"] = body.into();
        event["isBase64Encoded"] = false.into();
    }
}

/// An HTTP API (payload 2.0) event as API Gateway sends it, modelled on AWS's sample.
pub fn api_gateway_event(
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Value {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let mut headers = json!({
        "accept": "application/json",
        "host": "api.partnernetz.de",
        "user-agent": "Mozilla/5.0",
        "x-amzn-trace-id": "Root=1-5e9f0c65-1de4d666d4dd26aced652b6c",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "content-length": body.map_or(0, str::len).to_string(),
    });
    if let Some(auth) = authorization {
        headers["authorization"] = auth.into();
    }
    if body.is_some() {
        headers["content-type"] = "application/json".into();
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "api.partnernetz.de",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0"
            },
            "requestId": "LV7fzho-PHcEJPw=",
            "routeKey": format!("{method} {path}"),
            "stage": "$default",
            "time": "21/Apr/2026:15:08:21 +0000",
            "timeEpoch": now_ms
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = body.into();
    }
    event
}

/// Billing's API: the operator's list of runs and the partner's invoices (both empty: the
/// run itself is measured in-process by `functions/billing/benches/handlers.rs`).
async fn billing(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use shared::clock::SystemClock;
    use shared::testing::Fixtures;

    let pems = generate_ed25519_pems().context("generating a JWT key pair")?;
    let issuer = JwtIssuer::from_pem(&pems.private_pem).context("loading the JWT key")?;
    let fixtures = Fixtures {
        table,
        clock: &SystemClock,
        issuer: &issuer,
    };
    let partner = fixtures
        .confirmed_partner("bench-billing@baeckerei-mueller.de")
        .await;
    let operator = fixtures.operator("bench-operator@partnernetz.de").await;
    let events = root.join("events").join("billing");
    let runs = route(
        &events,
        "GET",
        "/billing/runs",
        RouteKind::Read,
        Some(&format!("Bearer {}", operator.token)),
        None,
    )?;
    let invoices = route(
        &events,
        "GET",
        "/partners/me/invoices",
        RouteKind::Read,
        Some(&format!("Bearer {}", partner.token)),
        None,
    )?;
    let mut env = platform_env(endpoint, pems.public_pem, DataKey::generate_base64());
    env.extend(vars([
        (
            "BILLING_QUEUE_URL",
            "https://sqs.eu-central-1.amazonaws.com/123456789012/partnernetz-billing".to_owned(),
        ),
        ("BILLING_SUPPLIER_NAME", "partnernetz GmbH".to_owned()),
        ("BILLING_SUPPLIER_STREET", "Musterstraße 1".to_owned()),
        ("BILLING_SUPPLIER_POSTAL_CODE", "10115".to_owned()),
        ("BILLING_SUPPLIER_CITY", "Berlin".to_owned()),
        ("BILLING_SUPPLIER_VAT_ID", "DE999999999".to_owned()),
        ("BILLING_CONTACT_NAME", "Buchhaltung".to_owned()),
        ("BILLING_CONTACT_PHONE", "+49 30 1234567".to_owned()),
        (
            "BILLING_CONTACT_EMAIL",
            "buchhaltung@partnernetz.de".to_owned(),
        ),
        ("BILLING_CREDITOR_ID", "DE98ZZZ09999999999".to_owned()),
        ("BILLING_CREDITOR_IBAN", "DE02120300000000202051".to_owned()),
        ("BILLING_CREDITOR_BIC", "BYLADEM1001".to_owned()),
    ]));
    Ok(Scenario {
        env,
        routes: vec![runs, invoices],
    })
}

/// The till's hot path: a lookup and a booking on a seeded bonus card, the card number of
/// `events/cards/`. The booking event carries one `Idempotency-Key`, so its first run books
/// and every later run is answered from the booking's record (a replay); the handler bench
/// (`functions/cards/benches/handlers.rs`) times fresh bookings.
async fn cards(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use cards::card::{Card, CardStatus, index_put};
    use cards::programs::Rules;
    use shared::auth::{Role, Scope};
    use shared::domain::PartnerId;
    use shared::store::{Cond, Table};

    const NUMBER: &str = "9276004150201234";
    let pems = generate_ed25519_pems().context("generating a JWT key pair")?;
    let issuer = JwtIssuer::from_pem(&pems.private_pem).context("loading the JWT key")?;
    let merchant = PartnerId::generate();
    let card = Card {
        number: NUMBER.into(),
        partner_id: merchant.clone(),
        program_id: "bench-program".into(),
        program_name: "Brötchen-Bonus".into(),
        rules: Rules::Bonus {
            points_per_euro: 1,
            point_value_cents: 1,
            expiry_months: Some(24),
            pending_days: None,
        },
        status: CardStatus::Active,
        balance: 0,
        pending: 0,
        debited: 0,
        expiring_total: 0,
        activation_hash: String::new(),
        batch_id: "bench-batch".into(),
        issued_on: jiff::civil::date(2026, 1, 1),
        holder_account: None,
        holder_first_name: None,
        loaded_on: None,
        valid_until: None,
        last_booking_on: None,
        replaced_by: None,
        contract_ends_on: None,
    };
    table
        .put(card.to_item().context("the card")?, Cond::Always)
        .await
        .context("seeding the card")?;
    let _ = table
        .transact(vec![index_put(&card).context("the card's list entry")?])
        .await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let token = issuer
        .issue_scoped(
            shared::domain::AccountId::generate().as_str(),
            Role::Pos,
            Some(merchant.to_string()),
            vec![],
            Scope::Pos(merchant.clone()),
            now,
        )
        .context("a till token")?;
    let bearer = format!("Bearer {token}");
    let events = root.join("events").join("cards");
    let path = format!("/cards/pos/cards/{NUMBER}");
    let key = cards::card::card_key(NUMBER);
    let mut lookup = route(&events, "GET", &path, RouteKind::Read, Some(&bearer), None)?;
    lookup.storage = Some(StorageCall::Get {
        pk: key.pk,
        sk: key.sk,
    });
    let booking_body = json!({"type": "earn", "amount_cents": 2350}).to_string();
    let mut booking = route(
        &events,
        "POST",
        &format!("{path}/bookings"),
        RouteKind::Write,
        Some(&bearer),
        Some(&booking_body),
    )?;
    // The first run books; later runs are answered from its record with the same 201.
    booking.status = 201;
    let env = platform_env(endpoint, pems.public_pem, DataKey::generate_base64());
    Ok(Scenario {
        env,
        routes: vec![lookup, booking],
    })
}

/// The code of the link the redirect's scenario follows (the one in its sample event).
const LINK_CODE: &str = "Ab3dE6gH9k";

/// The redirect: `GET /r/{code}` of an active link from a browser. The first call counts a
/// click (2 write units); the bench's repeats are the same visitor within the hour, so they
/// cost the link's read and one failed conditional write.
async fn redirect(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use shared::domain::{AccountId, PartnerId, PlatformId, ProgramId};
    use shared::model::referrals::Link;
    use shared::store::{Cond, Table};

    let link = Link {
        code: LINK_CODE.into(),
        program_id: ProgramId::generate(),
        partner_id: PartnerId::generate(),
        referrer: AccountId::generate(),
        platform_id: PlatformId::generate(),
        landing_url: "https://shop.baeckerei-mueller.de/aktion?utm_source=empfehlung".into(),
        active: true,
        attribution_days: 30,
        referrer_hash: String::new(),
        created_at: jiff::Timestamp::now(),
    };
    table
        .put(link.to_item()?, Cond::Always)
        .await
        .context("seeding the link")?;
    let events = root.join("events").join("redirect");
    let mut follow = route(
        &events,
        "GET",
        &format!("/r/{LINK_CODE}"),
        RouteKind::Write,
        None,
        None,
    )?;
    follow.status = 302;
    let mut env = base_env(endpoint);
    env.push((
        "CLICK_SECRET".to_owned(),
        "bench-click-secret-of-at-least-32-chars".to_owned(),
    ));
    Ok(Scenario {
        env,
        routes: vec![follow],
    })
}

/// Referrals: a partner lists its programs (read) and sets its landing-page domains (write).
async fn referrals(root: &Path, table: &DynamoTable, endpoint: &str) -> Result<Scenario> {
    use shared::clock::SystemClock;
    use shared::testing::Fixtures;

    let pems = generate_ed25519_pems().context("generating a JWT key pair")?;
    let issuer = JwtIssuer::from_pem(&pems.private_pem).context("loading the JWT key")?;
    let partner = Fixtures {
        table,
        clock: &SystemClock,
        issuer: &issuer,
    }
    .confirmed_partner("bench-referrals@baeckerei-mueller.de")
    .await;
    let bearer = format!("Bearer {}", partner.token);
    let events = root.join("events").join("referrals");
    let read = route(
        &events,
        "GET",
        "/programs",
        RouteKind::Read,
        Some(&bearer),
        None,
    )?;
    let domains = json!({ "domains": ["baeckerei-mueller.de"] }).to_string();
    let write = route(
        &events,
        "PUT",
        "/partners/me/referral-domains",
        RouteKind::Write,
        Some(&bearer),
        Some(&domains),
    )?;
    let env = platform_env(endpoint, pems.public_pem, DataKey::generate_base64());
    Ok(Scenario {
        env,
        routes: vec![read, write],
    })
}
