//! The records only referrals reads: programs, API keys, members (an end user in a program),
//! friends (a referred customer, by hash), conversions with their rewards, wallets, ledger
//! entries, vouchers, payouts and the daily statistics. Keys and attribute names are defined
//! here once. Links and clicks, which the redirect reads too, are in `shared::model::referrals`.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use shared::crypto::sha256_hex;
use shared::domain::{AccountId, Cents, Month, PartnerId, ProgramId};
use shared::store::{GSI1PK, GSI1SK, Index, Item, Key, Query, SkCond};
use utoipa::ToSchema;

pub mod attr {
    use shared::store::Attr;
    pub const STATUS: Attr = "status";
    /// A partner's referral domains (the only attribute this function writes in a
    /// partner's partition).
    pub const DOMAINS: Attr = "domains";
    /// Referral domains: when each listed domain's DNS record was found.
    pub const VERIFIED: Attr = "verified";
    pub const PARTNER_ID: Attr = "partner_id";
    pub const REVOKED: Attr = "revoked";
    /// Member: rewards counted against the cap, and their amounts by state.
    pub const REWARD_COUNT: Attr = "reward_count";
    pub const PENDING_CENTS: Attr = "pending_cents";
    pub const CONFIRMED_CENTS: Attr = "confirmed_cents";
    pub const PENDING_POINTS: Attr = "pending_points";
    pub const CONFIRMED_POINTS: Attr = "confirmed_points";
    /// Conversion.
    pub const REWARD_STATUS: Attr = "reward_status";
    pub const CONFIRMED_ON: Attr = "confirmed_on";
    /// Conversion: the month whose reward sum a confirmed cash reward is in
    /// (`shared::model::rewards`), and the day it became payable.
    pub const REWARD_MONTH: Attr = "reward_month";
    pub const PAYABLE_ON: Attr = "payable_on";
    pub const REVERSED_AT: Attr = "reversed_at";
    /// Friend.
    pub const REFERRER: Attr = "referrer";
    pub const CODE: Attr = "code";
    /// Statistics.
    pub const CONVERSIONS: Attr = "conversions";
    pub const PENDING: Attr = "pending";
    pub const CONFIRMED: Attr = "confirmed";
    pub const REVERSED: Attr = "reversed";
    pub const COMMISSION_CENTS: Attr = "commission_cents";
    /// Payout.
    pub const PAID_AT: Attr = "paid_at";
    /// Voucher.
    pub const REDEEMED_AT: Attr = "redeemed_at";
    /// A program's month: the cash rewards granted against its budget.
    pub const GRANTED_CENTS: Attr = "granted_cents";
    /// Link: its end user deleted the account; resuming the program leaves it inactive.
    pub const CLOSED: Attr = "closed";
}

/// The index partition of rewards waiting for their confirmation day.
const PENDING_REWARDS: &str = "REWARDS#PENDING";
/// The index partition of confirmed cash rewards waiting for the partner's invoice.
const AWAITING_INVOICE: &str = "REWARDS#AWAITING_INVOICE";
/// The index partition of payouts the operator has yet to make.
const REQUESTED_PAYOUTS: &str = "PAYOUTS#REQUESTED";

pub fn program_key(program: &ProgramId) -> Key {
    Key::new(format!("PROGRAM#{program}"), "PROGRAM")
}

pub fn partner_programs(partner: &PartnerId) -> Query {
    Query::partition(Index::Gsi1, format!("PARTNER_PROGRAMS#{partner}"))
}

pub fn domains_key(partner: &PartnerId) -> Key {
    Key::new(format!("PARTNER#{partner}"), "REFERRAL_DOMAINS")
}

pub fn api_key_key(prefix: &str) -> Key {
    Key::new(format!("APIKEY#{prefix}"), "APIKEY")
}

pub fn partner_api_keys(partner: &PartnerId) -> Query {
    Query::partition(Index::Gsi1, format!("PARTNER_APIKEYS#{partner}"))
}

fn enduser_pk(account: &AccountId) -> String {
    format!("ENDUSER#{account}")
}

/// Everything of an end user: profile, members, wallet, points, ledger, vouchers.
pub fn enduser_partition(account: &AccountId) -> Query {
    Query::partition(Index::Primary, enduser_pk(account))
}

pub fn profile_key(account: &AccountId) -> Key {
    Key::new(enduser_pk(account), "PROFILE")
}

