//! `cargo xtask fuzz`: schemathesis against local-api's OpenAPI (docs/architecture.md §12.5,
//! §13). local-api runs from its own binary on a fresh data folder and a free loopback
//! port; an operator, a confirmed partner with a mandate and an application, and a manager
//! of that platform are set up over HTTP as users would; then schemathesis runs every
//! operation with generated valid and invalid input once per token. Any finding fails.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};

use crate::emulators::{http_status, two_free_ports};
use crate::process;
use crate::tools::{self, Venv};

/// Test cases per operation and phase when `--examples` is not given.
const DEFAULT_EXAMPLES: u32 = 100;
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What schemathesis checks. Left out: `positive_data_acceptance` (input valid by the
/// schema is still refused by business rules: an unknown token is 400, applying without a
/// mandate 422) and `object_level_authorization` (the access-matrix test covers it).
const CHECKS: &[&str] = &[
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
];

const OPERATOR_EMAIL: &str = "olga@betreiber.example.de";
const PARTNER_EMAIL: &str = "anna@baeckerei-mueller.example.de";
const MANAGER_EMAIL: &str = "max@sparkasse.example.de";
const SECOND_PARTNER_EMAIL: &str = "bert@metzgerei-schmidt.example.de";
const CUSTOMER_EMAIL: &str = "karl@kunde.example.de";
const END_USER_EMAIL: &str = "erika@endkunde.example.de";
/// The second partner's landing domain, proven by a TXT record set in local-api.
const LANDING_DOMAIN: &str = "metzgerei-schmidt.example.de";
/// The first partner's digital customer account.
const SLUG: &str = "baeckerei-mueller";
/// Fixture passwords; only ever used on the throwaway data folder.
const PASSWORD: &str = "fuzz-passwort-123";

#[derive(Debug)]
struct Options {
    examples: u32,
    /// Passed on to `st run` (after `--`), e.g. `--seed 42`.
    schemathesis_args: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            examples: DEFAULT_EXAMPLES,
            schemathesis_args: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--examples" => {
                    let n = it.next().context("--examples needs a number")?;
                    options.examples = n
                        .parse()
                        .with_context(|| format!("--examples {n}: not a number"))?;
                    ensure!(options.examples > 0, "--examples must be at least 1");
                }
                "--" => {
                    options.schemathesis_args = it.cloned().collect();
                    break;
                }
                other => bail!("unknown argument `{other}`; use --examples N [-- st run args]"),
            }
        }
        Ok(options)
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let started = Instant::now();
    let venv = tools::ensure_fuzz_venv(root)?;
    let binary = build_local_api(root)?;
    let data = DataDir::new()?;
    create_operator(&binary, data.path(), OPERATOR_EMAIL, PASSWORD)?;

    let work_dir = root.join("target").join("fuzz");
    fs::create_dir_all(&work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let mut api = LocalApi::start(&work_dir, &binary, data.path())?;
    api.wait_ready()?;
    let accounts = Fixtures::new(&api.base_url())?.create()?;
    let config = work_dir.join("schemathesis.toml");
    fs::write(&config, accounts.schemathesis_config())
        .with_context(|| format!("writing {}", config.display()))?;
    let setup = started.elapsed();

    let mut failed = Vec::new();
    for (role, token) in &accounts.tokens {
        println!(
            "xtask: fuzzing every operation as {role}, {} example(s) per operation and phase",
            options.examples
        );
        let status = process::status(&mut schemathesis(
            &venv,
            &work_dir,
            &config,
            &api.base_url(),
            token,
            &options,
        ))?;
        if !status.success() {
            failed.push(*role);
        }
    }
    api.ensure_running()?;
    drop(api);
    println!(
        "xtask: fuzzing took {:.0} s (set-up {:.0} s)",
        started.elapsed().as_secs_f64(),
        setup.as_secs_f64()
    );
    ensure!(
        failed.is_empty(),
        "schemathesis reported findings as {}; the failing cases are printed above with a curl line to reproduce each",
        failed.join(", ")
    );
    Ok(())
}

