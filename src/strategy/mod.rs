//! The concurrency models, one file each, all behind [`Model`].
//!
//! | model | file | CPU job | I/O job |
//! |---|---|---|---|
//! | sequential | [`sequential`] | a plain loop | one client, one request at a time |
//! | threads | [`threads`] | N OS threads pulling from a shared queue | N threads, a blocking client each |
//! | async | [`async_tokio`] | tokio runtime, N workers, a task per number | one async client, all requests in flight |
//! | rayon | [`rayon_pool`] | `par_iter` on a pool of N | the blocking fetch under `par_iter` |
//! | processes | [`processes`] | N re-executed workers fed over pipes | a client per worker process |
//! | spawn | [`spawn`] | a fresh process per number, N at once | a fresh process (and client) per URL |
//!
//! The tasks job (N tasks that each wait on a timer, [`crate::workload::tasks`]) is
//! held by threads (a thread per task), async (a tokio task per task) and spawn (a
//! process per task); sequential, rayon and processes queue items on a fixed set of
//! workers, and their `run_tasks` says so.
//!
//! The timing rule, the same for every model: the clock starts before the model's own
//! set-up (spawning threads, building a runtime, starting the pool) and stops after
//! its teardown (threads joined, runtime dropped, workers exited), as in the classic
//! experiment. Set-up ends when every worker is running and ready for work, and
//! teardown ends when every thread has been joined and every worker process reaped.
//! Each model reports its set-up time on its own as well. CPU time is measured over
//! the same span, in the run process and every process it starts and reaps within
//! it, so the CPU column and the median cover the same work.
//!
//! Each model's module docs say what its census shows: how many processes and
//! threads it really ran ([`crate::census`]); tests/census.rs holds them to it.

pub mod async_tokio;
pub mod name;
pub mod processes;
pub mod rayon_pool;
pub mod sequential;
pub mod spawn;
pub mod threads;

pub use name::Strategy;

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::census::{self, ProcessCensus, RunCensus};
use crate::workload::io::Fetch;
use crate::workload::tasks::{TasksJob, TasksOutcome};
use crate::workload::{CpuJob, IoJob, Job, Outputs};

/// What a model hands back: its outputs in input order, how long its set-up took,
/// and the census of the worker processes it started, if any.
#[derive(Debug)]
pub struct ModelRun<T> {
    pub outputs: Vec<T>,
    pub setup: Duration,
    /// What each child process reported about itself before it exited, in order.
    pub children: Vec<ProcessCensus>,
}

/// Counts arrivals (threads started, threads stopped), so a model can wait until all
/// of its workers are running before it ends its set-up.
#[derive(Debug, Default)]
pub struct Arrivals {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Arrivals {
    pub fn arrive(&self) {
        *self.count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.changed.notify_all();
    }

    pub fn count(&self) -> usize {
        *self.count.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks until at least `n` have arrived or `limit` has passed; true if they did.
    pub fn wait_for_within(&self, n: usize, limit: Duration) -> bool {
        let count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        let (count, _) = self
            .changed
            .wait_timeout_while(count, limit, |count| *count < n)
            .unwrap_or_else(|p| p.into_inner());
        *count >= n
    }

    /// Blocks until at least `n` have arrived.
    pub fn wait_for(&self, n: usize) {
        let count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        let _reached = self
            .changed
            .wait_while(count, |count| *count < n)
            .unwrap_or_else(|p| p.into_inner());
    }
}

/// A concurrency model: runs either job with a given number of workers.
pub trait Model {
    /// Runs `kernel` on every number; results in input order.
    fn run_cpu(&self, job: &CpuJob, workers: usize) -> anyhow::Result<ModelRun<u128>>;
    /// GETs every URL; outcomes in input order. A failed request is an outcome, not
    /// an error: `Err` means the model itself broke.
    fn run_io(&self, job: &IoJob, workers: usize) -> anyhow::Result<ModelRun<Fetch>>;
    /// Holds `job.tasks` tasks at once, each waiting `job.wait`, and tallies the
    /// indices they return; `outputs` is the one [`TasksOutcome`]. A refusal by the OS
    /// part way is an outcome (everything started released and reaped), not an
    /// error. A model that cannot hold N tasks at once says why, as an error.
    fn run_tasks(&self, job: &TasksJob, workers: usize) -> anyhow::Result<ModelRun<TasksOutcome>>;
}

/// The error of a model that does not hold N tasks at once.
pub fn holds_no_tasks(strategy: Strategy, why: &str) -> anyhow::Error {
    anyhow::anyhow!("{strategy} does not hold N tasks at once: {why}")
}

impl Strategy {
    /// The implementation; `None` for the Python models, which run in the
    /// interpreter ([`crate::python`]).
    pub fn model(self) -> Option<&'static dyn Model> {
        Some(match self {
            Strategy::Sequential => &sequential::Sequential,
            Strategy::Threads => &threads::Threads,
            Strategy::Async => &async_tokio::AsyncTokio,
            Strategy::Rayon => &rayon_pool::RayonPool,
            Strategy::Processes => &processes::Processes,
            Strategy::Spawn => &spawn::Spawn,
            Strategy::PySequential
            | Strategy::PyThreads
            | Strategy::PyAsyncio
            | Strategy::PyProcesses => return None,
        })
    }
}

/// Where worker threads wait until every one of them has started, so work begins at
/// once for all; or is called off, when one of them could not be started, so those
/// already running are released instead of waiting for ever.
#[derive(Debug, Default)]
pub struct StartGate {
    /// Threads arrived, and the decision once taken: go (`true`) or give up.
    state: Mutex<(usize, Option<bool>)>,
    changed: Condvar,
}

impl StartGate {
    /// A worker's side: check in, then wait for the decision; true means work.
    pub fn arrive_and_wait(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 += 1;
        self.changed.notify_all();
        let state = self
            .changed
            .wait_while(state, |(_, decided)| decided.is_none())
            .unwrap_or_else(|p| p.into_inner());
        state.1 == Some(true)
    }

