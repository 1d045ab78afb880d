//! Running external programs with errors that say which command failed.

use std::ffi::OsString;
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result, ensure};

/// Runs `command` with inherited stdio and fails unless it exits with 0.
pub fn run(command: &mut Command) -> Result<()> {
    let status = status(command)?;
    ensure!(
        status.success(),
        "`{}` failed with {status}",
        describe(command)
    );
    Ok(())
}

/// Runs `command` with inherited stdio and returns its exit status, so the
/// caller can decide whether a non-zero exit is an error.
pub fn status(command: &mut Command) -> Result<ExitStatus> {
    command
        .status()
        .with_context(|| format!("could not start `{}`", describe(command)))
}

/// The cargo that runs us (cargo sets `CARGO`), so a pinned toolchain stays pinned.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
}

/// The command line as a user would type it, for messages.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
