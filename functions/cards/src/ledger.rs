//! A card's ledger as it is read: its bookings and the schedule's entries, for the
//! cardholder's history, the till's bookings of today, statistics and the export.

use shared::Result;
use shared::model::from_item;
use shared::store::Table;

use crate::booking::Booking;
use crate::card::{self, Card};

/// The ledger of one card, oldest first.
pub async fn bookings_of(table: &dyn Table, number: &str) -> Result<Vec<Booking>> {
    let mut bookings: Vec<Booking> = table
        .query_all(card::entries_of(number))
        .await?
        .into_iter()
        .map(from_item)
        .collect::<Result<_>>()?;
    bookings.sort_by_key(|b| b.booked_at);
    Ok(bookings)
}

/// The ledgers of all of a merchant's cards, oldest first.
pub async fn all_bookings(table: &dyn Table, cards: &[Card]) -> Result<Vec<Booking>> {
    let mut all = Vec::new();
    for c in cards {
        all.extend(bookings_of(table, &c.number).await?);
    }
    all.sort_by(|a, b| (a.booked_at, &a.booking_id).cmp(&(b.booked_at, &b.booking_id)));
    Ok(all)
}
