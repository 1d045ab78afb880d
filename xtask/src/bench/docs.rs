//! The table of current figures in `docs/performance.md`: one row per function, written
//! between two marker comments by every full `cargo xtask bench`.
//!
//! A run measures the baseline and the functions it was asked for (`--only`). Its rows replace
//! those functions' rows; the rows of functions it did not measure stay, each with the date of
//! the run that measured it, and the list of runs under the table keeps the runs still named
//! by a row. Rendering and replacing are pure functions of the results and the document's text;
//! [`update`] is the only part that reads and writes the file.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::report::{self, FunctionReport, Results, Verdict};
use super::{BASELINE, HandlerCall};

/// The document, relative to the workspace root.
pub const DOC: &str = "docs/performance.md";
pub const BEGIN: &str = "<!-- bench:begin -->";
pub const END: &str = "<!-- bench:end -->";

const HEADER: [&str; 9] = [
    "function",
    "measured",
    "bootstrap zipped",
    "capped init p90 (× baseline)",
    "init CPU p50",
    "peak memory",
    "handler only p50 / p99",
    "other",
    "verdict",
];
const RUNS_INTRO: &str =
    "Runs, newest first (a row's × baseline is to the baseline of its own run):";

/// Writes this run's rows into the document at `root`/[`DOC`], keeping the rows of the
/// functions it did not measure.
pub fn update(root: &Path, results: &Results) -> Result<()> {
    let path = root.join(DOC);
    let doc = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let previous = between_markers(&doc).with_context(|| path.display().to_string())?;
    let updated = replace_between_markers(&doc, &block(results, previous))
        .with_context(|| path.display().to_string())?;
    fs::write(&path, updated).with_context(|| format!("writing {}", path.display()))
}

/// The text between [`BEGIN`] and [`END`].
pub fn between_markers(doc: &str) -> Result<&str> {
    let (start, end) = marker_span(doc)?;
    Ok(&doc[start..end])
}

/// `doc` with the text between [`BEGIN`] and [`END`] replaced by `content`; the markers and
/// everything outside them stay as they are.
pub fn replace_between_markers(doc: &str, content: &str) -> Result<String> {
    let (start, end) = marker_span(doc)?;
    Ok(format!("{}{content}{}", &doc[..start], &doc[end..]))
}

/// Byte range of the text between the markers.
fn marker_span(doc: &str) -> Result<(usize, usize)> {
    let Some(begin) = doc.find(BEGIN) else {
        bail!("no `{BEGIN}` marker: the table of figures goes between `{BEGIN}` and `{END}`");
    };
    let start = begin + BEGIN.len();
    let Some(len) = doc[start..].find(END) else {
        bail!("no `{END}` marker after `{BEGIN}`");
    };
    if doc[start + len + END.len()..].contains(BEGIN) {
        bail!("more than one `{BEGIN}` marker");
    }
    Ok((start, start + len))
}

/// The block between the markers: the table (this run's rows and the previous block's rows of
/// functions this run did not measure) and the runs its rows come from.
pub fn block(results: &Results, previous: &str) -> String {
    let mut rows: Vec<Row> = results
        .harness
        .functions
        .iter()
        .map(|f| {
            let cells = cells(results, f);
            (f.name.clone(), results.meta.date.clone(), row_line(&cells))
        })
        .collect();
    let measured: BTreeSet<&str> = rows.iter().map(|(name, ..)| name.as_str()).collect();
    let (kept, runs) = previous_rows(previous);
    let kept: Vec<Row> = kept
        .into_iter()
        .filter(|(name, ..)| !measured.contains(name.as_str()))
        .collect();
    let dates: BTreeSet<String> = kept.iter().map(|(_, date, _)| date.clone()).collect();
    rows.extend(kept);
    rows.sort_by(|a, b| (a.0 != BASELINE, &a.0).cmp(&(b.0 != BASELINE, &b.0)));

    let header = HEADER.map(str::to_owned);
    let mut out = vec![
        String::new(),
        row_line(&header),
        format!("|{}|", ["---"; HEADER.len()].join("|")),
    ];
    out.extend(rows.into_iter().map(|(.., line)| line));
    out.push(String::new());
    out.push(RUNS_INTRO.to_owned());
    out.push(String::new());
    out.push(run_line(results));
    out.extend(
        runs.into_iter()
            .filter(|(date, _)| dates.contains(date) && *date != results.meta.date)
            .map(|(_, line)| line),
    );
    out.push(String::new());
    out.join("\n")
}

