//! threads: the classic thread pool. N OS threads pull items from one shared queue
//! (an atomic index into the input) until it is empty.
//!
//! CPU: Rust threads run truly in parallel, so unlike Python's GIL-bound threads this
//! scales with cores. I/O: each thread owns one blocking `ureq` agent, like a
//! `requests.Session` per thread; N requests are in flight at a time.
//!
//! Set-up is spawning the threads (and building their clients) up to the moment all
//! of them wait at a start gate; work starts when the gate opens. Teardown is joining
//! every thread (a scoped spawn). A thread the OS refuses to start (a resource limit)
//! is an error naming the OS's reason; the threads already started are sent home,
//! not left waiting.
//!
//! **Census:** 1 process, N + 1 threads alive at once — the N workers and the main
//! thread, which waits for them — and exactly N threads started, on both jobs (the
//! blocking client starts none: [`crate::workload::resolve`]).
//!
//! **Tasks** ([`Threads::run_tasks`]): a thread per task, with std's default stack
//! (2 MiB of address space, touched only as used), T + 1 threads alive at once and T
//! started. Each thread checks in at the start gate and waits; once all T are there
//! (memory is read then), the gate opens and each sleeps `--wait`, then sends its
//! index back. When the OS refuses a thread (`threads-max`, `pid_max`, a pids cgroup,
//! memory), no more are started, the gate sends those waiting home at once, every
//! one is joined, and the outcome records how many were running and why.
//!
//! One limit cannot be met that way: each thread maps [`MAPS_PER_THREAD`] memory
//! areas (its stack and std's signal stack, each with a guard page), and a thread
//! whose signal stack cannot be mapped past `vm.max_map_count` aborts the whole
//! process from inside std. So the model stops short of that limit itself, and
//! records it as the OS's refusal, naming it ([`map_limit`]). On a 2-core VM with
//! the default 65,530 that is about 16,000 threads, before `pid_max` (32,768).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::anyhow;

use super::{Model, ModelRun, StartGate};
use crate::census;
use crate::workload::io::{self, Fetch};
use crate::workload::tasks::{Refusal, Tally, TasksJob, TasksOutcome};
use crate::workload::{CpuJob, IoJob};

pub struct Threads;

impl Model for Threads {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        pool(&job.numbers, workers, || Ok(()), |(), &n| job.kernel.run(n))
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let max = job.client.max_body_bytes;
        pool(
            &job.urls,
            workers,
            || Ok(io::blocking_client(&job.client)),
            |client, url| io::fetch_blocking(client, url, max),
        )
    }

    fn run_tasks(&self, job: &TasksJob, _workers: usize) -> anyhow::Result<ModelRun<TasksOutcome>> {
        let gate = Arc::new(StartGate::default());
        let (returned, indices) = mpsc::channel::<usize>();
        let first = Instant::now();
        let mut threads = Vec::with_capacity(job.tasks);
        let mut refused = None;
        let maps = map_limit();
        for index in 0..job.tasks {
            if let Some((most, max_map_count)) = maps
                && index >= most
            {
                refused = Some(Refusal {
                    at: threads.len(),
                    reason: format!(
                        "vm.max_map_count {max_map_count}: a thread maps {MAPS_PER_THREAD} \
                         areas, and one that cannot aborts the process"
                    ),
                });
                break;
            }
            let gate = Arc::clone(&gate);
            let returned = returned.clone();
            let wait = job.wait;
            let task = move || {
                if gate.arrive_and_wait() {
                    std::thread::sleep(wait);
                }
                // The receiver outlives every sender.
                let _ = returned.send(index);
            };
            match std::thread::Builder::new().spawn(task) {
                Ok(thread) => threads.push(thread),
                Err(e) => {
                    refused = Some(Refusal {
                        at: threads.len(),
                        reason: e.to_string(),
                    });
                    break;
                }
            }
        }
        drop(returned);
        let started = threads.len();
        gate.wait_for(started);
        let start_s = first.elapsed().as_secs_f64();
        // Every task started is waiting at the gate.
        census::mark();
        let go = Instant::now();
        gate.open(refused.is_none());
        let mut tally = Tally::new(job.tasks);
        for index in indices {
            tally.record(index);
        }
        let back_s = go.elapsed().as_secs_f64();
        for thread in threads {
            thread
                .join()
                .map_err(|_| anyhow!("a task's thread panicked"))?;
        }
        census::mark();
        Ok(ModelRun {
            outputs: vec![tally.outcome(started, start_s, back_s, refused)],
            setup: Duration::ZERO,
            children: Vec::new(),
        })
    }
}

/// Runs `work` on every item with `workers` threads, each with its own state made by
/// `init`. Results in input order.
fn pool<I, S, T>(
    items: &[I],
    workers: usize,
    init: impl Fn() -> anyhow::Result<S> + Sync,
    work: impl Fn(&S, &I) -> T + Sync,
) -> anyhow::Result<ModelRun<T>>
where
    I: Sync,
    T: Send,
{
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let gate = StartGate::default();
    let init_error = Mutex::new(None);
    let (setup, per_thread, spawn_error) = std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(workers);
        let mut spawn_error = None;
        for index in 0..workers {
            let spawned = std::thread::Builder::new().spawn_scoped(scope, || {
                let state = init();
                if !gate.arrive_and_wait() {
                    return Vec::new();
                }
                let state = match state {
                    Ok(state) => state,
                    Err(e) => {
                        *init_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        return Vec::new();
                    }
                };
                let mut done = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    done.push((index, work(&state, item)));
                }
                done
            });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    spawn_error = Some(anyhow::Error::new(e).context(format!(
                        "cannot start worker thread {} of {workers}",
                        index + 1
                    )));
                    break;
                }
            }
        }
        if spawn_error.is_none() {
            // Every worker exists now, and none can finish before the gate opens.
            gate.wait_for(workers);
            census::mark();
        }
        // Those started are released either way: to work, or home.
        gate.open(spawn_error.is_none());
        let setup = started.elapsed();
        let per_thread: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (setup, per_thread, spawn_error)
    });
    if let Some(e) = spawn_error {
        return Err(e);
    }
    if let Some(e) = init_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut slots: Vec<Option<T>> = items.iter().map(|_| None).collect();
    for done in per_thread {
        let done = done.map_err(|_| anyhow!("a worker thread panicked"))?;
        for (index, output) in done {
            slots[index] = Some(output);
        }
    }
    let outputs = slots
        .into_iter()
        .collect::<Option<Vec<T>>>()
        .ok_or_else(|| anyhow!("a worker thread left an item undone"))?;
    Ok(ModelRun {
        outputs,
        setup,
        children: Vec::new(),
    })
}

/// Memory areas a std thread maps: its stack and its signal stack, each with a
/// guard page (4,066 areas for 1,000 waiting threads, measured).
pub const MAPS_PER_THREAD: usize = 4;

/// Areas kept free for everything else the process maps while its threads wait.
const MAPS_SPARE: usize = 512;

/// The most threads this process can start before its memory areas would pass
/// `vm.max_map_count`, and that limit; `None` when either cannot be read.
fn map_limit() -> Option<(usize, usize)> {
    let max: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = std::fs::read_to_string("/proc/self/maps")
        .ok()?
        .lines()
        .count();
    Some((max.saturating_sub(now + MAPS_SPARE) / MAPS_PER_THREAD, max))
}
