//! Raw measurements -> report rows: statistics, speedups, and the verification that
//! every model computed the same, right, answer.
//!
//! A wrong answer never disappears into a table: every mismatch becomes a line in
//! [`Analysis::problems`], and the command exits 1 after printing the table.

use std::collections::BTreeMap;

use crate::report::{IoFigures, Latency, ResultRow};
use crate::runner::ModelRuns;
use crate::significance;
use crate::stats::{self, Summary};
use crate::strategy::Strategy;
use crate::workload::io::Fetch;
use crate::workload::{CpuJob, Outputs, Workload};

/// Rows for one workload and what went wrong.
#[derive(Debug, Default)]
pub struct Analysis {
    pub rows: Vec<ResultRow>,
    /// Wrong results, in words; each makes the command fail.
    pub problems: Vec<String>,
    /// Failed requests over all models and runs (io only).
    pub failed_requests: u64,
    /// Noisy or outlying results, one line each; printed, not fatal.
    pub warnings: Vec<String>,
}

/// Confidence of the intervals stored in reports.
pub const CONFIDENCE: f64 = 0.95;
/// Bootstrap resamples per interval.
const RESAMPLES: usize = 2000;
/// Fixed, so the same samples always give the same interval.
const SEED: u64 = 0x5EED_C0C0_BE9C_0001;
/// Over this coefficient of variation a model's results are called noisy.
pub const NOISY_CV: f64 = 0.10;

/// What the I/O job must download in one run, when known in advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedBytes {
    /// The built-in target: requests × body size.
    Exactly(u64),
    /// Real sites: unknown, but every model and run must agree.
    Consistent,
}

fn summary(values: impl Iterator<Item = f64>) -> Summary {
    let values: Vec<f64> = values.collect();
    Summary::of(&values).expect("every model has at least one measured run")
}

/// Builds the row fields every workload shares.
fn base_row(workload: Workload, model: &ModelRuns) -> ResultRow {
    let m = &model.measurements;
    let walls: Vec<f64> = m.iter().map(|x| x.wall_s).collect();
    let (low, high) = significance::median_ci(&walls, CONFIDENCE, RESAMPLES, SEED);
    ResultRow {
        workload,
        strategy: model.spec.strategy,
        workers: model.spec.strategy.workers(model.spec.workers),
        runs: m.len(),
        wall_s: summary(m.iter().map(|x| x.wall_s)),
        setup_s: summary(m.iter().map(|x| x.setup_s)),
        cpu_s: summary(m.iter().map(|x| x.cpu_s)),
        peak_rss_bytes: m.iter().map(|x| x.peak_rss_bytes).max().unwrap_or(0),
        median_ci95_s: [low, high],
        speedup: None,
        efficiency: None,
        speedup_ci95: None,
        outliers: significance::outliers(&walls),
        cv: significance::coefficient_of_variation(&walls),
        verified: false,
        checksum: String::new(),
        io: None,
    }
}

/// Fills in speedup and efficiency against the sequential row, when there is one,
/// and warns about noisy rows.
fn finish(analysis: &mut Analysis) {
    for row in &analysis.rows {
        // Outliers stay flagged in the report whatever their size; a warning is only
        // worth printing when one is far enough off to matter.
        let median = row.wall_s.median;
        let far = row
            .outliers
            .iter()
            .filter(|&&i| (row.wall_s.samples[i] / median - 1.0).abs() > NOISY_CV)
            .count();
        if row.cv > NOISY_CV || far > 0 {
            analysis.warnings.push(format!(
                "{} {}: σ/mean {:.0} %, {far} run(s) of {} over {:.0} % off the median \
                 (kept, flagged in the report); a busy machine? raise --runs",
                row.workload.name(),
                row.strategy,
                row.cv * 100.0,
                row.runs,
                NOISY_CV * 100.0
            ));
        }
    }
    let Some(baseline) = analysis
        .rows
        .iter()
        .find(|r| r.strategy == Strategy::Sequential)
    else {
        return;
    };
    let (median, samples) = (baseline.wall_s.median, baseline.wall_s.samples.clone());
    for row in &mut analysis.rows {
        let speedup = stats::speedup(median, row.wall_s.median);
        row.speedup = Some(speedup);
        row.efficiency = Some(stats::efficiency(speedup, row.workers));
        let (low, high) =
            significance::ratio_ci(&samples, &row.wall_s.samples, CONFIDENCE, RESAMPLES, SEED);
        row.speedup_ci95 = Some([low, high]);
    }
}

