//! Lambda entry point: configuration, clients and the runtime; nothing else.

use lambda_http::Error;
use shared::env::{Env, EnvConfig};

// Lambda hands a sandbox one invocation at a time: one thread starts faster and keeps a
// single allocator arena, so the 19 MiB of a password hash is reused, not multiplied.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    // Registration is the identity service: it alone needs the signing key.
    let config = EnvConfig::from_env()?
        .require_signing_key()?
        .require_data_key()?;
    let sdk = shared::config::lambda_aws()?;
    let env = Env::from_aws(&config, &sdk)?;
    lambda_http::run(registration::build(&env)).await
}
