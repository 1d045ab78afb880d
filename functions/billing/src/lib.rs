//! The billing function (issue 11): the monthly run that turns every billable partner's
//! contracts into one VAT invoice with a gapless number, the operator's routes over runs,
//! and the partner's list of invoices.
//!
//! - [`sources`]: one pure line source per product; [`lines`]: lines and totals (rounding).
//! - [`partner`]: what the run reads of a partner; [`bill`]: a batch in one transaction.
//! - [`runner`]: start, planner, worker (SQS) and the in-process run of local-api.
//! - [`debit`]: debit orders, SEPA files and collections; [`collect`]: writing the files.
//! - [`routes`]: operator and partner routes.

pub mod bill;
pub mod collect;
pub mod config;
pub mod correction;
pub mod customer;
pub mod debit;
pub mod delivery;
pub mod document;
pub mod invoice;
pub mod lines;
pub mod partner;
pub mod partner_invoices;
pub mod queue;
pub mod routes;
pub mod run;
pub mod runner;
pub mod sepa;
pub mod sources;
pub mod xml;
pub mod xrechnung;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use shared::auth::{Role, TokenCheck};
use shared::env::Env;
use shared::route;
use shared::routes::{Access, Route};

pub use config::BillingConfig;
pub use queue::{LocalQueue, Message, Queue, SharedQueue, SqsQueue, sqs_client};
pub use shared::domain::Month;

/// What billing runs on: the platform's ports, the run's queue and the operator's data.
pub struct Billing {
    pub env: Env,
    pub queue: SharedQueue,
    pub config: BillingConfig,
    /// Platform fees, read once per cold start.
    pub fees: partner::Fees,
}

impl std::fmt::Debug for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Billing")
            .field("env", &self.env)
            .field("supplier", &self.config.supplier_name)
            .finish_non_exhaustive()
    }
}

impl Billing {
    pub fn new(env: &Env, queue: SharedQueue, config: BillingConfig) -> Self {
        Self {
            env: env.clone(),
            queue,
            config,
            fees: partner::Fees::default(),
        }
    }
}

/// The router state: one reference count, cheap to clone per request.
#[derive(Clone, Debug)]
pub struct BillingState(pub Arc<Billing>);

impl std::ops::Deref for BillingState {
    type Target = Billing;
    fn deref(&self) -> &Billing {
        &self.0
    }
}

impl FromRef<BillingState> for TokenCheck {
    fn from_ref(state: &BillingState) -> Self {
        state.0.env.token_check()
    }
}

/// A partner that closed its account is refused at once (`PartnerAuth`).
impl FromRef<BillingState> for shared::auth::Revocations {
    fn from_ref(state: &BillingState) -> Self {
        shared::auth::Revocations(state.0.env.table.clone())
    }
}

const OPERATOR: Access = Access::roles(&[Role::Operator]);
const PARTNER: Access = Access::roles(&[Role::Partner]);

/// Every route of the function, declared once.
pub fn routes() -> Vec<Route<BillingState>> {
    vec![
        route!(GET "/billing/runs", OPERATOR, routes::list_runs),
        route!(POST "/billing/runs", OPERATOR, routes::start),
        route!(GET "/billing/runs/{period}", OPERATOR, routes::get_run),
        route!(POST "/billing/runs/{period}/retry", OPERATOR, routes::retry),
        route!(GET "/billing/runs/{period}/sepa", OPERATOR, routes::sepa_files),
        route!(GET "/billing/runs/{period}/invoices", OPERATOR, routes::run_invoices),
        route!(
            POST "/billing/runs/{period}/invoices/{number}/cancellation",
            OPERATOR,
            routes::cancel_invoice
        ),
        route!(
            GET "/billing/partners/{partner_id}/invoices",
            OPERATOR,
            partner_invoices::list
        ),
        route!(GET "/partners/me/invoices", PARTNER, routes::my_invoices),
        route!(GET "/partners/me/sepa-creditor", PARTNER, routes::sepa_creditor),
    ]
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document("partnernetz billing", env!("CARGO_PKG_VERSION"), &routes())
}

/// The routes over a billing state, not yet finished: local-api merges several.
pub fn api_with(billing: Arc<Billing>) -> Router {
    shared::routes::router(routes()).with_state(BillingState(billing))
}

/// The routes as local-api serves them: the operator data of [`BillingConfig::local`] and an
/// in-process queue worked off by a task of the running server, as the deployed worker
/// works off SQS.
pub fn api(env: &Env) -> Router {
    let queue = Arc::new(LocalQueue::new());
    let billing = Arc::new(Billing::new(env, queue.clone(), BillingConfig::local()));
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(runner::work_locally(billing.clone(), queue));
    }
    api_with(billing)
}

/// The function's router with its own `GET /openapi.json`.
pub fn build_with(billing: Arc<Billing>) -> Router {
    shared::http::finish(api_with(billing).merge(shared::openapi::serve(openapi)))
}
