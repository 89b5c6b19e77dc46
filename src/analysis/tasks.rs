//! The tasks job's rows, and what one waiting task costs in each model.
//!
//! A row per model and count: the shared figures ([`super::base_row`]), with
//! `workers` the tasks held at once, and [`TasksFigures`]: start time, lateness,
//! the refusal if the OS said no. A run is verified when every task started and
//! every index came back exactly once ([`TasksOutcome::verified`]); a refusal is a
//! result, recorded on the row, not a problem.
//!
//! The memory of one waiting task is the least-squares slope of memory (PSS, every
//! process of the run) against the tasks held, over every run of every count the
//! model held without a refusal ([`fit_line`]); its 95 % interval is Student's t
//! on the slope's standard error, with the runs' points as the sample. The
//! intercept is the model's fixed cost: its memory with no task.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Analysis, base_row};
use crate::report::{ResultRow, TasksFigures};
use crate::runner::ModelRuns;
use crate::stats;
use crate::strategy::Strategy;
use crate::workload::tasks::TasksOutcome;
use crate::workload::{Outputs, Workload};

/// A straight line fitted by least squares, with the slope's 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Line {
    pub slope: f64,
    pub intercept: f64,
    /// `None` with two points or fewer, or x all equal.
    pub slope_ci95: Option<[f64; 2]>,
}

/// Fits `y = intercept + slope · x` to `points` by least squares; `None` unless
/// there are two distinct x.
pub(crate) fn fit_line(points: &[(f64, f64)]) -> Option<Line> {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if points.len() < 2 || sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let slope_ci95 = (points.len() > 2).then(|| {
        let sse: f64 = points
            .iter()
            .map(|p| (p.1 - intercept - slope * p.0).powi(2))
            .sum();
        let df = points.len() - 2;
        let se = (sse / df as f64 / sxx).sqrt();
        let t = t_975(df);
        [slope - t * se, slope + t * se]
    });
    Some(Line {
        slope,
        intercept,
        slope_ci95,
    })
}

/// The 97.5th percentile of Student's t with `df` degrees of freedom (a two-sided
/// 95 % interval); the normal's 1.96 past 30.
fn t_975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    T.get(df.wrapping_sub(1)).copied().unwrap_or(1.96)
}

/// The outcomes of a model's measured runs.
fn outcomes(model: &ModelRuns) -> Vec<&TasksOutcome> {
    model
        .measurements
        .iter()
        .filter_map(|m| match &m.outputs {
            Outputs::Tasks(outcome) => Some(outcome),
            _ => None,
        })
        .collect()
}

/// The tasks job's rows: one per model and count, in the order run.
pub(crate) fn tasks(models: &[ModelRuns], wait: Duration) -> Analysis {
    let mut analysis = Analysis::default();
    // (memory, tasks) points per model, from the runs the OS refused nothing in.
    let mut points: BTreeMap<Strategy, Vec<(f64, f64)>> = BTreeMap::new();
    for model in models {
        let mut row = base_row(Workload::Tasks, model);
        let outcomes = outcomes(model);
        let Some(first) = outcomes.first() else {
            analysis.problems.push(format!(
                "{}: no tasks outcome in its runs",
                model.spec.strategy
            ));
            continue;
        };
        let count = first.tasks;
        row.workers = count;
        let refused = outcomes.iter().find_map(|o| o.refused.clone());
        for (run, outcome) in outcomes.iter().enumerate() {
            if outcome.refused.is_none() && !outcome.verified() {
                analysis.problems.push(format!(
                    "{} ×{count} run {}: {} of {count} indices came back, {} wrongly \
                     (twice, or never given)",
                    row.strategy,
                    run + 1,
                    outcome.returned,
                    outcome.wrong
                ));
            }
        }
        row.verified = outcomes.iter().all(|o| o.verified());
        if refused.is_none() {
            let memory = model.measurements.iter().map(|m| {
                m.census
                    .memory_pss_bytes()
                    .unwrap_or(m.census.memory_bytes())
            });
            points
                .entry(row.strategy)
                .or_default()
                .extend(memory.map(|bytes| (count as f64, bytes as f64)));
        }
        let started = outcomes.iter().map(|o| o.started).min().unwrap_or(0);
        let start_s = stats::median(&outcomes.iter().map(|o| o.start_s).collect::<Vec<_>>());
        let lateness: Vec<f64> = outcomes
            .iter()
            .filter(|o| o.refused.is_none())
            .map(|o| o.back_s - wait.as_secs_f64())
            .collect();
        row.checksum = format!("{}", outcomes.iter().map(|o| o.returned).min().unwrap_or(0));
        row.tasks = Some(TasksFigures {
            count,
            started,
            start_s,
            start_per_task_s: start_s / started.max(1) as f64,
            lateness_s: (!lateness.is_empty()).then(|| stats::median(&lateness)),
            refused,
            memory_per_task_bytes: None,
            memory_per_task_ci95: None,
            fixed_bytes: None,
        });
        analysis.rows.push(row);
    }
    for row in &mut analysis.rows {
        let line = points.get(&row.strategy).and_then(|p| fit_line(p));
        if let (Some(line), Some(tasks)) = (line, &mut row.tasks) {
            tasks.memory_per_task_bytes = Some(line.slope);
            tasks.memory_per_task_ci95 = line.slope_ci95;
            tasks.fixed_bytes = Some(line.intercept);
        }
    }
    // No speedups: tasks that wait are not work done faster.
    analysis
}

