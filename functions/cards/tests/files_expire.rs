//! Exports (personal data) and print files (activation codes in clear) leave the bucket after
//! `cards::files::FILE_DAYS` days: the lifecycle rules in `infra/template.yaml` say so for
//! both prefixes, old versions included (the bucket keeps versions).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use cards::files::{EXPORTS_PREFIX, FILE_DAYS, PRINT_FILES_PREFIX};
use shared::domain::PartnerId;
use yaml_rust2::{Yaml, YamlLoader};

fn lifecycle_rules() -> Vec<Yaml> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let rules =
        &docs[0]["Resources"]["AssetsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"];
    rules.as_vec().expect("lifecycle rules").clone()
}

#[test]
fn exports_and_print_files_expire_after_the_stated_days() {
    let rules = lifecycle_rules();
    for prefix in [EXPORTS_PREFIX, PRINT_FILES_PREFIX] {
        let rule = rules
            .iter()
            .find(|r| r["Prefix"].as_str() == Some(prefix))
            .unwrap_or_else(|| panic!("no lifecycle rule for {prefix}"));
        assert_eq!(rule["Status"].as_str(), Some("Enabled"), "{prefix}");
        assert_eq!(
            rule["ExpirationInDays"].as_i64(),
            Some(FILE_DAYS),
            "{prefix}"
        );
        // Expiring a current version of a versioned bucket only hides it: the old version
        // must go too.
        assert_eq!(
            rule["NoncurrentVersionExpiration"]["NoncurrentDays"].as_i64(),
            Some(1),
            "{prefix}"
        );
    }
}

#[test]
fn exports_and_print_files_are_written_under_the_expiring_prefixes() {
    let partner = PartnerId::generate();
    assert!(
        cards::files::export_object(&partner, "e1", "karteninhaber.csv")
            .starts_with(EXPORTS_PREFIX)
    );
    assert!(cards::batches::csv_object(&partner, "b1").starts_with(PRINT_FILES_PREFIX));
    // No rule with a longer life covers them.
    for rule in lifecycle_rules() {
        if let Some(prefix) = rule["Prefix"].as_str() {
            assert!(
                !EXPORTS_PREFIX.starts_with(prefix) || prefix == EXPORTS_PREFIX,
                "{prefix}"
            );
        }
    }
}
