//! What `infra/template.yaml` grants, checked against the code and the docs: the
//! functions' table conditions, the data key, CORS and per-route throttling
//! (docs/architecture.md §11, §15). Each function's route-table test checks the keys its
//! code reaches against its policy (`shared::routes::policy`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use shared::routes::policy::{self, template};
use shared::testing::key_audit::Access;
use yaml_rust2::Yaml;

/// Every function resource of the template.
fn functions() -> Vec<String> {
    let t = template();
    let Yaml::Hash(resources) = &t["Resources"] else {
        panic!("no Resources");
    };
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, _)| name.as_str().unwrap().to_string())
        .collect()
}

fn write(action: &'static str, pk: &str, attributes: &[&str]) -> Access {
    Access {
        action,
        index: None,
        pk: pk.to_string(),
        attributes: attributes.iter().map(|a| a.to_string()).collect(),
    }
}

#[test]
fn every_table_statement_is_narrowed_to_key_prefixes() {
    let mut open = Vec::new();
    for function in functions() {
        for statement in policy::table_statements(&function) {
            if statement.leading_keys.as_ref().is_none_or(Vec::is_empty) {
                open.push(format!("{function}/{}", statement.sid));
            }
        }
    }
    assert!(
        open.is_empty(),
        "statements that reach every item of the table: {open:?}"
    );
}

/// The public conversion API must not be able to set a password or a mandate, nor replace
/// a partner's profile; it may still list a partner's referral domains.
#[test]
fn the_referrals_function_cannot_rewrite_logins_or_mandates() {
    let grants = policy::table_statements("ReferralsFunction");
    let partner = "PARTNER#0195f0a0-0000-7000-8000-000000000001";
    for (access, what) in [
        (
            write(
                "UpdateItem",
                "LOGIN#platform#anna@baeckerei.de",
                &["pk", "sk", "password_hash"],
            ),
            "a partner's password",
        ),
        (
            write(
                "PutItem",
                "LOGIN#platform#anna@baeckerei.de",
                &["pk", "sk", "password_hash"],
            ),
            "a partner's login",
        ),
        (
            write(
                "UpdateItem",
                "LOGIN#pos:p-1#kasse-1",
                &["pk", "sk", "password_hash"],
            ),
            "a till's password",
        ),
        (
            write("UpdateItem", partner, &["pk", "sk", "mandate"]),
            "a mandate",
        ),
        (
            write("PutItem", partner, &["pk", "sk", "domains"]),
            "a partner's profile, replaced",
        ),
        (
            write("DeleteItem", partner, &["pk", "sk"]),
            "a partner's profile, deleted",
        ),
        (
            write("UpdateItem", "TOKEN#abc", &["pk", "sk", "used_at"]),
            "a one-time token, marked",
        ),
        (write("GetItem", "TOKEN#abc", &[]), "a one-time token, read"),
        (
            write("PutItem", "TOKEN#platform#abc", &["pk", "sk"]),
            "a token for a partner's, manager's or operator's login",
        ),
        (
            write("PutItem", "TOKEN#pos#abc", &["pk", "sk"]),
            "a token for a till's login",
        ),
        (
            write("PutItem", "TOKEN#abc", &["pk", "sk"]),
            "a token under the key links had before they named their kind",
        ),
    ] {
        assert!(
            !policy::allows(&grants, &access),
            "referrals may write {what}: {access}"
        );
    }
    assert!(policy::allows(
        &grants,
        &write("UpdateItem", partner, &["pk", "sk", "domains"])
    ));
    assert!(policy::allows(
        &grants,
        &write("PutItem", "TOKEN#enduser#abc", &["pk", "sk", "kind"])
    ));
    assert!(policy::allows(
        &grants,
        &write(
            "UpdateItem",
            "LOGIN#enduser:0195f0a0-0000-7000-8000-000000000002#eva@web.de",
            &["pk", "sk", "confirmed"]
        )
    ));
}

/// The redirect counts clicks in the link's partition and must not change the link.
#[test]
fn the_redirect_updates_click_counters_not_links() {
    let grants = policy::table_statements("RedirectFunction");
    let counter = write(
        "UpdateItem",
        "LINK#Ab3dE6gH9k",
        &["pk", "sk", "clicks", "unique"],
    );
    assert!(policy::allows(&grants, &counter), "{counter}");
    for access in [
        write("UpdateItem", "LINK#Ab3dE6gH9k", &["pk", "sk", "target_url"]),
        write("UpdateItem", "LINK#Ab3dE6gH9k", &["pk", "sk", "active"]),
        write("PutItem", "LINK#Ab3dE6gH9k", &["pk", "sk", "clicks"]),
        write("DeleteItem", "LINK#Ab3dE6gH9k", &["pk", "sk"]),
    ] {
        assert!(
            !policy::allows(&grants, &access),
            "the redirect may {access}"
        );
    }
}

