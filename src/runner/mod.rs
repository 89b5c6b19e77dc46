//! The measurement engine: warmup, interleaved runs, one fresh process per run.
//!
//! [`run_interleaved`] schedules rounds — warmup rounds first, then measured ones —
//! and in every round runs each model once, in the same order (A B C A B C …), so
//! drift on a shared machine hits every model alike. Past the minimum, adaptive
//! rounds run only the models whose median is not yet precise, each within its own
//! time budget: a 0.1 s async io run gets the runs it needs without 8 s sequential
//! runs repeating beside it.
//!
//! With `--baseline-build` every concbench model is measured twice per round, by this
//! build and by the other one, back to back and first in turn ([`plan`],
//! [`Build`]): whatever the machine does during the run hits both builds alike, which
//! two invocations minutes apart cannot promise.
//!
//! It hands each run to an [`Executor`]: the real one, [`ChildExecutor`],
//! re-executes concbench as `measure-run`, reads the run's CPU time from the kernel
//! when it reaps the child (`wait4`, which includes every pool worker the child
//! reaped), and takes the run's census — threads and memory of each of its
//! processes, as each read itself ([`crate::census`]) — from the child's answer;
//! tests use a fake executor with fixed samples.
//!
//! Memory is not taken from `wait4`: its `ru_maxrss` is the largest single process,
//! and Linux carries a parent's high-water mark into its children across fork and
//! exec, so it grew with concbench's own size rather than the model's.

mod child;

pub use child::{ChildExecutor, DEFAULT_RUN_TIMEOUT};

use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::ProgressBar;

use crate::census::RunCensus;
use crate::worker::protocol::RunSpec;
use crate::workload::Outputs;

/// One measured run, as the engine keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Model set-up + work + teardown, timed inside the run process.
    pub wall_s: f64,
    /// The model's set-up alone (part of `wall_s`).
    pub setup_s: f64,
    /// User + system CPU time over the same span as `wall_s`: the run process and
    /// every process it started and reaped within it (pool workers, task processes).
    pub cpu_s: f64,
    /// The same for the run process's whole life and its children's, from `wait4`
    /// when it was reaped: includes its start-up (for `py-*`, the interpreter's
    /// start-up and imports), which `wall_s` leaves out.
    pub process_cpu_s: f64,
    /// Every process of the run: its most threads at once and its own peak memory.
    pub census: RunCensus,
    pub outputs: Outputs,
    /// A Python run's interpreter, clients and start-up.
    pub python: Option<crate::python::PythonInfo>,
}

/// Runs one spec once and measures it.
pub trait Executor {
    fn execute(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement>;

    /// Runs `spec` once with the other build (`--baseline-build`) instead of this one.
    fn execute_baseline(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
        let _ = spec;
        anyhow::bail!("no baseline build to run")
    }

    /// The time limit of each run from now on (`--run-timeout`); executors that run
    /// nothing for real ignore it.
    fn set_run_timeout(&mut self, _limit: Duration) {}

    /// The interpreter that runs the `py-*` models (`--python`).
    fn set_python(&mut self, _python: crate::python::Interpreter) {}

    /// The bar to tell, during an io run, how many requests are done.
    fn set_progress(&mut self, _bar: ProgressBar) {}
}

/// Which concbench build a run is made by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// This executable.
    This,
    /// The other build of `--baseline-build`, measured in the same rounds.
    Baseline,
}

/// A model's measured runs, in the order they happened.
#[derive(Debug, Clone)]
pub struct ModelRuns {
    pub spec: RunSpec,
    pub build: Build,
    pub measurements: Vec<Measurement>,
}

