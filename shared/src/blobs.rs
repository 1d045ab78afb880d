//! The Blobs port: objects in one S3 bucket, reached through presigned URLs. Browsers get
//! the URLs; the functions' own requests go to a short-lived one over a small HTTP/1.1
//! client. Signing is AWS's own SigV4 signer; the S3 SDK is not linked, since its checksum
//! code and operation machinery were over a megabyte of every bootstrap.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::BodyExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("object not found")]
    NotFound,
    #[error("object store unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<S3Error> for BlobError {
    fn from(e: S3Error) -> Self {
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

/// Why S3 could not be used. The texts name the operation and S3's answer, never a URL
/// (a presigned one is a credential) nor a key's secret part.
#[derive(Debug, thiserror::Error)]
enum S3Error {
    #[error("S3 is not configured: {0}")]
    Config(&'static str),
    #[error("the TLS configuration for S3 failed")]
    Tls(#[source] rustls::Error),
    #[error("no AWS credentials for S3")]
    Credentials(#[source] aws_credential_types::provider::error::CredentialsError),
    #[error("presigned S3 URLs last at most a week")]
    TooLong,
    #[error("signing the S3 request failed")]
    Signing,
    #[error("S3 {0} failed")]
    Transport(
        &'static str,
        #[source] Box<dyn std::error::Error + Send + Sync>,
    ),
    #[error("S3 {0} timed out")]
    Timeout(&'static str),
    #[error("S3 {operation} answered {status} {code}")]
    Status {
        operation: &'static str,
        status: u16,
        code: String,
    },
}

/// What a browser needs to upload: PUT to `url` with exactly these headers.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PresignedUpload {
    pub method: &'static str,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_in_seconds: u64,
}

/// Download URLs handed out again within a warm sandbox, by key and validity.
type SignedUrls = HashMap<(String, Duration), (Instant, String)>;

/// Bounds the memory of a long-lived sandbox: the URLs start over when full.
const MAX_SIGNED_URLS: usize = 4096;

/// S3 refuses presigned URLs valid for longer.
const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// The validity of the URLs the functions send their own requests to: long enough for a
/// slow upload and its retries, short enough to be worthless if one ever leaked.
const OWN_REQUEST_EXPIRY: Duration = Duration::from_secs(300);

/// One attempt's limit, body included: invoices and images are a few MB at most.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// As the SDK's standard retry: three attempts at transient failures (S3's 500 and 503
/// SlowDown, a broken connection); every request here is idempotent.
const ATTEMPTS: u32 = 3;

/// Credentials are fetched again this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

/// SigV4's URI encoding: everything but the unreserved characters.
const AWS_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[derive(Clone)]
pub struct Blobs {
    inner: Arc<Inner>,
    signed: Arc<Mutex<SignedUrls>>,
}

struct Inner {
    /// The SDK clients' HTTP/1.1 client type, so a bootstrap links one.
    http: crate::http_client::Http1Client,
    credentials: SharedCredentialsProvider,
    /// The last credentials, reused until shortly before they expire.
    cached: Mutex<Option<Credentials>>,
    region: String,
    /// Everything before an object's encoded key, ending in `/`.
    base: String,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blobs")
            .field("base", &self.inner.base)
            .field("region", &self.inner.region)
            .finish_non_exhaustive()
    }
}

/// One of the functions' own requests.
struct Call<'a> {
    operation: &'static str,
    method: Method,
    key: &'a str,
    content_type: Option<&'a str>,
    range: Option<String>,
    body: Bytes,
}

impl<'a> Call<'a> {
    /// A request without a body or a range (GET, HEAD).
    fn read(operation: &'static str, method: Method, key: &'a str) -> Self {
        Self {
            operation,
            method,
            key,
            content_type: None,
            range: None,
            body: Bytes::new(),
        }
    }
}

/// S3's answer, its body read.
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    body: Bytes,
}

impl Answer {
    /// S3's error code (`NoSuchKey`, `SlowDown`, ...) from an error body; HEAD has none.
    fn code(&self) -> &str {
        let text = std::str::from_utf8(&self.body).unwrap_or_default();
        text.split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map_or("", |(code, _)| code)
    }

    fn failure(&self, operation: &'static str) -> S3Error {
        S3Error::Status {
            operation,
            status: self.status.as_u16(),
            code: self.code().chars().take(64).collect(),
        }
    }
}

impl Blobs {
    /// The bucket with the SDK configuration's region and credentials: virtual-hosted on
    /// AWS, path-style on the emulator `AWS_ENDPOINT_URL_S3` names or with
    /// `S3_FORCE_PATH_STYLE`.
    pub fn from_sdk(sdk: &crate::config::SdkConfig, bucket: &str) -> Result<Self, BlobError> {
        let region = sdk
            .region()
            .ok_or(S3Error::Config("no AWS region"))?
            .to_string();
        let credentials = sdk
            .credentials_provider()
            .ok_or(S3Error::Config("no AWS credentials provider"))?;
        let base = match crate::config::endpoint_override("S3") {
            Some(endpoint) => path_style_base(&endpoint, bucket),
            None => aws_base(&region, bucket, crate::config::flag("S3_FORCE_PATH_STYLE")),
        };
        Self::build(base, region, credentials)
    }

    /// The bucket on an S3-compatible server at `endpoint` (`http://127.0.0.1:9000`),
    /// addressed path-style: the emulators.
    pub fn path_style(
        endpoint: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
        bucket: &str,
    ) -> Result<Self, BlobError> {
        Self::build(
            path_style_base(endpoint, bucket),
            region.to_string(),
            credentials,
        )
    }

    fn build(
        base: String,
        region: String,
        credentials: SharedCredentialsProvider,
    ) -> Result<Self, BlobError> {
        Ok(Self {
            inner: Arc::new(Inner {
                http: crate::http_client::hyper_client(crate::http_client::CONNECT_TIMEOUT)
                    .map_err(S3Error::Tls)?,
                credentials,
                cached: Mutex::new(None),
                region,
                base,
            }),
            signed: Arc::default(),
        })
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
        let headers = [("content-type", content_type)];
        let url = self.presign("PUT", key, &headers, expires).await?;
        Ok(upload(url, &headers, expires))
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
        let length = length.to_string();
        let headers = [
            ("content-length", length.as_str()),
            ("content-type", content_type),
        ];
        let url = self.presign("PUT", key, &headers, expires).await?;
        Ok(upload(url, &headers, expires))
    }

    /// The first `len` bytes of an object (fewer if it is shorter), `None` when there is no
    /// object: enough to check a file's magic number without downloading it.
    pub async fn get_prefix(&self, key: &str, len: u64) -> Result<Option<Vec<u8>>, BlobError> {
        let last = len.saturating_sub(1);
        let answer = self
            .call(Call {
                range: Some(format!("bytes=0-{last}")),
                ..Call::read("GetObject", Method::GET, key)
            })
            .await?;
        match answer.status {
            StatusCode::OK | StatusCode::PARTIAL_CONTENT => {
                let mut bytes = answer.body.to_vec();
                bytes.truncate(usize::try_from(len).unwrap_or(usize::MAX));
                Ok(Some(bytes))
            }
            // An empty object has no first byte to give.
            StatusCode::RANGE_NOT_SATISFIABLE => Ok(Some(Vec::new())),
            StatusCode::NOT_FOUND if answer.code() == "NoSuchKey" => Ok(None),
            _ => Err(answer.failure("GetObject").into()),
        }
    }

    pub async fn presign_get(&self, key: &str, expires: Duration) -> Result<String, BlobError> {
        self.presign("GET", key, &[], expires).await
    }

    pub async fn put(
        &self,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(), BlobError> {
        let answer = self
            .call(Call {
                operation: "PutObject",
                method: Method::PUT,
                key,
                content_type: Some(content_type),
                range: None,
                body: Bytes::from(bytes),
            })
            .await?;
        if answer.status.is_success() {
            Ok(())
        } else {
            Err(answer.failure("PutObject").into())
        }
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let answer = self.call(Call::read("GetObject", Method::GET, key)).await?;
        match answer.status {
            StatusCode::OK => Ok(answer.body.to_vec()),
            StatusCode::NOT_FOUND if answer.code() == "NoSuchKey" => Err(BlobError::NotFound),
            _ => Err(answer.failure("GetObject").into()),
        }
    }

    /// The stored object's content type, or `None` when there is no object.
    pub async fn head(&self, key: &str) -> Result<Option<String>, BlobError> {
        let answer = self
            .call(Call::read("HeadObject", Method::HEAD, key))
            .await?;
        match answer.status {
            StatusCode::OK => Ok(Some(answer.content_type.unwrap_or_default())),
            // A HEAD answer has no body to tell a missing key from a missing bucket.
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(answer.failure("HeadObject").into()),
        }
    }

    /// The object's URL with the SigV4 query parameters. `headers` (lowercase names) are
    /// signed: a request must carry them with exactly these values.
    async fn presign(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        expires: Duration,
    ) -> Result<String, BlobError> {
        self.presign_at(method, key, headers, expires, SystemTime::now())
            .await
    }

    async fn presign_at(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        expires: Duration,
        time: SystemTime,
    ) -> Result<String, BlobError> {
        if expires > MAX_EXPIRY {
            return Err(S3Error::TooLong.into());
        }
        let identity = self.credentials().await?.into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        // S3 signs the path as sent, encoded once, with `.`, `..` and `//` left alone.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.inner.region)
            .name("s3")
            .time(time)
            .settings(settings)
            .build()
            .map_err(|_| S3Error::Signing)?
            .into();
        let mut url = self.object_url(key);
        let request = SignableRequest::new(
            method,
            url.as_str(),
            headers.iter().copied(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|_| S3Error::Signing)?;
        let (instructions, _) = sign(request, &params)
            .map_err(|_| S3Error::Signing)?
            .into_parts();
        for (i, (name, value)) in instructions.params().iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.extend(utf8_percent_encode(value, AWS_ENCODE));
        }
        Ok(url)
    }

    fn object_url(&self, key: &str) -> String {
        let mut url = self.inner.base.clone();
        for (i, segment) in key.split('/').enumerate() {
            if i > 0 {
                url.push('/');
            }
            url.extend(utf8_percent_encode(segment, AWS_ENCODE));
        }
        url
    }

    async fn credentials(&self) -> Result<Credentials, S3Error> {
        let fresh = |c: &Credentials| {
            c.expiry()
                .is_none_or(|expiry| expiry > SystemTime::now() + CREDENTIALS_MARGIN)
        };
        if let Ok(cached) = self.inner.cached.lock()
            && let Some(credentials) = cached.as_ref()
            && fresh(credentials)
        {
            return Ok(credentials.clone());
        }
        let credentials = self
            .inner
            .credentials
            .provide_credentials()
            .await
            .map_err(S3Error::Credentials)?;
        if let Ok(mut cached) = self.inner.cached.lock() {
            *cached = Some(credentials.clone());
        }
        Ok(credentials)
    }

    /// Sends one of the functions' own requests to a presigned URL, again after a transient
    /// failure. Any answer S3 gives is returned; the caller judges its status.
    async fn call(&self, call: Call<'_>) -> Result<Answer, BlobError> {
        let signed: &[(&str, &str)] = match call.content_type {
            Some(content_type) => &[("content-type", content_type)],
            None => &[],
        };
        let url = self
            .presign(call.method.as_str(), call.key, signed, OWN_REQUEST_EXPIRY)
            .await?;
        let mut failure = S3Error::Timeout(call.operation);
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100) * 2u32.pow(attempt - 1)).await;
            }
            let mut request = http::Request::builder()
                .method(call.method.clone())
                .uri(url.as_str());
            if let Some(content_type) = call.content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            if let Some(range) = &call.range {
                request = request.header(header::RANGE, range.as_str());
            }
            let request = request
                .body(SdkBody::from(call.body.clone()))
                .map_err(|e| S3Error::Transport(call.operation, Box::new(e)))?;
            match tokio::time::timeout(ATTEMPT_TIMEOUT, self.exchange(call.operation, request))
                .await
            {
                Ok(Ok(answer)) if is_transient(answer.status) => {
                    failure = answer.failure(call.operation);
                }
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(e)) => failure = e,
                Err(_) => failure = S3Error::Timeout(call.operation),
            }
        }
        Err(failure.into())
    }

    async fn exchange(
        &self,
        operation: &'static str,
        request: http::Request<SdkBody>,
    ) -> Result<Answer, S3Error> {
        let response = self
            .inner
            .http
            .request(request)
            .await
            .map_err(|e| S3Error::Transport(operation, Box::new(e)))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| S3Error::Transport(operation, Box::new(e)))?
            .to_bytes();
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }
}

