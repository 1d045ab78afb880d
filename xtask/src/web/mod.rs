//! The web app (`web/`, docs/web.md): its npm packages from the committed lock, the API
//! client's types checked against the OpenAPI document local-api serves, the type check and
//! lint, the static build, and the browser journeys (Playwright driving Debian's chromium)
//! against local-api on a fresh data folder serving API and app on their own origins.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};

use crate::emulators::two_free_ports;
use crate::fuzz::{DataDir, LocalApi, build_local_api, create_operator};
use crate::process;
use crate::tools;

pub mod budget;
pub mod till;

/// The generated client types, committed so a change of the API shows in review.
const SCHEMA: &str = "web/src/lib/api/schema.d.ts";

/// The operator the journeys act as where only an operator can set something up (e.g. the
/// price of a card contract); created in the fresh data folder before local-api starts.
const OPERATOR_EMAIL: &str = "olga@betreiber.example.de";
const OPERATOR_PASSWORD: &str = "betreiber-passwort-1";

fn web_dir(root: &Path) -> PathBuf {
    root.join("web")
}

fn npm(root: &Path) -> Command {
    let mut command = Command::new("npm");
    command.current_dir(web_dir(root));
    command
}

fn npx(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("npx");
    command
        .current_dir(web_dir(root))
        .arg("--no-install")
        .args(args);
    command
}

/// `npm ci` when `node_modules` is missing or older than the lock file.
pub fn ensure_packages(root: &Path) -> Result<()> {
    let lock = web_dir(root).join("package-lock.json");
    let installed = web_dir(root)
        .join("node_modules")
        .join(".package-lock.json");
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let fresh = matches!((modified(&installed), modified(&lock)), (Some(i), Some(l)) if i >= l);
    if fresh {
        return Ok(());
    }
    println!("xtask: installing the web app's packages (npm ci)");
    process::run(npm(root).args(["ci", "--no-audit", "--no-fund"]))
}

/// The OpenAPI document of every function, as local-api serves it, into `target/`.
fn openapi_document(root: &Path, local_api: &Path) -> Result<PathBuf> {
    let out = Command::new(local_api)
        .arg("openapi")
        .output()
        .with_context(|| format!("running {} openapi", local_api.display()))?;
    ensure!(out.status.success(), "local-api openapi failed");
    let path = root.join("target").join("openapi.json");
    fs::write(&path, &out.stdout).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The client types generated from the document now.
fn generated_types(root: &Path, local_api: &Path) -> Result<String> {
    let document = openapi_document(root, local_api)?;
    let out = root.join("target").join("schema.d.ts");
    process::run(&mut npx(
        root,
        &[
            "openapi-typescript",
            &document.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
    ))?;
    fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))
}

/// `cargo xtask web types`: writes the client types from the current document.
pub fn update_types(root: &Path) -> Result<()> {
    ensure_packages(root)?;
    let local_api = build_local_api(root)?;
    let types = generated_types(root, &local_api)?;
    let path = root.join(SCHEMA);
    fs::write(&path, types).with_context(|| format!("writing {}", path.display()))?;
    println!("xtask: wrote {SCHEMA}");
    Ok(())
}

/// The committed types are what the document generates: else the app calls an API that is
/// not there.
fn check_types(root: &Path, local_api: &Path) -> Result<()> {
    let generated = generated_types(root, local_api)?;
    let committed =
        fs::read_to_string(root.join(SCHEMA)).with_context(|| format!("reading {SCHEMA}"))?;
    ensure!(
        generated == committed,
        "{SCHEMA} no longer matches the API's OpenAPI document: run `cargo xtask web types` and commit the result"
    );
    Ok(())
}

/// The static build in `web/build`: the SvelteKit app, then the till's own entry beside it.
pub fn build(root: &Path) -> Result<()> {
    ensure_packages(root)?;
    println!("xtask: building the web app");
    process::run(&mut npx(root, &["vite", "build", "--logLevel", "warn"]))?;
    process::run(&mut npx(
        root,
        &[
            "vite",
            "build",
            "--config",
            "vite.till.config.ts",
            "--logLevel",
            "warn",
        ],
    ))
}

/// Types in step with the API, the type check, the lint, the build and the browser
/// journeys: what `cargo xtask test` runs for the app.
pub fn test(root: &Path) -> Result<()> {
    ensure_packages(root)?;
    tools::ensure_chromium()?;
    let local_api = build_local_api(root)?;
    check_types(root, &local_api)?;
    process::run(&mut npx(root, &["svelte-kit", "sync"]))?;
    process::run(&mut npx(
        root,
        &[
            "svelte-check",
            "--tsconfig",
            "./tsconfig.json",
            "--fail-on-warnings",
            "--output",
            "machine",
        ],
    ))?;
    process::run(&mut npx(root, &["eslint", "."]))?;
    build(root)?;
    let status = with_served_app(root, &local_api, &["playwright", "test"])?;
    ensure!(
        status.success(),
        "the browser journeys failed ({status}); screenshots are in target/screenshots, traces in target/playwright"
    );
    Ok(())
}

/// Runs `npx <args>` (Playwright) against local-api on a fresh data folder with an
/// operator, serving the built app on its own origin; local-api is stopped by its pid after.
pub fn with_served_app(
    root: &Path,
    local_api: &Path,
    args: &[&str],
) -> Result<std::process::ExitStatus> {
    let data = DataDir::new()?;
    create_operator(local_api, data.path(), OPERATOR_EMAIL, OPERATOR_PASSWORD)?;
    let work_dir = root.join("target").join("web");
    fs::create_dir_all(&work_dir).with_context(|| format!("creating {}", work_dir.display()))?;
    let (web_port, _) = two_free_ports()?;
    let mut api = LocalApi::start_with(
        &work_dir,
        local_api,
        data.path(),
        &[
            ("WEB_DIR", web_dir(root).join("build").display().to_string()),
            ("WEB_PORT", web_port.to_string()),
        ],
    )?;
    api.wait_ready()?;
    let status = process::status(
        npx(root, args)
            .env("API_URL", api.base_url())
            .env("WEB_URL", format!("http://127.0.0.1:{web_port}"))
            .env("CHROMIUM", tools::CHROMIUM)
            .env("OPERATOR_EMAIL", OPERATOR_EMAIL)
            .env("OPERATOR_PASSWORD", OPERATOR_PASSWORD),
    )?;
    api.ensure_running()?;
    Ok(status)
}

/// `cargo xtask run`: the app built, then local-api serving API and app (the README's first
/// command).
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    build(root)?;
    process::run(
        process::cargo()
            .current_dir(root)
            .args(["run", "--package", "local-api", "--"])
            .args(args),
    )
}