/// A table row: its function, the date of the run that measured it, and the line itself.
type Row = (String, String, String);
/// A run under the table: its date and the line naming it.
type Run = (String, String);

/// The previous block's rows and runs. A table with other columns than today's is not
/// carried over.
fn previous_rows(previous: &str) -> (Vec<Row>, Vec<Run>) {
    let mut table = previous.lines().filter(|l| l.trim_start().starts_with('|'));
    let header_matches = table
        .next()
        .is_some_and(|h| split_row(h) == HEADER.map(str::to_owned));
    if !header_matches {
        return (Vec::new(), Vec::new());
    }
    let rows = table
        .skip(1)
        .filter_map(|line| {
            let cells = split_row(line);
            (cells.len() == HEADER.len())
                .then(|| (cells[0].clone(), cells[1].clone(), line.trim().to_owned()))
        })
        .collect();
    let runs = previous
        .lines()
        .filter_map(|line| {
            let date = line.strip_prefix("- **")?.split_once("**")?.0;
            Some((date.to_owned(), line.to_owned()))
        })
        .collect();
    (rows, runs)
}

/// The cells of a table line, trimmed and unescaped.
fn split_row(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

fn row_line(cells: &[String]) -> String {
    let escaped: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
    format!("| {} |", escaped.join(" | "))
}

fn run_line(results: &Results) -> String {
    let meta = &results.meta;
    let mut line = format!(
        "- **{}**: `{}`{}; {} CPUs ({}), {:.1} GiB, Linux {}, {}",
        meta.date,
        meta.command,
        if meta.quick {
            " (quick: too few samples)"
        } else {
            ""
        },
        meta.cpus,
        meta.cpu_model,
        meta.memory_gib,
        meta.kernel,
        meta.rustc,
    );
    if let Err(why) = &meta.cpu_quota {
        line.push_str(&format!("; CPU quota not applied ({why})"));
    }
    let base = results
        .harness
        .functions
        .iter()
        .find(|f| f.name == BASELINE);
    if let Some(capped) = base.and_then(|b| b.cold_capped.as_ref()) {
        line.push_str(&format!(
            "; baseline capped init p90 {:.1} ms",
            capped.init.p90_us / 1000.0
        ));
    }
    line.push('.');
    line
}

fn bold_if(over: bool, text: String) -> String {
    if over { format!("**{text}**") } else { text }
}

fn or_dash(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "–".to_owned()
    } else {
        parts.join("; ")
    }
}

