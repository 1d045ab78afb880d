//! The redirect's throughput on loopback against nginx answering `return 302`: the same
//! load tool (wrk), threads, connections, duration and browser User-Agent against both, in
//! the same run. The budget: at least half of nginx's requests per second.
//!
//! The redirect's router is served alone (`bench/harness/src/bin/serve-redirect.rs`) over
//! SQLite in a file, the storage local-api gives it. Both servers listen on 127.0.0.1 only,
//! are started here and stopped by their pid. On a machine with two or more cores the
//! servers are pinned to the first half of them and wrk to the rest, so neither steals the
//! other's CPU; each server runs as many workers as it has cores.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::emulators::{http_status, two_free_ports};
use crate::tools::LoadTools;

/// The function this measures, for `--only`.
pub const FUNCTION: &str = "redirect";
/// The link the server seeds (the code of the redirect's sample event).
const LINK_CODE: &str = "Ab3dE6gH9k";
const CONNECTIONS: usize = 32;
/// A browser, so every request takes the counting path (crawlers are not counted).
const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const NGINX_LOCATION: &str = "https://example.org/landing?pn_click=x";
/// The budget: the redirect serves at least this share of nginx's requests/s.
pub const BUDGET_RATIO: f64 = 0.5;
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long wrk runs: a warm-up per server, then rounds that alternate between the two,
/// so a noisy neighbour on a shared machine hits both alike; the medians are reported.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub warmup_secs: u64,
    pub duration_secs: u64,
    pub rounds: usize,
}

pub const FULL: Settings = Settings {
    warmup_secs: 3,
    duration_secs: 10,
    rounds: 3,
};

