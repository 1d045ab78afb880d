//! Lambda entry point: configuration, clients and the runtime; nothing else.

use std::sync::Arc;
use std::time::SystemTime;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

// One invocation at a time per sandbox: one thread starts faster.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = mail_retry::Config::from_env()?;
    let sdk = shared::config::lambda_aws()?;
    shared::config::open_dynamodb(&sdk).await;
    let state = Arc::new(mail_retry::RetryState::from_config(&config, &sdk)?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<EventBridgeEvent>| {
        let state = state.clone();
        async move {
            // The invocation's own deadline, not business time: how long this run may take.
            let time_left = event
                .context
                .deadline()
                .duration_since(SystemTime::now())
                .unwrap_or_default();
            mail_retry::handle(&state, event.payload, time_left)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
