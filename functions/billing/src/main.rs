//! Lambda entry point of the billing API: configuration, clients and the runtime; nothing else.

use std::sync::Arc;

use billing::{Billing, BillingConfig, SqsQueue};
use lambda_http::Error;
use shared::config::required;
use shared::env::{Env, EnvConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = EnvConfig::from_env()?.require_data_key()?;
    let billing_config = BillingConfig::from_env()?;
    let queue_url = required("BILLING_QUEUE_URL")?;
    let sdk = shared::config::lambda_aws()?;
    shared::config::open_dynamodb(&sdk).await;
    let env = Env::from_aws(&config, &sdk)?;
    let queue = Arc::new(SqsQueue::new(billing::sqs_client(&sdk), queue_url));
    let billing = Arc::new(Billing::new(&env, queue, billing_config));
    lambda_http::run(billing::build_with(billing)).await
}
