//! What each function is built from (docs/architecture.md §3): ports, clock and keys, built
//! once per cold start. `main.rs`, local-api, the router tests, the end-to-end stack and the
//! bench all build a function with its `build(&Env)`.

use std::sync::Arc;

use crate::auth::{JwtIssuer, JwtVerifier, TokenCheck};
use crate::blobs::Blobs;
use crate::clock::{SharedClock, SystemClock};
use crate::config::{ConfigError, SdkConfig, optional};
use crate::crypto::DataKey;
use crate::mail::{SesMailer, SharedMailer};
use crate::store::{DynamoTable, SharedTable};

#[derive(Clone)]
pub struct Env {
    pub table: SharedTable,
    pub blobs: Blobs,
    pub mailer: SharedMailer,
    pub clock: SharedClock,
    pub verifier: Arc<JwtVerifier>,
    /// Only registration, the identity service, holds the signing key.
    pub issuer: Option<JwtIssuer>,
    /// Only the functions that seal or open personal data hold the data key (`DATA_KEY`);
    /// read it through [`Env::data_key`].
    pub data_key: Option<DataKey>,
    /// Base of the links in e-mails (the web front end).
    pub public_base_url: String,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("public_base_url", &self.public_base_url)
            .field("signs_tokens", &self.issuer.is_some())
            .finish_non_exhaustive()
    }
}

/// A function's router state: the environment behind one reference count, so axum's
/// per-request clone is cheap.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Env>);

impl AppState {
    pub fn new(env: &Env) -> Self {
        Self(Arc::new(env.clone()))
    }
}

impl std::ops::Deref for AppState {
    type Target = Env;
    fn deref(&self) -> &Env {
        &self.0
    }
}

impl Env {
    /// How this environment's routes check a token: its verifier, by its clock.
    pub fn token_check(&self) -> TokenCheck {
        TokenCheck::new(self.verifier.clone(), self.clock.clone())
    }

    /// The key that seals and opens personal data. A function deployed without `DATA_KEY`
    /// (offers, the redirect) has none: reaching for it is a bug, answered 500.
    pub fn data_key(&self) -> Result<&DataKey, crate::Error> {
        self.data_key
            .as_ref()
            .ok_or_else(|| crate::Error::internal(ConfigError::Missing("DATA_KEY")))
    }
}

impl axum::extract::FromRef<AppState> for crate::auth::Revocations {
    fn from_ref(state: &AppState) -> Self {
        crate::auth::Revocations(state.0.table.clone())
    }
}

impl axum::extract::FromRef<AppState> for TokenCheck {
    fn from_ref(state: &AppState) -> Self {
        state.0.token_check()
    }
}

/// A secret from the environment; never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The Lambda environment every function reads (README: Configuration).
#[derive(Debug, Clone)]
pub struct EnvConfig {
    pub table_name: String,
    pub bucket_name: String,
    pub sender_address: String,
    pub jwt_public_key_pem: String,
    /// Set for registration only.
    pub jwt_private_key_pem: Option<Secret>,
    /// Set for the functions that seal or open personal data only.
    pub data_key: Option<Secret>,
    pub public_base_url: String,
}

