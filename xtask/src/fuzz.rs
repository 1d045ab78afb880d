//! `cargo xtask fuzz`: schemathesis against local-api's OpenAPI (docs/architecture.md §12.5,
//! §13). local-api runs from its own binary on a fresh data folder and a free loopback
//! port; the records the operations act on are set up over HTTP as users would (and a
//! billing run with local-api's own command); then schemathesis runs every operation with
//! generated valid and invalid input once per identity, each phase with a fresh token and
//! fresh one-time secrets of its own. Any finding fails.

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

/// The schemathesis hooks that hand the set-up's fresh secrets to the example cases.
const HOOKS: &str = "xtask/fuzz-hooks.py";

/// What schemathesis checks. Left out: `positive_data_acceptance` (input valid by the
/// schema is still refused by business rules: an unknown token is 400, applying without a
/// mandate 422) and `object_level_authorization` (the access-matrix test covers it).
/// They are enabled in the config file, not by `--checks`: a check named on the command line
/// is enabled for every operation, over an operation's own `enabled = false`.
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
/// The first partner's customers (first name, e-mail address): the fuzzer disables some.
const CUSTOMERS: [(&str, &str); 3] = [
    ("Karl", "karl@kunde.example.de"),
    ("Klara", "klara@kunde.example.de"),
    ("Kurt", "kurt@kunde.example.de"),
];
const END_USER_EMAIL: &str = "erika@endkunde.example.de";
/// The second partner's landing domain, proven by a TXT record set in local-api.
const LANDING_DOMAIN: &str = "metzgerei-schmidt.example.de";
/// The first partner's landing domain: the one of the document's example program.
const OWN_DOMAIN: &str = "baeckerei-mueller.de";
/// A PNG of one pixel: an offer's image.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];
/// The first partner's digital customer account.
const SLUG: &str = "baeckerei-mueller";
/// Fixture passwords; only ever used on the throwaway data folder.
const PASSWORD: &str = "fuzz-passwort-123";
/// The domain of the accounts each phase's set-up creates.
const PHASE_DOMAIN: &str = "fuzz.example.de";
/// An IBAN for mandates and payouts (the German example IBAN).
const IBAN: &str = "DE89 3704 0044 0532 0130 00";
/// The password the account of `POST /auth/password` changes to, and back.
const OTHER_PASSWORD: &str = "fuzz-passwort-456";

/// Operations that change the account they are sent with, and the roles that may call
/// them: each phase sends them with an account of its own (`Fixtures::phase_stand_ins`).
const ACCOUNT_OPERATIONS: [(&str, &[&str]); 4] = [
    ("POST /auth/password", &["operator", "manager", "partner"]),
    ("POST /partners/me/email", &["partner"]),
    ("POST /partners/me/closure", &["partner"]),
    ("DELETE /file-links/account", &["partner"]),
];

/// A browser's user agent: the redirect counts its click (a crawler's it would not).
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// What refusing invalid input may answer: schemathesis' own list (a 5xx is
/// `not_a_server_error`'s), and 413 for a body over the size limit, refused before it is
/// read (`shared::http`).
const REJECTIONS: [&str; 13] = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx",
];

/// The identities schemathesis acts as, one phase each, and the address each logs in with.
/// The operator comes last: its cases disable partners and remove managers, whose logins
/// the phases after it would need.
const PHASES: [(&str, &str); 3] = [
    ("manager", MANAGER_EMAIL),
    ("partner", PARTNER_EMAIL),
    ("operator", OPERATOR_EMAIL),
];

/// Fresh one-time secrets per operation and phase; the first `FOR_HOOKS` go into valid cases
/// (xtask/fuzz-hooks.py: `QUOTA` successes in each of schemathesis' four phases), the others
/// are the fuzzing phase's dictionary.
const FRESH_SECRETS: usize = 10;
const FOR_HOOKS: usize = 8;

/// The operations whose body carries a secret (a one-time one, or a login's password), and
/// its fields.
const SECRET_BODIES: [(&str, &[&str]); 6] = [
    ("/partners/confirm", &["token"]),
    ("/partners/email/confirm", &["token"]),
    ("/auth/invitations/accept", &["token"]),
    ("/auth/password-reset/confirm", &["token"]),
    ("/cards/register", &["number", "activation_code"]),
    ("/auth/login", &["login", "password"]),
];

/// A manager takes an offer down from the platform.
const TAKE_DOWN: &str = "/platforms/{platform_id}/offers/{offer_id}/take-down";
/// The partner withdraws an offer from every platform.
const WITHDRAW: &str = "/offers/{offer_id}/withdraw";
/// The partner deletes a draft.
const DELETE_OFFER: &str = "/offers/{offer_id}";

/// The operations that take an offer away, each bound to the phase's expendable offers
/// (`Phase::expendable`).
const TAKING_AWAY: [(&str, &str); 3] = [
    ("POST", TAKE_DOWN),
    ("POST", WITHDRAW),
    ("DELETE", DELETE_OFFER),
];

/// The public views of an offer: a new offer is a draft, which the public does not see
/// (404 until a manager approves it). schemathesis' stateful phase expects what `POST
/// /offers` created to be found by every operation under its path, so its "created
/// resource not found" check is off for these three and stays on everywhere else.
const PUBLIC_OFFER_OPERATIONS: [&str; 3] = [
    "GET /offers/{offer_id}",
    "POST /offers/{offer_id}/click-out",
    "GET /offers/{offer_id}/coupon.pdf",
];

/// Parameters (`path.x`, `body.x`) and the dictionaries bound to them.
type Bindings = &'static [(&'static str, &'static str)];

/// Dictionaries bound to single operations: where a parameter's name means something else
/// elsewhere (an invoice's `number` or a card's; any offer, or one in a certain state; a
/// link's `code` or a voucher's), and body fields that name a record.
const OPERATION_BINDINGS: &[(&str, &str, Bindings)] = &[
    // The others are disabled or deleted by the fuzzer's cases, and then answer 422 or 404.
    (
        "POST",
        "/file-links/customers/{customer_id}/invitation",
        &[("path.customer_id", "invited_customer")],
    ),
    (
        "POST",
        "/offers/{offer_id}/click-out",
        &[
            ("path.offer_id", "live_offer_id"),
            ("body.platform_id", "platform_id"),
        ],
    ),
    (
        "POST",
        "/billing/runs/{period}/invoices/{number}/cancellation",
        &[("path.number", "invoice_number")],
    ),
    (
        "POST",
        "/offers",
        &[
            ("body.platforms[*]", "platform_id"),
            ("body.valid_from", "valid_from"),
            ("body.valid_to", "valid_to"),
        ],
    ),
    (
        "PUT",
        "/offers/{offer_id}",
        &[
            ("body.platforms[*]", "platform_id"),
            ("body.valid_from", "valid_from"),
            ("body.valid_to", "valid_to"),
        ],
    ),
    (
        "POST",
        "/offers/{offer_id}/placements",
        &[
            ("path.offer_id", "own_live_offer"),
            ("body.platform_id", "platform_id"),
            ("body.kind_id", "kind_id"),
            ("body.month", "this_month"),
        ],
    ),
    (
        "DELETE",
        "/offers/{offer_id}/placements/{platform_id}/{month}",
        &[
            ("path.offer_id", "own_live_offer"),
            ("path.platform_id", "own_platform"),
            ("path.month", "next_month"),
        ],
    ),
    (
        "DELETE",
        "/offers/{offer_id}/images/{image_id}",
        &[("path.offer_id", "offer_with_image")],
    ),
    (
        "POST",
        "/cards/cards/{number}/transfer",
        &[("body.to_number", "unused_card")],
    ),
    ("GET", "/vouchers/{code}", &[("path.code", "voucher_code")]),
    (
        "POST",
        "/vouchers/{code}/redemption",
        &[("path.code", "voucher_code")],
    ),
];