fn upload(url: String, headers: &[(&str, &str)], expires: Duration) -> PresignedUpload {
    PresignedUpload {
        method: "PUT",
        url,
        headers: headers
            .iter()
            .map(|(name, value)| ((*name).to_string(), (*value).to_string()))
            .collect(),
        expires_in_seconds: expires.as_secs(),
    }
}

fn is_transient(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// `https://{bucket}.s3.{region}.amazonaws.com/`, or path-style when asked to or when the
/// bucket's dots would not match the endpoint's wildcard certificate.
fn aws_base(region: &str, bucket: &str, path_style: bool) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    if path_style || bucket.contains('.') {
        format!(
            "https://s3.{region}.{domain}/{}/",
            utf8_percent_encode(bucket, AWS_ENCODE)
        )
    } else {
        format!("https://{bucket}.s3.{region}.{domain}/")
    }
}

fn path_style_base(endpoint: &str, bucket: &str) -> String {
    format!(
        "{}/{}/",
        endpoint.trim_end_matches('/'),
        utf8_percent_encode(bucket, AWS_ENCODE)
    )
}

/// HTTP/1.1 over rustls, trusting only the Amazon roots that sign every S3 endpoint; plain
/// http for the emulators on loopback.
#[cfg(test)]
mod tests {
    use super::*;

