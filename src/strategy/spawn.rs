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
//! In the tasks job every task process is alive at once: 1 + T processes, each
//! counting the threads it started and saying so with its index, 0 in every one.

use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use super::{Model, ModelRun};
use crate::census;
use crate::worker::parent::{WorkerProcess, next_response};
use crate::worker::protocol::{Request, Response, Task, TaskOutput, WorkerInit};
use crate::workload::io::Fetch;
use crate::workload::tasks::{Refusal, Tally, TasksJob, TasksOutcome};
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

    fn run_tasks(&self, job: &TasksJob, _workers: usize) -> anyhow::Result<ModelRun<TasksOutcome>> {
        let exe = std::env::current_exe().context("finding concbench's own executable")?;
        // Each task process is one pipe here: a thousand of them pass the usual soft
        // limit of 1024 open files long before any limit on processes.
        raise_open_files_limit();
        let (gate, open) = gate_pipe()?;
        let wait = job.wait.as_secs_f64().to_string();
        let first = Instant::now();
        let mut tasks = TaskProcesses(Vec::with_capacity(job.tasks));
        let mut refused = None;
        for index in 0..job.tasks {
            let started = gate.try_clone().and_then(|gate| {
                Command::new(&exe)
                    .args(["task-wait", &index.to_string(), &wait])
                    .stdin(Stdio::from(gate))
                    .stdout(Stdio::piped())
                    .spawn()
            });
            match started {
                Ok(mut child) => {
                    let stdout = child.stdout.take().map(BufReader::new);
                    let stdout = stdout.ok_or_else(|| anyhow!("task {index} has no stdout"))?;
                    tasks.0.push((child, stdout));
                }
                Err(e) => {
                    refused = Some(Refusal {
                        at: tasks.0.len(),
                        reason: e.to_string(),
                    });
                    break;
                }
            }
        }
        drop(gate);
        let mut line = String::new();
        for (index, (_, stdout)) in tasks.0.iter_mut().enumerate() {
            line.clear();
            stdout.read_line(&mut line)?;
            if line.trim_end() != "ready" {
                bail!("task {index}'s process said {line:?} instead of ready");
            }
        }
        let start_s = first.elapsed().as_secs_f64();
        // Every task waits at the gate: one instant for all of their memory.
        census::mark();
        let mut children = tasks
            .0
            .iter()
            .map(|(child, _)| {
                census::of_process(child.id())
                    .ok_or_else(|| anyhow!("reading the memory of task process {}", child.id()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let started = tasks.0.len();
        if refused.is_some() {
            // Released at once: killed and reaped when `tasks` is dropped.
            drop(tasks);
            return Ok(ModelRun {
                outputs: vec![Tally::new(job.tasks).outcome(started, start_s, 0.0, refused)],
                setup: Duration::ZERO,
                children,
            });
        }
        let go = Instant::now();
        drop(open);
        let mut tally = Tally::new(job.tasks);
        for ((child, stdout), census) in tasks.0.iter_mut().zip(&mut children) {
            line.clear();
            stdout.read_line(&mut line)?;
            let (index, started) = task_answer(&line)
                .with_context(|| format!("task process {} printed {line:?}", child.id()))?;
            tally.record(index);
            census.threads_started = started;
        }
        let back_s = go.elapsed().as_secs_f64();
        for (child, _) in &mut tasks.0 {
            let status = child.wait()?;
            if !status.success() {
                bail!("task process {} exited with {status}", child.id());
            }
        }
        tasks.0.clear();
        census::mark();
        Ok(ModelRun {
            outputs: vec![tally.outcome(started, start_s, back_s, None)],
            setup: Duration::ZERO,
            children,
        })
    }
}

/// A task process's last line: its index and the threads it started (`-` when its
/// build cannot count them).
fn task_answer(line: &str) -> anyhow::Result<(usize, Option<usize>)> {
    let mut words = line.split_whitespace();
    let index = words.next().unwrap_or_default().parse()?;
    let started = match words.next() {
        Some("-") => None,
        Some(count) => Some(count.parse()?),
        None => anyhow::bail!("no thread count"),
    };
    Ok((index, started))
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

/// The task processes of a tasks run. Whatever ends the run, none outlives it:
/// those still here when it is dropped are killed and reaped.
struct TaskProcesses(Vec<(Child, BufReader<ChildStdout>)>);

impl Drop for TaskProcesses {
    fn drop(&mut self) {
        for (child, _) in &mut self.0 {
            let _ = child.kill();
        }
        for (child, _) in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// The start gate of the task processes: the reading end, which every task gets as
/// its stdin, and the writing end, which the run holds until all are ready; dropping
/// it is end of input for every task at once. Both ends close on exec, so a task
/// holds only its own copy of the reading end, never the writing one.
fn gate_pipe() -> anyhow::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("creating the tasks' start gate");
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors that nothing else owns.
    Ok(unsafe {
        use std::os::fd::FromRawFd;
        (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
    })
}

/// Raises this process's soft limit on open files to its hard limit.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill, and setrlimit reads it.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
