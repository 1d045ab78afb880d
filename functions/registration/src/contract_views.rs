//! The partner's contracts as the partner's data export and the operator's overview show
//! them.

use jiff::civil::Date;
use serde::Serialize;
use shared::model::contracts::cards::CardContract;
use shared::model::contracts::file_links::{FileLinksContract, Tier, TierChange};
use utoipa::ToSchema;

/// From `on`, `count` terminal users.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerminalUsersFrom {
    pub on: Date,
    pub count: u32,
}

/// The card contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardContractExport {
    pub signed_on: Date,
    /// Net per terminal user and month.
    pub fee_per_terminal_user_cents: i64,
    pub terminal_users: u32,
    pub terminal_history: Vec<TerminalUsersFrom>,
    pub cancelled_on: Option<Date>,
    /// The contract's last day, once cancelled.
    pub ends_on: Option<Date>,
}

impl From<CardContract> for CardContractExport {
    fn from(c: CardContract) -> Self {
        Self {
            signed_on: c.signed_on,
            fee_per_terminal_user_cents: c.fee_per_terminal_user.0,
            terminal_users: c.terminal_users,
            terminal_history: c
                .terminal_history
                .iter()
                .map(|h| TerminalUsersFrom {
                    on: h.on,
                    count: h.count,
                })
                .collect(),
            cancelled_on: c.cancelled_on,
            ends_on: c.ends_on,
        }
    }
}

/// The booking of the digital customer account.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerAccountExport {
    pub slug: String,
    pub booked_on: Date,
    pub customers: u32,
    pub tier: Tier,
    pub tier_history: Vec<TierChange>,
    pub unlimited_price_cents: Option<i64>,
    pub cancelled_on: Option<Date>,
    /// After a cancellation: the first day the customers can no longer log in.
    pub ends_on: Option<Date>,
}

impl From<FileLinksContract> for CustomerAccountExport {
    fn from(c: FileLinksContract) -> Self {
        Self {
            ends_on: c.ends_on(),
            slug: c.slug,
            booked_on: c.booked_on,
            customers: c.customers,
            tier: c.tier,
            tier_history: c.tier_history,
            unlimited_price_cents: c.unlimited_price.map(|p| p.0),
            cancelled_on: c.cancelled_on,
        }
    }
}
