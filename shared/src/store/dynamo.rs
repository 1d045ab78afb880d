//! `DynamoTable`: the Table port on DynamoDB (aws-sdk-dynamodb, items via serde_dynamo).
//!
//! Writes that meet a concurrent transaction (`TransactionConflict`) are tried again with
//! jittered exponential backoff ([`Backoff::CONFLICTS`]) and only then answer `Conflict`.
//! Expiry is judged from the adapter's clock (see [`super::ttl`]): readers drop expired items,
//! and every condition sees an expired item as absent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, ConditionCheck,
    ConsumedCapacity, Delete, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, ReturnConsumedCapacity, ReturnValue, ScalarAttributeType,
    TransactWriteItem, Update as DdbUpdate,
};
use serde_json::Value;

use super::expr::{self, Expr, Rendered};
use super::{
    Backoff, Cond, Consistency, GSI1PK, GSI1SK, Index, Item, Key, Named, PK, Query, SK, SkCond,
    StoreError, Stored, StoredPage, TTL, Table, TxLimit, TxOp, Update, cursor, ttl,
};
use crate::clock::SharedClock;

type AttrMap = HashMap<String, AttributeValue>;

pub struct DynamoTable {
    client: Client,
    table: String,
    /// Decides which items have expired.
    clock: SharedClock,
    /// How writes that lost to a concurrent transaction are tried again.
    backoff: Backoff,
    /// Capacity units consumed by this adapter, in thousandths, for tests and benchmarks.
    consumed_milli: AtomicU64,
    /// The write units among them (puts, updates, deletes, transactions), in thousandths.
    written_milli: AtomicU64,
}

impl DynamoTable {
    /// The table named `table`, judging expiry (see [`super::ttl`]) by `clock`: the clock of
    /// the environment it serves, so an item expires when its readers' time says so.
    pub fn new(client: Client, table: impl Into<String>, clock: SharedClock) -> Self {
        Self {
            client,
            table: table.into(),
            clock,
            backoff: Backoff::CONFLICTS,
            consumed_milli: AtomicU64::new(0),
            written_milli: AtomicU64::new(0),
        }
    }

