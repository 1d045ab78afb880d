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
    // The crawler filter is built on a thread of its own while the DynamoDB connection's
    // handshake waits on the network, so the first click finds both ready.
    let filter = tokio::task::spawn_blocking(redirect::bots::prepare);
    shared::config::open_dynamodb(&sdk).await;
    if filter.await.is_err() {
        tracing::warn!("the crawler filter was not built at init; the first click builds it");
    }
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
