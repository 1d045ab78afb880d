//! Booking, slugs, tiers, cancellation and the public login page.

use axum::http::StatusCode;
use serde_json::json;
use shared::clock::Clock;
use shared::model::billable;
use shared::store::Table;
use shared::testing::assert_problem;

use crate::{App, customer};

#[tokio::test]
async fn booking_gives_the_supplier_its_access_link_free_for_ten_customers() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "Kanzlei-Mueller").await;
    let account = app
        .call("GET", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.body["slug"], "kanzlei-mueller");
    assert_eq!(
        account.body["access_url"],
        "https://partnernetz.de/kundenkonto/kanzlei-mueller"
    );
    assert_eq!(account.body["tier"], "free");
    assert_eq!(account.body["monthly_price_cents"], 0);
    assert_eq!(account.body["tier_limit"], 10);
    assert_eq!(account.body["booked_on"], app.kit.clock.today().to_string());

    // Billing finds the supplier.
    let billable: Vec<_> = app
        .kit
        .table
        .query_all(billable::billable_partners())
        .await
        .unwrap()
        .iter()
        .filter_map(billable::partner_of)
        .collect();
    assert_eq!(billable, vec![supplier.id.clone()]);

    let again = app
        .call(
            "POST",
            "/file-links/account",
            Some(json!({"slug": "noch-einer"})),
            &supplier.token,
        )
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);

    let page = app
        .client
        .call("GET", "/suppliers/kanzlei-mueller", None, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body["name"], "Bäckerei Müller");
    assert_eq!(page.body["tenant"], supplier.id.as_str());
    // Whom the customers ask, as in the supplier's profile.
    assert_eq!(page.body["contact"]["email"], supplier.email.as_str());
    assert!(!page.body["contact"]["name"].as_str().unwrap().is_empty());
    let unknown = app
        .client
        .call("GET", "/suppliers/gibt-es-nicht", None, None)
        .await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn slugs_are_checked_and_taken_once() {
    let app = App::new().await;
    let first = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let second = app.kit.fixtures().confirmed_partner("bert@buero.de").await;
    for bad in ["admin", "ab", "mit leerzeichen", "ümlaut"] {
        let reply = app
            .call(
                "POST",
                "/file-links/account",
                Some(json!({"slug": bad})),
                &second.token,
            )
            .await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, Some("slug"));
    }
    let taken = app
        .call(
            "POST",
            "/file-links/account",
            Some(json!({"slug": "Kanzlei"})),
            &second.token,
        )
        .await;
    assert_problem(&taken, StatusCode::CONFLICT, None);
    assert!(taken.body["detail"].as_str().unwrap().contains("vergeben"));
    let mine = app
        .call("GET", "/file-links/account", None, &first.token)
        .await;
    assert_eq!(mine.body["slug"], "kanzlei");
}