    /// Replaces [`Backoff::CONFLICTS`] for writes that meet a concurrent transaction.
    pub fn with_conflict_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Capacity units consumed so far (read and write together).
    pub fn consumed_capacity(&self) -> f64 {
        self.consumed_milli.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// The table's name, for tests that look at every item.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Write units consumed so far; [`DynamoTable::consumed_capacity`] less this is reads.
    pub fn consumed_write_capacity(&self) -> f64 {
        self.written_milli.load(Ordering::Relaxed) as f64 / 1000.0
    }

    fn record(&self, op: &'static str, cap: Option<&ConsumedCapacity>) {
        if let Some(units) = cap.and_then(ConsumedCapacity::capacity_units) {
            self.consumed_milli
                .fetch_add((units * 1000.0) as u64, Ordering::Relaxed);
            if !matches!(op, "get" | "query") {
                self.written_milli
                    .fetch_add((units * 1000.0) as u64, Ordering::Relaxed);
            }
            tracing::debug!(op, capacity_units = units, "dynamodb");
        }
    }

    /// Runs `attempt` until it does not lose to a concurrent writer, or the tries run out.
    async fn retrying<T, F, Fut>(&self, op: &'static str, mut attempt: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut tried = 0;
        loop {
            match attempt().await {
                Err(StoreError::Conflict) if self.backoff.retries_after(tried) => {
                    tracing::debug!(op, attempt = tried, "write met a concurrent transaction");
                    self.backoff.wait(tried).await;
                    tried += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Creates the table as `infra/template.yaml` declares it; for emulators and tests.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(StoreError::unavailable)
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(StoreError::unavailable)
        };
        let gsi = GlobalSecondaryIndex::builder()
            .index_name("gsi1")
            .key_schema(key(GSI1PK, KeyType::Hash)?)
            .key_schema(key(GSI1SK, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(StoreError::unavailable)?;
        let result = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr(PK)?)
            .attribute_definitions(attr(SK)?)
            .attribute_definitions(attr(GSI1PK)?)
            .attribute_definitions(attr(GSI1SK)?)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .global_secondary_indexes(gsi)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceInUseException") => Ok(()),
            Err(e) => Err(StoreError::unavailable(e.into_service_error())),
        }
    }
}

/// The expression values as DynamoDB's attribute values; `None` when there are none (DynamoDB
/// refuses an empty map).
fn attr_values(expr: &Expr) -> Result<Option<AttrMap>, StoreError> {
    if expr.values().is_empty() {
        return Ok(None);
    }
    expr.values()
        .iter()
        .map(|(placeholder, v)| {
            let av = serde_dynamo::to_attribute_value(v).map_err(StoreError::unavailable)?;
            Ok((placeholder.clone(), av))
        })
        .collect::<Result<AttrMap, StoreError>>()
        .map(Some)
}

fn key_map(key: &Key) -> AttrMap {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(key.pk.clone())),
        (SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

fn to_attrs(item: Item) -> Result<AttrMap, StoreError> {
    serde_dynamo::to_item(item).map_err(StoreError::unavailable)
}

/// [`ttl::is_expired`] on DynamoDB's own form of the item.
fn attrs_expired(attrs: &AttrMap, now: i64) -> bool {
    match attrs.get(TTL) {
        Some(AttributeValue::N(n)) => n.parse::<f64>().is_ok_and(|ttl| ttl <= now as f64),
        _ => false,
    }
}

fn from_attrs(attrs: AttrMap) -> Result<Item, StoreError> {
    serde_dynamo::from_item(attrs).map_err(StoreError::unavailable)
}

/// Maps an SDK failure to the port's errors by its service error code.
fn map_err<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: std::error::Error + Send + Sync + 'static,
{
    match e.code() {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
        // A single write on an item a transaction is changing.
        Some("TransactionConflictException") => StoreError::Conflict,
        Some(
            "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "ThrottlingException",
        ) => StoreError::Throttled,
        _ => StoreError::unavailable(e),
    }
}

/// Which of its transaction limits DynamoDB names in a `ValidationException`'s message, if
/// any (the limits have no error code of their own).
fn refused(message: Option<&str>) -> Option<TxLimit> {
    let message = message?.to_ascii_lowercase();
    // DynamoDB names the member (`transactItems`), DynamoDB Local only the constraint.
    if message.contains("member must have length less than or equal to 100") {
        Some(TxLimit::TooManyOps)
    } else if message.contains("multiple operations on one item") {
        Some(TxLimit::SameItemTwice)
    } else if message.contains("4mb") || message.contains("4 mb") {
        Some(TxLimit::TooLarge)
    } else {
        None
    }
}

/// Why DynamoDB cancelled a transaction: a failed condition is a verdict and names its
/// operation; a concurrent transaction (`TransactionConflict`) is only a lost race.
fn cancelled(reasons: &[CancellationReason], names: &[&'static str]) -> StoreError {
    if let Some(failed) = reasons
        .iter()
        .position(|r| r.code() == Some("ConditionalCheckFailed"))
        .and_then(|i| names.get(i))
    {
        return StoreError::TxCancelled { failed };
    }
    if reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
    {
        return StoreError::Conflict;
    }
    if reasons.iter().any(|r| {
        matches!(
            r.code(),
            Some("ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded")
        )
    }) {
        return StoreError::Throttled;
    }
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r.code().unwrap_or_default())
        .collect();
    StoreError::unavailable(std::io::Error::other(format!(
        "transaction cancelled: {codes:?}"
    )))
}

#[async_trait]
impl Table for DynamoTable {
    async fn get_with(
        &self,
        key: &Key,
        consistency: Consistency,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(consistency == Consistency::Strong)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_err)?;
        self.record("get", out.consumed_capacity());
        let item = out.item.map(from_attrs).transpose()?;
        Ok(ttl::visible(item, self.clock.epoch()))
    }

    async fn put(&self, item: Item, cond: Cond) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let condition = &expr.condition(&cond, self.clock.epoch());
        let (item, names, values) = (&to_attrs(item)?, &expr.names(), &attr_values(&expr)?);
        self.retrying("put", || async move {
            let out = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .set_condition_expression(condition.clone())
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(map_err)?;
            self.record("put", out.consumed_capacity());
            Ok(())
        })
        .await
    }

    async fn update(&self, key: &Key, ops: &[Update], cond: Cond) -> Result<Item, StoreError> {
        let mut expr = Expr::default();
        let update = &expr.update(ops);
        let condition = &expr.condition(&cond, self.clock.epoch());
        let (names, values) = (&expr.names(), &attr_values(&expr)?);
        self.retrying("update", || async move {
            let out = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_map(key)))
                .update_expression(update.clone())
                .set_condition_expression(condition.clone())
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .return_values(ReturnValue::AllNew)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(map_err)?;
            self.record("update", out.consumed_capacity());
            from_attrs(out.attributes.unwrap_or_default())
        })
        .await
    }

