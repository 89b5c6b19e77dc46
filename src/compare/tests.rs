//! Tests of the comparison and its verdict rule, on hand-made reports.

use super::*;
use crate::machine::Machine;
use crate::output::table::{Style, TableOptions};

/// The rule's tests were written for a 10 % tolerance (the default is 5 %, tuned on
/// real runs by scripts/gate-sensitivity.py); they test the rule, not the default.
fn ten_percent() -> Thresholds {
    Thresholds {
        max_regression: 0.10,
        ..Thresholds::default()
    }
}
use crate::report::SCHEMA_VERSION;
use crate::significance::SplitMix64;
use crate::stats::Summary;

fn row(strategy: Strategy, samples: &[f64]) -> ResultRow {
    let wall = Summary::of(samples).unwrap();
    ResultRow {
        workload: Workload::Cpu,
        strategy,
        workers: strategy.workers(4),
        runs: samples.len(),
        wall_s: wall.clone(),
        setup_s: Summary::of(&[0.001]).unwrap(),
        cpu_s: wall.clone(),
        process_cpu_s: None,
        memory_bytes: 1 << 20,
        memory_pss_bytes: None,
        largest_process_bytes: 1 << 20,
        census: Default::default(),
        speedup: None,
        median_ci_s: [0.0, 0.0],
        median_ci_confidence: 0.95,
        efficiency: None,
        speedup_ci95: None,
        outliers: Vec::new(),
        cv: 0.0,
        verified: true,
        verify_note: None,
        checksum: "1".to_string(),
        kernel: None,
        tasks: None,
        io: None,
        python: None,
    }
}

/// A cpu report from `(strategy, wall seconds per run)`.
fn report(rows: &[(Strategy, Vec<f64>)]) -> Report {
    Report {
        warnings: Vec::new(),
        schema_version: SCHEMA_VERSION,
        created_at: "2025-01-01T00:00:00Z".to_string(),
        machine: Machine::fixture(),
        config: ReportConfig {
            warmup: 1,
            strategies: rows.iter().map(|(s, _)| *s).collect(),
            cpu: Some(CpuSettings {
                runs: 10,
                kernel: "primes".to_string(),
                numbers: vec![1_000_003, 1_000_033],
                workers: vec![4],
            }),
            tasks: None,
            io: None,
            python: None,
        },
        results: rows.iter().map(|(s, samples)| row(*s, samples)).collect(),
    }
}

/// Ten runs around `center`, within ±1 %, in a fixed pseudo-random order.
fn runs(center: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..10)
        .map(|_| center * (0.99 + 0.02 * rng.next_f64()))
        .collect()
}

fn two_models(scale: f64, seed: u64) -> Report {
    report(&[
        (Strategy::Sequential, runs(0.200 * scale, seed)),
        (Strategy::Threads, runs(0.060 * scale, seed + 1)),
    ])
}

#[test]
fn identical_reports_have_no_regression() {
    let baseline = two_models(1.0, 1);
    let outcome = compare(&baseline, &baseline, ten_percent()).unwrap();
    assert_eq!(outcome.regressions, 0);
    assert_eq!(outcome.comparisons.len(), 2);
    for c in &outcome.comparisons {
        assert_eq!(c.verdict, Verdict::Unchanged, "{c:?}");
        assert_eq!(c.change, 0.0);
        assert_eq!(c.p_value, 1.0);
    }
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
}

#[test]
fn thirty_percent_slower_is_a_regression() {
    let outcome = compare(&two_models(1.0, 1), &two_models(1.3, 11), ten_percent()).unwrap();
    assert_eq!(outcome.regressions, 2);
    for c in &outcome.comparisons {
        assert_eq!(c.verdict, Verdict::Slower, "{c:?}");
        assert!(c.regression);
        assert!((c.change - 0.3).abs() < 0.03, "{c:?}");
        assert!(c.change_ci.0 > 0.1 && c.change_ci.0 <= c.change && c.change <= c.change_ci.1);
        assert!(c.p_value < 0.001);
    }
    let back = compare(&two_models(1.3, 11), &two_models(1.0, 1), ten_percent()).unwrap();
    assert!(
        back.comparisons
            .iter()
            .all(|c| c.verdict == Verdict::Faster)
    );
    assert_eq!(back.regressions, 0);
}

