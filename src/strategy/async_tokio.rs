//! async: a tokio multi-thread runtime with N worker threads.
//!
//! I/O: what async is for. One shared `reqwest::Client` (one connection pool), a task
//! per URL, all in flight at once up to `--concurrency` (a semaphore, whose permit is
//! taken before the task is spawned), so the whole job takes about one latency
//! instead of one per request or per pool slot. The job runs as one task on the
//! workers ([`fetch_all`]); the main thread only waits for it.
//!
//! CPU: what a Rust user who reaches for async would write — `tokio::spawn` one task
//! per number and await them in order. The tasks run on the runtime's N worker threads
//! in parallel, so it scales like a thread pool; but each task blocks its worker for
//! the whole computation, which in a real server would starve every other task on that
//! worker. (`spawn_blocking` or rayon is the right tool there.) The table shows the
//! former's cost is small here; the latter's is not measurable by a batch job.
//!
//! Set-up is [`Runtime::start`] (probing that the worker threads can be had, see
//! below; building the runtime; waiting until every worker thread has started,
//! `on_thread_start`) and, for I/O, building the client. Like every model's set-up
//! it lies inside the wall time, and all of it is counted in `setup`, the probe
//! included. Teardown is dropping the runtime and waiting until every runtime thread
//! has stopped (`on_thread_stop`).
//!
//! **Census:** 1 process, N + 1 threads alive at once — the runtime's N workers and
//! the main thread, which drives `block_on` and waits for the job's task — and 2N threads
//! started: the N probe threads below, joined before the runtime is built, and the N
//! workers. tokio's blocking pool stays empty: nothing here calls `spawn_blocking`,
//! reqwest connects to an IP address without a lookup, and a host name is answered
//! by concbench's resolver from the table made before the clock
//! ([`crate::workload::resolve`]), not on a blocking-pool thread.
//!
//! **When the OS refuses a thread** (a thread or memory limit), tokio 1.x does not
//! return an error: the builder panics and its unwinding then waits for ever on the
//! workers it did start, or, for a temporary error, the missing worker is silently
//! never started. So the first step of [`Runtime::start`], before the runtime is
//! built, is [`probe_threads`]: it starts and joins `workers` threads of tokio's
//! stack size, and a refusal there is a one-line error naming the thread and the OS
//! reason. The probe is a cost no other model pays (starting and joining N threads
//! once more per run); it is part of async's set-up, so it shows in `setup` rather
//! than only in the wall time. Waiting for the workers to start is bounded too
//! ([`START_LIMIT`]).

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{Arrivals, Model, ModelRun, StartGate};
use crate::census;
use crate::workload::io::{self, Fetch};
use crate::workload::tasks::{Tally, TasksJob, TasksOutcome};
use crate::workload::{CpuJob, IoJob};

pub struct AsyncTokio;

/// A runtime of `workers` threads, and the counts of its threads started and stopped.
struct Runtime {
    runtime: tokio::runtime::Runtime,
    started: Arc<Arrivals>,
    stopped: Arc<Arrivals>,
}

/// How long the runtime's workers may take to start before the run is an error.
const START_LIMIT: Duration = Duration::from_secs(30);

/// tokio's default worker stack size (2 MiB), so the probe asks the OS for what the
/// runtime will.
const TOKIO_STACK_BYTES: usize = 2 << 20;

