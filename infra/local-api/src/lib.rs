//! The local runner: every function's router on one port, with embedded storage (SQLite),
//! an embedded S3 (s3s) and the outbox mailer, all under one data folder.

pub mod dns;
mod keys;
pub mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use shared::auth::{JwtIssuer, JwtVerifier};
use shared::clock::{SharedClock, SystemClock};
use shared::embedded_s3::{EmbeddedS3, ObjectCreated};
use shared::env::Env;
use shared::mail::OutboxMailer;
use shared::mail::pending::{self, Delivery, RetryLimits, RetrySummary};
use shared::store::SqliteTable;
use utoipa::openapi::OpenApi;

pub const BUCKET: &str = "partnernetz-local";

/// What local-api puts in place of a deployed service beside the environment: the TXT
/// records a landing domain's verification reads (`dns::LocalDns`).
#[derive(Clone)]
pub struct LocalPorts {
    pub dns: referrals::dns::SharedTxt,
}

/// A function local-api serves: its routes over the shared environment, their list and
/// its OpenAPI document.
pub struct Function {
    pub name: &'static str,
    pub api: fn(&Env, &LocalPorts) -> Router,
    pub routes: fn() -> Vec<(Method, &'static str)>,
    pub openapi: fn() -> OpenApi,
}

/// Every function, served on one port; a new function is one entry here.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "registration",
        api: |env, _| registration::api(env),
        routes: || {
            registration::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: registration::openapi,
    },
    Function {
        name: "billing",
        api: |env, _| billing::api(env),
        routes: || {
            billing::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: billing::openapi,
    },
    Function {
        name: "offers",
        api: |env, _| offers::api(env),
        routes: || {
            offers::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: offers::openapi,
    },
    Function {
        name: "file-links",
        api: |env, _| file_links::api(env),
        routes: || {
            file_links::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: file_links::openapi,
    },
    Function {
        name: "cards",
        api: |env, _| cards::api(env),
        routes: || {
            cards::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: cards::openapi,
    },
    Function {
        name: "referrals",
        api: |env, ports| referrals::api_with(env, ports.dns.clone()),
        routes: || {
            referrals::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: referrals::openapi,
    },
    Function {
        name: "redirect",
        api: |env, _| {
            redirect::api(redirect::RedirectState::new(
                env.table.clone(),
                env.clock.clone(),
                redirect::ClickSecret::new(LOCAL_CLICK_SECRET),
            ))
        },
        routes: || {
            redirect::routes()
                .into_iter()
                .map(|route| (route.method, route.path))
                .collect()
        },
        openapi: redirect::openapi,
    },
];

/// The redirect's click secret locally; deployed stacks take `ClickSecret` from SAM.
const LOCAL_CLICK_SECRET: &str = "local-click-secret-only-for-the-local-api";

/// Every function's document in one, as local-api serves them at `GET /openapi.json`.
pub fn openapi() -> OpenApi {
    shared::openapi::merge(
        "partnernetz",
        env!("CARGO_PKG_VERSION"),
        FUNCTIONS.iter().map(|f| (f.openapi)()),
    )
}

#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub data_dir: PathBuf,
    pub api_addr: SocketAddr,
    pub s3_addr: SocketAddr,
    /// Where the web app is served, and its build folder (none: the API alone).
    pub web_addr: SocketAddr,
    pub web_dir: Option<PathBuf>,
}

impl LocalConfig {
    /// `.data/` and 127.0.0.1:3000 (S3 on :3001, the web app on :3002);
    /// `PARTNERNETZ_DATA_DIR`, `PORT`, `S3_PORT` and `WEB_PORT` override.
    pub fn from_env() -> anyhow::Result<Self> {
        let port = |name: &str, default: u16| -> anyhow::Result<u16> {
            match std::env::var(name) {
                Ok(v) => v
                    .parse()
                    .with_context(|| format!("{name} must be a port number")),
                Err(_) => Ok(default),
            }
        };
        Ok(Self {
            data_dir: std::env::var_os("PARTNERNETZ_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(".data")),
            api_addr: SocketAddr::from(([127, 0, 0, 1], port("PORT", 3000)?)),
            s3_addr: SocketAddr::from(([127, 0, 0, 1], port("S3_PORT", 3001)?)),
            web_addr: SocketAddr::from(([127, 0, 0, 1], port("WEB_PORT", 3002)?)),
            web_dir: web::build_dir(),
        })
    }
}

impl LocalConfig {
    /// Where mails link to: the web app's origin when it is built, else the API's.
    pub fn public_base_url(&self) -> String {
        match self.web_dir {
            Some(_) => web::origin(self.web_addr),
            None => format!("http://{}", self.api_addr),
        }
    }
}

pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("partnernetz.db")
}

/// The folder mailer's folder: one JSON file per mail sent.
pub fn outbox_path(data_dir: &Path) -> PathBuf {
    data_dir.join("outbox")
}

/// One run of the mail-retry schedule (`cargo run -p local-api -- mail-retry`): the code the
/// deployed function runs, over the local SQLite data and the outbox folder. Safe while the
/// API serves: a mail is claimed before it is sent.
pub async fn mail_retry(
    config: &LocalConfig,
    clock: SharedClock,
    progress: &mut (dyn FnMut(Delivery) + Send),
) -> anyhow::Result<RetrySummary> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let table = SqliteTable::open(&database_path(&config.data_dir), clock.clone())
        .context("opening SQLite")?;
    // Attachments are read from the local S3 folder; its own port, as the API (and its S3)
    // may be running at the same time.
    let s3 = EmbeddedS3::start(
        &config.data_dir.join("s3"),
        BUCKET,
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .context("starting the embedded S3")?;
    let outbox = OutboxMailer::new(outbox_path(&config.data_dir))
        .context("opening the outbox")?
        .with_attachments(Arc::new(s3.blobs(BUCKET)?));
    let summary = pending::retry_due_with(
        &table,
        &outbox,
        clock.as_ref(),
        RetryLimits::mails(usize::MAX),
        progress,
    )
    .await
    .context("reading the pending mails")?;
    Ok(summary)
}

/// The local environment over the data folder: SQLite, the outbox folder and the S3 `s3`.
fn local_env(
    config: &LocalConfig,
    s3: &EmbeddedS3,
    keys: keys::LocalKeys,
    public_base_url: String,
) -> anyhow::Result<(Env, OutboxMailer)> {
    let clock: SharedClock = Arc::new(SystemClock);
    let table = SqliteTable::open(&database_path(&config.data_dir), clock.clone())
        .context("opening SQLite")?;
    let blobs = s3.blobs(BUCKET)?;
    let outbox = OutboxMailer::new(outbox_path(&config.data_dir))
        .context("creating the outbox")?
        .with_attachments(Arc::new(blobs.clone()));
    let env = Env {
        table: Arc::new(table),
        blobs,
        mailer: Arc::new(outbox.clone()),
        clock,
        verifier: Arc::new(JwtVerifier::from_pem(&keys.jwt.public_pem)?),
        issuer: Some(JwtIssuer::from_pem(&keys.jwt.private_pem)?),
        data_key: Some(keys.data_key),
        public_base_url,
    };
    Ok((env, outbox))
}

/// The billing run of a month (`cargo run -p local-api -- billing-run 2026-12`): the
/// deployed planner and worker in-process over the local data, the queue in memory.
/// Safe to repeat: partners billed already are left alone.
pub async fn billing_run(
    config: &LocalConfig,
    period: billing::Month,
    progress: &mut (dyn FnMut(billing::runner::Progress) + Send),
) -> anyhow::Result<billing::runner::Summary> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let keys = keys::load_or_create(&config.data_dir.join("keys"))?;
    // Its own port: the API (and its S3) may be running at the same time.
    let s3 = EmbeddedS3::start(
        &config.data_dir.join("s3"),
        BUCKET,
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .context("starting the embedded S3")?;
    let (env, _) = local_env(config, &s3, keys, config.public_base_url())?;
    let queue = Arc::new(billing::LocalQueue::new());
    let run = billing::Billing::new(&env, queue.clone(), billing::BillingConfig::local());
    let summary = billing::runner::run_in_process(&run, &queue, period, progress)
        .await
        .map_err(|e| match e {
            // A refused run: the German reason, as the API would answer it.
            shared::Error::Unprocessable(detail)
            | shared::Error::UnprocessableFields { detail, .. } => anyhow::anyhow!(detail),
            e => anyhow::anyhow!("{e}"),
        })?;
    Ok(summary)
}

/// One run of the managers' daily digest for `day` (`cargo run -p local-api --
/// manager-digest [date]`): each manager with applications or offers waiting on their
/// platforms gets one mail in the outbox; a rerun of the same day sends nothing new.
pub async fn manager_digest(
    config: &LocalConfig,
    day: Option<jiff::civil::Date>,
) -> anyhow::Result<registration::digest::DigestSummary> {
    use shared::clock::Clock;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let keys = keys::load_or_create(&config.data_dir.join("keys"))?;
    // Its own port: the API (and its S3) may be running at the same time.
    let s3 = EmbeddedS3::start(
        &config.data_dir.join("s3"),
        BUCKET,
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .context("starting the embedded S3")?;
    let (env, _) = local_env(config, &s3, keys, config.public_base_url())?;
    let day = day.unwrap_or_else(|| env.clock.today());
    registration::digest::run(&env, day)
        .await
        .map_err(|e| anyhow::anyhow!("the managers' digest: {e}"))
}

/// One run of the cards' daily schedule for `day` (`cargo run -p local-api -- cards-daily
/// [date]`): the code the deployed function runs, over the local SQLite data. A rerun of
/// the same day changes nothing.
pub async fn cards_daily(
    config: &LocalConfig,
    day: jiff::civil::Date,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> anyhow::Result<cards::daily::DailySummary> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let table = SqliteTable::open(&database_path(&config.data_dir), Arc::new(SystemClock))
        .context("opening SQLite")?;
    cards::daily::run_on(&table, &SystemClock, day, progress)
        .await
        .context("the cards' daily run")
}

/// One run of the referrals' daily schedule (`cargo run -p local-api -- referrals-daily
/// [date]`): confirms the rewards due by `day` (default today) and releases those billed on an
/// issued invoice, as the deployed function
/// does every night, over the local SQLite data.
pub async fn referrals_daily(
    config: &LocalConfig,
    day: Option<jiff::civil::Date>,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> anyhow::Result<referrals::daily::Summary> {
    use shared::clock::Clock;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let table = SqliteTable::open(&database_path(&config.data_dir), Arc::new(SystemClock))
        .context("opening SQLite")?;
    let day = day.unwrap_or_else(|| SystemClock.today());
    referrals::daily::run(&table, SystemClock.now(), day, progress)
        .await
        .context("confirming and releasing rewards")
}

/// The bucket's events as deployed (infra/template.yaml): a finished logo upload reaches
/// registration, which makes it the logo before the upload is answered.
pub fn deliver_bucket_events(s3: &EmbeddedS3, env: &Env) {
    let state = registration::AppState::new(env);
    s3.on_object_created(Arc::new(move |object: ObjectCreated| {
        let state = state.clone();
        Box::pin(async move {
            if object.bucket != BUCKET || !object.key.starts_with(registration::logo::UPLOAD_PREFIX)
            {
                return;
            }
            if let Err(e) = registration::logo::adopt(&state, &object.key).await {
                tracing::warn!(error = %e, "a logo upload's event failed");
            }
        })
    }));
}

/// A running local platform; dropping it stops the S3 server, `shutdown` stops the API and
/// the web app.
pub struct Running {
    pub api_addr: SocketAddr,
    /// The web app's address, when it is built.
    pub web_addr: Option<SocketAddr>,
    pub s3: EmbeddedS3,
    shutdown: tokio::sync::watch::Sender<bool>,
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("api_addr", &self.api_addr)
            .field("web_addr", &self.web_addr)
            .finish()
    }
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// Stops accepting, finishes in-flight requests and waits for the servers to end.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.wait().await
    }

    /// Serves until the servers end (Ctrl-C).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        for server in self.servers.drain(..) {
            server.await??;
        }
        Ok(())
    }
}

#[derive(Clone)]
struct DevState {
    outbox: OutboxMailer,
}

async fn list_outbox(
    State(dev): State<DevState>,
) -> Result<Json<serde_json::Value>, shared::Error> {
    let mails = dev.outbox.list().await.map_err(shared::Error::internal)?;
    Ok(Json(serde_json::json!({ "mails": mails })))
}

/// Today's managers' digest, as the 07:00 schedule sends it (`POST /_dev/manager-digest`):
/// the journeys read it from the outbox. A second call the same day sends nothing new.
async fn send_manager_digest(
    State(env): State<Env>,
) -> Result<Json<registration::digest::DigestSummary>, shared::Error> {
    use shared::clock::Clock;
    let day = env.clock.today();
    Ok(Json(registration::digest::run(&env, day).await?))
}

/// Starts S3, the API and (when built) the web app; `until` ends the servers (Ctrl-C in the
/// binary).
pub async fn start(
    config: &LocalConfig,
    until: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let keys = keys::load_or_create(&config.data_dir.join("keys"))?;
    let s3 = EmbeddedS3::start(&config.data_dir.join("s3"), BUCKET, config.s3_addr)
        .await
        .with_context(|| format!("starting the embedded S3 on {}", config.s3_addr))?;
    let listener = tokio::net::TcpListener::bind(config.api_addr)
        .await
        .with_context(|| format!("binding {}", config.api_addr))?;
    let api_addr = listener.local_addr()?;
    // Mails link to the app where it is served, as deployed; else to the API.
    let web = match config.web_dir.clone() {
        Some(dir) => {
            let web_listener = tokio::net::TcpListener::bind(config.web_addr)
                .await
                .with_context(|| format!("binding {}", config.web_addr))?;
            let addr = web_listener.local_addr()?;
            Some((dir, web_listener, addr))
        }
        None => None,
    };
    let public_base_url = match &web {
        Some((_, _, addr)) => web::origin(*addr),
        None => format!("http://{api_addr}"),
    };
    let (env, outbox) = local_env(config, &s3, keys, public_base_url.clone())?;
    deliver_bucket_events(&s3, &env);
    let local_dns = Arc::new(dns::LocalDns::new(&config.data_dir));
    let ports = LocalPorts {
        dns: local_dns.clone(),
    };
    let functions = FUNCTIONS
        .iter()
        .fold(Router::new(), |app, f| app.merge((f.api)(&env, &ports)));
    let mut app = shared::http::finish(
        functions
            .merge(shared::openapi::serve(openapi))
            .merge(
                Router::new()
                    .route("/_dev/outbox", get(list_outbox))
                    .with_state(DevState { outbox }),
            )
            .merge(
                Router::new()
                    .route(
                        "/_dev/manager-digest",
                        axum::routing::post(send_manager_digest),
                    )
                    .with_state(env.clone()),
            )
            .merge(
                Router::new()
                    .route(
                        "/_dev/dns-records",
                        get(dns::list_records).put(dns::put_record),
                    )
                    .with_state(local_dns),
            ),
    );
    if web.is_some() {
        app = app.layer(web::cors(&public_base_url)?);
        // The app uploads logos and images straight to S3, as deployed.
        s3.allow_origin(&public_base_url)?;
    }
    let (shutdown, stopped) = tokio::sync::watch::channel(false);
    if let Some(signal) = until {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            signal.await;
            let _ = shutdown.send(true);
        });
    }
    let stop = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let mut servers = Vec::new();
    // The peer address stands in for API Gateway's source IP (the redirect hashes it).
    let api = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop(stopped.clone()));
    servers.push(tokio::spawn(async move { api.await }));
    let mut web_addr = None;
    if let Some((dir, web_listener, addr)) = web {
        let site = axum::serve(web_listener, web::app(&dir, &format!("http://{api_addr}")))
            .with_graceful_shutdown(stop(stopped.clone()));
        servers.push(tokio::spawn(async move { site.await }));
        web_addr = Some(addr);
    }
    Ok(Running {
        api_addr,
        web_addr,
        s3,
        shutdown,
        servers,
    })
}

