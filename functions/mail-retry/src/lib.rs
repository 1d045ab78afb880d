//! The mail-retry function (docs/architecture.md §9): every five minutes (EventBridge Scheduler,
//! Europe/Berlin) it sends the pending mails whose first attempt failed, or whose sender
//! died before sending. The same run is `cargo run -p local-api -- mail-retry` locally.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use shared::blobs::Blobs;
use shared::clock::{SharedClock, SystemClock};
use shared::config::{ConfigError, required};
use shared::mail::pending::{self, RetryLimits, RetrySummary};
use shared::mail::{SesMailer, SharedMailer};
use shared::store::{DynamoTable, SharedTable};

/// The function's configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    /// Where attachments (invoice PDFs) are read when their mail is sent again.
    pub bucket_name: String,
    pub sender_address: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            bucket_name: required("BUCKET_NAME")?,
            sender_address: required("SENDER_ADDRESS")?,
        })
    }
}

/// What a run needs, built once per cold start.
#[derive(Clone)]
pub struct RetryState {
    pub table: SharedTable,
    pub mailer: SharedMailer,
    pub clock: SharedClock,
}

impl RetryState {
    pub fn from_config(
        config: &Config,
        sdk: &shared::config::SdkConfig,
    ) -> Result<Self, shared::blobs::BlobError> {
        let clock: SharedClock = Arc::new(SystemClock);
        Ok(Self {
            table: Arc::new(DynamoTable::new(
                shared::config::dynamodb_client(sdk),
                &config.table_name,
                clock.clone(),
            )),
            mailer: Arc::new(
                SesMailer::from_sdk(sdk, &config.sender_address)
                    .with_attachments(Arc::new(Blobs::from_sdk(sdk, &config.bucket_name)?)),
            ),
            clock,
        })
    }
}

/// Time kept back at the end of an invocation: a mail taken on just before it can still
/// be sent (at most `SEND_TIMEOUT`) and marked, so the timeout never cuts between the two.
pub const RESERVE: Duration = Duration::from_secs(15);

/// One scheduled run: sends every due mail until the invocation's `time_left` (less
/// `RESERVE`) runs out. An error only when the table fails; the run then lands in the
/// schedule's failure queue, and the next run continues where this one stopped.
pub async fn handle(
    state: &RetryState,
    event: EventBridgeEvent,
    time_left: Duration,
) -> Result<RetrySummary, shared::Error> {
    tracing::info!(
        execution = event.id.as_deref().unwrap_or_default(),
        scheduled = %event.time.map(|t| t.to_rfc3339()).unwrap_or_default(),
        "mail retry run started"
    );
    let limits = RetryLimits {
        mails: usize::MAX,
        stop_by: Some(Instant::now() + time_left.saturating_sub(RESERVE)),
    };
    let summary = pending::retry_due_with(
        state.table.as_ref(),
        state.mailer.as_ref(),
        state.clock.as_ref(),
        limits,
        &mut |_| {},
    )
    .await?;
    Ok(summary)
}
