//! The DynamoDB statements of a function's policy in `infra/template.yaml`, read as IAM
//! would apply them to one request (docs/architecture.md §15): the action, the table or
//! `gsi1`, `dynamodb:LeadingKeys` (StringLike on the partition key) and
//! `dynamodb:Attributes` (the attributes a write may name). Tests record what a function
//! reaches with `testing::key_audit::KeyAudit` and check it here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use yaml_rust2::{Yaml, YamlLoader};

use crate::testing::key_audit::Access;

/// `infra/template.yaml`, parsed (intrinsic functions such as `!GetAtt` read as their text).
pub fn template() -> Yaml {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// One `Allow` statement on the table or its index.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<String>,
    pub on_table: bool,
    pub on_index: bool,
    /// `None`: any partition.
    pub leading_keys: Option<Vec<String>>,
    /// `None`: any attribute.
    pub attributes: Option<Vec<String>>,
}

fn strings(yaml: &Yaml) -> Vec<String> {
    match yaml {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a
            .iter()
            .filter_map(|y| y.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// The DynamoDB statements of the template's resource `function` (e.g. `ReferralsFunction`).
pub fn table_statements(function: &str) -> Vec<Statement> {
    let template = template();
    let policies = &template["Resources"][function]["Properties"]["Policies"];
    let Yaml::Array(policies) = policies else {
        panic!("{function} has no Policies");
    };
    let mut out = Vec::new();
    for policy in policies {
        let Yaml::Array(statements) = &policy["Statement"] else {
            continue;
        };
        for s in statements {
            assert_eq!(
                s["Effect"].as_str(),
                Some("Allow"),
                "{function}: only Allow statements"
            );
            let actions: Vec<String> = strings(&s["Action"])
                .into_iter()
                .filter_map(|a| a.strip_prefix("dynamodb:").map(String::from))
                .collect();
            if actions.is_empty() {
                continue;
            }
            let resources = strings(&s["Resource"]);
            let condition = &s["Condition"];
            let leading = &condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            let attributes = &condition["ForAllValues:StringEquals"]["dynamodb:Attributes"];
            out.push(Statement {
                sid: s["Sid"].as_str().unwrap_or_default().to_string(),
                actions,
                on_table: resources.iter().any(|r| r == "Table.Arn"),
                on_index: resources.iter().any(|r| r.ends_with("/index/gsi1")),
                leading_keys: (!leading.is_badvalue()).then(|| strings(leading)),
                attributes: (!attributes.is_badvalue()).then(|| strings(attributes)),
            });
        }
    }
    out
}

/// IAM's `StringLike`: `*` any run of characters, `?` one character.
pub fn string_like(pattern: &str, value: &str) -> bool {
    fn go(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('*', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
            Some(('?', rest)) => !v.is_empty() && go(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    go(&p, &v)
}

impl Statement {
    /// Whether this statement allows the request.
    pub fn allows(&self, access: &Access) -> bool {
        let resource = match access.index {
            None => self.on_table,
            Some(_) => self.on_index,
        };
        resource
            && self.actions.iter().any(|a| a == access.action)
            && self
                .leading_keys
                .as_ref()
                .is_none_or(|keys| keys.iter().any(|k| string_like(k, &access.pk)))
            && self
                .attributes
                .as_ref()
                .is_none_or(|allowed| access.attributes.iter().all(|a| allowed.contains(a)))
    }
}

/// Whether some statement of `statements` allows the request.
pub fn allows(statements: &[Statement], access: &Access) -> bool {
    statements.iter().any(|s| s.allows(access))
}

/// Every access the function's tests made is allowed by its policy; lists all that are not.
pub fn assert_allowed(function: &str, accesses: &[Access]) {
    assert!(
        !accesses.is_empty(),
        "{function}: no table access was recorded"
    );
    let statements = table_statements(function);
    let refused: Vec<String> = accesses
        .iter()
        .filter(|a| !allows(&statements, a))
        .map(ToString::to_string)
        .collect();
    assert!(
        refused.is_empty(),
        "{function}'s policy in infra/template.yaml refuses what its code does:\n{}",
        refused.join("\n")
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn string_like_matches_as_iam_does() {
        assert!(super::string_like(
            "LOGIN#enduser:*",
            "LOGIN#enduser:p-1#anna"
        ));
        assert!(!super::string_like(
            "LOGIN#enduser:*",
            "LOGIN#platform#anna"
        ));
        assert!(super::string_like("BILLABLE", "BILLABLE"));
        assert!(!super::string_like("BILLABLE", "BILLABLES"));
        assert!(super::string_like("A?C", "ABC"));
    }
}
