//! Lambda entry point: configuration, clients and the runtime; nothing else. One binary
//! serves the HTTP API's events and the daily schedule's EventBridge event.

use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Error, LambdaEvent, Service, service_fn};
use serde_json::Value;
use shared::env::{Env, EnvConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = EnvConfig::from_env()?.require_data_key()?;
    let sdk = shared::config::lambda_aws()?;
    shared::config::open_dynamodb(&sdk).await;
    let env = Env::from_aws(&config, &sdk)?;
    let router = cards::build(&env);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let env = env.clone();
        let router = router.clone();
        async move {
            if cards::daily::is_schedule(&event.payload) {
                let summary = cards::daily::handle(&env).await?;
                return Ok::<Value, Error>(serde_json::to_value(summary)?);
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
