//! Raw measurements -> report rows: statistics, speedups, the verification that
//! every model computed the same, right, answer, and what to say about the figures.
//!
//! - this file: the rows of each job ([`cpu`], [`io`]), their speedups and intervals;
//! - [`verify`]: the verification. A wrong answer never disappears into a table:
//!   every mismatch becomes a line in [`Analysis::problems`], and the command exits
//!   1 after printing the table;
//! - [`warning`]: what makes the figures less trustworthy, as data ([`Warning`]);
//! - [`tasks`]: the tasks job's rows, and the memory of one waiting task.

pub(crate) mod tasks;
mod verify;
pub(crate) mod warning;

pub(crate) use verify::ExpectedBodies;
pub(crate) use warning::Warning;

use std::collections::BTreeMap;

use crate::report::{Census, IoFigures, Latency, ResultRow};
use crate::runner::ModelRuns;
use crate::selfcheck;
use crate::significance;
use crate::stats::{self, CONFIDENCE, Summary};
use crate::strategy::Strategy;
use crate::workload::{CpuJob, Outputs, Workload};

/// Rows for one workload and what went wrong.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub rows: Vec<ResultRow>,
    /// Wrong results, in words; each makes the command fail.
    pub problems: Vec<String>,
    /// Failed requests over all models and runs (io only).
    pub failed_requests: u64,
    /// What makes the figures less trustworthy; printed, not fatal.
    pub warnings: Vec<Warning>,
}

