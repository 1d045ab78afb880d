//! The checks every function's `tests/route_table.rs` runs against its one route list: the
//! SAM template declares the same routes, the OpenAPI document describes exactly them and
//! says who may call each, and the function serves that document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use axum::Router;
use http::StatusCode;
use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

use super::Route;
use crate::testing::Client;

/// `(METHOD, path)` pairs, in a stable order for readable differences.
pub type Endpoints = BTreeSet<(String, String)>;

/// The `HttpApi` events of the template's resource `function` (e.g. `OffersFunction`).
pub fn template_routes(function: &str) -> Endpoints {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let events = &docs[0]["Resources"][function]["Properties"]["Events"];
    let Yaml::Hash(events) = events else {
        panic!("{function} has no Events in {}", path.display());
    };
    events
        .values()
        .filter(|e| e["Type"].as_str() == Some("HttpApi"))
        .map(|e| {
            let p = &e["Properties"];
            (
                p["Method"].as_str().unwrap().to_uppercase(),
                p["Path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub fn table_routes<S>(routes: &[Route<S>]) -> Endpoints {
    routes
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
        .collect()
}

pub fn documented_routes(doc: &Value) -> Endpoints {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

pub fn assert_same(left: &Endpoints, right: &Endpoints, left_name: &str, right_name: &str) {
    let only_left: Vec<_> = left.difference(right).collect();
    let only_right: Vec<_> = right.difference(left).collect();
    assert!(only_left.is_empty(), "in {left_name} only: {only_left:?}");
    assert!(
        only_right.is_empty(),
        "in {right_name} only: {only_right:?}"
    );
}

/// The route table is the one list of a function's routes: the template's resource
/// `function` declares exactly them (`in_template` of them, so a route lost from both sides
/// is noticed too), the document describes exactly them and says who may call each.
pub fn assert_one_list_of_routes<S>(
    function: &str,
    in_template: usize,
    routes: &[Route<S>],
    doc: &Value,
) {
    let table = table_routes(routes);
    let template = template_routes(function);
    assert_same(&template, &table, "the template", "the route table");
    assert_eq!(template.len(), in_template, "routes of {function}");
    assert_same(
        &documented_routes(doc),
        &table,
        "the OpenAPI document",
        "the route table",
    );
    assert_document_states_access(doc, routes);
}

/// Every route has a summary and a success answer; public ones need no token, the others
/// a bearer token and document 401 and 403 as problems.
pub fn assert_document_states_access<S>(doc: &Value, routes: &[Route<S>]) {
    for route in routes {
        let op = &doc["paths"][route.path][route.method.as_str().to_lowercase()];
        let name = format!("{} {}", route.method, route.path);
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{name} has a summary"
        );
        assert!(
            op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .any(|status| status.starts_with('2')),
            "{name} documents its success"
        );
        if route.access.is_public() {
            assert_eq!(op["security"], json!([]), "{name} is public");
        } else {
            assert_eq!(
                op["security"],
                json!([{"bearer": []}]),
                "{name} needs a token"
            );
            for status in ["401", "403"] {
                assert_eq!(
                    op["responses"][status]["$ref"]
                        .as_str()
                        .map(|r| r.starts_with("#/components/responses/")),
                    Some(true),
                    "{name} documents {status} as a problem"
                );
            }
        }
    }
}

/// The function's router answers `GET /openapi.json` with `doc`.
pub async fn assert_serves_document(router: Router, doc: &Value) {
    let client = Client::in_process(router);
    let reply = client.call("GET", "/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    assert_eq!(reply.body["openapi"], "3.1.0");
    assert_eq!(&reply.body, doc);
}
