//! The redirect as a visitor meets it: the 302, the 404 page, and what is counted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use http::{Request, StatusCode};
use jiff::SignedDuration;
use jiff::civil::Date;
use redirect::{ClickSecret, RedirectState};
use shared::clock::Clock;
use shared::domain::{AccountId, PartnerId, PlatformId, ProgramId};
use shared::model::referrals::{ClickCount, Link, link_clicks, sum_clicks};
use shared::store::{Cond, Table};
use shared::testing::{Client, Reply, TestEnv};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const CODE: &str = "Ab3dE6gH9k";

struct Setup {
    kit: TestEnv,
    client: Client,
}

async fn setup(landing_url: &str, active: bool) -> Setup {
    let kit = TestEnv::new().await;
    let link = Link {
        code: CODE.into(),
        program_id: ProgramId::generate(),
        partner_id: PartnerId::generate(),
        referrer: AccountId::generate(),
        platform_id: PlatformId::generate(),
        landing_url: landing_url.into(),
        active,
        attribution_days: 30,
        referrer_hash: "h".into(),
        created_at: kit.clock.now(),
    };
    kit.table
        .put(link.to_item().unwrap(), Cond::NotExists)
        .await
        .unwrap();
    let state = RedirectState::new(
        kit.table.clone(),
        kit.clock.clone(),
        ClickSecret::new("test-secret"),
    );
    let client = Client::in_process(redirect::build(state));
    Setup { kit, client }
}

async fn click(client: &Client, method: &str, path: &str, ua: &str, ip: &str) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("user-agent", ua)
        .header("x-forwarded-for", ip)
        .body(Body::empty())
        .unwrap();
    client.send(req).await
}

fn location(reply: &Reply) -> url::Url {
    let loc = reply.headers["location"].to_str().unwrap();
    url::Url::parse(loc).unwrap()
}

async fn counted(kit: &TestEnv) -> ClickCount {
    let items = kit
        .table
        .query_all(link_clicks(
            CODE,
            Date::constant(2000, 1, 1),
            Date::constant(2100, 1, 1),
        ))
        .await
        .unwrap();
    sum_clicks(&items)
}

#[tokio::test]
async fn the_302_keeps_the_landing_urls_query_and_adds_the_click_id() {
    let s = setup(
        "https://shop.example.de/aktion?utm_source=freunde&x=1#start",
        true,
    )
    .await;
    let reply = click(
        &s.client,
        "GET",
        &format!("/r/{CODE}"),
        CHROME,
        "203.0.113.7",
    )
    .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.headers["cache-control"], "no-store");
    let to = location(&reply);
    assert_eq!(to.host_str(), Some("shop.example.de"));
    assert_eq!(to.path(), "/aktion");
    assert_eq!(to.fragment(), Some("start"));
    let pairs: Vec<(String, String)> = to.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("utm_source".into(), "freunde".into()));
    assert_eq!(pairs[1], ("x".into(), "1".into()));
    assert_eq!(pairs[2].0, "pn_click");
    assert_eq!(pairs[2].1.len(), 32);
}

#[tokio::test]
async fn a_browser_counts_once_per_hour_and_again_after() {
    let s = setup("https://shop.example.de/", true).await;
    let path = format!("/r/{CODE}");
    let first = click(&s.client, "GET", &path, CHROME, "203.0.113.7").await;
    let second = click(&s.client, "GET", &path, CHROME, "203.0.113.7").await;
    assert_eq!(
        location(&first),
        location(&second),
        "one click id within the day"
    );
    assert_eq!(
        counted(&s.kit).await,
        ClickCount {
            clicks: 1,
            unique: 1
        }
    );

    s.kit.clock.advance(SignedDuration::from_mins(59));
    click(&s.client, "GET", &path, CHROME, "203.0.113.7").await;
    assert_eq!(
        counted(&s.kit).await,
        ClickCount {
            clicks: 1,
            unique: 1
        }
    );

    s.kit.clock.advance(SignedDuration::from_mins(2));
    click(&s.client, "GET", &path, CHROME, "203.0.113.7").await;
    assert_eq!(
        counted(&s.kit).await,
        ClickCount {
            clicks: 2,
            unique: 1
        }
    );

    // Another visitor (another address) is another unique click.
    click(&s.client, "GET", &path, CHROME, "198.51.100.23").await;
    assert_eq!(
        counted(&s.kit).await,
        ClickCount {
            clicks: 3,
            unique: 2
        }
    );
}