/// Starts `workers` threads that wait until all are started (or one was refused),
/// then joins them. `Err` names the first thread the OS refused and why.
fn probe_threads(workers: usize) -> anyhow::Result<()> {
    let alive_before = census::threads_now();
    let (release, wait) = mpsc::channel::<()>();
    let wait = std::sync::Mutex::new(wait);
    let probed = std::thread::scope(|scope| {
        for index in 0..workers {
            let wait = &wait;
            std::thread::Builder::new()
                .stack_size(TOKIO_STACK_BYTES)
                .spawn_scoped(scope, move || {
                    // Returns when `release` is dropped: every probe is then alive.
                    let _ = wait.lock().map(|w| w.recv());
                })
                .with_context(|| {
                    format!("cannot start worker thread {} of {workers}", index + 1)
                })?;
        }
        drop(release);
        Ok(())
    });
    // A joined thread can linger in /proc/self/task for a moment while the kernel
    // releases it, and the census would count it beside the runtime's workers.
    // Wait (bounded) until the probes are gone from there too.
    let gone_by = Instant::now() + PROBE_GONE_LIMIT;
    while census::threads_now() > alive_before && Instant::now() < gone_by {
        std::thread::yield_now();
    }
    probed
}

/// How long the probe threads may take to leave `/proc/self/task` once joined.
const PROBE_GONE_LIMIT: Duration = Duration::from_millis(100);

impl Runtime {
    /// Probes that `workers` threads can be had ([`probe_threads`]), builds the
    /// runtime, and returns once every worker thread is running: the whole of the
    /// runtime's set-up, so a caller's set-up clock around it counts the probe too.
    fn start(workers: usize) -> anyhow::Result<Runtime> {
        probe_threads(workers)?;
        let started = Arc::new(Arrivals::default());
        let stopped = Arc::new(Arrivals::default());
        let (on_start, on_stop) = (started.clone(), stopped.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .on_thread_start(move || on_start.arrive())
            .on_thread_stop(move || on_stop.arrive())
            .build()
            .context("building the tokio runtime")?;
        if !started.wait_for_within(workers, START_LIMIT) {
            anyhow::bail!(
                "tokio started only {} of its {workers} worker threads within {} s",
                started.count(),
                START_LIMIT.as_secs()
            );
        }
        Ok(Runtime {
            runtime,
            started,
            stopped,
        })
    }

    /// Drops the runtime and waits until every thread it started has stopped.
    fn shut_down(self) {
        drop(self.runtime);
        self.stopped.wait_for(self.started.count());
    }
}

impl Model for AsyncTokio {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let started = Instant::now();
        let runtime = Runtime::start(workers)?;
        let setup = started.elapsed();
        census::mark();
        let kernel = job.kernel;
        let outputs = runtime.runtime.block_on(async {
            let tasks: Vec<_> = job
                .numbers
                .iter()
                .map(|&n| tokio::spawn(async move { kernel.run(n) }))
                .collect();
            let mut outputs = Vec::with_capacity(tasks.len());
            for task in tasks {
                outputs.push(task.await.context("a task panicked")?);
            }
            census::mark();
            anyhow::Ok(outputs)
        })?;
        runtime.shut_down();
        Ok(ModelRun {
            outputs,
            setup,
            children: Vec::new(),
        })
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let urls = io::parse_urls(&job.urls)?;
        let started = Instant::now();
        let runtime = Runtime::start(workers)?;
        let client = io::async_client(&job.client, &job.urls)?;
        let setup = started.elapsed();
        census::mark();
        let fetches = fetch_all(client, urls, job.client.max_body_bytes, job.concurrency);
        // The whole job is one task on the workers, and the main thread sleeps in
        // `block_on` until it ends. Taking the permits on the main thread instead
        // would wake it from the workers each time one is given back: five times
        // the context switches, and a quarter more CPU, at latency 0.
        let outputs = runtime
            .runtime
            .block_on(runtime.runtime.spawn(fetches))
            .context("the I/O job's task panicked")??;
        runtime.shut_down();
        Ok(ModelRun {
            outputs,
            setup,
            children: Vec::new(),
        })
    }

    fn run_tasks(&self, job: &TasksJob, workers: usize) -> anyhow::Result<ModelRun<TasksOutcome>> {
        let started = Instant::now();
        let runtime = Runtime::start(workers)?;
        let setup = started.elapsed();
        let outcome = hold_tasks(&runtime.runtime, workers, job.tasks, job.wait)?;
        runtime.shut_down();
        Ok(ModelRun {
            outputs: vec![outcome],
            setup,
            children: Vec::new(),
        })
    }
}

