//! The referrals function: partners' referral programs, API keys and statistics; end users'
//! personal links, wallet, vouchers and payouts; the conversion API; the operator's payouts;
//! and the daily confirmation of rewards. The links' 302 is the redirect function's.

pub mod account;
pub mod conversions;
pub mod daily;
pub mod dns;
pub mod domains;
pub mod eligibility;
pub mod keys;
pub mod members;
pub mod offered;
pub mod programs;
pub mod records;
pub mod stats;
pub mod step;
pub mod vouchers;
pub mod wallet;

use std::sync::Arc;

use axum::{Extension, Router};
use shared::auth::Role;
pub use shared::env::{AppState, Env};
use shared::route;
use shared::routes::{Access, Route};

const PARTNER: Access = Access::roles(&[Role::Partner]);
const END_USER: Access = Access::roles(&[Role::EndUser]);
const OPERATOR: Access = Access::roles(&[Role::Operator]);
/// A partner, or its till.
const MERCHANT: Access = Access::roles(&[Role::Partner, Role::Pos]);

/// Every route of the function, declared once. The conversion API is `Public` for the token
/// check: it authenticates with the partner's API key (`X-Api-Key`) instead.
pub fn routes() -> Vec<Route<AppState>> {
    let own_program = PARTNER.owning(&["program_id"]);
    vec![
        route!(PUT "/partners/me/referral-domains", PARTNER, domains::put_domains),
        route!(GET "/partners/me/referral-domains", PARTNER, domains::get_domains),
        route!(POST "/partners/me/referral-domains/{domain}/verification", PARTNER, domains::verify),
        route!(POST "/programs", PARTNER, programs::create),
        route!(GET "/programs", PARTNER, programs::list),
        route!(GET "/programs/{program_id}", own_program, programs::get_one),
        route!(POST "/programs/{program_id}/pause", own_program, programs::pause),
        route!(POST "/programs/{program_id}/resume", own_program, programs::resume),
        route!(POST "/programs/{program_id}/end", own_program, programs::end),
        route!(GET "/programs/{program_id}/statistics", own_program, stats::statistics),
        route!(POST "/partners/me/api-keys", PARTNER, keys::create),
        route!(GET "/partners/me/api-keys", PARTNER, keys::list),
        route!(DELETE "/partners/me/api-keys/{prefix}", PARTNER.owning(&["prefix"]), keys::revoke),
        route!(POST "/platforms/{platform_id}/endusers", Access::Public, members::signup),
        route!(GET "/platforms/{platform_id}/programs", Access::Public, offered::offered),
        route!(GET "/me", END_USER, account::get_me),
        route!(DELETE "/me", END_USER, account::delete_me),
        route!(POST "/me/referrals", END_USER, members::join),
        route!(GET "/me/referrals", END_USER, members::mine),
        route!(GET "/me/wallet", END_USER, wallet::get_wallet),
        route!(POST "/me/wallet/vouchers", END_USER, wallet::exchange),
        route!(POST "/me/payouts", END_USER, wallet::request_payout),
        route!(GET "/me/payouts", END_USER, wallet::my_payouts),
        route!(GET "/vouchers/{code}", MERCHANT.owning(&["code"]), vouchers::check),
        route!(POST "/vouchers/{code}/redemption", MERCHANT.owning(&["code"]), vouchers::redeem),
        route!(GET "/payouts", OPERATOR, wallet::list_payouts),
        route!(POST "/payouts/{payout_id}/paid", OPERATOR, wallet::mark_paid),
        route!(POST "/conversions", Access::Public, conversions::report),
        route!(POST "/conversions/{external_id}/reversal", Access::Public, conversions::reverse),
    ]
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document(
        "partnernetz referrals",
        env!("CARGO_PKG_VERSION"),
        &routes(),
    )
}

/// The function's routes over its environment, not yet finished: local-api merges several.
/// Landing domains are verified through the system's DNS resolvers.
pub fn api(env: &Env) -> Router {
    api_with(env, Arc::new(dns::SystemDns::default()))
}

/// The same with another TXT lookup (tests answer from [`dns::StaticDns`]).
pub fn api_with(env: &Env, dns: dns::SharedTxt) -> Router {
    shared::routes::router(routes())
        .layer(Extension(dns))
        .with_state(AppState::new(env))
}

/// The function's router with its own `GET /openapi.json`.
pub fn build(env: &Env) -> Router {
    shared::http::finish(api(env).merge(shared::openapi::serve(openapi)))
}

/// The same with another TXT lookup.
pub fn build_with(env: &Env, dns: dns::SharedTxt) -> Router {
    shared::http::finish(api_with(env, dns).merge(shared::openapi::serve(openapi)))
}
