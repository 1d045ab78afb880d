//! `cargo xtask bench`: size, cold start, warm latency and memory of every function's
//! release bootstrap, side by side with a minimal `lambda_runtime` baseline.
//!
//! xtask builds, sets up (cgroup, DynamoDB Local) and reports; the timing itself runs in
//! `bench/harness`, built with the release profile so the driver's own overhead stays
//! small, and in each function's criterion bench `benches/handlers.rs`. The redirect's
//! throughput against nginx runs from here (`throughput`), with wrk as the load.
//!
//! The run prints every figure, writes them to `target/bench/results.json`, and (unless
//! `--quick`) writes one row per measured function into the table of `docs/performance.md`
//! (`docs`).

mod cgroup;
mod docs;
mod report;
mod throughput;

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::emulators::Emulator;
use crate::process;
use crate::tools;

use self::cgroup::CpuQuota;
pub use self::report::HarnessReport;

const BASELINE: &str = "baseline";

#[derive(Debug, Clone, Copy)]
struct Counts {
    cold_starts: usize,
    warmup_invocations: usize,
    warm_invocations: usize,
    login_invocations: usize,
}

const FULL: Counts = Counts {
    cold_starts: 30,
    warmup_invocations: 500,
    warm_invocations: 10_000,
    login_invocations: 100,
};

/// A smoke run to check the harness itself; its figures are not for docs/performance.md.
const QUICK: Counts = Counts {
    cold_starts: 5,
    warmup_invocations: 50,
    warm_invocations: 500,
    login_invocations: 5,
};

/// The plan the harness reads (bench/harness/src/main.rs `Plan`).
#[derive(Debug, Serialize)]
struct Plan<'a> {
    root: &'a Path,
    out: PathBuf,
    log_dir: PathBuf,
    dynamodb_endpoint: String,
    cgroup_procs: Option<PathBuf>,
    cold_starts: usize,
    warmup_invocations: usize,
    warm_invocations: usize,
    login_invocations: usize,
    cold_only: bool,
    functions: Vec<PlanFunction>,
}

#[derive(Debug, Serialize)]
struct PlanFunction {
    name: String,
    bootstrap: PathBuf,
}

/// Size of one bootstrap as built and as Lambda stores it (a zip with `bootstrap` inside).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Size {
    pub name: String,
    pub bytes: u64,
    pub zipped_bytes: u64,
    pub stripped: bool,
    /// For another binary of a function's package (billing's worker): that function.
    #[serde(default)]
    pub part_of: Option<String>,
}

/// Per-call figures written by a function's `benches/handlers.rs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandlerReport {
    pub function: String,
    pub calls: Vec<HandlerCall>,
    /// Figures of a bench's own that are not per call (billing's run), one table row each.
    #[serde(default)]
    pub figures: Vec<HandlerFigure>,
}

