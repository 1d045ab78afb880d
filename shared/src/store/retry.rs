//! Bounded, jittered exponential backoff for writes that lost to a concurrent writer.

use std::time::Duration;

use rand::Rng;

/// How often, and how patiently, a write that lost a race is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// The longest wait after the first failure; it doubles per failure up to `cap`.
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// For a transaction or single write that met a concurrent transaction: 8 tries, about
    /// 250 ms of waiting on average and never more than 500 ms, then `StoreError::Conflict`.
    pub const CONFLICTS: Self = Self {
        attempts: 8,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(160),
    };

    /// Tries once: a lost race is reported at once.
    pub const NONE: Self = Self {
        attempts: 1,
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };

    /// Whether another try follows failed try number `attempt` (0-based).
    pub fn retries_after(&self, attempt: u32) -> bool {
        attempt.saturating_add(1) < self.attempts
    }

    /// The wait after failed try number `attempt` (0-based): "full jitter", uniformly random
    /// up to the exponential bound, so racing writers spread out instead of colliding again.
    pub fn delay(&self, attempt: u32) -> Duration {
        let bound = self
            .base
            .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.cap);
        let micros = u64::try_from(bound.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rand::rng().random_range(0..=micros))
    }

    pub(crate) async fn wait(&self, attempt: u32) {
        let delay = self.delay(attempt);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::CONFLICTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_up_to_the_cap_and_tries_are_bounded() {
        let b = Backoff::CONFLICTS;
        for attempt in 0..40 {
            let bound = (b.base * 2u32.saturating_pow(attempt.min(20))).min(b.cap);
            assert!(b.delay(attempt) <= bound, "attempt {attempt}");
        }
        assert!(b.retries_after(6));
        assert!(!b.retries_after(7), "8 tries in all");
        assert!(!Backoff::NONE.retries_after(0));
    }
}