/// What the runner serves, for the start-up banner.
pub fn describe(running: &Running, config: &LocalConfig) -> String {
    let mut out = format!(
        "partnernetz local API on http://{}\n  web app: {}\n  storage: SQLite {}\n  S3:      {} (bucket {BUCKET}, folder {})\n  mail:    {} (GET /_dev/outbox)\n  routes:\n",
        running.api_addr,
        match running.web_addr {
            Some(addr) => web::origin(addr),
            None => format!(
                "not built ({} missing: `cargo xtask run` builds it)",
                web::BUILD_DIR
            ),
        },
        database_path(&config.data_dir).display(),
        running.s3.endpoint,
        running.s3.root.display(),
        outbox_path(&config.data_dir).display(),
    );
    for function in FUNCTIONS {
        for (method, path) in (function.routes)() {
            out.push_str(&format!(
                "    {:<7} {path}    ({})\n",
                method.as_str(),
                function.name
            ));
        }
    }
    out.push_str("    GET     /openapi.json    (every function's document)\n");
    out.push_str("    GET     /_dev/outbox    (local only)\n");
    out.push_str(
        "    GET|PUT /_dev/dns-records    (local only: TXT records that prove a landing domain)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    /// The web app's client files each operation's types under its id: two operations of
    /// one id would give one of them the other's types.
    #[test]
    fn every_operation_of_the_document_has_its_own_id() {
        let doc = serde_json::to_value(super::openapi()).unwrap_or_default();
        let mut ids = std::collections::BTreeMap::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let id = op["operationId"].as_str().unwrap_or_default().to_string();
                assert!(!id.is_empty(), "{method} {path} has no id");
                if let Some(other) = ids.insert(id.clone(), format!("{method} {path}")) {
                    panic!("{id}: {other} and {method} {path}");
                }
            }
        }
        assert!(ids.len() > 100, "{} operations", ids.len());
    }

    /// Every `$ref` of the combined document names a schema it holds: the web app's client
    /// is generated from it, and a dangling reference stops the generator.
    #[test]
    fn every_schema_reference_of_the_document_resolves() {
        fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                        out.push(r.clone());
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = serde_json::to_value(super::openapi()).unwrap_or_default();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        let dangling: Vec<&String> = found
            .iter()
            .filter(|r| doc.pointer(r.trim_start_matches('#')).is_none())
            .collect();
        assert!(dangling.is_empty(), "unresolved: {dangling:?}");
    }
}