/// A smoke run; its figures are not for docs/performance.md.
pub const QUICK: Settings = Settings {
    warmup_secs: 1,
    duration_secs: 3,
    rounds: 1,
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThroughputReport {
    pub function: String,
    pub route: String,
    /// The load tool and its version.
    pub tool: String,
    /// The wrk options both servers were measured with.
    pub wrk_options: String,
    pub threads: usize,
    pub connections: usize,
    pub duration_secs: u64,
    pub warmup_secs: u64,
    pub rounds: usize,
    /// Where the servers and wrk ran.
    pub cpus: String,
    /// Worker threads of the redirect, worker processes of nginx.
    pub server_workers: usize,
    pub user_agent: String,
    pub redirect: Measured,
    pub nginx: Measured,
    pub nginx_version: String,
    /// The redirect's median requests/s over nginx's.
    pub ratio: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub what: String,
    /// Median of the rounds.
    pub requests_per_sec: f64,
    pub rounds: Vec<Round>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub requests_per_sec: f64,
    pub requests: u64,
    pub latency_p50_us: Option<f64>,
    pub latency_p99_us: Option<f64>,
    pub socket_errors: u64,
}

/// Which CPUs the servers and wrk run on.
#[derive(Debug)]
struct Cpus {
    servers: Option<String>,
    wrk: Option<String>,
    workers: usize,
    threads: usize,
    description: String,
}

pub fn measure(
    out_dir: &Path,
    release: &Path,
    tools: &LoadTools,
    settings: Settings,
) -> Result<ThroughputReport> {
    let dir = out_dir.join("throughput");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let cpus = plan_cpus()?;
    println!(
        "xtask: throughput of the redirect against nginx: {}",
        cpus.description
    );
    let (redirect_port, nginx_port) = two_free_ports()?;
    let path = format!("/r/{LINK_CODE}");

    let mut redirect = Command::new(release.join("serve-redirect"));
    redirect
        .arg(dir.join("redirect-data"))
        .arg(redirect_port.to_string())
        .arg(cpus.workers.to_string())
        .arg(LINK_CODE);
    let mut redirect = Server::start("redirect", pinned(redirect, cpus.servers.as_deref()), &dir)?;

    let nginx_dir = dir.join("nginx");
    let conf = write_nginx_conf(&nginx_dir, nginx_port, cpus.workers)?;
    let mut nginx = Command::new(tools.nginx());
    nginx
        .arg("-p")
        .arg(&nginx_dir)
        .arg("-c")
        .arg(&conf)
        // Its error log from the first moment, before it reads the configuration.
        .arg("-e")
        .arg(nginx_dir.join("error.log"));
    let mut nginx = Server::start("nginx", pinned(nginx, cpus.servers.as_deref()), &dir)?;

    redirect.wait_for_302(redirect_port, &path)?;
    nginx.wait_for_302(nginx_port, &path)?;

    let library_path = tools.library_path()?;
    let wrk = |port: u16, secs: u64| -> Result<Round> {
        let mut command = Command::new(tools.wrk());
        command
            .arg(format!("-t{}", cpus.threads))
            .arg(format!("-c{CONNECTIONS}"))
            .arg(format!("-d{secs}s"))
            .arg("--latency")
            .arg("-H")
            .arg(format!("User-Agent: {USER_AGENT}"))
            .arg(format!("http://127.0.0.1:{port}{path}"))
            .env("LD_LIBRARY_PATH", &library_path);
        run_wrk(pinned(command, cpus.wrk.as_deref()))
    };
    println!(
        "xtask: wrk warm-up, {} s against each server",
        settings.warmup_secs
    );
    wrk(redirect_port, settings.warmup_secs)?;
    wrk(nginx_port, settings.warmup_secs)?;
    let mut redirect_rounds = Vec::new();
    let mut nginx_rounds = Vec::new();
    for round in 1..=settings.rounds {
        println!(
            "xtask: wrk round {round} of {}: nginx, then the redirect, {} s each",
            settings.rounds, settings.duration_secs
        );
        nginx_rounds.push(wrk(nginx_port, settings.duration_secs)?);
        redirect_rounds.push(wrk(redirect_port, settings.duration_secs)?);
    }
    // A server that died mid-run would have been measured by its errors.
    redirect.ensure_running()?;
    nginx.ensure_running()?;
    drop(nginx);
    drop(redirect);

    let redirect = Measured::of(
        "the redirect's router (axum) alone, SQLite in a file as local-api runs it",
        redirect_rounds,
    )?;
    let nginx = Measured::of(
        &format!("nginx `return 302 {NGINX_LOCATION}`"),
        nginx_rounds,
    )?;
    let ratio = redirect.requests_per_sec / nginx.requests_per_sec;
    Ok(ThroughputReport {
        function: FUNCTION.to_owned(),
        route: "GET /r/{code}".to_owned(),
        tool: format!("wrk {} (Debian package)", tools.version("wrk")),
        wrk_options: format!(
            "-t{} -c{CONNECTIONS} -d{}s",
            cpus.threads, settings.duration_secs
        ),
        threads: cpus.threads,
        connections: CONNECTIONS,
        duration_secs: settings.duration_secs,
        warmup_secs: settings.warmup_secs,
        rounds: settings.rounds,
        cpus: cpus.description,
        server_workers: cpus.workers,
        user_agent: USER_AGENT.to_owned(),
        redirect,
        nginx,
        nginx_version: tools.version("nginx").to_owned(),
        ratio,
    })
}

impl Measured {
    fn of(what: &str, rounds: Vec<Round>) -> Result<Self> {
        let mut rates: Vec<f64> = rounds.iter().map(|r| r.requests_per_sec).collect();
        ensure!(!rates.is_empty(), "no wrk round for {what}");
        rates.sort_by(f64::total_cmp);
        let mid = rates.len() / 2;
        let median = if rates.len().is_multiple_of(2) {
            (rates[mid - 1] + rates[mid]) / 2.0
        } else {
            rates[mid]
        };
        Ok(Self {
            what: what.to_owned(),
            requests_per_sec: median,
            rounds,
        })
    }
}

/// The CPUs this process may use (`Cpus_allowed_list`, e.g. `0-1` or `0,2-3`).
fn allowed_cpus() -> Result<Vec<usize>> {
    let status = fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let list = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .context("no Cpus_allowed_list in /proc/self/status")?;
    parse_cpu_list(list.trim())
}

fn parse_cpu_list(list: &str) -> Result<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((from, to)) => {
                let from: usize = from.parse().with_context(|| format!("CPU list {list}"))?;
                let to: usize = to.parse().with_context(|| format!("CPU list {list}"))?;
                cpus.extend(from..=to);
            }
            None => cpus.push(part.parse().with_context(|| format!("CPU list {list}"))?),
        }
    }
    Ok(cpus)
}

