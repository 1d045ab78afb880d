//! Answers that take the same time whatever they found: a password reset, a new
//! confirmation link or an end user's sign-up for a known address must not answer later
//! than for an unknown one, or its timing would tell who has an account
//! (docs/architecture.md §6).
//!
//! The work runs inside the request, so nothing is left running when the answer has gone
//! out (a Lambda sandbox is frozen then, and may never thaw), and the answer waits until
//! [`STEADY`] after the request began. The work (a lookup, a transaction, a mail handed to
//! SES) takes a fraction of that; should it ever take longer, the answer follows it.

use std::future::Future;

use jiff::SignedDuration;

use crate::clock::Clock;

/// How long such an answer takes.
pub const STEADY: SignedDuration = SignedDuration::from_secs(1);

/// Runs `work`, then waits on `clock` until [`STEADY`] after the start; the work's
/// outcome is the answer's (a storage failure is a 503 for known and unknown addresses
/// alike, since both look something up).
pub async fn in_steady_time<T>(
    clock: &dyn Clock,
    work: impl Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    let deadline = clock.now().saturating_add(STEADY).unwrap_or(clock.now());
    let outcome = work.await;
    clock.wait_until(deadline).await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[tokio::test]
    async fn the_answer_waits_until_the_steady_time_after_the_start() {
        let start = jiff::Timestamp::from_second(1_796_000_000).unwrap_or_default();
        let clock = FixedClock::at(start);
        let answer = in_steady_time(&clock, async {
            clock.advance(SignedDuration::from_millis(200));
            Ok(7)
        })
        .await;
        assert_eq!(answer.ok(), Some(7));
        assert_eq!(clock.take_waits(), vec![start + STEADY]);
    }
}
