//! What a process of a measured run used, as the process itself reads it from `/proc`.
//!
//! Two figures per process, both read by the process about itself, so nothing the
//! parent did can leak into them:
//!
//! - **threads**: the most threads alive at once. The models call [`mark`] at the two
//!   instants where every thread they start is alive: when set-up ends (every worker
//!   running and ready) and when the work ends, before teardown. [`mark`] counts the
//!   entries of `/proc/self/task` and keeps the largest count seen. A sampler thread
//!   would see more instants, but it would be a hidden thread of its own, which is
//!   exactly what the census exists to rule out.
//! - **memory**: `VmHWM` from `/proc/self/status`, the peak resident set of this
//!   process's own address space. Unlike `ru_maxrss` it starts afresh at `exec`, so a
//!   large parent does not inflate it.
//!
//! The measured run process and every pool worker report a [`ProcessCensus`] before
//! they exit; a run's memory is the sum over its processes ([`RunCensus`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// The largest thread count [`mark`] has seen in this process.
static PEAK_THREADS: AtomicUsize = AtomicUsize::new(0);

/// What one process of a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessCensus {
    /// The most threads alive at once, as counted by [`mark`].
    pub threads: usize,
    /// The process's own peak resident memory (`VmHWM`), in bytes.
    pub peak_rss_bytes: u64,
}

/// Every process of one run: the run process first, then its worker processes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCensus {
    pub processes: Vec<ProcessCensus>,
    /// At most this many worker processes were alive at once (`spawn`, which starts
    /// one per task); `None` when all of them were (a pool).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub workers_at_once: Option<usize>,
}

impl RunCensus {
    /// The run's memory: the sum of every process's own peak — of the run process and
    /// of as many of its workers as were alive at once, the largest ones.
    pub fn memory_bytes(&self) -> u64 {
        let Some((run, workers)) = self.processes.split_first() else {
            return 0;
        };
        let mut peaks: Vec<u64> = workers.iter().map(|p| p.peak_rss_bytes).collect();
        peaks.sort_unstable_by(|a, b| b.cmp(a));
        let counted = self.workers_at_once.unwrap_or(peaks.len());
        run.peak_rss_bytes + peaks.iter().take(counted).sum::<u64>()
    }

    /// The peak of the largest single process.
    pub fn largest_process_bytes(&self) -> u64 {
        self.processes
            .iter()
            .map(|p| p.peak_rss_bytes)
            .max()
            .unwrap_or(0)
    }

    /// Threads per process, in order.
    pub fn threads(&self) -> Vec<usize> {
        self.processes.iter().map(|p| p.threads).collect()
    }
}

/// Counts this process's threads now and keeps the count if it is the largest yet.
pub fn mark() {
    if let Some(now) = threads_now() {
        PEAK_THREADS.fetch_max(now, Ordering::Relaxed);
    }
}

/// This process's census: the peak thread count marked so far (at least the thread
/// counted now) and its memory peak.
pub fn this_process() -> ProcessCensus {
    mark();
    ProcessCensus {
        threads: PEAK_THREADS.load(Ordering::Relaxed).max(1),
        peak_rss_bytes: peak_rss_bytes().unwrap_or(0),
    }
}

/// Threads alive in this process now: the entries of `/proc/self/task`.
pub fn threads_now() -> Option<usize> {
    let entries = std::fs::read_dir("/proc/self/task").ok()?;
    Some(entries.filter(|e| e.is_ok()).count())
}

/// `VmHWM` of this process, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&status, "VmHWM:")
}

/// A `Name:   1234 kB` line of `/proc/PID/status`, in bytes.
fn parse_kib_field(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// Seconds on the system-wide monotonic clock: comparable between the processes of one
/// machine, so request start times from pool workers line up with the run's own.
pub fn monotonic_s() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the pointer refers to a live local of the right type.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_parse_to_bytes() {
        let status = "Name:\tx\nVmPeak:\t  10 kB\nVmHWM:\t    2048 kB\nThreads:\t1\n";
        assert_eq!(parse_kib_field(status, "VmHWM:"), Some(2048 * 1024));
        assert_eq!(parse_kib_field(status, "VmRSS:"), None);
        assert_eq!(parse_kib_field("VmHWM: lots kB", "VmHWM:"), None);
    }

    #[test]
    fn this_process_is_counted() {
        let census = this_process();
        assert!(census.threads >= 1);
        assert!(census.peak_rss_bytes > 0);
    }

    #[test]
    fn a_run_sums_its_processes() {
        let run = RunCensus {
            processes: vec![
                ProcessCensus {
                    threads: 1,
                    peak_rss_bytes: 4 << 20,
                },
                ProcessCensus {
                    threads: 1,
                    peak_rss_bytes: 3 << 20,
                },
            ],
            workers_at_once: None,
        };
        assert_eq!(run.memory_bytes(), 7 << 20);
        assert_eq!(run.largest_process_bytes(), 4 << 20);
        assert_eq!(run.threads(), vec![1, 1]);
    }

    #[test]
    fn a_process_per_task_counts_only_those_alive_at_once() {
        let process = |mib: u64| ProcessCensus {
            threads: 1,
            peak_rss_bytes: mib << 20,
        };
        let run = RunCensus {
            processes: vec![process(4), process(2), process(3), process(5), process(1)],
            workers_at_once: Some(2),
        };
        assert_eq!(run.memory_bytes(), (4 + 5 + 3) << 20);
    }
}
