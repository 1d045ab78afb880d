//! Lambda entry point: configuration, clients and the runtime; nothing else.

use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = registration::Config::from_env()?;
    let sdk = shared::config::aws().await;
    let state = registration::AppState::new(registration::services_from_config(&config, &sdk)?);
    lambda_http::run(registration::router(state)).await
}
