//! The conversion API (`X-Api-Key`): a partner reports what a referred customer did; the
//! referrer's reward is created pending, confirmed after the hold days by the daily run, or
//! reversed by a refund. Reports are idempotent by the partner's external id.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::crypto::sha256_hex;
use shared::domain::{AccountId, Cents, Month, ProgramId, new_id};
use shared::env::AppState;
use shared::http::{ApiJson, ApiPath, Validator};
use shared::model::referrals::{CODE_LEN, Click, Link, click_key, link_key};
use shared::model::rewards;
use shared::model::{from_item, to_item};
use shared::openapi::{Conflict, NotFound, Unauthorized, Unprocessable};
use shared::store::balance::{Amount, Balance};
use shared::store::{Cond, GSI1PK, GSI1SK, Named, StoreError, TxOp, Update};
use shared::{Error, Result};
use utoipa::ToSchema;

use crate::keys::ApiKeyAuth;
use crate::programs;
use crate::records::{
    Attribution, Conversion, Earned, Friend, LedgerEntry, Program, ProgramStatus, Reward,
    RewardStatus, VoucherStatus, attr, budget_key, conversion_key, friend_key, member_key,
    person_hash, points_key, stats_key, voucher_key, wallet_key,
};
use crate::step;
use crate::vouchers;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "click_id": "3f2a9c0d5e6b7a8c9d0e1f2a3b4c5d6e",
    "event": "purchase",
    "external_id": "bestellung-4711",
    "amount_cents": 12999,
    "customer": "kunde-8812"
}))]
pub struct ConversionInput {
    /// The `pn_click` the landing page received; or `code`.
    #[serde(default)]
    pub click_id: Option<String>,
    /// The link code, when no click id is known (e.g. a code typed at checkout).
    #[serde(default)]
    pub code: Option<String>,
    /// `signup`, `purchase` or a named action of the program.
    pub event: String,
    /// The partner's own id of this action (order number); a report is idempotent by it.
    pub external_id: String,
    /// The purchase amount (needed for percentage rewards).
    #[serde(default)]
    pub amount_cents: Option<i64>,
    /// The partner's reference of the referred customer (customer number or e-mail). Only a
    /// hash is kept: it ties recurring actions to the first one and refuses self-referrals.
    #[serde(default)]
    pub customer: Option<String>,
}

/// The answer to a report, the same for a repeated one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConversionReply {
    pub external_id: String,
    pub program_id: ProgramId,
    /// `pending`, or `none` with the reason.
    pub reward_status: RewardStatus,
    pub reward: Option<Earned>,
    /// When the reward is confirmed unless reversed.
    pub confirm_on: Option<Date>,
    /// The friend's share, for the partner to grant to the referred customer.
    pub friend_share: Option<Earned>,
    pub reason: Option<String>,
}

fn valid_external_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
}

/// Half up, in cents.
fn percent_of(amount: Cents, basis_points: u32) -> i64 {
    (amount.0 * i64::from(basis_points) + 5_000) / 10_000
}

/// What the rule pays and what of it goes to the friend.
fn earn(
    reward: &Reward,
    amount: Option<Cents>,
    friend_percent: Option<u32>,
) -> (Option<Earned>, Option<Earned>) {
    let split = |total: i64| -> (i64, i64) {
        let friend = friend_percent.map_or(0, |p| (total * i64::from(p) + 50) / 100);
        (total - friend, friend)
    };
    let cash = |c: i64| {
        (c > 0).then_some(Earned::Cash {
            amount_cents: Cents(c),
        })
    };
    match *reward {
        Reward::Fixed { amount_cents } => {
            let (r, f) = split(amount_cents.0);
            (cash(r), cash(f))
        }
        Reward::Percent { basis_points } => {
            let (r, f) = split(percent_of(amount.unwrap_or_default(), basis_points));
            (cash(r), cash(f))
        }
        Reward::Points { points } => {
            let (r, f) = split(points);
            let pts = |p: i64| (p > 0).then_some(Earned::Points { points: p });
            (pts(r), pts(f))
        }
        // A voucher is not split: the friend's share of it is none.
        Reward::Voucher { value_cents } => (
            (value_cents.0 > 0).then_some(Earned::Voucher { value_cents }),
            None,
        ),
    }
}