pub const MEMBER_SK_PREFIX: &str = "MEMBER#";
pub const POINTS_SK_PREFIX: &str = "POINTS#";
pub const LEDGER_SK_PREFIX: &str = "LEDGER#";
pub const VOUCHER_SK_PREFIX: &str = "VOUCHER#";
pub const WALLET_SK: &str = "WALLET";

pub fn member_key(account: &AccountId, program: &ProgramId) -> Key {
    Key::new(enduser_pk(account), format!("{MEMBER_SK_PREFIX}{program}"))
}

/// The cash balance (cents) in the wallet item's `balance`.
pub fn wallet_key(account: &AccountId) -> Key {
    Key::new(enduser_pk(account), WALLET_SK)
}

/// The points of one program (its rate turns them into vouchers).
pub fn points_key(account: &AccountId, program: &ProgramId) -> Key {
    Key::new(enduser_pk(account), format!("{POINTS_SK_PREFIX}{program}"))
}

/// A ledger entry; sorted by time, unique by its id.
pub fn ledger_key(account: &AccountId, at: Timestamp, id: &str) -> Key {
    Key::new(enduser_pk(account), format!("{LEDGER_SK_PREFIX}{at}#{id}"))
}

pub fn voucher_key(account: &AccountId, voucher_id: &str) -> Key {
    Key::new(
        enduser_pk(account),
        format!("{VOUCHER_SK_PREFIX}{voucher_id}"),
    )
}

/// A voucher's code, which the partner's till looks the voucher up by.
pub fn voucher_code_key(code: &str) -> Key {
    Key::new(format!("VOUCHER_CODE#{code}"), "VOUCHER_CODE")
}

/// A referred customer, by the hash of the partner's reference, in the program.
pub fn friend_key(program: &ProgramId, customer_hash: &str) -> Key {
    Key::new(
        format!("PROGRAM#{program}"),
        format!("FRIEND#{customer_hash}"),
    )
}

pub fn conversion_key(partner: &PartnerId, external_id: &str) -> Key {
    Key::new(format!("CONVERSION#{partner}#{external_id}"), "CONVERSION")
}

/// The cash rewards a program granted in the (Europe/Berlin) month of `day`, held against its
/// monthly budget.
pub fn budget_key(program: &ProgramId, day: Date) -> Key {
    Key::new(
        format!("PROGRAM#{program}"),
        format!("BUDGET#{:04}-{:02}", day.year(), day.month()),
    )
}

pub fn stats_key(program: &ProgramId, day: Date) -> Key {
    Key::new(format!("PROGRAM#{program}"), format!("STATS#{day}"))
}

/// The day of a statistics item (its sort key).
pub fn stats_day(item: &Item) -> Option<Date> {
    item.get(shared::store::SK)?
        .as_str()?
        .strip_prefix("STATS#")?
        .parse()
        .ok()
}

pub fn program_stats(program: &ProgramId, from: Date, to: Date) -> Query {
    Query::partition(Index::Primary, format!("PROGRAM#{program}")).sk(SkCond::Between(
        format!("STATS#{from}"),
        format!("STATS#{to}"),
    ))
}

pub fn payout_key(payout_id: &str) -> Key {
    Key::new(format!("PAYOUT#{payout_id}"), "PAYOUT")
}

pub fn requested_payouts() -> Query {
    Query::partition(Index::Gsi1, REQUESTED_PAYOUTS)
}

/// Rewards whose hold ends on or before `day`.
pub fn rewards_due(day: Date) -> Query {
    // Key conditions take no empty string; every sort key starts with a date's digit, and
    // partner ids and external ids sort below `~`.
    Query::partition(Index::Gsi1, PENDING_REWARDS)
        .sk(SkCond::Between("0".into(), format!("{day}#~")))
}

/// Confirmed cash rewards not yet payable, by partner and reward month.
pub fn rewards_awaiting_invoice() -> Query {
    Query::partition(Index::Gsi1, AWAITING_INVOICE)
}

/// The index entry of a confirmed cash reward until its month is billed.
pub fn awaiting_invoice_index(conversion: &Conversion, month: Month) -> (String, String) {
    (
        AWAITING_INVOICE.into(),
        format!(
            "{}#{month}#{}",
            conversion.partner_id, conversion.external_id
        ),
    )
}

/// How customers and referrers are compared without storing who they are: a hash of the
/// trimmed, lower-cased reference (an e-mail address or the partner's customer number).
pub fn person_hash(reference: &str) -> String {
    sha256_hex(format!("pn-referral|{}", reference.trim().to_lowercase()).as_bytes())
}