    fn blobs_with(session_token: Option<&str>) -> Blobs {
        let creds = Credentials::from_keys("key", "secret", session_token.map(str::to_string));
        Blobs::path_style(
            "http://127.0.0.1:9",
            "eu-central-1",
            SharedCredentialsProvider::new(creds),
            "dokumente",
        )
        .unwrap()
    }

    fn blobs() -> Blobs {
        blobs_with(None)
    }

    fn param(url: &str, name: &str) -> Option<String> {
        let query = url::Url::parse(url).unwrap();
        query
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
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

    #[tokio::test]
    async fn a_presigned_put_signs_its_type_and_exact_size_and_carries_the_session_token() {
        let blobs = blobs_with(Some("the-session-token/+="));
        let ten_minutes = Duration::from_secs(600);
        let put = blobs
            .presign_put("logos/p1/logo.png", "image/png", ten_minutes)
            .await
            .unwrap();
        assert_eq!(put.method, "PUT");
        assert_eq!(
            param(&put.url, "X-Amz-SignedHeaders").as_deref(),
            Some("content-type;host")
        );
        assert_eq!(
            param(&put.url, "X-Amz-Security-Token").as_deref(),
            Some("the-session-token/+=")
        );
        assert_eq!(param(&put.url, "X-Amz-Expires").as_deref(), Some("600"));
        assert!(
            param(&put.url, "X-Amz-Credential")
                .unwrap()
                .starts_with("key/"),
        );
        assert_eq!(
            put.headers,
            BTreeMap::from([("content-type".into(), "image/png".into())])
        );
        assert_eq!(put.expires_in_seconds, 600);

        let exact = blobs
            .presign_put_exact("offers/o/i.png", "image/png", 4096, ten_minutes)
            .await
            .unwrap();
        assert_eq!(
            param(&exact.url, "X-Amz-SignedHeaders").as_deref(),
            Some("content-length;content-type;host")
        );
        assert!(param(&exact.url, "X-Amz-Security-Token").is_some());
        assert_eq!(
            exact.headers,
            BTreeMap::from([
                ("content-length".into(), "4096".into()),
                ("content-type".into(), "image/png".into()),
            ])
        );

        let without = blobs_with(None)
            .presign_put("logos/p1/logo.png", "image/png", ten_minutes)
            .await
            .unwrap();
        assert_eq!(param(&without.url, "X-Amz-Security-Token"), None);
    }

    /// AWS's own example of a presigned GET (S3 API reference, "Authenticating Requests:
    /// Using Query Parameters"), signature and all.
    #[tokio::test]
    async fn a_presigned_get_matches_the_example_in_the_s3_documentation() {
        let creds = Credentials::from_keys(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
        );
        let blobs = Blobs::build(
            "https://examplebucket.s3.amazonaws.com/".into(),
            "us-east-1".into(),
            SharedCredentialsProvider::new(creds),
        )
        .unwrap();
        let url = blobs
            .presign_at(
                "GET",
                "test.txt",
                &[],
                Duration::from_secs(86400),
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600),
            )
            .await
            .unwrap();
        assert!(
            url.starts_with("https://examplebucket.s3.amazonaws.com/test.txt?"),
            "{url}"
        );
        for (name, value) in [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            (
                "X-Amz-Credential",
                "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
            ),
            ("X-Amz-Date", "20130524T000000Z"),
            ("X-Amz-Expires", "86400"),
            ("X-Amz-SignedHeaders", "host"),
            (
                "X-Amz-Signature",
                "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
            ),
        ] {
            assert_eq!(param(&url, name).as_deref(), Some(value), "{name}");
        }
    }

