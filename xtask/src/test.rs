//! `cargo xtask test`: the whole workspace's tests, including the ones marked
//! ignored by default (the `ignore` attribute) because they need DynamoDB Local and moto.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, bail, ensure};

use crate::emulators::Emulators;
use crate::process;
use crate::tools;

/// Env vars the tests receive. The credentials are dummies both emulators
/// accept; a region is required by the AWS SDK.
pub const TEST_ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "eu-central-1"),
];

/// A developer's own AWS settings must not leak into the tests: a session
/// token would be sent along with the dummy keys, a profile or a global
/// endpoint could point the SDK at real AWS.
pub const REMOVED_ENV: [&str; 5] = [
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SES",
];

/// Args before a `--` go to cargo (a test name filter, `--exclude <crate>`), args after
/// it to the test harness (`--nocapture`, `--exact`).
pub fn run(root: &Path, extra: &[String]) -> Result<()> {
    let (cargo_args, harness_args) = match extra.iter().position(|arg| arg == "--") {
        Some(at) => (&extra[..at], &extra[at + 1..]),
        None => (extra, &[][..]),
    };

    let dynamodb = tools::ensure_dynamodb_local(root)?;
    let venv = tools::ensure_venv(root)?;
    tools::ensure_xmllint()?;
    // The cards' CSV files are opened in LibreOffice Calc as a merchant would.
    tools::ensure_libreoffice()?;
    // Invoice layouts are checked by the word boxes pdftotext reads.
    tools::ensure_pdftotext()?;
    let mut emulators = Emulators::start(root, &dynamodb, &venv)?;
    let endpoints = [
        ("DYNAMODB_ENDPOINT", emulators.dynamodb.endpoint()),
        ("MOTO_ENDPOINT", emulators.moto.endpoint()),
        // The venv's Python runs the KoSIT XRechnung rules (saxonche).
        ("PARTNERNETZ_PYTHON", venv.python().display().to_string()),
    ];
    let cargo_test = || {
        let mut command = process::cargo();
        command
            .current_dir(root)
            .args(["test", "--workspace", "--all-targets"])
            .args(cargo_args)
            .envs(TEST_ENV)
            .envs(endpoints.iter().map(|(key, value)| (*key, value.as_str())));
        for key in REMOVED_ENV {
            command.env_remove(key);
        }
        command
    };

    // Listing compiles the tests, which gives the emulators time to boot.
    // Same env as the real run, so nothing is rebuilt in between.
    let mut list = cargo_test();
    list.args(["--", "--list", "--ignored"]).args(harness_args);
    let emulator_tests = list_tests(list)?;

    emulators.wait_ready()?;

    let mut test = cargo_test();
    test.args(["--", "--include-ignored"]).args(harness_args);
    let (status, output) = run_teed(test)?;
    drop(emulators);

    let summary = Summary::of(&output, &emulator_tests);
    println!(
        "xtask: emulator tests executed: {} (of {} tests in total)",
        summary.emulator_passed, summary.total
    );
    ensure!(
        status.success(),
        "cargo test failed ({status}); {} test(s) failed",
        summary.failed
    );
    if summary.emulator_passed == 0 {
        bail!(
            "no emulator test was executed: expected at least one test ignored by default \
             (or named *emulator*) to pass against DynamoDB Local and moto"
        );
    }
    // The web app: its types, checks, build and browser journeys against local-api.
    crate::web::test(root)
}

