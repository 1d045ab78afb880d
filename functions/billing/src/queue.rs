//! The queue port (docs/architecture.md §3, §4): the planner sends batches of partners, the worker
//! consumes them. SQS in AWS (and moto's in the end-to-end tests); locally an in-process
//! queue the runner drains itself.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shared::domain::PartnerId;

use shared::domain::Month;

/// One message of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// Page through the billable partners of the index and send their batches.
    Plan { period: Month },
    /// Bill these partners for the period.
    Bill {
        period: Month,
        partners: Vec<PartnerId>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("{0} messages were not accepted")]
    Rejected(usize),
}

impl From<QueueError> for shared::Error {
    fn from(e: QueueError) -> Self {
        shared::Error::Unavailable(Box::new(e))
    }
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, messages: Vec<Message>) -> Result<(), QueueError>;
}

pub type SharedQueue = Arc<dyn Queue>;

/// An in-process queue: local runs and router tests drain it with [`LocalQueue::pop`];
/// local-api's worker task waits for messages with [`LocalQueue::wait`].
#[derive(Debug, Default)]
pub struct LocalQueue {
    messages: Mutex<VecDeque<Message>>,
    arrived: tokio::sync::Notify,
}

impl LocalQueue {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn pop(&self) -> Option<Message> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }

    pub fn len(&self) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns once messages were sent since the last call (or at once if some are waiting).
    pub async fn wait(&self) {
        if self.is_empty() {
            self.arrived.notified().await;
        }
    }
}

#[async_trait]
impl Queue for LocalQueue {
    async fn send(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(messages);
        self.arrived.notify_one();
        Ok(())
    }
}

/// SQS, ten messages per `SendMessageBatch` call.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// The SQS client of the function's SDK configuration; `AWS_ENDPOINT_URL_SQS` points it at
/// an emulator.
pub fn sqs_client(sdk: &shared::config::SdkConfig) -> aws_sdk_sqs::Client {
    let mut conf = aws_sdk_sqs::config::Builder::from(sdk);
    if let Some(url) = shared::config::endpoint_override("SQS") {
        conf = conf.endpoint_url(url);
    }
    aws_sdk_sqs::Client::from_conf(conf.build())
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, messages: Vec<Message>) -> Result<(), QueueError> {
        use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
        for chunk in messages.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, message) in chunk.iter().enumerate() {
                let body = serde_json::to_string(message)
                    .map_err(|e| QueueError::Unavailable(Box::new(e)))?;
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| QueueError::Unavailable(Box::new(e)))?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError::Unavailable(Box::new(e.into_service_error())))?;
            if !out.failed.is_empty() {
                return Err(QueueError::Rejected(out.failed.len()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_back_as_written() {
        let m = Message::Bill {
            period: Month::parse("2026-12").unwrap(),
            partners: vec![PartnerId::from_raw("01a20995-f66b-7041-8db5-03382a668100")],
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"bill","period":"2026-12","partners":["01a20995-f66b-7041-8db5-03382a668100"]}"#
        );
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), m);
    }
}