    #[tokio::test]
    async fn keys_are_encoded_per_segment_and_urls_last_at_most_a_week() {
        let blobs = blobs();
        let url = blobs
            .presign_get("exports/a b/ä+ö.csv", Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:9/dokumente/exports/a%20b/%C3%A4%2B%C3%B6.csv?"),
            "{url}"
        );
        assert!(
            blobs
                .presign_get("k", Duration::from_secs(8 * 24 * 3600))
                .await
                .is_err()
        );
    }

    #[test]
    fn aws_buckets_are_virtual_hosted_unless_path_style_is_asked_for() {
        assert_eq!(
            aws_base("eu-central-1", "pn-assets", false),
            "https://pn-assets.s3.eu-central-1.amazonaws.com/"
        );
        assert_eq!(
            aws_base("eu-central-1", "pn-assets", true),
            "https://s3.eu-central-1.amazonaws.com/pn-assets/"
        );
        assert_eq!(
            aws_base("eu-central-1", "pn.assets", false),
            "https://s3.eu-central-1.amazonaws.com/pn.assets/"
        );
        assert_eq!(
            path_style_base("http://127.0.0.1:4566/", "assets"),
            "http://127.0.0.1:4566/assets/"
        );
    }

    #[tokio::test]
    async fn errors_name_no_url_nor_credentials() {
        // Nothing listens on port 9: the request fails, the error tells what failed (and the
        // address it could not reach), never the signed URL.
        let blobs = blobs_with(Some("the-session-token"));
        let Err(BlobError::Unavailable(e)) = blobs.get("invoices/2026/x.pdf").await else {
            panic!("a failed request is unavailable");
        };
        let mut shown = String::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
        while let Some(e) = source {
            shown.push_str(&format!("{e} / {e:?} / "));
            source = e.source();
        }
        for secret in ["the-session-token", "secret", "X-Amz", "Signature", "x.pdf"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    /// A browser's PUT to a presigned upload.
    async fn upload_as_browser(
        blobs: &Blobs,
        upload: &PresignedUpload,
        content_type: &str,
        bytes: &'static [u8],
    ) -> StatusCode {
        let request = http::Request::put(upload.url.as_str())
            .header(header::CONTENT_TYPE, content_type)
            .body(SdkBody::from(Bytes::from_static(bytes)))
            .unwrap();
        blobs.inner.http.request(request).await.unwrap().status()
    }

    /// What a browser on `origin` asks before it PUTs to `url`, and the origin S3 allows.
    async fn preflight(blobs: &Blobs, url: &str, origin: &str) -> (StatusCode, Option<String>) {
        let request = http::Request::options(url)
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "PUT")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(SdkBody::empty())
            .unwrap();
        let response = blobs.inner.http.request(request).await.unwrap();
        let allowed = response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_string());
        (response.status(), allowed)
    }

