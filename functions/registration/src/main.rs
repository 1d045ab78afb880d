//! Lambda entry point: configuration, clients and the runtime; nothing else.

use lambda_http::Error;

// Lambda hands a sandbox one invocation at a time: one thread starts faster and keeps a
// single allocator arena, so the 19 MiB of a password hash is reused, not multiplied.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = registration::Config::from_env()?;
    let sdk = shared::config::aws().await;
    let state = registration::AppState::new(registration::services_from_config(&config, &sdk)?);
    lambda_http::run(registration::router(state)).await
}