/// One row a handler bench reports as it wants it shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandlerFigure {
    pub figure: String,
    pub value: String,
    pub number: f64,
    pub unit: String,
    #[serde(default)]
    pub budget: Option<String>,
    /// Whether the figure is within its budget; `None` without one.
    #[serde(default)]
    pub within: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandlerCall {
    pub route: String,
    pub kind: String,
    pub criterion: String,
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub mean_us: f64,
    pub max_us: f64,
    /// criterion's median of per-sample means, from `target/criterion/<id>/new/estimates.json`.
    #[serde(default)]
    pub criterion_median_us: Option<f64>,
    #[serde(default)]
    pub criterion_mean_us: Option<f64>,
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let quick = options.quick;
    let cold_only = options.cold;
    let counts = if quick { QUICK } else { FULL };
    let target = target_dir(root);
    let out_dir = target.join("bench");
    fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    // Two runs on one target dir would overwrite each other's bootstraps and figures, and
    // measure each other's load: the second waits for the first.
    let lock_path = out_dir.join("run.lock");
    let lock = fs::File::create(&lock_path)
        .with_context(|| format!("creating {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        println!(
            "xtask: another `cargo xtask bench` is running on {}; waiting for it",
            target.display()
        );
        lock.lock()
            .with_context(|| format!("locking {}", lock_path.display()))?;
    }

    // The web app's JavaScript per page: `--only web` measures it alone.
    let web_only = options.only.iter().any(|name| name == "web");
    // A figure over its budget fails the bench once everything is measured and written.
    let mut web_over = Ok(());
    if (options.only.is_empty() || web_only) && !cold_only {
        crate::web::budget::run(root, !quick)?;
        web_over = crate::web::till::run(root, !quick);
    }
    let only: Vec<String> = options
        .only
        .iter()
        .filter(|n| *n != "web")
        .cloned()
        .collect();
    if web_only && only.is_empty() {
        return web_over;
    }
    let mut functions = function_crates(root)?;
    ensure!(!functions.is_empty(), "no function crates under functions/");
    if !only.is_empty() {
        for name in &only {
            ensure!(
                functions.contains(name),
                "`--only {name}`: no such crate under functions/ or `web` (there are {functions:?})"
            );
        }
        functions.retain(|name| only.contains(name));
    }
    // Before the long builds, so a missing package stops the run at once.
    let load_tools = if !cold_only && functions.iter().any(|f| f == throughput::FUNCTION) {
        Some(tools::ensure_load_tools(root)?)
    } else {
        None
    };
    let host = host_triple()?;
    println!(
        "xtask: building release bootstraps with plain cargo for the host target {host} \
         (not cargo-lambda, which would cross-compile for Lambda's arm64); same release profile"
    );
    // The handler benches first: building a bench also links its package's binaries, with
    // the test kit's features (embedded S3, HTTP/2 server), into the same `release/` folder.
    // The bootstraps built alone below replace them, so what is sized and started is what
    // SAM deploys.
    let handler_benches: Vec<&String> = functions
        .iter()
        .filter(|f| !cold_only && has_handler_bench(root, f))
        .collect();
    for function in &handler_benches {
        process::run(
            process::cargo()
                .current_dir(root)
                .args(["bench", "--no-run", "-p", function, "--bench", "handlers"])
                .env("AWS_LC_SYS_NO_JITTER_ENTROPY", "1"),
        )?;
    }
    let mut packages: Vec<&str> = functions.iter().map(String::as_str).collect();
    packages.push(BASELINE);
    // One invocation per function, as SAM builds each alone: built together, cargo would
    // unify `shared`'s features, and the redirect (without S3, SES and PDF) would be
    // measured with them.
    for package in &packages {
        // The functions trust the bench's TLS root (and nothing else changes): see
        // BENCH_FEATURES.
        let features: &[&str] = if *package == BASELINE {
            &[]
        } else {
            &BENCH_FEATURES
        };
        cargo_release(root, &["build"], &[package], features)?;
    }
    // Its own invocation: built together, its dependencies' features would unify into
    // the bootstraps and change what is measured. Builds `serve-redirect` too.
    cargo_release(root, &["build"], &["harness"], &[])?;

    let release = target.join("release");
    let mut sizes = Vec::new();
    for name in std::iter::once(BASELINE).chain(functions.iter().map(String::as_str)) {
        sizes.push(size_of(name, &release.join(name))?);
    }
    for function in &functions {
        let manifest = root.join("functions").join(function).join("Cargo.toml");
        let manifest = fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        for binary in other_binaries(&manifest, function) {
            let mut size = size_of(&binary, &release.join(&binary))?;
            size.part_of = Some(function.clone());
            sizes.push(size);
        }
    }

    let (quota, quota_note) = match CpuQuota::create() {
        Ok(quota) => {
            println!("xtask: CPU quota for cold starts: {}", quota.mechanism);
            let note = Ok(quota.mechanism.clone());
            (Some(quota), note)
        }
        Err(error) => {
            let reason = format!("{error:#}");
            println!(
                "xtask: cannot use cgroups ({reason}); cold starts are reported uncapped only"
            );
            (None, Err(reason))
        }
    };

    let dynamodb = tools::ensure_dynamodb_local(root)?;
    let mut emulator = Emulator::start_dynamodb(root, &dynamodb)?;
    emulator.wait_ready()?;

    let harness_out = out_dir.join("harness.json");
    let plan = Plan {
        root,
        out: harness_out.clone(),
        log_dir: out_dir.join("logs"),
        dynamodb_endpoint: emulator.endpoint(),
        cgroup_procs: quota.as_ref().map(CpuQuota::procs_file),
        cold_starts: counts.cold_starts,
        warmup_invocations: counts.warmup_invocations,
        warm_invocations: counts.warm_invocations,
        login_invocations: counts.login_invocations,
        cold_only,
        functions: std::iter::once(BASELINE)
            .chain(functions.iter().map(String::as_str))
            .map(|name| PlanFunction {
                name: name.to_owned(),
                bootstrap: release.join(name),
            })
            .collect(),
    };
    let plan_path = out_dir.join("plan.json");
    fs::write(&plan_path, serde_json::to_vec_pretty(&plan)?)
        .with_context(|| format!("writing {}", plan_path.display()))?;
    // Stale figures must never be reported as this run's.
    let _ = fs::remove_file(&harness_out);
    let harness = process::status(Command::new(release.join("harness")).arg(&plan_path));
    // Remove the cgroup before anything else runs; DynamoDB Local stays for the handler
    // benches that measure a run on it (billing), and is stopped while wrk runs.
    drop(quota);
    let harness = harness?;
    ensure!(
        harness.success(),
        "the harness failed ({harness}); bootstrap logs are in {}",
        out_dir.join("logs").display()
    );
    let harness: HarnessReport = serde_json::from_slice(
        &fs::read(&harness_out).with_context(|| format!("reading {}", harness_out.display()))?,
    )
    .with_context(|| format!("parsing {}", harness_out.display()))?;

    let mut handlers = Vec::new();
    for function in &handler_benches {
        handlers.push(handler_bench(root, function, quick, &emulator.endpoint())?);
    }
    drop(emulator);

    // After the harness, with DynamoDB Local stopped: only the two servers and wrk run.
    let throughput = match &load_tools {
        Some(tools) => Some(throughput::measure(
            &out_dir,
            &release,
            tools,
            if quick {
                throughput::QUICK
            } else {
                throughput::FULL
            },
        )?),
        None => None,
    };

    let command = std::iter::once("cargo xtask bench")
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let meta = report::Meta::collect(&host, command, quick, quota_note)?;
    let results = report::Results::build(meta, &sizes, &harness, &handlers, throughput.as_ref());
    let table = results.markdown();
    println!("\n{table}");
    for note in &results.notes {
        println!("{note}");
    }
    let json_path = out_dir.join("results.json");
    fs::write(&json_path, serde_json::to_vec_pretty(&results)?)
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("\nxtask: wrote {}", json_path.display());
    if quick || cold_only {
        println!(
            "xtask: {}: {} left as it is",
            if quick {
                "--quick (too few samples)"
            } else {
                "--cold (cold starts only)"
            },
            docs::DOC
        );
    } else {
        docs::update(root, &results).with_context(|| {
            format!(
                "writing the table of {}; the figures are in {}",
                docs::DOC,
                json_path.display()
            )
        })?;
        println!(
            "xtask: wrote the rows of {} into {}",
            results
                .harness
                .functions
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            docs::DOC
        );
    }
    web_over
}

