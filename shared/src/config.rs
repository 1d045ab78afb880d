//! Configuration from the environment, read once at cold start; a missing variable fails
//! fast with its name.

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

pub fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn flag(name: &'static str) -> bool {
    optional(name).is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes"))
}

/// The AWS SDK configuration with the full provider chain (profiles, SSO, IMDS, STS): for
/// local-api run against a real account from a developer's machine.
/// `AWS_ENDPOINT_URL_<SERVICE>` points a client at an emulator.
pub async fn aws() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The AWS SDK configuration inside Lambda, which always hands a function its region and
/// its role's credentials as environment variables. Reading only those, instead of the
/// full chain of [`aws`], keeps the profile, SSO, IMDS and STS code out of the bootstrap
/// (about 0.5 MB). The defaults match what the full loader would set.
pub fn lambda_aws() -> Result<aws_config::SdkConfig, ConfigError> {
    use aws_config::environment::EnvironmentVariableCredentialsProvider;
    use aws_config::identity::IdentityCache;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    use aws_credential_types::provider::SharedCredentialsProvider;

    let region = required("AWS_REGION")?;
    let sleep = aws_smithy_async::rt::sleep::default_async_sleep().ok_or(ConfigError::Invalid {
        name: "AWS_REGION",
        reason: "no async runtime for the SDK's timers".into(),
    })?;
    Ok(aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .identity_cache(IdentityCache::lazy().build())
        .retry_config(RetryConfig::standard())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_millis(3100))
                .build(),
        )
        .sleep_impl(sleep)
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .http_client(https_client())
        .build())
}

/// Where a client of `service` (as in `AWS_ENDPOINT_URL_<SERVICE>`) should connect, when an
/// emulator stands in for AWS. [`aws`] reads these itself; [`lambda_aws`] leaves them to
/// the client builders.
pub fn endpoint_override(service: &'static str) -> Option<String> {
    match service {
        "DYNAMODB" => optional("AWS_ENDPOINT_URL_DYNAMODB"),
        "S3" => optional("AWS_ENDPOINT_URL_S3"),
        "SES" => optional("AWS_ENDPOINT_URL_SES"),
        "SQS" => optional("AWS_ENDPOINT_URL_SQS"),
        _ => None,
    }
    .or_else(|| optional("AWS_ENDPOINT_URL"))
}

/// The HTTP/1.1 client every SDK client must be given (the SDK crates are built without one
/// of their own): the configurations of [`aws`] and [`lambda_aws`] carry it, and clients
/// built from a bare `Config::builder()` need `.http_client(https_client())`.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    crate::http_client::sdk_http_client()
}

/// Amazon's root CAs (Amazon Root CA 1-4 and Starfield Services G2), which sign every AWS
/// endpoint. Trusting only these, instead of parsing the system's ~150 roots, saves about
/// 4 ms of CPU per cold start: half of a 128 MB function's 7.2 ms CPU share per 100 ms.
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-roots.pem");

/// The roots as rustls reads them, for [`crate::http_client`].
pub(crate) fn amazon_roots() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(AMAZON_ROOTS)
        .filter_map(Result::ok)
        .collect()
}

pub use aws_config::SdkConfig;

pub fn dynamodb_client(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let mut conf = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(url) = endpoint_override("DYNAMODB") {
        conf = conf.endpoint_url(url);
    }
    aws_sdk_dynamodb::Client::from_conf(conf.build())
}

/// Opens the connection to DynamoDB during init (TCP and the TLS handshake, on the process's
/// shared pool), so the first request of a new sandbox does not pay for it. At 128 MB the
/// handshake costs the first request one or more of the CPU quota's 100 ms periods; during
/// init it costs less (docs/performance.md, "First request with TLS"). A failure is only
/// logged: the first request then connects itself, as it would have anyway.
pub async fn open_dynamodb(sdk: &SdkConfig) {
    open_dynamodb_connections(sdk, 1).await;
}

/// As [`open_dynamodb`], `count` connections side by side: for a function whose first
/// request sends that many DynamoDB requests at once (HTTP/1.1 sends one request per
/// connection at a time, so each would otherwise open a connection of its own).
pub async fn open_dynamodb_connections(sdk: &SdkConfig, count: usize) {
    #[cfg(feature = "bench-root")]
    if flag("PARTNERNETZ_BENCH_LAZY_CONNECT") {
        return;
    }
    let endpoint = endpoint_override("DYNAMODB").or_else(|| {
        sdk.region()
            .map(|region| format!("https://dynamodb.{region}.amazonaws.com"))
    });
    let Some(endpoint) = endpoint else {
        return;
    };
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..count {
        let endpoint = endpoint.clone();
        opening.spawn(async move { crate::http_client::open_connection(&endpoint).await });
    }
    while let Some(opened) = opening.join_next().await {
        let error = match opened {
            Ok(Ok(())) => continue,
            Ok(Err(error)) => error.to_string(),
            Err(panicked) => panicked.to_string(),
        };
        tracing::warn!(%endpoint, %error, "could not open a DynamoDB connection at init");
    }
}

#[cfg(feature = "ses")]
pub fn ses_client(sdk: &SdkConfig) -> aws_sdk_ses::Client {
    let mut conf = aws_sdk_ses::config::Builder::from(sdk);
    if let Some(url) = endpoint_override("SES") {
        conf = conf.endpoint_url(url);
    }
    aws_sdk_ses::Client::from_conf(conf.build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn all_five_amazon_roots_are_bundled() {
        let pem = String::from_utf8_lossy(super::AMAZON_ROOTS);
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 5);
    }

    #[test]
    fn the_http_client_trusts_all_five_roots() {
        let mut roots = rustls::RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(super::amazon_roots());
        assert_eq!((added, ignored), (5, 0));
    }
}
