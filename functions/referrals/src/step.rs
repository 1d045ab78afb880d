//! The names of transaction steps: a cancelled transaction reports the step whose condition
//! failed, and handlers match on these, never on repeated string literals.

/// The conversion record (not reported before; still pending when confirmed or reversed).
pub const CONVERSION: &str = "conversion";
/// The friend's attribution to a referrer.
pub const FRIEND: &str = "friend";
/// The referrer's reward count, under the program's cap.
pub const CAP: &str = "cap";
/// A program's month of granted cash rewards, within its monthly budget.
pub const BUDGET: &str = "budget";
/// A program's day of statistics.
pub const STATS: &str = "stats";
/// The referrer's membership record (its pending and confirmed sums).
pub const MEMBER: &str = "member";
/// A personal link's code, unique across programs.
pub const CODE: &str = "code";
/// A wallet's balance, changed under its condition.
pub const BALANCE: &str = "balance";
/// The wallet's ledger entry that explains a balance change.
pub const LEDGER_ENTRY: &str = "ledger_entry";
/// A voucher record.
pub const VOUCHER: &str = "voucher";
/// A voucher's code, unique across wallets.
pub const VOUCHER_CODE: &str = "voucher_code";
/// A payout request.
pub const PAYOUT: &str = "payout";
/// The partner's sum of confirmed cash rewards of a month, until billed.
pub const REWARD_MONTH: &str = "reward_month";
/// The partner's mark in the index of billable partners.
pub const BILLABLE: &str = "billable";
/// An end user's profile, deleted with the account.
pub const PROFILE: &str = "profile";
/// An end user's login, deleted with the account.
pub const LOGIN: &str = "login";
