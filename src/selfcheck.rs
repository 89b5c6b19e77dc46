//! The self-check of a cpu run: the same work must cost the same CPU in every model.
//!
//! Every model runs the same kernel on the same numbers, through the same single
//! function ([`crate::workload::cpu`]), so the CPU time the kernel takes per item is
//! the same in every model, whatever the model does around it. Each process of a run
//! counts that time on its threads' own clocks ([`crate::census`]); this module
//! turns it into a figure per row ([`KernelFigures`]) and, beside sequential's,
//! into a ratio with its interval.
//!
//! When a model's kernel CPU per item differs from sequential's beyond noise, the
//! figures of this run are biased, not by the models: by where the kernel's code
//! landed (code layout), by the clock speed moving under load (frequency scaling), or
//! by other work on the machine. [`check`] says so in one line, and a speedup above
//! the worker count, which no model can reach honestly, is never printed without that
//! caveat ([`impossible_speedup`]).
//!
//! "Beyond noise" is two conditions: the ratio is more than [`TOLERANCE`] away from
//! 1, and its distribution-free interval ([`significance::shift_ratio`], the rank
//! test's own) excludes 1. With too few runs for an interval, the ratio alone
//! decides. Two workers on two cores share caches and a power budget, so a few
//! percent is expected and is not flagged. Items under [`MIN_ITEM_S`] of kernel CPU
//! are not checked (their figures are still reported).

use crate::report::{KernelFigures, ResultRow};
use crate::runner::ModelRuns;
use crate::significance;
use crate::stats::{self, CONFIDENCE};
use crate::strategy::Strategy;

/// How far from sequential's a model's kernel CPU per item may be before it is
/// flagged (when its interval also excludes 1).
pub(crate) const TOLERANCE: f64 = 0.10;

/// Items cheaper than this are not checked: two clock reads per item, and a worker
/// process's first items on cold caches, weigh as much as the work itself.
pub(crate) const MIN_ITEM_S: f64 = 50e-6;

/// Kernel CPU seconds per item, one value per measured run; empty when the model's
/// processes do not count it (the `py-*` models).
pub(crate) fn per_item_samples(model: &ModelRuns, items: usize) -> Vec<f64> {
    if items == 0 {
        return Vec::new();
    }
    let samples: Vec<f64> = model
        .measurements
        .iter()
        .map(|m| m.census.kernel_cpu_s() / items as f64)
        .collect();
    if samples.iter().all(|&s| s > 0.0) {
        samples
    } else {
        Vec::new()
    }
}

/// Fills in each row's [`KernelFigures`] from its per-run samples (same order as
/// `rows`) and returns the rows whose kernel CPU per item is not sequential's, beyond
/// noise, as `threads ×2` and the ratio: the analysis's
/// [`crate::analysis::Warning::KernelCost`].
pub(crate) fn check(rows: &mut [ResultRow], samples: &[Vec<f64>]) -> Vec<(String, f64)> {
    let sequential = rows
        .iter()
        .zip(samples)
        .find(|(row, s)| row.strategy == Strategy::Sequential && !s.is_empty())
        .map(|(_, s)| s.clone());
    let mut off = Vec::new();
    for (row, samples) in rows.iter_mut().zip(samples) {
        if samples.is_empty() {
            continue;
        }
        let mut figures = KernelFigures {
            cpu_per_item_s: stats::median(samples),
            vs_sequential: None,
            vs_sequential_ci: None,
        };
        if let Some(base) = &sequential {
            let shift = significance::shift_ratio(samples, base, CONFIDENCE);
            if shift.ratio.is_finite() {
                figures.vs_sequential = Some(shift.ratio);
                if shift.low.is_finite() && shift.high.is_finite() {
                    figures.vs_sequential_ci = Some([shift.low, shift.high]);
                }
            }
            let checkable = figures.cpu_per_item_s.min(stats::median(base)) >= MIN_ITEM_S;
            if row.strategy != Strategy::Sequential && checkable && beyond_noise(&figures) {
                off.push((
                    format!("{} ×{}", row.strategy, row.workers),
                    figures.vs_sequential.unwrap_or(f64::NAN),
                ));
            }
        }
        row.kernel = Some(figures);
    }
    off
}

