//! An offer's images: presigned uploads that S3 itself holds to the declared type and size,
//! and, at submit, the check that each file is there and really is the image it claims to
//! be, and its copy to a key of its content that no upload URL can write: what a manager
//! approves is what the feed shows, whatever is put to the upload's URL later.

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
use crate::own::{self, OwnOffer};

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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"image_ids": ["0191f7a8-0000-7000-8000-000000000002", "0191f7a8-0000-7000-8000-000000000001"]}))]
pub struct ImageOrder {
    /// Every image of the draft, each exactly once, in the order they are to be shown.
    pub image_ids: Vec<String>,
}

/// Put the draft's images in a new order (the first is the feed's picture). A published
/// offer keeps its approved images until the revision is approved.
#[utoipa::path(put, path = "/offers/{offer_id}/images", tag = "offers", request_body = ImageOrder,
    params(("offer_id" = RecordId, Path, description = "One of the partner's offers.")),
    responses(
        (status = 200, description = "The offer with its images in the new order.", body = OwnOffer),
        (status = 409, response = Conflict),
    ))]
pub async fn reorder(
    State(state): State<AppState>,
    auth: PartnerAuth,
    ApiPath(offer_id): ApiPath<RecordId>,
    ApiJson(body): ApiJson<ImageOrder>,
) -> Result<Json<OwnOffer>> {
    let offer_id = offer_id.into_string();
    let mut offer = offer::load_own(state.table.as_ref(), &offer_id, &auth.partner_id).await?;
    let Some(ordered) = in_order(&offer.content.images, &body.image_ids) else {
        return Err(Error::field(
            "image_ids",
            "muss jedes Bild des Angebots genau einmal nennen",
        ));
    };
    let read = offer.version;
    offer.revise(|draft| draft.images = ordered);
    offer.updated_at = state.clock.now();
    offer.version += 1;
    save(&state, &offer, read).await?;
    Ok(Json(own::view(&state.blobs, offer).await?))
}

/// `images` in the order `ids` names them, or `None` unless `ids` names each exactly once.
pub fn in_order(images: &[Image], ids: &[String]) -> Option<Vec<Image>> {
    if ids.len() != images.len() {
        return None;
    }
    let mut ordered: Vec<Image> = Vec::with_capacity(ids.len());
    for id in ids {
        if ordered.iter().any(|i| &i.image_id == id) {
            return None;
        }
        ordered.push(images.iter().find(|i| &i.image_id == id)?.clone());
    }
    Some(ordered)
}

/// The type the first bytes of a file show, by its magic number.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    shared::images::sniff(bytes).and_then(ImageType::parse)
}

/// The images as submitted: each copied to [`pinned_key`], or, for every image that is
/// missing or not the declared type, a field error (`images[i]`).
pub async fn pin(blobs: &Blobs, images: &[Image]) -> Result<Result<Vec<Image>, Vec<FieldError>>> {
    let mut pinned = Vec::with_capacity(images.len());
    let mut errors = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let field = format!("images[{i}]");
        // The whole file (S3 held it to at most MAX_BYTES): the bytes checked are the bytes
        // copied.
        match blobs.get_prefix(&image.key, MAX_BYTES + 1).await? {
            None => errors.push(FieldError::new(
                field,
                "Das Bild wurde noch nicht hochgeladen.",
            )),
            Some(bytes)
                if sniff(&bytes) != Some(image.content_type) || bytes.len() as u64 > MAX_BYTES =>
            {
                errors.push(FieldError::new(
                    field,
                    format!(
                        "Die Datei ist kein Bild vom Typ {}.",
                        image.content_type.mime()
                    ),
                ));
            }
            Some(bytes) => {
                let key = pinned_key(&image.key, image.content_type, &bytes);
                let size_bytes = bytes.len() as u64;
                blobs.put(&key, image.content_type.mime(), bytes).await?;
                pinned.push(Image {
                    key,
                    size_bytes,
                    ..image.clone()
                });
            }
        }
    }
    Ok(if errors.is_empty() {
        Ok(pinned)
    } else {
        Err(errors)
    })
}

/// Where a submitted image is kept: beside its upload, under `pinned/` and the SHA-256 of
/// its bytes (base64url, so the key stays short enough for the local S3, which names a file
/// by the base64 of the whole key). Upload URLs are signed only for
/// `offers/{partner}/{offer}/{image}.{ext}`, so none can write here, and a copy of the same
/// bytes lands on the same key.
pub fn pinned_key(upload_key: &str, kind: ImageType, bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let folder = upload_key.rsplit_once('/').map_or("", |(folder, _)| folder);
    format!(
        "{folder}/pinned/{}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(bytes)),
        kind.extension()
    )
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

    fn image(id: &str) -> Image {
        Image {
            image_id: id.into(),
            key: format!("offers/p/o/{id}.png"),
            content_type: ImageType::Png,
            size_bytes: 10,
        }
    }

    #[test]
    fn a_new_order_names_every_image_once() {
        let images = [image("a"), image("b"), image("c")];
        let ids = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let order = |o: Vec<Image>| o.into_iter().map(|i| i.image_id).collect::<Vec<_>>();
        assert_eq!(
            in_order(&images, &ids(&["c", "a", "b"])).map(order),
            Some(ids(&["c", "a", "b"]))
        );
        assert!(
            in_order(&images, &ids(&["c", "a"])).is_none(),
            "one left out"
        );
        assert!(
            in_order(&images, &ids(&["a", "a", "b"])).is_none(),
            "one twice"
        );
        assert!(
            in_order(&images, &ids(&["a", "b", "x"])).is_none(),
            "a stranger"
        );
        assert_eq!(in_order(&[], &[]).map(order), Some(Vec::new()));
    }

    #[test]
    fn a_pinned_key_is_named_by_the_content_beside_the_upload() {
        let upload = "offers/p1/o1/i1.png";
        let png = b"\x89PNG\r\n\x1a\n";
        let pinned = pinned_key(upload, ImageType::Png, png);
        assert!(pinned.starts_with("offers/p1/o1/pinned/"), "{pinned}");
        assert!(pinned.ends_with(".png"));
        assert_eq!(pinned_key(upload, ImageType::Png, png), pinned);
        assert_ne!(pinned_key(upload, ImageType::Png, b"\x89PNG other"), pinned);
    }

    /// The local S3 (s3s-fs) keeps an object's metadata in a file named
    /// `.bucket-<base64 bucket>.object-<base64 key>.metadata.json`, and a file name holds at
    /// most 255 bytes: a pinned image of real ids must fit, or submitting it fails locally.
    #[test]
    fn a_pinned_key_of_real_ids_fits_the_local_s3s_file_names() {
        let id = "01a24ade-912b-7411-b22d-4789ef413a18";
        let upload = format!("offers/{id}/{id}/{id}.webp");
        let pinned = pinned_key(&upload, ImageType::Webp, b"RIFF\x24\0\0\0WEBPVP8 ");
        let b64 = |s: &str| s.len().div_ceil(3) * 4;
        let name = ".bucket-".len()
            + b64("partnernetz-local")
            + ".object-".len()
            + b64(&pinned)
            + ".metadata.json".len();
        assert!(name <= 255, "{name} bytes: {pinned}");
    }
}
