//! The redirect function: `GET /r/{code}` answers a referral link with a 302 to its program's
//! landing URL and counts the click. Nothing else, so it stays small and starts fast: it
//! reads and writes DynamoDB only and links no S3 or SES code.

pub mod bots;
pub mod follow;
pub mod links;
pub mod page;
pub mod recent;
pub mod visitor;
pub mod word_roles;

use std::sync::Arc;

use axum::Router;
use shared::clock::SharedClock;
use shared::route;
use shared::routes::{Access, Route};
use shared::store::SharedTable;

pub use visitor::ClickSecret;

/// What the redirect needs: the table, the clock and the click secret, and what one instance
/// keeps between clicks (the day's salt, the visitors it counted, the links it just read).
#[derive(Clone, Debug)]
pub struct RedirectState(Arc<Inner>);

pub struct Inner {
    pub table: SharedTable,
    pub clock: SharedClock,
    pub salt: visitor::DailySalt,
    pub recent: recent::RecentClicks,
    pub links: links::RecentLinks,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner").finish_non_exhaustive()
    }
}

impl RedirectState {
    pub fn new(table: SharedTable, clock: SharedClock, secret: ClickSecret) -> Self {
        Self::keeping_links_for(table, clock, secret, 0)
    }

    /// The same, keeping each link it reads for `keep_secs` (see [`links`]); without this,
    /// as in tests, every click reads its link.
    pub fn keeping_links_for(
        table: SharedTable,
        clock: SharedClock,
        secret: ClickSecret,
        keep_secs: i64,
    ) -> Self {
        Self(Arc::new(Inner {
            table,
            clock,
            salt: visitor::DailySalt::new(secret),
            recent: recent::RecentClicks::default(),
            links: links::RecentLinks::keeping_for(keep_secs),
        }))
    }
}

impl std::ops::Deref for RedirectState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub fn routes() -> Vec<Route<RedirectState>> {
    vec![route!(GET "/r/{code}", Access::Public, follow::follow)]
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document("partnernetz redirect", env!("CARGO_PKG_VERSION"), &routes())
}

/// The routes over their state, not yet finished: local-api merges several functions.
pub fn api(state: RedirectState) -> Router {
    shared::routes::router(routes()).with_state(state)
}

/// The function's router with its own `GET /openapi.json`.
pub fn build(state: RedirectState) -> Router {
    shared::http::finish(api(state).merge(shared::openapi::serve(openapi)))
}
