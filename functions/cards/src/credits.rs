//! What a card's points are made of (pure rules over its ledger): every credit, an earn or a
//! lot moved in from a lost card, with the day it expires and, while pending, the day it is
//! released. The daily run releases and expires by them, the cardholder sees them, and a
//! transfer moves them to the new card with their dates.

use jiff::civil::Date;

use crate::booking::{Booking, BookingType, Lot};

/// One credit of points on a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// What a release of it refers to: the earn's id, or `<transfer id>#<lot>`.
    pub reference: String,
    pub points: i64,
    pub expires_on: Option<Date>,
    /// Set while the points are pending: the day they become redeemable.
    pub pending_until: Option<Date>,
}

/// Every credit of a ledger (oldest first), voided earns left out; a credit whose release
/// is booked is no longer pending.
pub fn credits(bookings: &[Booking]) -> Vec<Credit> {
    let released: Vec<&str> = bookings
        .iter()
        .filter(|b| b.kind == BookingType::Release)
        .filter_map(|b| b.refers_to.as_deref())
        .collect();
    let pending_until = |reference: &str, release_on: Option<Date>| {
        release_on.filter(|_| !released.contains(&reference))
    };
    let mut out = Vec::new();
    for b in bookings.iter().filter(|b| b.voided_by.is_none()) {
        match b.kind {
            BookingType::Earn => {
                let pending = if b.pending_amount > 0 {
                    pending_until(&b.booking_id, b.release_on)
                } else {
                    None
                };
                out.push(Credit {
                    reference: b.booking_id.clone(),
                    points: b.amount + b.pending_amount,
                    expires_on: b.expires_on,
                    pending_until: pending,
                });
            }
            BookingType::TransferIn => {
                for (i, lot) in b.lots.iter().enumerate() {
                    let reference = format!("{}#{i}", b.booking_id);
                    let pending = pending_until(&reference, lot.release_on);
                    out.push(Credit {
                        reference,
                        points: lot.points,
                        expires_on: lot.expires_on,
                        pending_until: pending,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// Pending credits whose day has come by `day`: (reference, points).
pub fn releases_due(bookings: &[Booking], day: Date) -> Vec<(String, i64)> {
    credits(bookings)
        .into_iter()
        .filter(|c| c.points > 0 && c.pending_until.is_some_and(|d| d <= day))
        .map(|c| (c.reference, c.points))
        .collect()
}

/// What each credit with an expiry still holds once `debited` points (redeemed or expired
/// so far) went to the oldest first, in credit order.
fn remaining(bookings: &[Booking], debited: i64) -> Vec<(Credit, i64)> {
    let mut to_cover = debited;
    let mut out = Vec::new();
    for c in credits(bookings) {
        if c.expires_on.is_none() {
            out.push((c.clone(), c.points));
            continue;
        }
        let taken = to_cover.min(c.points).max(0);
        to_cover -= taken;
        let left = c.points - taken;
        out.push((c, left));
    }
    out
}

/// Points still held from credits that expire, by day: the oldest credits went first to
/// every point taken (redeemed or expired) so far.
pub fn expiring_lots(bookings: &[Booking], debited: i64) -> Vec<(Date, i64)> {
    remaining(bookings, debited)
        .into_iter()
        .filter_map(|(c, left)| c.expires_on.filter(|_| left > 0).map(|day| (day, left)))
        .collect()
}

/// What a transfer moves to the new card: the old card's points as lots with their dates,
/// oldest first, neighbours with the same dates merged. Pending lots add up to `pending`
/// at most and the others to `balance`; redeemable points without an expiry make one lot.
pub fn lots_to_move(bookings: &[Booking], debited: i64, balance: i64, pending: i64) -> Vec<Lot> {
    let mut lots: Vec<Lot> = Vec::new();
    let (mut redeemable_left, mut pending_left) = (balance, pending);
    for (c, left) in remaining(bookings, debited) {
        let (budget, release_on) = match c.pending_until {
            Some(day) => (&mut pending_left, Some(day)),
            None if c.expires_on.is_some() => (&mut redeemable_left, None),
            // Redeemable points that never expire join the undated rest below.
            None => continue,
        };
        let points = left.min(*budget);
        if points <= 0 {
            continue;
        }
        *budget -= points;
        push_merged(
            &mut lots,
            Lot {
                points,
                expires_on: c.expires_on,
                release_on,
            },
        );
    }
    if redeemable_left > 0 {
        push_merged(
            &mut lots,
            Lot {
                points: redeemable_left,
                expires_on: None,
                release_on: None,
            },
        );
    }
    lots
}

fn push_merged(lots: &mut Vec<Lot>, lot: Lot) {
    match lots.last_mut() {
        Some(last) if last.expires_on == lot.expires_on && last.release_on == lot.release_on => {
            last.points += lot.points;
        }
        _ => lots.push(lot),
    }
}