#[tokio::test]
async fn crawlers_heads_and_empty_agents_are_redirected_but_not_counted() {
    let s = setup("https://shop.example.de/", true).await;
    let path = format!("/r/{CODE}");
    for (method, ua) in [("GET", GOOGLEBOT), ("HEAD", CHROME), ("GET", "")] {
        let reply = click(&s.client, method, &path, ua, "203.0.113.7").await;
        assert_eq!(reply.status, StatusCode::FOUND, "{method} {ua}");
    }
    assert_eq!(counted(&s.kit).await, ClickCount::default());
}

#[tokio::test]
async fn unknown_crafted_and_ended_links_get_the_german_page() {
    let s = setup("https://shop.example.de/", true).await;
    for path in [
        "/r/Zz3dE6gH9k".to_string(),
        "/r/https%3A%2F%2Fevil.example".to_string(),
        "/r/Ab3dE6gH9k%2F..%2Fx".to_string(),
        format!("/r/{CODE}?to=https://evil.example"),
    ] {
        let reply = click(&s.client, "GET", &path, CHROME, "203.0.113.7").await;
        if reply.status == StatusCode::FOUND {
            // Only the stored target, whatever the query says.
            assert_eq!(
                location(&reply).host_str(),
                Some("shop.example.de"),
                "{path}"
            );
        } else {
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert!(reply.content_type().starts_with("text/html"), "{path}");
            let page = reply.body.as_str().unwrap();
            assert!(page.contains("nicht (mehr) gültig"), "{page}");
        }
    }
    let ended = setup("https://shop.example.de/", false).await;
    let reply = click(
        &ended.client,
        "GET",
        &format!("/r/{CODE}"),
        CHROME,
        "203.0.113.7",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(counted(&ended.kit).await, ClickCount::default());
}

/// Deployed, an instance uses a link it read for a few seconds: a program ended meanwhile
/// stops redirecting once that time has passed, and an unknown code is never kept.
#[tokio::test]
async fn a_kept_link_is_used_for_its_keeping_time_only() {
    let kit = TestEnv::new().await;
    let mut link = Link {
        code: CODE.into(),
        program_id: ProgramId::generate(),
        partner_id: PartnerId::generate(),
        referrer: AccountId::generate(),
        platform_id: PlatformId::generate(),
        landing_url: "https://shop.example.de/".into(),
        active: true,
        attribution_days: 30,
        referrer_hash: "h".into(),
        created_at: kit.clock.now(),
    };
    let state = RedirectState::keeping_links_for(
        kit.table.clone(),
        kit.clock.clone(),
        ClickSecret::new("test-secret"),
        5,
    );
    let client = Client::in_process(redirect::build(state));
    let path = format!("/r/{CODE}");
    let unknown = click(&client, "GET", &path, CHROME, "203.0.113.7").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    kit.table
        .put(link.to_item().unwrap(), Cond::NotExists)
        .await
        .unwrap();
    let first = click(&client, "GET", &path, CHROME, "203.0.113.7").await;
    assert_eq!(first.status, StatusCode::FOUND, "a new link works at once");

    link.active = false;
    kit.table
        .put(link.to_item().unwrap(), Cond::Always)
        .await
        .unwrap();
    kit.clock.advance(SignedDuration::from_secs(4));
    let kept = click(&client, "GET", &path, CHROME, "203.0.113.8").await;
    assert_eq!(kept.status, StatusCode::FOUND);
    kit.clock.advance(SignedDuration::from_secs(1));
    let ended = click(&client, "GET", &path, CHROME, "203.0.113.8").await;
    assert_eq!(ended.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stored_target_that_is_not_https_is_not_followed() {
    let s = setup("javascript:alert(1)", true).await;
    let reply = click(
        &s.client,
        "GET",
        &format!("/r/{CODE}"),
        CHROME,
        "203.0.113.7",
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_table_holds_no_ip_address() {
    let s = setup("https://shop.example.de/", true).await;
    for ip in ["203.0.113.7", "2001:db8::1"] {
        click(&s.client, "GET", &format!("/r/{CODE}"), CHROME, ip).await;
    }
    let dump = serde_json::to_string(&s.kit.table.dump().unwrap()).unwrap();
    assert!(
        dump.contains("pn_click") || dump.contains("visits"),
        "clicks were stored"
    );
    assert!(!dump.contains("203.0.113.7"), "{dump}");
    assert!(!dump.contains("2001:db8::1"), "{dump}");
}

/// Real user agents from the published lists shipped in `data/`: every crawler example of
/// `crawler-user-agents` is a bot but two that are browsers people use: Fluid's (see
/// `bots::BROWSER_TOKENS`) and Instagram's on an Android phone (its entry names the phone's
/// build number, see `build.rs`); every one of the 100 most common browsers is not.
#[test]
fn published_crawlers_and_browsers_are_told_apart() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let crawlers: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("crawler-user-agents.json")).unwrap(),
    )
    .unwrap();
    let instances: Vec<&str> = crawlers
        .iter()
        .flat_map(|c| c["instances"].as_array().into_iter().flatten())
        .filter_map(|i| i.as_str())
        .collect();
    assert!(instances.len() > 1000, "{}", instances.len());
    let missed: Vec<&&str> = instances
        .iter()
        .filter(|ua| !redirect::bots::is_bot(ua))
        .collect();
    assert_eq!(
        missed,
        [
            &"Mozilla/5.0 (Linux; Android 15; CPH2557 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/142.0.7444.142 Mobile Safari/537.36 Instagram 406.0.0.58.159 Android (35/15; 480dpi; 1080x2400; OPPO; CPH2557; OP573DL1; mt6833; en_MY; 822918295; IABMV/1) NV/1",
            &"Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_5_6; en-us) AppleWebKit/528.16 (KHTML, like Gecko) Fluid/0.9.6 Safari/528.16",
        ],
        "crawlers taken for people"
    );

    let browsers: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("top-user-agents.json")).unwrap())
            .unwrap();
    assert_eq!(browsers.len(), 100);
    let flagged: Vec<&String> = browsers
        .iter()
        .filter(|ua| redirect::bots::is_bot(ua))
        .collect();
    assert!(
        flagged.is_empty(),
        "browsers taken for crawlers: {flagged:#?}"
    );
}