#[cfg(test)]
impl ModelRuns {
    /// Fixed runs for tests of everything downstream of the engine: one measurement
    /// per wall time, each returning `outputs`; set-up 2.5 ms (none for sequential),
    /// 80 ms of CPU, one process of 1 thread and 5 MiB.
    pub fn fixture(
        strategy: crate::strategy::Strategy,
        workers: usize,
        walls: &[f64],
        outputs: Outputs,
    ) -> ModelRuns {
        use crate::strategy::Strategy;
        use crate::workload::cpu::Kernel;
        use crate::workload::{CpuJob, Job};
        let job = Job::Cpu(CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![],
        });
        let setup_s = if strategy == Strategy::Sequential {
            0.0
        } else {
            0.0025
        };
        ModelRuns {
            spec: RunSpec {
                strategy,
                workers,
                job,
            },
            build: Build::This,
            measurements: walls
                .iter()
                .map(|&wall_s| Measurement {
                    wall_s,
                    setup_s,
                    cpu_s: 0.08,
                    process_cpu_s: 0.08,
                    census: RunCensus {
                        processes: vec![crate::census::ProcessCensus {
                            threads: 1,
                            threads_started: Some(0),
                            kernel_cpu_ns: 0,
                            peak_rss_bytes: 5 << 20,
                            pss_bytes: Some(5 << 20),
                        }],
                        workers_at_once: None,
                    },
                    outputs: outputs.clone(),
                    python: None,
                })
                .collect(),
        }
    }
}

/// How many measured rounds to run: a fixed number (`--runs`), or as many as it takes
/// for every model's median to be known to a set precision, within a time budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rounds {
    /// Always at least this many.
    pub min: u32,
    /// Never more than this many.
    pub max: u32,
    /// Stop adding runs of a model once the 95 % interval of its median is within ±
    /// this fraction of the median (0.01: ±1 %).
    pub precision: Option<f64>,
    /// Or once its measured runs have taken this long, each model on its own clock
    /// (hyperfine's rule: a slow model does not eat a fast one's budget).
    pub max_time: Option<Duration>,
}

impl Rounds {
    /// Exactly `n` rounds.
    pub fn fixed(n: u32) -> Rounds {
        Rounds {
            min: n,
            max: n,
            precision: None,
            max_time: None,
        }
    }

    /// After `done` rounds, in which each model's runs took `spent`: which models
    /// run in the next one? Every model up to the minimum; past it only those whose
    /// median is not yet precise (a precise model stays precise, as its runs do not
    /// change) and whose runs have not used up the time budget, until the cap. A
    /// model whose every request failed (a network that cannot reach the sites, under
    /// `--allow-failures`) gets no more than the minimum: more runs would only time
    /// its failures more precisely, and no verdict ranks a failed row. None: stop.
    fn next(&self, done: u32, spent: &[Duration], models: &[ModelRuns]) -> Option<Vec<bool>> {
        if done < self.min {
            return Some(vec![true; models.len()]);
        }
        if done >= self.max {
            return None;
        }
        let precision = self.precision?;
        let pending: Vec<bool> = models
            .iter()
            .zip(spent)
            .map(|(m, &spent)| {
                !m.every_request_failed()
                    && !precise(&m.walls(), precision)
                    && self.max_time.is_none_or(|budget| spent < budget)
            })
            .collect();
        pending.contains(&true).then_some(pending)
    }
}

/// Is the median of `walls` known to within ± `precision` of itself, at 95 %? (The
/// distribution-free interval of [`crate::stats::median_interval`].)
pub fn precise(walls: &[f64], precision: f64) -> bool {
    let median = crate::stats::median(walls);
    crate::stats::median_interval(walls, 0.95).is_some_and(|ci| {
        ci.confidence >= 0.95 && median > 0.0 && (ci.high - ci.low) / 2.0 <= precision * median
    })
}

impl ModelRuns {
    /// The wall times of the measured runs, in order.
    pub fn walls(&self) -> Vec<f64> {
        self.measurements.iter().map(|m| m.wall_s).collect()
    }

    /// True when the model ran io and every request of every measured run failed.
    pub fn every_request_failed(&self) -> bool {
        !self.measurements.is_empty()
            && self.measurements.iter().all(|m| match &m.outputs {
                crate::workload::Outputs::Io(fetches) => {
                    !fetches.is_empty() && fetches.iter().all(|f| f.failure.is_some())
                }
                crate::workload::Outputs::Cpu(_) | crate::workload::Outputs::Tasks(_) => false,
            })
    }
}

