//! rayon: a work-stealing pool of N threads driven by `par_iter`.
//!
//! CPU: what rayon is for; work stealing keeps both cores busy. I/O: the same
//! blocking fetch as the threads model, one shared blocking client, under
//! `par_iter` — it shows what a CPU pool does with I/O: at most N requests in flight,
//! each thread blocked on the network, exactly like a thread pool of N.
//!
//! Set-up is building the pool (rayon spawns its threads there) and the client.

use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;

use super::{Model, ModelRun};
use crate::workload::io::{self, Fetch};
use crate::workload::{CpuJob, IoJob};

pub struct RayonPool;

fn build_pool(workers: usize) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .context("building the rayon pool")
}

impl Model for RayonPool {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let started = Instant::now();
        let pool = build_pool(workers)?;
        let setup = started.elapsed();
        let outputs = pool.install(|| job.numbers.par_iter().map(|&n| job.kernel.run(n)).collect());
        Ok(ModelRun { outputs, setup })
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let started = Instant::now();
        let pool = build_pool(workers)?;
        let client = io::blocking_client(&job.client)?;
        let setup = started.elapsed();
        let max = job.client.max_body_bytes;
        let outputs = pool.install(|| {
            // One URL per rayon job: the default splitting would hand each thread a
            // contiguous block, which is fine for equal work but not what we measure.
            job.urls
                .par_iter()
                .with_max_len(1)
                .map(|url| io::fetch_blocking(&client, url, max))
                .collect()
        });
        Ok(ModelRun { outputs, setup })
    }
}
