//! The merged OpenAPI document (what local-api serves, what the web app's client and the
//! fuzzer are generated from) can be generated from: no schema contradicts itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

/// Every `allOf` whose parts name different types, by its JSON pointer.
fn contradictions(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("allOf") {
                let types: Vec<&Value> = parts.iter().filter_map(|p| p.get("type")).collect();
                if types.windows(2).any(|w| w[0] != w[1]) {
                    found.push(format!("{at}: {types:?}"));
                }
            }
            for (key, inner) in map {
                contradictions(inner, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                contradictions(inner, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// A documented text field once came out as a string and an object at once, and no
/// client could send it.
#[test]
fn no_schema_of_the_document_contradicts_itself() {
    let doc = serde_json::to_value(local_api::openapi()).unwrap();
    let mut found = Vec::new();
    contradictions(&doc, "", &mut found);
    assert!(found.is_empty(), "schemas with two types: {found:#?}");
}
