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
