//! Closing a partner account: `GET /partners/me/closure` says what closing does today,
//! `POST /partners/me/closure` does it (docs/registration.md, Closing the account).

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::auth::{Authenticated, Ended, PartnerAuth, revoke_op};
use shared::domain::{Month, PlatformId};
use shared::env::AppState;
use shared::http::{ApiJson, Validator};
use shared::mail::pending::{PendingMail, PendingMails};
use shared::model::accounts::{self, Found};
use shared::model::contracts::cards::{self, CardContract};
use shared::model::contracts::file_links::{self, FileLinksContract, Tier};
use shared::model::from_item;
use shared::model::partners::{self, Partner, partner_key, partner_pk};
use shared::model::placements::{BookingState, PlacementBooking, bookings_from};
use shared::model::platforms::Platform;
use shared::model::platforms::platform_key;
use shared::model::subscriptions::{APPLICATION_PREFIX, Application, ApplicationStatus};
use shared::openapi::{Conflict, TooManyRequests, Unprocessable};
use shared::store::{Cond, Index, Named, Query, SkCond, StoreError, TxOp, Update};
use shared::{Error, FieldError, Result};
use utoipa::ToSchema;

use crate::applications;
use crate::login::Client;
use crate::mails;
use crate::profile::load_partner;
use crate::signed_in;

/// Steps of the closing's transaction, besides the applications'
/// (`applications::APPLICATION_OP`), the contracts' (`cards::CONTRACT_OP`,
/// `file_links::CANCEL_OP`), the revocation (`shared::auth::revocation::REVOKE_OP`) and the
/// mail.
mod step {
    pub const LOGIN: &str = "close_login";
    pub const PARTNER: &str = "close_partner";
}

/// What happens to an application or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A pending application: withdrawn at once.
    Withdrawn,
    /// A subscription: runs to `last_day` (the notice period; already cancelled ones keep
    /// their end), billed to the end.
    Cancelled,
}

/// One platform.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionEnd {
    pub platform_id: PlatformId,
    pub platform_name: String,
    pub outcome: Outcome,
    /// The subscription's last day (Europe/Berlin); none for a withdrawn application.
    pub last_day: Option<Date>,
    /// The platform's monthly fee, net, billed for every month to the last day's.
    pub monthly_fee_cents: Option<i64>,
}

/// The card contract: it cannot end before its term does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardContractEnd {
    pub signed_on: Date,
    /// The contract's last day: the current term's end while its notice period is open, else
    /// the next term's.
    pub last_day: Date,
    pub fee_per_terminal_user_cents: i64,
    pub terminal_users: u32,
}

/// The digital customer account: the paid year runs to its end.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerAccountEnd {
    pub slug: String,
    /// The last day the partner's customers can log in.
    pub last_day: Date,
    pub customers: u32,
    pub tier: Tier,
}

/// A premium placement of a month not yet begun.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlacementAhead {
    pub platform_id: PlatformId,
    pub offer_id: String,
    pub kind_name: String,
    pub month: Month,
    pub price_cents: i64,
    /// Whether the subscription on its platform still runs in that month: shown and billed.
    /// One that is not must be cancelled before the account can be closed.
    pub shown: bool,
}

/// What is kept and what is deleted, and what other parts of partnernetz keep, in German.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosureNotes {
    pub login: String,
    pub invoices: String,
    pub kept: Vec<String>,
    pub deleted: Vec<String>,
    pub elsewhere: Vec<String>,
}

/// What closing the account does (`status` `open`), or did (`closed`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClosurePlan {
    /// `open` or `closed`.
    pub status: String,
    pub message: String,
    /// The day of closing (Europe/Berlin).
    pub closes_on: Date,
    pub subscriptions: Vec<SubscriptionEnd>,
    pub card_contract: Option<CardContractEnd>,
    pub customer_account: Option<CustomerAccountEnd>,
    pub placements: Vec<PlacementAhead>,
    /// The last month an invoice charges for what runs on; none when nothing does.
    pub last_billed_month: Option<Month>,
    pub notes: ClosureNotes,
    /// What must be done before the account can be closed (`field` and German `message`);
    /// empty when it can be.
    pub blockers: Vec<Blocker>,
}

/// Something to do before closing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Blocker {
    pub field: String,
    pub message: String,
}

/// The partner's records closing acts on, as read.
struct Holdings {
    partner: Partner,
    applications: Vec<Application>,
    fees: Vec<(PlatformId, i64)>,
    card_contract: Option<CardContract>,
    customer_account: Option<FileLinksContract>,
    placements: Vec<PlacementBooking>,
}

