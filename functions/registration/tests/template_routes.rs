//! `infra/template.yaml` and the router declare the same routes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

fn template_routes(function: &str) -> BTreeSet<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let events = &docs[0]["Resources"][function]["Properties"]["Events"];
    let Yaml::Hash(events) = events else {
        panic!("{function} has no Events");
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

#[test]
fn every_template_route_is_served_by_the_router_and_vice_versa() {
    let in_template = template_routes("RegistrationFunction");
    let in_router: BTreeSet<(String, String)> = registration::routes()
        .into_iter()
        .map(|(m, p, _)| (m.as_str().to_string(), p.to_string()))
        .collect();
    let missing_in_router: Vec<_> = in_template.difference(&in_router).collect();
    let missing_in_template: Vec<_> = in_router.difference(&in_template).collect();
    assert!(
        missing_in_router.is_empty(),
        "in the template only: {missing_in_router:?}"
    );
    assert!(
        missing_in_template.is_empty(),
        "in the router only: {missing_in_template:?}"
    );
    assert_eq!(in_template.len(), 18);
}
