//! Customers: invitation, login by e-mail or username, states, disabling, deleting.

use axum::http::StatusCode;
use serde_json::json;
use shared::clock::Clock;
use shared::testing::assert_problem;

use crate::{App, CUSTOMER_PASSWORD, customer};

#[tokio::test]
async fn a_new_customer_is_invited_in_german_and_logs_in_with_email_or_username() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let mut body = customer("karl@kunde.example");
    body["username"] = json!("Karl.Kunde");
    let id = app.add_customer(&supplier, body).await;

    let mail = app.kit.last_mail_to("karl@kunde.example").await;
    assert!(
        mail.subject.contains("digitales Kundenkonto"),
        "{}",
        mail.subject
    );
    assert!(mail.subject.contains("Bäckerei Müller"), "{}", mail.subject);
    assert!(mail.text.contains("Guten Tag Karl Kunde"), "{}", mail.text);
    assert!(mail.text.contains("innerhalb von 7 Tagen"), "{}", mail.text);
    // The link sets the password, then leads on to the supplier's page to log in.
    assert!(
        mail.text.contains("/einladung?token=")
            && mail.text.contains("weiter=/kundenkonto/kanzlei"),
        "{}",
        mail.text
    );

    let listed = app
        .call("GET", "/file-links/customers", None, &supplier.token)
        .await;
    assert_eq!(listed.body["customers"][0]["id"], id.as_str());
    assert_eq!(listed.body["customers"][0]["state"], "invited");
    assert_eq!(listed.body["customers"][0]["username"], "karl.kunde");
    assert!(listed.body["customers"][0]["last_login_at"].is_null());

    // Before the password is set, nobody logs in.
    let early = app
        .login("karl@kunde.example", &supplier, CUSTOMER_PASSWORD)
        .await;
    assert_problem(&early, StatusCode::UNAUTHORIZED, None);

    app.accept_invitation("karl@kunde.example").await;
    let by_mail = app.customer_token("karl@kunde.example", &supplier).await;
    let by_name = app.customer_token("karl.kunde", &supplier).await;
    for token in [&by_mail, &by_name] {
        let folders = app.call("GET", "/me/folders", None, token).await;
        assert_eq!(folders.status, StatusCode::OK, "{}", folders.body);
        assert_eq!(folders.body["first_name"], "Karl");
    }
    let wrong = app
        .login("karl.kunde", &supplier, "falsches-passwort")
        .await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, None);

    let one = app
        .call(
            "GET",
            &format!("/file-links/customers/{id}"),
            None,
            &supplier.token,
        )
        .await;
    assert_eq!(one.body["state"], "active");
    assert_eq!(
        one.body["last_login_at"],
        app.kit.clock.now().to_string().as_str()
    );

    // Forgot password works with the username too.
    let reset = app
        .client
        .call(
            "POST",
            "/auth/password-reset",
            Some(
                json!({"login": "karl.kunde", "scope": "customer", "tenant": supplier.id.as_str()}),
            ),
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::ACCEPTED);
    let mail = app.kit.last_mail_to("karl@kunde.example").await;
    assert!(mail.text.contains("token="), "{}", mail.text);
    assert!(
        !mail.subject.contains("digitales Kundenkonto"),
        "a reset mail"
    );
}