async fn holdings(state: &AppState, partner: Partner, today: Date) -> Result<Holdings> {
    let id = partner.partner_id.clone();
    let table = state.table.as_ref();
    let applications: Vec<Application> = table
        .query_all(
            Query::partition(Index::Primary, partner_pk(&id))
                .sk(SkCond::BeginsWith(APPLICATION_PREFIX.into())),
        )
        .await?
        .into_iter()
        .map(from_item)
        .collect::<Result<_>>()?;
    let mut fees = Vec::new();
    for app in applications.iter().filter(|a| a.runs_on(today)) {
        if let Some(item) = table.get(&platform_key(&app.platform_id)).await? {
            let platform: Platform = from_item(item)?;
            fees.push((app.platform_id.clone(), platform.monthly_fee.0));
        }
    }
    let customer_account = match table.get(&file_links::key(&id)).await? {
        Some(item) => Some(from_item(item)?),
        None => None,
    };
    let placements = table
        .query_all(bookings_from(&id, Month::of(today).next()))
        .await?
        .into_iter()
        .map(from_item::<PlacementBooking>)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|b| b.state == BookingState::Booked)
        .collect();
    Ok(Holdings {
        card_contract: cards::load(table, &id).await?,
        partner,
        applications,
        fees,
        customer_account,
        placements,
    })
}

/// A subscription's end if the partner closes on `today`: the notice period's end, or the
/// end of one already cancelled; `None` when nothing of it runs any more.
fn subscription_end(
    app: &Application,
    today: Date,
    now: Timestamp,
) -> Option<(Outcome, Option<Date>)> {
    match app.status {
        ApplicationStatus::Cancelled if app.runs_on(today) => {
            Some((Outcome::Cancelled, app.ends_on))
        }
        _ => applications::ended_by_partner(app, today, now).map(|ended| match ended.ends_on {
            Some(end) => (Outcome::Cancelled, Some(end)),
            None => (Outcome::Withdrawn, None),
        }),
    }
}

fn card_end(c: &CardContract, today: Date) -> Option<Date> {
    match c.ends_on {
        Some(end) if end < today => None,
        Some(end) => Some(end),
        None => Some(c.end_if_cancelled_on(today)),
    }
}

fn customer_account_end(c: &FileLinksContract, today: Date) -> Option<Date> {
    let cancelled = if c.is_cancelled() {
        c.clone()
    } else {
        c.cancelled(today)
    };
    cancelled
        .runs_on(today)
        .then(|| {
            cancelled
                .ends_on()
                .and_then(|first_day_without| first_day_without.yesterday().ok())
        })
        .flatten()
}

/// What closing on `today` does to what the partner holds.
fn plan(h: &Holdings, today: Date, now: Timestamp) -> ClosurePlan {
    let fee_of = |p: &PlatformId| h.fees.iter().find(|(id, _)| id == p).map(|(_, fee)| *fee);
    let subscriptions: Vec<SubscriptionEnd> = h
        .applications
        .iter()
        .filter_map(|app| {
            let (outcome, last_day) = subscription_end(app, today, now)?;
            Some(SubscriptionEnd {
                platform_id: app.platform_id.clone(),
                platform_name: app.platform_name.clone(),
                outcome,
                last_day,
                monthly_fee_cents: last_day.and(fee_of(&app.platform_id)),
            })
        })
        .collect();
    let card_contract = h.card_contract.as_ref().and_then(|c| {
        Some(CardContractEnd {
            signed_on: c.signed_on,
            last_day: card_end(c, today)?,
            fee_per_terminal_user_cents: c.fee_per_terminal_user.0,
            terminal_users: c.terminal_users,
        })
    });
    let customer_account = h.customer_account.as_ref().and_then(|c| {
        Some(CustomerAccountEnd {
            slug: c.slug.clone(),
            last_day: customer_account_end(c, today)?,
            customers: c.customers,
            tier: c.tier,
        })
    });
    let shown_until = |platform: &PlatformId| {
        subscriptions
            .iter()
            .find(|s| &s.platform_id == platform)
            .and_then(|s| s.last_day)
    };
    let placements: Vec<PlacementAhead> = h
        .placements
        .iter()
        .map(|b| PlacementAhead {
            platform_id: b.platform_id.clone(),
            offer_id: b.offer_id.clone(),
            kind_name: b.kind_name.clone(),
            month: b.month,
            price_cents: b.price.0,
            shown: shown_until(&b.platform_id).is_some_and(|last| b.month.first() <= last),
        })
        .collect();
    let blockers = placements
        .iter()
        .filter(|p| !p.shown)
        .map(|p| Blocker {
            field: "placements".into(),
            message: format!(
                "Die Platzierung „{}“ im {} liegt nach dem Ende Ihrer Teilnahme an dieser Plattform. Bitte stornieren Sie sie zuerst.",
                p.kind_name,
                p.month.german()
            ),
        })
        .collect();
    let last_billed_month = subscriptions
        .iter()
        .filter_map(|s| s.last_day)
        .chain(card_contract.iter().map(|c| c.last_day))
        .map(Month::of)
        .chain(placements.iter().filter(|p| p.shown).map(|p| p.month))
        .max();
    let notes = notes(&h.partner, last_billed_month, customer_account.as_ref());
    ClosurePlan {
        status: "open".into(),
        message: "So wirkt sich das Schließen Ihres Partnerkontos heute aus.".into(),
        closes_on: today,
        subscriptions,
        card_contract,
        customer_account,
        placements,
        last_billed_month,
        notes,
        blockers,
    }
}

