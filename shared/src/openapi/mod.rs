//! The OpenAPI document (docs/architecture.md §13): built from a function's route table, with the
//! problem+json answers every route shares, merged across functions for local-api, and
//! served as `GET /openapi.json`.
//!
//! Handlers document what is particular to them (`#[utoipa::path]`: body, success and
//! domain problems such as 409, referenced as e.g. `response = shared::openapi::Conflict`).
//! What follows from the route table is added here, so it cannot be forgotten: the bearer
//! security and 401/403 of protected routes, 400/413/415 of routes with a body, 400/404
//! of routes with parameters, and 503 everywhere.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HeaderBuilder, InfoBuilder, OpenApi, OpenApiBuilder,
    PathsBuilder, Ref, RefOr, ResponseBuilder,
};
use utoipa::{PartialSchema, ToResponse, ToSchema};

use crate::routes::{Access, Route};

mod schemas;

pub use schemas::{
    Consent, MultilineText, Text, closed_object, multiline_text, multiline_text_between,
    multiline_text_pattern, one_of_strings, optional_multiline_text,
    optional_multiline_text_pattern, optional_text, optional_text_pattern, text_pattern,
};

pub use crate::error::PROBLEM_JSON;

/// The name of the bearer security scheme in the document.
pub const BEARER: &str = "bearer";

/// An RFC 9457 problem: how every error is answered (`shared::Error`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(
    as = Problem,
    example = json!({
        "type": "https://partnernetz.de/probleme/validation",
        "title": "Ungültige Eingabe",
        "status": 400,
        "detail": "email: ist keine gültige E-Mail-Adresse",
        "errors": [{"field": "email", "message": "ist keine gültige E-Mail-Adresse"}]
    })
)]
pub struct ProblemDoc {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub kind: String,
    /// A short German title of the kind.
    pub title: String,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong, in German.
    pub detail: String,
    /// Every offending input field (only for 400 with bad fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldErrorDoc>>,
}

/// One invalid input field.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDoc {
    /// The field's path in the body, e.g. `address.postal_code`.
    pub field: String,
    /// What is wrong with it, in German.
    pub message: String,
}

/// A problem response with its status's meaning; `retry_after` documents the header.
fn problem_response(description: &str, retry_after: bool) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(<u32 as PartialSchema>::schema()))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    response.build().into()
}

/// One shared problem response: its status, component name and meaning.
struct ProblemKind {
    status: &'static str,
    name: &'static str,
    description: &'static str,
    retry_after: bool,
}

macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal, $retry:literal;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                    (stringify!($name), problem_response($description, $retry))
                }
            }
        )*

        const PROBLEMS: &[ProblemKind] = &[$(ProblemKind {
            status: $status,
            name: stringify!($name),
            description: $description,
            retry_after: $retry,
        }),*];
    };
}

problem_responses! {
    /// 400: malformed JSON, a missing or invalid field (named in `errors`).
    BadRequest = "400", "Invalid input; `errors` names every offending field.", false;
    /// 401: no token, or a forged or expired one; also wrong credentials at login.
    Unauthorized = "401", "Not logged in, or the token is invalid or expired.", false;
    /// 403: the token's role or tenant may not do this.
    Forbidden = "403", "The caller's role or tenant may not do this.", false;
    /// 404: nothing with this id, or not one of the caller's.
    NotFound = "404", "Not found, or not the caller's.", false;
    /// 409: the state does not allow it (already exists, already decided).
    Conflict = "409", "Conflicts with the current state.", false;
    /// 410: a link that was valid but is used or expired.
    Gone = "410", "The link was already used or has expired.", false;
    /// 413: the body is larger than the limit.
    PayloadTooLarge = "413", "The body is too large.", false;
    /// 415: the body is not `application/json`.
    UnsupportedMediaType = "415", "The body must be application/json.", false;
    /// 422: well-formed, but a business rule forbids it.
    Unprocessable = "422", "A business rule forbids this.", false;
    /// 429: too many attempts.
    TooManyRequests = "429", "Too many attempts; wait before trying again.", true;
    /// 503: a dependency is down.
    Unavailable = "503", "A dependency is unavailable; try again shortly.", true;
}