/// What one waiting task of a model costs in memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cost {
    /// The slope over two counts or more, with its interval.
    Slope { bytes: f64, ci95: Option<[f64; 2]> },
    /// One count only: its memory over its tasks, the fixed cost included (an
    /// upper bound of the slope).
    Share { bytes: f64, tasks: usize },
}

impl Cost {
    pub(crate) fn bytes(self) -> f64 {
        match self {
            Cost::Slope { bytes, .. } | Cost::Share { bytes, .. } => bytes,
        }
    }
}

/// Per model, what a waiting task costs, in the order the models first appear;
/// models whose every row was refused by the OS have none.
pub(crate) fn costs(rows: &[ResultRow]) -> Vec<(Strategy, Cost)> {
    let mut costs: Vec<(Strategy, Cost)> = Vec::new();
    for row in rows {
        let Some(tasks) = &row.tasks else { continue };
        if costs.iter().any(|(s, _)| *s == row.strategy) {
            continue;
        }
        if let Some(bytes) = tasks.memory_per_task_bytes {
            costs.push((
                row.strategy,
                Cost::Slope {
                    bytes,
                    ci95: tasks.memory_per_task_ci95,
                },
            ));
        } else if tasks.refused.is_none() {
            costs.push((
                row.strategy,
                Cost::Share {
                    bytes: row.memory() as f64 / tasks.count as f64,
                    tasks: tasks.count,
                },
            ));
        }
    }
    costs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_through_exact_points_has_their_slope_and_a_tight_interval() {
        let points: Vec<(f64, f64)> = [1_000.0, 10_000.0, 100_000.0]
            .iter()
            .flat_map(|&n| [(n, 4e6 + 420.0 * n), (n, 4e6 + 420.0 * n + 10.0)])
            .collect();
        let line = fit_line(&points).unwrap();
        assert!((line.slope - 420.0).abs() < 0.01, "{line:?}");
        assert!((line.intercept - 4e6 - 5.0).abs() < 1.0, "{line:?}");
        let [low, high] = line.slope_ci95.unwrap();
        assert!(low < 420.0 && 420.0 < high && high - low < 0.01, "{line:?}");
    }

    #[test]
    fn scattered_points_widen_the_interval_and_it_still_holds_the_slope() {
        let points = [
            (1_000.0, 5.0e6),
            (1_000.0, 5.6e6),
            (10_000.0, 9.0e6),
            (10_000.0, 9.8e6),
            (20_000.0, 14.1e6),
            (20_000.0, 14.9e6),
        ];
        let line = fit_line(&points).unwrap();
        let [low, high] = line.slope_ci95.unwrap();
        assert!(low < line.slope && line.slope < high);
        assert!(high - low > 10.0, "{line:?}");
        // t with 4 degrees of freedom, not the normal's 1.96.
        assert_eq!(t_975(4), 2.776);
        assert_eq!(t_975(100), 1.96);
    }

    #[test]
    fn one_count_or_two_points_give_no_interval() {
        assert_eq!(fit_line(&[(1_000.0, 5e6), (1_000.0, 6e6)]), None);
        assert_eq!(fit_line(&[]), None);
        let two = fit_line(&[(1_000.0, 5e6), (2_000.0, 6e6)]).unwrap();
        assert_eq!(two.slope, 1_000.0);
        assert_eq!(two.slope_ci95, None);
    }
}