#[test]
fn a_slowdown_of_runs_in_two_clusters_is_caught() {
    // A process pool on 2 cores: runs near 25.0 or 27.8 ms, as the workers did or did
    // not get a core each. The current build is exactly 10 % slower, and its runs
    // happen to fall 11 low and 10 high where the baseline's fell 10 and 11: its
    // median lands in the low cluster, the baseline's in the high one, and the ratio
    // of medians says 0.7 % faster. Every run pair says 10 % slower.
    let runs = |low: usize, high: usize, factor: f64| -> Vec<f64> {
        let low = (0..low).map(|i| 0.0250 + 0.00001 * i as f64);
        let high = (0..high).map(|i| 0.0278 + 0.00001 * i as f64);
        low.chain(high).map(|t| t * factor).collect()
    };
    let baseline = report(&[(Strategy::Processes, runs(10, 11, 1.0))]);
    let current = report(&[(Strategy::Processes, runs(11, 10, 1.1))]);
    let outcome = compare(&baseline, &current, Thresholds::default()).unwrap();
    let c = &outcome.comparisons[0];
    assert!(c.current_median_s < c.baseline_median_s, "{c:?}");
    assert_eq!(c.verdict, Verdict::Slower, "{c:?}");
    assert!((c.change - 0.10).abs() < 0.005, "{c:?}");
    assert!(c.change_ci.0 > 0.05, "{c:?}");
}

#[test]
fn a_small_shift_is_not_a_regression() {
    let outcome = compare(&two_models(1.0, 1), &two_models(1.03, 11), ten_percent()).unwrap();
    assert_eq!(outcome.regressions, 0);
    for c in &outcome.comparisons {
        // Real (every run moved) but inside the 10 % tolerance.
        assert!(c.p_value < 0.05, "{c:?}");
        assert_eq!(c.verdict, Verdict::Unchanged, "{c:?}");
    }
}

#[test]
fn too_few_runs_are_inconclusive_and_refused() {
    let baseline = report(&[(Strategy::Threads, vec![0.10, 0.11, 0.12])]);
    let current = report(&[(Strategy::Threads, vec![0.20, 0.21, 0.22])]);
    // 3 runs a side cannot reach p < 0.05, however far apart they are...
    let c = compare_rows(&baseline.results[0], &current.results[0], ten_percent());
    assert_eq!(c.verdict, Verdict::Inconclusive);
    // ... so a gate on them could never fail, and is refused.
    let error = compare(&baseline, &current, ten_percent())
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "too few runs for the gate to ever fail: cpu threads (4 workers) has 3 runs in the \
         baseline and 3 in the current report, and the rank test cannot reach p < 0.05 with \
         so few (its smallest p is 0.100); measure 5 or more runs against this baseline, or \
         4 or more on both sides"
    );
    let single = report(&[(Strategy::Threads, vec![0.2])]);
    let c = compare_rows(&single.results[0], &single.results[0], ten_percent());
    assert_eq!(c.verdict, Verdict::Inconclusive);
    let error = compare(&single, &single, ten_percent())
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with("no current report can make up for so few baseline runs: measure both with 4 or more runs"),
        "{error}"
    );
}

#[test]
fn an_inconclusive_row_fails_only_when_asked() {
    let baseline = two_models(1.0, 1);
    // Exactly at the tolerance: neither within it nor shown beyond it.
    let current = two_models(1.1, 1);
    let outcome = compare(&baseline, &current, ten_percent()).unwrap();
    assert!(
        outcome
            .comparisons
            .iter()
            .all(|c| c.verdict == Verdict::Inconclusive)
    );
    assert!(outcome.passed());
    assert_eq!(
        summary(&outcome),
        "0 unchanged, 2 inconclusive, 0 slower, 0 faster: pass"
    );
    let strict = Thresholds {
        fail_on_inconclusive: true,
        ..ten_percent()
    };
    let outcome = compare(&baseline, &current, strict).unwrap();
    assert_eq!((outcome.regressions, outcome.failed_inconclusive), (0, 2));
    assert!(!outcome.passed());
    assert_eq!(
        summary(&outcome),
        "0 unchanged, 2 inconclusive, 0 slower, 0 faster: FAIL"
    );
}

#[test]
fn different_cpu_numbers_are_an_error() {
    let baseline = two_models(1.0, 1);
    let mut current = baseline.clone();
    current.config.cpu.as_mut().unwrap().numbers.push(7);
    let error = compare(&baseline, &current, ten_percent())
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "the reports were measured with different cpu settings (numbers differs); compare only like with like"
    );
    current.config.cpu.as_mut().unwrap().kernel = "squares".to_string();
    let error = compare(&baseline, &current, ten_percent())
        .unwrap_err()
        .to_string();
    assert!(error.contains("(kernel, numbers differ)"), "{error}");
    // More runs is not a different workload.
    let mut current = baseline.clone();
    current.config.cpu.as_mut().unwrap().runs = 30;
    assert!(compare(&baseline, &current, ten_percent()).is_ok());
}

