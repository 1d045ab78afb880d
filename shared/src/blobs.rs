//! The Blobs port: S3 through aws-sdk-s3 only, with presigned URLs for browser uploads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error("object store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl BlobError {
    fn from_sdk(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(e))
    }
}

impl From<BlobError> for crate::error::Error {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => crate::error::Error::NotFound("Datei nicht gefunden.".into()),
            BlobError::Unavailable(s) => crate::error::Error::Unavailable(s),
        }
    }
}

/// What a browser needs to upload: PUT to `url` with exactly these headers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PresignedUpload {
    pub method: &'static str,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

/// Download URLs handed out again within a warm sandbox, by key and validity.
type SignedUrls = HashMap<(String, Duration), (Instant, String)>;

/// Bounds the memory of a long-lived sandbox: the URLs start over when full.
const MAX_SIGNED_URLS: usize = 4096;

#[derive(Debug, Clone)]
pub struct Blobs {
    client: Client,
    bucket: String,
    signed: Arc<Mutex<SignedUrls>>,
}

impl Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            signed: Arc::default(),
        }
    }

    /// A GET URL of the object that stays valid for at least `valid_for`. Signing costs
    /// more than the rest of a list page, so a URL is signed for twice that and handed out
    /// again during the first half: every URL given out still has `valid_for` to run.
    pub async fn download_url(&self, key: &str, valid_for: Duration) -> Result<String, BlobError> {
        let entry = (key.to_string(), valid_for);
        if let Ok(signed) = self.signed.lock()
            && let Some((signed_at, url)) = signed.get(&entry)
            && signed_at.elapsed() < valid_for
        {
            return Ok(url.clone());
        }
        let signed_at = Instant::now();
        let url = self.presign_get(key, valid_for.saturating_mul(2)).await?;
        if let Ok(mut signed) = self.signed.lock() {
            if signed.len() >= MAX_SIGNED_URLS {
                signed.clear();
            }
            signed.insert(entry, (signed_at, url.clone()));
        }
        Ok(url)
    }

    /// A presigned PUT; the content type is signed, so an upload declaring another type
    /// fails at S3 with a signature mismatch.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires: Duration,
    ) -> Result<PresignedUpload, BlobError> {
        let config = PresigningConfig::expires_in(expires).map_err(BlobError::from_sdk)?;
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(|e| BlobError::from_sdk(e.into_service_error()))?;
        let headers = req
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(PresignedUpload {
            method: "PUT",
            url: req.uri().to_string(),
            headers,
            expires_in_seconds: expires.as_secs(),
        })
    }

    /// A presigned PUT with the content type and the exact length signed: S3 refuses an
    /// upload of another type or another size (a browser cannot change `Content-Length`).
    pub async fn presign_put_exact(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        expires: Duration,
    ) -> Result<PresignedUpload, BlobError> {
        let config = PresigningConfig::expires_in(expires).map_err(BlobError::from_sdk)?;
        let length = i64::try_from(length).map_err(BlobError::from_sdk)?;
        let req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|e| BlobError::from_sdk(e.into_service_error()))?;
        let headers = req
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(PresignedUpload {
            method: "PUT",
            url: req.uri().to_string(),
            headers,
            expires_in_seconds: expires.as_secs(),
        })
    }

    /// The first `len` bytes of an object (fewer if it is shorter), `None` when there is no
    /// object: enough to check a file's magic number without downloading it.
    pub async fn get_prefix(&self, key: &str, len: u64) -> Result<Option<Vec<u8>>, BlobError> {
        let last = len.saturating_sub(1);
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{last}"))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return match e.into_service_error() {
                    aws_sdk_s3::operation::get_object::GetObjectError::NoSuchKey(_) => Ok(None),
                    other => Err(BlobError::from_sdk(other)),
                };
            }
        };
        let data = out.body.collect().await.map_err(BlobError::from_sdk)?;
        let mut bytes = data.into_bytes().to_vec();
        bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(Some(bytes))
    }

    pub async fn presign_get(&self, key: &str, expires: Duration) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(expires).map_err(BlobError::from_sdk)?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| BlobError::from_sdk(e.into_service_error()))?;
        Ok(req.uri().to_string())
    }

    pub async fn put(
        &self,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| BlobError::from_sdk(e.into_service_error()))?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| match e.into_service_error() {
                aws_sdk_s3::operation::get_object::GetObjectError::NoSuchKey(_) => {
                    BlobError::NotFound
                }
                other => BlobError::from_sdk(other),
            })?;
        let data = out.body.collect().await.map_err(BlobError::from_sdk)?;
        Ok(data.into_bytes().to_vec())
    }

    /// The stored object's content type, or `None` when there is no object.
    pub async fn head(&self, key: &str) -> Result<Option<String>, BlobError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.content_type.unwrap_or_default())),
            Err(e) => match e.into_service_error() {
                aws_sdk_s3::operation::head_object::HeadObjectError::NotFound(_) => Ok(None),
                other => Err(BlobError::from_sdk(other)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Blobs {
        let creds = aws_credential_types::Credentials::from_keys("key", "secret", None);
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("eu-central-1"))
            .credentials_provider(creds)
            .endpoint_url("http://127.0.0.1:9")
            .force_path_style(true)
            .build();
        Blobs::new(Client::from_conf(conf), "dokumente")
    }

    fn expires_in(url: &str) -> String {
        url.split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Expires="))
            .unwrap_or_default()
            .to_string()
    }

    #[tokio::test]
    async fn a_download_url_is_signed_for_twice_its_validity_and_handed_out_again() {
        let blobs = blobs();
        let quarter_hour = Duration::from_secs(900);
        let first = blobs
            .download_url("invoices/2026/2026-000001.pdf", quarter_hour)
            .await
            .unwrap_or_default();
        assert_eq!(expires_in(&first), "1800");
        let again = blobs
            .clone()
            .download_url("invoices/2026/2026-000001.pdf", quarter_hour)
            .await
            .unwrap_or_default();
        assert_eq!(again, first, "a clone shares the signed URLs");
        let other = blobs
            .download_url("invoices/2026/2026-000002.pdf", quarter_hour)
            .await
            .unwrap_or_default();
        assert!(other.contains("2026-000002.pdf"));
        let longer = blobs
            .download_url("invoices/2026/2026-000001.pdf", Duration::from_secs(3600))
            .await
            .unwrap_or_default();
        assert_eq!(expires_in(&longer), "7200");
    }
}