/// Which shared problems a route answers because of its shape and access.
fn implied_problems(access: &Access, op: &Operation, path: &str) -> Vec<&'static str> {
    let mut statuses = vec!["503"];
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path_params = path.contains('{')
        || params.iter().any(|p| match p {
            RefOr::T(p) => p.parameter_in == ParameterIn::Path,
            RefOr::Ref(_) => false,
        });
    if op.request_body.is_some() {
        statuses.extend(["400", "413", "415"]);
    }
    if !params.is_empty() || has_path_params {
        statuses.push("400");
    }
    if has_path_params {
        statuses.push("404");
    }
    if !access.is_public() {
        statuses.extend(["401", "403"]);
    }
    statuses
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// The document of one function's routes.
pub fn document<S>(title: &str, version: &str, routes: &[Route<S>]) -> OpenApi {
    let mut paths = PathsBuilder::new().build();
    let mut schemas = BTreeMap::new();
    for route in routes {
        let (route_schemas, mut route_paths) = route.annotation();
        schemas.extend(route_schemas);
        for (path, item) in route_paths.paths.iter_mut() {
            for op in operations_mut(item) {
                complete(op, &route.access, path);
                op.operation_id = Some(operation_id(route.method.as_str(), path));
            }
        }
        paths.merge(route_paths);
    }
    let mut components = ComponentsBuilder::new()
        .schema_from::<ProblemDoc>()
        .schema_from::<FieldErrorDoc>()
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`access_token` from `POST /auth/login`; valid for 15 minutes.",
                    ))
                    .build(),
            ),
        );
    for problem in PROBLEMS {
        components = components.response(
            problem.name,
            problem_response(problem.description, problem.retry_after),
        );
    }
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title(title).version(version).build())
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// Adds what the route's access and shape imply; what the handler documented stays.
/// An operation's id from its method and path (`GET /cards/pos/cards/{number}` →
/// `get_cards_pos_cards_number`): unique across every function, as the web app's generated
/// client needs (it files each operation's types under its id; the handlers' names repeat,
/// `show` or `create` in several functions).
pub fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.extend(segment.chars().filter_map(|c| match c {
            '{' | '}' => None,
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => Some('_'),
        }));
    }
    id
}

fn complete(op: &mut Operation, access: &Access, path: &str) {
    for status in implied_problems(access, op, path) {
        if let Some(problem) = PROBLEMS.iter().find(|p| p.status == status) {
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert_with(|| Ref::from_response_name(problem.name).into());
        }
    }
    op.security = Some(if access.is_public() {
        Vec::new()
    } else {
        vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]
    });
}

/// One document for several functions (local-api serves all of them on one port).
pub fn merge(title: &str, version: &str, documents: impl IntoIterator<Item = OpenApi>) -> OpenApi {
    let mut merged = OpenApiBuilder::new()
        .info(InfoBuilder::new().title(title).version(version).build())
        .build();
    for document in documents {
        merged.merge(document);
    }
    merged
}

/// `GET /openapi.json` answering `document`, built on the first request and kept: a cold
/// start that is never asked for the document never builds it.
pub fn serve<S>(document: impl Fn() -> OpenApi + Send + Sync + 'static) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let cache: Arc<OnceLock<Bytes>> = Arc::new(OnceLock::new());
    let document = Arc::new(document);
    Router::new().route(
        "/openapi.json",
        get(move || {
            let cache = cache.clone();
            let document = document.clone();
            async move {
                let body = match cache.get() {
                    Some(body) => body.clone(),
                    None => {
                        let body = Bytes::from(
                            serde_json::to_vec(&document()).map_err(crate::Error::internal)?,
                        );
                        cache.get_or_init(|| body).clone()
                    }
                };
                Ok::<Response, crate::Error>(json_response(body))
            }
        }),
    )
}