impl Analysis {
    /// Adds `warning` unless the same one is already there.
    pub(crate) fn warn(&mut self, warning: Warning) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

/// Over this coefficient of variation a model's results are called noisy.
pub(crate) const NOISY_CV: f64 = 0.10;

fn summary(values: impl Iterator<Item = f64>) -> Summary {
    let values: Vec<f64> = values.collect();
    Summary::of(&values).expect("every model has at least one measured run")
}

/// Builds the row fields every workload shares.
fn base_row(workload: Workload, model: &ModelRuns) -> ResultRow {
    let m = &model.measurements;
    let walls: Vec<f64> = m.iter().map(|x| x.wall_s).collect();
    let interval = stats::median_interval(&walls, CONFIDENCE).unwrap_or(stats::MedianInterval {
        low: f64::NAN,
        high: f64::NAN,
        confidence: 0.0,
    });
    ResultRow {
        workload,
        strategy: model.spec.strategy,
        workers: model.spec.strategy.workers(model.spec.workers),
        runs: m.len(),
        wall_s: summary(m.iter().map(|x| x.wall_s)),
        setup_s: summary(m.iter().map(|x| x.setup_s)),
        cpu_s: summary(m.iter().map(|x| x.cpu_s)),
        process_cpu_s: Some(summary(m.iter().map(|x| x.process_cpu_s))),
        memory_bytes: m.iter().map(|x| x.census.memory_bytes()).max().unwrap_or(0),
        memory_pss_bytes: m
            .iter()
            .map(|x| x.census.memory_pss_bytes())
            .collect::<Option<Vec<u64>>>()
            .and_then(|pss| pss.into_iter().max()),
        largest_process_bytes: m
            .iter()
            .map(|x| x.census.largest_process_bytes())
            .max()
            .unwrap_or(0),
        census: census(model),
        median_ci_s: [interval.low, interval.high],
        median_ci_confidence: interval.confidence,
        speedup: None,
        efficiency: None,
        speedup_ci95: None,
        outliers: significance::outliers(&walls),
        cv: significance::coefficient_of_variation(&walls),
        verified: false,
        verify_note: None,
        checksum: String::new(),
        kernel: None,
        tasks: None,
        io: None,
        python: python_info(model),
    }
}

/// A Python row's interpreter and client, with the median start-up over its runs.
fn python_info(model: &ModelRuns) -> Option<crate::python::PythonInfo> {
    let first = model.measurements.first()?.python.clone()?;
    let startups: Vec<f64> = model
        .measurements
        .iter()
        .filter_map(|m| m.python.as_ref().map(|p| p.startup_s))
        .collect();
    Some(crate::python::PythonInfo {
        startup_s: stats::median(&startups),
        ..first
    })
}

/// The most processes, and the most threads in each process, over a model's runs.
fn census(model: &ModelRuns) -> Census {
    /// Folds one run's per-process counts into the most seen per process.
    fn most(into: &mut Vec<usize>, counts: impl IntoIterator<Item = usize>) {
        for (i, n) in counts.into_iter().enumerate() {
            match into.get_mut(i) {
                Some(most) => *most = (*most).max(n),
                None => into.push(n),
            }
        }
    }
    let mut census = Census::default();
    let mut started = Some(Vec::new());
    for measurement in &model.measurements {
        let threads = measurement.census.threads();
        census.processes = census.processes.max(threads.len());
        most(&mut census.threads, threads);
        // One process that could not count makes the whole figure unknown.
        let counted: Option<Vec<usize>> =
            measurement.census.threads_started().into_iter().collect();
        started = match (started, counted) {
            (Some(mut so_far), Some(counted)) => {
                most(&mut so_far, counted);
                Some(so_far)
            }
            _ => None,
        };
    }
    census.threads_started = started.filter(|s| !s.is_empty());
    census
}

/// A job whose fastest model takes less than this is too short to time reliably:
/// process start-up and scheduling noise are of its order.
pub(crate) const TOO_SHORT_S: f64 = 0.005;

/// What the table of `rows` needs said about its figures, once each: noisy rows, far
/// outliers, too few runs for an interval, a job too short to time.
fn table_warnings(rows: &[ResultRow]) -> Vec<Warning> {
    let Some(workload) = rows.first().map(|r| r.workload) else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    let mut noisy = Vec::new();
    let mut outlying = Vec::new();
    for row in rows {
        let label = if row.strategy == Strategy::Sequential {
            "sequential".to_string()
        } else {
            format!("{} ×{}", row.strategy, row.workers)
        };
        // Outliers stay flagged in the report whatever their size; a warning is only
        // worth printing when one is far enough off to matter.
        let median = row.wall_s.median;
        let far = row
            .outliers
            .iter()
            .filter(|&&i| (row.wall_s.samples[i] / median - 1.0).abs() > NOISY_CV)
            .count();
        if row.cv > NOISY_CV {
            noisy.push((label, row.cv));
        } else if far > 0 {
            outlying.push((label, far, row.runs));
        }
    }
    if !noisy.is_empty() {
        warnings.push(Warning::Noisy {
            workload,
            rows: noisy,
        });
    }
    if !outlying.is_empty() {
        warnings.push(Warning::Outliers {
            workload,
            rows: outlying,
        });
    }
    let runs = rows.iter().map(|r| r.runs).min().unwrap_or(0);
    let needed = stats::runs_for_confidence(CONFIDENCE);
    if runs < needed {
        warnings.push(Warning::FewRuns {
            workload,
            runs,
            coverage: (runs >= 2).then(|| stats::median_coverage(runs, 1)),
            needed,
        });
    }
    let fastest_s = rows
        .iter()
        .map(|r| r.wall_s.median)
        .fold(f64::INFINITY, f64::min);
    if fastest_s < TOO_SHORT_S {
        warnings.push(Warning::TooShort {
            workload,
            fastest_s,
        });
    }
    warnings
}

/// Fills in speedup (and, for cpu, efficiency) against the baseline row when there
/// is one: Rust rows against sequential, Python rows against py-sequential.
fn speedups(rows: &mut [ResultRow]) {
    let baselines: Vec<(Strategy, f64, Vec<f64>)> = rows
        .iter()
        .filter(|r| r.strategy.baseline() == r.strategy)
        .map(|r| (r.strategy, r.wall_s.median, r.wall_s.samples.clone()))
        .collect();
    for row in rows {
        let Some((_, median, samples)) = baselines
            .iter()
            .find(|(strategy, _, _)| *strategy == row.strategy.baseline())
        else {
            continue;
        };
        let speedup = stats::speedup(*median, row.wall_s.median);
        row.speedup = Some(speedup);
        if row.workload == Workload::Cpu {
            row.efficiency = Some(stats::efficiency(speedup, row.workers));
        }
        // A baseline against itself is 1 by definition, with no interval around it.
        if row.strategy != row.strategy.baseline() {
            row.speedup_ci95 = speedup_interval(samples, &row.wall_s.samples, speedup);
        }
    }
}

/// Speedups, then the table's warnings, each once.
fn finish(analysis: &mut Analysis) {
    speedups(&mut analysis.rows);
    for warning in table_warnings(&analysis.rows) {
        analysis.warn(warning);
    }
}

/// The interval stored as `speedup_ci95`: the distribution-free interval of the
/// ratio of a baseline run to a run of the model ([`significance::shift_ratio`], the
/// one the gate uses), which covers with at least [`CONFIDENCE`] by the exact
/// distribution of the rank statistic, stretched to hold `speedup` (the ratio of
/// medians, another estimate of the same factor) in the rare case it falls outside:
/// a wider interval can only cover more. `None` when the runs are too few for 95 %
/// (3 a side reach 90 % at most, 4 a side 97 %), rather than an interval that
/// claims more than it has.
fn speedup_interval(baseline: &[f64], samples: &[f64], speedup: f64) -> Option<[f64; 2]> {
    let shift = significance::shift_ratio(baseline, samples, CONFIDENCE);
    (shift.low.is_finite() && shift.high.is_finite() && speedup.is_finite())
        .then(|| [shift.low.min(speedup), shift.high.max(speedup)])
}

/// The CPU job: every run's results must equal the closed form, item by item.
pub(crate) fn cpu(job: &CpuJob, models: &[ModelRuns]) -> Analysis {
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
            if let Some(problem) =
                verify::wrong_values(got, &expected, &job.numbers, job.kernel.name())
            {
                analysis
                    .problems
                    .push(format!("{} run {}: {problem}", row.strategy, run + 1));
                verified = false;
            }
        }
        row.verified = verified;
        row.checksum = match model.measurements.first().map(|m| &m.outputs) {
            Some(Outputs::Cpu(got)) => verify::checksum(got).to_string(),
            _ => String::new(),
        };
        analysis.rows.push(row);
    }
    let samples: Vec<Vec<f64>> = models
        .iter()
        .map(|model| {
            let timed = job.numbers.iter().filter(|&&n| job.kernel.timed(n)).count();
            selfcheck::per_item_samples(model, timed)
        })
        .collect();
    let kernel_off = selfcheck::check(&mut analysis.rows, &samples);
    finish(&mut analysis);
    let impossible: Vec<(warning::Label, f64)> = analysis
        .rows
        .iter()
        .filter(|row| selfcheck::impossible_speedup(row))
        .map(|row| {
            (
                format!("{} ×{}", row.strategy, row.workers),
                row.speedup.unwrap_or(f64::NAN),
            )
        })
        .collect();
    if !kernel_off.is_empty() {
        analysis.warn(Warning::KernelCost { rows: kernel_off });
    }
    if !impossible.is_empty() {
        analysis.warn(Warning::ImpossibleSpeedup { rows: impossible });
    }
    analysis
}