    #[tokio::test]
    async fn the_apps_origin_may_upload_from_the_browser_and_no_other() {
        let dir = std::env::temp_dir().join(format!("pn-blobs-{}", crate::domain::new_id()));
        let s3 = crate::embedded_s3::EmbeddedS3::start(&dir, "assets", ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let blobs = s3.blobs("assets").unwrap();
        let app = "http://127.0.0.1:3002";
        let upload = blobs
            .presign_put_exact(
                "logos/uploads/p1/u1.png",
                "image/png",
                4,
                Duration::from_secs(600),
            )
            .await
            .unwrap();

        assert_eq!(
            preflight(&blobs, &upload.url, app).await.1,
            None,
            "no origin is allowed before the app's is named"
        );
        s3.allow_origin(app).unwrap();
        let (status, allowed) = preflight(&blobs, &upload.url, app).await;
        assert!(status.is_success(), "{status}");
        assert_eq!(allowed.as_deref(), Some(app));
        assert_eq!(
            preflight(&blobs, &upload.url, "https://evil.example")
                .await
                .1,
            None
        );

        let put = http::Request::put(upload.url.as_str())
            .header(header::ORIGIN, app)
            .header(header::CONTENT_TYPE, "image/png")
            .body(SdkBody::from(Bytes::from_static(b"\x89PNG")))
            .unwrap();
        let response = blobs.inner.http.request(put).await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        assert_eq!(
            response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Some(&http::HeaderValue::from_static(app)),
            "the browser may read the answer to its upload"
        );
        assert_eq!(
            blobs.get("logos/uploads/p1/u1.png").await.unwrap(),
            b"\x89PNG"
        );

        drop(s3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn objects_go_to_the_embedded_s3_and_back() {
        let dir = std::env::temp_dir().join(format!("pn-blobs-{}", crate::domain::new_id()));
        let s3 = crate::embedded_s3::EmbeddedS3::start(&dir, "assets", ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let blobs = s3.blobs("assets").unwrap();
        let key = "invoices/2026/2026-000001 (Kopie ä).pdf";
        let pdf = b"%PDF-1.7 Rechnung".to_vec();

        blobs
            .put(key, "application/pdf", pdf.clone())
            .await
            .unwrap();
        assert_eq!(
            blobs.head(key).await.unwrap().as_deref(),
            Some("application/pdf")
        );
        assert_eq!(blobs.get(key).await.unwrap(), pdf);
        assert_eq!(
            blobs.get_prefix(key, 5).await.unwrap().as_deref(),
            Some(&b"%PDF-"[..])
        );
        assert_eq!(
            blobs.get_prefix(key, 4096).await.unwrap(),
            Some(pdf.clone())
        );

        let missing = "invoices/2026/2026-999999.pdf";
        assert!(matches!(blobs.get(missing).await, Err(BlobError::NotFound)));
        assert_eq!(blobs.head(missing).await.unwrap(), None);
        assert_eq!(blobs.get_prefix(missing, 8).await.unwrap(), None);

        let download = blobs
            .download_url(key, Duration::from_secs(60))
            .await
            .unwrap();
        let request = http::Request::get(download.as_str())
            .body(SdkBody::empty())
            .unwrap();
        let response = blobs.inner.http.request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body.as_ref(), pdf.as_slice());

        let logo = "logos/p1/logo.png";
        let upload = blobs
            .presign_put(logo, "image/png", Duration::from_secs(600))
            .await
            .unwrap();
        assert_eq!(
            upload_as_browser(&blobs, &upload, "image/jpeg", b"\x89PNG").await,
            StatusCode::FORBIDDEN,
            "S3 refuses another content type"
        );
        assert_eq!(blobs.head(logo).await.unwrap(), None);
        assert!(
            upload_as_browser(&blobs, &upload, "image/png", b"\x89PNG")
                .await
                .is_success()
        );
        assert_eq!(
            blobs.head(logo).await.unwrap().as_deref(),
            Some("image/png")
        );

        let image = "offers/o1/i1.png";
        let exact = blobs
            .presign_put_exact(image, "image/png", 4, Duration::from_secs(600))
            .await
            .unwrap();
        assert_eq!(
            upload_as_browser(&blobs, &exact, "image/png", b"\x89PNG-and-more").await,
            StatusCode::FORBIDDEN,
            "S3 refuses another size"
        );
        assert!(
            upload_as_browser(&blobs, &exact, "image/png", b"\x89PNG")
                .await
                .is_success()
        );
        assert_eq!(blobs.get(image).await.unwrap(), b"\x89PNG");

        drop(s3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