fn plan_cpus() -> Result<Cpus> {
    let cpus = allowed_cpus()?;
    let taskset = Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|out| out.status.success());
    if cpus.len() < 2 || !taskset {
        let why = if taskset { "one CPU" } else { "no taskset" };
        return Ok(Cpus {
            servers: None,
            wrk: None,
            workers: 1,
            threads: 1,
            description: format!("not pinned ({why}); one server worker, one wrk thread"),
        });
    }
    let (servers, wrk) = cpus.split_at(cpus.len() / 2);
    let list = |set: &[usize]| {
        set.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    Ok(Cpus {
        servers: Some(list(servers)),
        wrk: Some(list(wrk)),
        workers: servers.len(),
        threads: wrk.len(),
        description: format!(
            "servers pinned to CPU{} {} ({} worker{}), wrk to CPU{} {} ({} thread{})",
            plural(servers.len()),
            list(servers),
            servers.len(),
            plural(servers.len()),
            plural(wrk.len()),
            list(wrk),
            wrk.len(),
            plural(wrk.len()),
        ),
    })
}

/// `command` run under `taskset -c <cpus>`, which execs it: the pid stays the program's.
fn pinned(command: Command, cpus: Option<&str>) -> Command {
    let Some(cpus) = cpus else {
        return command;
    };
    let mut taskset = Command::new("taskset");
    taskset.arg("-c").arg(cpus).arg(command.get_program());
    taskset.args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => taskset.env(key, value),
            None => taskset.env_remove(key),
        };
    }
    taskset
}

/// A minimal nginx: one `return 302` on 127.0.0.1, every path it writes under `dir`. Its
/// access log is on, as the redirect writes a log line per request too.
fn write_nginx_conf(dir: &Path, port: u16, workers: usize) -> Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let d = dir.display();
    let conf = format!(
        "# Written by `cargo xtask bench` for each run.
daemon off;
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{
    worker_connections 1024;
}}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            return 302 {NGINX_LOCATION};
        }}
    }}
}}
"
    );
    let path = dir.join("nginx.conf");
    // A fresh access log per run: it grows by every request wrk sends.
    let _ = fs::remove_file(dir.join("access.log"));
    fs::write(&path, conf).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Runs wrk and reads its summary; fails on any answer but a redirect, or on errors.
fn run_wrk(mut command: Command) -> Result<Round> {
    let shown = crate::process::describe(&command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "`{shown}` failed with {}: {}{}",
        output.status,
        text,
        String::from_utf8_lossy(&output.stderr)
    );
    let round = parse_wrk(&text).with_context(|| format!("reading the output of `{shown}`"))?;
    ensure!(
        !text.contains("Non-2xx or 3xx responses"),
        "a server answered with something else than a redirect:\n{text}"
    );
    ensure!(
        round.socket_errors * 100 <= round.requests,
        "more than 1 % of the requests failed:\n{text}"
    );
    Ok(round)
}

fn parse_wrk(text: &str) -> Result<Round> {
    let requests_per_sec = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|rest| rest.trim().parse::<f64>().ok())
        .context("no Requests/sec line")?;
    // "  261545 requests in 5.10s, 89.29MB read"
    let requests = text
        .lines()
        .find(|line| line.contains(" requests in "))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .context("no `N requests in` line")?;
    // "  Socket errors: connect 0, read 0, write 0, timeout 12"
    let socket_errors = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Socket errors:"))
        .map_or(0, |rest| {
            rest.split(',')
                .filter_map(|part| part.split_whitespace().nth(1))
                .filter_map(|n| n.parse::<u64>().ok())
                .sum()
        });
    let percentile = |label: &str| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .and_then(|rest| duration_us(rest.trim()))
    };
    Ok(Round {
        requests_per_sec,
        requests,
        latency_p50_us: percentile("50%"),
        latency_p99_us: percentile("99%"),
        socket_errors,
    })
}

