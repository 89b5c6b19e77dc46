//! The parent's side of a `concbench worker` process: start it, write requests to its
//! stdin, and read its answers from its stdout without a thread per worker.
//!
//! [`next_response`] waits on the stdout of every worker in a slice at once with
//! `poll(2)`, so a pool of any size is driven by the one thread that runs the model
//! (the census of the `processes` and `spawn` models counts exactly that thread).
//! Used by [`crate::strategy::processes`] (a pre-forked pool) and
//! [`crate::strategy::spawn`] (a process per task).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, bail};

use super::protocol::{MAX_MESSAGE_BYTES, Request, Response, encode, write_message};

/// One worker process and the parent's ends of its pipes. Dropping it kills and
/// reaps the process if it is still running.
pub struct WorkerProcess {
    /// How messages name it: `pool worker 3`, `task 17's process`.
    pub name: String,
    child: Child,
    /// `None` once closed, which the worker reads as "exit".
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Bytes read from stdout that do not yet end a line.
    pending: Vec<u8>,
    /// Whole messages read and not yet handed out.
    ready: VecDeque<Response>,
    /// It said goodbye: its stdout is at an end and is no longer watched.
    said_bye: bool,
    /// Reaped: nothing left to kill.
    reaped: bool,
}

impl WorkerProcess {
    /// Starts `exe worker`.
    pub fn start(exe: &Path, name: String) -> anyhow::Result<WorkerProcess> {
        let mut child = Command::new(exe)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {name} ({})", exe.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{name} has no pipes");
        };
        Ok(WorkerProcess {
            name,
            child,
            stdin: Some(stdin),
            stdout,
            pending: Vec::new(),
            ready: VecDeque::new(),
            said_bye: false,
            reaped: false,
        })
    }

    /// Writes one request.
    pub fn send(&mut self, request: &Request) -> anyhow::Result<()> {
        let name = &self.name;
        let stdin = self
            .stdin
            .as_mut()
            .with_context(|| format!("{name} is already closed"))?;
        write_message(stdin, request).with_context(|| format!("writing to {name}"))
    }

    /// Writes several requests in one `write`.
    pub fn send_all(&mut self, requests: &[Request]) -> anyhow::Result<()> {
        let mut buffer = Vec::with_capacity(64 * requests.len());
        for request in requests {
            encode(&mut buffer, request)?;
        }
        let name = &self.name;
        let stdin = self
            .stdin
            .as_mut()
            .with_context(|| format!("{name} is already closed"))?;
        stdin
            .write_all(&buffer)
            .with_context(|| format!("writing to {name}"))
    }

    /// Closes its stdin: a worker at end of input exits.
    pub fn close(&mut self) {
        self.stdin = None;
    }

    /// Waits for it to exit; an error status is an error.
    pub fn reap(&mut self) -> anyhow::Result<()> {
        self.close();
        let status = self
            .child
            .wait()
            .with_context(|| format!("waiting for {}", self.name))?;
        self.reaped = true;
        if !status.success() {
            bail!("{} exited with {status}", self.name);
        }
        Ok(())
    }

    /// Reads what its stdout has now (one `read`), splitting it into messages.
    fn read_available(&mut self) -> anyhow::Result<()> {
        let mut buffer = [0u8; 16 * 1024];
        let read = match self.stdout.read(&mut buffer) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("reading from {}", self.name)),
        };
        if read == 0 {
            let status = self
                .child
                .try_wait()
                .ok()
                .flatten()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            bail!("{} exited unexpectedly{status}", self.name);
        }
        self.pending.extend_from_slice(&buffer[..read]);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let response: Response = serde_json::from_slice(&line).with_context(|| {
                format!(
                    "{} sent a malformed message: {:.120}",
                    self.name,
                    String::from_utf8_lossy(&line).trim_end()
                )
            })?;
            self.said_bye |= matches!(response, Response::Bye { .. });
            self.ready.push_back(response);
        }
        if self.pending.len() > MAX_MESSAGE_BYTES {
            bail!(
                "{} sent a message longer than {MAX_MESSAGE_BYTES} bytes",
                self.name
            );
        }
        Ok(())
    }
}

impl Drop for WorkerProcess {
    /// On an error path: the process does not outlive its parent's handle.
    fn drop(&mut self) {
        if !self.reaped {
            self.stdin = None;
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The next message from any of `workers`: one already read, or the next to arrive.
/// Returns the worker's position in the slice. A [`Response::Failed`] is an error.
pub fn next_response(workers: &mut [WorkerProcess]) -> anyhow::Result<(usize, Response)> {
    loop {
        if let Some(found) = read_response(workers)? {
            return Ok(found);
        }
        wait_and_read(workers)?;
    }
}

/// A message already read from any of `workers`, without waiting; `None` when there
/// is none.
pub fn read_response(workers: &mut [WorkerProcess]) -> anyhow::Result<Option<(usize, Response)>> {
    for (index, worker) in workers.iter_mut().enumerate() {
        if let Some(response) = worker.ready.pop_front() {
            if let Response::Failed { message } = response {
                bail!("{} failed: {message}", worker.name);
            }
            return Ok(Some((index, response)));
        }
    }
    Ok(None)
}

/// Waits until the stdout of some worker that has not said goodbye is readable, and
/// reads what each readable one has.
fn wait_and_read(workers: &mut [WorkerProcess]) -> anyhow::Result<()> {
    let watched: Vec<usize> = (0..workers.len())
        .filter(|&i| !workers[i].said_bye)
        .collect();
    if watched.is_empty() {
        bail!("every worker process has already said goodbye");
    }
    let mut fds: Vec<libc::pollfd> = watched
        .iter()
        .map(|&i| libc::pollfd {
            fd: workers[i].stdout.as_raw_fd(),
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
            return Err(error).context("waiting for the worker processes");
        }
    }
    for (&index, fd) in watched.iter().zip(&fds) {
        if fd.revents != 0 {
            workers[index].read_available()?;
        }
    }
    Ok(())
}