#[tokio::test]
async fn a_disabled_customer_can_neither_log_in_nor_use_a_live_token() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let id = app
        .add_customer(&supplier, customer("karl@kunde.example"))
        .await;
    app.accept_invitation("karl@kunde.example").await;
    let token = app.customer_token("karl@kunde.example", &supplier).await;

    let disabled = app
        .call(
            "POST",
            &format!("/file-links/customers/{id}/disable"),
            None,
            &supplier.token,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK);
    assert_eq!(disabled.body["state"], "disabled");

    let login = app
        .login("karl@kunde.example", &supplier, CUSTOMER_PASSWORD)
        .await;
    assert_problem(&login, StatusCode::FORBIDDEN, None);
    assert!(login.body["detail"].as_str().unwrap().contains("gesperrt"));
    let live = app.call("GET", "/me/folders", None, &token).await;
    assert_problem(&live, StatusCode::FORBIDDEN, None);

    let enabled = app
        .call(
            "POST",
            &format!("/file-links/customers/{id}/enable"),
            None,
            &supplier.token,
        )
        .await;
    assert_eq!(enabled.body["state"], "active");
    let live = app.call("GET", "/me/folders", None, &token).await;
    assert_eq!(live.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deleted_customer_is_gone_with_its_login_and_the_count_goes_down() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let mut body = customer("karl@kunde.example");
    body["username"] = json!("karl");
    let id = app.add_customer(&supplier, body).await;
    app.accept_invitation("karl@kunde.example").await;
    let token = app.customer_token("karl", &supplier).await;

    let deleted = app
        .call(
            "DELETE",
            &format!("/file-links/customers/{id}"),
            None,
            &supplier.token,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let live = app.call("GET", "/me/folders", None, &token).await;
    assert_problem(&live, StatusCode::UNAUTHORIZED, None);
    for login in ["karl", "karl@kunde.example"] {
        let reply = app.login(login, &supplier, CUSTOMER_PASSWORD).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, None);
    }
    let account = app
        .call("GET", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(account.body["customers"], 0);
    // The username and the address are free again.
    let mut again = customer("karl@kunde.example");
    again["username"] = json!("karl");
    app.add_customer(&supplier, again).await;
}

#[tokio::test]
async fn the_invitation_can_be_sent_again_until_it_is_accepted() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let id = app
        .add_customer(&supplier, customer("karl@kunde.example"))
        .await;
    let first = app.kit.token_from_mail("karl@kunde.example").await;
    let resent = app
        .call(
            "POST",
            &format!("/file-links/customers/{id}/invitation"),
            None,
            &supplier.token,
        )
        .await;
    assert_eq!(resent.status, StatusCode::ACCEPTED, "{}", resent.body);
    let again = app.kit.last_mail_to("karl@kunde.example").await;
    assert!(
        again.text.contains("weiter=/kundenkonto/kanzlei"),
        "{}",
        again.text
    );
    let second = app.kit.token_from_mail("karl@kunde.example").await;
    assert_ne!(first, second);
    app.accept_invitation("karl@kunde.example").await;
    let late = app
        .call(
            "POST",
            &format!("/file-links/customers/{id}/invitation"),
            None,
            &supplier.token,
        )
        .await;
    assert_problem(&late, StatusCode::CONFLICT, None);
}

#[tokio::test]
async fn bad_input_names_every_field_and_duplicates_are_refused() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let bad = app
        .call(
            "POST",
            "/file-links/customers",
            Some(json!({
                "first_name": "", "last_name": "Kunde", "email": "kein-mail",
                "username": "a@b", "folder_url": "http://unsicher.example/x"
            })),
            &supplier.token,
        )
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("folder_url"));
    let fields = bad.problem_fields();
    for field in ["first_name", "email", "username", "folder_url"] {
        assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
    }
    app.add_customer(&supplier, customer("karl@kunde.example"))
        .await;
    let twice = app
        .call(
            "POST",
            "/file-links/customers",
            Some(customer("Karl@Kunde.example")),
            &supplier.token,
        )
        .await;
    assert_problem(&twice, StatusCode::CONFLICT, None);
    let account = app
        .call("GET", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(
        account.body["customers"], 1,
        "the refused one is not counted"
    );
}

