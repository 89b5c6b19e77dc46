//! The engine's tests: rounds, budgets and interleaving, on a fake executor.

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
            Sequential, Threads, Processes, Sequential, Threads, Processes, Sequential, Threads,
            Processes
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