fn with_index(mut item: Item, pk: String, sk: String) -> Item {
    item.insert(GSI1PK.into(), pk.into());
    item.insert(GSI1SK.into(), sk.into());
    item
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgramStatus {
    Active,
    Paused,
    Ended,
}

/// First click: a friend stays with the referrer of the first attributed conversion. Last
/// click: a later conversion through another referrer's link moves the friend to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    First,
    Last,
}

/// What a referrer earns for an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reward {
    /// A fixed amount of money.
    Fixed {
        #[schema(value_type = i64, minimum = 1, maximum = 10_000_000)]
        amount_cents: Cents,
    },
    /// A share of the purchase in basis points (500 = 5 %), rounded half up to the cent.
    Percent {
        #[schema(minimum = 1, maximum = 10_000)]
        basis_points: u32,
    },
    Points {
        #[schema(minimum = 1, maximum = 1_000_000)]
        points: i64,
    },
    /// A voucher of this value.
    Voucher {
        #[schema(value_type = i64, minimum = 1, maximum = 10_000_000)]
        value_cents: Cents,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RewardRule {
    /// `signup`, `purchase` or a named action (`a-z`, `0-9`, `_`, `-`).
    #[schema(example = "purchase", pattern = "^[a-z0-9_-]{1,40}$")]
    pub event: String,
    pub reward: Reward,
}

/// Points to voucher: `points` buy a voucher of `value_cents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VoucherRate {
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub points: i64,
    #[schema(value_type = i64, minimum = 1, maximum = 10_000_000)]
    pub value_cents: Cents,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Program {
    pub program_id: ProgramId,
    pub partner_id: PartnerId,
    pub name: String,
    pub landing_url: String,
    pub rewards: Vec<RewardRule>,
    /// Months after the friend's first action in which further actions pay: 0 = only the
    /// first, none = as long as the friend stays a customer.
    pub recurring_months: Option<u32>,
    /// Rewards per referrer at most.
    pub cap_per_referrer: Option<u32>,
    /// Percent of the referrer's reward that goes to the friend instead.
    pub friend_share_percent: Option<u32>,
    pub attribution_days: u32,
    pub attribution: Attribution,
    pub hold_days: u32,
    pub voucher_rate: Option<VoucherRate>,
    /// Cash rewards granted per calendar month at most; a reward beyond it is not granted.
    /// (Programs from before budgets have none and are not limited.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_budget_cents: Option<Cents>,
    pub status: ProgramStatus,
    pub created_at: Timestamp,
}

impl Program {
    pub fn to_item(&self) -> Result<Item, shared::Error> {
        let item = shared::model::to_item(&program_key(&self.program_id), self)?;
        Ok(with_index(
            item,
            format!("PARTNER_PROGRAMS#{}", self.partner_id),
            self.program_id.to_string(),
        ))
    }

    pub fn rule_for(&self, event: &str) -> Option<&Reward> {
        self.rewards
            .iter()
            .find(|r| r.event == event)
            .map(|r| &r.reward)
    }
}

/// A partner's conversion API key; only the hash of the secret is stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub prefix: String,
    pub partner_id: PartnerId,
    pub secret_hash: String,
    pub label: String,
    pub revoked: bool,
    pub created_at: Timestamp,
}

impl ApiKey {
    pub fn to_item(&self) -> Result<Item, shared::Error> {
        let item = shared::model::to_item(&api_key_key(&self.prefix), self)?;
        Ok(with_index(
            item,
            format!("PARTNER_APIKEYS#{}", self.partner_id),
            self.prefix.clone(),
        ))
    }
}

/// An end user's membership in a program: the link and the rewards so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub program_id: ProgramId,
    pub code: String,
    #[serde(default)]
    pub reward_count: i64,
    #[serde(default)]
    pub pending_cents: i64,
    #[serde(default)]
    pub confirmed_cents: i64,
    #[serde(default)]
    pub pending_points: i64,
    #[serde(default)]
    pub confirmed_points: i64,
    pub joined_at: Timestamp,
}

/// What the end user signed up with, as a hash (self-referrals are refused by it), and the
/// terms accepted at sign-up (profiles from before record none).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub email_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_accepted_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Friend {
    pub referrer: AccountId,
    pub code: String,
    pub first_action_on: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    Pending,
    /// Confirmed after the hold; cash waits for the partner's invoice that bills it.
    Confirmed,
    /// Cash billed to the partner on an issued invoice: counts toward a payout.
    Payable,
    Reversed,
    /// The conversion earned nothing (no rule, cap reached, recurring period over).
    None,
}

