//! The registration function: partner sign-up and login, profile, SEPA mandate, platforms,
//! applications and their review.

pub mod applications;
pub mod login;
pub mod mails;
pub mod mandate;
pub mod notice;
pub mod operators;
pub mod passwords;
pub mod platforms;
pub mod profile;
pub mod signup;

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
pub use shared::env::{AppState, Env};

/// Every route of the function, declared once; `infra/template.yaml` must list the same.
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::POST, "/partners", post(signup::register)),
        (Method::POST, "/partners/confirm", post(signup::confirm)),
        (Method::POST, "/auth/login", post(login::login)),
        (
            Method::POST,
            "/auth/password-reset",
            post(passwords::request_reset),
        ),
        (
            Method::POST,
            "/auth/password-reset/confirm",
            post(passwords::confirm_reset),
        ),
        (
            Method::POST,
            "/auth/invitations/accept",
            post(passwords::accept_invitation),
        ),
        (Method::GET, "/partners/me", get(profile::get_me)),
        (Method::PATCH, "/partners/me", patch(profile::patch_me)),
        (
            Method::POST,
            "/partners/me/logo",
            post(profile::presign_logo),
        ),
        (
            Method::PUT,
            "/partners/me/sepa-mandate",
            put(mandate::put_mandate),
        ),
        (
            Method::GET,
            "/partners/me/platforms",
            get(applications::list_mine),
        ),
        (
            Method::POST,
            "/partners/me/platforms/{platform_id}",
            post(applications::apply),
        ),
        (
            Method::DELETE,
            "/partners/me/platforms/{platform_id}",
            delete(applications::cancel),
        ),
        (Method::GET, "/platforms", get(platforms::list)),
        (Method::POST, "/platforms", post(platforms::create)),
        (
            Method::POST,
            "/platforms/{platform_id}/managers",
            post(platforms::invite_manager),
        ),
        (
            Method::GET,
            "/platforms/{platform_id}/applications",
            get(applications::list_for_platform),
        ),
        (
            Method::POST,
            "/platforms/{platform_id}/applications/{partner_id}/decision",
            post(applications::decide),
        ),
    ]
}

/// The function's routes over its environment, not yet finished: local-api merges several.
pub fn api(env: &Env) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        })
        .with_state(AppState::new(env))
}

/// The function's router; `main.rs`, the tests and the bench all build it here.
pub fn build(env: &Env) -> Router {
    shared::http::finish(api(env))
}
