//! processes: a pre-forked pool of N worker processes, each this same binary
//! re-executed as `concbench worker`, fed tasks over its stdin pipe and answering on
//! its stdout (the protocol is in [`crate::worker::protocol`]).
//!
//! The pattern is Python's `multiprocessing.Pool`: fork the workers once, run an
//! initializer in each (for I/O: build one blocking HTTP client per worker), hand out
//! tasks (`call_async`), collect answers (`call_await`), then tell every worker to
//! exit and wait for it (`join`). Each worker has at most [`WINDOW`] tasks queued, and
//! gets the next as soon as it answers one, so it never waits a round trip for work
//! and a slow task holds up at most one other; results are put back in input order by
//! task id.
//!
//! The parent side is one thread: it waits on every worker's stdout at once with
//! `poll(2)` rather than keeping a reader thread per worker.
//!
//! Set-up is spawning the workers up to the moment each has answered `Ready`.
//! Teardown is each worker answering `Shutdown` with its own census and exiting, and
//! being reaped. Every worker is always reaped: on success by
//! [`ProcessPool::shutdown`], on any error by `Drop`, which kills and waits for
//! whatever is still running.
//!
//! **Census:** N + 1 processes — the run process with 1 thread (this pool) and N
//! worker processes of 1 thread each. Memory is the sum of all N + 1 peaks, so the
//! cost of every extra worker process shows.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};

use super::{Model, ModelRun};
use crate::census::{self, ProcessCensus};
use crate::worker::protocol::{
    MAX_MESSAGE_BYTES, Request, Response, Task, TaskOutput, WorkerInit, write_message,
};
use crate::workload::io::Fetch;
use crate::workload::{CpuJob, IoJob};

/// Tasks queued per worker at once.
pub const WINDOW: usize = 2;

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

/// One worker process and the parent's ends of its pipes.
struct Worker {
    child: Child,
    /// `None` once closed, which the worker reads as "exit".
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Bytes read from stdout that do not yet end a line.
    pending: Vec<u8>,
    /// Whole messages read and not yet handed out.
    ready: std::collections::VecDeque<Response>,
    /// Tasks sent and not yet answered.
    queued: usize,
    /// It said goodbye: its stdout is at an end and is no longer watched.
    done: bool,
}

/// A running pool of worker processes.
pub struct ProcessPool {
    workers: Vec<Worker>,
}

