//! Taking an offer off its platforms, for withdrawing and deleting it: out of every review
//! queue and feed, and its placements of months not yet started cancelled, so billing does not
//! charge them (the current month's placement stays booked: it has been shown).
//!
//! An offer on many platforms needs more writes than one transaction may hold (20 platforms ×
//! feed facets × placed months; docs/architecture.md §5). The work is split by platform: each
//! transaction takes the offer off whole platforms (its state there, the review, the feed
//! entries, the bookings to come) together with the offer record, conditioned on the version
//! read. Every state in between is one the partner could have chosen (withdrawn here, still
//! shown there; feed, detail page and billing agree on it), and a retry of an interrupted
//! request goes on from where it stopped: what is done is no longer to do.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use shared::domain::Month;
use shared::domain::{PartnerId, PlatformId};
use shared::env::AppState;
use shared::model::placements::PlacementBooking;
use shared::store::{Cond, Named, StoreError, TxOp, limits};
use shared::{Error, Result};

use crate::offer::{self, Offer, OnPlatform, Status, changed_meanwhile, review_key, save_op, step};
use crate::{bookings, listing};

/// What withdrawing found to do.
#[derive(Debug)]
pub enum Withdrawal {
    /// Off every platform; the offer as it stands now.
    Withdrawn(Box<Offer>),
    /// Neither shown nor in review anywhere, nor booked for a month to come.
    NothingToWithdraw,
}

/// What deleting found.
#[derive(Debug)]
pub enum Deletion {
    Deleted,
    /// Shown or in review somewhere: it must be withdrawn first.
    StillShown,
}

/// Takes the partner's offer off every platform where it is shown, in review or booked for a
/// month to come.
pub async fn withdraw(state: &AppState, partner: &PartnerId, offer_id: &str) -> Result<Withdrawal> {
    let offer = offer::load_own(state.table.as_ref(), offer_id, partner).await?;
    let current = Month::of(state.clock.today());
    let to_come = bookings::still_to_come(state.table.as_ref(), partner, offer_id, current).await?;
    let mut platforms: BTreeSet<PlatformId> = offer
        .states
        .iter()
        .filter(|(_, s)| s.live.is_some() || s.status == Status::InReview)
        .map(|(platform, _)| platform.clone())
        .collect();
    platforms.extend(to_come.iter().map(|b| b.platform_id.clone()));
    if platforms.is_empty() {
        return Ok(Withdrawal::NothingToWithdraw);
    }
    let offer = take_off(state, offer, &platforms, to_come).await?;
    tracing::info!(offer_id = %offer.offer_id, platforms = platforms.len(), "offer withdrawn");
    Ok(Withdrawal::Withdrawn(Box::new(offer)))
}

/// Deletes the partner's offer that is shown and in review nowhere, after cancelling its
/// bookings of months to come.
pub async fn delete(state: &AppState, partner: &PartnerId, offer_id: &str) -> Result<Deletion> {
    let offer = offer::load_own(state.table.as_ref(), offer_id, partner).await?;
    if offer.is_published_or_in_review() {
        return Ok(Deletion::StillShown);
    }
    let current = Month::of(state.clock.today());
    let to_come = bookings::still_to_come(state.table.as_ref(), partner, offer_id, current).await?;
    let platforms: BTreeSet<PlatformId> = to_come.iter().map(|b| b.platform_id.clone()).collect();
    let offer = take_off(state, offer, &platforms, to_come).await?;
    let deleted = state
        .table
        .transact(vec![
            TxOp::Delete {
                key: offer.key(),
                cond: Cond::Eq(offer::VERSION, offer.version.into()),
            }
            .named(step::OFFER),
        ])
        .await;
    match deleted {
        Ok(()) => {
            tracing::info!(offer_id = %offer.offer_id, "offer deleted");
            Ok(Deletion::Deleted)
        }
        Err(StoreError::TxCancelled { .. }) => Err(changed_meanwhile()),
        Err(e) => Err(e.into()),
    }
}

/// How an offer leaves a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaving {
    /// Its partner withdrew it.
    Withdrawn,
    /// The platform's manager took it down, with the reason the partner reads.
    TakenDown { reason: String },
}

/// What taking the offer off one platform changes: its state there and the writes that go
/// with it.
struct Unit {
    platform: PlatformId,
    state: Option<OnPlatform>,
    ops: Vec<Named>,
}