#[derive(Debug)]
struct Options {
    examples: u32,
    /// The identities to fuzz as (`--as`, repeatable); all of `PHASES` when none is named.
    roles: Vec<String>,
    /// Passed on to `st run` (after `--`), e.g. `--seed 42`.
    schemathesis_args: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            examples: DEFAULT_EXAMPLES,
            roles: Vec::new(),
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
                "--as" => {
                    let role = it.next().context("--as needs an identity")?;
                    ensure!(
                        PHASES.iter().any(|(r, _)| r == role),
                        "--as {role}: fuzz as {}",
                        PHASES.map(|(r, _)| r).join(", ")
                    );
                    options.roles.push(role.clone());
                }
                "--" => {
                    options.schemathesis_args = it.cloned().collect();
                    break;
                }
                other => bail!(
                    "unknown argument `{other}`; use [--examples N] [--as ROLE]... [-- st run args]"
                ),
            }
        }
        Ok(options)
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let started = Instant::now();
    let venv = tools::ensure_fuzz_venv(root)?;
    tools::ensure_faketime()?;
    let binary = build_local_api(root)?;
    let data = DataDir::new()?;
    create_operator(&binary, data.path(), OPERATOR_EMAIL, PASSWORD)?;

    let work_dir = root.join("target").join("fuzz");
    fs::create_dir_all(&work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let mut api = LocalApi::start(&work_dir, &binary, data.path())?;
    api.wait_ready()?;
    let fixtures = Fixtures::new(&api.base_url(), &binary, data.path())?;
    let records = fixtures.create()?;
    let setup = started.elapsed();

    let hooks = root.join(HOOKS);
    let mut failed = Vec::new();
    let phases = PHASES
        .into_iter()
        .filter(|(role, _)| options.roles.is_empty() || options.roles.iter().any(|r| r == role));
    for (role, email) in phases {
        let phase = fixtures.phase(role, email, &records)?;
        let config = work_dir.join(format!("schemathesis-{role}.toml"));
        fs::write(&config, schemathesis_config(&records, &phase, &hooks))
            .with_context(|| format!("writing {}", config.display()))?;
        let secrets = work_dir.join(format!("secrets-{role}.json"));
        fs::write(&secrets, phase.hook_secrets(&records).to_string())
            .with_context(|| format!("writing {}", secrets.display()))?;
        println!(
            "xtask: fuzzing every operation as {role}, {} example(s) per operation and phase",
            options.examples
        );
        let status = process::status(
            schemathesis(
                &venv,
                &work_dir,
                &config,
                &api.base_url(),
                &phase.token,
                &options,
            )
            .env("PARTNERNETZ_FUZZ_SECRETS", &secrets),
        )?;
        if !status.success() {
            failed.push(role);
        }
        api.ensure_running()?;
    }
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

/// The records every phase finds, created once.
struct Records {
    /// Path (and query) parameter name → ids of records that exist.
    ids: Ids,
    platform_id: String,
    /// Dictionaries bound to single operations (`OPERATION_BINDINGS`), by name: records
    /// whose parameter's name means something else elsewhere.
    scoped: Ids,
    /// The first partner's loyalty program, where each phase gets cards of its own.
    card_program: String,
    /// Body fields that name the set-up's records or days (`stand_ins`).
    stand_ins: Vec<StandIn>,
    /// What no case may take away (`protected`).
    protected: Vec<Protected>,
}

/// Fields of an operation that name what only a real run has (a secret, a record, a day):
/// xtask/fuzz-hooks.py puts the run's values in their place in valid cases until the
/// operation has served `quota` of them in a schemathesis phase.
#[derive(Debug, Clone, PartialEq)]
struct StandIn {
    /// The operation's label, `POST /path`.
    operation: String,
    /// The run's values, an object of the fields each (`$path.<name>` for a path parameter,
    /// `$query.<name>` for a query parameter).
    values: Vec<Value>,
    /// A success uses its value up (a token, a card, a platform applied to).
    once: bool,
    /// Successes per schemathesis phase after which generated values go out as they are.
    quota: u32,
    /// Two fields exchanged after each success: a password changed to the other and back.
    swap: Option<[&'static str; 2]>,
}

/// Successes per phase that show the logic is reached; more would only use records up.
const QUOTA: u32 = 2;

impl StandIn {
    /// A record that stands in for as long as the quota allows.
    fn record(operation: &str, value: Value) -> Self {
        Self {
            operation: operation.to_string(),
            values: vec![value],
            once: false,
            quota: QUOTA,
            swap: None,
        }
    }

    /// Values each used up by a success.
    fn once(operation: &str, values: Vec<Value>) -> Self {
        Self {
            operation: operation.to_string(),
            values,
            once: true,
            quota: QUOTA,
            swap: None,
        }
    }

    fn json(&self) -> Value {
        json!({"values": self.values, "once": self.once, "quota": self.quota, "swap": self.swap})
    }
}

/// What one phase gets of its own: a fresh token, and records it may use up.
struct Phase {
    role: &'static str,
    token: String,
    /// Partners whose application waits for a decision.
    applicants: Vec<String>,
    /// Offers waiting in the platform's review queue.
    in_review: Vec<String>,
    /// Live offers that only this phase's cases take away (the manager's take down, the
    /// partner's withdraw and delete): the offers the other operations show stay up.
    /// Generated cases name these, never a shown one: an id the hooks swap for an unknown
    /// one after `POST /offers` reads to schemathesis as a created offer not found.
    expendable: Vec<String>,
    /// Fresh secrets for each of `SECRET_BODIES`: one object of its fields per secret.
    secrets: Vec<(&'static str, Vec<Value>)>,
    /// What this phase's cases use up or change: platforms to apply to, cards to transfer,
    /// the accounts of `ACCOUNT_OPERATIONS`.
    stand_ins: Vec<StandIn>,
    /// Operations sent with another account's token than the phase's.
    tokens: Tokens,
}

/// Operations and the token each is sent with (label, token).
type Tokens = Vec<(String, String)>;

impl Phase {
    /// What the hooks put in valid cases, by operation: the first `FOR_HOOKS` secrets of
    /// each secret body, the records' stand-ins and the phase's own.
    fn hook_secrets(&self, records: &Records) -> Value {
        let secrets = self.secrets.iter().map(|(path, fresh)| {
            StandIn::once(
                &format!("POST {path}"),
                fresh[..FOR_HOOKS.min(fresh.len())].to_vec(),
            )
        });
        let mut out = serde_json::Map::new();
        for stand_in in secrets
            .chain(records.stand_ins.iter().cloned())
            .chain(self.stand_ins.iter().cloned())
        {
            let groups = out
                .entry(stand_in.operation.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(groups) = groups {
                groups.push(stand_in.json());
            }
        }
        out.insert(PROTECTED.to_string(), protected_json(&records.protected));
        Value::Object(out)
    }
}

/// A well-formed id no record has (as in xtask/fuzz-hooks.py).
const UNKNOWN_ID: &str = "00000000-0000-7000-8000-000000000000";

/// The key of the hooks' file under which `protected` goes.
const PROTECTED: &str = "$protected";

/// Records one operation's cases may not name in one path parameter.
struct Protected {
    /// The operation (`POST /path`).
    label: String,
    parameter: &'static str,
    ids: Vec<String>,
}

/// The records the other operations show, which no case may take away: the offers the public
/// views and the placements show (not taken down, withdrawn or deleted) and the partners
/// behind them (not suspended or disabled). The offer whose images `PUT
/// /offers/{offer_id}/images` reorders keeps the images its stand-in names, and the customer
/// whose invitation is resent stays invited.
///
/// Generated cases never name them: the operation's parameter draws from its dictionary
/// without them (`schemathesis_config`). The stateful phase follows links from lists to
/// them; such a case names an unknown record instead (xtask/fuzz-hooks.py).
fn protected(
    offers: &[String],
    partners: &[String],
    arranged: &str,
    invited: &str,
) -> Vec<Protected> {
    let entry = |label: String, parameter, ids: &[String]| Protected {
        label,
        parameter,
        ids: ids.to_vec(),
    };
    let mut out: Vec<Protected> = TAKING_AWAY
        .iter()
        .map(|(method, path)| entry(format!("{method} {path}"), "offer_id", offers))
        .collect();
    for label in [
        "POST /platforms/{platform_id}/partners/{partner_id}/suspension",
        "POST /partners/{partner_id}/disable",
    ] {
        out.push(entry(label.to_string(), "partner_id", partners));
    }
    for label in [
        "POST /offers/{offer_id}/images",
        "DELETE /offers/{offer_id}/images/{image_id}",
    ] {
        out.push(entry(
            label.to_string(),
            "offer_id",
            &[arranged.to_string()],
        ));
    }
    for label in [
        "POST /file-links/customers/{customer_id}/disable",
        "DELETE /file-links/customers/{customer_id}",
    ] {
        out.push(entry(
            label.to_string(),
            "customer_id",
            &[invited.to_string()],
        ));
    }
    out
}

/// `protected` as the hooks read it: by operation, path parameter → ids.
fn protected_json(protected: &[Protected]) -> Value {
    let mut out = serde_json::Map::new();
    for entry in protected {
        out.insert(entry.label.clone(), json!({ entry.parameter: entry.ids }));
    }
    Value::Object(out)
}

/// The phase's schemathesis config. Half of the generated values of each path parameter,
/// and of the body fields that name a record or carry a secret, are real ones, so the
/// fuzzer reaches past "not found" and "invalid token" into the logic. Where one name
/// means different things on different routes (an invoice's `number` or a card's, any offer
/// or one the platform shows), the dictionary is bound to its operation only.
fn schemathesis_config(records: &Records, phase: &Phase, hooks: &Path) -> String {
    let mut config = Config::default();
    for (name, values) in &records.ids.0 {
        config.dictionary(name, values);
        config.parameter(&format!("path.{name}"), name);
    }
    // The feed and an offer's detail name their platform in the query.
    config.parameter("query.platform_id", "platform_id");
    for (name, values) in &records.scoped.0 {
        config.dictionary(name, values);
    }
    for (method, path, bindings) in OPERATION_BINDINGS {
        config.operation(method, path, bindings);
    }
    // One dictionary per distinct set of spared records.
    let mut spared_sets: Vec<Vec<String>> = Vec::new();
    for entry in &records.protected {
        let mut spared: Vec<String> = (records.ids.get(entry.parameter).iter())
            .filter(|id| !entry.ids.contains(id))
            .cloned()
            .collect();
        if spared.is_empty() {
            // An empty dictionary would leave the parameter to the global one.
            spared.push(UNKNOWN_ID.to_string());
        }
        let index = spared_sets.iter().position(|set| *set == spared);
        let index = index.unwrap_or_else(|| {
            config.dictionary(&format!("spared_{}", spared_sets.len()), &spared);
            spared_sets.push(spared);
            spared_sets.len() - 1
        });
        let name = format!("spared_{index}");
        let (method, path) = entry.label.split_once(' ').unwrap_or(("", &entry.label));
        config.operation(
            method,
            path,
            &[(&format!("path.{}", entry.parameter), &name)],
        );
    }
    config.dictionary("applicant", &phase.applicants);
    config.operation(
        "POST",
        "/platforms/{platform_id}/applications/{partner_id}/decision",
        &[("path.partner_id", "applicant")],
    );
    config.dictionary("offer_in_review", &phase.in_review);
    config.operation(
        "POST",
        "/platforms/{platform_id}/reviews/{offer_id}/decision",
        &[("path.offer_id", "offer_in_review")],
    );
    if !phase.expendable.is_empty() {
        config.dictionary("offer_to_take_away", &phase.expendable);
        for (method, path) in TAKING_AWAY {
            config.operation(method, path, &[("path.offer_id", "offer_to_take_away")]);
        }
    }
    for (path, fresh) in &phase.secrets {
        let fields = SECRET_BODIES
            .iter()
            .find(|(p, _)| p == path)
            .map_or(&[][..], |(_, fields)| *fields);
        let mut bindings = Vec::new();
        for field in fields {
            let name = format!(
                "{}_{field}",
                path.trim_matches('/').replace(['/', '-'], "_")
            );
            let values: Vec<String> = fresh
                .iter()
                .skip(FOR_HOOKS)
                .filter_map(|secret| secret[*field].as_str().map(str::to_string))
                .collect();
            config.dictionary(&name, &values);
            bindings.push((format!("body.{field}"), name));
        }
        let bindings: Vec<(&str, &str)> = bindings
            .iter()
            .map(|(key, name)| (key.as_str(), name.as_str()))
            .collect();
        config.operation("POST", path, &bindings);
    }
    for (label, token) in &phase.tokens {
        config.token(label, token);
    }
    for label in PUBLIC_OFFER_OPERATIONS {
        config.unseen_by_design(label);
    }
    config.render(phase.role, hooks)
}

/// A schemathesis config: dictionaries, their bindings to parameters of every operation,
/// and those of single operations, each named by its label: an entry's filters
/// (`include-path`, `include-method`) would match any of them, not all.
#[derive(Default)]
struct Config {
    dictionaries: Vec<(String, Vec<String>)>,
    parameters: Vec<(String, String)>,
    operations: Vec<Operation>,
}

/// What one operation gets of its own: dictionaries bound to its parameters, and another
/// account's token.
#[derive(Default)]
struct Operation {
    label: String,
    bindings: Vec<(String, String)>,
    token: Option<String>,
    /// Answers 404 for what another operation just created, by design.
    unseen_by_design: bool,
}

impl Config {
    /// A dictionary of distinct values; one without values is left out, and so are its
    /// bindings.
    fn dictionary(&mut self, name: &str, values: &[String]) {
        let mut distinct: Vec<String> = Vec::with_capacity(values.len());
        for value in values {
            if !distinct.contains(value) {
                distinct.push(value.clone());
            }
        }
        if !distinct.is_empty() {
            self.dictionaries.push((name.to_string(), distinct));
        }
    }

    fn parameter(&mut self, key: &str, dictionary: &str) {
        self.parameters
            .push((key.to_string(), dictionary.to_string()));
    }

    fn operation(&mut self, method: &str, path: &str, bindings: &[(&str, &str)]) {
        let operation = self.entry(&format!("{method} {path}"));
        for (key, dictionary) in bindings {
            // A later binding of the same parameter replaces the earlier one.
            operation.bindings.retain(|(k, _)| k != key);
            operation
                .bindings
                .push((key.to_string(), dictionary.to_string()));
        }
    }

    /// `label` does not see what `POST` on its path's prefix creates: no availability check.
    fn unseen_by_design(&mut self, label: &str) {
        self.entry(label).unseen_by_design = true;
    }

    /// `label` is sent with `token` instead of the phase's.
    fn token(&mut self, label: &str, token: &str) {
        self.entry(label).token = Some(token.to_string());
    }

    fn entry(&mut self, label: &str) -> &mut Operation {
        let index = match self.operations.iter().position(|o| o.label == label) {
            Some(index) => index,
            None => {
                self.operations.push(Operation {
                    label: label.to_string(),
                    ..Operation::default()
                });
                self.operations.len() - 1
            }
        };
        &mut self.operations[index]
    }

    fn render(&self, phase: &str, hooks: &Path) -> String {
        let known = |dictionary: &String| self.dictionaries.iter().any(|(n, _)| n == dictionary);
        let binding = |key: &str, dictionary: &str| {
            format!("{key:?} = {{ dictionary = {dictionary:?}, probability = 0.5 }}")
        };
        let mut out = format!(
            "# Written by `cargo xtask fuzz` for its {phase} phase.\nhooks = {:?}\n",
            hooks.display().to_string()
        );
        out.push_str("\n[checks]\nenabled = false\n");
        for check in CHECKS {
            let statuses = if *check == "negative_data_rejection" {
                format!(", expected-statuses = {REJECTIONS:?}")
            } else {
                String::new()
            };
            out.push_str(&format!("{check} = {{ enabled = true{statuses} }}\n"));
        }
        for (name, values) in &self.dictionaries {
            let values: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
            out.push_str(&format!(
                "\n[dictionaries.{name}]\nvalues = [{}]\n",
                values.join(", ")
            ));
        }
        out.push_str("\n[parameters]\n");
        for (key, dictionary) in self.parameters.iter().filter(|(_, d)| known(d)) {
            out.push_str(&binding(key, dictionary));
            out.push('\n');
        }
        for operation in &self.operations {
            let bindings: Vec<String> = operation
                .bindings
                .iter()
                .filter(|(_, d)| known(d))
                .map(|(key, dictionary)| binding(key, dictionary))
                .collect();
            if bindings.is_empty() && operation.token.is_none() && !operation.unseen_by_design {
                continue;
            }
            out.push_str(&format!(
                "\n[[operations]]\ninclude-name = {:?}\n",
                operation.label
            ));
            if !bindings.is_empty() {
                out.push_str(&format!("parameters = {{ {} }}\n", bindings.join(", ")));
            }
            if operation.unseen_by_design {
                out.push_str("checks = { ensure_resource_availability = { enabled = false } }\n");
            }
            if let Some(token) = &operation.token {
                out.push_str(&format!(
                    "headers = {{ Authorization = {:?} }}\n",
                    format!("Bearer {token}")
                ));
            }
        }
        out
    }
}

/// The second partner's token and the end user's link to its referral program.
struct Referrals {
    partner: String,
    /// The partner's id.
    partner_id: String,
    code: String,
}

/// What the first partner's set-up made that the rest of it uses: the loyalty program, an
/// API key, and the end user's link to the partner's referral program.
struct Own {
    card_program: String,
    key: String,
    code: String,
    kind_id: String,
    /// A draft whose two images only `PUT /offers/{offer_id}/images` sees: the offer and
    /// its image ids.
    reordered: (String, Vec<String>),
    /// Cards whose balance moves to an unused card, one pair per transfer.
    transfers: Vec<(String, String)>,
    /// A customer only `POST /file-links/customers/{customer_id}/invitation` sees (the
    /// fuzzer disables and deletes the others).
    invited: String,
}

/// Transfers the hooks may make: `QUOTA` in each of schemathesis' four phases.
const TRANSFERS: usize = 8;

/// The accounts and records the first partner's set-up works with.
struct OwnContext<'a> {
    operator: &'a str,
    manager: &'a str,
    partner: &'a str,
    end_user: &'a str,
    platform_id: &'a str,
    kind_id: &'a str,
}

/// The accounts the fuzzer acts as and the records it acts on, created through the API as
/// users would, and with local-api's own commands where a schedule would act.
struct Fixtures {
    base: String,
    http: reqwest::blocking::Client,
    /// A client that shows redirects instead of following them.
    no_redirects: reqwest::blocking::Client,
    binary: PathBuf,
    data_dir: PathBuf,
}

impl Fixtures {
    fn new(base: &str, binary: &Path, data_dir: &Path) -> Result<Self> {
        let client = || {
            reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .user_agent(BROWSER)
        };
        Ok(Self {
            base: base.to_string(),
            http: client().build().context("building the HTTP client")?,
            no_redirects: client()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .context("building the HTTP client")?,
            binary: binary.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// An operator, a manager and two partners approved on the manager's platform (with a
    /// second platform beside it, and a placement kind): the second one's live offer and
    /// referral program, a reward billed and paid out, the first one's own records.
    fn create(&self) -> Result<Records> {
        let operator = self.login(OPERATOR_EMAIL)?;

        let platform = self.call(
            "POST",
            "/platforms",
            Some(&operator),
            json!({"name": "Sparkasse Vorteilswelt", "monthly_fee_cents": 4900}),
            201,
        )?;
        let platform_id = id_of(&platform, "id", "POST /platforms")?;
        // A platform nobody applied to yet.
        let other = self.call(
            "POST",
            "/platforms",
            Some(&operator),
            json!({"name": "Volksbank Vorteilswelt", "monthly_fee_cents": 3900}),
            201,
        )?;

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
        let kind = self.call(
            "POST",
            &format!("/platforms/{platform_id}/placement-kinds"),
            Some(&operator),
            json!({"name": "Top-Platzierung", "price_cents": 4900, "slots_per_month": 5}),
            201,
        )?;
        let kind_id = id_of(
            &kind,
            "kind_id",
            "POST /platforms/{platform_id}/placement-kinds",
        )?;

        let mut ids = Ids::default();
        ids.add("platform_id", platform_id.clone());
        ids.add("platform_id", id_of(&other, "id", "POST /platforms")?);
        let partner = self.confirmed_partner(PARTNER_EMAIL, "Bäckerei Müller")?;
        let partner_id = self.apply(&partner, &platform_id)?;
        self.approve(&manager, &platform_id, &partner_id)?;
        ids.add("partner_id", partner_id.clone());
        let end_user = self.end_user(&platform_id)?;
        let (live_offer, bert) =
            self.published_offer(&manager, &platform_id, &end_user, &mut ids)?;
        let mut scoped = Ids::default();
        scoped.add("live_offer_id", live_offer);
        scoped.add("kind_id", kind_id.clone());
        let own = self.partner_records(
            &OwnContext {
                operator: &operator,
                manager: &manager,
                partner: &partner,
                end_user: &end_user,
                platform_id: &platform_id,
                kind_id: &kind_id,
            },
            &mut ids,
            &mut scoped,
        )?;
        self.rewards_billed_and_paid_out(&operator, &bert, &own, &end_user, &mut ids, &mut scoped)?;
        let stand_ins = stand_ins(&platform_id, &scoped, &own)?;
        let shown_partners = [partner_id, bert.partner_id.clone()];
        let shown_offers: Vec<String> = ["live_offer_id", "own_live_offer"]
            .iter()
            .flat_map(|name| scoped.get(name).iter().cloned())
            .collect();
        let protected = protected(
            &shown_offers,
            &shown_partners,
            &own.reordered.0,
            &own.invited,
        );
        Ok(Records {
            ids,
            platform_id,
            scoped,
            card_program: own.card_program,
            stand_ins,
            protected,
        })
    }

    /// The manager approves `partner_id`'s application to the platform.
    fn approve(&self, manager: &str, platform_id: &str, partner_id: &str) -> Result<()> {
        self.call(
            "POST",
            &format!("/platforms/{platform_id}/applications/{partner_id}/decision"),
            Some(manager),
            json!({"decision": "approve"}),
            200,
        )
        .map(drop)
    }

    /// An end user of the platform, signed up through the mailed invitation; the token.
    fn end_user(&self, platform_id: &str) -> Result<String> {
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
        id_of(&login, "access_token", "POST /auth/login")
    }

    /// A second partner, approved on the platform, whose offer the manager approved (the
    /// public feed, an offer's detail, its click-out and coupon have something to show),
    /// with a second offer in review and a referral program the end user has a link to; the
    /// live offer's id.
    fn published_offer(
        &self,
        manager: &str,
        platform_id: &str,
        end_user: &str,
        ids: &mut Ids,
    ) -> Result<(String, Referrals)> {
        let bert = self.confirmed_partner(SECOND_PARTNER_EMAIL, "Metzgerei Schmidt")?;
        let bert_id = self.apply(&bert, platform_id)?;
        self.approve(manager, platform_id, &bert_id)?;
        let offer_id = self.live_offer(manager, &bert, platform_id)?;
        ids.add("offer_id", offer_id.clone());
        // A second offer waits in the platform's review queue for the manager's decision.
        ids.add("offer_id", self.offer_in_review(&bert, platform_id)?);
        self.verified_domain(&bert, LANDING_DOMAIN)?;
        let (program_id, code) = self.program_with_link(
            &bert,
            end_user,
            json!({"name": "Freunde werben Freunde",
                   "landing_url": format!("https://shop.{LANDING_DOMAIN}/aktion"),
                   "rewards": [{"event": "purchase", "reward": {"kind": "percent", "basis_points": 1000}}],
                   "attribution_days": 30, "attribution": "first", "hold_days": 0,
                   "monthly_budget_cents": 50000}),
        )?;
        ids.add("code", code.clone());
        ids.add("program_id", program_id);
        Ok((
            offer_id,
            Referrals {
                partner: bert,
                partner_id: bert_id,
                code,
            },
        ))
    }

    /// A new offer of `partner` on the platform, submitted and approved by the manager; its
    /// id.
    fn live_offer(&self, manager: &str, partner: &str, platform_id: &str) -> Result<String> {
        let offer_id = self.offer_in_review(partner, platform_id)?;
        self.call(
            "POST",
            &format!("/platforms/{platform_id}/reviews/{offer_id}/decision"),
            Some(manager),
            json!({"decision": "approve", "checks": {"lawful": true, "real_benefit": true}}),
            200,
        )?;
        Ok(offer_id)
    }

    /// A new offer of `partner` on the platform, submitted for review; its id.
    fn offer_in_review(&self, partner: &str, platform_id: &str) -> Result<String> {
        let created = self.call("POST", "/offers", Some(partner), offer(platform_id)?, 201)?;
        let offer_id = id_of(&created, "offer_id", "POST /offers")?;
        self.call(
            "POST",
            &format!("/offers/{offer_id}/submit"),
            Some(partner),
            Value::Null,
            200,
        )?;
        Ok(offer_id)
    }

    /// `partner`'s landing `domain`, listed and proven by a TXT record set in local-api.
    fn verified_domain(&self, partner: &str, domain: &str) -> Result<()> {
        let listed = self.call(
            "PUT",
            "/partners/me/referral-domains",
            Some(partner),
            json!({"domains": [domain]}),
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
            &format!("/partners/me/referral-domains/{domain}/verification"),
            Some(partner),
            Value::Null,
            200,
        )
        .map(drop)
    }

    /// A referral program of `partner` and the end user's personal link to it:
    /// `GET /r/{code}` has a link to follow. The program's id and the link's code.
    fn program_with_link(
        &self,
        partner: &str,
        end_user: &str,
        program: Value,
    ) -> Result<(String, String)> {
        let program = self.call("POST", "/programs", Some(partner), program, 201)?;
        let program_id = id_of(&program, "program_id", "POST /programs")?;
        let link = self.call(
            "POST",
            "/me/referrals",
            Some(end_user),
            json!({"program_id": program_id}),
            201,
        )?;
        Ok((program_id, id_of(&link, "code", "POST /me/referrals")?))
    }

    /// Rewards billed and paid out: a friend buys through the end user's link to the second
    /// partner's program and signs up through the link to the first one's, the nightly run
    /// confirms the rewards (a voucher at once), next month's billing run bills the cash
    /// reward to the partner (run as the schedule will run it once that month has begun:
    /// local-api's own command with the date moved by faketime), the next nightly run makes
    /// it payable, and the end user asks for two payouts the operator can mark paid. The
    /// run's invoices are there to be cancelled, the voucher to be redeemed.
    fn rewards_billed_and_paid_out(
        &self,
        operator: &str,
        bert: &Referrals,
        own: &Own,
        end_user: &str,
        ids: &mut Ids,
        scoped: &mut Ids,
    ) -> Result<()> {
        let key = self.call(
            "POST",
            "/partners/me/api-keys",
            Some(&bert.partner),
            json!({"label": "Onlineshop"}),
            201,
        )?;
        let key = id_of(&key, "key", "POST /partners/me/api-keys")?;
        self.conversion(
            &key,
            &bert.code,
            json!({"event": "purchase",
            "external_id": "B-4711", "amount_cents": 30000}),
        )?;
        self.conversion(
            &own.key,
            &own.code,
            json!({"event": "signup", "external_id": "K-0815"}),
        )?;
        self.local_api(&["referrals-daily"], None)?;
        let (period, first_day) = next_month()?;
        self.local_api(&["billing-run", &period], Some(&first_day))?;
        self.local_api(&["referrals-daily"], None)?;
        for _ in 0..2 {
            let payout = self.call(
                "POST",
                "/me/payouts",
                Some(end_user),
                json!({"amount_cents": 1000, "iban": IBAN, "account_holder": "Erika Mustermann"}),
                201,
            )?;
            ids.add(
                "payout_id",
                id_of(&payout, "payout_id", "POST /me/payouts")?,
            );
        }
        let run = self.call(
            "GET",
            &format!("/billing/runs/{period}/invoices"),
            Some(operator),
            Value::Null,
            200,
        )?;
        for invoice in run["invoices"].as_array().into_iter().flatten() {
            if let Some(number) = invoice["number"].as_str() {
                scoped.add("invoice_number", number.to_string());
            }
        }
        ensure!(
            scoped.0.iter().any(|(name, _)| *name == "invoice_number"),
            "the billing run of {period} wrote no invoice"
        );
        ids.add("period", period);
        let wallet = self.call("GET", "/me/wallet", Some(end_user), Value::Null, 200)?;
        for voucher in wallet["vouchers"].as_array().into_iter().flatten() {
            if let Some(code) = voucher["code"].as_str() {
                scoped.add("voucher_code", code.to_string());
            }
        }
        ensure!(
            scoped.0.iter().any(|(name, _)| *name == "voucher_code"),
            "the end user's wallet holds no voucher"
        );
        Ok(())
    }

    /// A conversion reported with the partner's API `key` for a visit through the link
    /// `code` (`report` without its click id).
    fn conversion(&self, key: &str, code: &str, mut report: Value) -> Result<()> {
        report["click_id"] = Value::String(self.click(code)?);
        let reported = self
            .http
            .post(format!("{}/conversions", self.base))
            .header("x-api-key", key)
            .json(&report);
        expect(reported, 201, "POST /conversions").map(drop)
    }

    /// The click id of a visit through the referral link `code` (the redirect appends it
    /// to the landing URL it answers with).
    fn click(&self, code: &str) -> Result<String> {
        let response = self
            .no_redirects
            .get(format!("{}/r/{code}", self.base))
            .send()
            .with_context(|| format!("GET /r/{code}"))?;
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|location| location.to_str().ok())
            .with_context(|| {
                format!(
                    "GET /r/{code} answered {} without a Location",
                    response.status()
                )
            })?;
        let start = to
            .find("pn_click=")
            .with_context(|| format!("no pn_click in {to}"))?
            + "pn_click=".len();
        Ok(to[start..]
            .split('&')
            .next()
            .unwrap_or_default()
            .to_string())
    }

    /// The first partner's own records: offers live (with a placement this month), in
    /// review and in draft (one with an uploaded image), the digital customer account with
    /// a customer and a global link, a card contract with a program and cards (some to
    /// transfer a balance to), an API key, and a referral program with a voucher for each
    /// referred sign-up on a verified landing domain, the end user's link to it.
    fn partner_records(&self, ctx: &OwnContext, ids: &mut Ids, scoped: &mut Ids) -> Result<Own> {
        let (partner, platform_id) = (ctx.partner, ctx.platform_id);
        // Live offers, each placed next month: this month's placement is the fuzzer's to
        // book, next month's to cancel (a month that has begun keeps its placements).
        let (this_month, next_month) = current_month()?;
        for _ in 0..3 {
            let live = self.live_offer(ctx.manager, partner, platform_id)?;
            self.call(
                "POST",
                &format!("/offers/{live}/placements"),
                Some(partner),
                json!({"platform_id": platform_id, "kind_id": ctx.kind_id, "month": next_month}),
                201,
            )?;
            scoped.add("own_live_offer", live.clone());
            ids.add("offer_id", live);
        }
        scoped.add("own_platform", platform_id.to_string());
        scoped.add("this_month", this_month);
        scoped.add("next_month", next_month);
        let today = jiff::Zoned::now().in_tz("Europe/Berlin")?.date();
        scoped.add("valid_from", today.to_string());
        scoped.add(
            "valid_to",
            today.checked_add(jiff::Span::new().days(30))?.to_string(),
        );
        ids.add("offer_id", self.offer_in_review(partner, platform_id)?);
        for _ in 0..2 {
            let draft = self.call("POST", "/offers", Some(partner), offer(platform_id)?, 201)?;
            ids.add("offer_id", id_of(&draft, "offer_id", "POST /offers")?);
        }
        let offer = self.call("POST", "/offers", Some(partner), offer(platform_id)?, 201)?;
        let offer_id = id_of(&offer, "offer_id", "POST /offers")?;
        let image = self.call(
            "POST",
            &format!("/offers/{offer_id}/images"),
            Some(partner),
            json!({"content_type": "image/png", "size_bytes": PNG.len()}),
            201,
        )?;
        self.upload(&image["upload"], PNG)?;
        ids.add(
            "image_id",
            id_of(
                &image["image"],
                "image_id",
                "POST /offers/{offer_id}/images",
            )?,
        );
        scoped.add("offer_with_image", offer_id.clone());
        ids.add("offer_id", offer_id);
        let reordered = self.offer_with_images(partner, platform_id, 2)?;

        self.call(
            "POST",
            "/file-links/account",
            Some(partner),
            json!({"slug": SLUG}),
            201,
        )?;
        ids.add("slug", SLUG.to_string());
        for (first_name, email) in CUSTOMERS {
            let customer = self.call(
                "POST",
                "/file-links/customers",
                Some(partner),
                json!({"first_name": first_name, "last_name": "Kunde", "email": email,
                       "folder_url": "https://cloud.example.de/s/Xy7aB2",
                       "folder_password": "ordner-geheim"}),
                201,
            )?;
            let customer_id = id_of(&customer, "id", "POST /file-links/customers")?;
            ids.add("customer_id", customer_id.clone());
            ids.add("folder_id", customer_id);
        }
        let invited = self.call(
            "POST",
            "/file-links/customers",
            Some(partner),
            json!({"first_name": "Ina", "last_name": "Kunde", "email": "ina@kunde.example.de",
                   "folder_url": "https://cloud.example.de/s/Ina42"}),
            201,
        )?;
        let invited = id_of(&invited, "id", "POST /file-links/customers")?;
        scoped.add("invited_customer", invited.clone());
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
            Some(ctx.operator),
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
        let card_program = id_of(&program, "program_id", "POST /cards/programs")?;
        ids.add("program_id", card_program.clone());
        let transfers = self.card_numbers(partner, &card_program, 2 * TRANSFERS)?;
        let transfers = transfers[..TRANSFERS]
            .iter()
            .cloned()
            .zip(transfers[TRANSFERS..].iter().cloned())
            .collect();
        for (name, count) in [("number", 3), ("unused_card", 6)] {
            let batch = self.call(
                "POST",
                &format!("/cards/programs/{card_program}/batches"),
                Some(partner),
                json!({"count": count}),
                201,
            )?;
            for number in batch["numbers"].as_array().into_iter().flatten() {
                if let Some(number) = number.as_str() {
                    match name {
                        "number" => ids.add(name, number.to_string()),
                        _ => scoped.add(name, number.to_string()),
                    }
                }
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
        self.verified_domain(partner, OWN_DOMAIN)?;
        ids.add("domain", OWN_DOMAIN.to_string());
        let (program_id, code) = self.program_with_link(
            partner,
            ctx.end_user,
            json!({"name": "Kunden werben Kunden",
                   "landing_url": format!("https://shop.{OWN_DOMAIN}/aktion"),
                   "rewards": [{"event": "signup", "reward": {"kind": "voucher", "value_cents": 500}}],
                   "attribution_days": 30, "attribution": "first", "hold_days": 0,
                   "monthly_budget_cents": 50000}),
        )?;
        ids.add("program_id", program_id);
        Ok(Own {
            card_program,
            key: id_of(&key, "key", "POST /partners/me/api-keys")?,
            code,
            kind_id: ctx.kind_id.to_string(),
            reordered,
            transfers,
            invited,
        })
    }

    /// A draft of `partner` with `count` uploaded images: its id and the images' ids.
    fn offer_with_images(
        &self,
        partner: &str,
        platform_id: &str,
        count: usize,
    ) -> Result<(String, Vec<String>)> {
        let offer = self.call("POST", "/offers", Some(partner), offer(platform_id)?, 201)?;
        let offer_id = id_of(&offer, "offer_id", "POST /offers")?;
        let mut images = Vec::with_capacity(count);
        for _ in 0..count {
            let image = self.call(
                "POST",
                &format!("/offers/{offer_id}/images"),
                Some(partner),
                json!({"content_type": "image/png", "size_bytes": PNG.len()}),
                201,
            )?;
            self.upload(&image["upload"], PNG)?;
            images.push(id_of(
                &image["image"],
                "image_id",
                "POST /offers/{offer_id}/images",
            )?);
        }
        Ok((offer_id, images))
    }

    /// The numbers of a new batch of `count` cards of `program_id`.
    fn card_numbers(&self, partner: &str, program_id: &str, count: usize) -> Result<Vec<String>> {
        let batch = self.call(
            "POST",
            &format!("/cards/programs/{program_id}/batches"),
            Some(partner),
            json!({"count": count}),
            201,
        )?;
        let numbers: Vec<String> = batch["numbers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
        ensure!(
            numbers.len() == count,
            "a batch of {count} cards listed {} numbers",
            numbers.len()
        );
        Ok(numbers)
    }

    /// Sends a file to a presigned upload (`method`, `url`, `headers` as the API gave them).
    fn upload(&self, upload: &Value, bytes: &[u8]) -> Result<()> {
        let url = upload["url"].as_str().context("an upload without url")?;
        let mut request = self.http.put(url).body(bytes.to_vec());
        for (name, value) in upload["headers"].as_object().into_iter().flatten() {
            if let Some(value) = value.as_str() {
                request = request.header(name.as_str(), value);
            }
        }
        let response = request.send().context("uploading a file")?;
        ensure!(
            response.status().is_success(),
            "the upload answered {}",
            response.status()
        );
        Ok(())
    }

    /// The records a phase may use up, fresh for it, and a fresh token of `email`: sign-ups
    /// awaiting their confirmation, invitations, password resets and cards awaiting
    /// registration, an account to log in with, an application and an offer awaiting a
    /// decision.
    fn phase(&self, role: &'static str, email: &str, records: &Records) -> Result<Phase> {
        let started = Instant::now();
        let token = self.login(email)?;
        let operator = self.login(OPERATOR_EMAIL)?;
        let platform_id = &records.platform_id;
        let address = |what: &str, i: usize| format!("{what}-{role}-{i}@{PHASE_DOMAIN}");
        for i in 0..FRESH_SECRETS {
            self.call(
                "POST",
                "/partners",
                None,
                json!({"company": format!("Firma {role} {i}"), "contact_name": "Fritz Fuzz",
                       "email": address("bestaetigung", i), "password": PASSWORD,
                       "accept_terms": true}),
                202,
            )?;
        }
        // Invited managers; more of them asked for a password reset, one link each, since
        // the password one link sets ends the account's other links.
        let invited = (0..FRESH_SECRETS)
            .flat_map(|i| [address("einladung", i), address("passwort", i)])
            .chain([address("anmeldung", 0)]);
        for invitee in invited {
            self.call(
                "POST",
                &format!("/platforms/{platform_id}/managers"),
                Some(&operator),
                json!({"email": invitee, "name": "Mia Fuzz"}),
                201,
            )?;
        }
        // A reset answers one second after it began (`shared::steady`): all at once.
        thread::scope(|scope| {
            let requests: Vec<_> = (0..FRESH_SECRETS)
                .map(|i| {
                    let login = address("passwort", i);
                    scope.spawn(move || {
                        self.call(
                            "POST",
                            "/auth/password-reset",
                            None,
                            json!({"login": login}),
                            202,
                        )
                    })
                })
                .collect();
            requests.into_iter().try_for_each(|request| {
                request
                    .join()
                    .map_err(|_| anyhow::anyhow!("a password reset request panicked"))?
                    .map(drop)
            })
        })?;
        let outbox = self.outbox()?;
        let tokens = |what: &str| -> Result<Vec<Value>> {
            (0..FRESH_SECRETS)
                .map(|i| Ok(json!({"token": outbox.token(&address(what, i))?})))
                .collect()
        };
        // An account of its own for the fuzzer's logins: the throttle it runs into (five
        // failures in 15 minutes) is its own, and the next phase's account is a new one.
        let login = address("anmeldung", 0);
        self.call(
            "POST",
            "/auth/invitations/accept",
            None,
            json!({"token": outbox.token(&login)?, "password": PASSWORD}),
            200,
        )?;
        let email_changes = (0..FRESH_SECRETS)
            .map(|i| {
                let partner =
                    self.fresh_partner(&address("umzug", i), &format!("Umzug {role} {i}"))?;
                let new_email = address("neu", i);
                self.call(
                    "POST",
                    "/partners/me/email",
                    Some(&partner),
                    json!({"current_password": PASSWORD, "new_email": new_email}),
                    202,
                )?;
                Ok(json!({"token": self.token_mailed_to(&new_email)?}))
            })
            .collect::<Result<Vec<_>>>()?;
        let secrets = vec![
            ("/partners/confirm", tokens("bestaetigung")?),
            ("/partners/email/confirm", email_changes),
            ("/auth/invitations/accept", tokens("einladung")?),
            ("/auth/password-reset/confirm", tokens("passwort")?),
            ("/cards/register", self.cards(&records.card_program)?),
            (
                "/auth/login",
                vec![json!({"login": login, "password": PASSWORD}); FRESH_SECRETS],
            ),
        ];
        let applicant =
            self.confirmed_partner(&address("bewerbung", 0), &format!("Bewerber {role}"))?;
        let applicant_id = self.apply(&applicant, platform_id)?;
        let bert = self.login(SECOND_PARTNER_EMAIL)?;
        let in_review = self.offer_in_review(&bert, platform_id)?;
        let (mut stand_ins, tokens) = self.phase_stand_ins(role, &operator, platform_id)?;
        let expendable =
            self.expendable_offers(role, &token, &bert, platform_id, &mut stand_ins)?;
        println!(
            "xtask: set up the {role} phase's own records in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        Ok(Phase {
            role,
            token,
            applicants: vec![applicant_id],
            in_review: vec![in_review],
            expendable,
            secrets,
            stand_ins,
            tokens,
        })
    }

    /// Fresh live offers that only `role`'s cases take away, one per success: the manager
    /// takes the second partner's down, the partner (`token`) withdraws its own. The first
    /// `FOR_HOOKS` go to the hooks, the others to the generated cases.
    fn expendable_offers(
        &self,
        role: &str,
        token: &str,
        bert: &str,
        platform_id: &str,
        stand_ins: &mut Vec<StandIn>,
    ) -> Result<Vec<String>> {
        let (manager, owner, label, body) = match role {
            "manager" => (
                token.to_string(),
                bert,
                format!("POST {TAKE_DOWN}"),
                json!({"$path.platform_id": platform_id,
                       "reason": "Das Angebot widerspricht den Teilnahmebedingungen."}),
            ),
            "partner" => (
                self.login(MANAGER_EMAIL)?,
                token,
                format!("POST {WITHDRAW}"),
                json!({}),
            ),
            _ => return Ok(Vec::new()),
        };
        let mut offers = (0..FRESH_SECRETS)
            .map(|_| self.live_offer(&manager, owner, platform_id))
            .collect::<Result<Vec<_>>>()?;
        let values = offers
            .drain(..FOR_HOOKS)
            .map(|offer_id| {
                let mut value = body.clone();
                value["$path.offer_id"] = json!(offer_id);
                value
            })
            .collect();
        stand_ins.push(StandIn::once(&label, values));
        Ok(offers)
    }

    /// What a phase's cases use up or change, with the tokens they are sent with: fresh
    /// platforms to apply to, and an account of the phase's role of its own for each of
    /// `ACCOUNT_OPERATIONS` (a password changed back and forth, an e-mail change, a
    /// closing), so that the phase's own account stays as it is.
    fn phase_stand_ins(
        &self,
        role: &str,
        operator: &str,
        platform_id: &str,
    ) -> Result<(Vec<StandIn>, Tokens)> {
        let platforms = (0..FOR_HOOKS)
            .map(|i| {
                let platform = self.call(
                    "POST",
                    "/platforms",
                    Some(operator),
                    json!({"name": format!("Neue Vorteilswelt {role} {i}"), "monthly_fee_cents": 2900}),
                    201,
                )?;
                Ok(json!({"$path.platform_id": id_of(&platform, "id", "POST /platforms")?}))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut stand_ins = vec![StandIn::once(
            "POST /partners/me/platforms/{platform_id}",
            platforms,
        )];
        // Managers of the platform that only the operator's cases remove, one each.
        if role == "operator" {
            let removable = (0..FOR_HOOKS)
                .map(|i| {
                    let invited = self.call(
                        "POST",
                        &format!("/platforms/{platform_id}/managers"),
                        Some(operator),
                        json!({"email": format!("abschied-{i}@{PHASE_DOMAIN}"), "name": "Mia Fuzz"}),
                        201,
                    )?;
                    let id = id_of(&invited, "manager_id", "POST /platforms/{platform_id}/managers")?;
                    Ok(json!({"$path.platform_id": platform_id, "$path.account_id": id}))
                })
                .collect::<Result<Vec<_>>>()?;
            stand_ins.push(StandIn::once(
                "DELETE /platforms/{platform_id}/managers/{account_id}",
                removable,
            ));
        }
        let mut tokens = Vec::new();
        for (i, (label, roles)) in ACCOUNT_OPERATIONS.iter().enumerate() {
            if !roles.contains(&role) {
                continue;
            }
            let email = format!("konto-{role}-{i}@{PHASE_DOMAIN}");
            let token = match role {
                "operator" => {
                    create_operator(&self.binary, &self.data_dir, &email, PASSWORD)?;
                    self.login(&email)?
                }
                "manager" => {
                    self.call(
                        "POST",
                        &format!("/platforms/{platform_id}/managers"),
                        Some(operator),
                        json!({"email": email, "name": "Mia Fuzz"}),
                        201,
                    )?;
                    self.call(
                        "POST",
                        "/auth/invitations/accept",
                        None,
                        json!({"token": self.token_mailed_to(&email)?, "password": PASSWORD}),
                        200,
                    )?;
                    self.login(&email)?
                }
                _ => self.fresh_partner(&email, &format!("Konto {i}"))?,
            };
            match *label {
                "POST /auth/password" => {
                    let mut stand_in = StandIn::record(
                        label,
                        json!({"current_password": PASSWORD, "new_password": OTHER_PASSWORD,
                               "login": email}),
                    );
                    stand_in.swap = Some(["current_password", "new_password"]);
                    stand_ins.push(stand_in);
                }
                // Cancelling a customer account: one of its own to cancel.
                "DELETE /file-links/account" => {
                    self.call(
                        "POST",
                        "/file-links/account",
                        Some(&token),
                        json!({"slug": format!("konto-{role}-{i}")}),
                        201,
                    )?;
                }
                _ => stand_ins.push(StandIn::record(
                    label,
                    json!({"current_password": PASSWORD}),
                )),
            }
            tokens.push((label.to_string(), token));
        }
        Ok((stand_ins, tokens))
    }

    /// A partner signed up and confirmed: its token.
    fn fresh_partner(&self, email: &str, company: &str) -> Result<String> {
        self.call(
            "POST",
            "/partners",
            None,
            json!({"company": company, "contact_name": "Fritz Fuzz",
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
        self.login(email)
    }

    /// New cards of the first partner's program with their activation codes (from the
    /// print shop's file), as `POST /cards/register` takes them.
    fn cards(&self, program_id: &str) -> Result<Vec<Value>> {
        let partner = self.login(PARTNER_EMAIL)?;
        let batch = self.call(
            "POST",
            &format!("/cards/programs/{program_id}/batches"),
            Some(&partner),
            json!({"count": FRESH_SECRETS}),
            201,
        )?;
        let url = batch["csv_url"]
            .as_str()
            .context("a new card batch without csv_url")?;
        let file = self
            .http
            .get(url)
            .send()
            .and_then(reqwest::blocking::Response::error_for_status)
            .and_then(reqwest::blocking::Response::text)
            .context("fetching a card batch's print file")?;
        let cards: Vec<Value> = print_file_cards(&file)
            .into_iter()
            .map(|(number, code)| json!({"number": number, "activation_code": code}))
            .collect();
        ensure!(
            cards.len() == FRESH_SECRETS,
            "the print file lists {} cards, not {FRESH_SECRETS}",
            cards.len()
        );
        Ok(cards)
    }

    /// A partner signed up, confirmed, logged in, with an address (invoices need one) and a
    /// SEPA mandate.
    fn confirmed_partner(&self, email: &str, company: &str) -> Result<String> {
        let partner = self.fresh_partner(email, company)?;
        self.call(
            "PATCH",
            "/partners/me",
            Some(&partner),
            json!({"address": {"street": "Hauptstraße 1", "postal_code": "50667", "city": "Köln"}}),
            200,
        )?;
        self.call(
            "PUT",
            "/partners/me/sepa-mandate",
            Some(&partner),
            json!({"account_holder": format!("{company} GmbH"), "iban": IBAN}),
            200,
        )?;
        Ok(partner)
    }

    /// `partner` applies to the platform; its partner id.
    fn apply(&self, partner: &str, platform_id: &str) -> Result<String> {
        self.call(
            "POST",
            &format!("/partners/me/platforms/{platform_id}"),
            Some(partner),
            Value::Null,
            201,
        )?;
        let me = self.call("GET", "/partners/me", Some(partner), Value::Null, 200)?;
        id_of(&me, "id", "GET /partners/me")
    }

    fn login(&self, email: &str) -> Result<String> {
        let reply = self
            .call(
                "POST",
                "/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
                200,
            )
            .with_context(|| format!("logging in {email}"))?;
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
        expect(request, expected, &format!("{method} {path}"))
    }

    /// A command of local-api on the run's data folder (the API serves on meanwhile), with
    /// the date moved to noon of `date` (UTC) when one is given.
    fn local_api(&self, args: &[&str], date: Option<&str>) -> Result<()> {
        let mut command = match date {
            Some(date) => {
                let mut faketime = Command::new("faketime");
                faketime
                    .arg(format!("{date} 12:00:00"))
                    .arg(&self.binary)
                    .env("TZ", "UTC");
                faketime
            }
            None => Command::new(&self.binary),
        };
        command
            .args(args)
            .env("PARTNERNETZ_DATA_DIR", &self.data_dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        process::run(&mut command)
    }

    /// The mails in local-api's outbox.
    fn outbox(&self) -> Result<Outbox> {
        let outbox = self.call("GET", "/_dev/outbox", None, Value::Null, 200)?;
        let mails = outbox["mails"]
            .as_array()
            .context("GET /_dev/outbox listed no mails")?;
        Ok(Outbox(mails.clone()))
    }

    /// The one-time token in the newest mail to `to`, from local-api's outbox.
    fn token_mailed_to(&self, to: &str) -> Result<String> {
        self.outbox()?.token(to)
    }
}

/// Sends `request` and insists on `expected`; the answer's JSON (`Null` for none).
fn expect(request: reqwest::blocking::RequestBuilder, expected: u16, what: &str) -> Result<Value> {
    let response = request.send().with_context(|| what.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .with_context(|| format!("reading the answer to {what}"))?;
    ensure!(
        status == expected,
        "setting up the fuzz records: {what} answered {status}, expected {expected}: {text}"
    );
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The mails local-api's outbox holds, oldest first.
struct Outbox(Vec<Value>);

impl Outbox {
    /// The one-time token in the newest mail to `to`.
    fn token(&self, to: &str) -> Result<String> {
        let text = self
            .0
            .iter()
            .rev()
            .find(|m| m["to"] == to)
            .and_then(|mail| mail["text"].as_str())
            .with_context(|| format!("no mail to {to} in the outbox"))?;
        token_in(text).with_context(|| format!("no link with a token in the mail to {to}"))
    }
}

/// The ids of existing records by the name of the parameter that takes them.
#[derive(Default)]
struct Ids(Vec<(&'static str, Vec<String>)>);

impl Ids {
    fn get(&self, name: &str) -> &[String] {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&[][..], |(_, ids)| ids)
    }

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

/// This month and the next in Berlin (`2026-12`, `2027-01`).
fn current_month() -> Result<(String, String)> {
    let today = jiff::Zoned::now().in_tz("Europe/Berlin")?.date();
    let this = format!("{:04}-{:02}", today.year(), today.month());
    Ok((this, month_after(today)?.0))
}

/// Next month in Berlin (`2027-01`) and its first day (`2027-01-01`).
fn next_month() -> Result<(String, String)> {
    let today = jiff::Zoned::now().in_tz("Europe/Berlin")?.date();
    month_after(today)
}

fn month_after(day: jiff::civil::Date) -> Result<(String, String)> {
    let first = day
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))?;
    Ok((
        format!("{:04}-{:02}", first.year(), first.month()),
        first.to_string(),
    ))
}

/// The body fields (and path parameters) that name a record no generated value knows (a
/// platform, a placement kind, the images of an offer), a day that passes, or a check a
/// schema cannot state (an IBAN's check digits), with the set-up's in their place.
fn stand_ins(platform_id: &str, scoped: &Ids, own: &Own) -> Result<Vec<StandIn>> {
    let today = jiff::Zoned::now().in_tz("Europe/Berlin")?.date();
    let offer = json!({
        "in_store": {"instructions": "Gutschein an der Kasse zeigen.", "coupon_code": "FUZZ10"},
        "platforms": [platform_id],
        "valid_from": today.to_string(),
        "valid_to": today.checked_add(jiff::Span::new().days(30))?.to_string(),
    });
    let (this_month, _) = current_month()?;
    let later = month_after(today.checked_add(jiff::Span::new().months(1))?)?.0;
    // This month's and the month after next's placement of each live offer.
    let placements = scoped
        .get("own_live_offer")
        .iter()
        .flat_map(|offer_id| {
            [&this_month, &later].map(|month| {
                json!({"$path.offer_id": offer_id, "platform_id": platform_id,
                       "kind_id": own.kind_id, "month": month})
            })
        })
        .collect();
    let mut stand_ins = vec![
        StandIn::record("POST /offers", offer.clone()),
        StandIn::record("PUT /offers/{offer_id}", offer),
        StandIn::once("POST /offers/{offer_id}/placements", placements),
        // The platform's fee from the month after next on: next month's billing run is
        // part of the set-up, and a month whose run has started is refused.
        StandIn::record(
            "POST /platforms/{platform_id}/fee-changes",
            json!({"$path.platform_id": platform_id, "from": later,
                   "monthly_fee_cents": 5900}),
        ),
        // A sign-up answers alike for a new and a known address (no probing).
        StandIn::record(
            "POST /platforms/{platform_id}/endusers",
            json!({"$path.platform_id": platform_id, "email": "kundin@fuzz.example.de",
                   "name": "Kim Fuzz", "accept_terms": true}),
        ),
        StandIn::record(
            "POST /cards/programs/{program_id}/batches",
            json!({"$path.program_id": own.card_program, "count": 2}),
        ),
    ];
    // The offer the platform shows, on that platform: no example in the document names it.
    for live_offer in scoped.get("live_offer_id") {
        stand_ins.push(StandIn::record(
            "POST /offers/{offer_id}/click-out",
            json!({"$path.offer_id": live_offer, "platform_id": platform_id}),
        ));
        for view in [
            "GET /offers/{offer_id}",
            "GET /offers/{offer_id}/coupon.pdf",
        ] {
            stand_ins.push(StandIn::record(
                view,
                json!({"$path.offer_id": live_offer, "$query.platform_id": platform_id}),
            ));
        }
    }
    stand_ins.extend([
        StandIn::record(
            "PUT /offers/{offer_id}/images",
            json!({"$path.offer_id": own.reordered.0, "image_ids": own.reordered.1}),
        ),
        StandIn::record("PUT /partners/me/sepa-mandate", json!({"iban": IBAN})),
        StandIn::record(
            "POST /file-links/customers/{customer_id}/invitation",
            json!({"$path.customer_id": own.invited}),
        ),
        // A terminal user's username is the merchant's once: each success takes a new one.
        StandIn::once(
            "POST /cards/terminal-users",
            (1..=12)
                .map(|n| json!({"username": format!("fuzz-kasse-{n}")}))
                .collect(),
        ),
        StandIn::once(
            "POST /cards/cards/{number}/transfer",
            own.transfers
                .iter()
                .map(|(from, to)| json!({"$path.number": from, "to_number": to}))
                .collect(),
        ),
    ]);
    Ok(stand_ins)
}

/// The cards of a print shop's file (a German CSV: BOM, `;`, the number in blocks of
/// four): each number's digits and its activation code.
fn print_file_cards(file: &str) -> Vec<(String, String)> {
    file.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (number, code) = line.split_once(';')?;
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            Some((digits, code.trim().trim_matches('"').to_string()))
        })
        .collect()
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
        let args: Vec<String> = ["--examples", "7", "--as", "partner", "--", "--seed", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let options = Options::parse(&args).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(options.examples, 7);
        assert_eq!(options.roles, ["partner"]);
        assert!(Options::parse(&["--as".to_string(), "enduser".to_string()]).is_err());
        assert_eq!(options.schemathesis_args, ["--seed", "1"]);
        assert!(Options::parse(&["--examples".to_string(), "0".to_string()]).is_err());
        assert_eq!(
            Options::parse(&[]).map(|o| o.examples).ok(),
            Some(DEFAULT_EXAMPLES)
        );
    }

    #[test]
    fn the_month_after_a_day_is_named_with_its_first_day() {
        let day = |s: &str| s.parse::<jiff::civil::Date>().unwrap();
        assert_eq!(
            month_after(day("2026-12-31")).unwrap(),
            ("2027-01".to_string(), "2027-01-01".to_string())
        );
        assert_eq!(
            month_after(day("2027-01-31")).unwrap(),
            ("2027-02".to_string(), "2027-02-01".to_string())
        );
    }

    #[test]
    fn reads_the_cards_of_a_print_file() {
        let file = "\u{feff}Kartennummer;Aktivierungscode\r\n9276 1234 5678 9012;K7QM2XPRTA\r\n9276 0000 1111 2222;AB23CD45EF\r\n";
        assert_eq!(
            print_file_cards(file),
            [
                ("9276123456789012".to_string(), "K7QM2XPRTA".to_string()),
                ("9276000011112222".to_string(), "AB23CD45EF".to_string()),
            ]
        );
    }

    fn phase() -> Phase {
        Phase {
            role: "manager",
            token: "jwt".to_string(),
            applicants: vec!["p-1".to_string()],
            in_review: Vec::new(),
            expendable: vec!["o-9".to_string()],
            secrets: vec![(
                "/partners/confirm",
                (1..=9).map(|t| json!({"token": format!("t{t}")})).collect(),
            )],
            stand_ins: vec![StandIn::once(
                "POST /partners/me/platforms/{platform_id}",
                vec![json!({"$path.platform_id": "pl-2"})],
            )],
            tokens: vec![("POST /auth/password".to_string(), "jwt-2".to_string())],
        }
    }

    fn records() -> Records {
        let mut ids = Ids::default();
        ids.add("platform_id", "pl-1".to_string());
        ids.add("number", "9276".to_string());
        ids.add("offer_id", "o-1".to_string());
        ids.add("offer_id", "o-3".to_string());
        Records {
            ids,
            platform_id: "pl-1".to_string(),
            scoped: {
                let mut scoped = Ids::default();
                scoped.add("invoice_number", "2027-000001".to_string());
                scoped
            },
            stand_ins: vec![StandIn::record(
                "POST /offers/{offer_id}/click-out",
                json!({"platform_id": "pl-1"}),
            )],
            card_program: "cp-1".to_string(),
            protected: protected(&["o-1".to_string()], &["p-1".to_string()], "o-2", "c-1"),
        }
    }

    #[test]
    fn the_config_binds_ids_everywhere_and_secrets_to_their_operation() {
        let config = schemathesis_config(&records(), &phase(), Path::new("/r/xtask/fuzz-hooks.py"));
        assert!(config.contains("hooks = \"/r/xtask/fuzz-hooks.py\""));
        // Only the chosen checks run.
        assert!(
            config.contains("[checks]\nenabled = false\nnot_a_server_error = { enabled = true }\n")
        );
        assert!(!config.contains("positive_data_acceptance"));
        // A body over the size limit is refused with 413, which counts as refusing it.
        let rejection = config
            .lines()
            .find(|l| l.starts_with("negative_data_rejection"))
            .unwrap();
        assert!(rejection.contains("\"413\"") && rejection.contains("\"422\""));
        assert!(
            config.contains("\"path.number\" = { dictionary = \"number\", probability = 0.5 }")
        );
        assert!(config.contains("\"query.platform_id\" = { dictionary = \"platform_id\""));
        // The dictionary holds the secrets the hooks leave to it.
        assert!(config.contains("[dictionaries.partners_confirm_token]\nvalues = [\"t9\"]"));
        assert!(config.contains(
            "[[operations]]\ninclude-name = \"POST /partners/confirm\"\nparameters = { \"body.token\" = { dictionary = \"partners_confirm_token\", probability = 0.5 } }"
        ));
        assert!(config.contains(
            "include-name = \"POST /billing/runs/{period}/invoices/{number}/cancellation\"\nparameters = { \"path.number\" = { dictionary = \"invoice_number\""
        ));
        // The public views of an offer do not see a new draft.
        assert!(config.contains(
            "include-name = \"GET /offers/{offer_id}\"\nchecks = { ensure_resource_availability = { enabled = false } }"
        ));
        // An operation that changes its account is sent with one of its own.
        assert!(config.contains(
            "[[operations]]\ninclude-name = \"POST /auth/password\"\nheaders = { Authorization = \"Bearer jwt-2\" }"
        ));
        // What takes an offer away names only the phase's expendable offers.
        for label in [
            "POST /offers/{offer_id}/withdraw",
            "DELETE /offers/{offer_id}",
        ] {
            assert!(config.contains(&format!(
                "include-name = \"{label}\"\nparameters = {{ \"path.offer_id\" = {{ dictionary = \"offer_to_take_away\""
            )));
        }
        assert!(config.contains("[dictionaries.offer_to_take_away]\nvalues = [\"o-9\"]"));
        // What would take a shown record away draws from the others only.
        let values_bound_to = |label: &str| {
            let operation = config
                .split("[[operations]]")
                .find(|o| o.contains(&format!("include-name = \"{label}\"")))
                .unwrap();
            let dictionary = operation.split('"').nth(5).unwrap();
            let section = format!("[dictionaries.{dictionary}]\nvalues = ");
            let start = config.find(&section).unwrap() + section.len();
            config[start..].lines().next().unwrap().to_string()
        };
        assert_eq!(
            values_bound_to("POST /offers/{offer_id}/images"),
            r#"["o-1", "o-3"]"#
        );
        assert_eq!(
            values_bound_to("POST /partners/{partner_id}/disable"),
            format!("[\"{UNKNOWN_ID}\"]")
        );
        // Nothing waits in review: no empty dictionary, no binding to one.
        assert!(!config.contains("offer_in_review"));
        assert!(!config.contains("[parameters]\n\n"));
    }

    #[test]
    fn the_hooks_get_the_first_secrets_the_records_and_the_phases_own() {
        let tokens: Vec<Value> = (1..=8).map(|t| json!({"token": format!("t{t}")})).collect();
        assert_eq!(
            phase().hook_secrets(&records()),
            json!({
                "POST /partners/confirm": [
                    {"values": tokens, "once": true, "quota": QUOTA, "swap": null}],
                "POST /offers/{offer_id}/click-out": [
                    {"values": [{"platform_id": "pl-1"}], "once": false, "quota": QUOTA, "swap": null}],
                "POST /partners/me/platforms/{platform_id}": [
                    {"values": [{"$path.platform_id": "pl-2"}], "once": true, "quota": QUOTA, "swap": null}],
                "$protected": {
                    "POST /platforms/{platform_id}/offers/{offer_id}/take-down": {"offer_id": ["o-1"]},
                    "POST /offers/{offer_id}/withdraw": {"offer_id": ["o-1"]},
                    "DELETE /offers/{offer_id}": {"offer_id": ["o-1"]},
                    "POST /platforms/{platform_id}/partners/{partner_id}/suspension": {"partner_id": ["p-1"]},
                    "POST /partners/{partner_id}/disable": {"partner_id": ["p-1"]},
                    "POST /offers/{offer_id}/images": {"offer_id": ["o-2"]},
                    "DELETE /offers/{offer_id}/images/{image_id}": {"offer_id": ["o-2"]},
                    "POST /file-links/customers/{customer_id}/disable": {"customer_id": ["c-1"]},
                    "DELETE /file-links/customers/{customer_id}": {"customer_id": ["c-1"]},
                },
            })
        );
    }
}
