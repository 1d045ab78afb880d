//! The route table: every route of a function declared once, with who may call it.
//!
//! The router, the OpenAPI document, the template check and the access matrix are all built
//! from the table, so a new route is covered everywhere by adding one line:
//!
//! ```ignore
//! route!(POST "/platforms", Access::roles(&[Role::Operator]), platforms::create)
//! ```
//!
//! The handler carries a `#[utoipa::path]` annotation describing its input and output; the
//! document takes method and path from there, and a test checks both lists agree.

use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::Paths;
use utoipa::openapi::schema::Schema;

use crate::auth::Role;

#[cfg(feature = "testing")]
pub mod checks;
#[cfg(feature = "testing")]
pub mod matrix;
#[cfg(feature = "testing")]
pub mod policy;

#[doc(hidden)]
pub use utoipa_axum as __utoipa_axum;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// A valid token with one of `roles`. `owned` names the path parameters that must be ids
    /// of the caller's own tenant or platforms: another tenant's id is refused with 403 or
    /// 404. The operator acts for every tenant, so `owned` does not bind it.
    Token {
        roles: &'static [Role],
        owned: &'static [&'static str],
    },
}

impl Access {
    /// A token with one of these roles.
    pub const fn roles(roles: &'static [Role]) -> Self {
        Access::Token { roles, owned: &[] }
    }

    /// These path parameters must name the caller's own tenant or platforms.
    pub const fn owning(self, params: &'static [&'static str]) -> Self {
        match self {
            Access::Public => Access::Public,
            Access::Token { roles, .. } => Access::Token {
                roles,
                owned: params,
            },
        }
    }

    pub fn is_public(&self) -> bool {
        matches!(self, Access::Public)
    }

    /// Whether a token of this role gets past authorisation.
    pub fn allows(&self, role: Role) -> bool {
        match self {
            Access::Public => true,
            Access::Token { roles, .. } => roles.contains(&role),
        }
    }

    pub fn owned_params(&self) -> &'static [&'static str] {
        match self {
            Access::Public => &[],
            Access::Token { owned, .. } => owned,
        }
    }
}

/// The schemas an operation references, by component name.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// What `utoipa_axum::routes!` makes of one annotated handler.
pub type Annotated<S> = (Schemas, Paths, MethodRouter<S>);

/// One route of a function; build it with [`route!`](crate::route).
pub struct Route<S> {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<S>,
    // Built only when the document is asked for, so a cold start never pays for it.
    annotation: fn() -> Annotated<S>,
}

impl<S> Route<S> {
    #[doc(hidden)]
    pub fn new(
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<S>,
        annotation: fn() -> Annotated<S>,
    ) -> Self {
        Self {
            method,
            path,
            access,
            handler,
            annotation,
        }
    }

    /// The handler's `#[utoipa::path]` description: its paths and the schemas they use.
    pub fn annotation(&self) -> (Schemas, Paths) {
        let (schemas, paths, _) = (self.annotation)();
        (schemas, paths)
    }
}

/// The router serving every route of the table (without state, fallback or layers).
pub fn router<S>(routes: Vec<Route<S>>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes
        .into_iter()
        .fold(Router::new(), |r, route| r.route(route.path, route.handler))
}

/// One line of a route table: method, path, [`Access`] and the annotated handler.
///
/// ```ignore
/// route!(GET "/partners/me", PARTNER, profile::get_me)
/// ```
#[macro_export]
macro_rules! route {
    ($method:ident $path:literal, $access:expr, $handler:path) => {
        $crate::routes::Route::new(
            ::axum::http::Method::$method,
            $path,
            $access,
            $crate::route!(@handler $method $handler),
            || $crate::routes::__utoipa_axum::routes!($handler),
        )
    };
    (@handler GET $handler:path) => { ::axum::routing::get($handler) };
    (@handler POST $handler:path) => { ::axum::routing::post($handler) };
    (@handler PUT $handler:path) => { ::axum::routing::put($handler) };
    (@handler PATCH $handler:path) => { ::axum::routing::patch($handler) };
    (@handler DELETE $handler:path) => { ::axum::routing::delete($handler) };
}