struct Attributed {
    link: Link,
    program: Program,
}

fn unknown_link() -> Error {
    Error::Unprocessable("Der Empfehlungslink oder Klick ist unbekannt oder abgelaufen.".into())
}

async fn attribute(
    state: &AppState,
    auth: &ApiKeyAuth,
    body: &ConversionInput,
) -> Result<Attributed> {
    let now = state.clock.epoch();
    let (code, clicked_at) = match (&body.click_id, &body.code) {
        (Some(click_id), _) => {
            if click_id.len() != 32 || !click_id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::field("click_id", "ist keine gültige Klick-ID"));
            }
            let item = state
                .table
                .get(&click_key(click_id))
                .await?
                .ok_or_else(unknown_link)?;
            let click: Click = from_item(item)?;
            (click.code, Some(click.clicked_at))
        }
        (None, Some(code)) => {
            if code.len() != CODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::field("code", "ist kein gültiger Link-Code"));
            }
            (code.clone(), None)
        }
        (None, None) => {
            return Err(Error::Validation(vec![
                shared::FieldError::new("click_id", "nennen Sie click_id oder code"),
                shared::FieldError::new("code", "nennen Sie click_id oder code"),
            ]));
        }
    };
    let item = state
        .table
        .get(&link_key(&code))
        .await?
        .ok_or_else(unknown_link)?;
    let link: Link = from_item(item)?;
    // Another partner's link is as unknown as no link.
    if link.partner_id != auth.partner_id {
        return Err(unknown_link());
    }
    let program = programs::load(state, &link.program_id).await?;
    if program.status == ProgramStatus::Ended {
        return Err(Error::Unprocessable(
            "Das Empfehlungsprogramm ist beendet.".into(),
        ));
    }
    if let Some(at) = clicked_at
        && at + i64::from(program.attribution_days) * 86_400 < now
    {
        return Err(Error::Unprocessable(
            "Der Klick liegt außerhalb des Zuordnungszeitraums.".into(),
        ));
    }
    Ok(Attributed { link, program })
}

fn stats_add(program: &ProgramId, day: Date, updates: Vec<Update>) -> Named {
    TxOp::Update {
        key: stats_key(program, day),
        ops: updates,
        cond: Cond::Always,
    }
    .named(step::STATS)
}

/// Report a conversion.
#[utoipa::path(post, path = "/conversions", tag = "conversions",
    summary = "Conversion melden",
    params(("x-api-key" = String, Header, description = "The partner's API key.")),
    request_body = ConversionInput,
    responses(
        (status = 201, description = "Recorded; the reward is pending (or none, with the reason).", body = ConversionReply),
        (status = 200, description = "Reported before with the same data: nothing changed.", body = ConversionReply),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
    ))]
pub async fn report(
    State(state): State<AppState>,
    auth: ApiKeyAuth,
    ApiJson(body): ApiJson<ConversionInput>,
) -> Result<(StatusCode, Json<Value>)> {
    let report = Report::check(body)?;
    Ok(match record(&state, &auth, &report).await? {
        Recorded::New(reply) => (StatusCode::CREATED, Json(reply)),
        Recorded::Repeated(reply) => (StatusCode::OK, Json(reply)),
    })
}

/// A conversion report whose fields passed their checks.
struct Report {
    input: ConversionInput,
    amount: Option<Cents>,
    customer_hash: Option<String>,
    /// Tells a repeated report (same data) from another one under the same external id.
    request_hash: String,
}