#[tokio::test]
async fn two_suppliers_racing_for_one_slug_leave_one_winner() {
    let app = App::new().await;
    let a = app.kit.fixtures().confirmed_partner("a@eins.de").await;
    let b = app.kit.fixtures().confirmed_partner("b@zwei.de").await;
    let body = || Some(json!({"slug": "begehrt"}));
    let (ra, rb) = tokio::join!(
        app.call("POST", "/file-links/account", body(), &a.token),
        app.call("POST", "/file-links/account", body(), &b.token),
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let page = app
        .client
        .call("GET", "/suppliers/begehrt", None, None)
        .await;
    let winner = if ra.status == StatusCode::CREATED {
        &a
    } else {
        &b
    };
    assert_eq!(page.body["tenant"], winner.id.as_str());
}

#[tokio::test]
async fn the_price_follows_the_customers_and_the_hundredth_needs_the_operator() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    for n in 1..=99 {
        app.add_customer(&supplier, customer(&format!("kunde{n}@example.de")))
            .await;
        if [10, 11, 25, 26, 50, 51].contains(&n) {
            let account = app
                .call("GET", "/file-links/account", None, &supplier.token)
                .await;
            let (tier, price) = match n {
                10 => ("free", 0),
                11 | 25 => ("up_to_25", 250),
                26 | 50 => ("up_to_50", 450),
                _ => ("up_to_99", 750),
            };
            assert_eq!(account.body["tier"], tier, "{n} customers");
            assert_eq!(account.body["monthly_price_cents"], price, "{n} customers");
        }
    }
    let hundredth = app
        .call(
            "POST",
            "/file-links/customers",
            Some(customer("kunde100@example.de")),
            &supplier.token,
        )
        .await;
    assert_problem(&hundredth, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert!(
        hundredth.body["detail"]
            .as_str()
            .unwrap()
            .contains("Unlimited")
    );

    let operator = app.kit.fixtures().operator("olga@betreiber.de").await;
    let granted = app
        .call(
            "PUT",
            &format!("/file-links/accounts/{}/unlimited", supplier.id),
            Some(json!({"monthly_price_cents": 1990})),
            &operator.token,
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    app.add_customer(&supplier, customer("kunde100@example.de"))
        .await;
    let account = app
        .call("GET", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(account.body["customers"], 100);
    assert_eq!(account.body["tier"], "unlimited");
    assert_eq!(account.body["monthly_price_cents"], 1990);
    let history: Vec<(String, i64)> = account.body["tier_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tier"].as_str().unwrap().to_string(),
                t["monthly_price"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("free", 0),
            ("up_to_25", 250),
            ("up_to_50", 450),
            ("up_to_99", 750),
            ("unlimited", 1990)
        ]
        .map(|(t, p)| (t.to_string(), p))
    );
}

#[tokio::test]
async fn a_cancelled_account_takes_no_new_customers_and_ends_after_the_paid_year() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let cancelled = app
        .call("DELETE", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let today = app.kit.clock.today();
    assert_eq!(cancelled.body["cancelled_on"], today.to_string());
    assert_eq!(
        cancelled.body["ends_on"],
        today
            .checked_add(jiff::Span::new().years(1))
            .unwrap()
            .to_string()
    );
    let again = app
        .call("DELETE", "/file-links/account", None, &supplier.token)
        .await;
    assert_problem(&again, StatusCode::CONFLICT, None);
    let added = app
        .call(
            "POST",
            "/file-links/customers",
            Some(customer("karl@example.de")),
            &supplier.token,
        )
        .await;
    assert_problem(&added, StatusCode::UNPROCESSABLE_ENTITY, None);
    // The login page stays until the paid year ends.
    let page = app
        .client
        .call("GET", "/suppliers/kanzlei", None, None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    app.kit
        .clock
        .advance(jiff::SignedDuration::from_hours(366 * 24));
    let page = app
        .client
        .call("GET", "/suppliers/kanzlei", None, None)
        .await;
    assert_problem(&page, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn without_a_booking_there_are_no_customers_or_links() {
    let app = App::new().await;
    let partner = app.kit.fixtures().confirmed_partner("p@ohne.de").await;
    let customers = app
        .call(
            "POST",
            "/file-links/customers",
            Some(customer("karl@example.de")),
            &partner.token,
        )
        .await;
    assert_problem(&customers, StatusCode::NOT_FOUND, None);
    let account = app
        .call("GET", "/file-links/account", None, &partner.token)
        .await;
    assert_problem(&account, StatusCode::NOT_FOUND, None);
    assert!(app.kit.mails().await.is_empty(), "no invitation went out");
}

#[tokio::test]
async fn the_account_names_its_yearly_price_next_billing_day_and_the_next_tiers_price() {
    let app = App::new().await;
    let supplier = app.supplier("anna@kanzlei.de", "kanzlei").await;
    let booked_on = app.kit.clock.today();
    let anniversary = booked_on.checked_add(jiff::Span::new().years(1)).unwrap();
    for n in 1..=10 {
        app.add_customer(&supplier, customer(&format!("kunde{n}@example.de")))
            .await;
    }
    // Ten customers are free; the eleventh would cost 2,50 € a month, 30,00 € a year.
    let account = app
        .call("GET", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(account.body["yearly_price_cents"], 0);
    assert_eq!(account.body["next_billing_on"], anniversary.to_string());
    assert_eq!(
        account.body["next_tier"],
        json!({"tier": "up_to_25", "from_customer": 11,
               "monthly_price_cents": 250, "yearly_price_cents": 3000})
    );

    app.add_customer(&supplier, customer("kunde11@example.de"))
        .await;
    // A month on, the next billing is still the booking's anniversary.
    app.kit
        .clock
        .advance(jiff::SignedDuration::from_hours(31 * 24));
    let account = app
        .call("GET", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(account.body["tier"], "up_to_25");
    assert_eq!(account.body["yearly_price_cents"], 3000);
    assert_eq!(account.body["next_billing_on"], anniversary.to_string());
    assert_eq!(account.body["next_tier"]["from_customer"], 26);
    assert_eq!(account.body["next_tier"]["yearly_price_cents"], 5400);

    // Cancelled, nothing more is billed.
    let cancelled = app
        .call("DELETE", "/file-links/account", None, &supplier.token)
        .await;
    assert_eq!(cancelled.body["next_billing_on"], json!(null));
}
