//! sequential: the baseline every speedup is measured against.
//!
//! CPU: a plain loop. I/O: one blocking `ureq` agent (so one kept-alive connection per
//! host), one request at a time, on the one thread. No set-up beyond building that
//! agent.
//!
//! **Census:** 1 process, 1 thread — the thread that runs the loop — and 0 threads
//! started. Nothing else is started: the blocking client does its I/O, and finds
//! its host's address, on the calling thread ([`crate::workload::resolve`]).

use std::time::Instant;

use super::{Model, ModelRun};
use crate::census;
use crate::strategy::Strategy;
use crate::workload::io::{self, Fetch};
use crate::workload::tasks::{TasksJob, TasksOutcome};
use crate::workload::{CpuJob, IoJob};

pub struct Sequential;

impl Model for Sequential {
    fn run_cpu(&self, job: &CpuJob, _workers: usize) -> anyhow::Result<ModelRun<u128>> {
        census::mark();
        let outputs = job.numbers.iter().map(|&n| job.kernel.run(n)).collect();
        census::mark();
        Ok(ModelRun {
            outputs,
            setup: Default::default(),
            children: Vec::new(),
        })
    }

    fn run_io(&self, job: &IoJob, _workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let started = Instant::now();
        let agent = io::blocking_client(&job.client);
        let setup = started.elapsed();
        census::mark();
        let max = job.client.max_body_bytes;
        let outputs = job
            .urls
            .iter()
            .map(|url| io::fetch_blocking(&agent, url, max))
            .collect();
        census::mark();
        Ok(ModelRun {
            outputs,
            setup,
            children: Vec::new(),
        })
    }

    /// Not held: one task at a time is what sequential means; N waiting tasks would be N waits in a row.
    fn run_tasks(
        &self,
        _job: &TasksJob,
        _workers: usize,
    ) -> anyhow::Result<ModelRun<TasksOutcome>> {
        Err(super::holds_no_tasks(
            Strategy::Sequential,
            "one task at a time is what sequential means; N waiting tasks would be N waits in a row",
        ))
    }
}