impl RewardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Payable => "payable",
            Self::Reversed => "reversed",
            Self::None => "none",
        }
    }
}

/// What the referrer gets, in one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Earned {
    Cash { amount_cents: Cents },
    Points { points: i64 },
    Voucher { value_cents: Cents },
}

impl Earned {
    /// What the partner owes for it, in cents (points at the program's voucher rate).
    pub fn commission(self, rate: Option<VoucherRate>) -> i64 {
        match self {
            Earned::Cash { amount_cents } => amount_cents.0,
            Earned::Voucher { value_cents } => value_cents.0,
            Earned::Points { points } => rate
                .filter(|r| r.points > 0)
                .map(|r| points * r.value_cents.0 / r.points)
                .unwrap_or(0),
        }
    }

    pub fn cents(self) -> i64 {
        match self {
            Earned::Cash { amount_cents } => amount_cents.0,
            Earned::Voucher { value_cents } => value_cents.0,
            Earned::Points { .. } => 0,
        }
    }

    pub fn points(self) -> i64 {
        match self {
            Earned::Points { points } => points,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversion {
    pub external_id: String,
    pub partner_id: PartnerId,
    pub program_id: ProgramId,
    pub code: String,
    pub referrer: AccountId,
    pub event: String,
    pub amount_cents: Option<Cents>,
    pub request_hash: String,
    pub reward_status: RewardStatus,
    pub earned: Option<Earned>,
    pub confirm_on: Option<Date>,
    pub confirmed_on: Option<Date>,
    /// A confirmed cash reward: the month whose reward sum bills it to the partner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_month: Option<Month>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payable_on: Option<Date>,
    /// The reply the report got, given again to a repeated report.
    pub reply: serde_json::Value,
    pub created_at: Timestamp,
}

impl Conversion {
    pub fn key(&self) -> Key {
        conversion_key(&self.partner_id, &self.external_id)
    }

    pub fn to_item(&self) -> Result<Item, shared::Error> {
        let item = shared::model::to_item(&self.key(), self)?;
        Ok(match (self.reward_status, self.confirm_on) {
            (RewardStatus::Pending, Some(day)) => with_index(
                item,
                PENDING_REWARDS.into(),
                format!("{day}#{}#{}", self.partner_id, self.external_id),
            ),
            _ => item,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LedgerEntry {
    pub entry_id: String,
    pub at: Timestamp,
    /// `reward`, `reversal`, `exchange` or `payout`.
    pub kind: String,
    /// Change of the cash balance in cents (negative: taken).
    pub cash_cents: i64,
    /// Change of the program's points.
    pub points: i64,
    pub program_id: Option<ProgramId>,
    pub reference: String,
}

impl LedgerEntry {
    pub fn to_item(&self, account: &AccountId) -> Result<Item, shared::Error> {
        shared::model::to_item(&ledger_key(account, self.at, &self.entry_id), self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Voucher {
    pub voucher_id: String,
    /// What the end user shows the partner.
    pub code: String,
    pub program_id: ProgramId,
    pub partner_id: PartnerId,
    pub value_cents: Cents,
    pub status: VoucherStatus,
    pub issued_at: Timestamp,
    /// The last day the partner takes it (vouchers from before validity had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Date>,
    /// When the partner took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeemed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStatus {
    /// Shown at the partner's till, taken once.
    Issued,
    /// Taken by the partner.
    Redeemed,
    /// Its reward was reversed (a refund): no longer valid.
    Revoked,
}

impl VoucherStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Redeemed => "redeemed",
            Self::Revoked => "revoked",
        }
    }
}

/// Where a voucher's code points: the wallet that holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoucherCode {
    pub account_id: AccountId,
    pub voucher_id: String,
    pub partner_id: PartnerId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Requested,
    Paid,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payout {
    pub payout_id: String,
    pub account_id: AccountId,
    pub amount_cents: Cents,
    pub account_holder: String,
    /// AES-256-GCM under the data key.
    pub iban_sealed: String,
    pub status: PayoutStatus,
    pub requested_at: Timestamp,
    pub paid_at: Option<Timestamp>,
}

impl Payout {
    pub fn to_item(&self) -> Result<Item, shared::Error> {
        let item = shared::model::to_item(&payout_key(&self.payout_id), self)?;
        Ok(match self.status {
            PayoutStatus::Requested => with_index(
                item,
                REQUESTED_PAYOUTS.into(),
                format!("{}#{}", self.requested_at, self.payout_id),
            ),
            PayoutStatus::Paid => item,
        })
    }
}