fn notes(
    partner: &Partner,
    last_billed_month: Option<Month>,
    customer_account: Option<&CustomerAccountEnd>,
) -> ClosureNotes {
    let invoices = match last_billed_month {
        Some(month) => format!(
            "Bis einschließlich {} stellen wir die laufenden Verträge weiter in Rechnung. Die Rechnungen gehen per E-Mail an {}, offene Beträge ziehen wir wie bisher per SEPA-Lastschrift ein.",
            month.german(),
            partner.email
        ),
        None => format!(
            "Es laufen keine Verträge weiter. Bereits gestellte Rechnungen ziehen wir wie bisher per SEPA-Lastschrift ein; Gutschriften und Rechnungen gehen per E-Mail an {}.",
            partner.email
        ),
    };
    let mut elsewhere = vec![
        "Ihre Angebote bleiben auf einer Plattform sichtbar, bis Ihre Teilnahme dort endet; gebuchte Platzierungen bis dahin werden gezeigt und berechnet.".to_string(),
        "Empfehlungsprogramme nehmen keine neuen Teilnehmenden auf, sobald keine Teilnahme mehr läuft. API-Schlüssel bleiben gültig, bis Sie sie widerrufen: Widerrufen Sie sie vorher unter „Empfehlungen“, sonst werden gemeldete Abschlüsse weiter vergütet und Ihnen berechnet.".to_string(),
        "Rechnungen laden Sie nach dem Schließen nicht mehr im Portal herunter; Sie erhalten jede als PDF per E-Mail. Laden Sie vorher Ihre Daten und Rechnungen herunter, wenn Sie sie im Portal haben möchten.".to_string(),
    ];
    if let Some(account) = customer_account {
        elsewhere.push(format!(
            "Ihre Kundinnen und Kunden melden sich bis einschließlich {} im digitalen Kundenkonto an; das bezahlte Jahr wird nicht erstattet.",
            mails::german_date(account.last_day)
        ));
    }
    ClosureNotes {
        login: "Sie und alle Ihre Geräte werden sofort abgemeldet; eine Anmeldung ist danach nicht mehr möglich.".into(),
        invoices,
        kept: vec![
            "Rechnungen, Gutschriften und Lastschriftbelege bewahren wir zehn Jahre auf (§ 147 AO, § 257 HGB).".into(),
            "Firmenname, Anschrift, USt-IdNr., Ansprechpartner, E-Mail-Adresse und SEPA-Mandat bleiben gespeichert, solange wir noch Rechnungen stellen oder einziehen, und danach so lange wie die Rechnungen, auf denen sie stehen.".into(),
            "Ihre Anmeldeadresse bleibt als gesperrter Zugang ohne Passwort bestehen; sie lässt sich nicht für ein neues Konto verwenden.".into(),
        ],
        deleted: vec![
            "Ihr Passwort wird sofort gelöscht; alle Sitzungen und Links aus unseren E-Mails werden ungültig.".into(),
            "Ihre Telefonnummer wird sofort gelöscht.".into(),
        ],
        elsewhere,
    }
}

