//! processes: a pre-forked pool of N worker processes, each this same binary
//! re-executed as `concbench worker`, fed tasks over its stdin pipe and answering on
//! its stdout (the protocol is in [`crate::worker::protocol`]).
//!
//! The pattern is Python's `multiprocessing.Pool`: fork the workers once, run an
//! initializer in each (for I/O: build one HTTP client per worker), hand out tasks
//! (`call_async`), collect answers (`call_await`), then tell every worker to exit and
//! wait for it (`join`). A worker gets one task at a time and the next as soon as it
//! answers, so a slow task never holds up the others; results are put back in input
//! order by task id.
//!
//! Set-up is spawning the workers up to the moment each has answered `Ready`.
//! Every worker is always reaped: on success by [`ProcessPool::shutdown`], on any
//! error by `Drop`, which kills and waits for whatever is still running.

use std::io::{BufReader, BufWriter};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};

use super::{Model, ModelRun};
use crate::worker::protocol::{
    Request, Response, Task, TaskOutput, WorkerInit, read_message, write_message,
};
use crate::workload::io::Fetch;
use crate::workload::{CpuJob, IoJob};

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
    let outputs = pool.map(tasks)?;
    pool.shutdown()?;
    let outputs = outputs
        .into_iter()
        .map(expect)
        .collect::<anyhow::Result<_>>()?;
    Ok(ModelRun { outputs, setup })
}

/// One worker process and the parent's ends of its pipes.
struct Worker {
    child: Child,
    /// `None` once closed, which the worker reads as "exit".
    stdin: Option<BufWriter<ChildStdin>>,
    /// Reads the worker's stdout and forwards each message to the pool's channel.
    reader: Option<JoinHandle<()>>,
}

/// What a reader thread forwards: the worker's index and its next message, or why
/// there is none.
type Event = (usize, anyhow::Result<Response>);

/// A running pool of worker processes.
pub struct ProcessPool {
    workers: Vec<Worker>,
    events: mpsc::Receiver<Event>,
}

impl ProcessPool {
    /// Spawns `size` workers, runs `init` in each, and waits until all are ready.
    pub fn start(size: usize, init: &WorkerInit) -> anyhow::Result<ProcessPool> {
        let exe = std::env::current_exe().context("finding concbench's own executable")?;
        let (sender, events) = mpsc::channel();
        let mut pool = ProcessPool {
            workers: Vec::with_capacity(size),
            events,
        };
        for index in 0..size {
            let mut child = Command::new(&exe)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| format!("starting pool worker {} ({})", index, exe.display()))?;
            let stdin = child.stdin.take().map(BufWriter::new);
            let stdout = child.stdout.take().expect("stdout is piped");
            let sender = sender.clone();
            let reader = std::thread::spawn(move || {
                let mut stdout = BufReader::new(stdout);
                let mut line = String::new();
                loop {
                    let event = match read_message::<_, Response>(&mut stdout, &mut line) {
                        Ok(Some(response)) => Ok(response),
                        Ok(None) => Err(anyhow!("pool worker {index} exited unexpectedly")),
                        Err(e) => Err(e.context(format!("reading from pool worker {index}"))),
                    };
                    let last = event.is_err();
                    if sender.send((index, event)).is_err() || last {
                        return;
                    }
                }
            });
            pool.workers.push(Worker {
                child,
                stdin,
                reader: Some(reader),
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
        let stdin = self.workers[index]
            .stdin
            .as_mut()
            .ok_or_else(|| anyhow!("pool worker {index} is already closed"))?;
        write_message(stdin, request).with_context(|| format!("writing to pool worker {index}"))
    }

    fn next_event(&mut self) -> anyhow::Result<(usize, Response)> {
        let (index, event) = self.events.recv().context("every pool worker is gone")?;
        match event? {
            Response::Failed { message } => bail!("pool worker {index} failed: {message}"),
            response => Ok((index, response)),
        }
    }

    /// Runs every task on the pool, one task per worker at a time; outputs in input
    /// order.
    pub fn map(&mut self, tasks: Vec<Task>) -> anyhow::Result<Vec<TaskOutput>> {
        let mut outputs: Vec<Option<TaskOutput>> = tasks.iter().map(|_| None).collect();
        let mut pending = tasks.into_iter().enumerate();
        let mut in_flight = 0usize;
        for index in 0..self.workers.len() {
            let Some((id, task)) = pending.next() else {
                break;
            };
            self.send(
                index,
                &Request::Task {
                    id: id as u64,
                    task,
                },
            )?;
            in_flight += 1;
        }
        while in_flight > 0 {
            let (index, response) = self.next_event()?;
            let Response::Done { id, output } = response else {
                bail!("pool worker {index} answered {response:?} to a task");
            };
            let slot = outputs
                .get_mut(id as usize)
                .filter(|slot| slot.is_none())
                .ok_or_else(|| anyhow!("pool worker {index} answered task {id}, never asked"))?;
            *slot = Some(output);
            in_flight -= 1;
            if let Some((id, task)) = pending.next() {
                self.send(
                    index,
                    &Request::Task {
                        id: id as u64,
                        task,
                    },
                )?;
                in_flight += 1;
            }
        }
        Ok(outputs
            .into_iter()
            .map(|o| o.expect("every task answered"))
            .collect())
    }

    /// Tells every worker to exit, then waits for each; a worker that exits with an
    /// error status is an error.
    pub fn shutdown(mut self) -> anyhow::Result<()> {
        for index in 0..self.workers.len() {
            // A worker that already died is reported by its exit status below.
            let _ = self.send(index, &Request::Shutdown);
            self.workers[index].stdin = None;
        }
        for (index, worker) in self.workers.iter_mut().enumerate() {
            let status = worker
                .child
                .wait()
                .with_context(|| format!("waiting for pool worker {index}"))?;
            if let Some(reader) = worker.reader.take() {
                let _ = reader.join();
            }
            if !status.success() {
                bail!("pool worker {index} exited with {status}");
            }
        }
        self.workers.clear();
        Ok(())
    }
}

impl Drop for ProcessPool {
    /// On an error path: no worker outlives the pool.
    fn drop(&mut self) {
        for worker in &mut self.workers {
            worker.stdin = None;
            let _ = worker.child.kill();
            let _ = worker.child.wait();
            if let Some(reader) = worker.reader.take() {
                let _ = reader.join();
            }
        }
    }
}