impl ProcessPool {
    /// Spawns `size` workers, runs `init` in each, and waits until all are ready.
    pub fn start(size: usize, init: &WorkerInit) -> anyhow::Result<ProcessPool> {
        let exe = std::env::current_exe().context("finding concbench's own executable")?;
        let mut pool = ProcessPool {
            workers: Vec::with_capacity(size),
        };
        for index in 0..size {
            let mut child = Command::new(&exe)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| format!("starting pool worker {} ({})", index, exe.display()))?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                bail!("pool worker {index} has no pipes");
            };
            pool.workers.push(Worker {
                child,
                stdin: Some(stdin),
                stdout,
                pending: Vec::new(),
                ready: Default::default(),
                queued: 0,
                done: false,
            });
            pool.send(index, &Request::Init { init: init.clone() })?;
        }
        for _ in 0..size {
            match pool.next_event()? {
                (_, Response::Ready) => {}
                (index, other) => bail!("pool worker {index} answered {other:?} to its init"),
            }
        }
        Ok(pool)
    }

    fn send(&mut self, index: usize, request: &Request) -> anyhow::Result<()> {
        let stdin = self
            .workers
            .get_mut(index)
            .and_then(|w| w.stdin.as_mut())
            .ok_or_else(|| anyhow!("pool worker {index} is already closed"))?;
        write_message(stdin, request).with_context(|| format!("writing to pool worker {index}"))
    }

    /// The next message from any worker: a buffered one, or the next to arrive.
    fn next_event(&mut self) -> anyhow::Result<(usize, Response)> {
        loop {
            for (index, worker) in self.workers.iter_mut().enumerate() {
                if let Some(response) = worker.ready.pop_front() {
                    return match response {
                        Response::Failed { message } => {
                            bail!("pool worker {index} failed: {message}")
                        }
                        response => Ok((index, response)),
                    };
                }
            }
            self.read_some()?;
        }
    }

    /// Waits until some worker's stdout is readable, and reads what it has.
    fn read_some(&mut self) -> anyhow::Result<()> {
        let watched: Vec<usize> = (0..self.workers.len())
            .filter(|&i| !self.workers[i].done)
            .collect();
        if watched.is_empty() {
            bail!("every pool worker has already exited");
        }
        let mut fds: Vec<libc::pollfd> = watched
            .iter()
            .map(|&i| libc::pollfd {
                fd: self.workers[i].stdout.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        loop {
            // SAFETY: `fds` is a live, correctly sized array of pollfd.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
            if n >= 0 {
                break;
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(error).context("waiting for the pool workers");
            }
        }
        for (&index, fd) in watched.iter().zip(&fds) {
            if fd.revents == 0 {
                continue;
            }
            let worker = &mut self.workers[index];
            let mut buffer = [0u8; 16 * 1024];
            let read = match worker.stdout.read(&mut buffer) {
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(e).with_context(|| format!("reading from pool worker {index}"));
                }
            };
            if read == 0 {
                let status = worker
                    .child
                    .try_wait()
                    .ok()
                    .flatten()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                bail!("pool worker {index} exited unexpectedly{status}");
            }
            worker.pending.extend_from_slice(&buffer[..read]);
            if worker.pending.len() > MAX_MESSAGE_BYTES && !worker.pending.contains(&b'\n') {
                bail!("pool worker {index} sent a message longer than {MAX_MESSAGE_BYTES} bytes");
            }
            while let Some(end) = worker.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = worker.pending.drain(..=end).collect();
                let response: Response = serde_json::from_slice(&line).with_context(|| {
                    format!(
                        "pool worker {index} sent a malformed message: {:.120}",
                        String::from_utf8_lossy(&line).trim_end()
                    )
                })?;
                worker.done |= matches!(response, Response::Bye { .. });
                worker.ready.push_back(response);
            }
        }
        Ok(())
    }

    /// Runs every task on the pool, at most [`WINDOW`] queued per worker; outputs in
    /// input order.
    pub fn map(&mut self, tasks: Vec<Task>) -> anyhow::Result<Vec<TaskOutput>> {
        let mut outputs: Vec<Option<TaskOutput>> = tasks.iter().map(|_| None).collect();
        let mut pending = tasks.into_iter().enumerate();
        let mut in_flight = 0usize;
        'fill: for _ in 0..WINDOW {
            for index in 0..self.workers.len() {
                let Some((id, task)) = pending.next() else {
                    break 'fill;
                };
                self.send(
                    index,
                    &Request::Task {
                        id: id as u64,
                        task,
                    },
                )?;
                self.workers[index].queued += 1;
                in_flight += 1;
            }
        }
        while in_flight > 0 {
            let (index, response) = self.next_event()?;
            let Response::Done { id, output } = response else {
                bail!("pool worker {index} answered {response:?} to a task");
            };
            let slot = usize::try_from(id)
                .ok()
                .and_then(|id| outputs.get_mut(id))
                .filter(|slot| slot.is_none())
                .ok_or_else(|| anyhow!("pool worker {index} answered task {id}, never asked"))?;
            *slot = Some(output);
            in_flight -= 1;
            self.workers[index].queued -= 1;
            if let Some((id, task)) = pending.next() {
                self.send(
                    index,
                    &Request::Task {
                        id: id as u64,
                        task,
                    },
                )?;
                self.workers[index].queued += 1;
                in_flight += 1;
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
        for index in 0..self.workers.len() {
            self.send(index, &Request::Shutdown)?;
            self.workers[index].stdin = None;
        }
        let mut censuses: Vec<Option<ProcessCensus>> = vec![None; self.workers.len()];
        for _ in 0..self.workers.len() {
            match self.next_event()? {
                (index, Response::Bye { census }) => censuses[index] = Some(census),
                (index, other) => bail!("pool worker {index} answered {other:?} to shutdown"),
            }
        }
        for (index, worker) in self.workers.iter_mut().enumerate() {
            let status = worker
                .child
                .wait()
                .with_context(|| format!("waiting for pool worker {index}"))?;
            if !status.success() {
                bail!("pool worker {index} exited with {status}");
            }
        }
        self.workers.clear();
        censuses
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| anyhow!("a pool worker sent no census"))
    }
}

impl Drop for ProcessPool {
    /// On an error path: no worker outlives the pool.
    fn drop(&mut self) {
        for worker in &mut self.workers {
            worker.stdin = None;
            let _ = worker.child.kill();
            let _ = worker.child.wait();
        }
    }
}
