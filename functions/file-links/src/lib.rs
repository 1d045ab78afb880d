//! The file-links function: the digital customer account. A supplier (a partner) books it
//! with a slug, adds customers who get a login (scope `customer`) that opens their folder at
//! a file-sharing service, and global links every customer sees; customers copy folder
//! passwords, and the supplier sees who did so when.

pub mod account;
pub mod customers;
pub mod folders;
pub mod links;
pub mod records;
pub mod secrets;
pub mod slug;

use axum::Router;
use shared::auth::Role;
pub use shared::env::{AppState, Env};
use shared::route;
use shared::routes::{Access, Route};

/// The supplier, acting for itself: every id it names is checked against its partition.
const SUPPLIER: Access = Access::roles(&[Role::Partner]);
const OPERATOR: Access = Access::roles(&[Role::Operator]);
/// A supplier's customer (scope `customer:<supplier>`).
const CUSTOMER: Access = Access::roles(&[Role::Customer]);

/// Every route of the function, declared once: the router, the OpenAPI document, the
/// access matrix and the template check are built from this list.
pub fn routes() -> Vec<Route<AppState>> {
    vec![
        route!(GET "/suppliers/{slug}", Access::Public, account::supplier_page),
        route!(POST "/file-links/account", SUPPLIER, account::book),
        route!(GET "/file-links/account", SUPPLIER, account::get),
        route!(DELETE "/file-links/account", SUPPLIER, account::cancel),
        route!(
            PUT "/file-links/accounts/{partner_id}/unlimited",
            OPERATOR,
            account::grant_unlimited
        ),
        route!(GET "/file-links/customers", SUPPLIER, customers::list),
        route!(POST "/file-links/customers", SUPPLIER, customers::create),
        route!(
            GET "/file-links/customers/{customer_id}",
            SUPPLIER.owning(&["customer_id"]),
            customers::get_one
        ),
        route!(
            PATCH "/file-links/customers/{customer_id}",
            SUPPLIER.owning(&["customer_id"]),
            customers::update
        ),
        route!(
            POST "/file-links/customers/{customer_id}/invitation",
            SUPPLIER.owning(&["customer_id"]),
            customers::resend_invitation
        ),
        route!(
            POST "/file-links/customers/{customer_id}/disable",
            SUPPLIER.owning(&["customer_id"]),
            customers::disable
        ),
        route!(
            POST "/file-links/customers/{customer_id}/enable",
            SUPPLIER.owning(&["customer_id"]),
            customers::enable
        ),
        route!(
            DELETE "/file-links/customers/{customer_id}",
            SUPPLIER.owning(&["customer_id"]),
            customers::delete
        ),
        route!(GET "/file-links/links", SUPPLIER, links::list),
        route!(POST "/file-links/links", SUPPLIER, links::create),
        route!(
            DELETE "/file-links/links/{link_id}",
            SUPPLIER.owning(&["link_id"]),
            links::delete
        ),
        route!(GET "/file-links/reveals", SUPPLIER, folders::list_reveals),
        route!(GET "/me/folders", CUSTOMER, folders::mine),
        route!(
            POST "/me/folders/{folder_id}/password",
            CUSTOMER.owning(&["folder_id"]),
            folders::reveal
        ),
    ]
}

/// The function's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    shared::openapi::document(
        "partnernetz file-links",
        env!("CARGO_PKG_VERSION"),
        &routes(),
    )
}

/// The function's routes over its environment, not yet finished: local-api merges several.
pub fn api(env: &Env) -> Router {
    shared::routes::router(routes()).with_state(AppState::new(env))
}

/// The function's router with its own `GET /openapi.json`.
pub fn build(env: &Env) -> Router {
    shared::http::finish(api(env).merge(shared::openapi::serve(openapi)))
}
