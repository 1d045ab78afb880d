//! The emulator's share: the same DynamoDB calls a route makes, timed from a plain SDK
//! client in this process, without Lambda, axum or the function in between.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, ReturnValue};

use crate::scenario::TABLE_NAME;

/// The DynamoDB requests behind one route, shaped as `shared::store::DynamoTable` sends them.
#[derive(Debug, Clone)]
pub enum StorageCall {
    /// GetItem, strongly consistent.
    Get { pk: String, sk: String },
    /// UpdateItem (SET one attribute, item must exist, ALL_NEW), then GetItem.
    UpdateThenGet {
        pk: String,
        sk: String,
        attr: &'static str,
        value: String,
    },
}

/// A client for DynamoDB Local with the dummy credentials it accepts.
pub fn client(endpoint: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-central-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "bench"))
        .endpoint_url(endpoint)
        .http_client(shared::config::https_client())
        .build();
    Client::from_conf(config)
}

pub async fn time(client: &Client, call: &StorageCall) -> Result<Duration> {
    let started = Instant::now();
    match call {
        StorageCall::Get { pk, sk } => get(client, pk, sk).await?,
        StorageCall::UpdateThenGet {
            pk,
            sk,
            attr,
            value,
        } => {
            client
                .update_item()
                .table_name(TABLE_NAME)
                .set_key(Some(key(pk, sk)))
                .update_expression(format!("SET #{attr} = :v0"))
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names(format!("#{attr}"), *attr)
                .expression_attribute_names("#pk", "pk")
                .expression_attribute_values(":v0", AttributeValue::S(value.clone()))
                .return_values(ReturnValue::AllNew)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .context("UpdateItem on DynamoDB Local")?;
            get(client, pk, sk).await?;
        }
    }
    Ok(started.elapsed())
}

async fn get(client: &Client, pk: &str, sk: &str) -> Result<()> {
    let out = client
        .get_item()
        .table_name(TABLE_NAME)
        .set_key(Some(key(pk, sk)))
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .context("GetItem on DynamoDB Local")?;
    out.item.context("the seeded item is missing")?;
    Ok(())
}

fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
        ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}