/// The plan of an account that is closed: what runs on, as the records now say.
fn closed_plan(h: &Holdings, today: Date, now: Timestamp, closed_at: Timestamp) -> ClosurePlan {
    let mut plan = plan(h, today, now);
    plan.status = "closed".into();
    plan.message = format!(
        "Ihr Partnerkonto wurde am {} geschlossen.",
        mails::german_date(shared::clock::berlin_date(closed_at))
    );
    plan.closes_on = shared::clock::berlin_date(closed_at);
    // What is listed runs out by itself; nothing is left to do.
    plan.blockers.clear();
    plan
}

/// What closing the account would do today: each subscription's last day, the card
/// contract's and the customer account's end, the placements ahead, the last month billed,
/// what is kept for how long and what is deleted; `blockers` names what must be done first.
#[utoipa::path(get, path = "/partners/me/closure", tag = "profile",
    responses((status = 200, description = "What closing does today.", body = ClosurePlan)))]
pub async fn preview(
    State(state): State<AppState>,
    auth: PartnerAuth,
) -> Result<Json<ClosurePlan>> {
    let partner = load_partner(&state, &auth.partner_id).await?;
    let today = state.clock.today();
    let h = holdings(&state, partner, today).await?;
    Ok(Json(plan(&h, today, state.clock.now())))
}

/// A partner's valid token, also once the account is closed: closing answers its own
/// retry with what it did.
pub struct Closing(pub PartnerAuth);

impl FromRequestParts<AppState> for Closing {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        PartnerAuth::of(claims).map(Closing)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "mein-bisheriges-passwort"}))]
pub struct CloseAccount {
    /// The password the partner logs in with.
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: String,
}

/// Close the partner account, as `GET /partners/me/closure` said.
///
/// Needs the current password (counted like a login attempt; 422 naming
/// `current_password` when wrong) and nothing in `blockers` (else 422 naming
/// `placements`). At once: the login is disabled and holds no password any more, every token
/// of the account is refused and every session ends; pending applications are withdrawn,
/// subscriptions, the card contract and the customer account cancelled to their normal end;
/// the phone number is deleted; a mail confirms it. Idempotent: the same token asking again
/// gets what closing did (`status` `closed`).
#[utoipa::path(post, path = "/partners/me/closure", tag = "profile", request_body = CloseAccount,
    responses(
        (status = 200, description = "Closed; what runs on and until when.", body = ClosurePlan),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    ))]
pub async fn close(
    State(state): State<AppState>,
    Client(client): Client,
    Closing(auth): Closing,
    ApiJson(body): ApiJson<CloseAccount>,
) -> Result<Json<ClosurePlan>> {
    let mut v = Validator::new();
    signed_in::check_current(&mut v, &body.current_password);
    v.finish()?;
    let partner = load_partner(&state, &auth.partner_id).await?;
    if let Some(closed_at) = partner.closed_at {
        return already_closed(&state, partner, closed_at).await;
    }
    let own = signed_in::own_login(&state, &auth.claims, None).await?;
    let found = signed_in::confirm_password(&state, &client, own, &body.current_password).await?;
    let (today, now) = (state.clock.today(), state.clock.now());
    let h = holdings(&state, partner, today).await?;
    let plan = plan(&h, today, now);
    if !plan.blockers.is_empty() {
        return Err(Error::UnprocessableFields {
            detail: "Vor dem Schließen ist noch etwas zu erledigen.".into(),
            errors: plan
                .blockers
                .iter()
                .map(|b| FieldError::new(b.field.clone(), b.message.clone()))
                .collect(),
        });
    }
    let (mail, ops) = close_ops(&state, &h, &found, &plan)?;
    match state.table.transact(ops).await {
        Ok(()) => {}
        // Closed, or changed, meanwhile (a second tab): what is stored now answers.
        Err(StoreError::TxCancelled { .. }) => {
            let partner = load_partner(&state, &auth.partner_id).await?;
            return match partner.closed_at {
                Some(closed_at) => already_closed(&state, partner, closed_at).await,
                None => Err(Error::Conflict(
                    "Ihr Konto wurde gerade geändert. Bitte prüfen Sie die Übersicht noch einmal."
                        .into(),
                )),
            };
        }
        Err(e) => return Err(e.into()),
    }
    PendingMails::of(&state).deliver(mail).await;
    tracing::info!(partner_id = %auth.partner_id, "partner account closed");
    let mut plan = plan;
    plan.status = "closed".into();
    plan.message =
        "Ihr Partnerkonto ist geschlossen. Eine Bestätigung ist per E-Mail unterwegs.".into();
    Ok(Json(plan))
}