#[test]
fn nothing_shared_is_an_error() {
    let baseline = two_models(1.0, 1);
    let mut io_only = baseline.clone();
    io_only.config.cpu = None;
    let error = compare(&baseline, &io_only, ten_percent())
        .unwrap_err()
        .to_string();
    assert!(error.contains("share no workload"), "{error}");
    let other = report(&[(Strategy::Rayon, runs(0.05, 3))]);
    let error = compare(&baseline, &other, ten_percent())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("share no (workload, model, workers) row"),
        "{error}"
    );
}

#[test]
fn another_machine_is_a_warning_only() {
    let baseline = two_models(1.0, 1);
    let mut current = baseline.clone();
    current.machine.hostname = Some("runner-2".to_string());
    let outcome = compare(&baseline, &current, ten_percent()).unwrap();
    assert_eq!(outcome.regressions, 0);
    assert_eq!(
        outcome.warnings,
        vec![
            "the reports come from different machines (host runner-1 vs runner-2); a change may be the machine's, not the code's"
        ]
    );
    // An unknown hostname is not a different one.
    current.machine.hostname = None;
    assert!(
        compare(&baseline, &current, ten_percent())
            .unwrap()
            .warnings
            .is_empty()
    );
}

#[test]
fn every_model_moving_together_is_a_warning_not_a_verdict() {
    let models = |scale: [f64; 3]| {
        report(&[
            (Strategy::Sequential, runs(0.100 * scale[0], 1)),
            (Strategy::Threads, runs(0.050 * scale[1], 2)),
            (Strategy::Rayon, runs(0.050 * scale[2], 3)),
        ])
    };
    let baseline = models([1.0, 1.0, 1.0]);
    let busier = compare(&baseline, &models([1.3, 1.4, 1.35]), ten_percent()).unwrap();
    assert_eq!(
        busier.regressions, 3,
        "each row is still judged on its runs"
    );
    let moved: Vec<&String> = busier
        .warnings
        .iter()
        .filter(|w| w.contains("every model"))
        .collect();
    assert_eq!(moved.len(), 1, "{:?}", busier.warnings);
    assert!(
        moved[0].starts_with("cpu: every model is slower (+"),
        "{}",
        moved[0]
    );
    assert!(moved[0].contains("a rerun of both"), "{}", moved[0]);
    // One model slower: no such warning.
    let one = compare(&baseline, &models([1.0, 1.4, 1.0]), ten_percent()).unwrap();
    assert_eq!(one.regressions, 1);
    assert!(
        one.warnings.iter().all(|w| !w.contains("every model")),
        "{:?}",
        one.warnings
    );
    // Two rows are too few to call it "every model".
    let two = compare(&two_models(1.0, 1), &two_models(1.3, 11), ten_percent()).unwrap();
    assert!(
        two.warnings.iter().all(|w| !w.contains("every model")),
        "{:?}",
        two.warnings
    );
}

#[test]
fn rows_on_one_side_and_outliers_are_warnings() {
    let baseline = two_models(1.0, 1);
    let mut spiky = runs(0.060, 2);
    spiky[3] = 0.5;
    let current = report(&[(Strategy::Threads, spiky), (Strategy::Rayon, runs(0.05, 3))]);
    let outcome = compare(&baseline, &current, ten_percent()).unwrap();
    assert_eq!(outcome.comparisons.len(), 1);
    assert_eq!(
        outcome.warnings,
        vec![
            "cpu rayon, 4 workers is only in the current report; not compared",
            "cpu sequential, 1 worker is only in the baseline; not compared",
            "cpu: runs over 10 % off their median: threads ×4 current 1 of 10 (the median is robust to them; was the machine busy?)",
        ]
    );
}

#[test]
fn outliers_of_every_compared_row_are_one_line_per_workload() {
    let spiky = |center: f64, seed: u64, at: usize| {
        let mut walls = runs(center, seed);
        walls[at] = center * 3.0;
        walls
    };
    let baseline = report(&[
        (Strategy::Sequential, spiky(0.200, 1, 2)),
        (Strategy::Threads, spiky(0.060, 2, 3)),
        (Strategy::Rayon, runs(0.050, 3)),
    ]);
    let current = report(&[
        (Strategy::Sequential, runs(0.200, 4)),
        (Strategy::Threads, spiky(0.060, 5, 7)),
        (Strategy::Rayon, runs(0.050, 6)),
    ]);
    let outcome = compare(&baseline, &current, ten_percent()).unwrap();
    assert_eq!(
        outcome.warnings,
        vec![
            "cpu: runs over 10 % off their median: sequential baseline 1 of 10; threads ×4 \
             baseline 1 of 10, current 1 of 10 (the median is robust to them; was the \
             machine busy?)"
        ]
    );
}

