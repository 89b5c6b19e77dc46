//! The report: the serde types of `--format json` and of saved result files.
//!
//! This is the contract CI users script against, pinned by
//! `schema/report.schema.json` and a test that validates real output against it.
//! [`SCHEMA_VERSION`] changes only when a field changes meaning or goes away; new
//! fields may be added within a version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::machine::Machine;
use crate::stats::Summary;
use crate::strategy::Strategy;
use crate::workload::Workload;

/// 2: `peak_rss_bytes` (the largest process, inherited from the parent) became
/// `memory_bytes` (the sum of every process's own peak), with `largest_process_bytes`
/// and `census` beside it; `checksum` is computed from what the model returned, and
/// io rows carry a content `digest`.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// One benchmark invocation: where, with what settings, and every model's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// When the benchmark started, RFC 3339 UTC.
    pub created_at: String,
    pub machine: Machine,
    pub config: ReportConfig,
    pub results: Vec<ResultRow>,
    /// What makes the figures less trustworthy, as the run printed it on stderr.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<WarningRecord>,
}

/// A warning of the run: which table, a stable kind (`noisy`, `outliers`,
/// `few_runs`, `too_short`, `oversubscribed`, `kernel_cost`, `impossible_speedup`)
/// and the line printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningRecord {
    pub workload: Workload,
    pub kind: String,
    pub message: String,
}

/// The settings that decide what was measured. Two reports are comparable only when
/// their workload settings are equal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportConfig {
    pub warmup: u32,
    pub strategies: Vec<Strategy>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cpu: Option<CpuSettings>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub io: Option<IoSettings>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tasks: Option<TasksSettings>,
    /// `--python`: the interpreter that ran the `py-*` models.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub python: Option<crate::python::Interpreter>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuSettings {
    /// Measured runs per model: with adaptive rounds, the most any model got (each
    /// row has its own count).
    pub runs: u32,
    pub kernel: String,
    pub numbers: Vec<u64>,
    /// The worker counts every model but sequential ran at (several: a sweep).
    pub workers: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IoSettings {
    /// Measured runs per model: with adaptive rounds, the most any model got (each
    /// row has its own count).
    pub runs: u32,
    /// `builtin` (concbench's own server on loopback) or `sites`.
    pub target: String,
    pub requests: usize,
    /// Built-in target only: its latency and body size.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub latency_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub body_bytes: Option<usize>,
    /// `--sites` only: the file the URLs came from.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sites_file: Option<String>,
    /// The worker counts every model but sequential ran at (several: a sweep).
    pub workers: Vec<usize>,
    pub concurrency: usize,
    pub timeout_s: f64,
    pub max_body_bytes: u64,
}

