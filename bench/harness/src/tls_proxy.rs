//! A TLS endpoint in front of DynamoDB Local, so a cold start's first request pays the TLS
//! handshake it pays in AWS. The certificate chain mirrors an AWS endpoint's: RSA 2048 keys,
//! a root, an intermediate and a leaf (for 127.0.0.1 and localhost), the server sending leaf
//! and intermediate. The root is made for each run, written as PEM for the bootstraps built
//! with `shared`'s `bench-root` feature, and trusted by nothing else.
//!
//! The proxy runs on a thread and a runtime of its own and lives as long as the harness; it
//! listens on 127.0.0.1 only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_RSA_SHA256,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The running proxy: its https endpoint and the root that signs its certificate.
#[derive(Debug, Clone)]
pub struct TlsProxy {
    pub endpoint: String,
    pub root_pem: PathBuf,
}

/// A bench-only certificate chain.
struct Chain {
    root_pem: String,
    /// Leaf first, then the intermediate, as a server sends them.
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn chain() -> Result<Chain> {
    let rsa = || KeyPair::generate_for(&PKCS_RSA_SHA256).context("generating an RSA key");
    let ca = |name: &str| -> Result<CertificateParams> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("partnernetz bench {name}"));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(params)
    };
    let root_key = rsa()?;
    let root_params = ca("root")?;
    let root = root_params.self_signed(&root_key)?;
    let root_issuer = Issuer::new(root_params, root_key);

    let intermediate_key = rsa()?;
    let intermediate_params = ca("intermediate")?;
    let intermediate = intermediate_params.signed_by(&intermediate_key, &root_issuer)?;
    let intermediate_issuer = Issuer::new(intermediate_params, intermediate_key);

    let leaf_key = rsa()?;
    let mut leaf_params = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf_params.signed_by(&leaf_key, &intermediate_issuer)?;
    Ok(Chain {
        root_pem: root.pem(),
        certs: vec![leaf.der().clone(), intermediate.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    })
}

/// aws-lc's provider with rustls's defaults: TLS 1.2 and 1.3, the post-quantum hybrid
/// preferred where the client offers it, session tickets for resumption.
fn acceptor(chain: Chain) -> Result<TlsAcceptor> {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain.certs, chain.key)
    .context("the bench certificate")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Starts the proxy in front of `upstream` (`http://127.0.0.1:8000`), writing the root
/// certificate into `dir`.
pub fn start(upstream: &str, dir: &Path) -> Result<TlsProxy> {
    let upstream = upstream_addr(upstream)?;
    let chain = chain()?;
    let root_pem = dir.join("bench-root.pem");
    std::fs::write(&root_pem, &chain.root_pem)
        .with_context(|| format!("writing {}", root_pem.display()))?;
    let acceptor = acceptor(chain)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding the proxy")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::Builder::new()
        .name("tls-proxy".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("harness: the TLS proxy has no runtime: {error}");
                    return;
                }
            };
            runtime.block_on(serve(listener, acceptor, upstream));
        })
        .context("starting the TLS proxy's thread")?;
    Ok(TlsProxy {
        endpoint: format!("https://{addr}"),
        root_pem,
    })
}

async fn serve(listener: std::net::TcpListener, acceptor: TlsAcceptor, upstream: SocketAddr) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("harness: the TLS proxy cannot listen: {error}");
            return;
        }
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            // A client that goes away mid-handshake (a stopped bootstrap) ends only its own
            // connection.
            let _ = forward(stream, &acceptor, upstream).await;
        });
    }
}

async fn forward(stream: TcpStream, acceptor: &TlsAcceptor, upstream: SocketAddr) -> Result<()> {
    stream.set_nodelay(true)?;
    let mut tls = acceptor.accept(stream).await?;
    let mut plain = TcpStream::connect(upstream).await?;
    plain.set_nodelay(true)?;
    tokio::io::copy_bidirectional(&mut tls, &mut plain).await?;
    Ok(())
}

/// `http://127.0.0.1:8000` as an address.
fn upstream_addr(endpoint: &str) -> Result<SocketAddr> {
    let authority = endpoint
        .strip_prefix("http://")
        .with_context(|| format!("the proxy forwards to plain http, not {endpoint}"))?
        .trim_end_matches('/');
    let authority = authority.replace("localhost", "127.0.0.1");
    authority
        .parse()
        .with_context(|| format!("not an address: {endpoint}"))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// What reaches the proxy over TLS reaches the upstream as it was, and back.
    #[test]
    fn the_proxy_forwards_both_ways() -> Result<()> {
        let upstream = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        let upstream_addr = upstream.local_addr()?;
        let echo = std::thread::spawn(move || -> std::io::Result<()> {
            let (mut conn, _) = upstream.accept()?;
            let mut buf = [0_u8; 5];
            conn.read_exact(&mut buf)?;
            conn.write_all(&buf.map(|b| b.to_ascii_uppercase()))
        });
        let dir = std::env::temp_dir().join(format!("tls-proxy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let proxy = start(&format!("http://{upstream_addr}"), &dir)?;

        let mut roots = rustls::RootCertStore::empty();
        {
            use rustls::pki_types::pem::PemObject;
            for cert in CertificateDer::pem_file_iter(&proxy.root_pem)? {
                roots.add(cert?)?;
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1")?;
        let mut client = rustls::ClientConnection::new(Arc::new(config), name)?;
        let addr = proxy.endpoint.trim_start_matches("https://");
        let mut socket = std::net::TcpStream::connect(addr)?;
        let mut tls = rustls::Stream::new(&mut client, &mut socket);
        tls.write_all(b"hello")?;
        let mut answer = [0_u8; 5];
        tls.read_exact(&mut answer)?;
        assert_eq!(&answer, b"HELLO");
        echo.join()
            .map_err(|_| anyhow::anyhow!("the upstream panicked"))??;
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn only_plain_http_upstreams_are_forwarded_to() {
        assert!(upstream_addr("http://localhost:8000").is_ok());
        assert!(upstream_addr("https://127.0.0.1:8000").is_err());
    }
}
