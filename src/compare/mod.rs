//! `concbench compare BASELINE CURRENT`: did a model get slower than a saved run?
//!
//! Every (workload, model, workers) row present in both reports is compared on its
//! per-run wall times. The figures per row:
//!
//! - `change`: the typical ratio of a current run to a baseline run, minus 1 (0.10 =
//!   10 % slower): the Hodges–Lehmann estimate, the median of the ratios of every
//!   current run to every baseline run ([`shift_ratio`]);
//! - `change_ci`: its distribution-free interval, at 1 - `significance` (95 %): the
//!   changes the rank test below would not reject. Order statistics of those same
//!   ratios, so it is exact for small runs, needs no resampling, and the same two
//!   files always give the same verdict;
//! - `p_value`: two-sided Mann–Whitney U ([`mann_whitney_p`]): could the two sets of
//!   runs come from one distribution?
//!
//! The table also shows both medians, as the run tables do. The change is not their
//! ratio on purpose: on 2 cores a pool's runs fall into two clusters (whether its
//! workers got a core each), and a median of such runs jumps between clusters from
//! one invocation to the next, while the pairwise estimate uses every pair of runs
//! and moves by a fraction of the gap. How often each caught a slowdown is in the
//! README's *Measured* section.
//!
//! # The verdict rule
//!
//! With `max_regression` (the slowdown tolerated, default 5 %) and `significance`
//! (default 0.05):
//!
//! | verdict | when |
//! |---|---|
//! | **slower** (a regression: exit 3) | the whole interval lies above `+max_regression`, and `p < significance` |
//! | faster | the whole interval lies below `-max_regression`, and `p < significance` |
//! | unchanged | the whole interval lies within ±`max_regression` |
//! | inconclusive | anything else, or fewer than 2 runs on a side |
//!
//! In words: the build fails only when the data show, at 95 % confidence, that the
//! slowdown is *larger than the tolerance*, and the rank test agrees that the runs
//! moved. This is criterion.rs's rule ("regressed" when the interval clears the noise
//! threshold), with a rank test in place of its t-test.
//!
//! ## Why not "point estimate above the tolerance and significant"
//!
//! That simpler rule (change > max, p < 0.05, interval above 0) was the first
//! candidate. It cries wolf, for two reasons a significance test cannot fix:
//!
//! - *Noise within a run.* With no change at all, p < 0.05 happens in 5 % of
//!   comparisons by definition, and with a few percent of spread per run the median
//!   of 10 runs also moves past the tolerance by chance often enough.
//! - *Drift between invocations.* The runs of one invocation share the machine's
//!   state (a neighbour's load, clock speed), so two reruns of one build differ
//!   "significantly" by a few percent; no test on within-run samples can see that.
//!   Only the tolerance absorbs it, and more runs do not help.
//!
//! Requiring the interval's *low end* to clear the tolerance handles both: more noise
//! widens the interval, so noise turns verdicts into *inconclusive*, never into
//! *slower*. The cost is power near the boundary: a slowdown equal to the tolerance
//! is flagged rarely (it is not shown to be *larger* than the tolerance), one well
//! past it reliably. An inconclusive row whose best estimate is past the tolerance is
//! reported as a warning, so it is seen rather than silently passed.
//!
//! ## What the rule does
//!
//! `verdict_rule_sweep` in the tests simulates it (a job with lognormal spread per
//! run, drift between invocations, and with or without preempted runs) and prints
//! its false alarms among identical reruns and the slowdowns it catches, beside the
//! simpler rule's; the README's *Measured* section has its table, and
//! `scripts/gate-sensitivity.py` measures the same on real runs. Two of its claims
//! are fast tests: identical reruns give at most one false regression, and a clear
//! slowdown is caught with ten runs. A slowdown equal to the tolerance sits on its
//! boundary and is rarely flagged; a tolerance close to the drift cries wolf, so
//! before lowering it, compare a few reruns of one build and keep the tolerance well
//! above the changes they show.
//!
//! The rank test is exact for small runs: with 3 runs a side no ordering reaches
//! p < 0.05, so such a gate could never fail. [`compare`] refuses run counts that
//! cannot reach the significance level, saying how many would ([`runs`]); 4 runs a
//! side is the bare minimum at 0.05, 10 is better.
//!
//! `--fail-on-inconclusive` makes an inconclusive row fail the gate too, for a CI
//! that would rather rerun than pass on too little evidence.
//!
//! *Unchanged* needs only the interval: a real change of 3 % (significant, but inside
//! the tolerance) is unchanged for the purpose of a gate.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use serde::Serialize;

