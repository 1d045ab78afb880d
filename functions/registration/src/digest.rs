//! The daily digest to platform managers: once a day (EventBridge Scheduler, 07:00
//! Europe/Berlin), each manager with something waiting on one of their platforms gets one
//! mail listing the pending applications and the offers waiting for review, each with the
//! day it started waiting, and a link to the platform's console. Nothing waits: no mail.
//!
//! Idempotent per manager and day: the mail is written to the outbox in one transaction with
//! a marker `DIGEST#<account>` / `<day>` put only if absent, so a repeated run the same day
//! sends nothing new.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;
use shared::Result;
use shared::auth::Role;
use shared::clock::{berlin_date, german_date};
use shared::domain::PlatformId;
use shared::env::Env;
use shared::mail::pending::PendingMails;
use shared::model::accounts::{Login, MANAGERS_INDEX};
use shared::model::platforms::{Platform, platform_key};
use shared::model::reviews::{WaitingReview, review_index};
use shared::model::subscriptions::{Application, ApplicationStatus, applications_index};
use shared::model::{from_item, to_item};
use shared::store::{Cond, Index, Key, Query, SkCond, StoreError, TxOp};

use crate::mails;

const DIGEST_PREFIX: &str = "DIGEST#";
/// The marker's write in the digest's transaction.
const MARKER_OP: &str = "digest_marker";
/// Markers are kept a week, then expire.
const MARKER_DAYS: i64 = 7;

/// The record that `account`'s digest of a day went out; it expires (`ttl`) after a week.
#[derive(Serialize)]
struct Marker {
    ttl: i64,
}

/// The marker of `account`'s digest of `day`.
pub fn marker_key(account: &str, day: Date) -> Key {
    Key::new(format!("{DIGEST_PREFIX}{account}"), day.to_string())
}

/// Whether a Lambda event is the schedule's: EventBridge events carry a `detail-type`,
/// API Gateway's never do (the bucket's logo events are told apart before).
pub fn is_schedule(event: &serde_json::Value) -> bool {
    event.get("detail-type").and_then(|d| d.as_str()) == Some("Scheduled Event")
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct DigestSummary {
    /// Managers mailed now.
    pub sent: u64,
    /// Managers with something waiting who had their digest of the day already.
    pub already_sent: u64,
    /// Managers with nothing waiting.
    pub nothing_waiting: u64,
}

impl std::fmt::Display for DigestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} Übersichten versandt, {} schon heute versandt, {} ohne Wartendes",
            self.sent, self.already_sent, self.nothing_waiting
        )
    }
}

/// What waits on one platform, oldest first.
#[derive(Debug, Clone)]
struct Waiting {
    name: String,
    applications: Vec<Application>,
    reviews: Vec<WaitingReview>,
}

impl Waiting {
    fn is_empty(&self) -> bool {
        self.applications.is_empty() && self.reviews.is_empty()
    }
}

async fn waiting_on(env: &Env, platform: &PlatformId) -> Result<Waiting> {
    let name = match env.table.get(&platform_key(platform)).await? {
        Some(item) => from_item::<Platform>(item)?.name,
        None => platform.to_string(),
    };
    let applications = env
        .table
        .query_all(
            Query::partition(Index::Gsi1, applications_index(platform)).sk(SkCond::BeginsWith(
                ApplicationStatus::Pending.index_prefix(),
            )),
        )
        .await?
        .into_iter()
        .map(from_item::<Application>)
        .collect::<Result<Vec<_>>>()?;
    let reviews = env
        .table
        .query_all(Query::partition(Index::Gsi1, review_index(platform)))
        .await?
        .into_iter()
        .map(from_item::<WaitingReview>)
        .collect::<Result<Vec<_>>>()?;
    Ok(Waiting {
        name,
        applications,
        reviews,
    })
}

