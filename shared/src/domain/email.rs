use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A syntactically valid e-mail address, normalised to lower case so that one mailbox
/// is one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        if trimmed.len() > 254 {
            return Err("ist zu lang");
        }
        let parsed = email_address::EmailAddress::from_str(trimmed)
            .map_err(|_| "ist keine gültige E-Mail-Adresse")?;
        if !parsed.domain().contains('.') {
            return Err("ist keine gültige E-Mail-Adresse");
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Info@Baeckerei-Mueller.DE ").map(|e| e.to_string()),
            Ok("info@baeckerei-mueller.de".to_string())
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in ["", "kein-at", "a@", "@b.de", "a b@c.de", "a@localhost"] {
            assert!(Email::parse(bad).is_err(), "{bad} must be rejected");
        }
    }
}
