//! sequential: the baseline every speedup is measured against.
//!
//! CPU: a plain loop. I/O: one blocking client (so one kept-alive connection per
//! host), one request at a time. No set-up beyond building that client.

use std::time::Instant;

use super::{Model, ModelRun};
use crate::workload::io::{self, Fetch};
use crate::workload::{CpuJob, IoJob};

pub struct Sequential;

impl Model for Sequential {
    fn run_cpu(&self, job: &CpuJob, _workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let outputs = job.numbers.iter().map(|&n| job.kernel.run(n)).collect();
        Ok(ModelRun {
            outputs,
            setup: Default::default(),
        })
    }

    fn run_io(&self, job: &IoJob, _workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let started = Instant::now();
        let client = io::blocking_client(&job.client)?;
        let setup = started.elapsed();
        let max = job.client.max_body_bytes;
        let outputs = job
            .urls
            .iter()
            .map(|url| io::fetch_blocking(&client, url, max))
            .collect();
        Ok(ModelRun { outputs, setup })
    }
}