/// The CPU job: every run's results must equal the closed form, item by item.
pub fn cpu(job: &CpuJob, models: &[ModelRuns]) -> Analysis {
    let expected: Vec<u128> = job
        .numbers
        .iter()
        .map(|&n| {
            job.kernel
                .expected(n)
                .expect("config refuses overflowing inputs")
        })
        .collect();
    let mut analysis = Analysis::default();
    for model in models {
        let mut row = base_row(Workload::Cpu, model);
        let mut verified = true;
        for (run, measurement) in model.measurements.iter().enumerate() {
            let Outputs::Cpu(got) = &measurement.outputs else {
                analysis.problems.push(format!(
                    "{} run {}: not cpu results",
                    row.strategy,
                    run + 1
                ));
                verified = false;
                continue;
            };
            if let Some(problem) = compare(got, &expected, &job.numbers, job.kernel.name()) {
                analysis
                    .problems
                    .push(format!("{} run {}: {problem}", row.strategy, run + 1));
                verified = false;
            }
        }
        row.verified = verified;
        row.checksum = checksum(&expected).to_string();
        analysis.rows.push(row);
    }
    finish(&mut analysis);
    analysis
}

fn compare(got: &[u128], expected: &[u128], numbers: &[u64], kernel: &str) -> Option<String> {
    if got.len() != expected.len() {
        return Some(format!(
            "{} results for {} numbers",
            got.len(),
            expected.len()
        ));
    }
    let index = got.iter().zip(expected).position(|(g, e)| g != e)?;
    Some(format!(
        "wrong {kernel} for n = {}: got {}, expected {}",
        numbers[index], got[index], expected[index]
    ))
}

/// The order-independent fingerprint of a CPU result list: the wrapping sum.
pub fn checksum(values: &[u128]) -> u128 {
    values.iter().fold(0u128, |acc, v| acc.wrapping_add(*v))
}

/// The I/O job: failures are counted by kind; bytes must match what was expected.
pub fn io(urls: usize, expected: ExpectedBytes, models: &[ModelRuns]) -> Analysis {
    let mut analysis = Analysis::default();
    let mut all_totals: Vec<(Strategy, usize, u64)> = Vec::new();
    for model in models {
        let mut row = base_row(Workload::Io, model);
        let mut failures: BTreeMap<String, u64> = BTreeMap::new();
        let mut latencies = Vec::new();
        let mut totals = Vec::new();
        let mut verified = true;
        for (run, measurement) in model.measurements.iter().enumerate() {
            let Outputs::Io(fetches) = &measurement.outputs else {
                analysis
                    .problems
                    .push(format!("{} run {}: not io results", row.strategy, run + 1));
                verified = false;
                continue;
            };
            if fetches.len() != urls {
                analysis.problems.push(format!(
                    "{} run {}: {} outcomes for {urls} requests",
                    row.strategy,
                    run + 1,
                    fetches.len()
                ));
                verified = false;
            }
            for fetch in fetches {
                latencies.push(fetch.latency_s);
                if let Some(kind) = fetch.failure {
                    *failures.entry(kind.name().to_string()).or_default() += 1;
                }
            }
            let total = crate::workload::io::total_bytes(fetches);
            if let ExpectedBytes::Exactly(want) = expected {
                if total != want && !fetches.iter().any(|f: &Fetch| f.failure.is_some()) {
                    analysis.problems.push(format!(
                        "{} run {}: downloaded {total} bytes, expected {want}",
                        row.strategy,
                        run + 1
                    ));
                }
                verified &= total == want;
            }
            totals.push(total);
            all_totals.push((row.strategy, run + 1, total));
        }
        let failed: u64 = failures.values().sum();
        analysis.failed_requests += failed;
        verified &= failed == 0;
        let median_total = median_u64(&totals);
        row.verified = verified;
        row.checksum = median_total.to_string();
        row.io = Some(IoFigures {
            requests: urls,
            bytes: median_total,
            requests_per_s: urls as f64 / row.wall_s.median,
            latency_s: Latency {
                p50: stats::percentile(&latencies, 50.0),
                p90: stats::percentile(&latencies, 90.0),
                p99: stats::percentile(&latencies, 99.0),
                max: latencies.iter().copied().fold(0.0, f64::max),
            },
            failures,
            failed,
        });
        analysis.rows.push(row);
    }
    if expected == ExpectedBytes::Consistent && analysis.failed_requests == 0 {
        let first = all_totals.first().map(|t| t.2);
        for &(strategy, run, total) in &all_totals {
            if Some(total) != first {
                analysis.problems.push(format!(
                    "{strategy} run {run}: downloaded {total} bytes, another run {}",
                    first.unwrap_or(0)
                ));
                for row in &mut analysis.rows {
                    if row.strategy == strategy {
                        row.verified = false;
                    }
                }
            }
        }
    }
    finish(&mut analysis);
    analysis
}

