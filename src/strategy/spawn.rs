//! spawn: a process per task. Every item runs in a freshly started process — this
//! binary re-executed as `concbench worker` — with at most N alive at once.
//!
//! This is where the classic recipe starts (`call_async`, one new process per call;
//! Python's `multiprocessing.Process` per item, Celery's solo pool) before it pre-forks
//! a pool to stop paying start-up on every call. Beside `processes` in one table, it
//! shows what the pre-forked pool saves: here every task pays a whole process start
//! (exec, the dynamic loader, the runtime's start) and, for I/O, a fresh HTTP client
//! and connection.
//!
//! Each process gets its three messages at once — `Init`, its one `Task`, `Shutdown` —
//! answers `Ready`, `Done` and `Bye` (with its census), and exits; the parent reaps it
//! and starts the next while any task is left. Results are put back in input order by
//! task id. There is no set-up: start-up is paid inside the work, per task.
//!
//! **Census:** 1 + T processes for T tasks — the run process with 1 thread (it waits
//! on the children's pipes with `poll(2)`, [`crate::worker::parent`]) and one
//! single-threaded process per task, at most N alive at once — and 0 threads started
//! in any of them. Memory counts the run
//! process and the N largest task processes, the most that can be alive together.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use super::{Model, ModelRun};
use crate::census;
use crate::worker::parent::{WorkerProcess, next_response};
use crate::worker::protocol::{Request, Response, Task, TaskOutput, WorkerInit};
use crate::workload::io::Fetch;
use crate::workload::{CpuJob, IoJob};

pub struct Spawn;

impl Model for Spawn {
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>> {
        let kernel = job.kernel;
        let tasks = job
            .numbers
            .iter()
            .map(|&n| Task::Cpu { kernel, n })
            .collect();
        run_spawned(workers, &WorkerInit::Cpu, tasks, |output| match output {
            TaskOutput::Cpu(value) => Ok(value),
            other => Err(anyhow!("a task process answered a cpu task with {other:?}")),
        })
    }

    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
        let tasks = job
            .urls
            .iter()
            .map(|url| Task::Fetch { url: url.clone() })
            .collect();
        let init = WorkerInit::Io(job.client.clone());
        run_spawned(workers, &init, tasks, |output| match output {
            TaskOutput::Fetch(fetch) => Ok(fetch),
            other => Err(anyhow!(
                "a task process answered a fetch task with {other:?}"
            )),
        })
    }
}

/// Runs each task in a process of its own, at most `workers` at once; outputs in
/// input order, each unwrapped with `expect`.
fn run_spawned<T>(
    workers: usize,
    init: &WorkerInit,
    tasks: Vec<Task>,
    expect: impl Fn(TaskOutput) -> anyhow::Result<T>,
) -> anyhow::Result<ModelRun<T>> {
    let exe = std::env::current_exe().context("finding concbench's own executable")?;
    let mut outputs: Vec<Option<TaskOutput>> = tasks.iter().map(|_| None).collect();
    let mut children = Vec::with_capacity(tasks.len());
    let mut pending = tasks.into_iter().enumerate();
    let mut alive: Vec<WorkerProcess> = Vec::with_capacity(workers);
    census::mark();
    loop {
        while alive.len() < workers {
            let Some((id, task)) = pending.next() else {
                break;
            };
            let mut process = WorkerProcess::start(&exe, format!("task {id}'s process"))?;
            process.send(&Request::Init { init: init.clone() })?;
            process.send(&Request::Task {
                id: id as u64,
                task,
            })?;
            process.send(&Request::Shutdown)?;
            process.close();
            alive.push(process);
        }
        if alive.is_empty() {
            break;
        }
        let (index, response) = next_response(&mut alive)?;
        match response {
            Response::Ready => {}
            Response::Done { id, output } => {
                let slot = usize::try_from(id)
                    .ok()
                    .and_then(|id| outputs.get_mut(id))
                    .filter(|slot| slot.is_none())
                    .ok_or_else(|| anyhow!("{} answered task {id}", alive[index].name))?;
                *slot = Some(output);
            }
            Response::Bye { census } => {
                children.push(census);
                alive.swap_remove(index).reap()?;
            }
            other => bail!("{} answered {other:?}", alive[index].name),
        }
    }
    census::mark();
    let outputs = outputs
        .into_iter()
        .map(|o| o.ok_or_else(|| anyhow!("a task was never answered")))
        .map(|o| o.and_then(&expect))
        .collect::<anyhow::Result<_>>()?;
    Ok(ModelRun {
        outputs,
        setup: Duration::ZERO,
        children,
    })
}
