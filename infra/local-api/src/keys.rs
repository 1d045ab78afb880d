//! Local key material, created on first start and kept in the data folder so that tokens
//! and encrypted data stay valid across restarts.

use std::path::Path;

use anyhow::Context;
use shared::auth::{Ed25519Pems, generate_ed25519_pems};
use shared::crypto::DataKey;

pub struct LocalKeys {
    pub jwt: Ed25519Pems,
    pub data_key: DataKey,
}

pub fn load_or_create(dir: &Path) -> anyhow::Result<LocalKeys> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = dir.join("jwt-ed25519.pem");
    let public = dir.join("jwt-ed25519.pub.pem");
    let data = dir.join("data-key.b64");
    if !private.exists() || !public.exists() {
        let pems = generate_ed25519_pems().context("generating the JWT key")?;
        std::fs::write(&private, &pems.private_pem)?;
        std::fs::write(&public, &pems.public_pem)?;
    }
    if !data.exists() {
        std::fs::write(&data, DataKey::generate_base64())?;
    }
    let jwt = Ed25519Pems {
        private_pem: std::fs::read_to_string(&private)?,
        public_pem: std::fs::read_to_string(&public)?,
    };
    let data_key = DataKey::from_base64(&std::fs::read_to_string(&data)?)
        .with_context(|| format!("{} is not a 32-byte base64 key", data.display()))?;
    Ok(LocalKeys { jwt, data_key })
}