/// `st run` in `work_dir`, where it keeps its replay files.
fn schemathesis(
    venv: &Venv,
    work_dir: &Path,
    config: &Path,
    base_url: &str,
    token: &str,
    options: &Options,
) -> Command {
    let mut st = Command::new(venv.bin("st"));
    st.current_dir(work_dir)
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(format!("{base_url}/openapi.json"))
        .args(["--checks", &CHECKS.join(",")])
        .args(["--max-examples", &options.examples.to_string()])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // Examples stay in memory: a database in the repo would replay old cases forever.
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "30"])
        .arg("--no-color")
        .args(&options.schemathesis_args)
        .stdin(Stdio::null());
    st
}

/// Builds local-api with the dev profile (password hashing is optimised there too) and
/// returns the binary cargo reports.
pub(crate) fn build_local_api(root: &Path) -> Result<PathBuf> {
    println!("xtask: building local-api");
    let mut build = process::cargo();
    build
        .current_dir(root)
        .args(["build", "--package", "local-api", "--bin", "local-api"])
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = build
        .spawn()
        .with_context(|| format!("could not start `{}`", process::describe(&build)))?;
    let stdout = child
        .stdout
        .take()
        .context("cargo build's stdout was not captured")?;
    let mut binary = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo build's output")?;
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && message["target"]["name"] == "local-api"
            && let Some(executable) = message["executable"].as_str()
        {
            binary = Some(PathBuf::from(executable));
        }
    }
    let status = child.wait().context("waiting for cargo build")?;
    ensure!(status.success(), "building local-api failed with {status}");
    binary.context("cargo build did not report the local-api binary")
}

/// A data folder for one run, removed afterwards.
pub(crate) struct DataDir(PathBuf);

impl DataDir {
    pub(crate) fn new() -> Result<Self> {
        let stamp = jiff::Timestamp::now().as_nanosecond();
        let dir =
            std::env::temp_dir().join(format!("partnernetz-fuzz-{}-{stamp}", std::process::id()));
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self(dir))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Err(error) = fs::remove_dir_all(&self.0) {
            eprintln!("xtask: could not remove {}: {error}", self.0.display());
        }
    }
}

/// An operator in local-api's data folder, made with its `create-operator` command.
pub(crate) fn create_operator(
    binary: &Path,
    data_dir: &Path,
    email: &str,
    password: &str,
) -> Result<()> {
    process::run(
        Command::new(binary)
            .args(["create-operator", email, "Olga Betreiber"])
            .env("PARTNERNETZ_DATA_DIR", data_dir)
            .env("OPERATOR_PASSWORD", password)
            .stdin(Stdio::null()),
    )
}

/// local-api as a child process; dropping it kills it by its pid.
pub(crate) struct LocalApi {
    port: u16,
    log: PathBuf,
    child: Child,
}

impl LocalApi {
    fn start(log_dir: &Path, binary: &Path, data_dir: &Path) -> Result<Self> {
        Self::start_with(log_dir, binary, data_dir, &[])
    }

