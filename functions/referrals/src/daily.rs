//! The daily run (EventBridge Scheduler, Europe/Berlin; locally `cargo run -p local-api --
//! referrals-daily [date]`), in two steps, each reward in one transaction with its records:
//!
//! 1. [`confirm_due`]: every pending reward whose hold ended by the day is confirmed. Points
//!    and vouchers go to the wallet at once (the partner grants them itself). Cash is held: it
//!    is added to the partner's reward sum of the month (`shared::model::rewards`), which
//!    billing puts on the partner's next invoice, and shows in the wallet as confirmed.
//! 2. [`release_billed`]: every held cash reward whose month an issued invoice billed becomes
//!    payable: credited to the wallet's balance with its ledger entry. No cash can be paid
//!    out that no partner was billed for (docs/referrals.md, Rewards and billing).
//!
//! A reward changed meanwhile is skipped by its condition, so runs may overlap or repeat.

use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::Value;
use shared::domain::{Month, PartnerId, ProgramId, new_id};
use shared::model::from_item;
use shared::model::rewards::{self, RewardMonth, reward_month_key};
use shared::store::balance::{Amount, Balance};
use shared::store::{Cond, GSI1PK, GSI1SK, Named, StoreError, Table, TxOp, Update};

use crate::conversions::wallet_ops;
use crate::records::{
    Conversion, Earned, LedgerEntry, Program, RewardStatus, VoucherRate, attr,
    awaiting_invoice_index, member_key, program_key, rewards_awaiting_invoice, rewards_due,
    stats_key, wallet_key,
};
use crate::step;

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub due: usize,
    pub confirmed: usize,
    /// Cash rewards that became payable (their month is on an issued invoice).
    pub released: usize,
    /// Changed by someone else meanwhile (reversed, or confirmed by an overlapping run).
    pub skipped: usize,
    pub failed: usize,
}

/// How many later months a confirmed reward tries when its month is billed already.
const MONTHS_AHEAD: usize = 3;

