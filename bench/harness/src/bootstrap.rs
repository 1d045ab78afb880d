//! Starting a bootstrap as Lambda does (a fresh process with the Runtime API's address in
//! its environment), optionally inside a CPU-quota cgroup, and stopping it by pid.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::runtime_api::{InitSignal, RuntimeApi};

/// How long init may take before the bench gives up (generous: a throttled start of a
/// large binary can take seconds).
const INIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Moves the shell into the cgroup (`$0` is its `cgroup.procs`) before it execs the
/// bootstrap, so not one instruction of the bootstrap runs outside the quota.
const INTO_CGROUP: &str = "echo $$ > \"$0\" && exec \"$@\"";
/// The same shell without the move, so capped and uncapped starts pay the same wrapper.
const PLAIN: &str = "exec \"$@\"";

#[derive(Debug, Clone)]
pub struct Launch {
    pub name: String,
    pub bootstrap: PathBuf,
    pub env: Vec<(String, String)>,
    pub log: PathBuf,
}

/// A started bootstrap and the Runtime API it talks to.
pub struct Running {
    pub api: RuntimeApi,
    child: Child,
    pid: u32,
    /// From spawning the process to its first `next` call.
    pub init: Duration,
}

impl Launch {
    /// Spawns the bootstrap (inside the cgroup whose `cgroup.procs` is given) and waits
    /// until it first asks the Runtime API for an event.
    pub async fn start(&self, cgroup_procs: Option<&Path>) -> Result<Running> {
        let mut api = RuntimeApi::start(&self.name).await?;
        let log = self.log_file()?;
        let log_err = log
            .try_clone()
            .with_context(|| format!("opening {} twice", self.log.display()))?;

        let mut command = Command::new("/bin/sh");
        match cgroup_procs {
            Some(procs) => command.arg("-c").arg(INTO_CGROUP).arg(procs),
            None => command.arg("-c").arg(PLAIN).arg("sh"),
        };
        command
            .arg(&self.bootstrap)
            // Only what Lambda provides: nothing of the developer's environment leaks in.
            .env_clear()
            .envs(lambda_env(&self.name, &api.address()))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true);

        let spawned = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.bootstrap.display()))?;
        let pid = child
            .id()
            .context("the bootstrap exited before its pid was read")?;

        let signal = tokio::select! {
            signal = tokio::time::timeout(INIT_TIMEOUT, api.init_signal()) => signal,
            status = child.wait() => {
                let status = status.context("waiting for the bootstrap")?;
                bail!("{} exited during init with {status}; see {}", self.name, self.log.display());
            }
        };
        match signal {
            Ok(Ok(InitSignal::Ready(at))) => Ok(Running {
                api,
                child,
                pid,
                init: at - spawned,
            }),
            Ok(Ok(InitSignal::Failed(body))) => {
                stop(&mut child, pid).await;
                bail!(
                    "{} reported an init error: {body}; see {}",
                    self.name,
                    self.log.display()
                )
            }
            Ok(Err(error)) => {
                stop(&mut child, pid).await;
                Err(error)
            }
            Err(_) => {
                stop(&mut child, pid).await;
                bail!(
                    "{} did not call the Runtime API within {} s; see {}",
                    self.name,
                    INIT_TIMEOUT.as_secs(),
                    self.log.display()
                )
            }
        }
    }

    fn log_file(&self) -> Result<File> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))
    }
}

impl Running {
    /// CPU time the process has used so far, all threads (`/proc/<pid>/task/*/schedstat`,
    /// nanoseconds; /proc's utime and stime count in 10 ms ticks, too coarse for init).
    pub fn cpu_time(&self) -> Result<Duration> {
        let tasks = format!("/proc/{}/task", self.pid);
        let mut total = 0_u64;
        for task in std::fs::read_dir(&tasks).with_context(|| format!("listing {tasks}"))? {
            let path = task
                .with_context(|| format!("listing {tasks}"))?
                .path()
                .join("schedstat");
            // A thread may end between listing and reading; it then no longer counts here.
            let Ok(stat) = std::fs::read_to_string(&path) else {
                continue;
            };
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .with_context(|| format!("unexpected {}: {stat:?}", path.display()))?;
        }
        Ok(Duration::from_nanos(total))
    }

    /// Peak resident set so far (VmHWM), in bytes.
    pub fn peak_rss_bytes(&self) -> Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .with_context(|| format!("no VmHWM line in {path}"))?;
        Ok(kib * 1024)
    }

    /// Kills the bootstrap (our own child, by pid) and reaps it.
    pub async fn stop(mut self) {
        stop(&mut self.child, self.pid).await;
    }
}

async fn stop(child: &mut Child, pid: u32) {
    if let Err(error) = child.kill().await {
        eprintln!("harness: could not stop bootstrap pid {pid}: {error}");
    }
}

/// The variables Lambda sets for a `provided.al2023` function of 128 MB.
fn lambda_env(name: &str, runtime_api: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]bench".to_owned(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", "eu-central-1".to_owned()),
        ("AWS_DEFAULT_REGION", "eu-central-1".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin".to_owned()),
    ]
}
