//! The one HTTP client of the functions' own AWS traffic: the SDK clients (DynamoDB, SES,
//! SQS) and Blobs' presigned S3 requests. HTTP/1.1 only, since every AWS endpoint we call
//! speaks it: the SDK's own client brought HTTP/2 and the `h2` crate (about 0.3 MB of every
//! bootstrap) for nothing. TLS trusts only Amazon's roots; plain http is left for the
//! emulators (DynamoDB Local, moto, the embedded S3).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::TokioExecutor;

/// A connection that takes longer is not coming; the SDK's default as well.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// The hyper client: pooled HTTP/1.1 connections over rustls (or plain TCP for http URLs).
pub(crate) type Http1Client = Client<HttpsConnector<TcpConnector>, SdkBody>;

/// Where the bench's TLS proxy keeps its root certificate (PEM), read only by builds with
/// the `bench-root` feature.
#[cfg(feature = "bench-root")]
pub const BENCH_ROOT_ENV: &str = "PARTNERNETZ_BENCH_ROOT_PEM";

/// The one TLS context of the process, built on first use: every client (the SDK's, the
/// blobs') shares its root store, and its session cache, so a second connection to a host
/// resumes the first one's session instead of a full handshake.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, rustls::Error> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, rustls::Error>> = OnceLock::new();
    CONFIG
        .get_or_init(|| new_tls_config().map(Arc::new))
        .clone()
}

/// Amazon's roots over aws-lc, TLS 1.2 and 1.3.
fn new_tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(crate::config::amazon_roots());
    #[cfg(feature = "bench-root")]
    add_bench_root(&mut roots)?;
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// aws-lc's provider as rustls ships it: the post-quantum hybrid X25519MLKEM768 first, with
/// an X25519 share beside it. The bench found no cost of the hybrid above its noise
/// (docs/performance.md, "First request with TLS"), so recorded traffic keeps its protection.
#[cfg(not(feature = "bench-root"))]
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The bench measures the key exchanges side by side: `PARTNERNETZ_BENCH_TLS_KX=x25519`
/// offers only the classical X25519 (and P-256), without the post-quantum hybrid.
#[cfg(feature = "bench-root")]
fn provider() -> rustls::crypto::CryptoProvider {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if std::env::var("PARTNERNETZ_BENCH_TLS_KX").as_deref() == Ok("x25519") {
        provider.kx_groups = vec![
            rustls::crypto::aws_lc_rs::kx_group::X25519,
            rustls::crypto::aws_lc_rs::kx_group::SECP256R1,
        ];
    }
    provider
}

/// The bench's root certificate, when the bench named one.
#[cfg(feature = "bench-root")]
fn add_bench_root(roots: &mut rustls::RootCertStore) -> Result<(), rustls::Error> {
    use rustls::pki_types::pem::PemObject;
    let Some(path) = std::env::var_os(BENCH_ROOT_ENV) else {
        return Ok(());
    };
    let unreadable = |e: rustls::pki_types::pem::Error| {
        rustls::Error::General(format!("{BENCH_ROOT_ENV} {}: {e}", path.display()))
    };
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(&path).map_err(unreadable)? {
        roots.add(cert.map_err(unreadable)?)?;
    }
    Ok(())
}

fn build(tls: Arc<rustls::ClientConfig>, connect_timeout: Duration) -> Http1Client {
    let mut tcp = TcpConnector::new();
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(connect_timeout));
    tcp.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(Arc::unwrap_or_clone(tls))
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// The process's client with the default connect timeout, and its one connection pool:
/// the SDK clients, the blobs and [`open_connection`] share it, so a connection opened at
/// cold start serves the first request of whichever client needs it.
///
/// One pool per tokio runtime: a pooled connection is driven by a task of the runtime that
/// opened it, and a request sent on it from another runtime fails once that runtime is gone
/// ("runtime dropped the dispatch task"). A Lambda function has one runtime; tests have one
/// each.
fn pooled() -> Result<Http1Client, rustls::Error> {
    static POOLS: LazyLock<Mutex<HashMap<tokio::runtime::Id, Http1Client>>> =
        LazyLock::new(Mutex::default);
    let tls = tls_config()?;
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Ok(build(tls, CONNECT_TIMEOUT));
    };
    let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(pools
        .entry(runtime.id())
        .or_insert_with(|| build(tls, CONNECT_TIMEOUT))
        .clone())
}

