//! Percentiles of a set of timings (nearest rank: every reported figure is one that
//! was really measured).

use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub samples: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub min_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

impl Stats {
    /// `None` for no samples.
    pub fn of(mut samples: Vec<Duration>) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let total: Duration = samples.iter().sum();
        Some(Self {
            samples: samples.len(),
            p50_us: us(percentile(&samples, 50.0)),
            p90_us: us(percentile(&samples, 90.0)),
            p99_us: us(percentile(&samples, 99.0)),
            min_us: us(samples[0]),
            max_us: us(samples[samples.len() - 1]),
            mean_us: us(total) / samples.len() as f64,
        })
    }
}

/// Nearest-rank percentile of sorted, non-empty samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_measured_values() {
        let samples: Vec<_> = (1..=100).map(Duration::from_micros).collect();
        let stats = Stats::of(samples).expect("non-empty");
        assert_eq!(stats.p50_us, 50.0);
        assert_eq!(stats.p90_us, 90.0);
        assert_eq!(stats.p99_us, 99.0);
        assert_eq!(stats.max_us, 100.0);
    }

    #[test]
    fn one_sample_is_every_percentile() {
        let stats = Stats::of(vec![Duration::from_millis(3)]).expect("non-empty");
        assert_eq!((stats.p50_us, stats.p99_us), (3000.0, 3000.0));
    }

    #[test]
    fn no_samples_no_stats() {
        assert!(Stats::of(Vec::new()).is_none());
    }
}
