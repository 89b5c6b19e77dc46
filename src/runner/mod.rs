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
mod tests;
