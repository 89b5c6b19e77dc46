//! Raw measurements -> report rows: statistics, speedups, and the verification that
//! every model computed the same, right, answer.
//!
//! A wrong answer never disappears into a table: every mismatch becomes a line in
//! [`Analysis::problems`], and the command exits 1 after printing the table.

use std::collections::BTreeMap;

use crate::report::{Census, IoFigures, Latency, ResultRow};
use crate::runner::ModelRuns;
use crate::selfcheck;
use crate::significance;
use crate::stats::{self, CONFIDENCE, Summary};
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

/// Over this coefficient of variation a model's results are called noisy.
pub const NOISY_CV: f64 = 0.10;

/// What the I/O job must download, when known in advance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedBodies {
    /// The built-in target: the CRC-32 of each request's body, in input order (the
    /// server's bodies are deterministic per path), and the size of every body.
    Exactly { digests: Vec<u32>, body_bytes: u64 },
    /// Real sites: unknown, but for each URL every model and run must agree, unless
    /// the site itself changes between requests.
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
pub const TOO_SHORT_S: f64 = 0.005;

/// Fills in speedup (and, for cpu, efficiency) against the sequential row when there
/// is one, and says what makes the figures less trustworthy, once each.
fn finish(analysis: &mut Analysis) {
    let mut warnings = Vec::new();
    let Some(workload) = analysis.rows.first().map(|r| r.workload) else {
        return;
    };
    let name = workload.name();
    // Noisy rows and far outliers: one line each for the whole table.
    let mut noisy: Vec<(String, f64)> = Vec::new();
    let mut outlying: Vec<String> = Vec::new();
    for row in &analysis.rows {
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
            outlying.push(format!("{label} {far} of {}", row.runs));
        }
    }
    if !noisy.is_empty() {
        let low = noisy.iter().map(|n| n.1).fold(f64::INFINITY, f64::min);
        let high = noisy.iter().map(|n| n.1).fold(0.0, f64::max);
        let spread = if (high - low) * 100.0 < 0.05 {
            format!("{:.1} %", high * 100.0)
        } else {
            format!("{:.1}–{:.1} %", low * 100.0, high * 100.0)
        };
        let names: Vec<&str> = noisy.iter().map(|n| n.0.as_str()).collect();
        warnings.push(format!(
            "{name}: runs vary by {spread} (σ/mean, over {:.0} %) for {}: a busy machine? \
             the intervals of the medians show how much it matters",
            NOISY_CV * 100.0,
            names.join(", ")
        ));
    }
    if !outlying.is_empty() {
        warnings.push(format!(
            "{name}: runs over {:.0} % off their median: {} (kept, and flagged in the \
             report; the median is robust to them)",
            NOISY_CV * 100.0,
            outlying.join(", ")
        ));
    }
    let runs = analysis.rows.iter().map(|r| r.runs).min().unwrap_or(0);
    let needed = stats::runs_for_confidence(CONFIDENCE);
    if runs < 2 {
        warnings.push(format!(
            "{name}: 1 run gives no interval of the median; {needed} runs are needed for \
             {:.0} % (--runs {needed})",
            CONFIDENCE * 100.0
        ));
    } else if runs < needed {
        let reached = stats::median_coverage(runs, 1);
        warnings.push(format!(
            "{name}: {runs} runs give each median only a {:.0} % interval; {needed} runs \
             are needed for {:.0} % (--runs {needed})",
            reached * 100.0,
            CONFIDENCE * 100.0
        ));
    }
    let fastest = analysis
        .rows
        .iter()
        .map(|r| r.wall_s.median)
        .fold(f64::INFINITY, f64::min);
    if fastest < TOO_SHORT_S {
        let lengthen = match workload {
            Workload::Cpu => "--count or --start (or --kernel fib)",
            Workload::Io => "--requests or --latency",
        };
        warnings.push(format!(
            "{name}: the fastest model took {}, too short to time reliably; lengthen the \
             job with {lengthen}",
            crate::output::format::seconds(fastest)
        ));
    }
    for warning in warnings {
        if !analysis.warnings.contains(&warning) {
            analysis.warnings.push(warning);
        }
    }

    // Rust rows against sequential, Python rows against py-sequential.
    let baselines: Vec<(Strategy, f64, Vec<f64>)> = analysis
        .rows
        .iter()
        .filter(|r| r.strategy.baseline() == r.strategy)
        .map(|r| (r.strategy, r.wall_s.median, r.wall_s.samples.clone()))
        .collect();
    for row in &mut analysis.rows {
        let Some((_, median, samples)) = baselines
            .iter()
            .find(|(strategy, _, _)| *strategy == row.strategy.baseline())
        else {
            continue;
        };
        let speedup = stats::speedup(*median, row.wall_s.median);
        row.speedup = Some(speedup);
        if workload == Workload::Cpu {
            row.efficiency = Some(stats::efficiency(speedup, row.workers));
        }
        // A baseline against itself is 1 by definition, with no interval around it.
        if row.strategy != row.strategy.baseline() {
            row.speedup_ci95 = speedup_interval(samples, &row.wall_s.samples, speedup);
        }
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
        row.checksum = match model.measurements.first().map(|m| &m.outputs) {
            Some(Outputs::Cpu(got)) => checksum(got).to_string(),
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
    let kernel_warning = selfcheck::check(&mut analysis.rows, &samples);
    finish(&mut analysis);
    let impossible: Vec<String> = analysis
        .rows
        .iter()
        .filter(|row| selfcheck::impossible_speedup(row))
        .map(|row| {
            format!(
                "{} ×{} {:.2}×",
                row.strategy,
                row.workers,
                row.speedup.unwrap_or(f64::NAN)
            )
        })
        .collect();
    analysis.warnings.extend(kernel_warning);
    if !impossible.is_empty() {
        analysis.warnings.push(format!(
            "cpu: faster than sequential by more than the worker count, which the same \
             work cannot be: {}; the figures are biased (code layout, frequency scaling, a \
             busy machine)",
            impossible.join(", ")
        ));
    }
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

/// The I/O job: failures are counted by kind; every body read must be the one
/// expected (built-in target) or the one every other model read (sites).
pub fn io(urls: &[String], expected: &ExpectedBodies, models: &[ModelRuns]) -> Analysis {
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
                if let Some(problem) = wrong_bodies(fetches, urls, digests, *body_bytes) {
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
            Some(Outputs::Io(fetches)) => format!("{:08x}", digest_of_digests(fetches)),
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
        sites_agree(urls, models, &mut analysis);
    }
    finish(&mut analysis);
    analysis
}

/// The first body of a run that is not the server's, and how many are not; `None`
/// when every successful request read exactly its body.
fn wrong_bodies(
    fetches: &[Fetch],
    urls: &[String],
    digests: &[u32],
    body_bytes: u64,
) -> Option<String> {
    let wrong: Vec<usize> = fetches
        .iter()
        .zip(digests)
        .enumerate()
        .filter(|(_, (f, want))| {
            f.failure.is_none() && (f.digest != Some(**want) || f.bytes != body_bytes)
        })
        .map(|(i, _)| i)
        .collect();
    let &first = wrong.first()?;
    let fetch = &fetches[first];
    Some(format!(
        "{} of {} bodies differ from what the server sent; the first, {}, read {} bytes \
         with CRC-32 {:08x}, expected {body_bytes} bytes with {:08x}",
        wrong.len(),
        fetches.len(),
        urls.get(first).map_or("?", String::as_str),
        fetch.bytes,
        fetch.digest.unwrap_or(0),
        digests[first],
    ))
}

/// A fingerprint of a run's bodies: the CRC-32 of their digests in input order (0 for
/// a failed request).
pub fn digest_of_digests(fetches: &[Fetch]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for fetch in fetches {
        hasher.update(&fetch.digest.unwrap_or(0).to_le_bytes());
    }
    hasher.finalize()
}

/// `--sites`: for each URL, every model must have read the same body. A URL whose
/// body changed between requests of one model is a dynamic site: it cannot be
/// compared, and the rows' `verify_note` names it (the first [`NAMED_SITES`]).
fn sites_agree(urls: &[String], models: &[ModelRuns], analysis: &mut Analysis) {
    use std::collections::BTreeSet;
    // url -> model index -> the distinct digests that model read for it.
    let mut seen: BTreeMap<&str, Vec<BTreeSet<u32>>> = BTreeMap::new();
    for (m, model) in models.iter().enumerate() {
        for measurement in &model.measurements {
            let Outputs::Io(fetches) = &measurement.outputs else {
                continue;
            };
            for (url, fetch) in urls.iter().zip(fetches) {
                let Some(digest) = fetch.digest else { continue };
                let per_model = seen
                    .entry(url)
                    .or_insert_with(|| vec![BTreeSet::new(); models.len()]);
                per_model[m].insert(digest);
            }
        }
    }
    let dynamic: Vec<&str> = seen
        .iter()
        .filter(|(_, per_model)| per_model.iter().any(|d| d.len() > 1))
        .map(|(url, _)| *url)
        .collect();
    let mut differs = vec![Vec::new(); models.len()];
    for (url, per_model) in &seen {
        if per_model.iter().any(|d| d.len() > 1) {
            continue;
        }
        // The reference: the first model that read this URL (sequential comes first).
        let Some(reference) = per_model.iter().find_map(|d| d.first()) else {
            continue;
        };
        for (m, digests) in per_model.iter().enumerate() {
            if digests.first().is_some_and(|d| d != reference) {
                differs[m].push(*url);
            }
        }
    }
    let compared = seen.len() - dynamic.len();
    for (m, row) in analysis.rows.iter_mut().enumerate() {
        if let Some(&first) = differs[m].first() {
            row.verified = false;
            analysis.problems.push(format!(
                "{}: {} of {compared} sites returned a different body than to the other \
                 models, first {first}",
                row.strategy,
                differs[m].len()
            ));
        }
        if !dynamic.is_empty() {
            row.verify_note = Some(format!(
                "{} of {} sites changed between requests (dynamic) and were not \
                 compared: {}",
                dynamic.len(),
                seen.len(),
                first_few(&dynamic)
            ));
        }
    }
}

/// How many URLs a note names before "and N more": enough to recognise the site,
/// few enough for a table cell.
const NAMED_SITES: usize = 3;

/// `a`, `a and b`, `a, b and c`, or `a, b, c and 4 more`.
fn first_few(urls: &[&str]) -> String {
    match urls {
        [] => String::new(),
        [only] => only.to_string(),
        _ if urls.len() <= NAMED_SITES => format!(
            "{} and {}",
            urls[..urls.len() - 1].join(", "),
            urls[urls.len() - 1]
        ),
        _ => format!(
            "{} and {} more",
            urls[..NAMED_SITES].join(", "),
            urls.len() - NAMED_SITES
        ),
    }
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

    /// A fetch of `bytes` bytes whose body hashed to `digest` (`None`: it failed).
    fn fetch(bytes: u64, digest: Option<u32>, failure: Option<FailureKind>) -> Fetch {
        Fetch {
            bytes,
            latency_s: 0.05,
            started_s: 0.0,
            digest,
            failure,
        }
    }

    fn ok(bytes: u64, digest: u32) -> Fetch {
        fetch(bytes, Some(digest), None)
    }

    fn urls(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("http://127.0.0.1:1/{i}")).collect()
    }

    fn built_in(digests: &[u32], body_bytes: u64) -> ExpectedBodies {
        ExpectedBodies::Exactly {
            digests: digests.to_vec(),
            body_bytes,
        }
    }

    #[test]
    fn io_rows_count_failures_by_kind() {
        let good = Outputs::Io(vec![ok(10, 0xa), ok(10, 0xb)]);
        let bad = Outputs::Io(vec![fetch(0, None, Some(FailureKind::Status)), ok(10, 0xb)]);
        let analysis = io(
            &urls(2),
            &built_in(&[0xa, 0xb], 10),
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

    /// The right number of the wrong bytes: byte totals alone would pass it.
    #[test]
    fn right_length_wrong_content_is_unverified() {
        let right = Outputs::Io(vec![ok(10, 0xa), ok(10, 0xb)]);
        let swapped = Outputs::Io(vec![ok(10, 0xb), ok(10, 0xa)]);
        let analysis = io(
            &urls(2),
            &built_in(&[0xa, 0xb], 10),
            &[
                runs(Strategy::Sequential, 1, &[0.1], right),
                runs(Strategy::Threads, 2, &[0.05], swapped),
            ],
        );
        assert!(analysis.rows[0].verified);
        assert!(!analysis.rows[1].verified);
        assert_eq!(
            analysis.problems,
            vec![
                "threads run 1: 2 of 2 bodies differ from what the server sent; the first, \
                 http://127.0.0.1:1/0, read 10 bytes with CRC-32 0000000b, expected 10 \
                 bytes with 0000000a"
            ]
        );
        assert_ne!(analysis.rows[0].checksum, analysis.rows[1].checksum);
    }

    /// The checksum is what the model returned, so a wrong model shows a different one.
    #[test]
    fn cpu_checksum_is_what_the_model_returned() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3, 4],
        };
        let analysis = cpu(
            &job,
            &[
                runs(Strategy::Sequential, 1, &[1.0], Outputs::Cpu(vec![5, 14])),
                runs(Strategy::Threads, 2, &[1.0], Outputs::Cpu(vec![5, 99])),
            ],
        );
        assert_eq!(analysis.rows[0].checksum, "19");
        assert_eq!(analysis.rows[1].checksum, "104");
    }

    #[test]
    fn sites_must_agree_across_models() {
        let a = Outputs::Io(vec![ok(10, 1)]);
        let b = Outputs::Io(vec![ok(10, 2)]);
        let analysis = io(
            &urls(1),
            &ExpectedBodies::Consistent,
            &[
                runs(Strategy::Sequential, 1, &[0.1], a),
                runs(Strategy::Threads, 5, &[0.1], b),
            ],
        );
        assert!(analysis.rows[0].verified);
        assert!(!analysis.rows[1].verified);
        assert_eq!(analysis.problems.len(), 1);
    }

    /// A site whose body changes between requests cannot be compared; the rows say so
    /// and the other sites are still checked.
    #[test]
    fn dynamic_sites_are_named_not_failed() {
        let run1 = Outputs::Io(vec![ok(10, 1), ok(5, 7)]);
        let run2 = Outputs::Io(vec![ok(10, 1), ok(5, 8)]);
        let mut seq = runs(Strategy::Sequential, 1, &[0.1, 0.1], run1.clone());
        seq.measurements[1].outputs = run2;
        let analysis = io(
            &urls(2),
            &ExpectedBodies::Consistent,
            &[seq, runs(Strategy::Threads, 5, &[0.1], run1)],
        );
        assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
        assert!(analysis.rows.iter().all(|r| r.verified));
        assert_eq!(
            analysis.rows[1].verify_note.as_deref(),
            Some(
                "1 of 2 sites changed between requests (dynamic) and were not compared: \
                 http://127.0.0.1:1/1"
            )
        );
    }

    /// The note names the sites that changed, the first three, and counts the rest.
    #[test]
    fn dynamic_sites_are_named_up_to_three() {
        let run = |digest: u32| Outputs::Io((0..6).map(|i| ok(10, digest + i)).collect());
        let mut seq = runs(Strategy::Sequential, 1, &[0.1, 0.1], run(0));
        // Every site but the first changes between the two runs.
        seq.measurements[1].outputs = Outputs::Io(
            (0..6)
                .map(|i| ok(10, if i == 0 { 0 } else { 100 + i }))
                .collect(),
        );
        let analysis = io(&urls(6), &ExpectedBodies::Consistent, &[seq]);
        assert_eq!(
            analysis.rows[0].verify_note.as_deref(),
            Some(
                "5 of 6 sites changed between requests (dynamic) and were not compared: \
                 http://127.0.0.1:1/1, http://127.0.0.1:1/2, http://127.0.0.1:1/3 and 2 more"
            )
        );
        assert_eq!(first_few(&["a", "b"]), "a and b");
        assert_eq!(first_few(&["a", "b", "c"]), "a, b and c");
    }

    /// Sequential's speedup is 1 by definition: no interval around it. With 3 runs the
    /// interval of a median is [min, max], and the row says it holds 75 %, not 95 %;
    /// the speedup gets no interval, as no interval of 3 runs a side reaches 95 %.
    #[test]
    fn intervals_claim_only_the_coverage_they_have() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3],
        };
        let analysis = cpu(
            &job,
            &[
                runs(
                    Strategy::Sequential,
                    1,
                    &[2.0, 2.2, 1.8],
                    Outputs::Cpu(vec![5]),
                ),
                runs(
                    Strategy::Threads,
                    2,
                    &[1.0, 1.1, 0.9],
                    Outputs::Cpu(vec![5]),
                ),
            ],
        );
        let [seq, threads] = &analysis.rows[..] else {
            panic!("two rows")
        };
        assert_eq!((seq.speedup, seq.speedup_ci95), (Some(1.0), None));
        assert_eq!((threads.speedup, threads.speedup_ci95), (Some(2.0), None));
        assert_eq!(seq.median_ci_s, [1.8, 2.2]);
        assert_eq!(seq.median_ci_confidence, 0.75);
        assert!(
            analysis.warnings.contains(
                &"cpu: 3 runs give each median only a 75 % interval; 6 runs are needed for \
                  95 % (--runs 6)"
                    .to_string()
            ),
            "{:?}",
            analysis.warnings
        );
    }

    /// From 4 runs a side the speedup's interval is the rank test's (the gate's), and
    /// it holds the speedup, the ratio of medians, even when the medians of runs in two
    /// clusters put that outside the rank test's interval.
    #[test]
    fn the_speedup_interval_is_the_rank_tests_and_holds_the_speedup() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3],
        };
        let model = |strategy, walls: &[f64]| runs(strategy, 2, walls, Outputs::Cpu(vec![5]));
        let sequential = [2.0, 2.2, 1.8, 2.1];
        let threads = [1.0, 1.1, 0.9, 1.05];
        let analysis = cpu(
            &job,
            &[
                model(Strategy::Sequential, &sequential),
                model(Strategy::Threads, &threads),
            ],
        );
        let shift = significance::shift_ratio(&sequential, &threads, CONFIDENCE);
        let row = &analysis.rows[1];
        assert_eq!(row.speedup_ci95, Some([shift.low, shift.high]));
        // Two clusters, split 10 / 11 in the baseline and 11 / 10 in the model: the
        // medians fall in different clusters.
        let clusters = |low: usize, high: usize, factor: f64| -> Vec<f64> {
            let mut v: Vec<f64> = (0..low).map(|i| 25.0 + 0.01 * i as f64).collect();
            v.extend((0..high).map(|i| 27.8 + 0.01 * i as f64));
            v.iter().map(|x| x * factor).collect()
        };
        let (base, slow) = (clusters(10, 11, 1.0), clusters(11, 10, 1.0 / 1.1));
        let analysis = cpu(
            &job,
            &[
                model(Strategy::Sequential, &base),
                model(Strategy::Threads, &slow),
            ],
        );
        let row = &analysis.rows[1];
        let [low, high] = row.speedup_ci95.unwrap();
        let speedup = row.speedup.unwrap();
        assert!(low <= speedup && speedup <= high, "{low} {speedup} {high}");
        let shift = significance::shift_ratio(&base, &slow, CONFIDENCE);
        assert!(
            speedup < shift.low || speedup > shift.high,
            "the fixture must put the speedup outside: {speedup} {shift:?}"
        );
    }

    /// Efficiency means nothing for I/O; the most requests in flight at once does.
    #[test]
    fn io_rows_show_requests_in_flight_not_efficiency() {
        let at = |start: f64| Fetch {
            bytes: 10,
            latency_s: 0.05,
            started_s: start,
            digest: Some(0xa),
            failure: None,
        };
        let one_by_one = Outputs::Io(vec![at(0.0), at(0.05), at(0.10)]);
        let all_at_once = Outputs::Io(vec![at(0.0), at(0.001), at(0.002)]);
        let analysis = io(
            &urls(3),
            &built_in(&[0xa, 0xa, 0xa], 10),
            &[
                runs(Strategy::Sequential, 1, &[0.15], one_by_one),
                runs(Strategy::Async, 4, &[0.052], all_at_once),
            ],
        );
        let [seq, asy] = &analysis.rows[..] else {
            panic!("two rows")
        };
        assert_eq!((seq.efficiency, asy.efficiency), (None, None));
        assert_eq!(seq.io.as_ref().unwrap().max_in_flight, 1);
        assert_eq!(asy.io.as_ref().unwrap().max_in_flight, 3);
    }

    /// Each warning says something its own numbers support, once.
    #[test]
    fn warnings_agree_with_their_numbers() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3],
        };
        let steady = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.2];
        let analysis = cpu(
            &job,
            &[runs(
                Strategy::Sequential,
                1,
                &steady,
                Outputs::Cpu(vec![5]),
            )],
        );
        assert_eq!(
            analysis.warnings,
            vec![
                "cpu: runs over 10 % off their median: sequential 1 of 8 (kept, and flagged \
                 in the report; the median is robust to them)"
            ]
        );
    }
}