impl Report {
    fn check(input: ConversionInput) -> Result<Self> {
        let mut v = Validator::new();
        v.require(
            "external_id",
            valid_external_id(&input.external_id),
            "1 bis 100 Zeichen aus A-Z, a-z, 0-9 und - _ . : /",
        );
        v.require(
            "event",
            (1..=40).contains(&input.event.len())
                && input
                    .event
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'),
            "1 bis 40 Zeichen aus a-z, 0-9, _ und -",
        );
        let amount = input.amount_cents.and_then(|a| v.cents("amount_cents", a));
        let customer = v.optional_text("customer", input.customer.as_deref(), 200);
        v.finish()?;
        let request_hash = sha256_hex(
            serde_json::to_string(&input)
                .map_err(Error::internal)?
                .as_bytes(),
        );
        Ok(Self {
            amount,
            customer_hash: customer.as_deref().map(person_hash),
            request_hash,
            input,
        })
    }
}

/// What became of a report.
enum Recorded {
    /// Stored now (with a pending reward or none, and the reason).
    New(Value),
    /// Reported before with the same data: the answer of then.
    Repeated(Value),
}

/// Who is rewarded for a conversion and the writes that keep the friend's attribution.
struct Referral {
    referrer: AccountId,
    /// Past the program's months of recurring rewards for this friend.
    recurring_over: bool,
    friend_ops: Vec<Named>,
}

/// The friend's referrer (first click) or this link's (last click), and whether recurring
/// rewards for the friend have run out.
async fn referral(
    state: &AppState,
    link: &Link,
    program: &Program,
    customer_hash: Option<&str>,
    today: Date,
) -> Result<Referral> {
    let mut referral = Referral {
        referrer: link.referrer.clone(),
        recurring_over: false,
        friend_ops: Vec::new(),
    };
    let Some(hash) = customer_hash else {
        return Ok(referral);
    };
    let fkey = friend_key(&program.program_id, hash);
    let Some(item) = state.table.get(&fkey).await? else {
        let friend = Friend {
            referrer: link.referrer.clone(),
            code: link.code.clone(),
            first_action_on: today,
        };
        referral.friend_ops.push(
            TxOp::Put {
                item: to_item(&fkey, &friend)?,
                cond: Cond::NotExists,
            }
            .named(step::FRIEND),
        );
        return Ok(referral);
    };
    let friend: Friend = from_item(item)?;
    match program.attribution {
        Attribution::First => referral.referrer = friend.referrer.clone(),
        Attribution::Last if friend.referrer != link.referrer => {
            referral.friend_ops.push(
                TxOp::Update {
                    key: fkey,
                    ops: vec![
                        Update::Set(attr::REFERRER, link.referrer.as_str().into()),
                        Update::Set(attr::CODE, link.code.clone().into()),
                    ],
                    cond: Cond::Exists,
                }
                .named(step::FRIEND),
            );
        }
        Attribution::Last => {}
    }
    referral.recurring_over = program.recurring_months.is_some_and(|months| {
        let until = friend
            .first_action_on
            .checked_add(i64::from(months).months())
            .unwrap_or(friend.first_action_on);
        today >= until
    });
    Ok(referral)
}

/// The reward a report earns and the reason when it earns none.
struct Decision {
    earned: Option<Earned>,
    friend_share: Option<Earned>,
    reason: Option<&'static str>,
}

fn decide(
    program: &Program,
    event: &str,
    amount: Option<Cents>,
    referral: &Referral,
    member_count: i64,
    budget_left: Option<i64>,
) -> Result<Decision> {
    let rule = program.rule_for(event);
    if matches!(rule, Some(Reward::Percent { .. })) && amount.is_none() {
        return Err(Error::field(
            "amount_cents",
            "ist für eine prozentuale Belohnung nötig (der Betrag des Kaufs in Cent)",
        ));
    }
    let (earned, friend_share) = rule.map_or((None, None), |r| {
        earn(r, amount, program.friend_share_percent)
    });
    let cap_reached = program
        .cap_per_referrer
        .is_some_and(|cap| member_count >= i64::from(cap));
    let reason = if rule.is_none() {
        Some("Für dieses Ereignis sieht das Programm keine Belohnung vor.")
    } else if referral.recurring_over {
        Some("Der Zeitraum für wiederkehrende Belohnungen ist abgelaufen.")
    } else if cap_reached {
        Some("Die Höchstzahl an Belohnungen für diese Empfehlung ist erreicht.")
    } else if earned.is_none() {
        Some("Der Betrag ergibt keine Belohnung.")
    } else if earned.is_some_and(|e| budget_left.is_some_and(|left| e.cents() > left)) {
        Some("Das Monatsbudget des Programms ist ausgeschöpft: diese Belohnung wird nicht gewährt.")
    } else {
        None
    };
    let earned = if reason.is_some() { None } else { earned };
    Ok(Decision {
        earned,
        friend_share: earned.and(friend_share),
        reason,
    })
}