fn json_response(body: Bytes) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::Json;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::*;
    use crate::auth::Role;
    use crate::route;

    #[derive(serde::Deserialize, ToSchema)]
    #[allow(dead_code)]
    struct NewThing {
        name: String,
    }

    /// Creates a thing.
    #[utoipa::path(post, path = "/things", request_body = NewThing,
        responses((status = 201, description = "created"), (status = 409, response = Conflict)))]
    async fn create(Json(_): Json<NewThing>) -> StatusCode {
        StatusCode::CREATED
    }

    /// Lists things.
    #[utoipa::path(get, path = "/things/{id}", params(("id" = String, Path)),
        responses((status = 200, description = "the thing")))]
    async fn read() -> StatusCode {
        StatusCode::OK
    }

    /// Another function's route.
    #[utoipa::path(get, path = "/others/{id}", params(("id" = String, Path)),
        responses((status = 200, description = "the other")))]
    async fn other() -> StatusCode {
        StatusCode::OK
    }

    fn table() -> Vec<Route<()>> {
        vec![
            route!(POST "/things", Access::roles(&[Role::Operator]), create),
            route!(GET "/things/{id}", Access::Public, read),
        ]
    }

    fn as_json(doc: &OpenApi) -> Value {
        serde_json::to_value(doc).unwrap_or_default()
    }

    #[test]
    fn protected_routes_get_security_and_the_problems_their_shape_implies() {
        let doc = as_json(&document("Test", "1", &table()));
        let post = &doc["paths"]["/things"]["post"];
        assert_eq!(post["security"], json!([{"bearer": []}]));
        for status in ["400", "401", "403", "413", "415", "503"] {
            assert_eq!(
                post["responses"][status]["$ref"],
                json!(format!(
                    "#/components/responses/{}",
                    PROBLEMS
                        .iter()
                        .find(|p| p.status == status)
                        .map(|p| p.name)
                        .unwrap_or_default()
                )),
                "{status}"
            );
        }
        assert_eq!(
            post["responses"]["409"]["$ref"],
            "#/components/responses/Conflict"
        );
        assert_eq!(post["responses"]["201"]["description"], "created");
        assert!(post["responses"].get("404").is_none(), "no path parameter");
        assert!(doc["components"]["schemas"]["NewThing"].is_object());

        let get = &doc["paths"]["/things/{id}"]["get"];
        assert_eq!(get["security"], json!([]), "public");
        assert!(get["responses"].get("401").is_none());
        assert_eq!(
            get["responses"]["404"]["$ref"],
            "#/components/responses/NotFound"
        );
    }

    #[test]
    fn problem_responses_are_problem_json_and_retry_after_is_documented() {
        let doc = as_json(&document("Test", "1", &table()));
        let responses = &doc["components"]["responses"];
        assert_eq!(
            responses["Conflict"]["content"][PROBLEM_JSON]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        assert!(responses["Unavailable"]["headers"]["Retry-After"].is_object());
        assert!(responses["Conflict"].get("headers").is_none());
    }

    /// The documented problem schema names exactly the fields `shared::Error` renders.
    #[tokio::test]
    async fn the_problem_schema_matches_what_errors_render() {
        let doc = as_json(&document("Test", "1", &table()));
        let schema = &doc["components"]["schemas"]["Problem"];
        let mut documented: Vec<&str> = schema["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        documented.sort_unstable();
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        required.sort_unstable();

        let rendered = |e: crate::Error| async move {
            let response = e.into_response();
            assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap_or_default();
            serde_json::from_slice::<Value>(&bytes).unwrap_or_default()
        };
        let with_fields = rendered(crate::Error::field("email", "fehlt")).await;
        let without = rendered(crate::Error::Conflict("schon da".into())).await;
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort_unstable();
            k
        };
        assert_eq!(keys(&with_fields), documented);
        assert_eq!(keys(&without), required);
        assert_eq!(
            keys(&with_fields["errors"][0]),
            ["field", "message"],
            "FieldError"
        );
    }

    #[tokio::test]
    async fn the_document_is_served_as_json() {
        let app: Router = serve(|| document("Test", "1", &table()));
        let response = app
            .oneshot(
                Request::get("/openapi.json")
                    .body(Body::empty())
                    .unwrap_or_default(),
            )
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        let doc: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(doc["info"]["title"], "Test");
        assert!(doc["paths"]["/things"]["post"].is_object());
    }

    #[test]
    fn merged_documents_keep_every_path_and_component() {
        let other: Vec<Route<()>> = vec![route!(GET "/others/{id}", Access::Public, other)];
        let merged = as_json(&merge(
            "All",
            "1",
            [document("A", "1", &table()), document("B", "1", &other)],
        ));
        assert_eq!(merged["info"]["title"], "All");
        assert!(merged["paths"]["/things"]["post"].is_object());
        assert!(merged["paths"]["/others/{id}"]["get"].is_object());
        assert!(merged["components"]["schemas"]["Problem"].is_object());
        assert!(merged["components"]["securitySchemes"]["bearer"].is_object());
    }
}
