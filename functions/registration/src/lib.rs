//! The registration function: partner sign-up and login, profile, SEPA mandate, platforms,
//! applications and their review.

pub mod applications;
pub mod bodies;
pub mod closure;
pub mod contract_views;
pub mod digest;
pub mod email_change;
pub mod export;
pub mod login;
pub mod logo;
pub mod mails;
pub mod mandate;
pub mod notice;
pub mod operator_partners;
pub mod operators;
pub mod password_change;
pub mod passwords;
pub mod platform_admin;
pub mod platforms;
pub mod profile;
pub mod replies;
pub mod sessions;
pub mod signed_in;
pub mod signup;
pub mod suspension;

use axum::Router;
use shared::auth::Role;
pub use shared::env::{AppState, Env};
use shared::route;
use shared::routes::{Access, Route};

/// A partner acting for itself; `/partners/me` takes the partner from the token.
const PARTNER: Access = Access::roles(&[Role::Partner]);
const OPERATOR: Access = Access::roles(&[Role::Operator]);
/// A platform's manager; the operator may act for every platform.
const MANAGER: Access = Access::roles(&[Role::Manager, Role::Operator]);
/// Every account that logs in platform-wide, for its own login.
const OWN_LOGIN: Access = Access::roles(&[Role::Operator, Role::Manager, Role::Partner]);

/// Every route of the function, declared once: the router, the OpenAPI document, the
/// access matrix and the template check are built from this list.
pub fn routes() -> Vec<Route<AppState>> {
    vec![
        route!(POST "/partners", Access::Public, signup::register),
        route!(POST "/partners/confirm", Access::Public, signup::confirm),
        route!(POST "/auth/confirmation/resend", Access::Public, signup::resend_confirmation),
        route!(POST "/auth/login", Access::Public, login::login),
        route!(POST "/auth/refresh", Access::Public, login::refresh),
        route!(POST "/auth/logout", Access::Public, login::logout),
        route!(POST "/auth/password-reset", Access::Public, passwords::request_reset),
        route!(POST "/auth/password-reset/confirm", Access::Public, passwords::confirm_reset),
        route!(POST "/auth/invitations/accept", Access::Public, passwords::accept_invitation),
        route!(POST "/auth/password", OWN_LOGIN, password_change::change_password),
        route!(GET "/partners/me", PARTNER, profile::get_me),
        route!(PATCH "/partners/me", PARTNER, profile::patch_me),
        route!(POST "/partners/me/logo", PARTNER, profile::presign_logo),
        route!(PUT "/partners/me/sepa-mandate", PARTNER, mandate::put_mandate),
        route!(POST "/partners/me/email", PARTNER, email_change::request_change),
        route!(POST "/partners/email/confirm", Access::Public, email_change::confirm_change),
        route!(GET "/partners/me/export", PARTNER, export::export),
        route!(GET "/partners/me/closure", PARTNER, closure::preview),
        route!(POST "/partners/me/closure", PARTNER, closure::close),
        route!(GET "/partners/me/platforms", PARTNER, applications::list_mine),
        route!(GET "/partners", OPERATOR, operator_partners::search),
        route!(GET "/partners/{partner_id}", OPERATOR, operator_partners::overview),
        // Applying is open to every platform; withdrawing only where the partner applied.
        route!(POST "/partners/me/platforms/{platform_id}", PARTNER, applications::apply),
        route!(
            DELETE "/partners/me/platforms/{platform_id}",
            PARTNER.owning(&["platform_id"]),
            applications::cancel
        ),
        route!(GET "/platforms", Access::Public, platforms::list),
        route!(POST "/platforms", OPERATOR, platforms::create),
        route!(PATCH "/platforms/{platform_id}", OPERATOR, platform_admin::rename),
        route!(POST "/platforms/{platform_id}/fee-changes", OPERATOR, platform_admin::change_fee),
        route!(GET "/platforms/{platform_id}/managers", OPERATOR, platform_admin::list_managers),
        route!(POST "/platforms/{platform_id}/managers", OPERATOR, platforms::invite_manager),
        route!(
            DELETE "/platforms/{platform_id}/managers/{account_id}",
            OPERATOR,
            platform_admin::remove_manager
        ),
        route!(
            GET "/platforms/{platform_id}/applications",
            MANAGER.owning(&["platform_id"]),
            applications::list_for_platform
        ),
        route!(
            POST "/platforms/{platform_id}/applications/{partner_id}/decision",
            MANAGER.owning(&["platform_id", "partner_id"]),
            applications::decide
        ),
        route!(
            POST "/platforms/{platform_id}/partners/{partner_id}/suspension",
            MANAGER.owning(&["platform_id", "partner_id"]),
            suspension::suspend
        ),
        route!(
            DELETE "/platforms/{platform_id}/partners/{partner_id}/suspension",
            MANAGER.owning(&["platform_id", "partner_id"]),
            suspension::reinstate
        ),
        // Last: the access matrix acts as the own side's partner on the routes after it.
        route!(POST "/partners/{partner_id}/disable", OPERATOR, operator_partners::disable),
    ]
}

/// The function's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document(
        "partnernetz registration",
        env!("CARGO_PKG_VERSION"),
        &routes(),
    )
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
