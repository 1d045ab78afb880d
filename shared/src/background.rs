//! Work a request starts and does not wait for: the answer leaves first, so its timing
//! cannot tell what the work found (a password reset or a sign-up for a known address
//! answers as fast as for an unknown one, docs/architecture.md §6).
//!
//! In Lambda, work still running when the answer has gone out goes on while the sandbox
//! is kept warm for the next request; what it writes is an outbox mail at the latest, so
//! a mail it saved goes out through `mail-retry` even if the sandbox ends. Work lost before
//! it wrote anything means no mail: the person asks again.

use std::future::Future;
use std::sync::Mutex;

use tokio::task::JoinHandle;

/// The tasks started and not yet seen finished, for [`settle`].
static RUNNING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Starts `work` after the answer: its failure is logged with `what`, never answered.
pub fn after_response<F>(what: &'static str, work: F)
where
    F: Future<Output = crate::Result<()>> + Send + 'static,
{
    let task = tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, work = what, "work after the answer failed");
        }
    });
    if let Ok(mut running) = RUNNING.lock() {
        running.retain(|t| !t.is_finished());
        running.push(task);
    }
}

/// Waits until every task started so far has finished (tests, and local runs that want
/// the mail in the outbox before they go on).
pub async fn settle() {
    loop {
        let tasks: Vec<_> = match RUNNING.lock() {
            Ok(mut running) => running.drain(..).collect(),
            Err(_) => return,
        };
        if tasks.is_empty() {
            return;
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}
