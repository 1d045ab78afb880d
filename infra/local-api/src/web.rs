//! The web app beside the API, as deployed: its own origin. The built single-page app
//! (`web/build`, made by `cargo xtask run` or `cargo xtask test`) is served as CloudFront
//! serves it: every unknown path answered with `index.html` (`/kasse/...` with the till's own
//! `kasse.html`), hashed assets cached for a year,
//! `index.html` never, the security headers of the deployed distribution, and `/config.json`
//! telling the app where the API is. The API answers the app's origin through CORS.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::get;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The folder the app's build lands in, relative to the repository.
pub const BUILD_DIR: &str = "web/build";

/// Where the app is built, if it is: `WEB_DIR`, else `web/build`, when it holds an index.
pub fn build_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(BUILD_DIR));
    dir.join("index.html").is_file().then_some(dir)
}

/// The till's own page (web/vite.till.config.ts), answered for every path under `/kasse`.
pub const TILL_PAGE: &str = "kasse.html";

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The app's routes over its build folder, with `/config.json` naming the API.
pub fn app(dir: &Path, api_base_url: &str) -> Router {
    let index = dir.join("index.html");
    let till = dir.join(TILL_PAGE);
    let config = serde_json::json!({ "api_base_url": api_base_url }).to_string();
    // Compressed as CloudFront sends them: the build's `.br` and `.gz` beside each file
    // (adapter-static's `precompress`), to a client that accepts them.
    let static_files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                ))
                .service(
                    ServeFile::new(index)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        );
    let immutable = ServeDir::new(dir.join("_app").join("immutable"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .route(
            "/config.json",
            get(move || {
                let config = config.clone();
                async move {
                    (
                        StatusCode::OK,
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CACHE_CONTROL, "no-cache"),
                        ],
                        config,
                    )
                }
            }),
        )
        .nest_service(
            "/kasse",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                ))
                .service(ServeFile::new(till).precompressed_br().precompressed_gzip()),
        )
        .nest_service(
            "/_app/immutable",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ))
                .service(immutable),
        )
        .fallback_service(static_files)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
}

/// The API's CORS for the app's origin: its calls with the bearer token, the idempotency
/// and API key headers, and credentials (the refresh cookie of the auth routes).
pub fn cors(web_origin: &str) -> anyhow::Result<CorsLayer> {
    Ok(CorsLayer::new()
        // Answered only to the app's origin; any other gets no CORS headers at all.
        .allow_origin(AllowOrigin::list([HeaderValue::from_str(web_origin)?]))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-api-key"),
        ])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(600)))
}

/// The origin the app is served on.
pub fn origin(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
