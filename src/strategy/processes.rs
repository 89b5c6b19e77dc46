//! processes: a pre-forked pool of N worker processes, each this same binary
//! re-executed as `concbench worker`, fed tasks over its stdin pipe and answering on
//! its stdout (the protocol is in [`crate::worker::protocol`]).
//!
//! The pattern is Python's `multiprocessing.Pool`: fork the workers once, run an
//! initializer in each (for I/O: build one blocking HTTP client per worker), hand out
//! tasks (`call_async`), collect answers (`call_await`), then tell every worker to
//! exit and wait for it (`join`). Each worker has a few tasks queued ([`window`]) and
//! gets more as soon as it answers, so it never waits a round trip for work; tasks
//! and answers travel in batches, one write each, and a worker answers in one write
//! whatever it has done when no more requests are waiting. Results are put back in
//! input order by task id.
//!
//! The parent side is one thread: it waits on every worker's stdout at once with
//! `poll(2)` ([`crate::worker::parent`]) rather than keeping a reader thread per
//! worker.
//!
//! Set-up is spawning the workers up to the moment each has answered `Ready`.
//! Teardown is each worker answering `Shutdown` with its own census and exiting, and
//! being reaped. Every worker is always reaped: on success by
//! [`ProcessPool::shutdown`], on any error by dropping its
//! [`WorkerProcess`]es, which kills and waits for whatever is still running.
//!
//! **Census:** N + 1 processes — the run process with 1 thread (this pool) and N
//! worker processes of 1 thread each — and 0 threads started in any of them. Memory
//! is the sum of all N + 1 peaks, so the cost of every extra worker process shows.

use std::time::Instant;

use anyhow::{Context, anyhow, bail};

use super::{Model, ModelRun};
use crate::census::{self, ProcessCensus};
use crate::strategy::Strategy;
use crate::worker::parent::{WorkerProcess, next_response, read_response};
use crate::worker::protocol::{Request, Response, Task, TaskOutput, WorkerInit};
use crate::workload::io::Fetch;
use crate::workload::tasks::{TasksJob, TasksOutcome};
use crate::workload::{CpuJob, IoJob};

/// Tasks queued per worker at once: an eighth of its share of the tasks, between 2
/// and 64. Two are enough to hide the round trip when tasks are long; many tiny tasks
/// need more, or each would wait for a write and a wake-up of its own. Capping it at
/// an eighth of the share keeps the last tasks spread over every worker.
fn window(tasks: usize, workers: usize) -> usize {
    (tasks / workers.max(1) / 8).clamp(2, 64)
}

pub struct Processes;

impl Model for Processes {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let kernel = job.kernel;
        let tasks = job
            .numbers
            .iter()
            .map(|&n| Task::Cpu { kernel, n })
            .collect();
        run_pool(workers, &WorkerInit::Cpu, tasks, |output| match output {
            TaskOutput::Cpu(value) => Ok(value),
            other => Err(anyhow!("a worker answered a cpu task with {other:?}")),
        })
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let tasks = job
            .urls
            .iter()
            .map(|url| Task::Fetch { url: url.clone() })
            .collect();
        let init = WorkerInit::Io(job.client.clone());
        run_pool(workers, &init, tasks, |output| match output {
            TaskOutput::Fetch(fetch) => Ok(fetch),
            other => Err(anyhow!("a worker answered a fetch task with {other:?}")),
        })
    }

    /// Not held: the pool feeds items to N pre-forked workers, one at a time each; spawn is the model with a process per task.
    fn run_tasks(
        &self,
        _job: &TasksJob,
        _workers: usize,
    ) -> anyhow::Result<ModelRun<TasksOutcome>> {
        Err(super::holds_no_tasks(
            Strategy::Processes,
            "the pool feeds items to N pre-forked workers, one at a time each; spawn is the model with a process per task",
        ))
    }
}