use crate::report::{CpuSettings, IoSettings, Report, ReportConfig, ResultRow, failed_checks};
use crate::significance::{mann_whitney_p, outliers, shift_ratio};
use crate::strategy::Strategy;
use crate::workload::Workload;

mod render;
pub(crate) mod runs;

use render::{p_value, signed_percent};
pub(crate) use render::{render, summary};

/// Below this many runs on a side the verdict is inconclusive.
const MIN_RUNS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    Faster,
    Slower,
    Unchanged,
    Inconclusive,
}

impl Verdict {
    pub(crate) fn name(self) -> &'static str {
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
pub(crate) struct Comparison {
    pub workload: String,
    pub strategy: String,
    pub workers: usize,
    pub baseline_median_s: f64,
    pub current_median_s: f64,
    /// The typical ratio of a current run to a baseline run, minus 1: 0.10 is 10 %
    /// slower, -0.5 twice as fast. The Hodges–Lehmann estimate ([`shift_ratio`]):
    /// the median of the ratios of every current run to every baseline run.
    pub change: f64,
    /// The distribution-free interval of `change` that goes with the rank test;
    /// NaN (`null` in JSON) when the runs are too few to reach its confidence.
    pub change_ci: (f64, f64),
    /// The confidence of `change_ci`: 1 - the significance level (0.95).
    pub change_ci_confidence: f64,
    /// Two-sided Mann–Whitney U on the per-run wall times.
    pub p_value: f64,
    pub verdict: Verdict,
    /// The verdict is [`Verdict::Slower`]: this row fails the gate.
    pub regression: bool,
}

/// What counts as a regression, and what fails the gate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thresholds {
    /// The slowdown tolerated, as a fraction: 0.10 = 10 %.
    pub max_regression: f64,
    /// The p-value below which a difference counts as real.
    pub significance: f64,
    /// An inconclusive row fails the gate too (`--fail-on-inconclusive`): the runs
    /// could not show the build is *not* slower.
    pub fail_on_inconclusive: bool,
}

impl Thresholds {
    /// The confidence of the change's interval, 1 - `significance`: the interval
    /// then clears 0 exactly when the rank test is significant, and the run counts
    /// that can reach the one can reach the other.
    pub(crate) fn confidence(&self) -> f64 {
        1.0 - self.significance
    }
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            max_regression: 0.05,
            significance: 0.05,
            fail_on_inconclusive: false,
        }
    }
}

/// Every comparison, what could not be compared, and how many rows regressed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Outcome {
    pub comparisons: Vec<Comparison>,
    /// One line each: rows present on one side only, different machines, outliers.
    pub warnings: Vec<String>,
    pub regressions: usize,
    /// Inconclusive rows that fail the gate (only with `fail_on_inconclusive`).
    pub failed_inconclusive: usize,
}

impl Outcome {
    /// No row failed the gate.
    pub(crate) fn passed(&self) -> bool {
        self.regressions == 0 && self.failed_inconclusive == 0
    }
}

type Key = (Workload, Strategy, usize);