/// Runs a `-- --list` invocation and returns the listed test names.
fn list_tests(mut command: Command) -> Result<HashSet<String>> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{}`", process::describe(&command)))?;
    ensure!(
        output.status.success(),
        "listing the tests failed: `{}` exited with {}",
        process::describe(&command),
        output.status
    );
    Ok(parse_list(&String::from_utf8_lossy(&output.stdout)))
}

/// libtest lists one `name: test` line per test (criterion: `name: benchmark`).
fn parse_list(listing: &str) -> HashSet<String> {
    listing
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// Runs `command`, echoing its stdout live while keeping a copy to count tests.
/// stderr (compiler progress, test binary names) goes straight to the terminal.
fn run_teed(mut command: Command) -> Result<(ExitStatus, String)> {
    let shown = process::describe(&command);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let stdout = child
        .stdout
        .take()
        .context("cargo test's stdout was not captured")?;

    let mut kept = String::new();
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    let mut terminal = std::io::stdout();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading the output of `{shown}`"))?;
        if read == 0 {
            break;
        }
        terminal
            .write_all(&line)
            .and_then(|()| terminal.flush())
            .context("writing to stdout")?;
        kept.push_str(&String::from_utf8_lossy(&line));
    }

    let status = child
        .wait()
        .with_context(|| format!("waiting for `{shown}`"))?;
    Ok((status, kept))
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    /// Every test that reported a result.
    total: usize,
    failed: usize,
    /// Passed tests that were ignored by default or are named after the emulators.
    emulator_passed: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Ignored,
}

impl Summary {
    fn of(output: &str, emulator_tests: &HashSet<String>) -> Self {
        let mut summary = Self::default();
        // With one test thread and --nocapture, a test's own output lands
        // between "test x ... " and its verdict; remember the name until then.
        let mut pending: Option<&str> = None;
        for line in output.lines() {
            let parsed = result_line(line);
            let (name, verdict) = match (parsed, pending) {
                (Some(found), _) => found,
                (None, Some(name)) => (name, line.trim()),
                (None, None) => continue,
            };
            let Some(outcome) = outcome(verdict) else {
                if parsed.is_some() {
                    pending = Some(name);
                }
                continue;
            };
            pending = None;
            summary.total += 1;
            match outcome {
                Outcome::Passed => {
                    if emulator_tests.contains(name) || name.contains("emulator") {
                        summary.emulator_passed += 1;
                    }
                }
                Outcome::Failed => summary.failed += 1,
                Outcome::Ignored => {}
            }
        }
        summary
    }
}

/// `test some::name ... ok` → `("some::name", "ok")`.
fn result_line(line: &str) -> Option<(&str, &str)> {
    let (name, verdict) = line.strip_prefix("test ")?.split_once(" ...")?;
    Some((name, verdict.trim()))
}

fn outcome(verdict: &str) -> Option<Outcome> {
    if verdict == "ok" {
        Some(Outcome::Passed)
    } else if verdict == "FAILED" {
        Some(Outcome::Failed)
    } else if verdict.starts_with("ignored") {
        Some(Outcome::Ignored)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
running 4 tests
test store::dynamo::put_then_get ... ok
test money::rounds_half_even ... ok
test journeys::signup_sends_mail ... FAILED
test journeys::login ... ignored, needs emulators: cargo xtask test

test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out
";

    fn names(list: &[&str]) -> HashSet<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn list_keeps_tests_and_skips_benchmarks_and_totals() {
        let listing =
            "store::dynamo::put_then_get: test\nbench_login: benchmark\n\n1 test, 1 benchmark\n";
        assert_eq!(parse_list(listing), names(&["store::dynamo::put_then_get"]));
    }

    #[test]
    fn counts_only_passed_ignored_tests() {
        let emulator_tests = names(&[
            "store::dynamo::put_then_get",
            "journeys::signup_sends_mail",
            "journeys::login",
        ]);
        assert_eq!(
            Summary::of(OUTPUT, &emulator_tests),
            Summary {
                total: 4,
                failed: 1,
                emulator_passed: 1
            }
        );
    }

    #[test]
    fn an_explicitly_named_test_counts_without_being_ignored() {
        let output = "test store::emulator_roundtrip ... ok\n";
        assert_eq!(Summary::of(output, &HashSet::new()).emulator_passed, 1);
    }

    #[test]
    fn verdict_on_a_later_line_is_attributed_to_its_test() {
        let output = "test journeys::signup ... mail sent\nmail delivered\nok\n";
        let summary = Summary::of(output, &names(&["journeys::signup"]));
        assert_eq!(
            summary,
            Summary {
                total: 1,
                failed: 0,
                emulator_passed: 1
            }
        );
    }

    #[test]
    fn the_result_line_is_not_a_test() {
        assert_eq!(
            Summary::of("test result: ok. 3 passed\n", &HashSet::new()).total,
            0
        );
    }
}