/// Starts a pool (the set-up), maps the tasks over it, shuts it down, and unwraps
/// each output with `expect`.
fn run_pool<T>(
    workers: usize,
    init: &WorkerInit,
    tasks: Vec<Task>,
    expect: impl Fn(TaskOutput) -> anyhow::Result<T>,
) -> anyhow::Result<ModelRun<T>> {
    let started = Instant::now();
    let mut pool = ProcessPool::start(workers, init)?;
    let setup = started.elapsed();
    census::mark();
    let outputs = pool.map(tasks)?;
    let children = pool.shutdown()?;
    let outputs = outputs
        .into_iter()
        .map(expect)
        .collect::<anyhow::Result<_>>()?;
    Ok(ModelRun {
        outputs,
        setup,
        children,
    })
}

/// A running pool of worker processes.
pub struct ProcessPool {
    workers: Vec<WorkerProcess>,
}

impl ProcessPool {
    /// Spawns `size` workers, runs `init` in each, and waits until all are ready.
    pub fn start(size: usize, init: &WorkerInit) -> anyhow::Result<ProcessPool> {
        let exe = std::env::current_exe().context("finding concbench's own executable")?;
        let mut pool = ProcessPool {
            workers: Vec::with_capacity(size),
        };
        for index in 0..size {
            let mut worker = WorkerProcess::start(&exe, format!("pool worker {index}"))?;
            worker.send(&Request::Init { init: init.clone() })?;
            pool.workers.push(worker);
        }
        for _ in 0..size {
            match next_response(&mut pool.workers)? {
                (_, Response::Ready) => {}
                (index, other) => bail!("pool worker {index} answered {other:?} to its init"),
            }
        }
        Ok(pool)
    }

    /// Runs every task on the pool; outputs in input order.
    ///
    /// Each worker has at most [`window`] tasks queued. Whenever answers arrive, every
    /// answer already read is taken, and each worker that answered gets as many new
    /// tasks in one write: a system call per batch, not per task.
    pub fn map(&mut self, tasks: Vec<Task>) -> anyhow::Result<Vec<TaskOutput>> {
        let window = window(tasks.len(), self.workers.len());
        let mut outputs: Vec<Option<TaskOutput>> = tasks.iter().map(|_| None).collect();
        let mut pending = tasks.into_iter().enumerate();
        let mut in_flight = 0usize;
        let mut freed = vec![window; self.workers.len()];
        loop {
            for (index, free) in freed.iter_mut().enumerate() {
                let batch: Vec<Request> = pending
                    .by_ref()
                    .take(*free)
                    .map(|(id, task)| Request::Task {
                        id: id as u64,
                        task,
                    })
                    .collect();
                if !batch.is_empty() {
                    self.workers[index].send_all(&batch)?;
                    in_flight += batch.len();
                }
                *free = 0;
            }
            if in_flight == 0 {
                break;
            }
            let mut answer = Some(next_response(&mut self.workers)?);
            while let Some((index, response)) = answer {
                let Response::Done { id, output } = response else {
                    bail!("pool worker {index} answered {response:?} to a task");
                };
                let slot = usize::try_from(id)
                    .ok()
                    .and_then(|id| outputs.get_mut(id))
                    .filter(|slot| slot.is_none())
                    .ok_or_else(|| {
                        anyhow!("pool worker {index} answered task {id}, never asked")
                    })?;
                *slot = Some(output);
                in_flight -= 1;
                freed[index] += 1;
                answer = read_response(&mut self.workers)?;
            }
        }
        outputs
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| anyhow!("a task was never answered"))
    }

    /// Tells every worker to exit, collects the census each sends back, then waits for
    /// each; a worker that exits with an error status is an error.
    pub fn shutdown(mut self) -> anyhow::Result<Vec<ProcessCensus>> {
        for worker in &mut self.workers {
            worker.send(&Request::Shutdown)?;
            worker.close();
        }
        let mut censuses: Vec<Option<ProcessCensus>> = vec![None; self.workers.len()];
        for _ in 0..self.workers.len() {
            match next_response(&mut self.workers)? {
                (index, Response::Bye { census }) => censuses[index] = Some(census),
                (index, other) => bail!("pool worker {index} answered {other:?} to shutdown"),
            }
        }
        for worker in &mut self.workers {
            worker.reap()?;
        }
        censuses
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| anyhow!("a pool worker sent no census"))
    }
}