/// Compares every (workload, strategy, workers) present in both reports; a row in
/// only one is a warning. Errors when the workload settings differ, when the reports
/// share nothing to compare (a gate that compared nothing must not pass), when a
/// compared row failed its checks on either side (wrong results or failed requests:
/// its timings mean nothing), or when a compared row has too few runs for the gate
/// ever to fail. Different machines are a warning.
pub(crate) fn compare(
    baseline: &Report,
    current: &Report,
    thresholds: Thresholds,
) -> anyhow::Result<Outcome> {
    check_settings(&baseline.config, &current.config)?;
    let mut warnings = machine_warning(baseline, current)
        .into_iter()
        .collect::<Vec<_>>();

    let key = |row: &ResultRow| -> Key { (row.workload, row.strategy, row.workers) };
    let baseline_rows: BTreeMap<Key, &ResultRow> = baseline
        .results
        .iter()
        .rev()
        .map(|row| (key(row), row))
        .collect();
    let current_keys: BTreeSet<Key> = current.results.iter().map(key).collect();

    let mut comparisons = Vec::new();
    let mut pairs = Vec::new();
    for row in &current.results {
        match baseline_rows.get(&key(row)) {
            Some(base) => {
                pairs.push((*base, row));
                let comparison = compare_rows(base, row, thresholds);
                warnings.extend(looks_slower_warning(&comparison, thresholds));
                comparisons.push(comparison);
            }
            None => warnings.push(format!(
                "{} is only in the current report; not compared",
                describe(row)
            )),
        }
    }
    for row in baseline
        .results
        .iter()
        .filter(|row| !current_keys.contains(&key(row)))
    {
        warnings.push(format!(
            "{} is only in the baseline; not compared",
            describe(row)
        ));
    }
    if comparisons.is_empty() {
        bail!("the reports share no (workload, model, workers) row; nothing to compare");
    }
    warnings.extend(outlier_warnings(&pairs));
    warnings.extend(all_moved_warnings(&comparisons, thresholds));
    check_rows_passed(&pairs)?;
    check_run_counts(&pairs, thresholds.significance)?;
    let regressions = comparisons.iter().filter(|c| c.regression).count();
    let failed_inconclusive = if thresholds.fail_on_inconclusive {
        comparisons
            .iter()
            .filter(|c| c.verdict == Verdict::Inconclusive)
            .count()
    } else {
        0
    };
    Ok(Outcome {
        comparisons,
        warnings,
        regressions,
        failed_inconclusive,
    })
}