    async fn delete(&self, key: &Key, cond: Cond) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let condition = &expr.condition(&cond, self.clock.epoch());
        let (names, values) = (&expr.names(), &attr_values(&expr)?);
        self.retrying("delete", || async move {
            let out = self
                .client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_map(key)))
                .set_condition_expression(condition.clone())
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(map_err)?;
            self.record("delete", out.consumed_capacity());
            Ok(())
        })
        .await
    }

    async fn query_stored(&self, q: Query) -> Result<StoredPage, StoreError> {
        let (pk_attr, sk_attr) = q.index.key_attrs();
        let mut expr = Expr::default();
        let mut key_cond = format!(
            "{} = {}",
            expr.name(pk_attr),
            expr.value(&Value::String(q.pk.clone()))
        );
        let sk_part = match &q.sk {
            SkCond::Any => None,
            SkCond::Eq(v) => Some(format!(
                "{} = {}",
                expr.name(sk_attr),
                expr.value(&Value::String(v.clone()))
            )),
            SkCond::BeginsWith(p) => Some(format!(
                "begins_with({}, {})",
                expr.name(sk_attr),
                expr.value(&Value::String(p.clone()))
            )),
            SkCond::Between(a, b) => Some(format!(
                "{} BETWEEN {} AND {}",
                expr.name(sk_attr),
                expr.value(&Value::String(a.clone())),
                expr.value(&Value::String(b.clone()))
            )),
        };
        if let Some(p) = sk_part {
            key_cond.push_str(" AND ");
            key_cond.push_str(&p);
        }
        let start = match &q.cursor {
            Some(c) => Some(to_attrs(cursor::decode(&q, c)?)?),
            None => None,
        };
        let now = self.clock.epoch();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(match q.index {
                Index::Primary => None,
                Index::Gsi1 => Some("gsi1".to_string()),
            })
            .key_condition_expression(key_cond)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(attr_values(&expr)?)
            .set_limit(q.limit.map(|l| l.max(1) as i32))
            .set_exclusive_start_key(start)
            .scan_index_forward(q.forward)
            // A GSI cannot be read consistently; DynamoDB rejects the request if asked.
            .consistent_read(q.index == Index::Primary && q.consistency == Consistency::Strong)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(map_err)?;
        self.record("query", out.consumed_capacity());
        let cursor = match out.last_evaluated_key {
            Some(k) if !k.is_empty() => Some(cursor::encode(&q, &from_attrs(k)?)?),
            _ => None,
        };
        // Filtered here rather than by a filter expression, so both adapters share one rule.
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .filter(|attrs| !attrs_expired(attrs, now))
            .map(Stored::attrs)
            .collect();
        Ok(StoredPage { items, cursor })
    }

    async fn transact(&self, ops: Vec<Named>) -> Result<(), StoreError> {
        let names: Vec<&'static str> = ops.iter().map(|n| n.name).collect();
        let now = self.clock.epoch();
        let mut items = Vec::with_capacity(ops.len());
        for Named { op, .. } in ops {
            items.push(self.tx_item(op, now)?);
        }
        let (items, names) = (&items, &names);
        self.retrying("transact", || async move {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            match result {
                Ok(out) => {
                    for cap in out.consumed_capacity() {
                        self.record("transact", Some(cap));
                    }
                    Ok(())
                }
                Err(e) => match e.into_service_error() {
                    TransactWriteItemsError::TransactionCanceledException(c) => {
                        Err(cancelled(c.cancellation_reasons(), names))
                    }
                    other => match other.code() {
                        Some(
                            "ProvisionedThroughputExceededException"
                            | "RequestLimitExceeded"
                            | "ThrottlingException",
                        ) => Err(StoreError::Throttled),
                        Some("ValidationException") => match refused(other.message()) {
                            Some(limit) => Err(StoreError::TxRefused(limit)),
                            None => Err(StoreError::unavailable(other)),
                        },
                        _ => Err(StoreError::unavailable(other)),
                    },
                },
            }
        })
        .await
    }
}

