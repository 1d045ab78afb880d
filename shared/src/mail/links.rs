//! Links into the web front end that carry a one-time token.

/// A link into the web front end carrying a one-time token.
pub fn link(base_url: &str, path: &str, token: &str) -> String {
    format!("{}/{path}?token={token}", base_url.trim_end_matches('/'))
}

/// A link as [`link`] that also names the app's path to go on to once the token is used
/// (`weiter`, a path of the app itself, e.g. a till's login after its invitation).
pub fn link_then(base_url: &str, path: &str, token: &str, next: &str) -> String {
    format!("{}&weiter={next}", link(base_url, path, token))
}

/// A path of the app to go on to (`weiter`), as a request may name it: `/` and then
/// letters, digits, `/`, `-`, `_` or `.`, at most 200 characters, never `//` (another
/// host). The app checks it again before it follows it.
pub fn app_path(value: &str) -> Result<String, &'static str> {
    let fine = value.starts_with('/')
        && !value.starts_with("//")
        && value.len() <= 200
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    if fine {
        Ok(value.to_string())
    } else {
        Err("muss ein Pfad dieser Anwendung sein, z. B. /kundenkonto/kanzlei-berger")
    }
}

/// The token of the first link built by [`link`] in a mail's text; the inverse of `link`.
pub fn token_in_link(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_the_app_are_gone_on_to() {
        for fine in ["/kundenkonto/kanzlei-berger", "/karte/01a2-b/anmelden", "/"] {
            assert_eq!(super::app_path(fine).as_deref(), Ok(fine));
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/a?b=c",
            "/a b",
            "/%2F%2Fevil",
            "",
        ] {
            assert!(super::app_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_carry_their_token_back() {
        let link = super::link("https://partnernetz.de/", "einladung", "abc_-9");
        assert_eq!(link, "https://partnernetz.de/einladung?token=abc_-9");
        let html = format!("<a href=\"{link}\">x</a>");
        assert_eq!(super::token_in_link(&html).as_deref(), Some("abc_-9"));
        assert_eq!(super::token_in_link("kein Link"), None);
        let then = super::link_then(
            "https://partnernetz.de",
            "einladung",
            "abc",
            "/kasse/m-1/anmelden",
        );
        assert_eq!(
            then,
            "https://partnernetz.de/einladung?token=abc&weiter=/kasse/m-1/anmelden"
        );
        assert_eq!(super::token_in_link(&then).as_deref(), Some("abc"));
    }
}