/// The models to measure, in table order: each spec once, made by this build, or —
/// with a baseline build — twice, this build's runs beside the baseline build's. The
/// `py-*` models run an interpreter, not either build, so they are measured once.
pub fn plan(specs: &[RunSpec], baseline_build: bool) -> Vec<ModelRuns> {
    let mut models = Vec::new();
    for spec in specs {
        let builds: &[Build] = if baseline_build && !spec.strategy.is_python() {
            &[Build::This, Build::Baseline]
        } else {
            &[Build::This]
        };
        for &build in builds {
            models.push(ModelRuns {
                spec: spec.clone(),
                build,
                measurements: Vec::new(),
            });
        }
    }
    models
}

/// Is `models[i + 1]` the same spec as `models[i]`, made by the other build?
fn paired(models: &[ModelRuns], i: usize) -> bool {
    models
        .get(i + 1)
        .is_some_and(|next| next.spec == models[i].spec && next.build != models[i].build)
}

/// Runs `warmup` unmeasured rounds and then as many measured rounds of every model of
/// `models` (from [`plan`]) as `rounds` asks, round-robin. A model measured with both
/// builds runs both back to back, this build first in even rounds and the baseline
/// build first in odd ones, and both run while either is not yet precise: so the two
/// builds get the same number of runs, side by side in time. Any failed run fails the
/// whole benchmark, naming model and run.
pub fn run_interleaved(
    mut models: Vec<ModelRuns>,
    warmup: u32,
    rounds: Rounds,
    executor: &mut dyn Executor,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<ModelRuns>> {
    executor.set_progress(progress.clone());
    let per_round = models.len() as u64;
    progress.set_length(u64::from(warmup + rounds.min) * per_round);
    let mut spent = vec![Duration::ZERO; models.len()];
    for round in 0.. {
        let measured = round >= warmup;
        let mut pending = vec![true; models.len()];
        if measured {
            let done = round - warmup;
            match rounds.next(done, &spent, &models) {
                Some(next) => pending = next,
                None => break,
            }
            for i in 0..models.len() {
                if paired(&models, i) {
                    let either = pending[i] || pending[i + 1];
                    pending[i] = either;
                    pending[i + 1] = either;
                }
            }
            if done >= rounds.min {
                progress.inc_length(pending.iter().filter(|&&p| p).count() as u64);
            }
        }
        let mut order: Vec<usize> = (0..models.len()).collect();
        if round % 2 == 1 {
            let mut i = 0;
            while i < models.len() {
                if paired(&models, i) {
                    order.swap(i, i + 1);
                    i += 1;
                }
                i += 1;
            }
        }
        for i in order.into_iter().filter(|&i| pending[i]) {
            let model = &mut models[i];
            let label = if measured {
                let run = model.measurements.len() + 1;
                if rounds.min == rounds.max {
                    format!("run {run}/{}", rounds.max)
                } else {
                    format!("run {run}")
                }
            } else {
                format!("warmup {}/{warmup}", round + 1)
            };
            let name = match model.build {
                Build::This => model.spec.strategy.to_string(),
                Build::Baseline => format!("{} (baseline build)", model.spec.strategy),
            };
            progress.set_message(format!("{name} {label}"));
            let started = Instant::now();
            let measurement = match model.build {
                Build::This => executor.execute(&model.spec),
                Build::Baseline => executor.execute_baseline(&model.spec),
            }
            .with_context(|| format!("{name} {label} failed"))?;
            if measured {
                spent[i] += started.elapsed();
                model.measurements.push(measurement);
            }
            progress.inc(1);
        }
    }
    Ok(models)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Strategy;
    use crate::workload::cpu::Kernel;
    use crate::workload::{CpuJob, Job};
    use anyhow::bail;

    /// Records the order of runs and answers with a fixed sample.
    struct FakeExecutor {
        calls: Vec<Strategy>,
        fail_on: Option<usize>,
    }

    impl Executor for FakeExecutor {
        fn execute(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
            self.calls.push(spec.strategy);
            if Some(self.calls.len()) == self.fail_on {
                bail!("boom");
            }
            Ok(Measurement {
                wall_s: self.calls.len() as f64,
                setup_s: 0.0,
                cpu_s: 0.0,
                process_cpu_s: 0.0,
                census: RunCensus::default(),
                outputs: Outputs::Cpu(vec![]),
                python: None,
            })
        }
    }

    fn specs() -> Vec<RunSpec> {
        let job = Job::Cpu(CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![1],
        });
        [Strategy::Sequential, Strategy::Threads, Strategy::Processes]
            .map(|strategy| RunSpec {
                strategy,
                workers: 2,
                job: job.clone(),
            })
            .to_vec()
    }

    #[test]
    fn rounds_interleave_and_warmups_are_discarded() {
        let mut executor = FakeExecutor {
            calls: Vec::new(),
            fail_on: None,
        };
        let runs = run_interleaved(
            plan(&specs(), false),
            1,
            Rounds::fixed(2),
            &mut executor,
            &ProgressBar::hidden(),
        )
        .unwrap();
        use Strategy::*;
        assert_eq!(
            executor.calls,
            vec![
                Sequential, Threads, Processes, Sequential, Threads, Processes, Sequential,
                Threads, Processes
            ]
        );
        // Call k (1-based) answered wall k: warmup calls 1..=3 are gone.
        let walls: Vec<Vec<f64>> = runs
            .iter()
            .map(|m| m.measurements.iter().map(|x| x.wall_s).collect())
            .collect();
        assert_eq!(walls, vec![vec![4.0, 7.0], vec![5.0, 8.0], vec![6.0, 9.0]]);
    }

    /// Records which build ran what, and answers with a fixed cycle of walls per
    /// (model, build).
    struct TwoBuilds {
        calls: Vec<(Strategy, Build)>,
        /// Walls of this build's runs, per model; the baseline build's in `baseline`.
        this: Vec<Vec<f64>>,
        baseline: Vec<Vec<f64>>,
        fail_baseline: bool,
    }

    impl TwoBuilds {
        fn answer(&mut self, spec: &RunSpec, build: Build) -> anyhow::Result<Measurement> {
            let model = specs()
                .iter()
                .position(|s| s.strategy == spec.strategy)
                .unwrap();
            let before = self
                .calls
                .iter()
                .filter(|c| **c == (spec.strategy, build))
                .count();
            self.calls.push((spec.strategy, build));
            let cycle = match build {
                Build::This => &self.this[model],
                Build::Baseline => &self.baseline[model],
            };
            Ok(Measurement {
                wall_s: cycle[before % cycle.len()],
                setup_s: 0.0,
                cpu_s: 0.0,
                process_cpu_s: 0.0,
                census: RunCensus::default(),
                outputs: Outputs::Cpu(vec![]),
                python: None,
            })
        }
    }

    impl Executor for TwoBuilds {
        fn execute(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
            self.answer(spec, Build::This)
        }

        fn execute_baseline(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
            if self.fail_baseline {
                bail!("exit status 2: error: unrecognized subcommand 'measure-run'");
            }
            self.answer(spec, Build::Baseline)
        }
    }

    fn two_builds(this: Vec<Vec<f64>>, baseline: Vec<Vec<f64>>) -> TwoBuilds {
        TwoBuilds {
            calls: Vec::new(),
            this,
            baseline,
            fail_baseline: false,
        }
    }

    #[test]
    fn a_baseline_build_runs_beside_this_one_first_in_every_other_round() {
        let specs = &specs()[..2];
        let mut executor = two_builds(vec![vec![1.0]; 2], vec![vec![2.0]; 2]);
        let runs = run_interleaved(
            plan(specs, true),
            1,
            Rounds::fixed(2),
            &mut executor,
            &ProgressBar::hidden(),
        )
        .unwrap();
        use Build::*;
        use Strategy::*;
        let round = |first: Build, second: Build| {
            vec![
                (Sequential, first),
                (Sequential, second),
                (Threads, first),
                (Threads, second),
            ]
        };
        // A warmup round, then two measured ones.
        let expected = [
            round(This, Baseline),
            round(Baseline, This),
            round(This, Baseline),
        ]
        .concat();
        assert_eq!(executor.calls, expected);
        let kept: Vec<(Strategy, Build, Vec<f64>)> = runs
            .iter()
            .map(|m| (m.spec.strategy, m.build, m.walls()))
            .collect();
        assert_eq!(
            kept,
            vec![
                (Sequential, This, vec![1.0, 1.0]),
                (Sequential, Baseline, vec![2.0, 2.0]),
                (Threads, This, vec![1.0, 1.0]),
                (Threads, Baseline, vec![2.0, 2.0]),
            ]
        );
    }

    #[test]
    fn both_builds_of_a_model_run_while_either_is_not_precise() {
        let adaptive = Rounds {
            min: 5,
            max: 40,
            precision: Some(0.02),
            max_time: None,
        };
        // Threads is steady in this build and swings ±20 % in the baseline build:
        // both sides of threads go on to the cap, the steady models stop at 6.
        let this = vec![vec![1.0], vec![2.0], vec![3.0]];
        let baseline = vec![vec![1.0], vec![1.6, 2.4], vec![3.0]];
        let mut executor = two_builds(this, baseline);
        let runs = run_interleaved(
            plan(&specs(), true),
            0,
            adaptive,
            &mut executor,
            &ProgressBar::hidden(),
        )
        .unwrap();
        let counts: Vec<usize> = runs.iter().map(|m| m.measurements.len()).collect();
        assert_eq!(counts, [6, 6, 40, 40, 6, 6]);
    }

    #[test]
    fn a_failed_baseline_build_run_says_which_build() {
        let mut executor = two_builds(vec![vec![1.0]; 3], vec![vec![1.0]; 3]);
        executor.fail_baseline = true;
        let error = run_interleaved(
            plan(&specs(), true),
            0,
            Rounds::fixed(2),
            &mut executor,
            &ProgressBar::hidden(),
        )
        .unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "sequential (baseline build) run 1/2 failed: exit status 2: error: unrecognized \
             subcommand 'measure-run'"
        );
    }

    #[test]
    fn the_python_models_are_not_run_by_a_baseline_build() {
        let job = specs()[0].job.clone();
        let specs: Vec<RunSpec> = [Strategy::Threads, Strategy::PyThreads]
            .map(|strategy| RunSpec {
                strategy,
                workers: 2,
                job: job.clone(),
            })
            .to_vec();
        let planned: Vec<(Strategy, Build)> = plan(&specs, true)
            .iter()
            .map(|m| (m.spec.strategy, m.build))
            .collect();
        assert_eq!(
            planned,
            vec![
                (Strategy::Threads, Build::This),
                (Strategy::Threads, Build::Baseline),
                (Strategy::PyThreads, Build::This),
            ]
        );
        assert!(plan(&specs, false).iter().all(|m| m.build == Build::This));
    }

    #[test]
    fn a_failed_run_names_model_and_run() {
        let mut executor = FakeExecutor {
            calls: Vec::new(),
            fail_on: Some(5),
        };
        let error = run_interleaved(
            plan(&specs(), false),
            1,
            Rounds::fixed(2),
            &mut executor,
            &ProgressBar::hidden(),
        )
        .unwrap_err();
        assert_eq!(format!("{error:#}"), "threads run 1/2 failed: boom");
    }

    /// Answers with walls from a fixed cycle per model, so precision is reached (or
    /// not) at a known run.
    struct Cycling {
        walls: Vec<Vec<f64>>,
        calls: Vec<usize>,
        order: Vec<Strategy>,
        /// How long each model's runs really take.
        takes: Vec<Duration>,
    }

    impl Executor for Cycling {
        fn execute(&mut self, spec: &RunSpec) -> anyhow::Result<Measurement> {
            let model = specs()
                .iter()
                .position(|s| s.strategy == spec.strategy)
                .unwrap();
            let cycle = &self.walls[model];
            let wall_s = cycle[self.calls[model] % cycle.len()];
            self.calls[model] += 1;
            self.order.push(spec.strategy);
            std::thread::sleep(self.takes[model]);
            Ok(Measurement {
                wall_s,
                setup_s: 0.0,
                cpu_s: 0.0,
                process_cpu_s: 0.0,
                census: RunCensus::default(),
                outputs: Outputs::Cpu(vec![]),
                python: None,
            })
        }
    }

    /// The runs each model got, and the order they ran in.
    fn rounds_until_precise(walls: Vec<Vec<f64>>, rounds: Rounds) -> (Vec<usize>, Vec<Strategy>) {
        rounds_taking(walls, vec![Duration::ZERO; 3], rounds)
    }

    fn rounds_taking(
        walls: Vec<Vec<f64>>,
        takes: Vec<Duration>,
        rounds: Rounds,
    ) -> (Vec<usize>, Vec<Strategy>) {
        let mut executor = Cycling {
            calls: vec![0; walls.len()],
            walls,
            order: Vec::new(),
            takes,
        };
        let runs = run_interleaved(
            plan(&specs(), false),
            0,
            rounds,
            &mut executor,
            &ProgressBar::hidden(),
        )
        .unwrap();
        let counts = runs.iter().map(|m| m.measurements.len()).collect();
        (counts, executor.order)
    }

    #[test]
    fn rounds_stop_once_every_model_is_precise_or_at_the_cap() {
        let adaptive = Rounds {
            min: 5,
            max: 60,
            precision: Some(0.02),
            max_time: None,
        };
        // Steady models: precise as soon as there are runs enough for a 95 % interval
        // of the median at all (6; 5 runs reach only 94 %).
        let steady = vec![vec![1.0], vec![2.0], vec![3.0]];
        assert_eq!(rounds_until_precise(steady, adaptive).0, [6, 6, 6]);
        // One model swings by ±20 % for ever: it runs to the cap, alone once the
        // others are precise; up to then every round ran all three in order.
        let noisy = vec![vec![1.0], vec![0.8, 1.2], vec![3.0]];
        let (counts, order) = rounds_until_precise(noisy.clone(), adaptive);
        assert_eq!(counts, [6, 60, 6]);
        let models: Vec<Strategy> = specs().iter().map(|s| s.strategy).collect();
        assert!(
            order[..18].chunks(3).all(|round| round == models),
            "{order:?}"
        );
        assert!(order[18..].iter().all(|&s| s == models[1]), "{order:?}");
        // A fixed count ignores precision.
        assert_eq!(rounds_until_precise(noisy, Rounds::fixed(7)).0, [7, 7, 7]);
    }

    /// A model whose every request failed gets no runs past the minimum; one with
    /// as noisy runs whose requests succeeded goes on.
    #[test]
    fn a_model_whose_every_request_failed_stops_at_the_minimum() {
        use crate::workload::io::{FailureKind, Fetch};
        let fetch = |failure| Fetch {
            bytes: 0,
            latency_s: 0.001,
            started_s: 1.0,
            digest: None,
            failure,
        };
        let noisy = [0.8, 1.2, 0.8, 1.2, 0.8, 1.2];
        let failed = ModelRuns::fixture(
            Strategy::Sequential,
            1,
            &noisy,
            Outputs::Io(vec![fetch(Some(FailureKind::Connect)); 3]),
        );
        let served = ModelRuns::fixture(
            Strategy::Threads,
            2,
            &noisy,
            Outputs::Io(vec![fetch(Some(FailureKind::Connect)), fetch(None)]),
        );
        assert!(failed.every_request_failed());
        assert!(!served.every_request_failed());
        let rounds = Rounds {
            min: 6,
            max: 60,
            precision: Some(0.01),
            max_time: None,
        };
        let spent = [Duration::ZERO; 2];
        assert_eq!(
            rounds.next(6, &spent, &[failed, served]),
            Some(vec![false, true])
        );
    }

    #[test]
    fn an_exhausted_time_budget_stops_at_the_minimum() {
        let rounds = Rounds {
            min: 4,
            max: 60,
            precision: Some(0.02),
            max_time: Some(Duration::ZERO),
        };
        let noisy = vec![vec![1.0], vec![0.8, 1.2], vec![3.0]];
        assert_eq!(rounds_until_precise(noisy, rounds).0, [4, 4, 4]);
    }

    #[test]
    fn each_model_has_its_own_time_budget() {
        // Two noisy models: the slow one's 4 runs already took its 50 ms, the fast
        // one goes on to the cap. (Sleeps set how long runs take; nothing here
        // depends on how fast the machine is.)
        let rounds = Rounds {
            min: 4,
            max: 30,
            precision: Some(0.02),
            max_time: Some(Duration::from_millis(50)),
        };
        let noisy = vec![vec![0.8, 1.2], vec![0.8, 1.2], vec![3.0]];
        let takes = vec![Duration::from_millis(20), Duration::ZERO, Duration::ZERO];
        assert_eq!(rounds_taking(noisy, takes, rounds).0, [4, 30, 6]);
    }
}
