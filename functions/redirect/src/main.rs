//! Lambda entry point: configuration, the DynamoDB client and the runtime; nothing else.

use std::sync::Arc;

use lambda_http::Error;
use redirect::{ClickSecret, RedirectState};
use shared::clock::SystemClock;
use shared::config::required;
use shared::store::DynamoTable;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let table_name = required("TABLE_NAME")?;
    let secret = ClickSecret::new(required("CLICK_SECRET")?);
    let sdk = shared::config::aws().await;
    let table = DynamoTable::new(shared::config::dynamodb_client(&sdk), table_name);
    let state = RedirectState::new(Arc::new(table), Arc::new(SystemClock), secret);
    lambda_http::run(redirect::build(state)).await
}
