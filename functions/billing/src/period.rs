//! The billing period: one calendar month (Europe/Berlin civil dates), written `2026-12`.

use std::fmt;

use jiff::civil::{Date, date};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar month, the unit every run bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: Date,
}

impl Month {
    /// `None` for a month outside 2000–2099: no contract of the platform lies there.
    pub fn new(year: i16, month: i8) -> Option<Self> {
        if !(2000..=2099).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        Some(Self {
            first: date(year, month, 1),
        })
    }

    /// `2026-12`.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Self::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn of(day: Date) -> Self {
        Self {
            first: day.first_of_month(),
        }
    }

    pub fn first(self) -> Date {
        self.first
    }

    pub fn last(self) -> Date {
        self.first.last_of_month()
    }

    pub fn days(self) -> i64 {
        i64::from(self.first.days_in_month())
    }

    pub fn year(self) -> i16 {
        self.first.year()
    }

    pub fn month(self) -> i8 {
        self.first.month()
    }

    pub fn previous(self) -> Self {
        Self::of(self.first.yesterday().unwrap_or(self.first))
    }

    pub fn next(self) -> Self {
        Self::of(self.last().tomorrow().unwrap_or(self.first))
    }

    pub fn contains(self, day: Date) -> bool {
        self.first <= day && day <= self.last()
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).ok_or_else(|| serde::de::Error::custom("expected a month like 2026-12"))
    }
}

/// The German name of a month, for invoice texts.
pub fn german_month(month: Month) -> String {
    const NAMES: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    let name = NAMES[usize::try_from(month.month() - 1).unwrap_or(0)];
    format!("{name} {}", month.year())
}

pub use shared::clock::german_date;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_shows_a_month() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.first(), date(2026, 12, 1));
        assert_eq!(m.last(), date(2026, 12, 31));
        assert_eq!(m.previous().to_string(), "2026-11");
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(Month::parse("2028-02").unwrap().days(), 29);
        for bad in [
            "2026-13", "2026-1", "26-12", "2026-00", "abcd-ef", "1999-12",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(german_month(m), "Dezember 2026");
        assert_eq!(german_date(date(2026, 11, 16)), "16.11.2026");
    }
}
