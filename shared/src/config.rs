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

/// The AWS SDK configuration: region and credentials from the environment (the Lambda
/// role in AWS). `AWS_ENDPOINT_URL_<SERVICE>` points a client at an emulator.
pub async fn aws() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// An S3 client; path-style addressing when `S3_FORCE_PATH_STYLE` is set (emulators).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(flag("S3_FORCE_PATH_STYLE"))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub use aws_config::SdkConfig;

pub fn dynamodb_client(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(sdk)
}

pub fn ses_client(sdk: &SdkConfig) -> aws_sdk_ses::Client {
    aws_sdk_ses::Client::new(sdk)
}
