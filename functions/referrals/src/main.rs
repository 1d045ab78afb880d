//! Lambda entry point: configuration, clients and the runtime; nothing else.

use lambda_http::Error;
use shared::env::{Env, EnvConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = EnvConfig::from_env()?.require_data_key()?;
    let sdk = shared::config::lambda_aws()?;
    shared::config::open_dynamodb(&sdk).await;
    let env = Env::from_aws(&config, &sdk)?;
    lambda_http::run(referrals::build(&env)).await
}
