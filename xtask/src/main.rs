//! `cargo xtask <command>`: project automation in Rust instead of shell scripts.

mod bench;
mod emulators;
mod fuzz;
mod lint;
mod process;
mod test;
mod timeshift;
mod tools;
mod web;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  run [local-api args]
        build the web app (npm ci from the lock when needed), then run local-api: the API
        on :3000 and the app on :3002, embedded storage (the README's first command)
  web types|build|test
        types: regenerate web/src/lib/api/schema.d.ts from the API's OpenAPI document;
        build: the static app in web/build; test: types in step, svelte-check, eslint,
        the build, and the browser journeys in chromium against local-api (part of `test`)
  test [cargo args] [-- test args]
        install and start DynamoDB Local and moto on loopback ports, then run
        `cargo test --workspace --all-targets -- --include-ignored` against them
  timeshift [OFFSET]...
        build the tests, then run every test binary (the emulator tests stay ignored)
        with the system date moved by faketime (default: +1825d and -365d)
  lint  translate infra/template.yaml with aws-sam-translator and run cfn-lint on
        the result, then run cfn-lint with the serverless rules on the template
  bench [--quick] [--only FUNCTION]...
        build every function's release bootstrap and a minimal baseline, then measure
        size, cold start (uncapped and under a 7.2 % CPU cgroup quota), warm latency
        against DynamoDB Local, handler-only latency (criterion) and peak memory;
        prints a table, writes target/bench/results.json and (unless --quick) the
        measured functions' rows of the table in docs/performance.md; `--only` limits
        it to the named functions (and the baseline); the web app's JavaScript per page
        (gzipped, budget 100 kB) is measured first, alone with `--only web`
  fuzz [--examples N] [--as ROLE]... [-- schemathesis args]
        start local-api on a fresh data folder, set up an operator, a manager and a
        partner and the records they act on, and run schemathesis against /openapi.json
        with each one's token (or only ROLE's: operator, manager, partner): every
        operation with generated valid and invalid input (N cases per operation and
        phase, default 100); any 5xx or answer off its schema fails";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    let root = repo_root();

    let result = match command.as_deref() {
        Some("test") => test::run(&root, &rest),
        Some("timeshift") => timeshift::run(&root, &rest),
        Some("lint") => lint::run(&root),
        Some("bench") => bench::run(&root, &rest),
        Some("fuzz") => fuzz::run(&root, &rest),
        Some("run") => web::run(&root, &rest),
        Some("web") => match rest.first().map(String::as_str) {
            Some("types") => web::update_types(&root),
            Some("build") => web::build(&root),
            Some("test") => web::test(&root),
            _ => Err(anyhow::anyhow!("use `cargo xtask web types|build|test`")),
        },
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask always lives one level below it, so this holds
/// no matter from which directory `cargo xtask` is run.
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}
