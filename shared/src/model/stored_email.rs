//! The e-mail address a login record and its one-time tokens keep, to mail the account.
//!
//! Where the login name is the address (partners, operators, managers, a supplier's
//! customers, end users), the record's key names it anyway and it is kept as it is. Where
//! the login name is something else (a cardholder's card number, a till user's username),
//! the address is personal data nothing else in the table reveals, and it is sealed with
//! the data key (docs/architecture.md §6, personal data at rest).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::crypto::DataKey;
use crate::domain::Email;
use crate::{Error, Result};

use super::accounts::LoginName;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredEmail(String);

impl StoredEmail {
    /// The address of an account that logs in with `login`: sealed unless it is the
    /// login name.
    pub fn of_login(email: &Email, login: &LoginName, key: &DataKey) -> Self {
        if *login == LoginName::from_email(email) {
            Self::login_name(email)
        } else {
            Self(key.seal(email.as_str()))
        }
    }

    /// The address of an account whose login name it is.
    pub fn login_name(email: &Email) -> Self {
        Self(email.as_str().to_owned())
    }

    /// The address. A sealed value is base64 and never holds an `@`; an address always does
    /// (so records written before sealing read as they are).
    pub fn open(&self, key: &DataKey) -> Result<Email> {
        let clear = if self.0.contains('@') {
            self.0.clone()
        } else {
            key.open(&self.0).map_err(Error::internal)?
        };
        Email::parse(&clear).map_err(|reason| {
            Error::internal(std::io::Error::other(format!(
                "a stored e-mail address {reason}"
            )))
        })
    }
}

/// Never the address: `Debug` output ends up in logs.
impl fmt::Debug for StoredEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredEmail(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_base64(&DataKey::generate_base64()).unwrap()
    }

    #[test]
    fn an_address_that_is_not_the_login_name_is_sealed_and_opens_only_with_its_key() -> Result<()> {
        let (key, other) = (key(), key());
        let email = Email::parse("zora.quist@example.de").unwrap();
        let card_number = LoginName::parse("9276004150201234").unwrap();
        let stored = StoredEmail::of_login(&email, &card_number, &key);
        let json = serde_json::to_string(&stored).map_err(Error::internal)?;
        assert!(!json.contains("zora") && !json.contains('@'), "{json}");
        assert!(!format!("{stored:?}").contains("zora"));
        assert_eq!(stored.open(&key)?, email);
        assert!(stored.open(&other).is_err());
        Ok(())
    }

    #[test]
    fn an_address_that_is_the_login_name_is_kept_as_the_key_names_it() -> Result<()> {
        let email = Email::parse("anna@baeckerei-mueller.de").unwrap();
        let stored = StoredEmail::of_login(&email, &LoginName::from_email(&email), &key());
        assert_eq!(stored, StoredEmail::login_name(&email));
        assert!(!format!("{stored:?}").contains("anna"));
        // Any key opens it, and so does a record written before sealing.
        assert_eq!(stored.open(&key())?, email);
        let before: StoredEmail =
            serde_json::from_str(r#""kasse@baeckerei.de""#).map_err(Error::internal)?;
        assert_eq!(before.open(&key())?.as_str(), "kasse@baeckerei.de");
        Ok(())
    }
}
