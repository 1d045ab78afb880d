//! `cargo run -p local-api` as a newcomer uses it: it serves, and data survives a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

fn config(dir: &std::path::Path) -> local_api::LocalConfig {
    local_api::LocalConfig {
        data_dir: dir.to_path_buf(),
        api_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        s3_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
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
