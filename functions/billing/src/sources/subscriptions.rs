//! Platform subscriptions (docs/architecture.md §1): the monthly fee of each approved platform, in
//! advance, from the approval date. The run on the 1st of month M bills
//! - all of M while the subscription runs in M (the month of the end date is the last
//!   billed, in full: the notice period ends at a month end);
//! - when approved during M-1, the rest of M-1 by day: approved 16 Nov at 49.00 → the
//!   December run bills 16–30 Nov = 15/30 × 49.00 = 24.50 and December 49.00.
//!
//! Nothing is billed before the approval, nor for pending, rejected or withdrawn
//! applications, nor in a run while the platform's manager suspends the partner there (a
//! month that starts suspended is not billed; the month billed before is not refunded).

use jiff::civil::Date;
use shared::domain::Cents;
use shared::model::subscriptions::{Application, ApplicationStatus};

use crate::lines::{InvoiceLine, Product, Unit, prorate};
use shared::clock::german_date;
use shared::domain::Month;

/// The lines of one subscription in the run for `month`; `fee` is the platform's monthly fee.
pub fn lines(app: &Application, fee: Cents, month: Month) -> Vec<InvoiceLine> {
    lines_with(app, |_| fee, month)
}

/// The lines of one subscription in the run for `month`, each month at the fee `fee_in`
/// gives for it: a fee changed from a month on bills that month and later at the new fee,
/// and the rest of the month before at the fee that applied then.
pub fn lines_with(
    app: &Application,
    fee_in: impl Fn(Month) -> Cents,
    month: Month,
) -> Vec<InvoiceLine> {
    let Some(approved) = app.approved_on else {
        return Vec::new();
    };
    if app.suspension.is_some() {
        return Vec::new();
    }
    let end: Option<Date> = match app.status {
        ApplicationStatus::Approved => None,
        ApplicationStatus::Cancelled => app.ends_on,
        ApplicationStatus::Pending | ApplicationStatus::Rejected | ApplicationStatus::Withdrawn => {
            return Vec::new();
        }
    };
    let name = &app.platform_name;
    let previous = month.previous();
    let mut out = Vec::new();

    // The rest of the month of the approval, when that was the month before.
    if previous.contains(approved) {
        let fee = fee_in(previous);
        let to = end.map_or(previous.last(), |e| e.min(previous.last()));
        if to >= approved {
            let days = (to - approved).get_days() as i64 + 1;
            if days == previous.days() {
                out.push(InvoiceLine::new(
                    Product::PlatformSubscription,
                    format!("Plattform-Abo {name}, {}", previous.german()),
                    (approved, to),
                    1,
                    Unit::Month,
                    fee,
                ));
            } else {
                out.push(InvoiceLine::new(
                    Product::PlatformSubscription,
                    format!(
                        "Plattform-Abo {name}, anteilig {days}/{} Tage ({} bis {}, {fee} monatlich)",
                        previous.days(),
                        german_date(approved),
                        german_date(to),
                    ),
                    (approved, to),
                    1,
                    Unit::Month,
                    prorate(fee, days, previous.days()),
                ));
            }
        }
    }

    // All of the month, in advance, when the subscription started before it and runs in it.
    let runs_in_month = end.is_none_or(|e| e >= month.first());
    if approved <= previous.last() && runs_in_month {
        let fee = fee_in(month);
        out.push(InvoiceLine::new(
            Product::PlatformSubscription,
            format!("Plattform-Abo {name}, {}", month.german()),
            (month.first(), month.last()),
            1,
            Unit::Month,
            fee,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::civil::date;
    use shared::domain::{Email, PartnerId, PlatformId};

    const FEE: Cents = Cents(4900);

    fn app(approved: Option<Date>, status: ApplicationStatus, ends: Option<Date>) -> Application {
        Application {
            partner_id: PartnerId::generate(),
            platform_id: PlatformId::generate(),
            platform_name: "Sparkasse Vorteilswelt".into(),
            company: "Bäckerei Müller".into(),
            contact_email: Email::parse("anna@baeckerei.de").unwrap(),
            status,
            applied_at: Timestamp::UNIX_EPOCH,
            decided_at: None,
            approved_on: approved,
            rejection_reason: None,
            cancelled_at: None,
            ends_on: ends,
            suspension: None,
            partner_disabled_at: None,
        }
    }

    fn approved(on: Date) -> Application {
        app(Some(on), ApplicationStatus::Approved, None)
    }

    fn amounts(lines: &[InvoiceLine]) -> Vec<i64> {
        lines.iter().map(|l| l.net_cents.0).collect()
    }

    fn month(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn the_worked_example_approved_16_november() {
        let lines = lines(&approved(date(2026, 11, 16)), FEE, month("2026-12"));
        assert_eq!(amounts(&lines), vec![2450, 4900]);
        assert_eq!(lines[0].period_from, date(2026, 11, 16));
        assert_eq!(lines[0].period_to, date(2026, 11, 30));
        assert!(
            lines[0].description.contains("15/30"),
            "{}",
            lines[0].description
        );
        assert_eq!(lines[1].period_from, date(2026, 12, 1));
        assert_eq!(lines[1].period_to, date(2026, 12, 31));
    }

    #[test]
    fn approved_on_the_first_bills_the_whole_previous_month() {
        let lines = lines(&approved(date(2026, 11, 1)), FEE, month("2026-12"));
        assert_eq!(amounts(&lines), vec![4900, 4900]);
        assert!(!lines[0].description.contains("anteilig"));
    }

    #[test]
    fn approved_on_the_fifteenth_bills_sixteen_days() {
        // 15–30 Nov: 16/30 × 49.00 = 26.1333 → 26.13
        let lines = lines(&approved(date(2026, 11, 15)), FEE, month("2026-12"));
        assert_eq!(amounts(&lines), vec![2613, 4900]);
    }

    #[test]
    fn approved_on_the_thirty_first_bills_one_day() {
        // 31 Oct: 1/31 × 49.00 = 1.5806 → 1.58
        let lines = lines(&approved(date(2026, 10, 31)), FEE, month("2026-11"));
        assert_eq!(amounts(&lines), vec![158, 4900]);
        assert!(lines[0].description.contains("1/31"));
    }

    #[test]
    fn a_leap_february_has_twenty_nine_days() {
        // 15–29 Feb 2028: 15/29 × 49.00 = 25.3448 → 25.34
        let lines = lines(&approved(date(2028, 2, 15)), FEE, month("2028-03"));
        assert_eq!(amounts(&lines), vec![2534, 4900]);
        assert!(lines[0].description.contains("15/29"));
        // And 28 days in a common year: 15–28 Feb 2027 = 14/28 × 49.00 = 24.50.
        let lines = super::lines(&approved(date(2027, 2, 15)), FEE, month("2027-03"));
        assert_eq!(amounts(&lines), vec![2450, 4900]);
    }

    #[test]
    fn an_older_subscription_bills_the_month_only() {
        let lines = lines(&approved(date(2025, 3, 9)), FEE, month("2026-12"));
        assert_eq!(amounts(&lines), vec![4900]);
    }

    #[test]
    fn nothing_before_the_approval() {
        // Approved during December: the December run (on the 1st) bills nothing.
        assert!(lines(&approved(date(2026, 12, 5)), FEE, month("2026-12")).is_empty());
        for status in [
            ApplicationStatus::Pending,
            ApplicationStatus::Rejected,
            ApplicationStatus::Withdrawn,
        ] {
            assert!(lines(&app(None, status, None), FEE, month("2026-12")).is_empty());
        }
    }

    #[test]
    fn the_month_of_the_end_date_is_the_last_billed_in_full() {
        // Cancelled in October: ends 30 Nov.
        let cancelled = app(
            Some(date(2025, 1, 10)),
            ApplicationStatus::Cancelled,
            Some(date(2026, 11, 30)),
        );
        assert_eq!(
            amounts(&lines(&cancelled, FEE, month("2026-11"))),
            vec![4900]
        );
        assert!(lines(&cancelled, FEE, month("2026-12")).is_empty());
    }

    #[test]
    fn approved_and_cancelled_in_the_same_month() {
        // Approved 20 Nov, cancelled in November: ends 31 Dec. December run: 11/30 + Dec.
        let a = app(
            Some(date(2026, 11, 20)),
            ApplicationStatus::Cancelled,
            Some(date(2026, 12, 31)),
        );
        assert_eq!(amounts(&lines(&a, FEE, month("2026-12"))), vec![1797, 4900]);
        assert!(lines(&a, FEE, month("2027-01")).is_empty());
    }

    #[test]
    fn a_suspended_subscription_bills_nothing_while_suspended() {
        let mut app = approved(date(2026, 10, 16));
        let month: Month = "2026-12".parse().unwrap();
        assert_eq!(lines(&app, FEE, month).len(), 1);
        app.suspension = Some(shared::model::subscriptions::Suspension {
            reason: "Beschwerden von Kundinnen und Kunden".into(),
            suspended_at: Timestamp::UNIX_EPOCH,
        });
        assert!(lines(&app, FEE, month).is_empty());
    }

    #[test]
    fn each_month_is_billed_at_the_fee_valid_for_it() {
        let change = month("2026-12");
        let fee_in = |m: Month| if m < change { FEE } else { Cents(5900) };
        let app = approved(date(2026, 11, 16));
        assert_eq!(
            amounts(&lines_with(&app, fee_in, month("2026-12"))),
            vec![2450, 5900],
            "November's rest at the old fee, December at the new one"
        );
        let before = approved(date(2026, 9, 16));
        assert_eq!(
            amounts(&lines_with(&before, fee_in, month("2026-11"))),
            vec![4900]
        );
    }
}
