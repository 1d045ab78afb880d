//! The card contract (docs/architecture.md §1, seed 002): a fee per terminal user and month, in
//! advance. The run on the 1st of month M bills
//! - the terminal users at the start of M × the fee, for M;
//! - the users added during M-1 beyond those charged at its start, for M-1: the fee
//!   changes from the month of the change, and M-1's run could not know them yet.
//!
//! A month in which the contract runs is billed in full: the fee is priced per calendar
//! month, so a contract signed or ended mid-month pays that month whole.

use shared::model::contracts::cards::CardContract;

use crate::lines::{InvoiceLine, Product, Unit};
use shared::domain::Month;

/// The lines of the card contract in the run for `month`.
pub fn lines(contract: &CardContract, month: Month) -> Vec<InvoiceLine> {
    let fee = contract.fee_per_terminal_user;
    let previous = month.previous();
    let mut out = Vec::new();
    let added = contract.added_during(previous.first());
    if added > 0 {
        out.push(InvoiceLine::new(
            Product::CardContract,
            format!(
                "Kartensystem: {added} Terminal-Nutzer im {} hinzugekommen",
                previous.german()
            ),
            (previous.first().max(contract.signed_on), previous.last()),
            i64::from(added),
            Unit::Piece,
            fee,
        ));
    }
    let count = contract.count_at_start(month.first());
    if count > 0 {
        let to = contract
            .ends_on
            .map_or(month.last(), |end| end.min(month.last()));
        out.push(InvoiceLine::new(
            Product::CardContract,
            format!("Kartensystem: {count} Terminal-Nutzer, {}", month.german()),
            (month.first(), to),
            i64::from(count),
            Unit::Piece,
            fee,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use shared::domain::{Cents, PartnerId};

    fn contract() -> CardContract {
        CardContract::new(PartnerId::from_raw("p"), date(2026, 10, 15), Cents(990))
    }

    fn with_changes(changes: &[(jiff::civil::Date, i32)]) -> CardContract {
        changes.iter().fold(contract(), |c, (on, delta)| {
            c.change_terminal_users(*on, *delta)
                .map(|(next, _)| next)
                .unwrap_or(c)
        })
    }

    fn net(lines: &[InvoiceLine]) -> Vec<(i64, i64)> {
        lines.iter().map(|l| (l.quantity, l.net_cents.0)).collect()
    }

    #[test]
    fn three_terminal_users_pay_three_fees_a_month() {
        let c = with_changes(&[(date(2026, 10, 15), 3)]);
        let dec = lines(&c, Month::parse("2026-12").unwrap());
        assert_eq!(net(&dec), vec![(3, 2970)]);
        assert_eq!(dec[0].period_from, date(2026, 12, 1));
        assert_eq!(dec[0].period_to, date(2026, 12, 31));
        assert_eq!(
            dec[0].description,
            "Kartensystem: 3 Terminal-Nutzer, Dezember 2026"
        );
    }

    #[test]
    fn users_added_in_a_month_are_billed_for_it_in_the_next_run() {
        // Signed mid-October with 2 users, a third on 10 November, one replaced on the 20th.
        let c = with_changes(&[
            (date(2026, 10, 15), 2),
            (date(2026, 11, 10), 1),
            (date(2026, 11, 20), -1),
            (date(2026, 11, 21), 1),
        ]);
        // November's run: October's two users (the contract began mid-month), and November's two.
        let nov = lines(&c, Month::parse("2026-11").unwrap());
        assert_eq!(net(&nov), vec![(2, 1980), (2, 1980)]);
        assert_eq!(nov[0].period_from, date(2026, 10, 15));
        // December's run: the one user added in November, and three for December.
        let dec = lines(&c, Month::parse("2026-12").unwrap());
        assert_eq!(net(&dec), vec![(1, 990), (3, 2970)]);
        assert!(
            dec[0]
                .description
                .contains("im November 2026 hinzugekommen")
        );
        assert_eq!(dec[0].period_to, date(2026, 11, 30));
    }

    #[test]
    fn a_removal_counts_from_the_month_after_and_an_ended_contract_bills_nothing() {
        let mut c = with_changes(&[(date(2026, 10, 15), 3), (date(2026, 11, 5), -2)]);
        assert_eq!(
            net(&lines(&c, Month::parse("2026-11").unwrap())),
            vec![(3, 2970), (3, 2970)]
        );
        assert_eq!(
            net(&lines(&c, Month::parse("2026-12").unwrap())),
            vec![(1, 990)]
        );
        c.ends_on = Some(date(2028, 10, 14));
        let last = lines(&c, Month::parse("2028-10").unwrap());
        assert_eq!(net(&last), vec![(1, 990)]);
        assert_eq!(last[0].period_to, date(2028, 10, 14));
        assert!(lines(&c, Month::parse("2028-11").unwrap()).is_empty());
    }

    #[test]
    fn a_contract_without_terminal_users_bills_nothing() {
        assert!(lines(&contract(), Month::parse("2026-12").unwrap()).is_empty());
    }
}
