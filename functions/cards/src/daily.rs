//! The daily schedule (EventBridge Scheduler, Europe/Berlin): pending bonus points whose
//! waiting time is over become redeemable, and credits that reached their expiry date
//! expire, oldest first. Each release and each day's expiry of a card is one ledger entry
//! under a key named after it, so a rerun for the same day changes nothing.

use jiff::civil::Date;
use serde::Serialize;
use shared::clock::Clock;
use shared::domain::PartnerId;
use shared::env::Env;
use shared::model::billable;
use shared::store::balance::{Balance, LEDGER_OP};
use shared::store::{Cond, StoreError, Table, Update};
use shared::{Error, Result};

use crate::booking::{Booking, BookingType, ledger_key, ledger_put};
use crate::card::{self, Card, attr};
use crate::holders::{bookings_of, expiring_lots};
use crate::programs::{self, Rules};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DailySummary {
    pub day: String,
    pub merchants: u64,
    pub cards_checked: u64,
    pub released_points: i64,
    pub expired_points: i64,
    /// Ledger entries written by this run (a rerun of the same day writes none).
    pub entries: u64,
}

/// Whether a program's cards need the schedule at all.
fn scheduled(rules: &Rules) -> bool {
    matches!(
        rules,
        Rules::Bonus { expiry_months, pending_days, .. }
            if expiry_months.is_some() || pending_days.is_some()
    )
}

/// The cards the run must look at: of bonus programs with expiry or waiting time, holding
/// pending points or credits not yet used up.
pub async fn due_cards(table: &dyn Table) -> Result<(u64, Vec<Card>)> {
    let partners: Vec<PartnerId> = table
        .query_all(billable::billable_partners())
        .await?
        .iter()
        .filter_map(billable::partner_of)
        .collect();
    let mut merchants = 0;
    let mut cards = Vec::new();
    for partner in &partners {
        let programs = programs::list_of(table, partner).await?;
        if !programs.iter().any(|p| scheduled(&p.rules)) {
            continue;
        }
        merchants += 1;
        for c in card::all_of(table, partner).await? {
            if scheduled(&c.rules) && (c.pending > 0 || c.expiring_total > c.debited) {
                cards.push(c);
            }
        }
    }
    Ok((merchants, cards))
}

fn entry(
    card: &Card,
    kind: BookingType,
    amount: i64,
    pending: i64,
    day: Date,
    now: jiff::Timestamp,
) -> Booking {
    Booking {
        booking_id: shared::domain::new_id(),
        number: card.number.clone(),
        partner_id: card.partner_id.clone(),
        program_id: card.program_id.clone(),
        kind,
        amount,
        pending_amount: pending,
        value_cents: 0,
        booked_at: now,
        booked_on: day,
        by: None,
        expires_on: None,
        release_on: None,
        refers_to: None,
        voided_by: None,
    }
}

/// Writes one ledger entry with its card change; `false` when the entry exists (done before).
async fn write_once(table: &dyn Table, ops: Vec<shared::store::Named>) -> Result<bool> {
    match table.transact(ops).await {
        Ok(()) => Ok(true),
        Err(StoreError::TxCancelled { failed: LEDGER_OP }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Releases and expiries of one card on `day`.
pub async fn settle_card(
    table: &dyn Table,
    clock: &dyn Clock,
    card: &Card,
    day: Date,
    summary: &mut DailySummary,
) -> Result<()> {
    let now = clock.now();
    let bookings = bookings_of(table, &card.number).await?;
    let released: Vec<&str> = bookings
        .iter()
        .filter(|b| b.kind == BookingType::Release)
        .filter_map(|b| b.refers_to.as_deref())
        .collect();
    for b in &bookings {
        let due = b.kind == BookingType::Earn
            && b.pending_amount > 0
            && b.voided_by.is_none()
            && b.release_on.is_some_and(|d| d <= day)
            && !released.contains(&b.booking_id.as_str());
        if !due {
            continue;
        }
        let mut release = entry(
            card,
            BookingType::Release,
            b.pending_amount,
            -b.pending_amount,
            day,
            now,
        );
        release.refers_to = Some(b.booking_id.clone());
        let ops = vec![
            Balance::new(card.key()).change_op(
                b.pending_amount,
                vec![Update::Add(attr::PENDING, -b.pending_amount)],
                Cond::Ge(attr::PENDING, b.pending_amount),
            ),
            ledger_put(
                &ledger_key(&card.number, &format!("RELEASE#{}", b.booking_id)),
                &release,
            )?,
        ];
        if write_once(table, ops).await? {
            summary.released_points += b.pending_amount;
            summary.entries += 1;
        }
    }
    // After the releases: what the oldest credits still hold, and what of it is due.
    let now_card = card::load(table, &card.partner_id, &card.number).await?;
    let due: i64 = expiring_lots(&bookings, now_card.debited)
        .into_iter()
        .filter(|(expires_on, _)| *expires_on <= day)
        .map(|(_, points)| points)
        .sum();
    let expire = due.min(now_card.balance);
    if expire > 0 {
        let expiry = entry(card, BookingType::Expiry, -expire, 0, day, now);
        let ops = vec![
            Balance::new(card.key()).change_op(
                -expire,
                vec![Update::Add(attr::DEBITED, expire)],
                Cond::Eq(attr::DEBITED, now_card.debited.into()),
            ),
            ledger_put(&ledger_key(&card.number, &format!("EXPIRY#{day}")), &expiry)?,
        ];
        if write_once(table, ops).await? {
            summary.expired_points += expire;
            summary.entries += 1;
        }
    }
    Ok(())
}

/// One run for `day` over `table`, reporting progress as (cards done, cards in all).
pub async fn run_on(
    table: &dyn Table,
    clock: &dyn Clock,
    day: Date,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DailySummary> {
    let (merchants, cards) = due_cards(table).await?;
    let total = cards.len() as u64;
    let mut summary = DailySummary {
        day: day.to_string(),
        merchants,
        ..DailySummary::default()
    };
    progress(0, total);
    for (i, c) in cards.iter().enumerate() {
        settle_card(table, clock, c, day, &mut summary).await?;
        summary.cards_checked += 1;
        progress(i as u64 + 1, total);
    }
    tracing::info!(
        cards = summary.cards_checked,
        released = summary.released_points,
        expired = summary.expired_points,
        "cards daily run"
    );
    Ok(summary)
}

/// Whether a Lambda event is the schedule's: EventBridge events carry a `detail-type`,
/// API Gateway's never do.
pub fn is_schedule(event: &serde_json::Value) -> bool {
    event.get("detail-type").is_some()
}

/// One run for `day` on a function's environment.
pub async fn run(
    env: &Env,
    day: Date,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DailySummary> {
    run_on(env.table.as_ref(), env.clock.as_ref(), day, progress).await
}

/// The scheduled invocation: the run for today (Europe/Berlin).
pub async fn handle(env: &Env) -> Result<DailySummary, Error> {
    run(env, env.clock.today(), &mut |_, _| {}).await
}

impl std::fmt::Display for DailySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} merchants, {} cards checked, {} points released, {} points expired, {} ledger entries",
            self.day,
            self.merchants,
            self.cards_checked,
            self.released_points,
            self.expired_points,
            self.entries
        )
    }
}