fn median_u64(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::cpu::Kernel;
    use crate::workload::io::FailureKind;

    fn runs(strategy: Strategy, workers: usize, walls: &[f64], outputs: Outputs) -> ModelRuns {
        ModelRuns::fixture(strategy, workers, walls, outputs)
    }

    #[test]
    fn cpu_rows_verify_and_compute_speedups() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3, 4],
        };
        let right = Outputs::Cpu(vec![5, 14]);
        let wrong = Outputs::Cpu(vec![5, 15]);
        let analysis = cpu(
            &job,
            &[
                runs(Strategy::Sequential, 2, &[2.0, 2.2, 1.8], right.clone()),
                runs(Strategy::Threads, 2, &[1.0, 1.1, 0.9], right),
                runs(Strategy::Rayon, 2, &[1.0], wrong),
            ],
        );
        let [seq, threads, rayon] = &analysis.rows[..] else {
            panic!("three rows")
        };
        assert_eq!(
            (seq.workers, seq.speedup, seq.efficiency),
            (1, Some(1.0), Some(1.0))
        );
        assert_eq!(threads.speedup, Some(2.0));
        assert_eq!(threads.efficiency, Some(1.0));
        assert!(seq.verified && threads.verified && !rayon.verified);
        assert_eq!(seq.checksum, "19");
        assert_eq!(
            analysis.problems,
            vec!["rayon run 1: wrong squares for n = 4: got 15, expected 14"]
        );
    }

    fn fetch(bytes: u64, failure: Option<FailureKind>) -> Fetch {
        Fetch {
            bytes,
            latency_s: 0.05,
            failure,
        }
    }

    #[test]
    fn io_rows_count_failures_by_kind() {
        let good = Outputs::Io(vec![fetch(10, None), fetch(10, None)]);
        let bad = Outputs::Io(vec![fetch(0, Some(FailureKind::Status)), fetch(10, None)]);
        let analysis = io(
            2,
            ExpectedBytes::Exactly(20),
            &[
                runs(Strategy::Sequential, 1, &[0.1], good),
                runs(Strategy::Async, 4, &[0.05], bad),
            ],
        );
        let [seq, asy] = &analysis.rows[..] else {
            panic!("two rows")
        };
        assert!(seq.verified && !asy.verified);
        assert_eq!(asy.speedup, Some(2.0));
        let figures = asy.io.as_ref().unwrap();
        assert_eq!(figures.failures.get("status"), Some(&1));
        assert_eq!(figures.failed, 1);
        assert_eq!(figures.requests_per_s, 40.0);
        assert_eq!(analysis.failed_requests, 1);
        assert!(
            analysis.problems.is_empty(),
            "failures are counted, not problems"
        );
    }

    #[test]
    fn sites_must_agree_across_models() {
        let a = Outputs::Io(vec![fetch(10, None)]);
        let b = Outputs::Io(vec![fetch(11, None)]);
        let analysis = io(
            1,
            ExpectedBytes::Consistent,
            &[
                runs(Strategy::Sequential, 1, &[0.1], a),
                runs(Strategy::Threads, 5, &[0.1], b),
            ],
        );
        assert!(analysis.rows[0].verified);
        assert!(!analysis.rows[1].verified);
        assert_eq!(analysis.problems.len(), 1);
    }
}