/// Errors naming every compared row, on either side, that failed its checks.
fn check_rows_passed(pairs: &[(&ResultRow, &ResultRow)]) -> anyhow::Result<()> {
    let failed: Vec<String> = pairs
        .iter()
        .flat_map(|(base, row)| [("baseline", *base), ("current report", *row)])
        .filter_map(|(side, row)| {
            failed_checks(row).map(|why| format!("{} in the {side} {why}", label(row)))
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    bail!(
        "refusing to compare runs that failed their checks: {}",
        failed.join("; ")
    )
}

/// `cpu threads (4 workers)`, for lists in one line.
pub(crate) fn label(row: &ResultRow) -> String {
    let plural = if row.workers == 1 { "" } else { "s" };
    format!(
        "{} {} ({} worker{plural})",
        row.workload.name(),
        row.strategy.name(),
        row.workers
    )
}

/// Errors when some compared row has too few runs, on either side, for its verdict
/// ever to be *slower* (see [`runs`]): such a gate would pass whatever happened.
fn check_run_counts(pairs: &[(&ResultRow, &ResultRow)], significance: f64) -> anyhow::Result<()> {
    // (baseline runs, current runs) -> the rows with those counts.
    let mut short: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for (base, row) in pairs {
        let counts = (base.wall_s.samples.len(), row.wall_s.samples.len());
        if !runs::can_reach(counts.1, counts.0, significance) {
            short.entry(counts).or_default().push(label(row));
        }
    }
    let Some(&(fewest_baseline, current)) = short.keys().min() else {
        return Ok(());
    };
    let groups: Vec<String> = short
        .iter()
        .map(|(&(b, c), rows)| {
            let verb = if rows.len() == 1 { "has" } else { "have" };
            format!(
                "{} {verb} {} in the baseline and {c} in the current report",
                rows.join(" and "),
                runs::count(b)
            )
        })
        .collect();
    let needed = runs::needed_against(fewest_baseline, significance);
    let a_side = runs::needed_a_side(significance);
    let advice = match needed {
        Some(n) if a_side.is_some_and(|k| k < n) => format!(
            "measure {} runs against this baseline, or {} on both sides",
            runs::or_more(needed),
            runs::or_more(a_side)
        ),
        Some(_) => format!(
            "measure {} runs against this baseline",
            runs::or_more(needed)
        ),
        None => format!(
            "no current report can make up for so few baseline runs: measure both with {} runs",
            runs::or_more(a_side)
        ),
    };
    bail!(
        "too few runs for the gate to ever fail: {}, and the rank test cannot reach p < {} with so few (its smallest p is {}); {advice}",
        groups.join("; "),
        significance,
        runs::show_p(runs::smallest_p(current, fewest_baseline))
    )
}

/// One row against its baseline, by the rule in the module docs.
fn compare_rows(baseline: &ResultRow, current: &ResultRow, thresholds: Thresholds) -> Comparison {
    let (base, cur) = (&baseline.wall_s.samples, &current.wall_s.samples);
    let confidence = thresholds.confidence();
    let shift = shift_ratio(cur, base, confidence);
    let change = shift.ratio - 1.0;
    let change_ci = (shift.low - 1.0, shift.high - 1.0);
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
        baseline_median_s: baseline.wall_s.median,
        current_median_s: current.wall_s.median,
        change,
        change_ci,
        change_ci_confidence: confidence,
        p_value,
        verdict,
        regression: verdict == Verdict::Slower,
    }
}

fn verdict(change: f64, (low, high): (f64, f64), p_value: f64, thresholds: Thresholds) -> Verdict {
    let max = thresholds.max_regression;
    let significant = p_value < thresholds.significance;
    if significant && change > max && low > max {
        Verdict::Slower
    } else if significant && change < -max && high < -max {
        Verdict::Faster
    } else if low >= -max && high <= max {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

/// Errors naming the workload settings that differ, or when the two share no
/// workload. Each field is listed, so a new setting fails to compile here until
/// someone decides whether it changes what is measured.
pub(crate) fn check_settings(b: &ReportConfig, c: &ReportConfig) -> anyhow::Result<()> {
    if let (Some(b), Some(c)) = (&b.cpu, &c.cpu) {
        let CpuSettings {
            runs: _,
            kernel,
            numbers,
            workers,
        } = b;
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
    let verb = if differing.len() == 1 {
        "differs"
    } else {
        "differ"
    };
    bail!(
        "the reports were measured with different {workload} settings ({} {verb}); compare only like with like",
        differing.join(", ")
    )
}

fn workloads(config: &ReportConfig) -> String {
    let names: Vec<&str> = [("cpu", config.cpu.is_some()), ("io", config.io.is_some())]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(" and ")
    }
}

/// A warning when the reports come from different machines: the change may be the
/// machine's. Only fields both reports know are compared.
fn machine_warning(baseline: &Report, current: &Report) -> Option<String> {
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
        differences.push(format!(
            "usable CPUs {} vs {}",
            b.usable_parallelism, c.usable_parallelism
        ));
    }
    (!differences.is_empty()).then(|| {
        format!(
            "the reports come from different machines ({}); a change may be the machine's, not the code's",
            differences.join(", ")
        )
    })
}

/// Fewest rows of a workload that must all have moved past the tolerance, the same
/// way, before [`all_moved_warnings`] says so.
const ALL_MOVED_ROWS: usize = 3;

/// A warning per workload whose every model moved past the tolerance the same way.
///
/// The verdicts stand: each row is judged on its own runs. But a slower machine (a
/// busy neighbour on a shared host, a lower clock) moves every model at once, and
/// so does a change every model shares (the job's kernel, the compiler); a change
/// to one model's code rarely does. 21 identical `cpu` runs on the development VM
/// had one invocation with every model 5–18 % slower than the one before.
fn all_moved_warnings(comparisons: &[Comparison], thresholds: Thresholds) -> Vec<String> {
    let max = thresholds.max_regression;
    let workloads: BTreeSet<&str> = comparisons.iter().map(|c| c.workload.as_str()).collect();
    workloads
        .into_iter()
        .filter_map(|workload| {
            let rows: Vec<&Comparison> = comparisons
                .iter()
                .filter(|c| c.workload == workload)
                .collect();
            let slower = rows.iter().all(|c| c.change > max);
            let faster = rows.iter().all(|c| c.change < -max);
            if rows.len() < ALL_MOVED_ROWS || !(slower || faster) {
                return None;
            }
            let changes = rows.iter().map(|c| c.change);
            let (low, high) = changes.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), c| {
                (l.min(c), h.max(c))
            });
            Some(format!(
                "{workload}: every model is {} ({} to {}): a busier or slower machine \
                 than the baseline's moves them all, and so does a change they share; \
                 a rerun of both on one machine would tell",
                if slower { "slower" } else { "faster" },
                signed_percent(low),
                signed_percent(high)
            ))
        })
        .collect()
}

