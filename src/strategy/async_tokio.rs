//! async: a tokio multi-thread runtime with N worker threads.
//!
//! I/O: what async is for. One shared `reqwest::Client` (one connection pool), a task
//! per URL, all in flight at once up to `--concurrency` (a semaphore), so the whole
//! job takes about one latency instead of one per request or per pool slot.
//!
//! CPU: what a Rust user who reaches for async would write — `tokio::spawn` one task
//! per number and await them in order. The tasks run on the runtime's N worker threads
//! in parallel, so it scales like a thread pool; but each task blocks its worker for
//! the whole computation, which in a real server would starve every other task on that
//! worker. (`spawn_blocking` or rayon is the right tool there.) The table shows the
//! former's cost is small here; the latter's is not measurable by a batch job.
//!
//! Set-up is building the runtime (it spawns its worker threads) and the client.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio::sync::Semaphore;

use super::{Model, ModelRun};
use crate::workload::io::{self, Fetch};
use crate::workload::{CpuJob, IoJob};

pub struct AsyncTokio;

fn build_runtime(workers: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .context("building the tokio runtime")
}

impl Model for AsyncTokio {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let started = Instant::now();
        let runtime = build_runtime(workers)?;
        let setup = started.elapsed();
        let kernel = job.kernel;
        let outputs = runtime.block_on(async {
            let tasks: Vec<_> = job
                .numbers
                .iter()
                .map(|&n| tokio::spawn(async move { kernel.run(n) }))
                .collect();
            let mut outputs = Vec::with_capacity(tasks.len());
            for task in tasks {
                outputs.push(task.await.context("a task panicked")?);
            }
            anyhow::Ok(outputs)
        })?;
        drop(runtime);
        Ok(ModelRun { outputs, setup })
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let started = Instant::now();
        let runtime = build_runtime(workers)?;
        let client = io::async_client(&job.client)?;
        let setup = started.elapsed();
        let max = job.client.max_body_bytes;
        let limit = Arc::new(Semaphore::new(job.concurrency));
        let outputs = runtime.block_on(async {
            let tasks: Vec<_> = job
                .urls
                .iter()
                .map(|url| {
                    let (client, url, limit) = (client.clone(), url.clone(), limit.clone());
                    tokio::spawn(async move {
                        let _permit = limit.acquire_owned().await?;
                        anyhow::Ok(io::fetch_async(&client, &url, max).await)
                    })
                })
                .collect();
            let mut outputs = Vec::with_capacity(tasks.len());
            for task in tasks {
                outputs.push(task.await.context("a task panicked")??);
            }
            anyhow::Ok(outputs)
        })?;
        drop(client);
        drop(runtime);
        Ok(ModelRun { outputs, setup })
    }
}
