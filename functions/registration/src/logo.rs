//! The partner's logo after its upload: the file becomes the logo as soon as it is in the
//! bucket (S3's `Object Created` event; `GET /partners/me` looks too, should the event be
//! late), if it really is the declared image and within the size an upload may have. The
//! logo is a copy under a key of its content that no upload URL can write, so what was
//! checked is what supplier pages and coupons show.

use serde::Deserialize;
use shared::Result;
use shared::domain::PartnerId;
use shared::env::AppState;
use shared::model::from_item;
use shared::model::partners::{MAX_LOGO_BYTES, Partner, attr, partner_key};
use shared::store::{Cond, StoreError, Update};

/// Where uploads go: `logos/uploads/{partner}/{upload}.{ext}`. The bucket's event reaches
/// the function for keys under this prefix only (infra/template.yaml).
pub const UPLOAD_PREFIX: &str = "logos/uploads/";

/// Raster formats only (SVG can carry scripts), with the extension of their keys.
pub const LOGO_TYPES: [(&str, &str); 3] = [
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/webp", "webp"),
];

/// The key a new upload of the partner goes to.
pub fn upload_key(partner: &PartnerId, ext: &str) -> String {
    format!(
        "{UPLOAD_PREFIX}{partner}/{}.{ext}",
        shared::domain::new_id()
    )
}

/// What became of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption {
    /// It is the logo now, copied to this key.
    Adopted(String),
    /// The file is no image of the declared type, or too large: the upload is dropped and
    /// the logo stays as it was.
    Refused,
    /// Nothing uploaded yet.
    NotYet,
    /// Not the partner's pending upload (replaced by a newer one, adopted already, or a
    /// key outside the uploads).
    NotPending,
}

/// Makes the upload at `key` the partner's logo if it is their pending upload and a real
/// image of its declared type. Safe to repeat: a second call finds it no longer pending.
pub async fn adopt(state: &AppState, key: &str) -> Result<Adoption> {
    let Some((partner_id, declared)) = parse_upload_key(key) else {
        return Ok(Adoption::NotPending);
    };
    let Some(item) = state.table.get(&partner_key(&partner_id)).await? else {
        return Ok(Adoption::NotPending);
    };
    let partner: Partner = from_item(item)?;
    if partner.logo_pending_key.as_deref() != Some(key) {
        return Ok(Adoption::NotPending);
    }
    let Some(bytes) = state.blobs.get_prefix(key, MAX_LOGO_BYTES + 1).await? else {
        return Ok(Adoption::NotYet);
    };
    let pending = Cond::Eq(attr::LOGO_PENDING_KEY, key.into());
    if shared::images::sniff(&bytes) != Some(declared) || bytes.len() as u64 > MAX_LOGO_BYTES {
        tracing::warn!(partner_id = %partner_id, "logo upload is no image of its type, dropped");
        let dropped = state
            .table
            .update(
                &partner_key(&partner_id),
                &[Update::Remove(attr::LOGO_PENDING_KEY)],
                pending,
            )
            .await;
        return match dropped {
            Ok(_) => Ok(Adoption::Refused),
            Err(StoreError::ConditionFailed) => Ok(Adoption::NotPending),
            Err(e) => Err(e.into()),
        };
    }
    let logo = logo_key(&partner_id, declared, &bytes);
    state.blobs.put(&logo, declared, bytes).await?;
    let adopted = state
        .table
        .update(
            &partner_key(&partner_id),
            &[
                Update::Set(attr::LOGO_KEY, logo.clone().into()),
                Update::Remove(attr::LOGO_PENDING_KEY),
            ],
            pending,
        )
        .await;
    match adopted {
        Ok(_) => {
            tracing::info!(partner_id = %partner_id, "logo adopted");
            Ok(Adoption::Adopted(logo))
        }
        Err(StoreError::ConditionFailed) => Ok(Adoption::NotPending),
        Err(e) => Err(e.into()),
    }
}

/// The partner and declared type of an upload key, `None` for any other key.
fn parse_upload_key(key: &str) -> Option<(PartnerId, &'static str)> {
    let rest = key.strip_prefix(UPLOAD_PREFIX)?;
    let (partner, file) = rest.split_once('/')?;
    let (_, ext) = file.rsplit_once('.')?;
    let (mime, _) = LOGO_TYPES.iter().find(|(_, e)| *e == ext)?;
    (!partner.is_empty()).then(|| (PartnerId::from_raw(partner), *mime))
}

/// Where an accepted logo is kept: `logos/{partner}/{sha256}.{ext}`, outside the uploads.
fn logo_key(partner: &PartnerId, mime: &str, bytes: &[u8]) -> String {
    use sha2::Digest;
    let ext = LOGO_TYPES
        .iter()
        .find(|(t, _)| *t == mime)
        .map_or("bin", |(_, e)| *e);
    format!(
        "logos/{partner}/{}.{ext}",
        hex::encode(sha2::Sha256::digest(bytes))
    )
}

/// The parts of an S3 `Object Created` event (through EventBridge) the function reads.
#[derive(Debug, Deserialize)]
struct BucketEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: String,
    detail: BucketDetail,
}

#[derive(Debug, Deserialize)]
struct BucketDetail {
    object: BucketObject,
}

#[derive(Debug, Deserialize)]
struct BucketObject {
    key: String,
}

/// The object key of a bucket's `Object Created` event; `None` for any other event.
pub fn object_created(event: &serde_json::Value) -> Option<String> {
    let event = BucketEvent::deserialize(event).ok()?;
    (event.source == "aws.s3" && event.detail_type == "Object Created")
        .then_some(event.detail.object.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_keys_name_the_partner_and_the_type() {
        let partner = PartnerId::from_raw("0b5c3a52-8f0e-4a35-9d5c-2f0e8a7c1d11");
        let key = upload_key(&partner, "png");
        assert!(key.starts_with("logos/uploads/0b5c3a52-"), "{key}");
        assert_eq!(parse_upload_key(&key), Some((partner, "image/png")));
        assert_eq!(parse_upload_key("logos/p/x.png"), None);
        assert_eq!(parse_upload_key("logos/uploads//x.png"), None);
        assert_eq!(
            parse_upload_key("logos/uploads/0b5c3a52-8f0e-4a35-9d5c-2f0e8a7c1d11/x.svg"),
            None
        );
    }

    #[test]
    fn only_object_created_events_of_the_bucket_are_read() {
        let raw = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../events/registration/logo-uploaded.json"),
        )
        .unwrap();
        let event: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let key = object_created(&event).unwrap();
        assert!(key.starts_with(UPLOAD_PREFIX), "{key}");
        let schedule = serde_json::json!({
            "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {}
        });
        assert_eq!(object_created(&schedule), None);
        assert_eq!(
            object_created(&serde_json::json!({"routeKey": "GET /"})),
            None
        );
    }
}
