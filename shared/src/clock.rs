//! The clock port: handlers ask the state's clock for the time, never the system, so tests
//! can set the date (billing, notice periods, token expiry, validity windows).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Contracts, fees and notice periods run on German civil dates.
pub const BUSINESS_TZ: &str = "Europe/Berlin";

/// What [`Clock::wait_until`] answers.
pub type Waiting<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// Done when this clock reaches `deadline`: the system's clock sleeps; a test's clock,
    /// which moves only when the test moves it, notes the deadline and is done at once.
    fn wait_until(&self, deadline: Timestamp) -> Waiting<'_>;

    /// Seconds since the epoch, for TTLs and token expiry.
    fn epoch(&self) -> i64 {
        self.now().as_second()
    }

    /// Today's civil date in Europe/Berlin.
    fn today(&self) -> Date {
        berlin_date(self.now())
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// A shared clock is the clock it shares (a test's `Arc<FixedClock>` passes as `&dyn Clock`).
impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }

    fn wait_until(&self, deadline: Timestamp) -> Waiting<'_> {
        (**self).wait_until(deadline)
    }
}

/// Europe/Berlin, read once from the tz database bundled into the binary (jiff's
/// `tzdb-bundle-always`). The system's database is never consulted: the first lookup there
/// walks all of `/usr/share/zoneinfo`, about 1.4 ms of the first request's CPU
/// (docs/performance.md, "First request with TLS"), and Lambda's image need not have it.
pub fn berlin() -> TimeZone {
    static BERLIN: LazyLock<TimeZone> = LazyLock::new(|| {
        jiff::tz::TimeZoneDatabase::bundled()
            .get(BUSINESS_TZ)
            .unwrap_or(TimeZone::UTC)
    });
    BERLIN.clone()
}

/// The civil date of an instant in Europe/Berlin.
pub fn berlin_date(at: Timestamp) -> Date {
    at.to_zoned(berlin()).date()
}

/// A civil date as Germans write it: `06.12.2026`.
pub fn german_date(day: Date) -> String {
    day.strftime("%d.%m.%Y").to_string()
}

/// The real time, for deployed functions and local runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn wait_until(&self, deadline: Timestamp) -> Waiting<'_> {
        let left = deadline.duration_since(Timestamp::now());
        Box::pin(async move {
            if let Ok(left) = std::time::Duration::try_from(left) {
                tokio::time::sleep(left).await;
            }
        })
    }
}

/// A clock that stands still until a test moves it.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<Timestamp>,
    /// Every deadline waited for, in order.
    waits: Mutex<Vec<Timestamp>>,
}

impl FixedClock {
    pub fn at(at: Timestamp) -> Self {
        Self {
            now: Mutex::new(at),
            waits: Mutex::new(Vec::new()),
        }
    }

    pub fn set(&self, at: Timestamp) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.saturating_add(by).unwrap_or(*now);
    }

    /// The deadlines code waited for on this clock, oldest first (and forgets them).
    pub fn take_waits(&self) -> Vec<Timestamp> {
        std::mem::take(&mut *self.waits.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait_until(&self, deadline: Timestamp) -> Waiting<'_> {
        self.waits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(deadline);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_date_turns_at_local_midnight() -> Result<(), jiff::Error> {
        // 23:30 UTC on 30 Nov is already 1 Dec in Berlin (UTC+1 in winter).
        let late: Timestamp = "2026-11-30T23:30:00Z".parse()?;
        assert_eq!(berlin_date(late), jiff::civil::date(2026, 12, 1));
        // 21:30 UTC in summer is 23:30 in Berlin (UTC+2): still the same day.
        let summer: Timestamp = "2026-07-14T21:30:00Z".parse()?;
        assert_eq!(berlin_date(summer), jiff::civil::date(2026, 7, 14));
        Ok(())
    }

    #[test]
    fn berlin_is_the_bundled_zone_with_its_daylight_saving_time() -> Result<(), jiff::Error> {
        assert_eq!(berlin().iana_name(), Some(BUSINESS_TZ));
        // Summer time starts on the last Sunday of March at 02:00 (01:00 UTC).
        let before: Timestamp = "2030-03-31T00:59:59Z".parse()?;
        let after: Timestamp = "2030-03-31T01:00:00Z".parse()?;
        assert_eq!(before.to_zoned(berlin()).offset().seconds(), 3600);
        assert_eq!(after.to_zoned(berlin()).offset().seconds(), 7200);
        Ok(())
    }

    #[test]
    fn fixed_clock_moves_only_when_told() -> Result<(), jiff::Error> {
        let clock = FixedClock::at("2026-11-16T09:00:00Z".parse()?);
        assert_eq!(clock.today(), jiff::civil::date(2026, 11, 16));
        clock.advance(SignedDuration::from_hours(24 * 15));
        assert_eq!(clock.today(), jiff::civil::date(2026, 12, 1));
        Ok(())
    }
}
