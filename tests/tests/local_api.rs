//! `cargo run -p local-api` as a newcomer uses it: it serves, and data survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

fn config(dir: &std::path::Path) -> local_api::LocalConfig {
    local_api::LocalConfig {
        data_dir: dir.to_path_buf(),
        api_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        s3_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        web_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        web_dir: None,
    }
}

#[tokio::test]
async fn local_api_keeps_partners_and_keys_across_restarts() {
    let dir = std::env::temp_dir().join(format!("pn-local-{}", shared::domain::new_id()));
    let http = reqwest::Client::new();
    let email = "anna@baeckerei-lokal.de";

    let first = local_api::start(&config(&dir), None).await.unwrap();
    let base = first.base_url();
    let r = http
        .post(format!("{base}/partners"))
        .json(&json!({"company": "Bäckerei", "contact_name": "Anna", "email": email, "password": "sehr-geheim-123", "accept_terms": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let outbox: serde_json::Value = http
        .get(format!("{base}/_dev/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = outbox["mails"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(outbox["mails"][0]["to"], email);
    first.shutdown().await.unwrap();

    let second = local_api::start(&config(&dir), None).await.unwrap();
    let base = second.base_url();
    let token = registration::mails::token_in_link(&text).unwrap();
    let confirm = http
        .post(format!("{base}/partners/confirm"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        confirm.status(),
        200,
        "the token stored before the restart still works"
    );
    let login: serde_json::Value = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": email, "password": "sehr-geheim-123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwt = login["access_token"].as_str().unwrap();
    let me: serde_json::Value = http
        .get(format!("{base}/partners/me"))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["company"], "Bäckerei");
    let outbox: serde_json::Value = http
        .get(format!("{base}/_dev/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        outbox["mails"].as_array().unwrap().len(),
        1,
        "the outbox survives too"
    );
    second.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// As deployed, a finished logo upload reaches registration at once: its checked copy is in
/// the bucket before anyone opens the profile.
#[tokio::test]
async fn local_api_adopts_a_logo_when_its_upload_completes() {
    let dir = std::env::temp_dir().join(format!("pn-local-{}", shared::domain::new_id()));
    let http = reqwest::Client::new();
    let email = "anna@baeckerei-logo.de";
    let running = local_api::start(&config(&dir), None).await.unwrap();
    let base = running.base_url();
    let r = http
        .post(format!("{base}/partners"))
        .json(&json!({"company": "Bäckerei", "contact_name": "Anna", "email": email, "password": "sehr-geheim-123", "accept_terms": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let outbox: serde_json::Value = http
        .get(format!("{base}/_dev/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token =
        registration::mails::token_in_link(outbox["mails"][0]["text"].as_str().unwrap()).unwrap();
    let confirm = http
        .post(format!("{base}/partners/confirm"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    let login: serde_json::Value = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": email, "password": "sehr-geheim-123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwt = login["access_token"].as_str().unwrap();

    let png = b"\x89PNG\r\n\x1a\n-lokales-logo-".to_vec();
    let presigned: serde_json::Value = http
        .post(format!("{base}/partners/me/logo"))
        .bearer_auth(jwt)
        .json(&json!({"content_type": "image/png", "size_bytes": png.len()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let put = http
        .put(presigned["upload"]["url"].as_str().unwrap())
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());

    // The logos outside the uploads folder: the adopted copy, and nothing else.
    let logos = dir.join("s3").join(local_api::BUCKET).join("logos");
    let adopted: Vec<Vec<u8>> = std::fs::read_dir(&logos)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("uploads"))
        .flat_map(|partner| std::fs::read_dir(partner).unwrap())
        .map(|file| std::fs::read(file.unwrap().path()).unwrap())
        .collect();
    assert_eq!(adopted, [png]);
    running.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn local_api_serves_every_functions_document_in_one() {
    let dir = std::env::temp_dir().join(format!("pn-local-{}", shared::domain::new_id()));
    let running = local_api::start(&config(&dir), None).await.unwrap();
    let reply = reqwest::get(format!("{}/openapi.json", running.base_url()))
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let served: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(served["info"]["title"], "partnernetz");
    for function in local_api::FUNCTIONS {
        let own = serde_json::to_value((function.openapi)()).unwrap();
        for (path, item) in own["paths"].as_object().unwrap() {
            assert_eq!(
                &served["paths"][path], item,
                "{} {path} is served as the function documents it",
                function.name
            );
        }
        for (method, path) in (function.routes)() {
            assert!(
                served["paths"][path][method.as_str().to_lowercase()].is_object(),
                "{method} {path} of {} is in the document",
                function.name
            );
        }
    }
    running.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// local-api serves one document of every function: a schema name two functions both
/// define would leave only one of them, and the other's answers would be checked (and
/// described to clients) against the wrong shape.
#[test]
fn no_two_functions_define_a_schema_of_the_same_name_differently() {
    let mut seen: std::collections::BTreeMap<String, (&str, serde_json::Value)> =
        std::collections::BTreeMap::new();
    for function in local_api::FUNCTIONS {
        let document = serde_json::to_value((function.openapi)()).unwrap();
        let Some(schemas) = document["components"]["schemas"].as_object() else {
            continue;
        };
        for (name, schema) in schemas {
            match seen.get(name) {
                Some((other, known)) => assert_eq!(
                    known, schema,
                    "the schema {name} of {} differs from the one of {other}",
                    function.name
                ),
                None => {
                    seen.insert(name.clone(), (function.name, schema.clone()));
                }
            }
        }
    }
    assert!(seen.len() > 50, "every function's schemas were read");
}

/// `cargo run -p local-api -- billing-run <month>` refuses a month that has not begun, with
/// the German reason, and bills nothing. (2099-12 is the last month a run knows; it lies
/// ahead of any machine's clock this suite will meet.)
#[tokio::test]
async fn the_local_billing_run_refuses_a_month_that_has_not_begun() {
    let dir = std::env::temp_dir().join(format!("pn-local-{}", shared::domain::new_id()));
    let period = billing::Month::parse("2099-12").unwrap();
    let refused = local_api::billing_run(&config(&dir), period, &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("Der Monat 2099-12 hat noch nicht begonnen"),
        "{refused}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The app's build folder as the static build leaves it: an index, the till's own page and a
/// hashed asset.
fn web_build(dir: &std::path::Path) -> std::path::PathBuf {
    let build = dir.join("build");
    std::fs::create_dir_all(build.join("_app/immutable")).unwrap();
    std::fs::write(
        build.join("index.html"),
        "<!doctype html><title>partnernetz</title>",
    )
    .unwrap();
    std::fs::write(
        build.join("kasse.html"),
        "<!doctype html><title>Kasse – partnernetz</title>",
    )
    .unwrap();
    std::fs::write(build.join("_app/immutable/start.Bx1c.js"), "export {};").unwrap();
    build
}

#[tokio::test]
async fn local_api_serves_the_web_app_on_its_own_origin_as_deployed() {
    let dir = std::env::temp_dir().join(format!("pn-local-web-{}", shared::domain::new_id()));
    let mut config = config(&dir);
    config.web_dir = Some(web_build(&dir));
    let running = local_api::start(&config, None).await.unwrap();
    let web = format!("http://{}", running.web_addr.unwrap());
    let api = running.base_url();
    let http = reqwest::Client::new();

    // A route of the app is its index (the till's, the till's own page), never cached, with
    // the distribution's headers.
    for (path, title) in [
        ("/", "<title>partnernetz</title>"),
        (
            "/kasse/0193a0b0-0000-7000-8000-000000000001",
            "<title>Kasse – partnernetz</title>",
        ),
        (
            "/kasse/0193a0b0-0000-7000-8000-000000000001/anmelden?weiter=/kasse",
            "<title>Kasse – partnernetz</title>",
        ),
        ("/einladung?token=x", "<title>partnernetz</title>"),
    ] {
        let r = http.get(format!("{web}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert_eq!(h["cache-control"], "no-cache", "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(
            h["strict-transport-security"]
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(r.text().await.unwrap().contains(title), "{path}");
    }
    let asset = http
        .get(format!("{web}/_app/immutable/start.Bx1c.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    // The app learns the API's origin; the API answers the app's origin with credentials.
    let config_json: serde_json::Value = http
        .get(format!("{web}/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config_json["api_base_url"], api);
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{api}/auth/refresh"))
        .header("origin", &web)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        web.as_str()
    );
    assert_eq!(
        preflight.headers()["access-control-allow-credentials"],
        "true"
    );
    let stranger = http
        .request(reqwest::Method::OPTIONS, format!("{api}/auth/refresh"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        stranger
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Mails link to the app.
    let r = http
        .post(format!("{api}/partners"))
        .json(&json!({"company": "Bäckerei", "contact_name": "Anna", "email": "anna@web.de", "password": "sehr-geheim-123", "accept_terms": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let outbox: serde_json::Value = http
        .get(format!("{api}/_dev/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = outbox["mails"][0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("{web}/registrierung/bestaetigen?token=")),
        "{text}"
    );
    running.shutdown().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The deployed web stack in infra/template.yaml: a private bucket read only through
/// CloudFront, every path of the app answered with index.html, the security headers, hashed
/// assets cached for a year and the rest never; the API's CORS lets the app's cookie through.
#[test]
fn the_template_deploys_the_web_app_as_local_api_serves_it() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let template = std::fs::read_to_string(path).unwrap();
    // A resource's text: from its name to the next line that starts another resource.
    let section = |name: &str| -> String {
        let start = template
            .find(&format!("\n  {name}:\n"))
            .unwrap_or_else(|| panic!("{name} is not in the template"));
        let rest = &template[start + 1..];
        let end = rest
            .match_indices("\n  ")
            .map(|(i, _)| i)
            .find(|&i| rest[i + 3..].starts_with(|c: char| c.is_ascii_uppercase()))
            .unwrap_or(rest.len());
        rest[..end].to_string()
    };
    let bucket = section("WebBucket");
    assert!(bucket.contains("RestrictPublicBuckets: true"), "{bucket}");
    let policy = section("WebBucketPolicy");
    assert!(policy.contains("cloudfront.amazonaws.com") && policy.contains("AWS:SourceArn"));
    let distribution = section("WebDistribution");
    for expected in [
        "OriginAccessControlId",
        "redirect-to-https",
        "ResponsePagePath: /index.html",
        "PathPattern: /_app/immutable/*",
        "PathPattern: /kasse/*",
    ] {
        assert!(
            distribution.contains(expected),
            "{expected} in {distribution}"
        );
    }
    let headers = section("WebHeaders");
    for expected in [
        "frame-ancestors 'none'",
        "FrameOption: DENY",
        "StrictTransportSecurity",
        "ReferrerPolicy",
        "Value: no-cache",
    ] {
        assert!(headers.contains(expected), "{expected} in {headers}");
    }
    assert!(section("WebImmutableHeaders").contains("max-age=31536000, immutable"));
    // Every path of the till is answered with the till's own page, as local-api does.
    assert!(section("WebTillPage").contains("'/kasse.html'"));
    assert!(section("HttpApi").contains("AllowCredentials: true"));
}