/// One model on one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub workload: Workload,
    pub strategy: Strategy,
    pub workers: usize,
    /// Measured runs (warmups excluded).
    pub runs: usize,
    /// Model set-up + work + teardown per run, seconds.
    pub wall_s: Summary,
    /// The model's set-up alone per run, seconds (part of `wall_s`).
    pub setup_s: Summary,
    /// User + system CPU seconds per run, over the same span as `wall_s`: the run
    /// process and every process it started and reaped within it.
    pub cpu_s: Summary,
    /// The same for the run process's whole life (from `wait4`): its start-up too,
    /// and for `py-*` the interpreter's start-up and imports. Absent from reports
    /// older than the field.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub process_cpu_s: Option<Summary>,
    /// The sum over the run's processes of each one's own peak resident memory
    /// (`VmHWM`), the largest over all runs. A page shared by several processes (the
    /// binary's code, a forked parent's pages) counts in every one of them.
    pub memory_bytes: u64,
    /// The model's memory with each shared page counted once: the sum over the run's
    /// processes of each one's proportional set size (PSS) at its census instants,
    /// the largest over all runs; `null` where it could not be read. This is the
    /// table's memory column (see [`ResultRow::memory`]).
    #[serde(default)]
    pub memory_pss_bytes: Option<u64>,
    /// The peak of the largest single process of a run, the largest over all runs.
    pub largest_process_bytes: u64,
    /// What the model really ran: processes and threads (see [`Census`]).
    pub census: Census,
    /// Sequential's median / this median; `null` when sequential was not run.
    pub speedup: Option<f64>,
    /// A distribution-free interval of the wall-time median (order statistics),
    /// seconds: it holds the median with at least 95 % confidence when there are
    /// runs enough (6), and with `median_ci_confidence` in any case.
    pub median_ci_s: [f64; 2],
    /// The confidence `median_ci_s` really has: 0.75 with 3 runs, ≥ 0.95 from 6.
    pub median_ci_confidence: f64,
    /// `speedup / workers`, for cpu only: for I/O a worker waits rather than works,
    /// and the ratio means nothing (see `io.max_in_flight`).
    pub efficiency: Option<f64>,
    /// An interval of the speedup that holds it with at least 95 % confidence: the
    /// distribution-free interval of the ratio of a sequential run to a run of this
    /// model (the rank test's, as the gate uses; its coverage comes from the exact
    /// distribution of the rank statistic, so it assumes no shape of the runs), widened
    /// to hold `speedup` should the ratio of medians fall outside it. `null` for
    /// sequential, whose speedup is 1 by definition, when sequential was not run, and
    /// when the runs are too few for 95 % (3 a side reach 90 % at most; 4 a side
    /// suffice): never an interval that claims more than it has.
    pub speedup_ci95: Option<[f64; 2]>,
    /// Indices into `wall_s.samples` of outlying runs (modified Z-score over 3.5).
    /// Flagged, never removed.
    pub outliers: Vec<usize>,
    /// Coefficient of variation of the wall times (stddev / mean); over 0.10 is noisy.
    pub cv: f64,
    /// Every run's results matched the expected ones: cpu, every value; io, every
    /// body's digest (see `verify_note` for what could not be compared).
    pub verified: bool,
    /// Why part of the results could not be checked, e.g. the sites whose body changed
    /// between requests (dynamic), named, the first three and how many more; `null`
    /// when everything was.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verify_note: Option<String>,
    /// A fingerprint of what the model returned in its first measured run. cpu: the
    /// wrapping sum of its results; io: the CRC-32 of its body digests in input order,
    /// in hex. A string, as it can pass 2^53.
    pub checksum: String,
    /// cpu only: the kernel's own CPU time per item, and beside sequential's (see
    /// [`KernelFigures`]); absent for io and the `py-*` models.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kernel: Option<KernelFigures>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub io: Option<IoFigures>,
    /// The tasks job's own figures; `workers` is then the tasks held at once.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tasks: Option<TasksFigures>,
    /// A `py-*` row: its interpreter and HTTP client, and its start-up (median).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub python: Option<crate::python::PythonInfo>,
}

impl ResultRow {
    /// The model's memory as the table shows it: PSS summed over its processes, or
    /// the sum of their own peaks when PSS could not be read.
    pub fn memory(&self) -> u64 {
        self.memory_pss_bytes.unwrap_or(self.memory_bytes)
    }
}

/// Why a row's timings cannot be trusted, as the end of a sentence about the row
/// ("had 3 failed requests"); `None` when it passed its checks. A run in which every
/// request failed is fast and worthless, so it must never be compared or kept as a
/// baseline.
pub(crate) fn failed_checks(row: &ResultRow) -> Option<String> {
    if let Some(refusal) = row.tasks.as_ref().and_then(|t| t.refused.as_ref()) {
        return Some(format!(
            "was refused by the OS at {} of {} tasks ({})",
            refusal.at, row.workers, refusal.reason
        ));
    }
    match row.io.as_ref().map_or(0, |io| io.failed) {
        0 if row.verified => None,
        0 => Some("is unverified (wrong results)".to_string()),
        1 => Some("had 1 failed request".to_string()),
        n => Some(format!("had {n} failed requests")),
    }
}