#[test]
fn render_shows_change_interval_and_verdict() {
    let comparison =
        |strategy: &str, current: f64, ci: (f64, f64), p_value: f64, verdict: Verdict| Comparison {
            workload: "cpu".to_string(),
            strategy: strategy.to_string(),
            workers: 4,
            baseline_median_s: 0.1,
            current_median_s: current,
            change: current / 0.1 - 1.0,
            change_ci: ci,
            change_ci_confidence: 0.95,
            p_value,
            verdict,
            regression: verdict == Verdict::Slower,
        };
    let outcome = Outcome {
        comparisons: vec![
            comparison("threads", 0.125, (0.2, 0.3), 0.0001, Verdict::Slower),
            comparison("rayon", 0.05, (-0.55, -0.45), 0.002, Verdict::Faster),
            comparison("async", 0.101, (-0.02, 0.04), 0.6, Verdict::Unchanged),
            comparison(
                "processes",
                0.112,
                (f64::NAN, f64::NAN),
                1.0,
                Verdict::Inconclusive,
            ),
        ],
        warnings: Vec::new(),
        regressions: 1,
        failed_inconclusive: 0,
    };
    let options = TableOptions::plain(Style::Basic, false);
    let text = render(&outcome, &options);
    let expected = "\
──────────────────────────────────────────────────────────────────────────────────────────────
model      workload  workers  baseline  current         change (95 % CI)       p  verdict
──────────────────────────────────────────────────────────────────────────────────────────────
threads    cpu             4    100 ms   125 ms  +25.0 % (+20.0 … +30.0)  <0.001  SLOWER
rayon      cpu             4    100 ms  50.0 ms  -50.0 % (-55.0 … -45.0)   0.002  faster
async      cpu             4    100 ms   101 ms     +1.0 % (-2.0 … +4.0)   0.600  unchanged
processes  cpu             4    100 ms   112 ms                  +12.0 %   1.000  inconclusive
──────────────────────────────────────────────────────────────────────────────────────────────";
    assert_eq!(text, expected);
    // The default compare table fits a 100-column terminal.
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
}

// --- The verdict rule on simulated runs (see the module docs). ---

/// How a simulated runner misbehaves.
#[derive(Clone, Copy, Debug)]
struct Noise {
    /// Lognormal σ of each run: 0.05 ≈ 5 % spread.
    per_run: f64,
    /// Lognormal σ of a whole invocation, shared by its runs.
    drift: f64,
    /// Probability that a run is preempted, adding 0..100 %.
    spike: f64,
}