/// The one route, in the template, the route table and the OpenAPI document alike.
#[test]
fn the_template_the_route_table_and_the_document_agree() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let function = &docs[0]["Resources"]["RedirectFunction"];
    let yaml_rust2::Yaml::Hash(events) = &function["Properties"]["Events"] else {
        panic!("RedirectFunction has no Events");
    };
    let in_template: Vec<(String, String)> = events
        .values()
        .map(|e| {
            let p = &e["Properties"];
            (
                p["Method"].as_str().unwrap().to_uppercase(),
                p["Path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let in_table: Vec<(String, String)> = redirect::routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(in_template, in_table);
    // Only the table, with no S3 or SES rights.
    let policies = format!("{:?}", function["Properties"]["Policies"]);
    assert!(
        !policies.contains("s3:") && !policies.contains("ses:"),
        "{policies}"
    );
    let doc = serde_json::to_value(redirect::openapi()).unwrap();
    let op = &doc["paths"]["/r/{code}"]["get"];
    assert!(op["responses"]["302"].is_object(), "{op}");
    assert!(
        op["responses"]["404"]["content"]["text/html"].is_object(),
        "{op}"
    );
    assert_eq!(op["security"], serde_json::json!([]));
}

/// The sample event goes through lambda_http as in Lambda: the visitor's address comes from
/// API Gateway's request context (`sourceIp`), and the click is counted.
#[tokio::test]
async fn the_api_gateway_event_is_followed_and_counted() {
    use tower::ServiceExt;
    let s = setup("https://shop.example.de/", true).await;
    let raw = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../events/redirect/get-r-code.json"),
    )
    .unwrap()
    .replace("Ab3dE6gH9k", CODE);
    let request = lambda_http::request::from_str(&raw).unwrap();
    let state = RedirectState::new(
        s.kit.table.clone(),
        s.kit.clock.clone(),
        ClickSecret::new("test-secret"),
    );
    let response = redirect::build(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        counted(&s.kit).await,
        ClickCount {
            clicks: 1,
            unique: 1
        }
    );
    let dump = serde_json::to_string(&s.kit.table.dump().unwrap()).unwrap();
    assert!(!dump.contains("1.2.3.4"), "the source IP is not stored");
}