/// True when a model's kernel CPU per item is off sequential's by more than
/// [`TOLERANCE`], and its interval, if it has one, excludes 1.
pub(crate) fn beyond_noise(figures: &KernelFigures) -> bool {
    let Some(ratio) = figures.vs_sequential else {
        return false;
    };
    let far = !(1.0 / (1.0 + TOLERANCE)..=1.0 + TOLERANCE).contains(&ratio);
    let significant = match figures.vs_sequential_ci {
        Some([low, high]) => low > 1.0 || high < 1.0,
        None => true,
    };
    far && significant
}

/// A cpu row faster than sequential by more than its worker count: no concurrency
/// model can do that with the same work, so the figure is biased.
pub(crate) fn impossible_speedup(row: &ResultRow) -> bool {
    row.workload == crate::workload::Workload::Cpu
        && !row.strategy.is_python()
        && row.speedup.is_some_and(|s| s > row.workers as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{self, Warning};
    use crate::runner::ModelRuns;
    use crate::workload::cpu::Kernel;
    use crate::workload::{CpuJob, Outputs};

    /// A cpu model whose runs took these wall times and these kernel CPU seconds
    /// (over the 4 items of [`job`], all right).
    fn model(strategy: Strategy, workers: usize, runs: &[(f64, f64)]) -> ModelRuns {
        let walls: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let job = job();
        let right = job.numbers.iter().map(|&n| job.kernel.expected(n).unwrap());
        let mut model =
            ModelRuns::fixture(strategy, workers, &walls, Outputs::Cpu(right.collect()));
        for (measurement, &(_, kernel_s)) in model.measurements.iter_mut().zip(runs) {
            for process in &mut measurement.census.processes {
                process.kernel_cpu_ns = (kernel_s * 1e9) as u64;
            }
        }
        model
    }

    /// Four items, each large enough to time.
    fn job() -> CpuJob {
        CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![100_000, 200_000, 300_000, 400_000],
        }
    }

    fn row(a: &analysis::Analysis, strategy: Strategy) -> &ResultRow {
        a.rows.iter().find(|r| r.strategy == strategy).unwrap()
    }

    /// The AMD host of the issue: threads ran the kernel at 0.59× sequential's CPU,
    /// so its "3.3× on 2 workers" was layout, and the run says so.
    #[test]
    fn a_model_whose_kernel_ran_cheaper_is_flagged_and_named() {
        let seq: Vec<(f64, f64)> = (0..6).map(|i| (0.146 + i as f64 * 1e-3, 0.146)).collect();
        let thr: Vec<(f64, f64)> = (0..6)
            .map(|i| (0.044 + i as f64 * 1e-4, 0.086 + i as f64 * 1e-4))
            .collect();
        let a = analysis::cpu(
            &job(),
            &[
                model(Strategy::Sequential, 1, &seq),
                model(Strategy::Threads, 2, &thr),
            ],
        );
        let threads = row(&a, Strategy::Threads);
        let kernel = threads.kernel.as_ref().unwrap();
        assert!(
            (kernel.cpu_per_item_s - 0.086_25 / 4.0).abs() < 1e-4,
            "{kernel:?}"
        );
        let ratio = kernel.vs_sequential.unwrap();
        assert!((0.58..0.6).contains(&ratio), "{ratio}");
        let [_, high] = kernel.vs_sequential_ci.unwrap();
        assert!(high < 1.0);
        let warning = a
            .warnings
            .iter()
            .find(|w| matches!(w, Warning::KernelCost { .. }))
            .expect("a warning")
            .clone();
        let Warning::KernelCost { rows } = &warning else {
            unreachable!()
        };
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "threads ×2");
        let warning = warning.to_string();
        assert!(warning.contains("threads ×2 0.59×"), "{warning}");
        assert!(warning.contains("code layout"), "{warning}");
        assert!(!warning.contains('\n'));
        assert!(impossible_speedup(threads), "speedup {:?}", threads.speedup);
    }

    /// Equal work at equal cost, with run-to-run noise and a few percent of
    /// contention at 2 workers: no warning, and a speedup under 2 is possible.
    #[test]
    fn the_same_cost_within_noise_is_not_flagged() {
        let seq: Vec<(f64, f64)> = [0.086, 0.087, 0.085, 0.088, 0.086, 0.090]
            .iter()
            .map(|&k| (k, k))
            .collect();
        let thr: Vec<(f64, f64)> = [0.089, 0.088, 0.091, 0.087, 0.092, 0.090]
            .iter()
            .map(|&k| (k / 1.85, k))
            .collect();
        let a = analysis::cpu(
            &job(),
            &[
                model(Strategy::Sequential, 1, &seq),
                model(Strategy::Threads, 2, &thr),
            ],
        );
        let threads = row(&a, Strategy::Threads);
        let ratio = threads.kernel.as_ref().unwrap().vs_sequential.unwrap();
        assert!((1.0..1.06).contains(&ratio), "{ratio}");
        assert!(
            !a.warnings
                .iter()
                .any(|w| matches!(w, Warning::KernelCost { .. })),
            "{:?}",
            a.warnings
        );
        assert!(!impossible_speedup(threads));
        // Sequential against itself is 1, exactly.
        let seq = row(&a, Strategy::Sequential).kernel.as_ref().unwrap();
        assert_eq!(seq.vs_sequential, Some(1.0));
    }

    /// Far off, but with too few runs for an interval: the ratio alone decides. Within
    /// the tolerance, an interval that excludes 1 is still not flagged.
    #[test]
    fn beyond_noise_needs_both_distance_and_significance() {
        let figures = |ratio, ci| KernelFigures {
            cpu_per_item_s: 0.004,
            vs_sequential: Some(ratio),
            vs_sequential_ci: ci,
        };
        assert!(beyond_noise(&figures(0.59, None)));
        assert!(beyond_noise(&figures(1.7, Some([1.6, 1.8]))));
        assert!(!beyond_noise(&figures(1.05, Some([1.03, 1.07]))));
        assert!(!beyond_noise(&figures(1.3, Some([0.9, 1.6]))));
        assert!(!beyond_noise(&figures(0.95, None)));
        assert!(!beyond_noise(&KernelFigures {
            cpu_per_item_s: 0.004,
            vs_sequential: None,
            vs_sequential_ci: None,
        }));
    }

    /// A job of items too small to time (microseconds each) gets figures but no
    /// warning: clock reads and cold caches are of the order of the work.
    #[test]
    fn items_too_small_to_time_are_reported_but_not_judged() {
        let a = analysis::cpu(
            &job(),
            &[
                model(Strategy::Sequential, 1, &[(0.001, 4e-6)]),
                model(Strategy::Processes, 8, &[(0.01, 5e-6)]),
            ],
        );
        let processes = row(&a, Strategy::Processes).kernel.as_ref().unwrap();
        assert!((processes.vs_sequential.unwrap() - 1.25).abs() < 1e-9);
        assert!(
            !a.warnings
                .iter()
                .any(|w| matches!(w, Warning::KernelCost { .. })),
            "{:?}",
            a.warnings
        );
    }

    /// Rows without kernel figures (Python, or io) are left alone.
    #[test]
    fn models_that_do_not_count_kernel_cpu_get_no_figures() {
        let a = analysis::cpu(
            &job(),
            &[
                model(Strategy::Sequential, 1, &[(0.1, 0.0), (0.1, 0.0)]),
                model(Strategy::Threads, 2, &[(0.05, 0.1), (0.05, 0.1)]),
            ],
        );
        assert_eq!(row(&a, Strategy::Sequential).kernel, None);
        let threads = row(&a, Strategy::Threads).kernel.as_ref().unwrap();
        assert_eq!(threads.vs_sequential, None);
    }
}
