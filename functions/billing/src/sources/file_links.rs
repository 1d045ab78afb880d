//! The digital customer account (docs/architecture.md §1, seed 003): the tier's monthly price × 12,
//! yearly in advance from the day of booking.
//!
//! Billing year k runs from the k-th booking anniversary; its charge is made by the run of
//! the anniversary's month, at the tier in force before that run (changes dated before
//! the 1st). Each later tier change up to the next anniversary month's run belongs to that
//! year: reaching a higher tier than the year has paid for bills the difference of the
//! monthly prices for the year's remaining months (the month of the change counts in
//! full), in the run after the change. A lower tier refunds nothing, and a cancelled
//! account pays no year that starts after it ends.

use jiff::ToSpan;
use jiff::civil::Date;
use shared::domain::Cents;
use shared::model::contracts::file_links::{FileLinksContract, Tier, TierChange};

use crate::lines::{InvoiceLine, Product, Unit};
use shared::clock::german_date;
use shared::domain::Month;

const MONTHS_PER_YEAR: i64 = 12;

/// The lines of the digital customer account in the run for `month`.
pub fn lines(contract: &FileLinksContract, month: Month) -> Vec<InvoiceLine> {
    let mut out = Vec::new();
    let years = BillingYears::of(contract);

    // The yearly charge of a year whose anniversary falls in this month.
    if let Some(year) = years.starting_in(month) {
        let (tier, price) = tier_before(&contract.tier_history, month.first());
        if price.0 > 0 && years.is_paid(year) {
            out.push(InvoiceLine::new(
                Product::DigitalCustomerAccount,
                format!(
                    "Digitales Kundenkonto, {}, Jahresbeitrag {} bis {}",
                    tier_name(tier),
                    german_date(years.start(year)),
                    german_date(years.last_day(year)),
                ),
                (years.start(year), years.last_day(year)),
                MONTHS_PER_YEAR,
                Unit::Month,
                price,
            ));
        }
    }

    // The differences for higher tiers reached during the month before.
    let previous = month.previous();
    for (i, change) in contract.tier_history.iter().enumerate() {
        if !previous.contains(change.from) {
            continue;
        }
        let year = years.of_change(change.from);
        if !years.is_paid(year) {
            continue;
        }
        let window_start = years.window_start(year);
        let (_, mut paid) = tier_before(&contract.tier_history, window_start);
        for earlier in &contract.tier_history[..i] {
            if earlier.from >= window_start {
                paid = paid.max(earlier.monthly_price);
            }
        }
        if change.monthly_price <= paid {
            continue;
        }
        let remaining = years.months_remaining(year, change.from);
        let difference = Cents(change.monthly_price.0 - paid.0);
        out.push(InvoiceLine::new(
            Product::DigitalCustomerAccount,
            format!(
                "Digitales Kundenkonto, Wechsel auf {} am {}: Differenz {} statt {} monatlich für {} Monate bis {}",
                tier_name(change.tier),
                german_date(change.from),
                change.monthly_price,
                paid,
                remaining,
                german_date(years.last_day(year)),
            ),
            (change.from.max(years.start(year)), years.last_day(year)),
            remaining,
            Unit::Month,
            difference,
        ));
    }
    out
}

/// The tier and monthly price in force before `day`: the last change dated before it.
fn tier_before(history: &[TierChange], day: Date) -> (Tier, Cents) {
    history
        .iter()
        .take_while(|c| c.from < day)
        .last()
        .map_or((Tier::Free, Cents(0)), |c| (c.tier, c.monthly_price))
}

fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Free => "bis 10 Kunden (kostenlos)",
        Tier::UpTo25 => "Stufe bis 25 Kunden",
        Tier::UpTo50 => "Stufe bis 50 Kunden",
        Tier::UpTo99 => "Stufe bis 99 Kunden",
        Tier::Unlimited => "Stufe ab 100 Kunden",
    }
}

/// The billing years of one booking, numbered from 0 (the year of the booking).
struct BillingYears<'a> {
    contract: &'a FileLinksContract,
    ends_on: Option<Date>,
}

impl<'a> BillingYears<'a> {
    fn of(contract: &'a FileLinksContract) -> Self {
        Self {
            contract,
            ends_on: contract.ends_on(),
        }
    }

    fn start(&self, year: i16) -> Date {
        self.contract.anniversary(year)
    }

    fn last_day(&self, year: i16) -> Date {
        let next = self.start(year.saturating_add(1));
        next.yesterday().unwrap_or(next)
    }

    /// The first day whose changes belong to `year`: the 1st of its anniversary's month,
    /// the day of the run that charged it.
    fn window_start(&self, year: i16) -> Date {
        if year == 0 {
            // Nothing was charged before the booking: the whole first year is open.
            return Date::MIN;
        }
        self.start(year).first_of_month()
    }

    /// The year whose anniversary falls in `month`, if any.
    fn starting_in(&self, month: Month) -> Option<i16> {
        (1..=i16::MAX)
            .map(|year| (year, self.start(year)))
            .take_while(|(_, start)| *start <= month.last())
            .find(|(_, start)| month.contains(*start))
            .map(|(year, _)| year)
    }

    /// The year a change dated `day` belongs to.
    fn of_change(&self, day: Date) -> i16 {
        (1..=i16::MAX)
            .take_while(|year| self.window_start(*year) <= day)
            .last()
            .unwrap_or(0)
    }

    /// Whether the year is paid for: it starts before a cancellation takes effect.
    fn is_paid(&self, year: i16) -> bool {
        self.ends_on.is_none_or(|end| self.start(year) < end)
    }