/// wrk's durations: `467.00us`, `1.23ms`, `2.01s`.
fn duration_us(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix("m") {
        (n, 60e6)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// A server this module started; dropping it stops it by its pid.
struct Server {
    name: &'static str,
    log: PathBuf,
    child: Child,
}

impl Server {
    fn start(name: &'static str, mut command: Command, dir: &Path) -> Result<Self> {
        let log = dir.join(format!("{name}.log"));
        let stdout = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let stderr = stdout
            .try_clone()
            .with_context(|| format!("opening {} twice", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| {
                format!(
                    "could not start {name} (`{}`)",
                    crate::process::describe(&command)
                )
            })?;
        println!(
            "xtask: started {name} (pid {}), log {}",
            child.id(),
            log.display()
        );
        Ok(Self { name, log, child })
    }

    fn ensure_running(&mut self) -> Result<()> {
        if let Some(status) = self
            .child
            .try_wait()
            .with_context(|| format!("checking on {}", self.name))?
        {
            bail!(
                "{} exited with {status}; see {}",
                self.name,
                self.log.display()
            );
        }
        Ok(())
    }

    /// Polls until `GET path` answers 302, the server exits, or the timeout passes.
    fn wait_for_302(&mut self, port: u16, path: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            self.ensure_running()?;
            let outcome = http_status(port, path);
            if matches!(outcome, Ok(302)) {
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                bail!(
                    "{} on 127.0.0.1:{port} did not answer GET {path} with 302 within {} s \
                     (last: {outcome:?}); see {}",
                    self.name,
                    READY_TIMEOUT.as_secs(),
                    self.log.display()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Our own child by its pid. SIGTERM first: nginx's master then stops its workers,
        // which a SIGKILL to the master would leave running.
        let pid = self.child.id();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                println!("xtask: stopped {} (pid {pid})", self.name);
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        if let Err(error) = self.child.kill() {
            eprintln!("xtask: could not kill {} (pid {pid}): {error}", self.name);
        }
        match self.child.wait() {
            Ok(_) => println!("xtask: killed {} (pid {pid})", self.name),
            Err(error) => eprintln!("xtask: could not reap {} (pid {pid}): {error}", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 10s test @ http://127.0.0.1:18080/r/Ab3dE6gH9k
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   525.17us  430.43us   8.80ms   98.38%
    Req/Sec    54.85k     4.53k   59.42k    86.27%
  Latency Distribution
     50%  467.00us
     75%  512.00us
     90%  601.00us
     99%    1.23ms
  278382 requests in 5.10s, 95.04MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  54593.68
Transfer/sec:     18.64MB
";

    #[test]
    fn reads_wrks_summary() -> Result<()> {
        let round = parse_wrk(WRK)?;
        assert!((round.requests_per_sec - 54_593.68).abs() < 1e-6);
        assert_eq!(round.requests, 278_382);
        assert_eq!(round.socket_errors, 3);
        assert_eq!(round.latency_p50_us, Some(467.0));
        assert_eq!(round.latency_p99_us, Some(1230.0));
        Ok(())
    }

    #[test]
    fn reads_cpu_lists() -> Result<()> {
        assert_eq!(parse_cpu_list("0-1")?, vec![0, 1]);
        assert_eq!(parse_cpu_list("0,2-3,7")?, vec![0, 2, 3, 7]);
        Ok(())
    }

    #[test]
    fn the_median_of_an_even_number_of_rounds_is_the_mean_of_the_middle_two() -> Result<()> {
        let round = |rps| Round {
            requests_per_sec: rps,
            requests: 1,
            latency_p50_us: None,
            latency_p99_us: None,
            socket_errors: 0,
        };
        let measured = Measured::of("x", vec![round(3.0), round(1.0), round(2.0), round(10.0)])?;
        assert!((measured.requests_per_sec - 2.5).abs() < 1e-9);
        Ok(())
    }
}
