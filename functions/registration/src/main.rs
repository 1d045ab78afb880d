//! Lambda entry point: configuration, clients and the runtime; nothing else. One binary
//! serves the HTTP API's events, the bucket's `Object Created` events of logo uploads and
//! the daily schedule of the managers' digest.

use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Error, LambdaEvent, Service, service_fn};
use serde_json::Value;
use shared::env::{AppState, Env, EnvConfig};

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
    shared::config::open_dynamodb(&sdk).await;
    let env = Env::from_aws(&config, &sdk)?;
    let state = AppState::new(&env);
    let router = registration::build(&env);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = state.clone();
        let router = router.clone();
        async move {
            if registration::digest::is_schedule(&event.payload) {
                let summary = registration::digest::handle(&state).await?;
                return Ok::<Value, Error>(serde_json::to_value(summary)?);
            }
            if let Some(key) = registration::logo::object_created(&event.payload) {
                let adoption = registration::logo::adopt(&state, &key).await?;
                return Ok::<Value, Error>(Value::String(format!("{adoption:?}")));
            }
            let request: LambdaRequest = serde_json::from_value(event.payload)?;
            let mut adapter = Adapter::from(router);
            let response = adapter
                .call(LambdaEvent::new(request, event.context))
                .await?;
            Ok(serde_json::to_value(response)?)
        }
    }))
    .await
}
