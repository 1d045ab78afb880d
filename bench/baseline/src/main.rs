//! The bench's reference point: the smallest `lambda_runtime` function there is. It echoes
//! its event, so every figure a real function adds on top of it is that function's own cost.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(echo)).await
}

async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}
