//! The supplier's own access link: `<web>/kundenkonto/<slug>`.

/// Words the platform's own pages use, or that would mislead a customer.
const RESERVED: &[&str] = &[
    "admin",
    "administrator",
    "agb",
    "api",
    "app",
    "assets",
    "auth",
    "betreiber",
    "billing",
    "datenschutz",
    "einladung",
    "file-links",
    "hilfe",
    "impressum",
    "kontakt",
    "konto",
    "kundenkonto",
    "login",
    "logout",
    "mail",
    "me",
    "operator",
    "partner",
    "partnernetz",
    "passwort",
    "passwort-zuruecksetzen",
    "platform",
    "plattform",
    "r",
    "root",
    "static",
    "suppliers",
    "support",
    "system",
    "www",
];

/// A slug: 3-40 characters of `a-z`, `0-9` and single inner hyphens, not reserved.
/// Upper-case input is taken in lower case.
pub fn parse(raw: &str) -> Result<String, &'static str> {
    let slug = raw.trim().to_lowercase();
    if !(3..=40).contains(&slug.len()) {
        return Err("muss 3 bis 40 Zeichen lang sein");
    }
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("darf nur Kleinbuchstaben a-z, Ziffern und Bindestriche enthalten");
    }
    if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return Err(
            "darf nicht mit einem Bindestrich beginnen oder enden und keine zwei hintereinander haben",
        );
    }
    if RESERVED.contains(&slug.as_str()) {
        return Err("ist ein reserviertes Wort");
    }
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn slugs_are_lowercase_words_with_hyphens() {
        assert_eq!(parse(" Mueller-Steuer "), Ok("mueller-steuer".to_string()));
        assert_eq!(parse("kanzlei24"), Ok("kanzlei24".to_string()));
        for bad in [
            "ab",
            "müller",
            "a b c",
            "-abc",
            "abc-",
            "a--b",
            "x/y",
            &"a".repeat(41),
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    /// What the OpenAPI document states for a slug (the web app's client and the fuzzer
    /// generate from it) is what `parse` accepts, reserved words aside.
    #[test]
    fn the_documented_slug_is_the_one_parse_accepts() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let slug = &doc["components"]["schemas"]["FileLinksBooking"]["properties"]["slug"];
        let pattern = regex::Regex::new(slug["pattern"].as_str().unwrap()).unwrap();
        let (min, max) = (slug["minLength"].as_u64(), slug["maxLength"].as_u64());
        assert_eq!((min, max), (Some(3), Some(40)));
        for sample in [
            "kanzlei24",
            "mueller-steuer",
            "a-b-c",
            "abc",
            "ab",
            "-abc",
            "abc-",
            "a--b",
            "a b",
            "müller",
            "x/y",
            "ABC",
            &"a".repeat(40),
            &"a".repeat(41),
        ] {
            let chars = sample.chars().count() as u64;
            let documented = pattern.is_match(sample) && (3..=40).contains(&chars);
            assert_eq!(
                documented,
                parse(sample).is_ok_and(|s| s == sample),
                "{sample}"
            );
        }
    }

    #[test]
    fn reserved_words_are_refused() {
        for word in ["admin", "Login", "www", "partnernetz", "kundenkonto"] {
            assert_eq!(parse(word), Err("ist ein reserviertes Wort"), "{word}");
        }
    }
}