/// Records a checked report: attributes it, decides the reward and writes the conversion,
/// the friend, the referrer's count and the day's statistics in one transaction.
async fn record(state: &AppState, auth: &ApiKeyAuth, report: &Report) -> Result<Recorded> {
    let body = &report.input;
    let key = conversion_key(&auth.partner_id, &body.external_id);
    if let Some(done) = replay(state, &key, &report.request_hash).await? {
        return Ok(Recorded::Repeated(done));
    }
    let Attributed { link, program } = attribute(state, auth, body).await?;
    if report
        .customer_hash
        .as_deref()
        .is_some_and(|h| !link.referrer_hash.is_empty() && h == link.referrer_hash)
    {
        return Err(Error::Unprocessable(
            "Eine Empfehlung an sich selbst wird nicht belohnt.".into(),
        ));
    }
    let today = state.clock.today();
    let now = state.clock.now();
    let referral = referral(
        state,
        &link,
        &program,
        report.customer_hash.as_deref(),
        today,
    )
    .await?;
    let member = member_key(&referral.referrer, &program.program_id);
    let member_count = match state.table.get(&member).await? {
        Some(item) => item
            .get(attr::REWARD_COUNT)
            .and_then(Value::as_i64)
            .unwrap_or(0),
        None => 0,
    };
    let budget = budget_key(&program.program_id, today);
    let budget_left = match program.monthly_budget_cents {
        Some(limit) => {
            let granted = match state.table.get(&budget).await? {
                Some(item) => item
                    .get(attr::GRANTED_CENTS)
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                None => 0,
            };
            Some(limit.0 - granted)
        }
        None => None,
    };
    let decision = decide(
        &program,
        &body.event,
        report.amount,
        &referral,
        member_count,
        budget_left,
    )?;
    let earned = decision.earned;
    let confirm_on = earned.map(|_| {
        today
            .checked_add(i64::from(program.hold_days).days())
            .unwrap_or(today)
    });
    let status = if earned.is_some() {
        RewardStatus::Pending
    } else {
        RewardStatus::None
    };
    let reply = ConversionReply {
        external_id: body.external_id.clone(),
        program_id: program.program_id.clone(),
        reward_status: status,
        reward: earned,
        confirm_on,
        friend_share: decision.friend_share,
        reason: decision.reason.map(str::to_string),
    };
    let reply_json = serde_json::to_value(&reply).map_err(Error::internal)?;
    let conversion = Conversion {
        external_id: body.external_id.clone(),
        partner_id: auth.partner_id.clone(),
        program_id: program.program_id.clone(),
        code: link.code.clone(),
        referrer: referral.referrer.clone(),
        event: body.event.clone(),
        amount_cents: report.amount,
        request_hash: report.request_hash.clone(),
        reward_status: status,
        earned,
        confirm_on,
        confirmed_on: None,
        reward_month: None,
        payable_on: None,
        reply: reply_json.clone(),
        created_at: now,
    };
    let mut ops = vec![
        TxOp::Put {
            item: conversion.to_item()?,
            cond: Cond::NotExists,
        }
        .named(step::CONVERSION),
    ];
    ops.extend(referral.friend_ops);
    let mut stats = vec![Update::Add(attr::CONVERSIONS, 1)];
    if let Some(e) = earned {
        stats.push(Update::Add(attr::PENDING, 1));
        let cap_cond = match program.cap_per_referrer {
            Some(cap) => Cond::LtOrAbsent(attr::REWARD_COUNT, i64::from(cap)),
            None => Cond::Always,
        };
        ops.push(
            TxOp::Update {
                key: member,
                ops: vec![
                    Update::Add(attr::REWARD_COUNT, 1),
                    Update::Add(attr::PENDING_CENTS, e.cents()),
                    Update::Add(attr::PENDING_POINTS, e.points()),
                ],
                cond: cap_cond,
            }
            .named(step::CAP),
        );
        if let Some(limit) = program.monthly_budget_cents
            && e.cents() > 0
        {
            // Granted only while the month's sum stays within the budget, whoever raced.
            ops.push(
                TxOp::Update {
                    key: budget,
                    ops: vec![Update::Add(attr::GRANTED_CENTS, e.cents())],
                    cond: Cond::LtOrAbsent(attr::GRANTED_CENTS, limit.0 - e.cents() + 1),
                }
                .named(step::BUDGET),
            );
        }
    }
    ops.push(stats_add(&program.program_id, today, stats));
    match state.table.transact(ops).await {
        Ok(()) => {}
        // The same external id raced in: answer as a repeated report.
        Err(StoreError::TxCancelled {
            failed: step::CONVERSION,
        }) => {
            if let Some(done) = replay(state, &key, &report.request_hash).await? {
                return Ok(Recorded::Repeated(done));
            }
            return Err(Error::Conflict(
                "Bitte melden Sie die Conversion erneut.".into(),
            ));
        }
        Err(StoreError::TxCancelled {
            failed: step::CAP | step::FRIEND | step::BUDGET,
        }) => {
            return Err(Error::Conflict(
                "Gleichzeitige Meldungen; bitte melden Sie die Conversion erneut.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(partner_id = %auth.partner_id, program_id = %program.program_id, status = status.as_str(), "conversion recorded");
    Ok(Recorded::New(reply_json))
}

/// A report seen before: the same data gets the same answer, other data 422.
async fn replay(
    state: &AppState,
    key: &shared::store::Key,
    request_hash: &str,
) -> Result<Option<Value>> {
    let Some(item) = state.table.get(key).await? else {
        return Ok(None);
    };
    let before: Conversion = from_item(item)?;
    if before.request_hash == request_hash {
        Ok(Some(before.reply))
    } else {
        Err(Error::Unprocessable(
            "Diese external_id wurde bereits mit anderen Daten gemeldet.".into(),
        ))
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReversalReply {
    pub external_id: String,
    /// Always `reversed`.
    pub reward_status: RewardStatus,
    /// Whether a confirmed reward was taken back from the wallet (a ledger entry).
    pub taken_back: bool,
}

/// The ledger entry and balance changes that credit (`sign` = 1) or take back (-1) a
/// confirmed reward.
pub fn wallet_ops(
    conversion: &Conversion,
    earned: Earned,
    sign: i64,
    at: jiff::Timestamp,
) -> Result<Vec<Named>> {
    let account = &conversion.referrer;
    let kind = if sign > 0 { "reward" } else { "reversal" };
    let entry = LedgerEntry {
        entry_id: new_id(),
        at,
        kind: kind.into(),
        cash_cents: sign
            * match earned {
                Earned::Cash { amount_cents } => amount_cents.0,
                _ => 0,
            },
        points: sign * earned.points(),
        program_id: Some(conversion.program_id.clone()),
        reference: conversion.external_id.clone(),
    };
    let entry_item = entry.to_item(account)?;
    let mut ops = Vec::new();
    match earned {
        Earned::Cash { amount_cents } => {
            let wallet = Balance::new(wallet_key(account));
            if sign > 0 {
                let amount = Amount::new(amount_cents.0)
                    .ok_or_else(|| Error::internal(std::io::Error::other("zero reward")))?;
                ops.extend(wallet.credit(amount, entry_item));
            } else {
                // A reversal may take the balance below zero (the money was paid out): the
                // ledger stays the truth and the balance its sum.
                ops.push(
                    TxOp::Update {
                        key: wallet_key(account),
                        ops: vec![Update::Add(
                            shared::store::balance::BALANCE,
                            -amount_cents.0,
                        )],
                        cond: Cond::Always,
                    }
                    .named(step::BALANCE),
                );
                ops.push(
                    TxOp::Put {
                        item: entry_item,
                        cond: Cond::NotExists,
                    }
                    .named(step::LEDGER_ENTRY),
                );
            }
        }
        Earned::Points { points } => {
            ops.push(
                TxOp::Update {
                    key: points_key(account, &conversion.program_id),
                    ops: vec![Update::Add(shared::store::balance::BALANCE, sign * points)],
                    cond: Cond::Always,
                }
                .named(step::BALANCE),
            );
            ops.push(
                TxOp::Put {
                    item: entry_item,
                    cond: Cond::NotExists,
                }
                .named(step::LEDGER_ENTRY),
            );
        }
        Earned::Voucher { value_cents } => {
            // The voucher's id is the conversion's, so a reversal finds it.
            let voucher_id = sha256_hex(conversion.key().pk.as_bytes())[..24].to_string();
            let key = voucher_key(account, &voucher_id);
            if sign > 0 {
                let (_, voucher_ops) = vouchers::issue(
                    account,
                    voucher_id,
                    &conversion.program_id,
                    &conversion.partner_id,
                    value_cents,
                    at,
                )?;
                ops.extend(voucher_ops);
            } else {
                ops.push(
                    TxOp::Update {
                        key,
                        ops: vec![Update::Set(
                            attr::STATUS,
                            VoucherStatus::Revoked.as_str().into(),
                        )],
                        cond: Cond::Exists,
                    }
                    .named(step::VOUCHER),
                );
            }
            ops.push(
                TxOp::Put {
                    item: entry_item,
                    cond: Cond::NotExists,
                }
                .named(step::LEDGER_ENTRY),
            );
        }
    }
    Ok(ops)
}

/// A reward on an issued invoice stays: the partner was billed for it and it is payable.
fn already_billed() -> Error {
    Error::Conflict(
        "Diese Prämie ist bereits mit Ihrer Rechnung abgerechnet und kann nicht mehr storniert werden."
            .into(),
    )
}

/// Reverse a conversion (a refund): a pending reward is dropped, a confirmed one taken back
/// (points and vouchers with a ledger entry, held cash from the month's sum the partner is
/// billed for). A reward on an issued invoice cannot be reversed (409). Reversing again
/// changes nothing.
#[utoipa::path(post, path = "/conversions/{external_id}/reversal", tag = "conversions",
    summary = "Conversion stornieren",
    params(
        ("external_id" = String, Path, description = "The partner's id of the action."),
        ("x-api-key" = String, Header, description = "The partner's API key."),
    ),
    responses(
        (status = 200, description = "Reversed.", body = ReversalReply),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub async fn reverse(
    State(state): State<AppState>,
    auth: ApiKeyAuth,
    ApiPath(external_id): ApiPath<String>,
) -> Result<Json<ReversalReply>> {
    let key = conversion_key(&auth.partner_id, &external_id);
    let item = if valid_external_id(&external_id) {
        state.table.get(&key).await?
    } else {
        None
    };
    let Some(item) = item else {
        return Err(Error::NotFound(
            "Diese Conversion ist nicht bekannt.".into(),
        ));
    };
    let conversion: Conversion = from_item(item)?;
    let previous = conversion.reward_status;
    if previous == RewardStatus::Reversed {
        return Ok(Json(ReversalReply {
            external_id,
            reward_status: RewardStatus::Reversed,
            taken_back: false,
        }));
    }
    if previous == RewardStatus::Payable {
        return Err(already_billed());
    }
    let now = state.clock.now();
    let today = state.clock.today();
    let status_of = |s: RewardStatus| Value::from(s.as_str());
    let mut ops = vec![
        TxOp::Update {
            key: key.clone(),
            ops: vec![
                Update::Set(attr::REWARD_STATUS, status_of(RewardStatus::Reversed)),
                Update::Set(attr::REVERSED_AT, json!(now)),
                Update::Remove(GSI1PK),
                Update::Remove(GSI1SK),
            ],
            cond: Cond::Eq(attr::REWARD_STATUS, status_of(previous)),
        }
        .named(step::CONVERSION),
    ];
    let mut taken_back = false;
    if let Some(earned) = conversion.earned {
        let member = member_key(&conversion.referrer, &conversion.program_id);
        let (cents, points) = (earned.cents(), earned.points());
        let member_ops = match previous {
            RewardStatus::Pending => vec![
                Update::Add(attr::PENDING_CENTS, -cents),
                Update::Add(attr::PENDING_POINTS, -points),
                Update::Add(attr::REWARD_COUNT, -1),
            ],
            _ => vec![
                Update::Add(attr::CONFIRMED_CENTS, -cents),
                Update::Add(attr::CONFIRMED_POINTS, -points),
                Update::Add(attr::REWARD_COUNT, -1),
            ],
        };
        ops.push(
            TxOp::Update {
                key: member,
                ops: member_ops,
                cond: Cond::Always,
            }
            .named(step::MEMBER),
        );
        let mut stats = vec![Update::Add(attr::REVERSED, 1)];
        if previous == RewardStatus::Confirmed {
            let program = programs::load(&state, &conversion.program_id).await?;
            stats.push(Update::Add(
                attr::COMMISSION_CENTS,
                -earned.commission(program.voucher_rate),
            ));
            ops.extend(match earned {
                // Held cash leaves the month's sum the partner is billed for.
                Earned::Cash { amount_cents } => {
                    let month = conversion
                        .reward_month
                        .unwrap_or_else(|| Month::of(conversion.confirmed_on.unwrap_or(today)));
                    vec![
                        TxOp::Update {
                            key: wallet_key(&conversion.referrer),
                            ops: vec![Update::Add(attr::CONFIRMED_CENTS, -amount_cents.0)],
                            cond: Cond::Always,
                        }
                        .named(step::BALANCE),
                        rewards::change(&conversion.partner_id, month, -1, -amount_cents.0)
                            .named(step::REWARD_MONTH),
                    ]
                }
                Earned::Points { .. } | Earned::Voucher { .. } => {
                    wallet_ops(&conversion, earned, -1, now)?
                }
            });
            taken_back = true;
        }
        ops.push(stats_add(&conversion.program_id, today, stats));
    }
    match state.table.transact(ops).await {
        Ok(()) => {}
        Err(StoreError::TxCancelled {
            failed: step::CONVERSION,
        }) => {
            return Err(Error::Conflict(
                "Die Conversion wurde gerade geändert; bitte erneut versuchen.".into(),
            ));
        }
        Err(StoreError::TxCancelled {
            failed: step::REWARD_MONTH,
        }) => return Err(already_billed()),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(partner_id = %auth.partner_id, taken_back, "conversion reversed");
    Ok(Json(ReversalReply {
        external_id,
        reward_status: RewardStatus::Reversed,
        taken_back,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_half_up_and_the_friend_gets_its_share() {
        assert_eq!(percent_of(Cents(12999), 500), 650); // 649.95
        assert_eq!(percent_of(Cents(10), 500), 1); // 0.5
        assert_eq!(percent_of(Cents(9), 500), 0); // 0.45
        let (r, f) = earn(
            &Reward::Percent { basis_points: 1000 },
            Some(Cents(10000)),
            Some(20),
        );
        assert_eq!(
            r,
            Some(Earned::Cash {
                amount_cents: Cents(800)
            })
        );
        assert_eq!(
            f,
            Some(Earned::Cash {
                amount_cents: Cents(200)
            })
        );
        let (r, f) = earn(&Reward::Points { points: 100 }, None, None);
        assert_eq!(r, Some(Earned::Points { points: 100 }));
        assert_eq!(f, None);
    }
}
