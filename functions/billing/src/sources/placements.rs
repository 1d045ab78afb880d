//! Premium placements (docs/architecture.md §1): each booking for month M, at the price fixed when
//! booked, billed in the run of M. A booking cancelled before the month started is not billed.

use shared::model::placements::PlacementBooking;

use crate::lines::{InvoiceLine, Product, Unit};
use shared::domain::Month;

/// Whether a booking is one of month `month`'s.
pub fn is_for(booking: &PlacementBooking, month: Month) -> bool {
    booking.month.to_string() == month.to_string()
}

/// The lines of the bookings in the run for `month`.
pub fn lines(bookings: &[PlacementBooking], month: Month) -> Vec<InvoiceLine> {
    let mut due: Vec<&PlacementBooking> = bookings
        .iter()
        .filter(|b| b.is_billable() && is_for(b, month))
        .collect();
    due.sort_by(|a, b| (&a.kind_name, &a.offer_id).cmp(&(&b.kind_name, &b.offer_id)));
    due.into_iter()
        .map(|b| {
            InvoiceLine::new(
                Product::PremiumPlacement,
                format!("Premium-Platzierung {}, {}", b.kind_name, month.german()),
                (month.first(), month.last()),
                1,
                Unit::Piece,
                b.price,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use shared::domain::{Cents, PartnerId, PlatformId};
    use shared::model::placements::BookingState;

    fn booking(month: &str, state: BookingState, price: i64) -> PlacementBooking {
        PlacementBooking {
            partner_id: PartnerId::from_raw("p"),
            platform_id: PlatformId::from_raw("pf"),
            offer_id: format!("offer-{price}"),
            kind_id: "top".into(),
            kind_name: "Top-Platzierung".into(),
            month: month.parse::<shared::domain::Month>().unwrap(),
            price: Cents(price),
            state,
            booked_at: Timestamp::UNIX_EPOCH,
            cancelled_at: None,
        }
    }

    #[test]
    fn bills_the_booked_placements_of_the_month_only() {
        let bookings = vec![
            booking("2026-12", BookingState::Booked, 1500),
            booking("2026-12", BookingState::Cancelled, 2500),
            booking("2027-01", BookingState::Booked, 3500),
            booking("2026-12", BookingState::Booked, 990),
        ];
        let month = Month::parse("2026-12").unwrap();
        let lines = lines(&bookings, month);
        let amounts: Vec<i64> = lines.iter().map(|l| l.net_cents.0).collect();
        assert_eq!(amounts, vec![1500, 990]);
        assert_eq!(lines[0].period_from, month.first());
        assert_eq!(lines[0].period_to, month.last());
        assert!(lines[0].description.contains("Dezember 2026"));
    }
}