impl EnvConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(optional)
    }

    /// The configuration from `lookup` (a variable's value, `None` when unset or blank).
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let required = |name| lookup(name).ok_or(ConfigError::Missing(name));
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            bucket_name: required("BUCKET_NAME")?,
            sender_address: required("SENDER_ADDRESS")?,
            jwt_public_key_pem: required("JWT_PUBLIC_KEY_PEM")?,
            jwt_private_key_pem: lookup("JWT_PRIVATE_KEY_PEM").map(Secret),
            data_key: lookup("DATA_KEY").map(Secret),
            public_base_url: lookup("PUBLIC_BASE_URL")
                .unwrap_or_else(|| "https://partnernetz.de".to_string()),
        })
    }

    /// For the functions that seal or open personal data: fails fast when `DATA_KEY` is
    /// missing.
    pub fn require_data_key(self) -> Result<Self, ConfigError> {
        if self.data_key.is_none() {
            return Err(ConfigError::Missing("DATA_KEY"));
        }
        Ok(self)
    }

    /// For the identity service: fails fast when the signing key is missing.
    pub fn require_signing_key(self) -> Result<Self, ConfigError> {
        if self.jwt_private_key_pem.is_none() {
            return Err(ConfigError::Missing("JWT_PRIVATE_KEY_PEM"));
        }
        Ok(self)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("invalid JWT key: {0}")]
    Key(#[from] crate::auth::KeyError),
    #[error("invalid DATA_KEY: {0}")]
    DataKey(#[from] crate::crypto::CryptoError),
    #[error("S3: {}", cause(.0))]
    Blobs(#[from] crate::blobs::BlobError),
}

/// What went wrong below the blob store's general "unavailable" (no region, ...).
fn cause(e: &crate::blobs::BlobError) -> String {
    std::error::Error::source(e).map_or_else(|| e.to_string(), ToString::to_string)
}

impl Env {
    /// The deployed environment: DynamoDB, S3 and SES clients from one SDK configuration.
    pub fn from_aws(config: &EnvConfig, sdk: &SdkConfig) -> Result<Self, EnvError> {
        let blobs = Blobs::from_sdk(sdk, &config.bucket_name)?;
        let clock: SharedClock = Arc::new(SystemClock);
        Ok(Self {
            table: Arc::new(DynamoTable::new(
                crate::config::dynamodb_client(sdk),
                &config.table_name,
                clock.clone(),
            )),
            mailer: Arc::new(
                SesMailer::from_sdk(sdk, &config.sender_address)
                    .with_attachments(Arc::new(blobs.clone())),
            ),
            blobs,
            clock,
            verifier: Arc::new(JwtVerifier::from_pem(&config.jwt_public_key_pem)?),
            issuer: config
                .jwt_private_key_pem
                .as_ref()
                .map(|pem| JwtIssuer::from_pem(pem.expose()))
                .transpose()?,
            data_key: config
                .data_key
                .as_ref()
                .map(|key| DataKey::from_base64(key.expose()))
                .transpose()?,
            public_base_url: config.public_base_url.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_never_show_in_debug() {
        let config = super::EnvConfig {
            table_name: "t".into(),
            bucket_name: "b".into(),
            sender_address: "s@example.de".into(),
            jwt_public_key_pem: "public".into(),
            jwt_private_key_pem: Some(super::Secret::new("PRIVATE-KEY-MATERIAL")),
            data_key: Some(super::Secret::new("DATA-KEY-MATERIAL")),
            public_base_url: "https://x".into(),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("PRIVATE-KEY-MATERIAL"), "{shown}");
        assert!(!shown.contains("DATA-KEY-MATERIAL"), "{shown}");
        assert!(shown.contains("table_name"));
    }

    fn lookup(with_data_key: bool) -> impl Fn(&'static str) -> Option<String> {
        move |name| match name {
            "DATA_KEY" if !with_data_key => None,
            "JWT_PRIVATE_KEY_PEM" | "PUBLIC_BASE_URL" => None,
            other => Some(format!("{other}-value")),
        }
    }

    /// Offers and the redirect run without the data key; the functions that seal personal
    /// data refuse to start without it, naming the variable.
    #[test]
    fn the_data_key_is_required_only_where_personal_data_is_sealed() {
        let without = super::EnvConfig::from_lookup(lookup(false)).unwrap();
        assert!(without.data_key.is_none());
        let refused = without.require_data_key().unwrap_err();
        assert_eq!(
            refused.to_string(),
            super::ConfigError::Missing("DATA_KEY").to_string()
        );
        assert!(refused.to_string().contains("DATA_KEY"), "{refused}");
        let with = super::EnvConfig::from_lookup(lookup(true))
            .and_then(super::EnvConfig::require_data_key)
            .unwrap();
        assert_eq!(
            with.data_key.map(|k| k.expose().to_string()),
            Some("DATA_KEY-value".into())
        );
    }
}