    /// The months of `year` left from the month of `day` (counted in full), 12 for a day
    /// before the year started.
    fn months_remaining(&self, year: i16, day: Date) -> i64 {
        let start = self.start(year);
        let elapsed = (1..MONTHS_PER_YEAR)
            .take_while(|m| {
                start
                    .checked_add(m.months())
                    .is_ok_and(|month_start| month_start <= day)
            })
            .count();
        MONTHS_PER_YEAR - elapsed as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::civil::date;
    use shared::domain::PartnerId;

    fn booked(on: Date) -> FileLinksContract {
        FileLinksContract::book(
            PartnerId::from_raw("p"),
            "mueller".into(),
            Timestamp::UNIX_EPOCH,
            on,
        )
    }

    fn grow(c: FileLinksContract, customers: u32, on: Date) -> FileLinksContract {
        c.with_customers(customers, on)
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn run(c: &FileLinksContract, month: &str) -> Vec<(i64, i64, i64)> {
        lines(c, Month::parse(month).unwrap())
            .iter()
            .map(|l| (l.quantity, l.unit_price_cents.0, l.net_cents.0))
            .collect()
    }

    #[test]
    fn up_to_ten_customers_cost_nothing() {
        let c = grow(booked(date(2026, 11, 10)), 10, date(2026, 11, 12));
        assert!(run(&c, "2026-12").is_empty());
        assert!(run(&c, "2027-11").is_empty(), "a free year has no line");
    }

    #[test]
    fn the_year_is_billed_in_advance_at_each_anniversary() {
        // Booked 10 Nov 2025, 30 customers since 20 Dec 2025.
        let c = grow(booked(date(2025, 11, 10)), 30, date(2025, 12, 20));
        let nov = lines(&c, Month::parse("2026-11").unwrap());
        assert_eq!(nov.len(), 1);
        assert_eq!((nov[0].quantity, nov[0].net_cents.0), (12, 5400));
        assert_eq!(nov[0].period_from, date(2026, 11, 10));
        assert_eq!(nov[0].period_to, date(2027, 11, 9));
        assert!(
            nov[0].description.contains("Stufe bis 50 Kunden"),
            "{}",
            nov[0].description
        );
        assert!(
            run(&c, "2026-12").is_empty(),
            "nothing between anniversaries"
        );
        assert_eq!(run(&c, "2027-11"), vec![(12, 450, 5400)]);
    }

    #[test]
    fn a_higher_tier_mid_year_bills_the_difference_for_the_remaining_months() {
        // Booked 10 Nov 2026: free. 11 customers on 12 Nov: 2.50 × 12 months in December's
        // run. 26 customers on 3 Feb 2027 (the 3rd month of the year began 10 Jan): the
        // difference 2.00 for the 10 months left, in March's run.
        let c = grow(booked(date(2026, 11, 10)), 11, date(2026, 11, 12));
        assert_eq!(run(&c, "2026-12"), vec![(12, 250, 3000)]);
        let c = grow(c, 26, date(2027, 2, 3));
        assert_eq!(run(&c, "2027-03"), vec![(10, 200, 2000)]);
        // Back down to 20 in April, up to 30 in May: the year has paid for 4.50 already.
        let c = grow(grow(c, 20, date(2027, 4, 2)), 30, date(2027, 5, 2));
        assert!(run(&c, "2027-05").is_empty());
        assert!(run(&c, "2027-06").is_empty());
        // The next year is charged at the tier in force before the anniversary month's run.
        assert_eq!(run(&c, "2027-11"), vec![(12, 450, 5400)]);
    }

    #[test]
    fn two_steps_up_in_one_month_bill_each_step_once() {
        let c = booked(date(2026, 11, 10));
        let c = grow(grow(c, 11, date(2026, 11, 12)), 60, date(2026, 11, 20));
        // 2.50 for 12 months, then 7.50 - 2.50 = 5.00 for 12 months: 7.50 a month in all.
        assert_eq!(run(&c, "2026-12"), vec![(12, 250, 3000), (12, 500, 6000)]);
    }

    #[test]
    fn a_change_in_the_anniversary_month_belongs_to_the_new_year() {
        // Booked 24 Nov 2025 with 30 customers; the 2026 year is charged on 1 Nov 2026 at
        // 4.50. 60 customers on 5 Nov 2026 (before the anniversary): 3.00 more for all 12
        // months of the new year, in December's run.
        let c = grow(booked(date(2025, 11, 24)), 30, date(2025, 11, 25));
        assert_eq!(run(&c, "2026-11"), vec![(12, 450, 5400)]);
        let c = grow(c, 60, date(2026, 11, 5));
        assert_eq!(run(&c, "2026-12"), vec![(12, 300, 3600)]);
    }

    #[test]
    fn a_cancelled_account_pays_no_year_after_it_ends() {
        let mut c = grow(booked(date(2025, 11, 10)), 30, date(2025, 12, 20));
        c.cancelled_on = Some(date(2026, 3, 1));
        assert_eq!(c.ends_on(), Some(date(2026, 11, 10)));
        assert!(run(&c, "2026-11").is_empty());
    }

    #[test]
    fn months_remaining_counts_the_month_of_the_change_in_full() {
        let c = booked(date(2026, 1, 31));
        let years = BillingYears::of(&c);
        assert_eq!(years.months_remaining(0, date(2026, 1, 31)), 12);
        assert_eq!(years.months_remaining(0, date(2026, 2, 27)), 12);
        // 31 Jan + 1 month is clamped to 28 Feb.
        assert_eq!(years.months_remaining(0, date(2026, 2, 28)), 11);
        assert_eq!(years.months_remaining(0, date(2027, 1, 30)), 1);
    }
}
