//! The real executor: each measured run in a fresh `concbench measure-run` process,
//! bounded by a watchdog.
//!
//! The run process is started in a process group of its own, so that when it does
//! not finish within its time limit (`--run-timeout`) the watchdog kills it *and every
//! process it started* — pool workers included — with one signal. CPU time comes from
//! `wait4` when the run is reaped; threads and memory from the run's own census.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use indicatif::ProgressBar;

use super::{Executor, Measurement};
use crate::worker::progress::Counter;
use crate::worker::protocol::{MAX_MESSAGE_BYTES, RunSample, RunSpec, read_message, write_message};
use crate::workload::Job;

/// The time limit of one run when nothing else is said: long enough for any job a
/// person would wait for, short enough that a hung CI job ends the same hour.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// The most a run process may print on stdout: its sample, one message and its
/// newline.
const MAX_SAMPLE_BYTES: u64 = MAX_MESSAGE_BYTES as u64 + 1;

/// The real executor: each run in a fresh `concbench measure-run` process.
pub struct ChildExecutor {
    exe: PathBuf,
    /// The other build of `--baseline-build`, if any.
    baseline: Option<PathBuf>,
    /// A run still going after this long is killed with all its processes.
    run_timeout: Duration,
    /// Runs the `py-*` models.
    python: Option<crate::python::Interpreter>,
    /// Told the requests done during an io run, when it is drawn.
    progress: Option<ProgressBar>,
}

impl ChildExecutor {
    pub fn new() -> anyhow::Result<ChildExecutor> {
        let exe = std::env::current_exe().context("finding concbench's own executable")?;
        Ok(ChildExecutor::with_exe(exe))
    }

    /// Runs `exe measure-run` instead of this executable (for tests, which are
    /// another binary).
    pub fn with_exe(exe: PathBuf) -> ChildExecutor {
        ChildExecutor {
            exe,
            baseline: None,
            run_timeout: DEFAULT_RUN_TIMEOUT,
            python: None,
            progress: None,
        }
    }
}

/// Kills a process group when its time is up, unless cancelled first.
struct Watchdog {
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    fired: Arc<AtomicBool>,
}

impl Watchdog {
    /// Starts watching process group `group`: SIGKILL to all of it after `limit`.
    fn start(group: libc::pid_t, limit: Duration) -> anyhow::Result<Watchdog> {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = fired.clone();
        let thread = std::thread::Builder::new()
            .name("run-watchdog".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(limit) {
                    flag.store(true, Ordering::SeqCst);
                    kill_group(group);
                }
            })
            .context("starting the run watchdog thread")?;
        Ok(Watchdog {
            cancel: Some(cancel),
            thread: Some(thread),
            fired,
        })
    }

    /// Stops watching; true when the limit had already been reached.
    fn stop(mut self) -> bool {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.fired.load(Ordering::SeqCst)
    }
}

/// Shows an io run's requests done on the bar, a few times a second, until stopped.
struct RequestTicker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RequestTicker {
    /// The interval between two looks at the counter.
    const EVERY: Duration = Duration::from_millis(100);

