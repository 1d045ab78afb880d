//! Lambda entry point: configuration, the DynamoDB client and the runtime; nothing else.

use std::sync::Arc;

use lambda_http::Error;
use redirect::{ClickSecret, RedirectState};
use shared::clock::{SharedClock, SystemClock};
use shared::config::{optional, required};
use shared::store::DynamoTable;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let table_name = required("TABLE_NAME")?;
    let secret = ClickSecret::new(required("CLICK_SECRET")?);
    let sdk = shared::config::lambda_aws()?;
    // The first click finds the crawler filter read and the DynamoDB connection open. The
    // filter is read on this thread: 0.7 ms of CPU, less than a thread of its own would cost.
    redirect::bots::prepare();
    shared::config::open_dynamodb(&sdk).await;
    let clock: SharedClock = Arc::new(SystemClock);
    let table = DynamoTable::new(
        shared::config::dynamodb_client(&sdk),
        table_name,
        clock.clone(),
    );
    let keep_links = match optional("LINK_CACHE_SECS") {
        Some(secs) => secs
            .parse()
            .map_err(|e| format!("LINK_CACHE_SECS must be whole seconds: {e}"))?,
        None => redirect::links::DEFAULT_KEEP_SECS,
    };
    let state = RedirectState::keeping_links_for(Arc::new(table), clock, secret, keep_links);
    lambda_http::run(redirect::build(state)).await
}