/// One function's cells, in the order of [`HEADER`].
fn cells(results: &Results, function: &FunctionReport) -> [String; 9] {
    let name = function.name.as_str();
    let is_base = name == BASELINE;
    let baseline = results
        .harness
        .functions
        .iter()
        .find(|f| f.name == BASELINE);

    let zipped = match results.sizes.iter().find(|s| s.name == name) {
        None => "–".to_owned(),
        Some(s) => {
            let mut cell = bold_if(
                !is_base && s.zipped_bytes as f64 > report::BUDGET_BOOTSTRAP_BYTES,
                report::mb(s.zipped_bytes as f64),
            );
            if !s.stripped {
                cell.push_str(" (not stripped!)");
            }
            let extras: Vec<String> = results
                .sizes
                .iter()
                .filter(|e| e.part_of.as_deref() == Some(name))
                .map(|e| {
                    let size = report::mb(e.zipped_bytes as f64);
                    let over = e.zipped_bytes as f64 > report::BUDGET_BOOTSTRAP_BYTES;
                    format!("{} {}", e.name, bold_if(over, size))
                })
                .collect();
            if !extras.is_empty() {
                cell.push_str(&format!(" ({})", extras.join(", ")));
            }
            cell
        }
    };

    let (init, init_cpu) = match &function.cold_capped {
        Some(capped) => {
            let p90 = capped.init.p90_us / 1000.0;
            let mut cell = bold_if(
                !is_base && p90 > report::BUDGET_INIT_MS,
                format!("{p90:.1} ms"),
            );
            if let Some(base) = baseline
                .filter(|_| !is_base)
                .and_then(|b| b.cold_capped.as_ref())
            {
                cell.push_str(&format!(" ({:.2}×)", capped.init.p90_us / base.init.p90_us));
            }
            if let Some(throttled) = capped.throttled_starts.filter(|t| *t > 0) {
                cell.push_str(&format!(
                    ", throttled in {throttled} of {}",
                    capped.init.samples
                ));
            }
            (cell, format!("{:.1} ms", capped.init_cpu.p50_us / 1000.0))
        }
        None => (
            format!(
                "no cgroup (uncapped p90 {:.1} ms)",
                function.cold_uncapped.init.p90_us / 1000.0
            ),
            format!(
                "{:.1} ms uncapped",
                function.cold_uncapped.init_cpu.p50_us / 1000.0
            ),
        ),
    };

    let peak = function.peak_rss_bytes as f64;
    let mut memory = bold_if(
        !is_base && peak > report::BUDGET_PEAK_BYTES,
        report::mb(peak),
    );
    if let Some(after) = function.peak_rss_after_login_bytes {
        let after = after as f64;
        let logins = function
            .warm
            .iter()
            .find(|r| r.kind == "login")
            .map_or("logins".to_owned(), |r| {
                format!("{} logins", r.stats.samples)
            });
        let over = after > report::BUDGET_PEAK_BYTES + report::ARGON2ID_WORKING_MEMORY_BYTES;
        memory.push_str(&format!(
            "; {} after {logins}",
            bold_if(over, report::mb(after))
        ));
    }

    let calls: Vec<&HandlerCall> = results
        .handlers
        .iter()
        .filter(|h| h.function == name)
        .flat_map(|h| &h.calls)
        .collect();
    let handler = calls
        .iter()
        .map(|call| {
            let label = if calls.iter().filter(|c| c.route == call.route).count() > 1 {
                let id = call.criterion.rsplit('/').next().unwrap_or(&call.criterion);
                format!("{} ({id})", call.route)
            } else {
                call.route.clone()
            };
            if call.kind == "login" {
                format!(
                    "{label} {} (hashing, exempt)",
                    report::pair_us(call.p50_us, call.p99_us)
                )
            } else {
                let over = call.p99_us > report::BUDGET_HANDLER_P99_US;
                format!(
                    "{label} {} / {}",
                    report::us(call.p50_us),
                    bold_if(over, report::us(call.p99_us))
                )
            }
        })
        .collect();

    let mut other: Vec<String> = results
        .handlers
        .iter()
        .filter(|h| h.function == name)
        .flat_map(|h| &h.figures)
        .map(|f| {
            let value = bold_if(f.within == Some(false), f.value.clone());
            match &f.budget {
                Some(budget) => format!("{}: {value} (budget {budget})", f.figure),
                None => format!("{}: {value}", f.figure),
            }
        })
        .collect();
    if let Some(t) = results.throughput.as_ref().filter(|t| t.function == name) {
        let ratio = bold_if(
            t.ratio < super::throughput::BUDGET_RATIO,
            format!("{:.2}× nginx", t.ratio),
        );
        other.push(format!(
            "{} {} against nginx's {}, `wrk {}`: {ratio} (budget ≥ {}×)",
            t.route,
            report::per_sec(t.redirect.requests_per_sec),
            report::per_sec(t.nginx.requests_per_sec),
            t.wrk_options,
            super::throughput::BUDGET_RATIO,
        ));
    }

    let verdicts: Vec<Verdict> = results
        .rows
        .iter()
        .filter(|r| r.function == name)
        .map(|r| r.verdict)
        .collect();
    let verdict = if verdicts.contains(&Verdict::Over) {
        "**over**"
    } else if verdicts.contains(&Verdict::NotMeasured) {
        "not measured"
    } else if verdicts.contains(&Verdict::Within) {
        "within"
    } else {
        "–"
    };

    [
        name.to_owned(),
        results.meta.date.clone(),
        zipped,
        init,
        init_cpu,
        memory,
        or_dash(handler),
        or_dash(other),
        verdict.to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::report::{ColdReport, HarnessReport, Meta, RouteReport, Stats};
    use crate::bench::{HandlerFigure, HandlerReport, Size};

    fn stats(p50_us: f64, p90_us: f64, p99_us: f64, samples: usize) -> Stats {
        Stats {
            samples,
            p50_us,
            p90_us,
            p99_us,
            min_us: p50_us,
            max_us: p99_us,
            mean_us: p50_us,
        }
    }

    fn cold(p90_ms: f64, cpu_ms: f64) -> ColdReport {
        ColdReport {
            init: stats(p90_ms * 800.0, p90_ms * 1000.0, p90_ms * 1100.0, 30),
            init_cpu: stats(cpu_ms * 1000.0, cpu_ms * 1200.0, cpu_ms * 1300.0, 30),
            first_invocation: stats(200.0, 250.0, 300.0, 30),
            first_invocation_cpu: None,
            first_route: "echo".into(),
            throttled_starts: Some(0),
        }
    }

    fn function(name: &str, p90_ms: f64, peak: u64) -> FunctionReport {
        FunctionReport {
            name: name.into(),
            cold_uncapped: cold(p90_ms / 2.0, 3.0),
            cold_capped: Some(cold(p90_ms, 4.0)),
            cold_tls: Vec::new(),
            warm: Vec::new(),
            peak_rss_bytes: peak,
            peak_rss_after_login_bytes: None,
            storage: Vec::new(),
        }
    }

    fn size(name: &str, zipped: u64, part_of: Option<&str>) -> Size {
        Size {
            name: name.into(),
            bytes: zipped * 2,
            zipped_bytes: zipped,
            stripped: true,
            part_of: part_of.map(str::to_owned),
        }
    }

    fn call(route: &str, criterion: &str, kind: &str, p50_us: f64, p99_us: f64) -> HandlerCall {
        HandlerCall {
            route: route.into(),
            kind: kind.into(),
            criterion: criterion.into(),
            samples: 10_000,
            p50_us,
            p99_us,
            mean_us: p50_us,
            max_us: p99_us,
            criterion_median_us: Some(p50_us),
            criterion_mean_us: Some(p50_us),
        }
    }

    fn meta(date: &str, command: &str) -> Meta {
        Meta {
            date: date.into(),
            command: command.into(),
            quick: false,
            cpus: 2,
            memory_gib: 23.5,
            cpu_model: "AMD EPYC".into(),
            kernel: "6.18.0".into(),
            rustc: "rustc 1.95.0".into(),
            build: "plain cargo".into(),
            cpu_quota: Ok("cgroup v2 cpu.max 7200 100000".into()),
        }
    }

    /// A run of the baseline, billing (with its worker) and registration, whose login
    /// memory and PATCH p99 are over their budgets.
    fn results(date: &str) -> Results {
        let mut registration = function("registration", 11.5, 9_500_000);
        registration.peak_rss_after_login_bytes = Some(40_000_000);
        registration.warm.push(RouteReport {
            route: "POST /auth/login".into(),
            kind: "login".into(),
            source: "events/registration/post-auth-login.json".into(),
            stats: stats(18_000.0, 25_000.0, 30_000.0, 100),
        });
        let harness = HarnessReport {
            functions: vec![
                function(BASELINE, 11.7, 3_880_000),
                function("billing", 18.1, 11_200_000),
                registration,
            ],
        };
        let sizes = [
            size(BASELINE, 680_000, None),
            size("billing", 5_250_000, None),
            size("billing-worker", 4_690_000, Some("billing")),
            size("registration", 4_310_000, None),
        ];
        let handlers = [
            HandlerReport {
                function: "billing".into(),
                calls: vec![call(
                    "GET /billing/runs",
                    "billing/get_billing_runs",
                    "read",
                    12.0,
                    21.0,
                )],
                figures: vec![HandlerFigure {
                    figure: "billing run on DynamoDB Local".into(),
                    value: "85 partners/s".into(),
                    number: 85.0,
                    unit: "partners/s".into(),
                    budget: None,
                    within: None,
                }],
            },
            HandlerReport {
                function: "registration".into(),
                calls: vec![
                    call(
                        "GET /partners/me",
                        "registration/get_partners_me",
                        "read",
                        11.0,
                        12.0,
                    ),
                    call(
                        "PATCH /partners/me",
                        "registration/patch_partners_me",
                        "write",
                        19.0,
                        260.0,
                    ),
                    call(
                        "POST /auth/login",
                        "registration-login/post_auth_login",
                        "login",
                        14_900.0,
                        22_400.0,
                    ),
                ],
                figures: Vec::new(),
            },
        ];
        Results::build(
            meta(date, "cargo xtask bench --only billing --only registration"),
            &sizes,
            &harness,
            &handlers,
            None,
        )
    }

    fn row<'a>(block: &'a str, function: &str) -> &'a str {
        block
            .lines()
            .find(|l| l.starts_with(&format!("| {function} |")))
            .unwrap_or_else(|| panic!("no row for {function} in\n{block}"))
    }

    /// The TLS figures are judged against issue 24's budgets: init + first request under the
    /// quota against 2.5× the baseline's, and the till's first request against 30 ms.
    #[test]
    fn tls_cold_starts_are_judged_against_the_baseline_and_30_ms() {
        use crate::bench::report::TlsColdReport;
        // The baseline: 11.7 ms × 0.8 init p50 + 0.2 ms first invocation = 9.56 ms.
        let mut cards = function("cards", 12.0, 10_000_000);
        let mut quick = cold(12.0, 4.0);
        quick.first_invocation = stats(5_000.0, 8_000.0, 9_000.0, 30);
        let mut slow = cold(12.0, 4.0);
        slow.first_invocation = stats(90_000.0, 110_000.0, 120_000.0, 30);
        for (variant, capped) in [("opened", quick), ("lazy", slow)] {
            cards.cold_tls.push(TlsColdReport {
                variant: variant.into(),
                uncapped: cold(6.0, 3.0),
                capped: Some(capped),
            });
        }
        let harness = HarnessReport {
            functions: vec![function(BASELINE, 11.7, 3_880_000), cards],
        };
        let results = Results::build(
            meta("2026-12-07", "cargo xtask bench --cold"),
            &[],
            &harness,
            &[],
            None,
        );
        let verdict = |figure: &str| {
            results
                .rows
                .iter()
                .find(|r| r.figure.starts_with(figure))
                .map(|r| r.verdict)
                .unwrap_or_else(|| panic!("no row {figure}"))
        };
        // 9.6 + 5 ms against 9.56 ms: 1.5×.
        assert_eq!(
            verdict("TLS, opened: init + first request"),
            Verdict::Within
        );
        assert_eq!(
            verdict("TLS, opened: first request after init"),
            Verdict::Within
        );
        assert_eq!(verdict("TLS, lazy: init + first request"), Verdict::Over);
        assert_eq!(
            verdict("TLS, lazy: first request after init"),
            Verdict::Over
        );
    }

    #[test]
    fn a_row_per_function_with_over_budget_figures_in_bold() {
        let block = block(&results("2026-11-24 20:16 UTC"), "");
        assert!(block.starts_with('\n') && block.ends_with('\n'));
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[1], row_line(&HEADER.map(str::to_owned)));
        assert_eq!(lines[3].split(" | ").next(), Some("| baseline"));
        assert_eq!(
            row(&block, "baseline"),
            "| baseline | 2026-11-24 20:16 UTC | 0.68 MB | 11.7 ms | 4.0 ms | 3.88 MB | – | – | – |"
        );
        assert_eq!(
            row(&block, "billing"),
            "| billing | 2026-11-24 20:16 UTC | 5.25 MB (billing-worker 4.69 MB) | 18.1 ms (1.55×) \
             | 4.0 ms | 11.20 MB | GET /billing/runs 12 µs / 21 µs \
             | billing run on DynamoDB Local: 85 partners/s | within |"
        );
        let registration = row(&block, "registration");
        assert!(
            registration.contains("9.50 MB; **40.00 MB** after 100 logins"),
            "{registration}"
        );
        assert!(
            registration.contains("PATCH /partners/me 19 µs / **260 µs**"),
            "{registration}"
        );
        assert!(
            registration.contains("POST /auth/login 14.9 ms / 22.4 ms (hashing, exempt)"),
            "{registration}"
        );
        assert!(registration.ends_with("| **over** |"), "{registration}");
        assert!(block.contains(
            "- **2026-11-24 20:16 UTC**: `cargo xtask bench --only billing --only registration`; \
             2 CPUs (AMD EPYC), 23.5 GiB, Linux 6.18.0, rustc 1.95.0; baseline capped init p90 11.7 ms."
        ));
    }

    #[test]
    fn rows_of_functions_not_measured_stay_with_their_run() {
        let previous = "\n\
            | function | measured | bootstrap zipped | capped init p90 (× baseline) | init CPU p50 | peak memory | handler only p50 / p99 | other | verdict |\n\
            |---|---|---|---|---|---|---|---|---|\n\
            | baseline | 2026-11-24 16:19 UTC | – | 10.9 ms | – | – | – | – | – |\n\
            | billing | 2026-11-24 13:57 UTC | 5.25 MB | 18.1 ms (1.56×) | 4.6 ms | 11.2 MB | – | – | within |\n\
            | offers | 2026-11-24 16:19 UTC | 5.64 MB | 12.2 ms (1.12×) | 3.5 ms | 11.1 MB | GET /platforms/{platform_id}/offers 84 / 127 µs | a \\| b | within |\n\
            \n\
            Runs:\n\
            \n\
            - **2026-11-24 16:19 UTC**: `cargo xtask bench --only offers`.\n\
            - **2026-11-24 13:57 UTC**: `cargo xtask bench --only billing`.\n";
        let block = block(&results("2026-11-25 09:00 UTC"), previous);
        let functions: Vec<String> = block
            .lines()
            .skip(3)
            .take_while(|l| l.starts_with('|'))
            .map(|l| split_row(l)[0].clone())
            .collect();
        assert_eq!(functions, ["baseline", "billing", "offers", "registration"]);
        assert!(row(&block, "baseline").contains("2026-11-25 09:00 UTC"));
        assert!(row(&block, "billing").contains("2026-11-25 09:00 UTC"));
        assert!(row(&block, "offers").contains("2026-11-24 16:19 UTC | 5.64 MB"));
        assert_eq!(split_row(row(&block, "offers"))[7], "a | b");
        assert!(block.contains("- **2026-11-24 16:19 UTC**: `cargo xtask bench --only offers`."));
        assert!(
            !block.contains("13:57"),
            "the billing run is no row's any more:\n{block}"
        );
        let runs: Vec<&str> = block.lines().filter(|l| l.starts_with("- **")).collect();
        assert!(
            runs[0].starts_with("- **2026-11-25 09:00 UTC**"),
            "{runs:?}"
        );
        assert_eq!(runs.len(), 2);
        // Rendering again from its own output changes nothing.
        assert_eq!(
            super::block(&results("2026-11-25 09:00 UTC"), &block),
            block
        );
    }

    #[test]
    fn a_table_with_other_columns_is_not_carried_over() {
        let previous =
            "\n| function | value |\n|---|---|\n| offers | 1 |\n\n- **2026-11-24 16:19 UTC**: x.\n";
        let block = block(&results("2026-11-25 09:00 UTC"), previous);
        assert!(
            !block.contains("| offers |") && !block.contains("16:19"),
            "{block}"
        );
    }

    #[test]
    fn only_the_text_between_the_markers_is_replaced() {
        let doc = format!("# Performance\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n");
        assert_eq!(between_markers(&doc).unwrap(), "\nold table\n");
        assert_eq!(
            replace_between_markers(&doc, "\nnew table\n").unwrap(),
            format!("# Performance\n\nbefore\n{BEGIN}\nnew table\n{END}\nafter\n")
        );
    }

    #[test]
    fn the_performance_page_holds_a_table_the_bench_carries_over() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(DOC);
        let doc = fs::read_to_string(&path).unwrap();
        let (rows, runs) = previous_rows(between_markers(&doc).unwrap());
        let functions: Vec<&str> = rows.iter().map(|(name, ..)| name.as_str()).collect();
        assert!(functions.contains(&BASELINE), "{functions:?}");
        for (name, date, _) in &rows {
            assert!(
                runs.iter().any(|(run, _)| run == date),
                "{name}'s run of {date} is not listed"
            );
        }
    }

    #[test]
    fn a_missing_or_doubled_marker_is_an_error() {
        for doc in [
            "no markers at all".to_owned(),
            format!("{BEGIN}\nno end"),
            format!("{END}\nend before begin\n{BEGIN}"),
            format!("{BEGIN}\na\n{END}\n{BEGIN}\nb\n{END}"),
        ] {
            let error = replace_between_markers(&doc, "x").unwrap_err().to_string();
            assert!(error.contains("marker"), "{doc:?}: {error}");
            assert!(between_markers(&doc).is_err());
        }
    }
}