    fn start(bar: ProgressBar, counter: Counter, total: usize) -> RequestTicker {
        let (stop, stopped) = mpsc::channel::<()>();
        let base = bar.message();
        let thread = std::thread::Builder::new()
            .name("run-progress".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::EVERY) {
                    bar.set_message(format!("{base} · {}/{total} requests", counter.get()));
                }
                bar.set_message(base);
            })
            // No thread, no live count: the run itself is not affected.
            .ok();
        RequestTicker {
            stop: Some(stop),
            thread,
        }
    }

    fn stop(mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// SIGKILL to every process of a group.
fn kill_group(group: libc::pid_t) {
    // SAFETY: kill has no memory preconditions; a negative pid names a group.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

impl Executor for ChildExecutor {
    fn set_run_timeout(&mut self, limit: Duration) {
        self.run_timeout = limit;
    }

    fn set_python(&mut self, python: crate::python::Interpreter) {
        self.python = Some(python);
    }

    fn set_progress(&mut self, bar: ProgressBar) {
        self.progress = (!bar.is_hidden()).then_some(bar);
    }

    fn execute(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
        let exe = self.exe.clone();
        self.run(&exe, spec)
    }

    fn execute_baseline(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
        let exe = self
            .baseline
            .clone()
            .ok_or_else(|| anyhow!("no baseline build to run"))?;
        self.run(&exe, spec).map_err(|e| {
            // One side could not read the other: most likely builds from either side
            // of a change to the run protocol, which is worth saying.
            if format!("{e:#}").contains("malformed message") {
                anyhow!(
                    "{e:#} ({} speaks another version of the run protocol than this build)",
                    exe.display()
                )
            } else {
                e
            }
        })
    }
}

impl ChildExecutor {
    /// Also runs `exe measure-run`, for the runs of the baseline build.
    pub fn set_baseline_build(&mut self, exe: PathBuf) {
        self.baseline = Some(exe);
    }

    /// One run of `spec` by `exe measure-run` (or by the interpreter, for `py-*`).
    fn run(&mut self, exe: &Path, spec: &RunSpec) -> anyhow::Result<Measurement> {
        let mut command = match (&self.python, spec.strategy.is_python()) {
            (Some(python), true) => {
                let mut command = Command::new(&python.executable);
                command.arg(&python.script);
                command
            }
            (None, true) => bail!("{} needs --python", spec.strategy),
            (_, false) => {
                let mut command = Command::new(exe);
                command.arg("measure-run");
                command
            }
        };
        // Requests done, live, for the bar: only when it is drawn, only for io.
        let live = match (&self.progress, &spec.job) {
            (Some(bar), Job::Io(job)) => Counter::new()
                .ok()
                .map(|counter| (bar.clone(), counter, job.urls.len())),
            _ => None,
        };
        if let Some((_, counter, _)) = &live {
            counter.pass_to(&mut command);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the watchdog's one signal reaches every process
            // the run starts.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting the run process of {}", spec.strategy))?;
        let pid = child.id();
        let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the run process has no pipes");
        };
        let group = libc::pid_t::try_from(pid).context("pid out of range")?;
        let watchdog = match Watchdog::start(group, self.run_timeout) {
            Ok(watchdog) => watchdog,
            Err(e) => {
                kill_group(group);
                let _ = child.wait();
                return Err(e);
            }
        };
        // Drain stderr on the side so a chatty child can never block on a full pipe;
        // keep its first 64 KiB.
        let stderr_reader = std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut text);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            String::from_utf8_lossy(&text).into_owned()
        });
        let ticker = live.map(|(bar, counter, total)| RequestTicker::start(bar, counter, total));
        let written = write_message(&mut stdin, spec);
        drop(stdin);
        let mut output = Vec::new();
        let read = stdout.take(MAX_SAMPLE_BYTES + 1).read_to_end(&mut output);
        if output.len() as u64 > MAX_SAMPLE_BYTES {
            kill_group(group);
        }
        let waited = wait4(pid);
        let timed_out = watchdog.stop();
        if let Some(ticker) = ticker {
            ticker.stop();
        }
        let (status, usage) = waited?;
        let stderr_text = stderr_reader.join().unwrap_or_default();
        if timed_out {
            bail!(
                "did not finish within --run-timeout {}; it and every process it \
                 started were killed",
                crate::output::format::seconds(self.run_timeout.as_secs_f64())
            );
        }
        if output.len() as u64 > MAX_SAMPLE_BYTES {
            bail!("the run process printed more than {MAX_SAMPLE_BYTES} bytes; killed it");
        }
        if !status.success() {
            let message = child_message(&stderr_text, MAX_CHILD_MESSAGE);
            // Exit 1 is concbench's own error exit: its message says it all. Anything
            // else (a signal, a panic's 101, an interpreter's code) is said too.
            if status.code() == Some(1) && !stderr_text.trim().is_empty() {
                bail!("{message}");
            }
            bail!("the run process {status}: {message}");
        }
        written.context("sending the run spec")?;
        read.context("reading the run sample")?;
        let sample: RunSample = read_message(&mut output.as_slice(), &mut String::new())?
            .ok_or_else(|| anyhow!("the run process printed no sample"))?;
        Ok(Measurement {
            wall_s: sample.wall_s,
            setup_s: sample.setup_s,
            cpu_s: sample.cpu_s.unwrap_or(usage.cpu_s),
            process_cpu_s: usage.cpu_s,
            census: sample.census,
            outputs: sample.outputs,
            python: sample.python,
        })
    }
}

/// The most of a failed child's stderr shown, in bytes.
const MAX_CHILD_MESSAGE: usize = 4096;

/// A child's stderr as one line: its non-empty lines joined, each `error: ` prefix
/// dropped, and the middle cut when longer than `max` bytes.
fn child_message(stderr: &str, max: usize) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect();
    let text = if lines.is_empty() {
        "(it printed nothing)".to_string()
    } else {
        lines.join(" | ")
    };
    if text.len() <= max {
        return text;
    }
    let mut head = max / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - max / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{} … {}", &text[..head], &text[tail..])
}

/// What the kernel says a reaped process used.
#[derive(Debug, Clone, Copy)]
struct Usage {
    cpu_s: f64,
}

/// Reaps `pid` and returns its exit status with its resource usage, which includes
/// every descendant it reaped in turn.
fn wait4(pid: u32) -> anyhow::Result<(std::process::ExitStatus, Usage)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = libc::pid_t::try_from(pid).context("pid out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers refer to live locals of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("waiting for the run process");
        }
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Ok((
        std::process::ExitStatus::from_raw(status),
        Usage {
            cpu_s: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_message_is_kept_whole_up_to_a_bound() {
        let stderr = "error: running threads: no\n\ncaused by: EAGAIN\n";
        assert_eq!(
            child_message(stderr, 4096),
            "running threads: no | caused by: EAGAIN"
        );
        assert_eq!(child_message("", 4096), "(it printed nothing)");
        let long = "é".repeat(5000);
        let cut = child_message(&long, 100);
        assert!(cut.len() <= 110 && cut.contains(" … "), "{cut}");
    }
}