/// A client with `connect_timeout`: the shared one for the default.
fn client_for(connect_timeout: Duration) -> Result<Http1Client, rustls::Error> {
    if connect_timeout == CONNECT_TIMEOUT {
        pooled()
    } else {
        tls_config().map(|tls| build(tls, connect_timeout))
    }
}

/// The client of Blobs' requests.
#[cfg(feature = "s3")]
pub(crate) fn hyper_client(connect_timeout: Duration) -> Result<Http1Client, rustls::Error> {
    client_for(connect_timeout)
}

/// Opens a connection to `endpoint` (TCP, and the TLS handshake for https) and leaves it in
/// the pool for the first request: a `GET /` whose answer, whatever its status, is read to
/// the end. At cold start, this moves the handshake out of the first user's request.
pub async fn open_connection(endpoint: &str) -> Result<(), BoxError> {
    use http_body_util::BodyExt;
    let client = pooled()?;
    let uri: http::Uri = endpoint.parse()?;
    let request = http::Request::get(uri).body(SdkBody::empty())?;
    let response = tokio::time::timeout(CONNECT_TIMEOUT, client.request(request)).await??;
    response.into_body().collect().await?;
    Ok(())
}

/// The client for `SdkConfig::http_client`.
pub fn sdk_http_client() -> SharedHttpClient {
    SharedHttpClient::new(SdkClient {
        connectors: Mutex::default(),
    })
}

/// The SDK asks for a connector per request attempt, with the timeouts of the client's
/// configuration; one connector per distinct pair is kept, as the SDK's own client does.
/// In practice there is one, on the process's shared pool.
#[derive(Debug)]
struct SdkClient {
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

/// Connect and read timeout.
type Timeouts = (Option<Duration>, Option<Duration>);

impl HttpClient for SdkClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connectors
            .entry(key)
            .or_insert_with(|| {
                SharedHttpConnector::new(Connector {
                    // Built once; should it ever fail, every request fails with the reason.
                    client: client_for(key.0.unwrap_or(CONNECT_TIMEOUT)),
                    read_timeout: key.1,
                })
            })
            .clone()
    }
}

#[derive(Debug)]
struct Connector {
    client: Result<Http1Client, rustls::Error>,
    /// From sending the request to the response's head, as the SDK's own client.
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = match &self.client {
            Ok(client) => client,
            Err(e) => {
                return HttpConnectorFuture::ready(Err(ConnectorError::other(
                    Box::new(e.clone()),
                    None,
                )));
            }
        };
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let sent = client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, sent)
                    .await
                    .map_err(|elapsed| ConnectorError::timeout(Box::new(elapsed)))?,
                None => sent.await,
            }
            .map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// Sorts a failure as the SDK's retry strategy expects: timeouts and broken or refused
/// connections are retried, a request the client refused to send is not.
fn classify(error: hyper_util::client::legacy::Error) -> ConnectorError {
    kind(&error)(Box::new(error))
}

fn kind(error: &hyper_util::client::legacy::Error) -> fn(BoxError) -> ConnectorError {
    let timed_out = chain(error).any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || e.downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_timeout)
    });
    if timed_out {
        return ConnectorError::timeout;
    }
    if error.is_connect() {
        return ConnectorError::io;
    }
    let io = chain(error).any(|e| e.is::<std::io::Error>());
    match chain(error).find_map(|e| e.downcast_ref::<hyper::Error>()) {
        Some(h) if h.is_user() => ConnectorError::user,
        Some(h) if h.is_closed() || h.is_canceled() || io => ConnectorError::io,
        // A pooled connection the server had already closed (a frozen Lambda sandbox).
        Some(h) if h.is_incomplete_message() => {
            |e| ConnectorError::other(e, Some(ErrorKind::TransientError))
        }
        _ if io => ConnectorError::io,
        _ => |e| ConnectorError::other(e, None),
    }
}