fn unit(
    offer: &Offer,
    platform: &PlatformId,
    to_come: &[PlacementBooking],
    current: Month,
    now: Timestamp,
    leaving: &Leaving,
) -> Result<Unit> {
    let mut after = offer.clone();
    let mut ops = Vec::new();
    if let Some(s) = after.states.get_mut(platform) {
        if s.status == Status::InReview {
            ops.push(
                TxOp::Delete {
                    key: review_key(&offer.offer_id, platform),
                    cond: Cond::Always,
                }
                .named(step::REVIEW),
            );
        }
        if s.live.is_some() || s.status == Status::InReview {
            match leaving {
                Leaving::Withdrawn => s.status = Status::Withdrawn,
                Leaving::TakenDown { reason } => {
                    s.status = Status::TakenDown;
                    s.rejection_reason = Some(reason.clone());
                }
            }
            s.decided_at = Some(now);
            s.live = None;
        }
        // Only this month's placement stays: it has been shown and is billed.
        s.placed_months.retain(|m| *m == current);
    }
    for booking in to_come.iter().filter(|b| &b.platform_id == platform) {
        ops.extend(bookings::cancel(booking, now)?.1);
    }
    ops.extend(listing::sync(offer, &after, platform)?);
    Ok(Unit {
        platform: platform.clone(),
        state: after.states.remove(platform),
        ops,
    })
}

/// The offer taken off one platform (its version counted up) and the writes that do it, the
/// offer's own conditioned on the version read: for one transaction together with whatever
/// reports it (the take-down's mail).
pub async fn leave_one(
    state: &AppState,
    offer: &Offer,
    platform: &PlatformId,
    leaving: &Leaving,
) -> Result<(Offer, Vec<Named>)> {
    let now = state.clock.now();
    let current = Month::of(state.clock.today());
    let to_come = bookings::still_to_come(
        state.table.as_ref(),
        &offer.partner_id,
        &offer.offer_id,
        current,
    )
    .await?;
    let booked: Vec<PlacementBooking> = to_come
        .into_iter()
        .filter(|b| &b.platform_id == platform)
        .collect();
    let unit = unit(offer, platform, &booked, current, now, leaving)?;
    let mut after = offer.clone();
    apply(&mut after, &unit);
    after.updated_at = now;
    after.version += 1;
    let mut ops = vec![save_op(&after, offer.version)?.named(step::OFFER)];
    ops.extend(unit.ops);
    Ok((after, ops))
}

fn apply(offer: &mut Offer, unit: &Unit) {
    match &unit.state {
        Some(state) => {
            offer.states.insert(unit.platform.clone(), state.clone());
        }
        None => {
            offer.states.remove(&unit.platform);
        }
    }
}

/// Takes `offer` off `platforms` in as few transactions as DynamoDB's limits allow, whole
/// platforms each; returns the offer as last written.
async fn take_off(
    state: &AppState,
    mut offer: Offer,
    platforms: &BTreeSet<PlatformId>,
    to_come: Vec<PlacementBooking>,
) -> Result<Offer> {
    let now = state.clock.now();
    let epoch = state.clock.epoch();
    let current = Month::of(state.clock.today());
    let mut by_platform: BTreeMap<&PlatformId, Vec<PlacementBooking>> = BTreeMap::new();
    for booking in to_come {
        if let Some(platform) = platforms.get(&booking.platform_id) {
            by_platform.entry(platform).or_default().push(booking);
        }
    }
    // Each unit concerns its own platform only (its state, review, feed entries, bookings),
    // so units computed from the same offer combine in any grouping.
    let mut pending = platforms
        .iter()
        .map(|platform| {
            let booked = by_platform.get(platform).map_or(&[][..], Vec::as_slice);
            unit(&offer, platform, booked, current, now, &Leaving::Withdrawn)
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .peekable();
    while pending.peek().is_some() {
        let read = offer.version;
        let mut next = offer.clone();
        next.updated_at = now;
        next.version += 1;
        let mut ops: Vec<Named> = Vec::new();
        let mut taken = 0;
        while let Some(candidate) = pending.peek() {
            let mut trial = next.clone();
            apply(&mut trial, candidate);
            let mut all = vec![save_op(&trial, read)?.named(step::OFFER)];
            all.extend(ops.iter().cloned());
            all.extend(candidate.ops.iter().cloned());
            if !limits::fits(&all, epoch) {
                break;
            }
            ops.extend(candidate.ops.iter().cloned());
            next = trial;
            pending.next();
            taken += 1;
        }
        if taken == 0 {
            return Err(Error::internal(std::io::Error::other(
                "one platform's withdrawal does not fit in a transaction",
            )));
        }
        ops.insert(0, save_op(&next, read)?.named(step::OFFER));
        match state.table.transact(ops).await {
            Ok(()) => offer = next,
            Err(StoreError::TxCancelled { .. }) => return Err(changed_meanwhile()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(offer)
}