/// Command-line options of `cargo xtask bench`.
struct Options {
    quick: bool,
    /// Cold starts only, plain and with TLS: no web app, handler benches, warm runs or
    /// throughput; writes no docs.
    cold: bool,
    /// Functions to measure (the baseline always runs); empty means all of them.
    only: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let usage = "usage: cargo xtask bench [--quick] [--cold] [--only FUNCTION]...";
        let mut options = Self {
            quick: false,
            cold: false,
            only: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--cold" => options.cold = true,
                "--only" => match args.next() {
                    Some(name) => options.only.push(name.clone()),
                    None => bail!("`--only` needs a function name; {usage}"),
                },
                other => bail!("unknown argument `{other}`; {usage}"),
            }
        }
        Ok(options)
    }
}

/// Where cargo puts its builds: `CARGO_TARGET_DIR` when set, as cargo itself honours it.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| root.join("target"), |dir| root.join(dir))
}

/// Every crate under `functions/` (folder name = crate name = binary name).
fn function_crates(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("functions");
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        if entry.path().join("Cargo.toml").is_file()
            && let Some(name) = entry.file_name().to_str()
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn has_handler_bench(root: &Path, function: &str) -> bool {
    root.join("functions")
        .join(function)
        .join("benches")
        .join("handlers.rs")
        .is_file()
}

/// The features the bench builds every function with: `shared`'s `bench-root`, so the TLS
/// client also trusts the root of the bench's TLS proxy (named by an environment variable the
/// harness sets) and reads the harness's switches between TLS settings. Deployed builds never
/// have it (`deployed_builds_never_trust_the_bench_root` below).
const BENCH_FEATURES: [&str; 1] = ["shared/bench-root"];

fn cargo_release(
    root: &Path,
    command: &[&str],
    packages: &[&str],
    features: &[&str],
) -> Result<()> {
    let mut cargo = process::cargo();
    cargo.current_dir(root).args(command).arg("--release");
    for package in packages {
        cargo.args(["-p", package]);
    }
    if !features.is_empty() {
        cargo.arg("--features").arg(features.join(","));
    }
    // .cargo/config.toml sets it too; said again so a build outside this repo's config
    // (or an overriding environment) cannot drop it.
    cargo.env("AWS_LC_SYS_NO_JITTER_ENTROPY", "1");
    process::run(&mut cargo)
}

fn host_triple() -> Result<String> {
    let output = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-vV")
        .output()
        .context("running `rustc -vV`")?;
    ensure!(output.status.success(), "`rustc -vV` failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` printed no host triple")
}

/// The `[[bin]]` names of a function's manifest other than the function's own binary.
fn other_binaries(manifest: &str, function: &str) -> Vec<String> {
    manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|section| {
            // Up to the next table header.
            let body = section.split("\n[").next().unwrap_or_default();
            body.lines().find_map(|line| {
                let value = line
                    .trim()
                    .strip_prefix("name")?
                    .trim_start()
                    .strip_prefix('=')?;
                Some(value.trim().trim_matches('"').to_owned())
            })
        })
        .filter(|name| name != function)
        .collect()
}

