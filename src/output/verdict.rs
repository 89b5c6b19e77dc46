//! The verdict under each table, in words, as hyperfine ends with "Summary: X ran 2.31
//! ± 0.05 times faster than Y": a person should not have to divide medians.
//!
//! - The fastest model (the row with the lowest median), how many times faster than
//!   sequential with the 95 % interval of that ratio, and how many times faster than
//!   each other model (its best row, in a sweep).
//! - Without sequential among the models, the same ratios against the fastest.
//! - Every parallel model slower than sequential, said plainly: that is a lesson of
//!   the experiment (start-up or contention costs more than the parallelism saves),
//!   not a bug.

use crate::analysis::CONFIDENCE;
use crate::report::ResultRow;
use crate::significance::ratio_ci;
use crate::strategy::Strategy;

/// Resamples of the bootstrap interval of a ratio, and its fixed seed.
const RESAMPLES: usize = 2000;
const SEED: u64 = 0x5EED_0F7E_4D1C_7500;

/// The verdict lines for one workload's rows; none for fewer than two rows.
pub fn lines(rows: &[ResultRow]) -> Vec<String> {
    let Some(fastest) = super::table::fastest(rows).map(|i| &rows[i]) else {
        return Vec::new();
    };
    if rows.len() < 2 {
        return Vec::new();
    }
    let sweep = has_sweep(rows);
    let name = |row: &ResultRow| label(row, sweep);
    let mut lines = Vec::new();
    let sequential = rows.iter().find(|r| r.strategy == Strategy::Sequential);
    let others = best_of_each_model(rows, fastest);
    let mut first = format!("{} ran", name(fastest));
    match sequential {
        Some(seq) if seq.strategy != fastest.strategy => {
            first.push_str(&format!(" {} faster than sequential", times(seq, fastest)));
            let rest: Vec<String> = others
                .iter()
                .filter(|r| r.strategy != Strategy::Sequential)
                .map(|r| format!("{} faster than {}", short_times(r, fastest), name(r)))
                .collect();
            if !rest.is_empty() {
                first.push_str(&format!(", {}", rest.join(", ")));
            }
        }
        _ => {
            let rest: Vec<String> = others
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let ratio = if i == 0 {
                        times(r, fastest)
                    } else {
                        short_times(r, fastest)
                    };
                    format!("{ratio} faster than {}", name(r))
                })
                .collect();
            first.push_str(&format!(" {}", rest.join(", ")));
        }
    }
    lines.push(first);
    if let Some(seq) = sequential {
        let slower: Vec<String> = rows
            .iter()
            .filter(|r| r.strategy != Strategy::Sequential && r.wall_s.median > seq.wall_s.median)
            .map(|r| format!("{} ({:.2}×)", name(r), seq.wall_s.median / r.wall_s.median))
            .collect();
        if !slower.is_empty() {
            lines.push(format!(
                "slower than sequential: {}. Not a bug: here start-up or contention costs \
                 more than the parallelism saves.",
                slower.join(", ")
            ));
        }
    }
    lines
}

/// True when some model ran at more than one worker count.
fn has_sweep(rows: &[ResultRow]) -> bool {
    rows.iter().any(|a| {
        rows.iter()
            .any(|b| a.strategy == b.strategy && a.workers != b.workers)
    })
}

/// `threads`, or `threads ×4` in a sweep.
fn label(row: &ResultRow, sweep: bool) -> String {
    if sweep && row.strategy != Strategy::Sequential {
        format!("{} ×{}", row.strategy, row.workers)
    } else {
        row.strategy.to_string()
    }
}

/// Every model but the fastest's, by its fastest row, in table order.
fn best_of_each_model<'a>(rows: &'a [ResultRow], fastest: &ResultRow) -> Vec<&'a ResultRow> {
    let mut best: Vec<&ResultRow> = Vec::new();
    for row in rows.iter().filter(|r| r.strategy != fastest.strategy) {
        match best.iter_mut().find(|b| b.strategy == row.strategy) {
            Some(b) if row.wall_s.median < b.wall_s.median => *b = row,
            Some(_) => {}
            None => best.push(row),
        }
    }
    best
}

/// `130× (95 % CI 127–133×)`: how many times faster `fast` ran than `slow`.
fn times(slow: &ResultRow, fast: &ResultRow) -> String {
    let ratio = slow.wall_s.median / fast.wall_s.median;
    let (low, high) = ratio_ci(
        &slow.wall_s.samples,
        &fast.wall_s.samples,
        CONFIDENCE,
        RESAMPLES,
        SEED,
    );
    if slow.runs < 2 || fast.runs < 2 || !low.is_finite() {
        return format!("{}×", number(ratio));
    }
    format!(
        "{}× ({:.0} % CI {}–{}×)",
        number(ratio),
        CONFIDENCE * 100.0,
        number(low),
        number(high)
    )
}

/// `26×`, without an interval.
fn short_times(slow: &ResultRow, fast: &ResultRow) -> String {
    format!("{}×", number(slow.wall_s.median / fast.wall_s.median))
}

/// Three significant digits, no more than two decimals: `130`, `26.1`, `1.97`.
fn number(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis;
    use crate::runner::ModelRuns;
    use crate::workload::cpu::Kernel;
    use crate::workload::{CpuJob, Outputs};

    fn rows(models: &[(Strategy, usize, [f64; 3])]) -> Vec<ResultRow> {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3],
        };
        let runs: Vec<ModelRuns> = models
            .iter()
            .map(|(s, w, walls)| ModelRuns::fixture(*s, *w, walls, Outputs::Cpu(vec![5])))
            .collect();
        analysis::cpu(&job, &runs).rows
    }

    #[test]
    fn names_the_fastest_with_its_ratio_against_sequential_and_the_rest() {
        let lines = lines(&rows(&[
            (Strategy::Sequential, 1, [8.0, 8.1, 7.9]),
            (Strategy::Threads, 5, [1.6, 1.65, 1.6]),
            (Strategy::Async, 5, [0.062, 0.0625, 0.0615]),
        ]));
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert!(line.starts_with("async ran 129× (95 % CI "), "{line}");
        assert!(
            line.ends_with("faster than sequential, 25.8× faster than threads"),
            "{line}"
        );
    }

    #[test]
    fn without_sequential_the_ratios_are_against_the_fastest() {
        let lines = lines(&rows(&[
            (Strategy::Threads, 2, [0.050, 0.051, 0.049]),
            (Strategy::Rayon, 2, [0.040, 0.041, 0.039]),
        ]));
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("rayon ran 1.25× (95 % CI "),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with("faster than threads"), "{}", lines[0]);
    }

    #[test]
    fn a_parallel_model_slower_than_sequential_is_said_plainly() {
        let lines = lines(&rows(&[
            (Strategy::Sequential, 1, [1.0, 1.0, 1.0]),
            (Strategy::Threads, 2, [0.5, 0.5, 0.5]),
            (Strategy::Spawn, 2, [1.25, 1.25, 1.25]),
        ]));
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[1].starts_with("slower than sequential: spawn (0.80×)."),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn a_sweep_names_the_worker_count() {
        let lines = lines(&rows(&[
            (Strategy::Sequential, 1, [1.0, 1.0, 1.0]),
            (Strategy::Threads, 1, [1.0, 1.0, 1.0]),
            (Strategy::Threads, 2, [0.5, 0.5, 0.5]),
        ]));
        assert!(lines[0].starts_with("threads ×2 ran 2.00×"), "{lines:?}");
    }
}
