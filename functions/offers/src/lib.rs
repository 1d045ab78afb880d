//! The offers function: partners publish offers to bank platforms, managers review them per
//! platform, end customers see each platform's feed; premium placements per month.

pub mod bookings;
pub mod coupon;
pub mod drafts;
pub mod feed;
pub mod images;
pub mod input;
pub mod kind_admin;
pub mod listing;
pub mod mails;
pub mod offer;
pub mod own;
pub mod parties;
pub mod placements;
pub mod platform_stats;
pub mod review;
pub mod stats;
pub mod subscription;
pub mod takedown;
pub mod withdrawal;

use axum::Router;
use shared::auth::Role;
pub use shared::env::{AppState, Env};
use shared::route;
use shared::routes::{Access, Route};

/// A partner acting on its own offers: another partner's offer id answers 404.
const PARTNER: Access = Access::roles(&[Role::Partner]);
const OWN_OFFER: Access = PARTNER.owning(&["offer_id"]);
const OPERATOR: Access = Access::roles(&[Role::Operator]);
/// A platform's manager; the operator may act for every platform.
const MANAGER: Access = Access::roles(&[Role::Manager, Role::Operator]);
/// Everyone who deals with placements sees their prices.
const PRICES: Access = Access::roles(&[Role::Partner, Role::Manager, Role::Operator]);

/// Every route of the function, declared once: the router, the OpenAPI document, the
/// access matrix and the template check are built from this list.
pub fn routes() -> Vec<Route<AppState>> {
    vec![
        route!(POST "/offers", PARTNER, drafts::create),
        route!(GET "/partners/me/offers", PARTNER, drafts::list_mine),
        route!(GET "/partners/me/offers/{offer_id}", OWN_OFFER, own::show),
        route!(PUT "/offers/{offer_id}", OWN_OFFER, drafts::update),
        route!(DELETE "/offers/{offer_id}", OWN_OFFER, drafts::delete),
        route!(POST "/offers/{offer_id}/images", OWN_OFFER, images::add),
        route!(PUT "/offers/{offer_id}/images", OWN_OFFER, images::reorder),
        route!(
            DELETE "/offers/{offer_id}/images/{image_id}",
            OWN_OFFER,
            images::remove
        ),
        route!(POST "/offers/{offer_id}/submit", OWN_OFFER, review::submit),
        route!(POST "/offers/{offer_id}/withdraw", OWN_OFFER, review::withdraw),
        route!(GET "/offers/{offer_id}/stats", OWN_OFFER, stats::of_offer),
        route!(
            GET "/platforms/{platform_id}/reviews",
            MANAGER.owning(&["platform_id"]),
            review::queue
        ),
        route!(
            POST "/platforms/{platform_id}/reviews/{offer_id}/decision",
            MANAGER.owning(&["platform_id"]),
            review::decide
        ),
        route!(
            POST "/platforms/{platform_id}/offers/{offer_id}/take-down",
            MANAGER.owning(&["platform_id"]),
            takedown::take_down
        ),
        route!(
            GET "/platforms/{platform_id}/stats",
            MANAGER.owning(&["platform_id"]),
            platform_stats::of_platform
        ),
        route!(GET "/platforms/{platform_id}/offers", Access::Public, feed::feed),
        route!(GET "/offers/{offer_id}", Access::Public, feed::detail),
        route!(POST "/offers/{offer_id}/click-out", Access::Public, feed::click_out),
        route!(GET "/offers/{offer_id}/coupon.pdf", Access::Public, feed::coupon_pdf),
        route!(
            POST "/platforms/{platform_id}/placement-kinds",
            OPERATOR,
            placements::create_kind
        ),
        route!(
            GET "/platforms/{platform_id}/placement-kinds",
            PRICES,
            placements::list_kinds
        ),
        route!(
            POST "/platforms/{platform_id}/placement-kinds/{kind_id}/price-changes",
            OPERATOR,
            kind_admin::reprice
        ),
        route!(
            POST "/platforms/{platform_id}/placement-kinds/{kind_id}/retire",
            OPERATOR,
            kind_admin::retire
        ),
        route!(
            GET "/platforms/{platform_id}/placement-slots",
            PRICES,
            placements::slots
        ),
        route!(POST "/offers/{offer_id}/placements", OWN_OFFER, placements::book),
        route!(
            DELETE "/offers/{offer_id}/placements/{platform_id}/{month}",
            OWN_OFFER,
            placements::cancel
        ),
        route!(GET "/partners/me/placements", PARTNER, placements::list_mine),
    ]
}

/// The function's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document("partnernetz offers", env!("CARGO_PKG_VERSION"), &routes())
}

/// The function's routes over its environment, not yet finished: local-api merges several.
pub fn api(env: &Env) -> Router {
    shared::routes::router(routes()).with_state(AppState::new(env))
}

/// The function's router with its own `GET /openapi.json`; `main.rs`, the tests and the
/// bench all build it here.
pub fn build(env: &Env) -> Router {
    shared::http::finish(api(env).merge(shared::openapi::serve(openapi)))
}