fn size_of(name: &str, path: &Path) -> Result<Size> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Size {
        name: name.to_owned(),
        bytes: bytes.len() as u64,
        zipped_bytes: zipped_len(&bytes)?,
        // A stripped ELF keeps .dynsym but has no .symtab section name left.
        stripped: !bytes.windows(8).any(|w| w == b".symtab\0"),
        part_of: None,
    })
}

/// The deployment zip as `cargo lambda build --output-format zip` makes it: one
/// executable `bootstrap`, deflated.
fn zipped_len(bootstrap: &[u8]) -> Result<u64> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options)
        .context("starting the zip entry")?;
    zip.write_all(bootstrap).context("zipping the bootstrap")?;
    let cursor = zip.finish().context("finishing the zip")?;
    Ok(cursor.into_inner().len() as u64)
}

/// Runs a function's criterion bench and joins its per-call figures with criterion's.
fn handler_bench(
    root: &Path,
    function: &str,
    quick: bool,
    dynamodb_endpoint: &str,
) -> Result<HandlerReport> {
    let criterion_home = target_dir(root).join("criterion");
    let out = target_dir(root)
        .join("bench")
        .join(format!("handlers-{function}.json"));
    let _ = fs::remove_file(&out);
    let mut cargo = process::cargo();
    cargo
        .current_dir(root)
        .args(["bench", "-p", function, "--bench", "handlers", "--"])
        .env("AWS_LC_SYS_NO_JITTER_ENTROPY", "1")
        .env("CRITERION_HOME", &criterion_home)
        .env("PARTNERNETZ_BENCH_OUT", &out)
        .env("PARTNERNETZ_BENCH_DYNAMODB", dynamodb_endpoint);
    if quick {
        cargo.arg("--quick");
    }
    process::run(&mut cargo)?;
    let mut report: HandlerReport = serde_json::from_slice(
        &fs::read(&out).with_context(|| format!("reading {}", out.display()))?,
    )
    .with_context(|| format!("parsing {}", out.display()))?;
    for call in &mut report.calls {
        let estimates = criterion_home
            .join(&call.criterion)
            .join("new")
            .join("estimates.json");
        let text = fs::read_to_string(&estimates)
            .with_context(|| format!("reading criterion's {}", estimates.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", estimates.display()))?;
        // criterion reports nanoseconds.
        let point = |name: &str| json[name]["point_estimate"].as_f64().map(|ns| ns / 1000.0);
        call.criterion_median_us = point("median");
        call.criterion_mean_us = point("mean");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_s_other_binaries_are_found_in_its_manifest() {
        let manifest = r#"[package]
name = "billing"

[[bin]]
name = "billing"
path = "src/main.rs"
test = false

[[bin]]
name = "billing-worker"
path = "src/bin/worker.rs"

[dependencies]
name-like = "1"
"#;
        assert_eq!(other_binaries(manifest, "billing"), ["billing-worker"]);
        assert!(other_binaries("[package]\nname = \"offers\"\n", "offers").is_empty());
    }

    /// The bench's root is trusted only in the bench: `shared` does not enable `bench-root`
    /// by default, and neither a function's manifest nor the SAM template (what `sam build`
    /// and cargo-lambda build from) names it.
    #[test]
    fn deployed_builds_never_trust_the_bench_root() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives in the workspace");
        let shared = fs::read_to_string(root.join("shared/Cargo.toml")).expect("shared's manifest");
        let default = shared
            .lines()
            .find(|l| l.trim_start().starts_with("default"))
            .expect("shared has default features");
        assert!(!default.contains("bench-root"), "{default}");
        // No other feature of shared turns it on either.
        let enabling: Vec<&str> = shared
            .lines()
            .filter(|l| l.contains("\"bench-root\"") || l.contains("/bench-root"))
            .collect();
        assert!(enabling.is_empty(), "{enabling:?}");

        let mut deployed = vec![root.join("Cargo.toml"), root.join("infra/template.yaml")];
        for function in function_crates(root).expect("the function crates") {
            deployed.push(root.join("functions").join(function).join("Cargo.toml"));
        }
        for extra in [
            "samconfig.toml",
            "infra/samconfig.toml",
            ".cargo/config.toml",
        ] {
            let path = root.join(extra);
            if path.is_file() {
                deployed.push(path);
            }
        }
        for path in deployed {
            let text = fs::read_to_string(&path).expect("a deploy input");
            assert!(
                !text.contains("bench-root"),
                "{} names the bench-only feature bench-root",
                path.display()
            );
        }
        assert_eq!(BENCH_FEATURES, ["shared/bench-root"]);
    }
}