/// The I/O job: failures are counted by kind; every body read must be the one
/// expected (built-in target) or the one every other model read (sites).
pub(crate) fn io(urls: &[String], expected: &ExpectedBodies, models: &[ModelRuns]) -> Analysis {
    let mut analysis = Analysis::default();
    for model in models {
        let mut row = base_row(Workload::Io, model);
        let mut failures: BTreeMap<String, u64> = BTreeMap::new();
        let mut latencies = Vec::new();
        let mut totals = Vec::new();
        let mut max_in_flight = 0;
        let mut verified = true;
        for (run, measurement) in model.measurements.iter().enumerate() {
            let Outputs::Io(fetches) = &measurement.outputs else {
                analysis
                    .problems
                    .push(format!("{} run {}: not io results", row.strategy, run + 1));
                verified = false;
                continue;
            };
            if fetches.len() != urls.len() {
                analysis.problems.push(format!(
                    "{} run {}: {} outcomes for {} requests",
                    row.strategy,
                    run + 1,
                    fetches.len(),
                    urls.len()
                ));
                verified = false;
            }
            for fetch in fetches {
                latencies.push(fetch.latency_s);
                if let Some(kind) = fetch.failure {
                    *failures.entry(kind.name().to_string()).or_default() += 1;
                }
            }
            if let ExpectedBodies::Exactly {
                digests,
                body_bytes,
            } = expected
            {
                if let Some(problem) = verify::wrong_bodies(fetches, urls, digests, *body_bytes) {
                    analysis
                        .problems
                        .push(format!("{} run {}: {problem}", row.strategy, run + 1));
                    verified = false;
                }
            }
            totals.push(crate::workload::io::total_bytes(fetches));
            let spans: Vec<(f64, f64)> = fetches
                .iter()
                .map(|f| (f.started_s, f.started_s + f.latency_s))
                .collect();
            max_in_flight = max_in_flight.max(stats::max_overlap(&spans));
        }
        let failed: u64 = failures.values().sum();
        analysis.failed_requests += failed;
        verified &= failed == 0;
        row.verified = verified;
        row.checksum = match model.measurements.first().map(|m| &m.outputs) {
            Some(Outputs::Io(fetches)) => format!("{:08x}", verify::digest_of_digests(fetches)),
            _ => String::new(),
        };
        row.io = Some(IoFigures {
            requests: urls.len(),
            bytes: median_u64(&totals),
            requests_per_s: urls.len() as f64 / row.wall_s.median,
            latency_s: Latency {
                p50: stats::percentile(&latencies, 50.0),
                p90: stats::percentile(&latencies, 90.0),
                p99: stats::percentile(&latencies, 99.0),
                max: latencies.iter().copied().fold(0.0, f64::max),
            },
            failures,
            failed,
            max_in_flight,
        });
        analysis.rows.push(row);
    }
    if *expected == ExpectedBodies::Consistent {
        verify::sites_agree(urls, models, &mut analysis);
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
mod tests;