fn normal(rng: &mut SplitMix64) -> f64 {
    let (u, v) = (1.0 - rng.next_f64(), rng.next_f64());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// One invocation of a 50 ms job `factor` times slower than the baseline.
fn invocation(rng: &mut SplitMix64, runs: usize, factor: f64, noise: Noise) -> ResultRow {
    let drift = (noise.drift * normal(rng)).exp();
    let samples: Vec<f64> = (0..runs)
        .map(|_| {
            let t = 0.05 * factor * drift * (noise.per_run * normal(rng)).exp();
            if rng.next_f64() < noise.spike {
                t * (1.0 + rng.next_f64())
            } else {
                t
            }
        })
        .collect();
    row(Strategy::Threads, &samples)
}

/// Every ordered pair of 20 identical reruns: the comparisons.
fn reruns_pairwise(
    seed: u64,
    runs: usize,
    noise: Noise,
    thresholds: Thresholds,
) -> Vec<Comparison> {
    let mut rng = SplitMix64::new(seed);
    let reruns: Vec<ResultRow> = (0..20)
        .map(|_| invocation(&mut rng, runs, 1.0, noise))
        .collect();
    let mut comparisons = Vec::new();
    for (i, a) in reruns.iter().enumerate() {
        for (j, b) in reruns.iter().enumerate() {
            if i != j {
                comparisons.push(compare_rows(a, b, thresholds));
            }
        }
    }
    comparisons
}

/// `trials` comparisons of a baseline against a run `factor` times slower.
fn slowdowns(
    seed: u64,
    trials: usize,
    runs: usize,
    factor: f64,
    noise: Noise,
    thresholds: Thresholds,
) -> Vec<Comparison> {
    let mut rng = SplitMix64::new(seed);
    (0..trials)
        .map(|_| {
            let baseline = invocation(&mut rng, runs, 1.0, noise);
            compare_rows(
                &baseline,
                &invocation(&mut rng, runs, factor, noise),
                thresholds,
            )
        })
        .collect()
}

fn regressions(comparisons: &[Comparison]) -> usize {
    comparisons.iter().filter(|c| c.regression).count()
}

/// A shared runner on a bad day: 5 % per run, 2 % drift, 1 run in 10 preempted.
const SHARED_RUNNER: Noise = Noise {
    per_run: 0.05,
    drift: 0.02,
    spike: 0.1,
};
/// A quiet one: 2 % per run, 1 % drift, no preemption.
const QUIET_RUNNER: Noise = Noise {
    per_run: 0.02,
    drift: 0.01,
    spike: 0.0,
};

#[test]
fn twenty_identical_reruns_give_at_most_one_false_regression() {
    let comparisons = reruns_pairwise(101, 10, SHARED_RUNNER, ten_percent());
    assert_eq!(comparisons.len(), 380); // 190 pairs, each both ways
    assert!(
        regressions(&comparisons) <= 1,
        "{}",
        regressions(&comparisons)
    );
}

#[test]
fn clear_slowdowns_are_caught_with_ten_runs() {
    let caught = regressions(&slowdowns(7, 40, 10, 1.3, SHARED_RUNNER, ten_percent()));
    assert!(caught >= 34, "30 % slower caught in {caught} of 40");
    let five = Thresholds {
        max_regression: 0.05,
        ..ten_percent()
    };
    let caught = regressions(&slowdowns(7, 40, 10, 1.1, QUIET_RUNNER, five));
    assert!(
        caught >= 34,
        "10 % slower at a 5 % tolerance caught in {caught} of 40"
    );
    let false_alarms = regressions(&reruns_pairwise(101, 10, QUIET_RUNNER, five));
    assert!(false_alarms <= 1, "{false_alarms}");
}

/// The simulated figures in the README's *Measured* section. `cargo test --release
/// --lib verdict_rule_sweep -- --ignored --nocapture`; it prints, it does not assert.
#[test]
#[ignore = "a simulation that prints figures; slow in debug builds"]
fn verdict_rule_sweep() {
    let simpler =
        |c: &Comparison, max: f64| c.change > max && c.p_value < 0.05 && c.change_ci.0 > 0.0;
    println!(
        "false regressions per 380 comparisons of 20 reruns (mean, max of 10 batches), rule | simpler rule;"
    );
    println!("then the share of slowdowns caught (200 trials each)");
    for (max, runs, drift) in [
        (0.10, 10, 0.02),
        (0.10, 20, 0.02),
        (0.05, 10, 0.01),
        (0.05, 10, 0.02),
    ] {
        let thresholds = Thresholds {
            max_regression: max,
            ..ten_percent()
        };
        for spike in [0.0, 0.1] {
            for per_run in [0.02, 0.05, 0.10] {
                let noise = Noise {
                    per_run,
                    drift,
                    spike,
                };
                let batches: Vec<Vec<Comparison>> = (0..10)
                    .map(|b| reruns_pairwise(100 + b, runs, noise, thresholds))
                    .collect();
                let count = |rule: &dyn Fn(&Comparison) -> bool| -> (f64, usize) {
                    let counts: Vec<usize> = batches
                        .iter()
                        .map(|b| b.iter().filter(|c| rule(c)).count())
                        .collect();
                    (
                        counts.iter().sum::<usize>() as f64 / 10.0,
                        *counts.iter().max().unwrap(),
                    )
                };
                let (mean, worst) = count(&|c| c.regression);
                let (simple_mean, simple_worst) = count(&|c| simpler(c, max));
                let caught: Vec<String> = [1.10, 1.15, 1.20, 1.30]
                    .iter()
                    .map(|&factor| {
                        let found =
                            regressions(&slowdowns(7, 200, runs, factor, noise, thresholds));
                        format!(
                            "{:.0}%: {:.2}",
                            (factor - 1.0) * 100.0,
                            found as f64 / 200.0
                        )
                    })
                    .collect();
                println!(
                    "max {max} runs {runs} drift {drift} noise {per_run} spikes {spike}: false {mean:.1}/{worst} | {simple_mean:.1}/{simple_worst}; caught {}",
                    caught.join(" ")
                );
            }
        }
    }
}