async fn already_closed(
    state: &AppState,
    partner: Partner,
    closed_at: Timestamp,
) -> Result<Json<ClosurePlan>> {
    let today = state.clock.today();
    let h = holdings(state, partner, today).await?;
    Ok(Json(closed_plan(&h, today, state.clock.now(), closed_at)))
}

/// The closing as one transaction, and its confirmation mail.
fn close_ops(
    state: &AppState,
    h: &Holdings,
    found: &Found,
    plan: &ClosurePlan,
) -> Result<(PendingMail, Vec<Named>)> {
    let (today, now, epoch) = (state.clock.today(), state.clock.now(), state.clock.epoch());
    let login = &found.login;
    let mut ops = vec![
        TxOp::Update {
            key: login.key(),
            ops: vec![
                Update::Set(accounts::attr::DISABLED, true.into()),
                Update::Set(accounts::attr::CLOSED_AT, serde_json::to_value(now)?),
                Update::Add(accounts::attr::GENERATION, 1),
                Update::Remove(accounts::attr::PASSWORD_HASH),
            ],
            cond: accounts::current(&login.account_id, login.generation),
        }
        .named(step::LOGIN),
        revoke_op(&login.account_id, Ended::Closed, epoch),
        TxOp::Update {
            key: partner_key(&h.partner.partner_id),
            ops: vec![
                Update::Set(partners::attr::CLOSED_AT, serde_json::to_value(now)?),
                Update::Remove(partners::attr::PHONE),
            ],
            cond: Cond::Absent(partners::attr::CLOSED_AT),
        }
        .named(step::PARTNER),
    ];
    for app in &h.applications {
        if let Some(ended) = applications::ended_by_partner(app, today, now) {
            ops.push(applications::transition_op(&ended, Some(app.status))?);
        }
    }
    if let Some(c) = h
        .card_contract
        .as_ref()
        .filter(|c| c.cancelled_on.is_none())
    {
        ops.push(c.cancel_op(today));
    }
    if let Some(c) = h.customer_account.as_ref().filter(|c| !c.is_cancelled()) {
        ops.push(c.cancel_op(today)?);
    }
    let partner = &h.partner;
    let closed_on = mails::german_date(today);
    let summary = summary(plan);
    let (mail, mail_op) = PendingMails::of(state).enqueue(mails::render(
        &partner.email,
        mails::ACCOUNT_CLOSED,
        &[
            ("contact_name", &partner.contact_name),
            ("company", &partner.company),
            ("closed_at", &closed_on),
            ("summary", &summary),
        ],
    ))?;
    ops.push(mail_op);
    Ok((mail, ops))
}

/// The plan as the confirmation mail states it.
fn summary(plan: &ClosurePlan) -> String {
    let mut lines = Vec::new();
    for s in &plan.subscriptions {
        lines.push(match s.last_day {
            Some(day) => format!(
                "Ihre Teilnahme an {} endet mit Ablauf des {}.",
                s.platform_name,
                mails::german_date(day)
            ),
            None => format!("Ihre Bewerbung bei {} ist zurückgezogen.", s.platform_name),
        });
    }
    if let Some(c) = &plan.card_contract {
        lines.push(format!(
            "Ihr Kartenvertrag endet mit Ablauf des {}.",
            mails::german_date(c.last_day)
        ));
    }
    if let Some(c) = &plan.customer_account {
        lines.push(format!(
            "Ihre Kundinnen und Kunden melden sich bis einschließlich {} im digitalen Kundenkonto an.",
            mails::german_date(c.last_day)
        ));
    }
    lines.push(plan.notes.invoices.clone());
    lines.extend(plan.notes.kept.iter().cloned());
    lines.extend(plan.notes.deleted.iter().cloned());
    lines.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn contract(booked: Date) -> FileLinksContract {
        FileLinksContract::book(
            shared::domain::PartnerId::from_raw("p"),
            "kanzlei".into(),
            Timestamp::UNIX_EPOCH,
            booked,
        )
    }

    #[test]
    fn the_customer_account_runs_to_the_day_before_its_next_anniversary() {
        let c = contract(date(2026, 3, 10));
        assert_eq!(
            customer_account_end(&c, date(2026, 11, 16)),
            Some(date(2027, 3, 9))
        );
        // Cancelled before and run out: nothing to say.
        let ended = contract(date(2024, 3, 10)).cancelled(date(2024, 5, 1));
        assert_eq!(customer_account_end(&ended, date(2026, 11, 16)), None);
    }
}
