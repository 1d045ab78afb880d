//! The registration function: partner sign-up and login, profile, SEPA mandate, platforms,
//! applications and their review.

pub mod applications;
pub mod config;
pub mod login;
pub mod mails;
pub mod mandate;
pub mod notice;
pub mod operators;
pub mod passwords;
pub mod platforms;
pub mod profile;
pub mod records;
pub mod signup;
pub mod state;
pub mod tokens;

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use shared::auth::{JwtIssuer, JwtVerifier};
use shared::blobs::Blobs;
use shared::crypto::DataKey;
use shared::mail::SharedMailer;
use shared::store::SharedTable;

pub use config::Config;
pub use state::{AppState, Services};

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

pub fn router(state: AppState) -> Router {
    let routes = routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        });
    shared::http::finish(routes).with_state(state)
}

/// Builds the services from configuration and AWS clients (DynamoDB, S3, SES).
pub fn services_from_config(
    config: &Config,
    sdk: &shared::config::SdkConfig,
) -> Result<Services, Box<dyn std::error::Error + Send + Sync>> {
    Ok(Services {
        table: Arc::new(shared::store::DynamoTable::new(
            shared::config::dynamodb_client(sdk),
            &config.table_name,
        )) as SharedTable,
        blobs: Blobs::new(shared::config::s3_client(sdk), &config.bucket_name),
        mailer: Arc::new(shared::mail::SesMailer::new(
            shared::config::ses_client(sdk),
            &config.sender_address,
        )) as SharedMailer,
        issuer: JwtIssuer::from_pem(&config.jwt_private_key_pem)?,
        verifier: Arc::new(JwtVerifier::from_pem(&config.jwt_public_key_pem)?),
        data_key: DataKey::from_base64(&config.data_key)?,
        public_base_url: config.public_base_url.clone(),
    })
}

pub(crate) fn now_epoch() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Today's civil date in Europe/Berlin: fees and notice periods run on German dates.
pub fn berlin_today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .in_tz("Europe/Berlin")
        .map(|z| z.date())
        .unwrap_or_else(|_| {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        })
}
