//! What a folder link and a folder password may be.

use shared::domain::text::forbidden_char;

const MAX_URL_LEN: usize = 2000;

const MAX_PASSWORD_LEN: usize = 200;

/// An https link with a host and without credentials (those belong in the folder password).
pub fn folder_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("darf nicht leer sein".into());
    }
    if raw.len() > MAX_URL_LEN {
        return Err(format!("darf höchstens {MAX_URL_LEN} Zeichen lang sein"));
    }
    let url = url::Url::parse(raw).map_err(|_| "ist keine gültige Adresse".to_string())?;
    if url.scheme() != "https" {
        return Err("muss mit https:// beginnen".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("braucht einen Rechnernamen".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("darf keine Zugangsdaten enthalten; dafür gibt es das Ordnerpasswort".into());
    }
    Ok(url.to_string())
}

/// A folder password: kept exactly as typed (spaces too), 1-200 characters, no control or
/// invisible characters.
pub fn folder_password(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("darf nicht leer sein".into());
    }
    if raw.chars().count() > MAX_PASSWORD_LEN {
        return Err(format!(
            "darf höchstens {MAX_PASSWORD_LEN} Zeichen lang sein"
        ));
    }
    if let Some(c) = forbidden_char(raw) {
        return Err(shared::domain::text::forbidden_message(c));
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every link the document's pattern admits is one `folder_url` accepts (the web app's
    /// client and the fuzzer generate from it); links it refuses, the pattern refuses too.
    #[test]
    fn the_documented_folder_link_is_one_folder_url_accepts() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let documented = schemas["NewCustomer"]["properties"]["folder_url"]["pattern"]
            .as_str()
            .unwrap();
        assert_eq!(
            schemas["CustomerPatch"]["properties"]["folder_url"]["pattern"].as_str(),
            Some(documented)
        );
        let pattern = regex::Regex::new(documented).unwrap();
        let printable: String = ('!'..='~').collect();
        for good in [
            "https://a".to_string(),
            "https://cloud.example.de/s/Xy7aB2".to_string(),
            "https://0-0.x9/".to_string(),
            format!("https://a.b/{printable}"),
            "https://a//@b:c/%zz?x=#y".to_string(),
            format!("https://{}.de/{}", "a".repeat(63), "x".repeat(1900)),
        ] {
            assert!(pattern.is_match(&good), "{good}");
            assert!(folder_url(&good).is_ok(), "{good}");
        }
        for bad in [
            "http://cloud.example.de",
            "https://nutzer:geheim@cloud.example.de/",
            "https://-a.de",
            "https://a..de",
            "https://",
            "https://a.de/ x",
        ] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn folder_links_are_https_without_credentials() {
        assert_eq!(
            folder_url(" https://cloud.example.de/s/Xy7 "),
            Ok("https://cloud.example.de/s/Xy7".to_string())
        );
        for bad in [
            "",
            "http://cloud.example.de/s/Xy7",
            "ftp://cloud.example.de",
            "javascript:alert(1)",
            "https://nutzer:geheim@cloud.example.de/",
            "keine adresse",
        ] {
            assert!(folder_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn folder_passwords_keep_their_spaces_but_no_control_characters() {
        assert_eq!(folder_password(" a b "), Ok(" a b ".to_string()));
        assert!(folder_password("").is_err());
        assert!(folder_password("a\u{0}b").is_err());
        assert!(folder_password(&"x".repeat(201)).is_err());
    }
}
