//! A CPU-quota cgroup for cold starts "as a 128 MB Lambda": 7.2 % of one core.
//!
//! cgroup v2 (`cpu.max`) where its cpu controller is available, else the v1 cpu
//! controller (`cpu.cfs_quota_us` / `cpu.cfs_period_us`), which hybrid hosts still use.
//! The group is created per run and removed on drop, after killing by pid anything left
//! in it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

pub const QUOTA_US: u64 = 7_200;
pub const PERIOD_US: u64 = 100_000;

#[derive(Debug)]
pub struct CpuQuota {
    dir: PathBuf,
    /// How the quota is applied, for the report.
    pub mechanism: String,
}

impl CpuQuota {
    /// Creates the group, or says why it cannot.
    pub fn create() -> Result<Self> {
        let mounts =
            fs::read_to_string("/proc/self/mounts").context("reading /proc/self/mounts")?;
        let name = format!("partnernetz-bench-{}", std::process::id());
        let mut reasons = Vec::new();

        for mount in mounts_of(&mounts, "cgroup2") {
            match Self::create_v2(&mount.path, &name) {
                Ok(quota) => return Ok(quota),
                Err(error) => {
                    reasons.push(format!("cgroup v2 at {}: {error:#}", mount.path.display()))
                }
            }
        }
        for mount in mounts_of(&mounts, "cgroup") {
            if !mount.options.split(',').any(|o| o == "cpu") {
                continue;
            }
            match Self::create_v1(&mount.path, &name) {
                Ok(quota) => return Ok(quota),
                Err(error) => {
                    reasons.push(format!("cgroup v1 at {}: {error:#}", mount.path.display()))
                }
            }
        }
        if reasons.is_empty() {
            bail!("no cgroup filesystem with a cpu controller is mounted");
        }
        bail!("{}", reasons.join("; "))
    }

    fn create_v2(mount: &Path, name: &str) -> Result<Self> {
        let enabled = fs::read_to_string(mount.join("cgroup.subtree_control"))
            .context("reading cgroup.subtree_control")?;
        if !enabled.split_whitespace().any(|c| c == "cpu") {
            bail!("the cpu controller is not enabled for child groups");
        }
        let quota = Self::make(mount, name, "cgroup v2")?;
        write(
            &quota.dir.join("cpu.max"),
            &format!("{QUOTA_US} {PERIOD_US}"),
        )?;
        Ok(quota)
    }

    fn create_v1(mount: &Path, name: &str) -> Result<Self> {
        let quota = Self::make(mount, name, "cgroup v1 cpu controller")?;
        write(&quota.dir.join("cpu.cfs_period_us"), &PERIOD_US.to_string())?;
        write(&quota.dir.join("cpu.cfs_quota_us"), &QUOTA_US.to_string())?;
        Ok(quota)
    }

    /// The directory, owned (and so removed) from here on even if configuring it fails.
    fn make(mount: &Path, name: &str, kind: &str) -> Result<Self> {
        let dir = mount.join(name);
        fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self {
            mechanism: format!(
                "{kind}, {QUOTA_US} µs per {PERIOD_US} µs period, group {}",
                dir.display()
            ),
            dir,
        })
    }

    /// The file a process writes its pid to in order to enter the group.
    pub fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    fn pids(&self) -> Vec<String> {
        fs::read_to_string(self.procs_file())
            .map(|text| text.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

impl Drop for CpuQuota {
    fn drop(&mut self) {
        // Only bootstraps the bench started can be in this group, which it just created.
        for pid in self.pids() {
            let killed = Command::new("kill").args(["-KILL", &pid]).status();
            if !matches!(killed, Ok(status) if status.success()) {
                eprintln!(
                    "xtask: could not kill pid {pid} left in {}",
                    self.dir.display()
                );
            }
        }
        // A killed process leaves the group a moment after it dies.
        for attempt in 0..50 {
            match fs::remove_dir(&self.dir) {
                Ok(()) => return,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return,
                Err(error) if attempt == 49 => {
                    eprintln!("xtask: could not remove {}: {error}", self.dir.display());
                }
                Err(_) => thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

struct Mount {
    path: PathBuf,
    options: String,
}

fn mounts_of(mounts: &str, fstype: &str) -> Vec<Mount> {
    mounts
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [_, path, kind, options, ..] if *kind == fstype => Some(Mount {
                    path: PathBuf::from(unescape(path)),
                    options: (*options).to_owned(),
                }),
                _ => None,
            }
        })
        .collect()
}

/// /proc/mounts writes a space in a path as `\040`.
fn unescape(path: &str) -> String {
    path.replace("\\040", " ")
}

fn write(path: &Path, value: &str) -> Result<()> {
    fs::write(path, value).with_context(|| format!("writing {value:?} to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
proc /proc proc rw 0 0
";

    #[test]
    fn finds_v2_and_v1_mounts_by_type() {
        let v2 = mounts_of(HYBRID, "cgroup2");
        assert_eq!(v2.len(), 1);
        assert_eq!(v2[0].path, PathBuf::from("/sys/fs/cgroup/unified"));
        let v1_cpu: Vec<_> = mounts_of(HYBRID, "cgroup")
            .into_iter()
            .filter(|m| m.options.split(',').any(|o| o == "cpu"))
            .collect();
        assert_eq!(v1_cpu.len(), 1);
        assert_eq!(v1_cpu[0].path, PathBuf::from("/sys/fs/cgroup/cpu"));
    }
}