/// The mail's list: per platform its link, then what waits there since when.
fn render_list(base_url: &str, waiting: &[(&PlatformId, &Waiting)]) -> String {
    let base = base_url.trim_end_matches('/');
    let mut out = String::new();
    for (platform, w) in waiting.iter().filter(|(_, w)| !w.is_empty()) {
        out.push_str(&format!("{}: {base}/plattform/{platform}\n", w.name));
        if !w.applications.is_empty() {
            out.push_str(&format!("Bewerbungen ({}):\n", w.applications.len()));
            for a in &w.applications {
                out.push_str(&format!(
                    "– {}, wartet seit {}\n",
                    a.company,
                    german_date(berlin_date(a.applied_at))
                ));
            }
        }
        if !w.reviews.is_empty() {
            out.push_str(&format!("Angebote zur Prüfung ({}):\n", w.reviews.len()));
            for r in &w.reviews {
                out.push_str(&format!(
                    "– „{}“ von {}{}, wartet seit {}\n",
                    r.content.title,
                    r.company,
                    if r.revision { " (Überarbeitung)" } else { "" },
                    german_date(berlin_date(r.submitted_at))
                ));
            }
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The digest of `day` for every manager with something waiting.
pub async fn run(env: &Env, day: Date) -> Result<DigestSummary> {
    let key = env.data_key()?;
    let managers = env
        .table
        .query_all(Query::partition(Index::Gsi1, MANAGERS_INDEX))
        .await?
        .into_iter()
        .map(from_item::<Login>)
        .collect::<Result<Vec<_>>>()?;
    let mut by_platform: BTreeMap<PlatformId, Waiting> = BTreeMap::new();
    let mut summary = DigestSummary::default();
    let outgoing = PendingMails::of(env);
    for manager in managers {
        // Invited but not yet accepted, or disabled: no digest.
        if manager.role != Role::Manager || !manager.confirmed || manager.password_hash.is_none() {
            continue;
        }
        let mut waiting = Vec::new();
        for platform in &manager.platforms {
            if !by_platform.contains_key(platform) {
                let w = waiting_on(env, platform).await?;
                by_platform.insert(platform.clone(), w);
            }
        }
        for platform in &manager.platforms {
            if let Some(w) = by_platform.get(platform) {
                waiting.push((platform, w));
            }
        }
        let total: usize = waiting
            .iter()
            .map(|(_, w)| w.applications.len() + w.reviews.len())
            .sum();
        if total == 0 {
            summary.nothing_waiting += 1;
            continue;
        }
        let list = render_list(&env.public_base_url, &waiting);
        let count = total.to_string();
        let email = manager.email.open(key)?;
        let greeting = match manager.name.trim() {
            "" => "Guten Tag".to_string(),
            name => format!("Guten Tag {name}"),
        };
        let mail = mails::render(
            &email,
            mails::MANAGER_DIGEST,
            &[
                ("greeting", &greeting),
                ("count", &count),
                ("day", &german_date(day)),
                ("list", &list),
            ],
        );
        let (pending, mail_op) = outgoing.enqueue(mail)?;
        let expires = env.clock.epoch() + MARKER_DAYS * 86_400;
        let marker = to_item(
            &marker_key(manager.account_id.as_str(), day),
            &Marker { ttl: expires },
        )?;
        let ops = vec![
            TxOp::Put {
                item: marker,
                cond: Cond::NotExists,
            }
            .named(MARKER_OP),
            mail_op,
        ];
        match env.table.transact(ops).await {
            Ok(()) => {
                outgoing.deliver(pending).await;
                summary.sent += 1;
            }
            Err(StoreError::TxCancelled { failed: MARKER_OP }) => summary.already_sent += 1,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(%summary, "manager digest");
    Ok(summary)
}

/// The scheduled invocation: the digest of today (Europe/Berlin).
pub async fn handle(env: &Env) -> Result<DigestSummary> {
    run(env, env.clock.today()).await
}
