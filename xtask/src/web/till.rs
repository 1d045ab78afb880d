//! `cargo xtask bench`'s figures of the till as a cashier meets it (`web/bench/till.bench.ts`
//! in Chromium against local-api): the first load under a 4× CPU slowdown and "Slow 4G"
//! until the focused card field is on screen, and a lookup and a booking from the Enter key to the
//! figure on screen. Compared with docs/web.md's budgets and written to
//! docs/performance.md.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::fuzz::build_local_api;
use crate::tools;

/// The till is ready for a card within this on a first load (4× CPU, Slow 4G).
const FIRST_LOAD_MS: f64 = 1500.0;
/// A lookup and a booking each reach the screen within this, locally.
const ROUND_TRIP_MS: f64 = 100.0;

const DOC: &str = "docs/performance.md";
const BEGIN: &str = "<!-- till:begin -->";
const END: &str = "<!-- till:end -->";

/// The figure's median from the bench's JSON.
fn median(figures: &Value, name: &str) -> Result<f64> {
    figures[name]["median"]
        .as_f64()
        .with_context(|| format!("no {name} in the till bench's figures"))
}

/// Runs the till bench, writes its table and fails when a figure is over its budget.
pub fn run(root: &Path, write_doc: bool) -> Result<()> {
    tools::ensure_chromium()?;
    let local_api = build_local_api(root)?;
    let out = root.join("target").join("bench").join("web-till.json");
    let _ = fs::remove_file(&out);
    let status = super::with_served_app(
        root,
        &local_api,
        &[
            "playwright",
            "test",
            "--config",
            "bench/playwright.config.ts",
        ],
    )?;
    ensure!(status.success(), "the till bench failed ({status})");
    let figures: Value = serde_json::from_slice(
        &fs::read(&out).with_context(|| format!("reading {}", out.display()))?,
    )?;
    let rows = [
        (
            "first load, until the focused card field is on screen (4× CPU slowdown, Slow 4G, empty cache)",
            median(&figures, "first_load_ms")?,
            FIRST_LOAD_MS,
        ),
        (
            "start of a later shift, the app's files cached (4× CPU slowdown, Slow 4G)",
            median(&figures, "shift_start_ms")?,
            FIRST_LOAD_MS,
        ),
        (
            "lookup, Enter to the card on screen",
            median(&figures, "lookup_ms")?,
            ROUND_TRIP_MS,
        ),
        (
            "booking, Enter to the new balance on screen",
            median(&figures, "booking_ms")?,
            ROUND_TRIP_MS,
        ),
    ];
    let mut table = String::from("| the till | median | budget |\n|---|---|---|\n");
    println!("xtask: the till in Chromium:");
    for (what, ms, budget) in rows {
        let mark = if ms <= budget { "✓" } else { "✗ over" };
        println!("  {what:<90} {ms:>7.0} ms {mark}");
        table.push_str(&format!(
            "| {what} | {ms:.0} ms | ≤ {budget:.0} ms {mark} |\n"
        ));
    }
    if write_doc {
        let path = root.join(DOC);
        let doc = fs::read_to_string(&path).with_context(|| format!("reading {DOC}"))?;
        let updated = match (doc.find(BEGIN), doc.find(END)) {
            (Some(a), Some(b)) if a < b => {
                format!("{}{BEGIN}\n{table}{}", &doc[..a], &doc[b..])
            }
            _ => format!(
                "{}\n\nThe till (`web/bench/till.bench.ts`, Debian's Chromium against local-api; medians of 5 loads each and 15 lookups and bookings; \"Slow 4G\" is 562.5 ms per round trip and 1.44 Mbit/s, so two round trips, the page and then its files, take 1.13 s before a byte of JavaScript has arrived):\n\n{BEGIN}\n{table}{END}\n",
                doc.trim_end()
            ),
        };
        fs::write(&path, updated).with_context(|| format!("writing {DOC}"))?;
    }
    let over: Vec<&str> = rows
        .iter()
        .filter(|(_, ms, budget)| ms > budget)
        .map(|(what, _, _)| *what)
        .collect();
    ensure!(over.is_empty(), "the till is over its budget: {over:?}");
    Ok(())
}
