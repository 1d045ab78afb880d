//! An S3 server inside the process (s3s + s3s-fs over a folder) for local runs and tests.
//! It verifies SigV4 signatures, presigned URLs included, as S3 does, and, as the deployed
//! bucket sends an `Object Created` event for every object written, calls the hook set with
//! [`EmbeddedS3::on_object_created`] after each successful PUT, before it answers. Like the
//! deployed bucket (`AssetsBucket`'s CORS rule in infra/template.yaml), it lets the web app's
//! origin, once named with [`EmbeddedS3::allow_origin`], upload and fetch from the browser.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use http::{HeaderValue, Method, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::blobs::{BlobError, Blobs};

pub const ACCESS_KEY: &str = "partnernetz-local";
pub const SECRET_KEY: &str = "partnernetz-local-secret";
pub const REGION: &str = "eu-central-1";

/// An object written to the bucket: what S3's `Object Created` event tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    pub bucket: String,
    pub key: String,
}

/// What runs when an object was written; the PUT is answered after it.
pub type ObjectCreatedHook =
    Arc<dyn Fn(ObjectCreated) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

type HookSlot = Arc<RwLock<Option<ObjectCreatedHook>>>;

/// The one origin browsers may upload from and read with (none until it is named).
type OriginSlot = Arc<RwLock<Option<HeaderValue>>>;

/// The deployed bucket's CORS rule: PUT and GET from the app's origin with a `content-type`,
/// preflights cached for an hour. Any other origin gets no CORS headers, so its browser
/// refuses.
fn cors(origin: OriginSlot) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |asked, _| {
            origin
                .read()
                .is_ok_and(|allowed| allowed.as_ref() == Some(asked))
        }))
        .allow_methods([Method::PUT, Method::GET])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(3600))
}

pub struct EmbeddedS3 {
    pub endpoint: String,
    pub addr: SocketAddr,
    pub root: PathBuf,
    hook: HookSlot,
    origin: OriginSlot,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for EmbeddedS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedS3")
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

impl EmbeddedS3 {
    /// Serves the folder `root` (one sub-folder per bucket, `bucket` created) on `addr`.
    pub async fn start(root: &Path, bucket: &str, addr: SocketAddr) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.join(bucket))?;
        let fs =
            s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let hook = HookSlot::default();
        let origin = OriginSlot::default();
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let slot = hook.clone();
        let allowed = origin.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                let slot = slot.clone();
                let notifying = tower::service_fn(move |request: http::Request<Incoming>| {
                    let service = service.clone();
                    let slot = slot.clone();
                    async move {
                        let created = object_put(&request);
                        let response = hyper::service::Service::call(&service, request).await?;
                        let hook = slot.read().ok().and_then(|hook| hook.clone());
                        if let (Some(object), Some(hook)) = (created, hook)
                            && response.status().is_success()
                        {
                            hook(object).await;
                        }
                        Ok::<_, s3s::HttpError>(response)
                    }
                });
                let notifying = TowerToHyperService::new(cors(allowed.clone()).layer(notifying));
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), notifying)
                        .await;
                });
            }
        });
        Ok(Self {
            endpoint: format!("http://{addr}"),
            addr,
            root: root.to_path_buf(),
            hook,
            origin,
            task,
        })
    }

    /// Lets a browser on `origin` (the web app's, `http://127.0.0.1:3002`) upload with the
    /// presigned PUTs and read with the presigned GETs, as the deployed bucket's CORS rule
    /// does for the app's domain.
    pub fn allow_origin(&self, origin: &str) -> Result<(), http::header::InvalidHeaderValue> {
        let value = HeaderValue::from_str(origin)?;
        if let Ok(mut slot) = self.origin.write() {
            *slot = Some(value);
        }
        Ok(())
    }

    /// Calls `hook` after every object written from now on (replacing an earlier hook), as
    /// the deployed bucket's events reach a function: local-api and tests wire the handler.
    pub fn on_object_created(&self, hook: ObjectCreatedHook) {
        if let Ok(mut slot) = self.hook.write() {
            *slot = Some(hook);
        }
    }

    /// The blob store on `bucket` of this server: path-style, its static credentials.
    pub fn blobs(&self, bucket: &str) -> Result<Blobs, BlobError> {
        let creds = aws_credential_types::Credentials::from_keys(ACCESS_KEY, SECRET_KEY, None);
        Blobs::path_style(
            &self.endpoint,
            REGION,
            SharedCredentialsProvider::new(creds),
            bucket,
        )
    }
}

/// The object a request writes whole: a PUT without a copy source or a multipart part,
/// path-style (`/{bucket}/{key}`, the key percent-decoded).
fn object_put<B>(request: &http::Request<B>) -> Option<ObjectCreated> {
    if request.method() != http::Method::PUT
        || request.headers().contains_key("x-amz-copy-source")
        || request
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("partNumber=")))
    {
        return None;
    }
    let path = request.uri().path().strip_prefix('/')?;
    let (bucket, key) = path.split_once('/')?;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    let key = decode(key)?;
    (!key.is_empty()).then_some(ObjectCreated {
        bucket: decode(bucket)?,
        key,
    })
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_put_of_a_whole_object_is_an_object_created() {
        let put = |uri: &str| http::Request::put(uri).body(()).unwrap();
        assert_eq!(
            object_put(&put("/assets/logos/uploads/p%201/x.png?X-Amz-Signature=1")),
            Some(ObjectCreated {
                bucket: "assets".into(),
                key: "logos/uploads/p 1/x.png".into(),
            })
        );
        assert_eq!(object_put(&put("/assets")), None, "a bucket");
        assert_eq!(
            object_put(&put("/assets/big.bin?partNumber=2&uploadId=u")),
            None
        );
        let get = http::Request::get("/assets/x.png").body(()).unwrap();
        assert_eq!(object_put(&get), None);
    }
}
