//! Notice period for platform subscriptions: one calendar month to the end of a month.

use jiff::civil::Date;

/// The last day of the subscription when cancelled on `cancelled_on` (a civil date in
/// Europe/Berlin): the end of the month after the month of cancellation.
pub fn subscription_end(cancelled_on: Date) -> Date {
    let first_of_month = cancelled_on.first_of_month();
    // Adding a month to the first of a month always lands on the first of the next.
    let next_month = first_of_month
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first_of_month);
    next_month.last_of_month()
}

#[cfg(test)]
mod tests {
    use super::subscription_end;
    use jiff::civil::date;

    #[test]
    fn any_day_in_april_ends_on_the_31st_of_may() {
        for day in [1, 15, 30] {
            assert_eq!(subscription_end(date(2026, 4, day)), date(2026, 5, 31));
        }
    }

    #[test]
    fn january_ends_with_february_in_leap_and_common_years() {
        assert_eq!(subscription_end(date(2028, 1, 31)), date(2028, 2, 29));
        assert_eq!(subscription_end(date(2027, 1, 1)), date(2027, 2, 28));
    }

    #[test]
    fn december_ends_at_the_end_of_january() {
        assert_eq!(subscription_end(date(2026, 12, 31)), date(2027, 1, 31));
    }
}
