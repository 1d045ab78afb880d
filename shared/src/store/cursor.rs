//! Opaque pagination cursors: base64url of the last evaluated key's attributes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Item, StoreError};

pub(crate) fn encode(key_attrs: &Item) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::Value::Object(key_attrs.clone()).to_string())
}

pub(crate) fn decode(cursor: &str) -> Result<Item, StoreError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(StoreError::InvalidCursor),
    }
}
