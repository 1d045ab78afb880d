//! An S3 server inside the process (s3s + s3s-fs over a folder) for local runs and tests.
//! It verifies SigV4 signatures, presigned URLs included, as S3 does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aws_credential_types::provider::SharedCredentialsProvider;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::blobs::{BlobError, Blobs};

pub const ACCESS_KEY: &str = "partnernetz-local";
pub const SECRET_KEY: &str = "partnernetz-local-secret";
pub const REGION: &str = "eu-central-1";

pub struct EmbeddedS3 {
    pub endpoint: String,
    pub addr: SocketAddr,
    pub root: PathBuf,
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
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            endpoint: format!("http://{addr}"),
            addr,
            root: root.to_path_buf(),
            task,
        })
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

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}
