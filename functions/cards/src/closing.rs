//! The end of a card contract (seed 002: "Eine weitere Nutzung der Kundenkarten ohne das
//! System ist nicht mehr möglich"). Once a contract is cancelled, every card of the merchant
//! carries its last day ([`crate::card::usable`] refuses the card after it, so a lookup
//! stays one read); once it has ended, the terminal users' logins are removed. The daily run
//! does both: a cancellation is always at least three months before the end, so there are
//! many nights to do it in, and each night finds what is left to do. The export goes on
//! working after the end.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::clock::berlin;
use shared::domain::PartnerId;
use shared::model::contracts::cards as contract;
use shared::model::partners::partner_pk;
use shared::model::{from_item, to_item};
use shared::store::{Cond, Key, StoreError, Table, Update};
use shared::{Error, Result};

use crate::card::{self, IndexEntry, attr};
use crate::terminals::{self, Disabled};

/// Written once every card of the merchant carries the contract's end.
const STAMPED_SK: &str = "CARDS#CONTRACT_END";

fn stamped_key(partner: &PartnerId) -> Key {
    Key::new(partner_pk(partner), STAMPED_SK)
}

#[derive(Debug, Serialize, Deserialize)]
struct Stamped {
    ends_on: Date,
}

/// What one night did for a merchant's contract end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Closing {
    pub cards_stamped: u64,
    pub terminal_users_disabled: u64,
}

/// The contract-end work due for `partner` on `day`.
pub async fn close(table: &dyn Table, partner: &PartnerId, day: Date) -> Result<Closing> {
    let mut done = Closing::default();
    let Some(ends_on) = contract::load(table, partner)
        .await?
        .and_then(|c| c.ends_on)
    else {
        return Ok(done);
    };
    done.cards_stamped = stamp_cards(table, partner, ends_on).await?;
    if ends_on < day {
        // Every token issued up to the end of `day` (no login is left to issue one after).
        let until = day
            .tomorrow()
            .and_then(|d| d.to_zoned(berlin()))
            .map_err(Error::internal)?
            .timestamp()
            .as_second();
        for user in terminals::all_of(table, partner).await? {
            if let Disabled::Done(_) =
                terminals::disable_user(table, partner, user, day, until).await?
            {
                done.terminal_users_disabled += 1;
            }
        }
    }
    Ok(done)
}

/// Gives every card of the merchant the contract's last day, unless that was done.
async fn stamp_cards(table: &dyn Table, partner: &PartnerId, ends_on: Date) -> Result<u64> {
    let key = stamped_key(partner);
    if let Some(item) = table.get(&key).await? {
        let stamped: Stamped = from_item(item)?;
        if stamped.ends_on == ends_on {
            return Ok(0);
        }
    }
    let mut count = 0;
    for item in table.query_all(card::index_query(partner, "")).await? {
        let entry: IndexEntry = from_item(item)?;
        match table
            .update(
                &card::card_key(&entry.number),
                &[Update::Set(
                    attr::CONTRACT_ENDS_ON,
                    ends_on.to_string().into(),
                )],
                Cond::Exists,
            )
            .await
        {
            Ok(_) => count += 1,
            Err(StoreError::ConditionFailed) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Last: a night that failed half-way stamps again.
    table
        .put(to_item(&key, &Stamped { ends_on })?, Cond::Always)
        .await?;
    Ok(count)
}