/// How many processes and threads a model ran: the most over its measured runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Census {
    /// The run process and its worker processes.
    pub processes: usize,
    /// Most threads alive at once in each process, the run process first.
    pub threads: Vec<usize>,
    /// Threads each process started beside its main thread, however short-lived, the
    /// most over runs, the run process first; `null` where they cannot be counted
    /// (the `py-*` models, or a platform other than glibc Linux).
    #[serde(default)]
    pub threads_started: Option<Vec<usize>>,
}

/// The self-check of a cpu row (see `selfcheck`): every model runs the same kernel
/// on the same numbers, so the CPU time the kernel takes per item should be the
/// same in every model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelFigures {
    /// CPU seconds spent in the kernel per item, on the threads that ran it; the
    /// median over runs. Items too small to time (under about 50 µs of work: squares
    /// of n < 100,000, fib(n < 22)) are left out of it.
    pub cpu_per_item_s: f64,
    /// This model's kernel CPU per item over sequential's: the Hodges–Lehmann ratio
    /// of their runs. Far from 1 means the run's figures are biased (code layout,
    /// frequency scaling, a busy machine). `null` when sequential was not run.
    pub vs_sequential: Option<f64>,
    /// The rank test's 95 % interval of that ratio; `null` with too few runs.
    pub vs_sequential_ci: Option<[f64; 2]>,
}

/// The tasks job's settings, and what it did not run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasksSettings {
    /// Measured runs of each model at each count.
    pub runs: u32,
    /// The counts asked for, increasing.
    pub counts: Vec<usize>,
    /// Each task's wait on its timer, seconds.
    pub wait_s: f64,
    /// The async model's runtime threads.
    pub workers: usize,
    /// Models that do not hold N tasks at once, and were not run.
    pub not_held: Vec<Strategy>,
    /// Counts a model was not started at, and why.
    pub skipped: Vec<SkippedCount>,
}

/// A count a model was not started at: the reason, with the estimate it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedCount {
    pub strategy: Strategy,
    pub tasks: usize,
    pub reason: String,
}

/// The tasks job's own figures for one model at one count (medians over the runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TasksFigures {
    /// Tasks asked for, held at once.
    pub count: usize,
    /// Tasks started: `count`, or fewer when the OS refused one.
    pub started: usize,
    /// Seconds to start every task (until all wait at the gate).
    pub start_s: f64,
    /// `start_s / started`.
    pub start_per_task_s: f64,
    /// Seconds from the gate's opening to the last index back, minus the wait: how
    /// late N timers firing together were. `null` for a refused run.
    pub lateness_s: Option<f64>,
    /// The OS refused a task in some run: how many were running then, and why.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refused: Option<crate::workload::tasks::Refusal>,
    /// The model's memory per waiting task: the least-squares slope of memory (PSS,
    /// every run) against tasks over every count the model held; the same on each of
    /// its rows. `null` with fewer than two counts.
    pub memory_per_task_bytes: Option<f64>,
    /// The slope's 95 % interval (Student's t over the runs' points).
    pub memory_per_task_ci95: Option<[f64; 2]>,
    /// The intercept: the model's memory with no task, its fixed cost.
    pub fixed_bytes: Option<f64>,
}

/// The I/O job's own figures, over every request of every measured run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IoFigures {
    /// Requests per run.
    pub requests: usize,
    /// Body bytes per run (median run).
    pub bytes: u64,
    /// Requests per run / median wall time.
    pub requests_per_s: f64,
    pub latency_s: Latency,
    /// Failed requests over all measured runs, by kind.
    pub failures: BTreeMap<String, u64>,
    pub failed: u64,
    /// The most requests in flight at once in a run (the largest over runs), from
    /// each request's start time and latency on the machine's monotonic clock: what
    /// the model really overlapped, where efficiency would mean nothing.
    pub max_in_flight: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}
