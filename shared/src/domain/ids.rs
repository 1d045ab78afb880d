use rand::Rng;
use serde::{Deserialize, Serialize};

/// Typed ids: a partner id cannot be passed where a platform id is expected.
///
/// Read from a path, a body or a record, an id must be a UUID: anything else can never name a
/// stored thing, so it is refused where it enters (400 naming the field) rather than looked up.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(UuidText).map(Self)
            }
        }

        impl $name {
            /// A fresh UUIDv7, sortable by creation.
            pub fn generate() -> Self {
                Self(new_id())
            }

            /// Wraps an id read from a path, a token or a stored record.
            pub fn from_raw(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A merchant: the one tenant of every product.
    PartnerId
);
id_type!(
    /// A bank customer platform.
    PlatformId
);
id_type!(
    /// The subject of a login: a partner's id for partners, its own id for everyone else.
    AccountId
);

id_type!(
    /// A partner's referral program.
    ProgramId
);

id_type!(
    /// Any other record's id as a client names it in a path (an offer, an image, a
    /// supplier's customer, a link, a folder, a card program, a payout): a UUID, checked
    /// where it enters, so text that is none is a 400 naming the parameter, never a lookup.
    RecordId
);

/// Accepts a UUID's text. The check runs inside the visitor so that path extraction can name
/// the parameter that failed.
struct UuidText;

impl serde::de::Visitor<'_> for UuidText {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a UUID")
    }

    fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<String, E> {
        match uuid::Uuid::try_parse(raw) {
            Ok(_) => Ok(raw.to_string()),
            Err(_) => Err(E::custom("ist keine gültige Kennung (UUID)")),
        }
    }
}

impl From<&PartnerId> for AccountId {
    fn from(p: &PartnerId) -> Self {
        Self(p.0.clone())
    }
}

/// A new sortable id (UUIDv7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random base62 code of `len` characters, for references people read or type.
pub fn short_code(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(BASE62[rng.random_range(0..BASE62.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_sort_by_creation() {
        let a = super::new_id();
        let b = super::new_id();
        assert!(a < b);
    }

    #[test]
    fn ids_that_are_no_uuid_are_refused_when_read() {
        let id = super::PlatformId::generate();
        let json = serde_json::to_string(&id).unwrap_or_default();
        let back: super::PlatformId = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, id);
        let err = serde_json::from_str::<super::PlatformId>("\"𢉆\\u001d\"").unwrap_err();
        assert!(err.to_string().contains("UUID"), "{err}");
    }

    #[test]
    fn short_codes_are_base62_of_the_asked_length() {
        let code = super::short_code(12);
        assert_eq!(code.len(), 12);
        assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
