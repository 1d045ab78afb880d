//! Who may run referral programs and on which platforms: cash rewards are billed to the
//! partner that owes them (SEPA direct debit), so a program goes live only for a partner with
//! a mandate and a running subscription; an end user joins only programs of partners the end
//! user's platform has approved.

use jiff::civil::Date;
use shared::domain::{PartnerId, PlatformId};
use shared::model::from_item;
use shared::model::partners::{Partner, partner_key, partner_pk};
use shared::model::subscriptions::{APPLICATION_PREFIX, Application, application_key};
use shared::store::{Index, Query, SkCond, Table};
use shared::{Error, Result};

/// 422 unless the partner has given a SEPA mandate and runs a subscription on at least one
/// platform on `day`.
pub async fn ensure_may_run_programs(
    table: &dyn Table,
    partner: &PartnerId,
    day: Date,
) -> Result<()> {
    let has_mandate = match table.get(&partner_key(partner)).await? {
        Some(item) => from_item::<Partner>(item)?.mandate.is_some(),
        None => false,
    };
    let subscribed = table
        .query_all(
            Query::partition(Index::Primary, partner_pk(partner))
                .sk(SkCond::BeginsWith(APPLICATION_PREFIX.into())),
        )
        .await?
        .into_iter()
        .map(from_item::<Application>)
        .collect::<Result<Vec<_>>>()?
        .iter()
        .any(|app| app.subscribed_on(day));
    match (has_mandate, subscribed) {
        (true, true) => Ok(()),
        (false, _) => Err(Error::Unprocessable(
            "Ein Empfehlungsprogramm startet erst, wenn Sie ein SEPA-Lastschriftmandat erteilt \
             haben: Prämien werden Ihnen in Rechnung gestellt."
                .into(),
        )),
        (true, false) => Err(Error::Unprocessable(
            "Ein Empfehlungsprogramm startet erst, wenn Sie auf mindestens einer Plattform \
             zugelassen sind."
                .into(),
        )),
    }
}

/// Whether `platform` shows `partner` on `day` (its subscription there runs).
pub async fn approved_on(
    table: &dyn Table,
    partner: &PartnerId,
    platform: &PlatformId,
    day: Date,
) -> Result<bool> {
    Ok(
        match table.get(&application_key(partner, platform)).await? {
            Some(item) => from_item::<Application>(item)?.subscribed_on(day),
            None => false,
        },
    )
}
