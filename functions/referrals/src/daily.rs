//! The daily run (EventBridge Scheduler, Europe/Berlin; locally `cargo run -p local-api --
//! referrals-daily [date]`): every pending reward whose hold ended by the day is confirmed and
//! credited to the referrer's wallet, each in one transaction with its ledger entry. A reward
//! confirmed or reversed meanwhile is skipped by its condition, so runs may overlap or repeat.

use std::collections::HashMap;

use jiff::civil::Date;
use serde_json::Value;
use shared::domain::ProgramId;
use shared::model::from_item;
use shared::store::{Cond, GSI1PK, GSI1SK, StoreError, Table, TxOp, Update};

use crate::conversions::wallet_ops;
use crate::records::{
    Conversion, Program, RewardStatus, VoucherRate, attr, member_key, program_key, rewards_due,
    stats_key,
};
use crate::step;

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub due: usize,
    pub confirmed: usize,
    /// Changed by someone else meanwhile (reversed, or confirmed by an overlapping run).
    pub skipped: usize,
    pub failed: usize,
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
            Err(_) => Err(StoreError::unavailable(std::io::Error::other(
                "unreadable conversion",
            ))),
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
    let status = |s: RewardStatus| Value::from(s.as_str());
    let mut ops = vec![
        TxOp::Update {
            key: conversion.key(),
            ops: vec![
                Update::Set(attr::REWARD_STATUS, status(RewardStatus::Confirmed)),
                Update::Set(attr::CONFIRMED_ON, day.to_string().into()),
                Update::Remove(GSI1PK),
                Update::Remove(GSI1SK),
            ],
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
    ops.extend(wallet_ops(conversion, earned, 1, now).map_err(StoreError::unavailable)?);
    match table.transact(ops).await {
        Ok(()) => Ok(true),
        Err(StoreError::TxCancelled {
            failed: step::CONVERSION,
        }) => Ok(false),
        Err(e) => Err(e),
    }
}
