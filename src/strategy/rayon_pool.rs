//! rayon: a work-stealing pool of N threads driven by `par_iter`.
//!
//! CPU: what rayon is for; work stealing keeps both cores busy. I/O: the same
//! blocking fetch as the threads model, one shared blocking `ureq` agent, under
//! `par_iter` — it shows what a CPU pool does with I/O: at most N requests in flight,
//! each thread blocked on the network, exactly like a thread pool of N.
//!
//! The pool is a scoped one ([`rayon::ThreadPoolBuilder::build_scoped`]), so the
//! timed region follows the rule of every model: set-up ends when all N pool threads
//! are running (each checks in before it starts taking work), and teardown ends when
//! every one of them has been joined. A plain `ThreadPool` is dropped without joining
//! its threads, which would leave their exit out of the time.
//!
//! **Census:** 1 process, N + 1 threads alive at once — the N pool threads and the
//! main thread, which waits in `install` while they work — and exactly N threads
//! started.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::{Arrivals, Model, ModelRun};
use crate::census;
use crate::strategy::Strategy;
use crate::workload::io::{self, Fetch};
use crate::workload::tasks::{TasksJob, TasksOutcome};
use crate::workload::{CpuJob, IoJob};

pub struct RayonPool;

/// Runs `work` on a scoped pool of `workers` threads; returns its result and the
/// set-up time (from `started` to every pool thread running).
fn with_pool<T: Send>(
    workers: usize,
    started: Instant,
    work: impl FnOnce() -> T + Send,
) -> anyhow::Result<(T, Duration)> {
    let running = Arrivals::default();
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build_scoped(
            |thread| {
                running.arrive();
                thread.run()
            },
            |pool| {
                running.wait_for(workers);
                let setup = started.elapsed();
                census::mark();
                let result = pool.install(work);
                census::mark();
                (result, setup)
            },
        )
        // The error's Display already carries the OS reason; its source would repeat it.
        .map_err(|e| anyhow::anyhow!("cannot start the rayon pool of {workers} threads: {e}"))
}

impl Model for RayonPool {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let started = Instant::now();
        let (outputs, setup) = with_pool(workers, started, || {
            job.numbers.par_iter().map(|&n| job.kernel.run(n)).collect()
        })?;
        Ok(ModelRun {
            outputs,
            setup,
            children: Vec::new(),
        })
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let started = Instant::now();
        let agent = io::blocking_client(&job.client);
        let max = job.client.max_body_bytes;
        let (outputs, setup) = with_pool(workers, started, || {
            // One URL per rayon job: the default splitting would hand each thread a
            // contiguous block, which is fine for equal work but not what we measure.
            job.urls
                .par_iter()
                .with_max_len(1)
                .map(|url| io::fetch_blocking(&agent, url, max))
                .collect()
        })?;
        Ok(ModelRun {
            outputs,
            setup,
            children: Vec::new(),
        })
    }

    /// Not held: rayon runs items on N worker threads, and a blocked item blocks its worker; N waiting tasks would wait N / workers at a time.
    fn run_tasks(
        &self,
        _job: &TasksJob,
        _workers: usize,
    ) -> anyhow::Result<ModelRun<TasksOutcome>> {
        Err(super::holds_no_tasks(
            Strategy::Rayon,
            "rayon runs items on N worker threads, and a blocked item blocks its worker; N waiting tasks would wait N / workers at a time",
        ))
    }
}
