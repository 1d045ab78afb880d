//! Whether a partner's subscription to a platform runs: the condition for submitting there
//! and for being shown there, read from registration's application record.

use std::collections::HashMap;

use jiff::civil::Date;
use shared::Result;
use shared::domain::{PartnerId, PlatformId};
use shared::model::from_item;
use shared::model::subscriptions::{Application, application_key};
use shared::store::{Consistency, Table};

/// Approved and not yet ended on `day` (a cancelled subscription runs to its end date).
pub fn runs(app: &Application, day: Date) -> bool {
    app.subscribed_on(day)
}

pub async fn load(
    table: &dyn Table,
    partner: &PartnerId,
    platform: &PlatformId,
    consistency: Consistency,
) -> Result<Option<Application>> {
    match table
        .get_with(&application_key(partner, platform), consistency)
        .await?
    {
        Some(item) => Ok(Some(from_item(item)?)),
        None => Ok(None),
    }
}

/// Whether the subscription runs on `day`.
pub async fn runs_on(
    table: &dyn Table,
    partner: &PartnerId,
    platform: &PlatformId,
    day: Date,
    consistency: Consistency,
) -> Result<bool> {
    Ok(load(table, partner, platform, consistency)
        .await?
        .is_some_and(|app| runs(&app, day)))
}

/// The answers for one feed page: each partner on the page is read once.
#[derive(Debug, Default)]
pub struct PageCheck {
    known: HashMap<PartnerId, bool>,
}

impl PageCheck {
    pub async fn runs(
        &mut self,
        table: &dyn Table,
        partner: &PartnerId,
        platform: &PlatformId,
        day: Date,
    ) -> Result<bool> {
        if let Some(known) = self.known.get(partner) {
            return Ok(*known);
        }
        // A feed may lag a write by a second; a subscription ends by the day.
        let runs = runs_on(table, partner, platform, day, Consistency::Eventual).await?;
        self.known.insert(partner.clone(), runs);
        Ok(runs)
    }
}
