//! The customer's folders, "copy password" and the supplier's record of reveals.

use axum::http::StatusCode;
use serde_json::json;
use shared::clock::Clock;
use shared::testing::assert_problem;

use crate::{App, customer};

const FOLDER_PASSWORD: &str = "Ordner Geheim 7!";
const GLOBAL_PASSWORD: &str = "fuer-alle-42";

#[tokio::test]
async fn a_customer_sees_its_folder_and_the_global_links_and_copies_passwords() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let mut body = customer("karl@kunde.example");
    body["folder_password"] = json!(FOLDER_PASSWORD);
    let karl = app.add_customer(&supplier, body).await;
    let link = app
        .call(
            "POST",
            "/file-links/links",
            Some(json!({"name": "AGB", "url": "https://cloud.example.de/s/Alle", "password": GLOBAL_PASSWORD})),
            &supplier.token,
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
    let link_id = link.body["id"].as_str().unwrap().to_string();
    app.call(
        "POST",
        "/file-links/links",
        Some(json!({"name": "Preisliste", "url": "https://cloud.example.de/s/Preise"})),
        &supplier.token,
    )
    .await;
    app.accept_invitation("karl@kunde.example").await;
    let token = app.customer_token("karl@kunde.example", &supplier).await;

    let folders = app.call("GET", "/me/folders", None, &token).await;
    assert_eq!(folders.status, StatusCode::OK);
    let listed: Vec<(String, String, bool)> = folders.body["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["url"].as_str().unwrap().to_string(),
                f["has_password"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("personal", "https://cloud.example.de/s/Xy7aB2", true),
            ("global", "https://cloud.example.de/s/Alle", true),
            ("global", "https://cloud.example.de/s/Preise", false),
        ]
        .map(|(k, u, p)| (k.to_string(), u.to_string(), p))
    );
    assert!(!folders.body.to_string().contains(FOLDER_PASSWORD));

    let own = app
        .call(
            "POST",
            &format!("/me/folders/{karl}/password"),
            None,
            &token,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["password"], FOLDER_PASSWORD);
    assert_eq!(own.headers["cache-control"], "no-store");
    let global = app
        .call(
            "POST",
            &format!("/me/folders/{link_id}/password"),
            None,
            &token,
        )
        .await;
    assert_eq!(global.body["password"], GLOBAL_PASSWORD);

    let reveals = app
        .call("GET", "/file-links/reveals", None, &supplier.token)
        .await;
    let records = reveals.body["reveals"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["folder_name"], "AGB", "newest first");
    assert_eq!(records[1]["folder_name"], "Mein Ordner");
    for r in records {
        assert_eq!(r["customer_id"], karl.as_str());
        assert_eq!(r["customer_name"], "Karl Kunde");
        assert_eq!(r["revealed_at"], app.kit.clock.now().to_string().as_str());
    }

    // Never in the table in plain text.
    let dump = serde_json::to_string(&app.kit.table.dump().unwrap()).unwrap();
    assert!(!dump.contains(FOLDER_PASSWORD));
    assert!(!dump.contains(GLOBAL_PASSWORD));
}

#[tokio::test]
async fn a_customer_never_reaches_another_customers_or_suppliers_folder() {
    let app = App::new().await;
    let a = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let b = app.supplier("bert@agentur.de", "agentur").await;
    let mut body = customer("karl@kunde.example");
    body["folder_password"] = json!("karls-ordner");
    app.add_customer(&a, body).await;
    let mut body = customer("eva@kunde.example");
    body["folder_password"] = json!("evas-ordner");
    let eva = app.add_customer(&a, body).await;
    let mut body = customer("otto@kunde.example");
    body["folder_password"] = json!("ottos-ordner");
    let otto = app.add_customer(&b, body).await;
    let b_link = app
        .call(
            "POST",
            "/file-links/links",
            Some(
                json!({"name": "B", "url": "https://cloud.example.de/s/B", "password": "b-geheim"}),
            ),
            &b.token,
        )
        .await;
    let b_link = b_link.body["id"].as_str().unwrap().to_string();
    app.accept_invitation("karl@kunde.example").await;
    let karl = app.customer_token("karl@kunde.example", &a).await;

    for folder in [&eva, &otto, &b_link] {
        let reply = app
            .call(
                "POST",
                &format!("/me/folders/{folder}/password"),
                None,
                &karl,
            )
            .await;
        assert_problem(&reply, StatusCode::NOT_FOUND, None);
        assert!(!reply.body.to_string().contains("geheim"));
        assert!(!reply.body.to_string().contains("ordner\""));
    }
    let folders = app.call("GET", "/me/folders", None, &karl).await;
    assert_eq!(folders.body["folders"].as_array().unwrap().len(), 1);
    let reveals = app.call("GET", "/file-links/reveals", None, &a.token).await;
    assert_eq!(reveals.body["reveals"], json!([]), "nothing was revealed");
}

#[tokio::test]
async fn a_folder_without_password_has_nothing_to_copy() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let karl = app
        .add_customer(&supplier, customer("karl@kunde.example"))
        .await;
    app.accept_invitation("karl@kunde.example").await;
    let token = app.customer_token("karl@kunde.example", &supplier).await;
    let reply = app
        .call(
            "POST",
            &format!("/me/folders/{karl}/password"),
            None,
            &token,
        )
        .await;
    assert_problem(&reply, StatusCode::NOT_FOUND, None);

    // The supplier adds one later; an empty string removes it again.
    let patched = app
        .call(
            "PATCH",
            &format!("/file-links/customers/{karl}"),
            Some(json!({"folder_password": "jetzt-mit"})),
            &supplier.token,
        )
        .await;
    assert_eq!(patched.body["has_folder_password"], true);
    let reply = app
        .call(
            "POST",
            &format!("/me/folders/{karl}/password"),
            None,
            &token,
        )
        .await;
    assert_eq!(reply.body["password"], "jetzt-mit");
    let patched = app
        .call(
            "PATCH",
            &format!("/file-links/customers/{karl}"),
            Some(json!({"folder_password": ""})),
            &supplier.token,
        )
        .await;
    assert_eq!(patched.body["has_folder_password"], false);
}
