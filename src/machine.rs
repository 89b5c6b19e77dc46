//! What machine a report was measured on: enough to tell two runners apart and to
//! see, afterwards, whether a figure was taken on a loaded or throttled box.
//!
//! Everything is read from `/proc` and `/sys` where it exists; what cannot be read
//! is `None`, never a guess.

use serde::{Deserialize, Serialize};

/// Machine metadata stored in every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub hostname: Option<String>,
    pub cpu_model: Option<String>,
    /// CPUs the kernel has online.
    pub logical_cpus: usize,
    /// CPUs this process may actually use: affinity mask and cgroup CPU quota applied.
    pub usable_parallelism: usize,
    pub memory_bytes: Option<u64>,
    pub os: String,
    pub arch: String,
    pub kernel: Option<String>,
    /// 1-minute load average when the benchmark started.
    pub load_average: Option<f64>,
    pub concbench_version: String,
    /// The commit concbench was built from, when the build could tell.
    pub git_commit: Option<String>,
}

impl Machine {
    /// Reads the current machine.
    pub fn current() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string());
        let logical_cpus = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let memory_bytes = read("/proc/meminfo").and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        });
        let load_average =
            read("/proc/loadavg").and_then(|text| text.split_whitespace().next()?.parse().ok());
        let usable = available_parallelism();
        Machine {
            hostname: read("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()),
            cpu_model,
            logical_cpus: logical_cpus.max(usable),
            usable_parallelism: usable,
            memory_bytes,
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
            kernel: read("/proc/sys/kernel/osrelease").map(|k| k.trim().to_string()),
            load_average,
            concbench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: option_env!("CONCBENCH_GIT_COMMIT").map(str::to_string),
        }
    }
}

/// Logical CPUs this process may use, at least 1: std applies the affinity mask
/// and the cgroup (v1 and v2) CPU quota, rounded down, of this process's own
/// cgroup and its ancestors.
pub fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
impl Machine {
    /// A fixed machine for tests of reports.
    pub fn fixture() -> Machine {
        Machine {
            hostname: Some("runner-1".to_string()),
            cpu_model: Some("Test CPU".to_string()),
            logical_cpus: 4,
            usable_parallelism: 4,
            memory_bytes: Some(8 << 30),
            os: "linux".to_string(),
            arch: "x86_64".to_string(),
            kernel: Some("6.1.0".to_string()),
            load_average: Some(0.1),
            concbench_version: "0.1.0".to_string(),
            git_commit: None,
        }
    }
}
