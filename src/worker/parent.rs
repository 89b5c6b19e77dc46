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

use super::protocol::{Lines, MAX_WORKER_MESSAGE_BYTES, Request, Response, encode, write_message};

/// One worker process and the parent's ends of its pipes. Dropping it kills and
/// reaps the process if it is still running.
pub struct WorkerProcess {
    /// How messages name it: `pool worker 3`, `task 17's process`.
    pub name: String,
    child: Child,
    /// `None` once closed, which the worker reads as "exit".
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// What was read from stdout, split into messages.
    lines: Lines,
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
            lines: Lines::new(MAX_WORKER_MESSAGE_BYTES),
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
        self.lines.extend(&buffer[..read]);
        while let Some(response) = self
            .lines
            .next_message::<Response>()
            .map_err(|e| anyhow::anyhow!("{} sent a {e}", self.name))?
        {
            self.said_bye |= matches!(response, Response::Bye { .. });
            self.ready.push_back(response);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, Instant};

    /// A stand-in worker: a shell script that ignores its `worker` argument.
    fn fake_worker(dir: &Path, script: &str) -> WorkerProcess {
        let exe = dir.join("fake-worker");
        std::fs::write(&exe, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        WorkerProcess::start(&exe, "pool worker 1".to_string()).unwrap()
    }

    /// The error of the first response, and that it came promptly.
    fn first_error(script: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let mut workers = vec![fake_worker(dir.path(), script)];
        let started = Instant::now();
        let err = next_response(&mut workers).unwrap_err();
        // Not a speed claim: "did not wait for the 30 s sleep or the end of output".
        assert!(started.elapsed() < Duration::from_secs(25), "{err:#}");
        format!("{err:#}")
    }

    #[test]
    fn a_worker_that_breaks_the_protocol_is_named_at_once() {
        let cases = [
            (
                "printf 'not\\033[2Jjson\\n'; exec sleep 30",
                "pool worker 1 sent a malformed message: 'not\\u{1b}[2Jjson': expected value at line 1 column 1",
            ),
            (
                "printf '{\"done\":{\"id\":1}}\\n'; exec sleep 30",
                "pool worker 1 sent a malformed message: '{\"done\":{\"id\":1}}': ",
            ),
            (
                // 2 MiB and no newline: refused at 1 MiB, never buffered whole.
                "head -c 2097152 /dev/zero; exec sleep 30",
                "pool worker 1 sent a message longer than 1048576 bytes",
            ),
            ("exit 3", "pool worker 1 exited unexpectedly"),
        ];
        for (script, message) in cases {
            let err = first_error(script);
            assert!(err.starts_with(message), "{script}: {err}");
        }
    }

    #[test]
    fn a_broken_worker_is_killed_when_its_handle_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut workers = vec![fake_worker(dir.path(), "printf 'x\\n'; exec sleep 30")];
        let pid = workers[0].child.id();
        assert!(next_response(&mut workers).is_err());
        drop(workers);
        // Reaped by the drop: the pid is gone (or reused by an unrelated process,
        // which would not be our sleeping child's command line).
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&cmdline).contains("sleep"),
            "{pid} lives"
        );
    }
}
