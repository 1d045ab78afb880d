//! A calendar month (Europe/Berlin civil dates), written `2026-12`: the unit billing runs,
//! placements are booked and referral rewards are summed in.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, date};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The months the platform knows: no contract lies outside them.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2099;

/// What a month that cannot be read is told as, at the field.
pub const MONTH_FORMAT: &str = "muss ein Monat im Format JJJJ-MM sein (z. B. 2026-12)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: Date,
}

impl Month {
    /// `None` for a month outside 2000–2099.
    pub fn new(year: i16, month: i8) -> Option<Self> {
        if !YEARS.contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        Some(Self {
            first: date(year, month, 1),
        })
    }

    /// `2026-12`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Self::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// The month of a civil date.
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

    /// Whole months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: Month) -> i32 {
        (i32::from(later.year()) - i32::from(self.year())) * 12 + i32::from(later.month())
            - i32::from(self.month())
    }

    /// `Dezember 2026`, as invoices and mails print it.
    pub fn german(self) -> String {
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
        let name = NAMES[usize::try_from(self.month() - 1).unwrap_or(0)];
        format!("{name} {}", self.year())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl FromStr for Month {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or(MONTH_FORMAT)
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
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^20[0-9]{2}-(0[1-9]|1[0-2])$"))
            .description(Some("A calendar month, JJJJ-MM."))
            .examples([serde_json::json!("2026-12")])
            .into()
    }
}
impl utoipa::ToSchema for Month {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shows_and_counts_months() {
        let m: Month = "2026-12".parse().unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.first(), date(2026, 12, 1));
        assert_eq!(m.last(), date(2026, 12, 31));
        assert_eq!(m.previous().to_string(), "2026-11");
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(Month::parse("2028-02").unwrap().days(), 29);
        assert_eq!(Month::parse("2028-02").unwrap().last(), date(2028, 2, 29));
        assert_eq!(m.months_until("2027-02".parse().unwrap()), 2);
        assert_eq!(Month::of(date(2026, 3, 31)).to_string(), "2026-03");
        assert!(m.contains(date(2026, 12, 31)) && !m.contains(date(2027, 1, 1)));
        assert_eq!(m.german(), "Dezember 2026");
        for bad in [
            "2026-13", "2026-1", "26-12", "2026-00", "abcd-ef", "1999-12", "2100-01", "2026/01",
            "x",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
            assert_eq!(bad.parse::<Month>(), Err(MONTH_FORMAT), "{bad}");
        }
    }

    #[test]
    fn a_month_travels_as_its_text() {
        let m = Month::new(2027, 1).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, "\"2027-01\"");
        assert_eq!(serde_json::from_str::<Month>(&json).unwrap(), m);
        assert!(serde_json::from_str::<Month>("\"2027-13\"").is_err());
    }
}
