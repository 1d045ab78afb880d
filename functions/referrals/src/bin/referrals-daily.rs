//! Lambda entry point of the daily run (EventBridge Scheduler, Europe/Berlin): confirms the
//! rewards whose hold ended and releases those billed to their partner. Configuration, the table client and the runtime; nothing else.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use shared::clock::{Clock, SystemClock};
use shared::config::required;
use shared::store::DynamoTable;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let table_name = required("TABLE_NAME")?;
    let sdk = shared::config::lambda_aws()?;
    shared::config::open_dynamodb(&sdk).await;
    let table = Arc::new(DynamoTable::new(
        shared::config::dynamodb_client(&sdk),
        table_name,
        Arc::new(SystemClock),
    ));
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<EventBridgeEvent>| {
        let table = table.clone();
        async move {
            let clock = SystemClock;
            let summary =
                referrals::daily::run(table.as_ref(), clock.now(), clock.today(), &mut |_, _| {})
                    .await?;
            tracing::info!(?summary, "rewards confirmed and released");
            if summary.failed > 0 {
                return Err(Error::from(format!("{} rewards failed", summary.failed)));
            }
            Ok::<(), Error>(())
        }
    }))
    .await
}