/// Spawns `tasks` tasks, each of which sleeps `wait` and returns its index, while
/// every worker thread is held at a start gate by a task of its own: so no task is
/// polled, and no timer starts, before all of them exist. Memory is read then (every
/// task's allocation holds its whole future), the gate opens, and the indices are
/// tallied as the timers fire. A task costs what `tokio::spawn(sleep)` costs, with
/// no gate inside it.
fn hold_tasks(
    runtime: &tokio::runtime::Runtime,
    workers: usize,
    tasks: usize,
    wait: Duration,
) -> anyhow::Result<TasksOutcome> {
    let gate = Arc::new(StartGate::default());
    let holders: Vec<tokio::task::JoinHandle<()>> = (0..workers)
        .map(|_| {
            let gate = Arc::clone(&gate);
            // Blocks its worker on purpose, until every task is spawned.
            runtime.spawn(async move {
                gate.arrive_and_wait();
            })
        })
        .collect();
    gate.wait_for(workers);
    let first = Instant::now();
    let handles: Vec<tokio::task::JoinHandle<usize>> = (0..tasks)
        .map(|index| {
            runtime.spawn(async move {
                tokio::time::sleep(wait).await;
                index
            })
        })
        .collect();
    let start_s = first.elapsed().as_secs_f64();
    census::mark();
    let go = Instant::now();
    gate.open(true);
    let tally = runtime.block_on(async {
        for holder in holders {
            holder.await.context("a gate task panicked")?;
        }
        let mut tally = Tally::new(tasks);
        for handle in handles {
            tally.record(handle.await.context("a task panicked")?);
        }
        anyhow::Ok(tally)
    })?;
    let back_s = go.elapsed().as_secs_f64();
    census::mark();
    Ok(tally.outcome(tasks, start_s, back_s, None))
}

/// GETs every URL on the runtime, at most `concurrency` at once, and returns the
/// fetches in the order of `urls`. Drops the client (its pool of connections) at the
/// end.
///
/// A task's permit is taken before the task is spawned (as mini-redis does before it
/// accepts), so at most `concurrency` tasks exist at once and the memory of a run
/// does not grow with `--requests`: spawning every task up front and letting each
/// wait for its permit cost about 1 KiB per request, 1 GB at the largest
/// `--requests`. Finished tasks are reaped as new ones start.
async fn fetch_all(
    client: reqwest::Client,
    urls: Vec<reqwest::Url>,
    max_body: u64,
    concurrency: usize,
) -> anyhow::Result<Vec<Fetch>> {
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut fetches: Vec<Option<Fetch>> = vec![None; urls.len()];
    let mut tasks = JoinSet::new();
    let mut keep = |done: Result<(usize, Fetch), tokio::task::JoinError>| {
        let (index, fetch) = done.context("a task panicked")?;
        fetches[index] = Some(fetch);
        anyhow::Ok(())
    };
    for (index, url) in urls.into_iter().enumerate() {
        let permit = limit.clone().acquire_owned().await?;
        let client = client.clone();
        tasks.spawn(async move {
            let fetch = io::fetch_async(&client, url, max_body).await;
            // hyper hands a finished connection back to the pool from a task of its
            // own. Yield once so that it runs before the permit lets the next request
            // look for an idle connection; otherwise that request often finds none
            // and opens another (about 45 % more connections at --concurrency 64).
            tokio::task::yield_now().await;
            drop(permit);
            (index, fetch)
        });
        while let Some(done) = tasks.try_join_next() {
            keep(done)?;
        }
    }
    while let Some(done) = tasks.join_next().await {
        keep(done)?;
    }
    census::mark();
    Ok(fetches
        .into_iter()
        .map(|fetch| fetch.expect("every task was joined"))
        .collect())
}