    /// With further environment, e.g. the web app's build folder and port.
    pub(crate) fn start_with(
        log_dir: &Path,
        binary: &Path,
        data_dir: &Path,
        env: &[(&str, String)],
    ) -> Result<Self> {
        let log = log_dir.join("local-api.log");
        let stdout = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let stderr = stdout
            .try_clone()
            .with_context(|| format!("opening {} twice", log.display()))?;
        let (port, s3_port) = two_free_ports()?;
        let child = Command::new(binary)
            .env("PARTNERNETZ_DATA_DIR", data_dir)
            .env("PORT", port.to_string())
            .env("S3_PORT", s3_port.to_string())
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        println!(
            "xtask: started local-api (pid {}) on 127.0.0.1:{port}, log {}",
            child.id(),
            log.display()
        );
        Ok(Self { port, log, child })
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `GET /openapi.json` until it answers 200, local-api exits, or the deadline.
    pub(crate) fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            self.ensure_running()?;
            if matches!(http_status(self.port, "/openapi.json"), Ok(200)) {
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                bail!(
                    "local-api did not serve /openapi.json within {} s; see {}",
                    READY_TIMEOUT.as_secs(),
                    self.log.display()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// A crash during fuzzing is a finding too, whatever schemathesis made of it.
    pub(crate) fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait().context("checking on local-api")? {
            bail!("local-api exited with {status}; see {}", self.log.display());
        }
        Ok(())
    }
}

impl Drop for LocalApi {
    fn drop(&mut self) {
        let pid = self.child.id();
        if let Err(error) = self.child.kill() {
            eprintln!("xtask: could not kill local-api (pid {pid}): {error}");
        }
        match self.child.wait() {
            Ok(_) => println!("xtask: stopped local-api (pid {pid})"),
            Err(error) => eprintln!("xtask: could not reap local-api (pid {pid}): {error}"),
        }
    }
}

/// Who the fuzzer acts as, and the ids of the records they own.
struct Accounts {
    tokens: Vec<(&'static str, String)>,
    /// Path (and query) parameter name → ids of records that exist.
    ids: Vec<(&'static str, Vec<String>)>,
}

impl Accounts {
    /// Half of the generated values of each parameter are the fixtures' real ids, so the
    /// fuzzer reaches past "not found" into the logic: deciding, cancelling, listing,
    /// showing an offer, a supplier page, a card.
    fn schemathesis_config(&self) -> String {
        let mut config = String::from("# Written by `cargo xtask fuzz` for one run.\n");
        for (name, values) in &self.ids {
            let values: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
            config.push_str(&format!(
                "\n[dictionaries.{name}]\nvalues = [{}]\n",
                values.join(", ")
            ));
        }
        config.push_str("\n[parameters]\n");
        for (name, _) in &self.ids {
            // The feed and an offer's detail name their platform in the query.
            let locations: &[&str] = if *name == "platform_id" {
                &["path", "query"]
            } else {
                &["path"]
            };
            for location in locations {
                config.push_str(&format!(
                    "\"{location}.{name}\" = {{ dictionary = \"{name}\", probability = 0.5 }}\n"
                ));
            }
        }
        config
    }
}

/// The accounts the fuzzer acts as, created through the API as users would.
struct Fixtures {
    base: String,
    http: reqwest::blocking::Client,
}

impl Fixtures {
    fn new(base: &str) -> Result<Self> {
        Ok(Self {
            base: base.to_string(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .context("building the HTTP client")?,
        })
    }

    /// An operator, a manager and a partner. The partner has a mandate and a pending
    /// application at the manager's platform, so deciding and cancelling have something
    /// to work on.
    fn create(&self) -> Result<Accounts> {
        let operator = self.login(OPERATOR_EMAIL)?;

        let platform = self.call(
            "POST",
            "/platforms",
            Some(&operator),
            json!({"name": "Sparkasse Vorteilswelt", "monthly_fee_cents": 4900}),
            201,
        )?;
        let platform_id = platform["id"]
            .as_str()
            .context("POST /platforms answered without an id")?
            .to_string();

        self.call(
            "POST",
            &format!("/platforms/{platform_id}/managers"),
            Some(&operator),
            json!({"email": MANAGER_EMAIL, "name": "Max Manager"}),
            201,
        )?;
        let invitation = self.token_mailed_to(MANAGER_EMAIL)?;
        self.call(
            "POST",
            "/auth/invitations/accept",
            None,
            json!({"token": invitation, "password": PASSWORD}),
            200,
        )?;
        let manager = self.login(MANAGER_EMAIL)?;

        self.call(
            "POST",
            "/partners",
            None,
            json!({"company": "Bäckerei Müller", "contact_name": "Anna Müller",
                   "email": PARTNER_EMAIL, "password": PASSWORD, "accept_terms": true}),
            202,
        )?;
        let confirmation = self.token_mailed_to(PARTNER_EMAIL)?;
        self.call(
            "POST",
            "/partners/confirm",
            None,
            json!({"token": confirmation}),
            200,
        )?;
        let partner = self.login(PARTNER_EMAIL)?;
        self.call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(&partner),
            json!({"account_holder": "Bäckerei Müller GmbH", "iban": "DE89 3704 0044 0532 0130 00"}),
            200,
        )?;
        self.call(
            "POST",
            &format!("/partners/me/platforms/{platform_id}"),
            Some(&partner),
            Value::Null,
            201,
        )?;
        let me = self.call("GET", "/partners/me", Some(&partner), Value::Null, 200)?;
        let partner_id = id_of(&me, "id", "GET /partners/me")?;
        let mut ids = Records::default();
        ids.add("platform_id", platform_id.clone());
        ids.add("partner_id", partner_id);
        self.published_offer(&manager, &platform_id, &mut ids)?;
        self.partner_records(&operator, &partner, &platform_id, &mut ids)?;
        Ok(Accounts {
            tokens: vec![
                ("operator", operator),
                ("manager", manager),
                ("partner", partner),
            ],
            ids: ids.0,
        })
    }

    /// A second partner, approved on the platform, whose offer the manager approved (the
    /// public feed, an offer's detail, its click-out and coupon have something to show),
    /// with a second offer in review and a referral link.
    fn published_offer(&self, manager: &str, platform_id: &str, ids: &mut Records) -> Result<()> {
        let bert = self.confirmed_partner(SECOND_PARTNER_EMAIL, "Metzgerei Schmidt")?;
        self.call(
            "POST",
            &format!("/partners/me/platforms/{platform_id}"),
            Some(&bert),
            Value::Null,
            201,
        )?;
        let me = self.call("GET", "/partners/me", Some(&bert), Value::Null, 200)?;
        let bert_id = id_of(&me, "id", "GET /partners/me")?;
        self.call(
            "POST",
            &format!("/platforms/{platform_id}/applications/{bert_id}/decision"),
            Some(manager),
            json!({"decision": "approve"}),
            200,
        )?;
        let published = self.call("POST", "/offers", Some(&bert), offer(platform_id)?, 201)?;
        let offer_id = id_of(&published, "offer_id", "POST /offers")?;
        self.call(
            "POST",
            &format!("/offers/{offer_id}/submit"),
            Some(&bert),
            Value::Null,
            200,
        )?;
        self.call(
            "POST",
            &format!("/platforms/{platform_id}/reviews/{offer_id}/decision"),
            Some(manager),
            json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
            200,
        )?;
        ids.add("offer_id", offer_id);
        // A second offer waits in the platform's review queue for the manager's decision.
        let pending = self.call("POST", "/offers", Some(&bert), offer(platform_id)?, 201)?;
        let pending_id = id_of(&pending, "offer_id", "POST /offers")?;
        self.call(
            "POST",
            &format!("/offers/{pending_id}/submit"),
            Some(&bert),
            Value::Null,
            200,
        )?;
        ids.add("offer_id", pending_id);
        self.referral_link(&bert, platform_id, ids)
    }

    /// A referral program of the approved partner on its verified landing domain, and an
    /// end user's personal link to it: `GET /r/{code}` has a link to follow.
    fn referral_link(&self, partner: &str, platform_id: &str, ids: &mut Records) -> Result<()> {
        self.call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(partner),
            json!({"account_holder": "Metzgerei Schmidt", "iban": "DE89 3704 0044 0532 0130 00"}),
            200,
        )?;
        let listed = self.call(
            "PUT",
            "/partners/me/referral-domains",
            Some(partner),
            json!({"domains": [LANDING_DOMAIN]}),
            200,
        )?;
        let record = listed
            .get("domains")
            .and_then(|domains| domains.get(0))
            .context("PUT /partners/me/referral-domains named no domain")?;
        let text = |field: &str| -> Result<String> {
            record
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_string)
                .with_context(|| format!("the listed domain has no {field}"))
        };
        self.call(
            "PUT",
            "/_dev/dns-records",
            None,
            json!({"name": text("txt_name")?, "value": text("txt_value")?}),
            200,
        )?;
        self.call(
            "POST",
            &format!("/partners/me/referral-domains/{LANDING_DOMAIN}/verification"),
            Some(partner),
            Value::Null,
            200,
        )?;
        let program = self.call(
            "POST",
            "/programs",
            Some(partner),
            json!({"name": "Freunde werben Freunde",
                   "landing_url": format!("https://shop.{LANDING_DOMAIN}/aktion"),
                   "rewards": [{"event": "purchase", "reward": {"kind": "percent", "basis_points": 1000}}],
                   "attribution_days": 30, "attribution": "first", "hold_days": 0,
                   "monthly_budget_cents": 50000}),
            201,
        )?;
        let program_id = id_of(&program, "program_id", "POST /programs")?;
        self.call(
            "POST",
            &format!("/platforms/{platform_id}/endusers"),
            None,
            json!({"email": END_USER_EMAIL, "name": "Erika Mustermann", "accept_terms": true}),
            202,
        )?;
        let invitation = self.token_mailed_to(END_USER_EMAIL)?;
        self.call(
            "POST",
            "/auth/invitations/accept",
            None,
            json!({"token": invitation, "password": PASSWORD}),
            200,
        )?;
        let login = self.call(
            "POST",
            "/auth/login",
            None,
            json!({"login": END_USER_EMAIL, "password": PASSWORD,
                   "scope": "enduser", "tenant": platform_id}),
            200,
        )?;
        let end_user = id_of(&login, "access_token", "POST /auth/login")?;
        let link = self.call(
            "POST",
            "/me/referrals",
            Some(&end_user),
            json!({"program_id": program_id}),
            201,
        )?;
        ids.add("code", id_of(&link, "code", "POST /me/referrals")?);
        ids.add("program_id", program_id);
        Ok(())
    }

    /// The first partner's own records: a draft offer with an image slot, the digital
    /// customer account with a customer and a global link, a card contract with a program
    /// and cards, an API key.
    fn partner_records(
        &self,
        operator: &str,
        partner: &str,
        platform_id: &str,
        ids: &mut Records,
    ) -> Result<()> {
        let offer = self.call("POST", "/offers", Some(partner), offer(platform_id)?, 201)?;
        let offer_id = id_of(&offer, "offer_id", "POST /offers")?;
        let image = self.call(
            "POST",
            &format!("/offers/{offer_id}/images"),
            Some(partner),
            json!({"content_type": "image/png", "size_bytes": 2048}),
            201,
        )?;
        ids.add(
            "image_id",
            id_of(
                &image["image"],
                "image_id",
                "POST /offers/{offer_id}/images",
            )?,
        );
        ids.add("offer_id", offer_id);

        self.call(
            "POST",
            "/file-links/account",
            Some(partner),
            json!({"slug": SLUG}),
            201,
        )?;
        ids.add("slug", SLUG.to_string());
        let customer = self.call(
            "POST",
            "/file-links/customers",
            Some(partner),
            json!({"first_name": "Karl", "last_name": "Kunde", "email": CUSTOMER_EMAIL,
                   "folder_url": "https://cloud.example.de/s/Xy7aB2", "folder_password": "ordner-geheim"}),
            201,
        )?;
        let customer_id = id_of(&customer, "id", "POST /file-links/customers")?;
        ids.add("customer_id", customer_id.clone());
        ids.add("folder_id", customer_id);
        let link = self.call(
            "POST",
            "/file-links/links",
            Some(partner),
            json!({"name": "Vorlagen", "url": "https://cloud.example.de/s/Vorlagen"}),
            201,
        )?;
        ids.add("link_id", id_of(&link, "id", "POST /file-links/links")?);

        self.call(
            "PUT",
            "/cards/price",
            Some(operator),
            json!({"fee_per_terminal_user_cents": 990}),
            200,
        )?;
        self.call("POST", "/cards/contract", Some(partner), Value::Null, 201)?;
        let program = self.call(
            "POST",
            "/cards/programs",
            Some(partner),
            json!({"name": "Treueprogramm",
                   "rules": {"kind": "bonus", "points_per_euro": 1, "point_value_cents": 1}}),
            201,
        )?;
        let program_id = id_of(&program, "program_id", "POST /cards/programs")?;
        let batch = self.call(
            "POST",
            &format!("/cards/programs/{program_id}/batches"),
            Some(partner),
            json!({"count": 3}),
            201,
        )?;
        ids.add("program_id", program_id);
        for number in batch["numbers"].as_array().into_iter().flatten() {
            if let Some(number) = number.as_str() {
                ids.add("number", number.to_string());
            }
        }

        let key = self.call(
            "POST",
            "/partners/me/api-keys",
            Some(partner),
            json!({"label": "Shop"}),
            201,
        )?;
        ids.add(
            "prefix",
            id_of(&key, "prefix", "POST /partners/me/api-keys")?,
        );
        Ok(())
    }

    /// A partner signed up, confirmed, logged in, with a SEPA mandate.
    fn confirmed_partner(&self, email: &str, company: &str) -> Result<String> {
        self.call(
            "POST",
            "/partners",
            None,
            json!({"company": company, "contact_name": "Bert Schmidt",
                   "email": email, "password": PASSWORD, "accept_terms": true}),
            202,
        )?;
        let confirmation = self.token_mailed_to(email)?;
        self.call(
            "POST",
            "/partners/confirm",
            None,
            json!({"token": confirmation}),
            200,
        )?;
        let partner = self.login(email)?;
        self.call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(&partner),
            json!({"account_holder": format!("{company} GmbH"), "iban": "DE89 3704 0044 0532 0130 00"}),
            200,
        )?;
        Ok(partner)
    }

    fn login(&self, email: &str) -> Result<String> {
        let reply = self.call(
            "POST",
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
            200,
        )?;
        reply["access_token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("login of {email} answered without access_token"))
    }

    /// Sends one request and insists on `expected`; `Value::Null` sends no body.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
        expected: u16,
    ) -> Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .with_context(|| format!("HTTP method {method}"))?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .with_context(|| format!("reading the answer to {method} {path}"))?;
        ensure!(
            status == expected,
            "setting up the fuzz accounts: {method} {path} answered {status}, expected {expected}: {text}"
        );
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The one-time token in the newest mail to `to`, from local-api's outbox.
    fn token_mailed_to(&self, to: &str) -> Result<String> {
        let outbox = self.call("GET", "/_dev/outbox", None, Value::Null, 200)?;
        let text = outbox["mails"]
            .as_array()
            .and_then(|mails| mails.iter().rev().find(|m| m["to"] == to))
            .and_then(|mail| mail["text"].as_str())
            .with_context(|| format!("no mail to {to} in the outbox"))?;
        token_in(text).with_context(|| format!("no link with a token in the mail to {to}"))
    }
}

/// The ids of existing records by the name of the parameter that takes them.
#[derive(Default)]
struct Records(Vec<(&'static str, Vec<String>)>);

impl Records {
    fn add(&mut self, name: &'static str, id: String) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, ids)) => ids.push(id),
            None => self.0.push((name, vec![id])),
        }
    }
}

/// `field` of an answer, which must be a string.
fn id_of(answer: &Value, field: &str, what: &str) -> Result<String> {
    answer[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{what} answered without `{field}`: {answer}"))
}

/// An offer valid from today (Berlin) for 60 days on `platform_id`.
fn offer(platform_id: &str) -> Result<Value> {
    let today = jiff::Zoned::now().in_tz("Europe/Berlin")?.date();
    let until = today.checked_add(jiff::Span::new().days(60))?;
    Ok(json!({
        "title": "15 % auf alle Torten",
        "teaser": "Für alle Kundinnen und Kunden",
        "description": "Zeigen Sie den Gutschein an der Theke.",
        "benefit": {"kind": "percent", "value": 15},
        "online": {"shop_url": "https://shop.example.de", "discount_code": "TORTE15"},
        "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "TORTE15"},
        "valid_from": today.to_string(),
        "valid_to": until.to_string(),
        "categories": ["essen"],
        "platforms": [platform_id],
    }))
}

/// The value of `token=` in a mailed link.
fn token_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_a_mailed_link() {
        let text = "Bitte bestätigen: https://partnernetz.de/registrierung/bestaetigen?token=Ab-c_9.\nDanke";
        assert_eq!(token_in(text).as_deref(), Some("Ab-c_9"));
        assert_eq!(token_in("kein Link"), None);
    }

    #[test]
    fn options_take_an_example_count_and_pass_the_rest_on() {
        let args: Vec<String> = ["--examples", "7", "--", "--seed", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let options = Options::parse(&args).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.examples, 7);
        assert_eq!(options.schemathesis_args, ["--seed", "1"]);
        assert!(Options::parse(&["--examples".to_string(), "0".to_string()]).is_err());
        assert_eq!(
            Options::parse(&[]).map(|o| o.examples).ok(),
            Some(DEFAULT_EXAMPLES)
        );
    }
}