    /// The spawner's side: wait until `n` workers have checked in.
    pub fn wait_for(&self, n: usize) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let _arrived = self
            .changed
            .wait_while(state, |(arrived, _)| *arrived < n)
            .unwrap_or_else(|p| p.into_inner());
    }

    /// Lets every worker go (`true`) or sends them home (`false`).
    pub fn open(&self, go: bool) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(go);
        self.changed.notify_all();
    }
}

/// One timed run of `strategy` on `job`: the body of a measured run.
pub struct Timed {
    pub wall: Duration,
    /// CPU seconds of the run process and every process it started, over the same
    /// span as `wall` ([`census::cpu_used_s`]).
    pub cpu_s: f64,
    pub setup: Duration,
    pub outputs: Outputs,
    /// This process, then every worker process the model started.
    pub census: RunCensus,
}

/// Runs the model once and times it by the rule in this module's docs.
pub fn run_timed(strategy: Strategy, workers: usize, job: &Job) -> anyhow::Result<Timed> {
    let model = strategy
        .model()
        .ok_or_else(|| anyhow::anyhow!("{strategy} runs in Python, not in concbench"))?;
    // Spawn's processes: at most N at once for cpu and io; for the tasks job, all of
    // them are alive together, and each counts.
    let workers_at_once = match job {
        Job::Tasks(_) => None,
        _ => (strategy == Strategy::Spawn).then_some(workers),
    };
    time_model(model, strategy.workers(workers), job, workers_at_once)
}

