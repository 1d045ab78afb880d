//! The daily schedule (EventBridge Scheduler, Europe/Berlin): pending bonus points whose
//! waiting time is over become redeemable, and credits that reached their expiry date
//! expire, oldest first. Each release and each day's expiry of a card is one ledger entry
//! under a key named after it, so a rerun for the same day changes nothing.

use jiff::civil::Date;
use serde::Serialize;
use shared::clock::Clock;
use shared::domain::PartnerId;
use shared::env::Env;
use shared::model::{billable, from_item};
use shared::store::balance::{Balance, LEDGER_OP};
use shared::store::{Cond, StoreError, Table, Update};
use shared::{Error, Result};

use crate::booking::{Booking, BookingType, ledger_key, ledger_put};
use crate::card::{self, Card, CardStatus, attr};
use crate::ledger::bookings_of;
use crate::programs::{self, Rules};
use crate::{closing, credits};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DailySummary {
    pub day: String,
    pub merchants: u64,
    pub cards_checked: u64,
    /// Replaced cards: their points moved to the new card, which the run looks at instead.
    pub cards_skipped: u64,
    pub released_points: i64,
    pub expired_points: i64,
    /// Ledger entries written by this run (a rerun of the same day writes none).
    pub entries: u64,
    /// Cards that got their merchant's contract end, and till logins removed after it.
    pub cards_stamped: u64,
    pub terminal_users_disabled: u64,
    /// What failed: the run went on past it, and the next night tries it again.
    pub failures: Vec<Failure>,
}

/// A merchant or a card the run could not finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub partner_id: PartnerId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    pub reason: String,
}

impl DailySummary {
    fn failed(&mut self, partner: &PartnerId, card: Option<&str>, error: &Error) {
        tracing::error!(partner_id = %partner, card, error = %error, "cards daily run: failed, going on");
        self.failures.push(Failure {
            partner_id: partner.clone(),
            card: card.map(str::to_string),
            reason: error.to_string(),
        });
    }
}

/// Whether a program's cards need the schedule at all.
fn scheduled(rules: &Rules) -> bool {
    matches!(
        rules,
        Rules::Bonus { expiry_months, pending_days, .. }
            if expiry_months.is_some() || pending_days.is_some()
    )
}

/// The cards of one merchant the run must look at: of bonus programs with expiry or waiting
/// time, holding pending points or credits not yet used up; replaced cards are counted as
/// skipped. A card that cannot be read is reported, the others are looked at.
async fn due_cards_of(
    table: &dyn Table,
    partner: &PartnerId,
    summary: &mut DailySummary,
) -> Result<Vec<Card>> {
    let programs = programs::list_of(table, partner).await?;
    if !programs.iter().any(|p| scheduled(&p.rules)) {
        return Ok(Vec::new());
    }
    summary.merchants += 1;
    let mut cards = Vec::new();
    for item in table.query_all(card::index_query(partner, "")).await? {
        let number = item
            .get("number")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string);
        let read = async {
            let entry: card::IndexEntry = from_item(item)?;
            card::load(table, partner, &entry.number).await
        };
        match read.await {
            Ok(c) if c.status == CardStatus::Replaced => summary.cards_skipped += 1,
            Ok(c) => {
                if scheduled(&c.rules) && (c.pending > 0 || c.expiring_total > c.debited) {
                    cards.push(c);
                }
            }
            Err(e) => summary.failed(partner, number.as_deref(), &e),
        }
    }
    Ok(cards)
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
        lots: Vec::new(),
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
    // Earned points and points moved in from a lost card alike, each on its own day.
    for (reference, points) in credits::releases_due(&bookings, day) {
        let mut release = entry(card, BookingType::Release, points, -points, day, now);
        let key = ledger_key(&card.number, &format!("RELEASE#{reference}"));
        release.refers_to = Some(reference);
        let ops = vec![
            Balance::new(card.key()).change_op(
                points,
                vec![Update::Add(attr::PENDING, -points)],
                Cond::All(vec![
                    Cond::Ge(attr::PENDING, points),
                    Cond::Eq(attr::STATUS, card.status.as_str().into()),
                ]),
            ),
            ledger_put(&key, &release)?,
        ];
        if write_once(table, ops).await? {
            summary.released_points += points;
            summary.entries += 1;
        }
    }
    // After the releases: what the oldest credits still hold, and what of it is due.
    let now_card = card::load(table, &card.partner_id, &card.number).await?;
    let due: i64 = credits::expiring_lots(&bookings, now_card.debited)
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

/// One run for `day` over `table`, reporting progress as (cards done, cards in all). A
/// merchant or card that fails is reported in the summary's `failures` and the run goes on;
/// only when the list of merchants cannot be read does the run fail as a whole.
pub async fn run_on(
    table: &dyn Table,
    clock: &dyn Clock,
    day: Date,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<DailySummary> {
    let partners: Vec<PartnerId> = table
        .query_all(billable::billable_partners())
        .await?
        .iter()
        .filter_map(billable::partner_of)
        .collect();
    let mut summary = DailySummary {
        day: day.to_string(),
        ..DailySummary::default()
    };
    let mut cards = Vec::new();
    for partner in &partners {
        match closing::close(table, partner, day).await {
            Ok(done) => {
                summary.cards_stamped += done.cards_stamped;
                summary.terminal_users_disabled += done.terminal_users_disabled;
            }
            Err(e) => summary.failed(partner, None, &e),
        }
        match due_cards_of(table, partner, &mut summary).await {
            Ok(found) => cards.extend(found),
            Err(e) => summary.failed(partner, None, &e),
        }
    }
    let total = cards.len() as u64;
    progress(0, total);
    for (i, c) in cards.iter().enumerate() {
        match settle_card(table, clock, c, day, &mut summary).await {
            Ok(()) => summary.cards_checked += 1,
            Err(e) => summary.failed(&c.partner_id, Some(&c.number), &e),
        }
        progress(i as u64 + 1, total);
    }
    tracing::info!(
        cards = summary.cards_checked,
        skipped = summary.cards_skipped,
        released = summary.released_points,
        expired = summary.expired_points,
        failed = summary.failures.len(),
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
            "{}: {} merchants, {} cards checked, {} replaced cards skipped, {} points released, \
             {} points expired, {} ledger entries, {} cards given the contract end, \
             {} terminal users disabled, {} failed",
            self.day,
            self.merchants,
            self.cards_checked,
            self.cards_skipped,
            self.released_points,
            self.expired_points,
            self.entries,
            self.cards_stamped,
            self.terminal_users_disabled,
            self.failures.len()
        )?;
        for failure in &self.failures {
            write!(
                f,
                "\n  failed: merchant {}{}: {}",
                failure.partner_id,
                failure
                    .card
                    .as_deref()
                    .map(|c| format!(", card {c}"))
                    .unwrap_or_default(),
                failure.reason
            )?;
        }
        Ok(())
    }
}