fn variables(function: &str) -> BTreeSet<String> {
    let t = template();
    let Yaml::Hash(vars) = &t["Resources"][function]["Properties"]["Environment"]["Variables"]
    else {
        return BTreeSet::new();
    };
    vars.keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn only_the_functions_that_seal_personal_data_get_the_data_key() {
    let with_key: BTreeSet<String> = functions()
        .into_iter()
        .filter(|f| variables(f).contains("DATA_KEY"))
        .collect();
    let expected: BTreeSet<String> = [
        "RegistrationFunction",
        "CardsFunction",
        "FileLinksFunction",
        "ReferralsFunction",
        "BillingFunction",
        "BillingWorkerFunction",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(with_key, expected);
}

fn http_api() -> Yaml {
    template()["Resources"]["HttpApi"]["Properties"].clone()
}

/// Every header a route documents (and the token and JSON bodies) passes a browser's
/// preflight.
#[test]
fn cors_allows_every_header_the_api_reads() {
    let allowed: BTreeSet<String> = http_api()["CorsConfiguration"]["AllowHeaders"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_ascii_lowercase())
        .collect();
    let doc = serde_json::to_value(local_api::openapi()).unwrap();
    let mut needed: BTreeSet<String> = ["authorization", "content-type"]
        .into_iter()
        .map(String::from)
        .collect();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "header" {
                    needed.insert(p["name"].as_str().unwrap().to_ascii_lowercase());
                }
            }
        }
    }
    assert!(
        needed.contains("idempotency-key") && needed.contains("x-api-key"),
        "{needed:?}"
    );
    let missing: Vec<_> = needed.difference(&allowed).collect();
    assert!(missing.is_empty(), "CORS does not allow {missing:?}");
}

fn routes_of_template() -> BTreeSet<String> {
    let t = template();
    let mut out = BTreeSet::new();
    for function in functions() {
        let Yaml::Hash(events) = &t["Resources"][function.as_str()]["Properties"]["Events"] else {
            continue;
        };
        for e in events
            .values()
            .filter(|e| e["Type"].as_str() == Some("HttpApi"))
        {
            let p = &e["Properties"];
            out.insert(format!(
                "{} {}",
                p["Method"].as_str().unwrap(),
                p["Path"].as_str().unwrap()
            ));
        }
    }
    out
}

fn limits(settings: &Yaml) -> (i64, i64) {
    (
        settings["ThrottlingRateLimit"].as_i64().unwrap(),
        settings["ThrottlingBurstLimit"].as_i64().unwrap(),
    )
}

/// Tills and logins have budgets of their own, above the default; the anonymous routes
/// that send mail or hash passwords are tighter than it; every setting names a route; the
/// whole stays under the account's API limit; the docs list each limit.
#[test]
fn throttling_is_sized_per_route_and_written_down() {
    let api = http_api();
    let (default_rate, default_burst) = limits(&api["DefaultRouteSettings"]);
    let Yaml::Hash(settings) = &api["RouteSettings"] else {
        panic!("no RouteSettings");
    };
    let routes = routes_of_template();
    let by_route: std::collections::BTreeMap<String, (i64, i64)> = settings
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), limits(v)))
        .collect();
    for route in by_route.keys() {
        assert!(
            routes.contains(route),
            "RouteSettings names no route: {route}"
        );
    }
    for route in [
        "GET /cards/pos/cards/{number}",
        "POST /cards/pos/cards/{number}/bookings",
        "POST /auth/login",
    ] {
        let (rate, burst) = by_route[route];
        assert!(
            rate > default_rate && burst > default_burst,
            "{route}: {rate}/{burst}"
        );
    }
    for route in [
        "POST /partners",
        "POST /auth/password-reset",
        "POST /cards/register",
    ] {
        let (rate, _) = by_route[route];
        assert!(rate < default_rate, "{route}: {rate}");
    }
    // The account's regional quota, shared by all its APIs: 10,000 requests/s, burst 5,000.
    let total: i64 = routes
        .iter()
        .map(|r| by_route.get(r).map_or(default_rate, |l| l.0))
        .sum();
    assert!(total < 10_000, "all routes together: {total} requests/s");
    let bursts: i64 = routes
        .iter()
        .map(|r| by_route.get(r).map_or(default_burst, |l| l.1))
        .sum();
    assert!(bursts < 5_000, "all routes together: burst {bursts}");
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md"),
    )
    .unwrap();
    let table = throttling_table(&docs);
    for (route, (rate, burst)) in &by_route {
        let line = table
            .iter()
            .find(|l| l.contains(&format!("`{route}`")))
            .unwrap_or_else(|| panic!("the throttling table does not list {route}"));
        assert!(
            line.contains(&format!("| {rate} | {burst} |")),
            "{route}: {line}"
        );
    }
    let default = table
        .iter()
        .find(|l| l.contains("(the default)"))
        .expect("the throttling table lists the default");
    assert!(
        default.contains(&format!("| {default_rate} | {default_burst} |")),
        "{default}"
    );
}

/// The rows of the throttling table in docs/architecture.md §15.
fn throttling_table(docs: &str) -> Vec<&str> {
    docs.lines()
        .skip_while(|l| !l.trim_start().starts_with("| routes | rate | burst |"))
        .take_while(|l| l.trim_start().starts_with('|'))
        .collect()
}
