//! `cargo xtask timeshift [OFFSET]...`: every test that needs no emulator, run again with the
//! system date moved by libfaketime (default five years ahead and one year back). Every
//! decision about time goes through the injected clock, so the suite must not notice.

use std::path::Path;

use anyhow::{Result, ensure};

use crate::process;
use crate::test::{REMOVED_ENV, TEST_ENV};
use crate::tools;

/// Five years ahead and one year back, as `faketime -f` reads them.
pub const DEFAULT_OFFSETS: [&str; 2] = ["+1825d", "-365d"];

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

    // Built with the real date: files written under a moved date would look stale (or new)
    // to cargo, and every shifted run would build the workspace again.
    process::run(cargo_test(root, None).arg("--no-run"))?;
    for offset in offsets {
        println!("xtask: the tests with the system date moved by {offset}");
        process::run(&mut cargo_test(root, Some(offset)))?;
    }
    Ok(())
}

/// `cargo test --workspace --all-targets`, under `faketime -f <offset>` when given. Tests
/// marked as needing the emulators stay ignored; `cargo xtask test` runs them.
fn cargo_test(root: &Path, offset: Option<&str>) -> std::process::Command {
    let cargo = process::cargo();
    let mut command = match offset {
        Some(offset) => {
            let mut faketime = std::process::Command::new("faketime");
            faketime.args(["-f", offset]).arg(cargo.get_program());
            faketime
        }
        None => cargo,
    };
    command
        .current_dir(root)
        .args(["test", "--workspace", "--all-targets"])
        .envs(TEST_ENV);
    for key in REMOVED_ENV {
        command.env_remove(key);
    }
    command
}

/// A signed number of days, hours, minutes or years: `+1825d`, `-365d`, `+3h`.
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
}
