//! Referral rewards (docs/architecture.md §1): the cash rewards confirmed in a month, summed
//! per partner by referrals (`shared::model::rewards`), billed in arrears in the next run as
//! one line per month: the count in the text, the sum as the amount, the month as the period.
//! A month is billed once; its rewards become payable to the end users only after that.

use shared::domain::{Cents, Month};
use shared::model::rewards::RewardMonth;

use crate::lines::{InvoiceLine, Product, Unit};

/// Reward months one invoice bills at most, oldest first (the rest go on the next one): each
/// is marked in the invoice's transaction, whose size the batch is planned for.
pub const MONTHS_PER_INVOICE: usize = 2;

/// The reward months the run for `period` bills: not billed yet, ended before `period`,
/// holding rewards; oldest first, at most [`MONTHS_PER_INVOICE`].
pub fn due(months: &[RewardMonth], period: Month) -> Vec<RewardMonth> {
    let mut due: Vec<RewardMonth> = months
        .iter()
        .filter(|m| !m.is_billed() && m.month < period && m.cents > 0)
        .cloned()
        .collect();
    due.sort_by_key(|m| m.month);
    due.truncate(MONTHS_PER_INVOICE);
    due
}

/// The line of each due month.
pub fn lines(due: &[RewardMonth]) -> Vec<InvoiceLine> {
    due.iter()
        .map(|m| {
            let rewards = if m.count == 1 {
                "1 bestätigte Prämie".to_string()
            } else {
                format!("{} bestätigte Prämien", m.count)
            };
            InvoiceLine::new(
                Product::ReferralRewards,
                format!("Empfehlungsprämien {}: {rewards}", m.month.german()),
                (m.month.first(), m.month.last()),
                1,
                Unit::Lump,
                Cents(m.cents),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::PartnerId;

    fn month(m: &str, count: i64, cents: i64, billed: bool) -> RewardMonth {
        RewardMonth {
            partner_id: PartnerId::from_raw("p"),
            month: m.parse().unwrap(),
            count,
            cents,
            invoice_number: billed.then(|| "2026-000001".to_string()),
            billed_on: None,
        }
    }

    #[test]
    fn bills_ended_unbilled_months_oldest_first_with_count_sum_and_period() {
        let months = vec![
            month("2026-12", 2, 800, false),  // the run's own month: not ended
            month("2026-11", 3, 3950, false), // due
            month("2026-10", 1, 1300, true),  // billed before
            month("2026-09", 0, 0, false),    // every reward reversed
            month("2026-08", 1, 500, false),  // left over from a failed run: due, first
            month("2026-07", 1, 700, false),  // beyond the two of one invoice: next time
        ];
        let period = Month::parse("2026-12").unwrap();
        let due = due(&months, period);
        let due_months: Vec<String> = due.iter().map(|m| m.month.to_string()).collect();
        assert_eq!(due_months, vec!["2026-07", "2026-08"]);

        let november = lines(&[months[1].clone()]);
        assert_eq!(november.len(), 1);
        let line = &november[0];
        assert_eq!(
            line.description,
            "Empfehlungsprämien November 2026: 3 bestätigte Prämien"
        );
        assert_eq!(line.net_cents, Cents(3950));
        assert_eq!((line.quantity, line.unit), (1, Unit::Lump));
        assert_eq!(line.period_from, jiff::civil::date(2026, 11, 1));
        assert_eq!(line.period_to, jiff::civil::date(2026, 11, 30));
        let one = lines(&[month("2026-11", 1, 1300, false)]);
        assert!(one[0].description.ends_with(": 1 bestätigte Prämie"));
    }
}
