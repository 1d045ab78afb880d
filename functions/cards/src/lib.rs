//! The cards function (issue 8): loyalty card programs (bonus points, prepaid, stamps, gift
//! cards) of a merchant with a card contract, card batches, terminal users, bookings at the
//! point of sale, the cardholder portal, statistics and the export, and the daily schedule
//! that releases and expires points.

pub mod barcode;
pub mod batches;
pub mod booking;
pub mod card;
pub mod closing;
pub mod contract;
pub mod credits;
pub mod daily;
pub mod export;
pub mod files;
pub mod german_csv;
pub mod holder;
pub mod holders;
pub mod ledger;
pub mod luhn;
pub mod manage;
pub mod own_data;
pub mod pos;
pub mod programs;
pub mod stats;
pub mod terminals;

use axum::Router;
use shared::auth::Role;
pub use shared::env::{AppState, Env};
use shared::route;
use shared::routes::{Access, Route};

/// The merchant: a partner acting for itself.
const MERCHANT: Access = Access::roles(&[Role::Partner]);
const OPERATOR: Access = Access::roles(&[Role::Operator]);
/// A terminal user of the merchant.
const POS: Access = Access::roles(&[Role::Pos]);
const CARDHOLDER: Access = Access::roles(&[Role::Cardholder]);

/// Every route of the function, declared once: the router, the OpenAPI document, the
/// access matrix and the template check are built from this list.
pub fn routes() -> Vec<Route<AppState>> {
    vec![
        route!(GET "/cards/price", OPERATOR, contract::get_price),
        route!(PUT "/cards/price", OPERATOR, contract::set_price),
        route!(POST "/cards/contract", MERCHANT, contract::sign),
        route!(GET "/cards/contract", MERCHANT, contract::show),
        route!(GET "/cards/contract/terms", MERCHANT, contract::terms),
        route!(POST "/cards/contract/cancel", MERCHANT, contract::cancel),
        route!(POST "/cards/programs", MERCHANT, programs::create),
        route!(GET "/cards/programs", MERCHANT, programs::list),
        route!(
            POST "/cards/programs/{program_id}/batches",
            MERCHANT.owning(&["program_id"]),
            batches::create
        ),
        route!(POST "/cards/terminal-users", MERCHANT, terminals::create),
        route!(GET "/cards/terminal-users", MERCHANT, terminals::list),
        route!(
            POST "/cards/terminal-users/{username}/disable",
            MERCHANT.owning(&["username"]),
            terminals::disable
        ),
        route!(GET "/cards/cards", MERCHANT, manage::list),
        route!(
            GET "/cards/cards/{number}/barcode",
            MERCHANT.owning(&["number"]),
            barcode::svg
        ),
        route!(
            POST "/cards/cards/{number}/block",
            MERCHANT.owning(&["number"]),
            manage::block
        ),
        route!(
            POST "/cards/cards/{number}/unblock",
            MERCHANT.owning(&["number"]),
            manage::unblock
        ),
        route!(
            POST "/cards/cards/{number}/transfer",
            MERCHANT.owning(&["number"]),
            manage::transfer
        ),
        route!(GET "/cards/statistics", MERCHANT, stats::show),
        route!(POST "/cards/exports", MERCHANT, export::create),
        route!(GET "/cards/pos/cards/{number}", POS.owning(&["number"]), pos::lookup),
        route!(
            POST "/cards/pos/cards/{number}/bookings",
            POS.owning(&["number"]),
            pos::book
        ),
        route!(
            GET "/cards/pos/cards/{number}/bookings",
            POS.owning(&["number"]),
            pos::bookings_today
        ),
        route!(POST "/cards/register", Access::Public, holders::register),
        route!(GET "/cards/me", CARDHOLDER, holders::show),
        route!(PATCH "/cards/me", CARDHOLDER, own_data::update),
        route!(POST "/cards/me/block", CARDHOLDER, holders::block),
        route!(DELETE "/cards/me", CARDHOLDER, holders::delete),
    ]
}

/// The function's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document("partnernetz cards", env!("CARGO_PKG_VERSION"), &routes())
}

/// The function's routes over its environment, not yet finished: local-api merges several.
pub fn api(env: &Env) -> Router {
    shared::routes::router(routes()).with_state(AppState::new(env))
}

/// The function's router with its own `GET /openapi.json`.
pub fn build(env: &Env) -> Router {
    shared::http::finish(api(env).merge(shared::openapi::serve(openapi)))
}
