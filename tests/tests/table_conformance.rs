//! The Table conformance suite on DynamoDB Local.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::test]
#[ignore = "needs emulators: cargo xtask test"]
async fn dynamo_table_passes_the_conformance_suite_on_dynamodb_local() {
    let table = tests::fresh_table().await;
    shared::store::conformance::run_all(table.as_ref()).await;
    assert!(
        table.consumed_capacity() > 0.0,
        "DynamoDB reports consumed capacity"
    );
}