/// [`run_timed`] for any model: `workers_at_once` is how many of its worker
/// processes can be alive at once, when it starts them one per task.
fn time_model(
    model: &dyn Model,
    workers: usize,
    job: &Job,
    workers_at_once: Option<usize>,
) -> anyhow::Result<Timed> {
    let cpu_before = census::cpu_used_s();
    let started = Instant::now();
    let (setup, outputs, children) = match job {
        Job::Cpu(job) => {
            let run = model.run_cpu(job, workers)?;
            (run.setup, Outputs::Cpu(run.outputs), run.children)
        }
        Job::Io(job) => {
            let run = model.run_io(job, workers)?;
            (run.setup, Outputs::Io(run.outputs), run.children)
        }
        Job::Tasks(job) => {
            let run = model.run_tasks(job, workers)?;
            let outcome = run.outputs.into_iter().next();
            let outcome = outcome.ok_or_else(|| anyhow::anyhow!("no tasks outcome"))?;
            (run.setup, Outputs::Tasks(outcome), run.children)
        }
    };
    let wall = started.elapsed();
    let cpu_s = census::cpu_used_s() - cpu_before;
    let mut processes = vec![census::this_process()];
    processes.extend(children);
    Ok(Timed {
        wall,
        cpu_s,
        setup,
        outputs,
        census: RunCensus {
            processes,
            workers_at_once,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::cpu::Kernel;

    /// A gate called off releases the threads already waiting at it.
    #[test]
    fn a_start_gate_called_off_sends_waiting_threads_home() {
        for go in [true, false] {
            let gate = StartGate::default();
            let answers: Vec<bool> = std::thread::scope(|scope| {
                let waiting: Vec<_> = (0..3)
                    .map(|_| scope.spawn(|| gate.arrive_and_wait()))
                    .collect();
                gate.wait_for(3);
                gate.open(go);
                waiting.into_iter().map(|t| t.join().unwrap()).collect()
            });
            assert_eq!(answers, vec![go; 3]);
        }
    }

    /// A model that hides a thread: it starts and joins one per item, so that no
    /// two are ever alive at once and a look at `/proc` between items sees none.
    struct HiddenThreads;

    impl Model for HiddenThreads {
        fn run_cpu(&self, job: &CpuJob, _workers: usize) -> anyhow::Result<ModelRun<u128>> {
            census::mark();
            let outputs = job
                .numbers
                .iter()
                .map(|&n| {
                    let kernel = job.kernel;
                    std::thread::spawn(move || kernel.run(n)).join().unwrap()
                })
                .collect();
            census::mark();
            Ok(ModelRun {
                outputs,
                setup: Duration::ZERO,
                children: Vec::new(),
            })
        }

        fn run_io(&self, _job: &IoJob, _workers: usize) -> anyhow::Result<ModelRun<Fetch>> {
            unreachable!("the census test runs the cpu job only")
        }

        fn run_tasks(
            &self,
            _job: &TasksJob,
            _workers: usize,
        ) -> anyhow::Result<ModelRun<TasksOutcome>> {
            unreachable!("the census test runs the cpu job only")
        }
    }

    /// Set in the child process of
    /// `a_model_that_starts_a_short_lived_thread_per_item_is_caught`.
    const CHILD: &str = "CONCBENCH_HIDDEN_THREADS_CHILD";

    /// The census counts every thread a measured process starts, not only the most
    /// alive at two instants: a short-lived thread per item is caught. The model runs
    /// in a child process of this test binary running only
    /// [`hidden_threads_child`], so that no other test's threads are counted.
    #[test]
    fn a_model_that_starts_a_short_lived_thread_per_item_is_caught() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "strategy::tests::hidden_threads_child",
                "--exact",
                "--ignored",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("census: ").map(|(_, census)| census))
            .unwrap_or_else(|| panic!("no census line in {stdout}"));
        let (alive, started): (usize, usize) = serde_json::from_str(line).unwrap();
        // Seven items, seven threads started, none of them alive at a mark: at most
        // two are (this thread, and the test harness's main thread). The harness
        // may start a thread of its own while the test runs, so 7 is a floor.
        assert!((7..=8).contains(&started), "{stdout}");
        assert!(alive <= 2, "{stdout}");
    }

    #[test]
    #[ignore = "the child side of a_model_that_starts_a_short_lived_thread_per_item_is_caught"]
    fn hidden_threads_child() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        let before = census::threads_started().unwrap();
        let job = Job::Cpu(CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![10, 20, 30, 40, 50, 60, 70],
        });
        let timed = time_model(&HiddenThreads, 1, &job, None).unwrap();
        let run = &timed.census.processes[0];
        let started = run.threads_started.unwrap() - before;
        println!("census: [{}, {started}]", run.threads);
    }

    #[test]
    fn names_and_aliases_parse() {
        for strategy in Strategy::ALL {
            assert_eq!(Strategy::parse(strategy.name()), Some(strategy));
        }
        assert_eq!(Strategy::parse("multiprocess"), Some(Strategy::Processes));
        assert_eq!(Strategy::parse("MP"), Some(Strategy::Processes));
        assert_eq!(Strategy::parse("bogus"), None);
    }

    /// Every in-process model returns the verified sums in input order. (The process
    /// pool re-executes the binary, so it is tested through it in tests/cli.rs.)
    #[test]
    fn in_process_models_agree_with_the_closed_form() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![1000, 3, 0, 777, 20_000, 5],
        };
        let expected: Vec<u128> = job
            .numbers
            .iter()
            .map(|&n| Kernel::Squares.expected(n).unwrap())
            .collect();
        for strategy in [
            Strategy::Sequential,
            Strategy::Threads,
            Strategy::Async,
            Strategy::Rayon,
        ] {
            for workers in [1, 3] {
                let run = strategy.model().unwrap().run_cpu(&job, workers).unwrap();
                assert_eq!(run.outputs, expected, "{strategy} with {workers} workers");
            }
        }
    }
}
