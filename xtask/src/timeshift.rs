//! `cargo xtask timeshift [OFFSET]...`: every test that needs no emulator, run again with the
//! system date moved by libfaketime (default five years ahead and one year back). Every
//! decision about time goes through the injected clock, so the suite must not notice.
//!
//! Only the test binaries run under faketime: cargo and rustc are left out (rustc can hang
//! when its threads wait on a moved clock, and files written under a moved date would look
//! stale or new to cargo), so the tests are built first with the real date and then started
//! one by one, from their package's folder as `cargo test` starts them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::process;
use crate::test::{REMOVED_ENV, TEST_ENV};
use crate::tools;

/// Five years ahead and one year back, as `faketime -f` reads them.
pub const DEFAULT_OFFSETS: [&str; 2] = ["+1825d", "-365d"];

/// A built test binary and the package folder it runs in.
#[derive(Debug, PartialEq, Eq)]
struct TestBinary {
    executable: PathBuf,
    package_dir: PathBuf,
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let offsets: Vec<&str> = if args.is_empty() {
        DEFAULT_OFFSETS.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for offset in &offsets {
        ensure!(
            is_offset(offset),
            "`{offset}` is not an offset such as +1825d or -365d"
        );
    }
    tools::ensure_faketime()?;
    let binaries = build(root)?;
    ensure!(!binaries.is_empty(), "cargo built no test binary");

    let mut failed = Vec::new();
    for offset in &offsets {
        println!(
            "xtask: {} test binaries with the system date moved by {offset}",
            binaries.len()
        );
        for binary in &binaries {
            let mut command = Command::new("faketime");
            command
                .args(["-f", offset])
                .arg(&binary.executable)
                .current_dir(&binary.package_dir)
                .env("CARGO_MANIFEST_DIR", &binary.package_dir)
                .envs(TEST_ENV);
            for key in REMOVED_ENV {
                command.env_remove(key);
            }
            if !process::status(&mut command)?.success() {
                failed.push(format!("{offset}: {}", binary.executable.display()));
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "tests failed with the date moved:\n  {}",
            failed.join("\n  ")
        );
    }
    Ok(())
}

/// `cargo test --workspace --all-targets --no-run` with the real date; the test binaries it
/// built (unit tests, integration tests, and benches, which run once each in test mode).
fn build(root: &Path) -> Result<Vec<TestBinary>> {
    let mut cargo = process::cargo();
    cargo
        .current_dir(root)
        .args(["test", "--workspace", "--all-targets", "--no-run"])
        .args(["--message-format", "json-render-diagnostics"])
        .envs(TEST_ENV)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    for key in REMOVED_ENV {
        cargo.env_remove(key);
    }
    let output = cargo
        .output()
        .with_context(|| format!("could not start `{}`", process::describe(&cargo)))?;
    ensure!(
        output.status.success(),
        "`{}` failed with {}",
        process::describe(&cargo),
        output.status
    );
    Ok(test_binaries(&String::from_utf8_lossy(&output.stdout)))
}

/// The test executables among cargo's JSON messages, in the order built.
fn test_binaries(messages: &str) -> Vec<TestBinary> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["profile"]["test"] == true)
        .filter_map(|m| {
            let executable = PathBuf::from(m["executable"].as_str()?);
            let package_dir = Path::new(m["manifest_path"].as_str()?)
                .parent()?
                .to_path_buf();
            Some(TestBinary {
                executable,
                package_dir,
            })
        })
        .collect()
}

/// A signed number of days, hours, minutes, seconds or years: `+1825d`, `-365d`, `+3h`.
fn is_offset(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(['+', '-']) else {
        return false;
    };
    let Some(number) = rest.strip_suffix(['d', 'h', 'm', 's', 'y']) else {
        return false;
    };
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_signed_amounts_with_a_unit() {
        for good in DEFAULT_OFFSETS.iter().chain(&["+3h", "-1y"]) {
            assert!(is_offset(good), "{good}");
        }
        for bad in ["1825d", "+d", "+12", "-3w", "@2031-01-01", "+1.5y"] {
            assert!(!is_offset(bad), "{bad}");
        }
    }

    #[test]
    fn test_binaries_are_the_artifacts_built_for_tests_with_an_executable() {
        let messages = r#"{"reason":"compiler-artifact","manifest_path":"/w/shared/Cargo.toml","profile":{"test":false},"executable":null}
{"reason":"compiler-artifact","manifest_path":"/w/shared/Cargo.toml","profile":{"test":true},"executable":"/w/target/debug/deps/shared-1"}
{"reason":"compiler-artifact","manifest_path":"/w/functions/cards/Cargo.toml","profile":{"test":true},"executable":"/w/target/debug/deps/api-2"}
{"reason":"compiler-artifact","manifest_path":"/w/functions/cards/Cargo.toml","profile":{"test":true},"executable":null}
{"reason":"build-finished","success":true}
not json"#;
        assert_eq!(
            test_binaries(messages),
            [
                TestBinary {
                    executable: "/w/target/debug/deps/shared-1".into(),
                    package_dir: "/w/shared".into(),
                },
                TestBinary {
                    executable: "/w/target/debug/deps/api-2".into(),
                    package_dir: "/w/functions/cards".into(),
                },
            ]
        );
    }
}