/// The whole daily run: confirm what is due, then release what is billed.
pub async fn run(
    table: &dyn Table,
    now: jiff::Timestamp,
    day: Date,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Summary, StoreError> {
    let confirmed = confirm_due(table, now, day, progress).await?;
    let released = release_billed(table, now, day).await?;
    Ok(Summary {
        due: confirmed.due,
        confirmed: confirmed.confirmed,
        released: released.released,
        skipped: confirmed.skipped + released.skipped,
        failed: confirmed.failed + released.failed,
    })
}

fn unreadable(what: &str) -> StoreError {
    StoreError::unavailable(std::io::Error::other(format!("unreadable {what}")))
}

/// Confirms every reward due on or before `day`; `progress(done, total)` after each.
pub async fn confirm_due(
    table: &dyn Table,
    now: jiff::Timestamp,
    day: Date,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<Summary, StoreError> {
    let due = table.query_all(rewards_due(day)).await?;
    let mut summary = Summary {
        due: due.len(),
        ..Summary::default()
    };
    let mut rates: HashMap<ProgramId, Option<VoucherRate>> = HashMap::new();
    for (i, item) in due.into_iter().enumerate() {
        let outcome = match from_item::<Conversion>(item) {
            Ok(conversion) => confirm(table, &conversion, now, day, &mut rates).await,
            Err(_) => Err(unreadable("conversion")),
        };
        match outcome {
            Ok(true) => summary.confirmed += 1,
            Ok(false) => summary.skipped += 1,
            Err(e) => {
                tracing::error!(error = %e, "reward not confirmed");
                summary.failed += 1;
            }
        }
        progress(i + 1, summary.due);
    }
    Ok(summary)
}

async fn rate_of(
    table: &dyn Table,
    program: &ProgramId,
    rates: &mut HashMap<ProgramId, Option<VoucherRate>>,
) -> Result<Option<VoucherRate>, StoreError> {
    if let Some(rate) = rates.get(program) {
        return Ok(*rate);
    }
    let rate = match table.get(&program_key(program)).await? {
        Some(item) => {
            from_item::<Program>(item)
                .map_err(StoreError::unavailable)?
                .voucher_rate
        }
        None => None,
    };
    rates.insert(program.clone(), rate);
    Ok(rate)
}

fn status(s: RewardStatus) -> Value {
    Value::from(s.as_str())
}

async fn confirm(
    table: &dyn Table,
    conversion: &Conversion,
    now: jiff::Timestamp,
    day: Date,
    rates: &mut HashMap<ProgramId, Option<VoucherRate>>,
) -> Result<bool, StoreError> {
    let Some(earned) = conversion.earned else {
        return Ok(false);
    };
    let rate = rate_of(table, &conversion.program_id, rates).await?;
    let mut month = Month::of(day);
    for _ in 0..MONTHS_AHEAD {
        let ops = confirm_ops(conversion, earned, rate, now, day, month)?;
        match table.transact(ops).await {
            Ok(()) => return Ok(true),
            Err(StoreError::TxCancelled {
                failed: step::CONVERSION,
            }) => return Ok(false),
            // The month was billed while this reward waited: it goes on the next invoice.
            Err(StoreError::TxCancelled {
                failed: step::REWARD_MONTH,
            }) => month = month.next(),
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::unavailable(std::io::Error::other(
        "every reward month ahead is billed",
    )))
}

fn confirm_ops(
    conversion: &Conversion,
    earned: Earned,
    rate: Option<VoucherRate>,
    now: jiff::Timestamp,
    day: Date,
    month: Month,
) -> Result<Vec<Named>, StoreError> {
    let mut record = vec![
        Update::Set(attr::REWARD_STATUS, status(RewardStatus::Confirmed)),
        Update::Set(attr::CONFIRMED_ON, day.to_string().into()),
    ];
    let held = match earned {
        Earned::Cash { amount_cents } => Some(amount_cents.0),
        Earned::Points { .. } | Earned::Voucher { .. } => None,
    };
    if held.is_some() {
        let (pk, sk) = awaiting_invoice_index(conversion, month);
        record.extend([
            Update::Set(attr::REWARD_MONTH, month.to_string().into()),
            Update::Set(GSI1PK, pk.into()),
            Update::Set(GSI1SK, sk.into()),
        ]);
    } else {
        record.extend([Update::Remove(GSI1PK), Update::Remove(GSI1SK)]);
    }
    let mut ops = vec![
        TxOp::Update {
            key: conversion.key(),
            ops: record,
            cond: Cond::Eq(attr::REWARD_STATUS, status(RewardStatus::Pending)),
        }
        .named(step::CONVERSION),
        TxOp::Update {
            key: member_key(&conversion.referrer, &conversion.program_id),
            ops: vec![
                Update::Add(attr::PENDING_CENTS, -earned.cents()),
                Update::Add(attr::PENDING_POINTS, -earned.points()),
                Update::Add(attr::CONFIRMED_CENTS, earned.cents()),
                Update::Add(attr::CONFIRMED_POINTS, earned.points()),
            ],
            cond: Cond::Always,
        }
        .named(step::MEMBER),
        TxOp::Update {
            key: stats_key(&conversion.program_id, day),
            ops: vec![
                Update::Add(attr::CONFIRMED, 1),
                Update::Add(attr::COMMISSION_CENTS, earned.commission(rate)),
            ],
            cond: Cond::Always,
        }
        .named(step::STATS),
    ];
    match held {
        Some(cents) => ops.extend([
            TxOp::Update {
                key: wallet_key(&conversion.referrer),
                ops: vec![Update::Add(attr::CONFIRMED_CENTS, cents)],
                cond: Cond::Always,
            }
            .named(step::BALANCE),
            rewards::change(&conversion.partner_id, month, 1, cents).named(step::REWARD_MONTH),
            shared::model::billable::mark(&conversion.partner_id).named(step::BILLABLE),
        ]),
        None => {
            ops.extend(wallet_ops(conversion, earned, 1, now).map_err(StoreError::unavailable)?)
        }
    }
    Ok(ops)
}

/// Makes payable every held cash reward whose month an issued invoice billed.
pub async fn release_billed(
    table: &dyn Table,
    now: jiff::Timestamp,
    day: Date,
) -> Result<Summary, StoreError> {
    let held = table.query_all(rewards_awaiting_invoice()).await?;
    let mut summary = Summary::default();
    let mut billed: HashMap<(PartnerId, Month), bool> = HashMap::new();
    for item in held {
        let outcome = match from_item::<Conversion>(item) {
            Ok(conversion) => release(table, &conversion, now, day, &mut billed).await,
            Err(_) => Err(unreadable("conversion")),
        };
        match outcome {
            Ok(Released::Yes) => summary.released += 1,
            Ok(Released::NotBilled) => {}
            Ok(Released::Changed) => summary.skipped += 1,
            Err(e) => {
                tracing::error!(error = %e, "reward not released");
                summary.failed += 1;
            }
        }
    }
    Ok(summary)
}

enum Released {
    Yes,
    /// Its month is not on an invoice yet.
    NotBilled,
    /// Reversed or released by someone else meanwhile.
    Changed,
}

async fn is_billed(
    table: &dyn Table,
    partner: &PartnerId,
    month: Month,
    billed: &mut HashMap<(PartnerId, Month), bool>,
) -> Result<bool, StoreError> {
    let at = (partner.clone(), month);
    if let Some(known) = billed.get(&at) {
        return Ok(*known);
    }
    let is = match table.get(&reward_month_key(partner, month)).await? {
        Some(item) => from_item::<RewardMonth>(item)
            .map_err(|_| unreadable("reward month"))?
            .is_billed(),
        None => false,
    };
    billed.insert(at, is);
    Ok(is)
}

async fn release(
    table: &dyn Table,
    conversion: &Conversion,
    now: jiff::Timestamp,
    day: Date,
    billed: &mut HashMap<(PartnerId, Month), bool>,
) -> Result<Released, StoreError> {
    let (Some(month), Some(Earned::Cash { amount_cents })) =
        (conversion.reward_month, conversion.earned)
    else {
        return Ok(Released::Changed);
    };
    if !is_billed(table, &conversion.partner_id, month, billed).await? {
        return Ok(Released::NotBilled);
    }
    let amount = Amount::new(amount_cents.0).ok_or_else(|| unreadable("reward amount"))?;
    let account = &conversion.referrer;
    let entry = LedgerEntry {
        entry_id: new_id(),
        at: now,
        kind: "reward".into(),
        cash_cents: amount.get(),
        points: 0,
        program_id: Some(conversion.program_id.clone()),
        reference: conversion.external_id.clone(),
    };
    let entry = entry.to_item(account).map_err(StoreError::unavailable)?;
    let mut ops = vec![
        TxOp::Update {
            key: conversion.key(),
            ops: vec![
                Update::Set(attr::REWARD_STATUS, status(RewardStatus::Payable)),
                Update::Set(attr::PAYABLE_ON, day.to_string().into()),
                Update::Remove(GSI1PK),
                Update::Remove(GSI1SK),
            ],
            cond: Cond::Eq(attr::REWARD_STATUS, status(RewardStatus::Confirmed)),
        }
        .named(step::CONVERSION),
    ];
    let wallet = Balance::new(wallet_key(account));
    ops.push(wallet.change_op(
        amount.get(),
        vec![Update::Add(attr::CONFIRMED_CENTS, -amount.get())],
        Cond::Always,
    ));
    ops.push(
        TxOp::Put {
            item: entry,
            cond: Cond::NotExists,
        }
        .named(step::LEDGER_ENTRY),
    );
    match table.transact(ops).await {
        Ok(()) => Ok(Released::Yes),
        Err(StoreError::TxCancelled {
            failed: step::CONVERSION,
        }) => Ok(Released::Changed),
        Err(e) => Err(e),
    }
}