/// One warning per workload whose compared runs include outliers (a modified
/// Z-score over 3.5): the machine was probably busy during those runs. The verdict is
/// robust to a few. Only outliers more than 10 % off the median are counted: smaller ones are
/// routine on any machine and the median is robust to them anyway.
fn outlier_warnings(pairs: &[(&ResultRow, &ResultRow)]) -> Vec<String> {
    let far = |row: &ResultRow| {
        let samples = &row.wall_s.samples;
        let middle = crate::stats::median(samples);
        let far = outliers(samples)
            .into_iter()
            .filter(|&i| (samples[i] / middle - 1.0).abs() > 0.10)
            .count();
        (far > 0).then(|| format!("{far} of {}", samples.len()))
    };
    let mut by_workload: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (base, current) in pairs {
        let sides: Vec<String> = [("baseline", far(base)), ("current", far(current))]
            .into_iter()
            .filter_map(|(side, far)| Some(format!("{side} {}", far?)))
            .collect();
        if sides.is_empty() {
            continue;
        }
        let model = if current.strategy.single() {
            current.strategy.to_string()
        } else {
            format!("{} ×{}", current.strategy, current.workers)
        };
        by_workload
            .entry(current.workload.name())
            .or_default()
            .push(format!("{model} {}", sides.join(", ")));
    }
    by_workload
        .into_iter()
        .map(|(workload, models)| {
            format!(
                "{workload}: runs over 10 % off their median: {} (the median is robust to \
                 them; was the machine busy?)",
                models.join("; ")
            )
        })
        .collect()
}

/// A warning for a row that is not a regression only because the runs cannot show
/// it: its best estimate is past the tolerance, its interval is not.
fn looks_slower_warning(c: &Comparison, thresholds: Thresholds) -> Option<String> {
    (c.verdict == Verdict::Inconclusive && c.change > thresholds.max_regression).then(|| {
        format!(
            "{} looks {:.1} % slower, but its runs are too few or too noisy to show it \
             ({} interval {} … {}, p = {}); more --runs would settle it",
            describe_key(&c.workload, &c.strategy, c.workers),
            c.change * 100.0,
            crate::output::format::level(c.change_ci_confidence),
            signed_percent(c.change_ci.0),
            signed_percent(c.change_ci.1),
            p_value(c.p_value)
        )
    })
}

fn describe(row: &ResultRow) -> String {
    describe_key(row.workload.name(), row.strategy.name(), row.workers)
}

/// `cpu threads, 4 workers`.
fn describe_key(workload: &str, strategy: &str, workers: usize) -> String {
    let plural = if workers == 1 { "" } else { "s" };
    format!("{workload} {strategy}, {workers} worker{plural}")
}

#[cfg(test)]
mod tests;