impl DynamoTable {
    fn tx_item(&self, op: TxOp, now: i64) -> Result<TransactWriteItem, StoreError> {
        let Rendered {
            condition,
            update,
            expr,
        } = expr::render(&op, now);
        let (names, values) = (expr.names(), attr_values(&expr)?);
        let item = match op {
            TxOp::Put { item, .. } => TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(to_attrs(item)?))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(StoreError::unavailable)?,
            ),
            TxOp::Update { key, .. } => TransactWriteItem::builder().update(
                DdbUpdate::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .set_update_expression(update)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(StoreError::unavailable)?,
            ),
            TxOp::Delete { key, .. } => TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(StoreError::unavailable)?,
            ),
            TxOp::Check { key, .. } => TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(StoreError::unavailable)?,
            ),
        };
        Ok(item.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(codes: &[&str]) -> Vec<CancellationReason> {
        codes
            .iter()
            .map(|c| CancellationReason::builder().code(*c).build())
            .collect()
    }

    /// The messages DynamoDB (Local) answers a transaction over its limits with.
    #[test]
    fn refusals_are_told_by_their_message() {
        let too_many = "1 validation error detected: Value '[...]' at 'transactItems' failed to \
            satisfy constraint: Member must have length less than or equal to 100";
        assert_eq!(refused(Some(too_many)), Some(TxLimit::TooManyOps));
        let local = "Member must have length less than or equal to 100";
        assert_eq!(refused(Some(local)), Some(TxLimit::TooManyOps));
        let twice = "Transaction request cannot include multiple operations on one item";
        assert_eq!(refused(Some(twice)), Some(TxLimit::SameItemTwice));
        let large = "Transaction payload size cannot exceed 4MB. Payload Size: 4194305";
        assert_eq!(refused(Some(large)), Some(TxLimit::TooLarge));
        assert_eq!(
            refused(Some("Item size has exceeded the maximum allowed size")),
            None
        );
        assert_eq!(refused(None), None);
    }

    #[test]
    fn only_a_failed_condition_is_a_verdict() {
        let names = ["key", "balance", "entry"];
        let verdict = cancelled(
            &reasons(&["TransactionConflict", "ConditionalCheckFailed", "None"]),
            &names,
        );
        assert!(matches!(
            verdict,
            StoreError::TxCancelled { failed: "balance" }
        ));
        let race = cancelled(&reasons(&["None", "TransactionConflict", "None"]), &names);
        assert!(matches!(race, StoreError::Conflict), "{race:?}");
        let throttled = cancelled(&reasons(&["ThrottlingError", "None", "None"]), &names);
        assert!(matches!(throttled, StoreError::Throttled));
        let bug = cancelled(&reasons(&["ValidationError", "None", "None"]), &names);
        assert!(
            matches!(bug, StoreError::Unavailable(_)),
            "a malformed transaction is no race: {bug:?}"
        );
    }
}
