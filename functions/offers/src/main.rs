//! Lambda entry point: configuration, clients and the runtime; nothing else.

use lambda_http::Error;
use shared::env::{Env, EnvConfig};

// Lambda hands a sandbox one invocation at a time: one thread starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = EnvConfig::from_env()?;
    let sdk = shared::config::lambda_aws()?;
    shared::config::open_dynamodb(&sdk).await;
    let env = Env::from_aws(&config, &sdk)?;
    lambda_http::run(offers::build(&env)).await
}