/// `error` and its sources. After an `io::Error` comes its payload: its `source()` would
/// skip it.
fn chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
        None => e.source(),
    })
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_dynamodb::error::SdkError;
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;

    use super::*;

    fn dynamodb(endpoint: String) -> aws_sdk_dynamodb::Client {
        let conf = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-central-1"))
            .credentials_provider(Credentials::from_keys("test", "test", None))
            .endpoint_url(endpoint)
            .http_client(sdk_http_client())
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }

    /// A DynamoDB stand-in that answers every request with an empty table list, after
    /// checking it came as HTTP/1.1 for ListTables.
    async fn fake_dynamodb() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        |request: http::Request<hyper::body::Incoming>| async move {
                            assert_eq!(request.version(), http::Version::HTTP_11);
                            assert_eq!(
                                request.headers()["x-amz-target"],
                                "DynamoDB_20120810.ListTables"
                            );
                            http::Response::builder()
                                .header("content-type", "application/x-amz-json-1.0")
                                .body(Full::new(Bytes::from_static(b"{\"TableNames\":[]}")))
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn the_sdk_talks_http1_through_it() {
        let addr = fake_dynamodb().await;
        let client = dynamodb(format!("http://{addr}"));
        for _ in 0..2 {
            let tables = client.list_tables().send().await.unwrap();
            assert_eq!(tables.table_names(), &[] as &[String]);
        }
    }

    #[tokio::test]
    async fn a_refused_connection_is_an_io_error_of_the_sdk() {
        let closed = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .unwrap();
        let client = dynamodb(format!("http://{closed}"));
        let result = tokio::time::timeout(Duration::from_secs(30), client.list_tables().send())
            .await
            .expect("the SDK gave up in time");
        match result {
            Err(SdkError::DispatchFailure(failure)) => assert!(failure.is_io(), "{failure:?}"),
            other => panic!("expected a dispatch failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_silent_server_is_a_read_timeout() {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and keeps the connections open, never answering.
        tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                open.push(stream);
            }
        });
        let conf = dynamodb(format!("http://{addr}"))
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                    .read_timeout(Duration::from_millis(200))
                    .build(),
            )
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(conf);
        let result = tokio::time::timeout(Duration::from_secs(10), client.list_tables().send())
            .await
            .expect("the read timeout ended the call");
        match result {
            Err(SdkError::DispatchFailure(failure)) => {
                assert!(failure.is_timeout(), "{failure:?}");
            }
            other => panic!("expected a dispatch failure, got {other:?}"),
        }
    }

    #[test]
    fn the_tls_configuration_builds() {
        assert!(tls_config().is_ok());
    }

    #[test]
    fn every_client_shares_one_tls_context() {
        let (Ok(a), Ok(b)) = (tls_config(), tls_config()) else {
            panic!("the TLS configuration did not build");
        };
        assert!(Arc::ptr_eq(&a, &b));
    }

    /// A server on 127.0.0.1 that answers 400 to everything, counting its connections.
    async fn counting_server() -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        |_: http::Request<hyper::body::Incoming>| async {
                            http::Response::builder()
                                .status(400)
                                .body(Full::new(Bytes::from_static(b"{}")))
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (addr, accepted)
    }

    /// The connection opened at cold start is the one the first request uses.
    #[tokio::test]
    async fn an_opened_connection_serves_the_next_request() {
        let (addr, accepted) = counting_server().await;
        open_connection(&format!("http://{addr}")).await.unwrap();
        let client = pooled().unwrap();
        let request = http::Request::get(format!("http://{addr}/x"))
            .body(SdkBody::empty())
            .unwrap();
        let response = client.request(request).await.unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// A pooled connection is driven by a task of the runtime that opened it: another
    /// runtime (each test has its own) must not send on it, or its request waits for a
    /// runtime that is not running, and fails when that one is dropped.
    /// A deployed build offers the post-quantum hybrid first, and X25519 for a server
    /// without it (docs/performance.md, "First request with TLS").
    #[cfg(not(feature = "bench-root"))]
    #[test]
    fn deployed_builds_offer_the_post_quantum_hybrid_first() {
        let config = tls_config().expect("the TLS context builds");
        let groups: Vec<_> = config
            .crypto_provider()
            .kx_groups
            .iter()
            .map(|group| group.name())
            .collect();
        assert_eq!(groups.first(), Some(&rustls::NamedGroup::X25519MLKEM768));
        assert!(groups.contains(&rustls::NamedGroup::X25519));
    }

    #[test]
    fn each_runtime_has_a_pool_of_its_own() {
        let server = tokio::runtime::Runtime::new().unwrap();
        let (addr, accepted) = server.block_on(counting_server());
        let current = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        // Opened here, then idle: this runtime is alive but runs nothing any more.
        let first = current();
        first
            .block_on(open_connection(&format!("http://{addr}")))
            .unwrap();
        let answer = current().block_on(async {
            let request = http::Request::get(format!("http://{addr}/x"))
                .body(SdkBody::empty())
                .unwrap();
            // A bound, not a wait: on the first runtime's connection it would never answer.
            tokio::time::timeout(Duration::from_secs(10), pooled().unwrap().request(request)).await
        });
        drop(first);
        assert_eq!(answer.unwrap().unwrap().status(), 400);
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
