use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use shared::auth::{JwtIssuer, JwtVerifier};
use shared::blobs::Blobs;
use shared::crypto::DataKey;
use shared::mail::SharedMailer;
use shared::store::SharedTable;

/// Everything a handler needs, built once per cold start; cloning is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

pub struct Services {
    pub table: SharedTable,
    pub blobs: Blobs,
    pub mailer: SharedMailer,
    pub issuer: JwtIssuer,
    pub verifier: Arc<JwtVerifier>,
    pub data_key: DataKey,
    /// Base of the links in e-mails (the web front end).
    pub public_base_url: String,
}

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

impl FromRef<AppState> for Arc<JwtVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.0.verifier.clone()
    }
}