#[tokio::test]
async fn one_address_is_a_customer_of_two_suppliers_with_two_passwords() {
    let app = App::new().await;
    let a = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let b = app.supplier("bert@agentur.de", "agentur").await;
    app.add_customer(&a, customer("karl@kunde.example")).await;
    app.accept_invitation("karl@kunde.example").await;
    app.add_customer(&b, customer("karl@kunde.example")).await;
    let token = app.kit.token_from_mail("karl@kunde.example").await;
    let accepted = app
        .client
        .call(
            "POST",
            "/auth/invitations/accept",
            Some(json!({"token": token, "password": "zweites-passwort-2"})),
            None,
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);

    assert_eq!(
        app.login("karl@kunde.example", &a, CUSTOMER_PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("karl@kunde.example", &b, "zweites-passwort-2")
            .await
            .status,
        StatusCode::OK
    );
    let crossed = app.login("karl@kunde.example", &b, CUSTOMER_PASSWORD).await;
    assert_problem(&crossed, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn another_suppliers_customer_is_not_found() {
    let app = App::new().await;
    let a = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let b = app.supplier("bert@agentur.de", "agentur").await;
    let theirs = app.add_customer(&b, customer("karl@kunde.example")).await;
    for (method, path) in [
        ("GET", format!("/file-links/customers/{theirs}")),
        ("POST", format!("/file-links/customers/{theirs}/disable")),
        ("DELETE", format!("/file-links/customers/{theirs}")),
    ] {
        let reply = app.call(method, &path, None, &a.token).await;
        assert_problem(&reply, StatusCode::NOT_FOUND, None);
    }
    let listed = app
        .call("GET", "/file-links/customers", None, &a.token)
        .await;
    assert_eq!(listed.body["customers"], json!([]));
}

/// A customer, link or folder id that is no UUID is refused naming the parameter, not
/// looked up and answered 404.
#[tokio::test]
async fn ids_that_are_no_uuids_are_a_400_naming_the_parameter() {
    let app = App::new().await;
    let a = app.supplier("anna@kanzlei.de", "kanzlei").await;
    app.add_customer(&a, customer("karl@kunde.example")).await;
    app.accept_invitation("karl@kunde.example").await;
    let karl = app.customer_token("karl@kunde.example", &a).await;
    let not_an_id = "karl-kunde";
    for (method, path, body, token, field) in [
        (
            "GET",
            format!("/file-links/customers/{not_an_id}"),
            None,
            &a.token,
            "customer_id",
        ),
        (
            "PATCH",
            format!("/file-links/customers/{not_an_id}"),
            Some(json!({"first_name": "Karl"})),
            &a.token,
            "customer_id",
        ),
        (
            "POST",
            format!("/file-links/customers/{not_an_id}/disable"),
            None,
            &a.token,
            "customer_id",
        ),
        (
            "DELETE",
            format!("/file-links/customers/{not_an_id}"),
            None,
            &a.token,
            "customer_id",
        ),
        (
            "DELETE",
            format!("/file-links/links/{not_an_id}"),
            None,
            &a.token,
            "link_id",
        ),
        (
            "POST",
            format!("/me/folders/{not_an_id}/password"),
            None,
            &karl,
            "folder_id",
        ),
    ] {
        let reply = app.call(method, &path, body, token).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some(field));
        assert_eq!(
            reply.body["errors"][0]["message"], "ist keine gültige Kennung (UUID)",
            "{method} {path}: {:?}",
            reply.body
        );
    }
}

/// The names of a page of customers, and its cursor.
fn names(reply: &shared::testing::Reply) -> (Vec<String>, Option<String>) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let names = reply.body["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["first_name"].as_str().unwrap(),
                c["last_name"].as_str().unwrap()
            )
        })
        .collect();
    (names, reply.body["next_cursor"].as_str().map(String::from))
}

#[tokio::test]
async fn customers_are_found_by_part_of_name_email_or_username_page_by_page() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    for n in 1..=30 {
        let mut body = customer(&format!("kunde{n}@example.de"));
        // Every seventh is a Schmidt; number 30 is found by its address and username only.
        if n % 7 == 0 {
            body["last_name"] = json!(format!("Schmidt {n}"));
        }
        if n == 30 {
            body["email"] = json!("info@schmidt-bau.de");
            body["username"] = json!("bau30");
        }
        app.add_customer(&supplier, body).await;
    }
    let search = |q: &str, cursor: Option<&str>| {
        let mut path = format!("/file-links/customers?limit=2&q={q}");
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        path
    };

    // In any case, two at a time, following the cursor to the end.
    let (first, cursor) = names(
        &app.call("GET", &search("sCHMidt", None), None, &supplier.token)
            .await,
    );
    assert_eq!(first, ["Karl Schmidt 7", "Karl Schmidt 14"]);
    let (second, cursor) = names(
        &app.call(
            "GET",
            &search("sCHMidt", cursor.as_deref()),
            None,
            &supplier.token,
        )
        .await,
    );
    assert_eq!(second, ["Karl Schmidt 21", "Karl Schmidt 28"]);
    let (third, cursor) = names(
        &app.call(
            "GET",
            &search("sCHMidt", cursor.as_deref()),
            None,
            &supplier.token,
        )
        .await,
    );
    assert_eq!(third, ["Karl Kunde"], "found by its address");
    assert_eq!(cursor, None);

    let (by_username, _) = names(
        &app.call("GET", &search("BAU3", None), None, &supplier.token)
            .await,
    );
    assert_eq!(by_username, ["Karl Kunde"]);
    let (none, cursor) = names(
        &app.call("GET", &search("niemand", None), None, &supplier.token)
            .await,
    );
    assert!(none.is_empty());
    assert_eq!(cursor, None);

    // Without a search, every customer, page by page.
    let all = app
        .call(
            "GET",
            "/file-links/customers?limit=25",
            None,
            &supplier.token,
        )
        .await;
    let (page, cursor) = names(&all);
    assert_eq!(page.len(), 25);
    let rest = app
        .call(
            "GET",
            &format!("/file-links/customers?limit=25&cursor={}", cursor.unwrap()),
            None,
            &supplier.token,
        )
        .await;
    assert_eq!(names(&rest).0.len(), 5);

    let long = app
        .call(
            "GET",
            &format!("/file-links/customers?q={}", "x".repeat(101)),
            None,
            &supplier.token,
        )
        .await;
    assert_problem(&long, StatusCode::BAD_REQUEST, Some("q"));
}
