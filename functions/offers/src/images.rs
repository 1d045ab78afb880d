//! An offer's images: presigned uploads that S3 itself holds to the declared type and size,
//! and the check at submit that each file is there and really is the image it claims to be.

use shared::domain::RecordId;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::auth::PartnerAuth;
use shared::blobs::Blobs;
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath};
use shared::openapi::Conflict;
use shared::{Error, FieldError, Result};
use utoipa::ToSchema;

use crate::drafts::save;
use crate::offer::{self, Image, ImageType};

pub const MAX_IMAGES: usize = 6;
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
const UPLOAD_LIFETIME: Duration = Duration::from_secs(600);
/// An image URL in a feed or a review stays valid at least this long.
pub const URL_VALIDITY: Duration = Duration::from_secs(3600);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"content_type": "image/jpeg", "size_bytes": 245760}))]
pub struct ImageRequest {
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: String,
    /// The file's exact size in bytes, at most 5 MB (5 242 880).
    pub size_bytes: u64,
}

/// A presigned upload: send the file with exactly this method, URL and headers.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PresignedImageUpload)]
pub struct Upload {
    /// Always `PUT`.
    pub method: String,
    pub url: String,
    /// Headers the upload must carry (`content-type`, `content-length`).
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageUpload {
    pub image: Image,
    pub upload: Upload,
}

/// Add an image (up to six, in this order) and get its presigned upload, valid for ten
/// minutes. The upload must declare exactly the type and size given here.
#[utoipa::path(post, path = "/offers/{offer_id}/images", tag = "offers", request_body = ImageRequest,
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses(
        (status = 201, description = "Upload the file with exactly this request.", body = ImageUpload),
        (status = 409, response = Conflict),
    ))]
pub async fn add(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<ImageRequest>,
) -> Result<(StatusCode, Json<ImageUpload>)> {
    let offer_id = offer_id.into_string();
    let mut offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    let mut errors = Vec::new();
    let kind = ImageType::parse(&body.content_type);
    if kind.is_none() {
        errors.push(FieldError::new(
            "content_type",
            "muss image/png, image/jpeg oder image/webp sein",
        ));
    }
    if !(1..=MAX_BYTES).contains(&body.size_bytes) {
        errors.push(FieldError::new(
            "size_bytes",
            "muss zwischen 1 Byte und 5 MB (5242880 Bytes) liegen",
        ));
    }
    if offer.content.images.len() >= MAX_IMAGES {
        errors.push(FieldError::new(
            "images",
            "Ein Angebot hat höchstens sechs Bilder.",
        ));
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Err(Error::Validation(errors));
    };
    let image_id = shared::domain::new_id();
    let key = format!(
        "offers/{}/{}/{image_id}.{}",
        auth.partner_id,
        offer.offer_id,
        kind.extension()
    );
    let upload = state
        .blobs
        .presign_put_exact(&key, kind.mime(), body.size_bytes, UPLOAD_LIFETIME)
        .await?;
    let image = Image {
        image_id,
        key,
        content_type: kind,
        size_bytes: body.size_bytes,
    };
    let read = offer.version;
    offer.revise(|draft| draft.images.push(image.clone()));
    offer.updated_at = state.clock.now();
    offer.version += 1;
    save(&state, &offer, read).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImageUpload {
            image,
            upload: Upload {
                method: upload.method.into(),
                url: upload.url,
                headers: upload.headers,
                expires_in_seconds: upload.expires_in_seconds,
            },
        }),
    ))
}

/// Remove an image from the draft (a published version keeps its images until a revision
/// is approved).
#[utoipa::path(delete, path = "/offers/{offer_id}/images/{image_id}", tag = "offers",
    params(
        ("offer_id" = RecordId, Path, description = "One of the partner's offers."),
        ("image_id" = RecordId, Path, description = "One of the offer's images."),
    ),
    responses(
        (status = 204, description = "Removed."),
        (status = 409, response = Conflict),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath((offer_id, image_id)): ApiPath<(RecordId, RecordId)>,
) -> Result<StatusCode> {
    let offer_id = offer_id.into_string();
    let image_id = image_id.into_string();
    let mut offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    if !offer.content.images.iter().any(|i| i.image_id == image_id) {
        return Err(Error::NotFound("Bild nicht gefunden.".into()));
    }
    offer.revise(|draft| draft.images.retain(|i| i.image_id != image_id));
    let read = offer.version;
    offer.updated_at = state.clock.now();
    offer.version += 1;
    save(&state, &offer, read).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The type the first bytes of a file show, by its magic number.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageType::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageType::Jpeg)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageType::Webp)
    } else {
        None
    }
}

/// Every image that is missing or not the declared type, as field errors (`images[i]`).
pub async fn check(blobs: &Blobs, images: &[Image]) -> Result<Vec<FieldError>> {
    let mut errors = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let field = format!("images[{i}]");
        match blobs.get_prefix(&image.key, 16).await? {
            None => errors.push(FieldError::new(
                field,
                "Das Bild wurde noch nicht hochgeladen.",
            )),
            Some(head) if sniff(&head) != Some(image.content_type) => {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "Die Datei ist kein Bild vom Typ {}.",
                        image.content_type.mime()
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_tell_the_image_type() {
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageType::Png)
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(ImageType::Webp));
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVE"), None);
        assert_eq!(sniff(b""), None);
    }
}
