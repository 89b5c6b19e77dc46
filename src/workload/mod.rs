//! The three jobs concbench times: what one unit of work is, and what its result must be.
//!
//! - [`cpu`]: sum of squares (or fib) per number, with its closed-form check.
//! - [`io`]: one HTTP download per URL, its outcome, and the sites-file parser.
//! - [`resolve`]: host addresses for the blocking client, with no thread.
//! - [`tasks`]: N tasks that wait on a timer at once, and the tally of their indices.
//!
//! A [`Job`] is what a measured run is handed; it crosses a process boundary (parent
//! to run process, run process to pool workers), so it is plain serde data.

pub mod cpu;
pub mod io;
pub mod resolve;
pub mod tasks;

use serde::{Deserialize, Serialize};

use cpu::Kernel;
use io::{ClientSettings, Fetch};
use tasks::{TasksJob, TasksOutcome};

/// The CPU job: run `kernel` once per number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuJob {
    pub kernel: Kernel,
    /// The items, in order; results come back in the same order.
    pub numbers: Vec<u64>,
}

/// The I/O job: GET every URL once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IoJob {
    /// The requests, in order (a sites list already repeated `--repeat` times).
    pub urls: Vec<String>,
    pub client: ClientSettings,
    /// Most requests in flight at once in the async model.
    pub concurrency: usize,
}

/// One of the three jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "workload", rename_all = "lowercase")]
pub enum Job {
    Cpu(CpuJob),
    Io(IoJob),
    Tasks(TasksJob),
}

impl Job {
    pub fn workload(&self) -> Workload {
        match self {
            Job::Cpu(_) => Workload::Cpu,
            Job::Io(_) => Workload::Io,
            Job::Tasks(_) => Workload::Tasks,
        }
    }
}

/// The name of a job, as it appears in tables, reports and `--expect` paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    Cpu,
    Io,
    Tasks,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Cpu => "cpu",
            Workload::Io => "io",
            Workload::Tasks => "tasks",
        }
    }
}

/// What a model produced for a job, in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outputs {
    Cpu(Vec<u128>),
    Io(Vec<Fetch>),
    Tasks(TasksOutcome),
}
