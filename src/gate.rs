//! The regression gate: `concbench compare`, `--baseline` and `--expect`.
//!
//! Both gates print what they found and then, if anything regressed, return a
//! [`RegressionFound`] error, which exits 3 (see [`crate::error`]). The statistics
//! behind a verdict are in [`crate::compare`]; parsing an expectation in
//! [`crate::expect`].

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{CompareArgs, ThresholdArgs};
use crate::compare::{self, Thresholds};
use crate::error::{RegressionFound, usage};
use crate::expect::{self, Expectation};
use crate::report::Report;
use crate::results;

/// The gates of one benchmark run, validated.
#[derive(Debug, Clone, Default)]
pub struct GateConfig {
    /// The report to compare with and where it was read from. Read once, before the
    /// run: a `--save-baseline` of the same name must not replace it mid-way.
    pub baseline: Option<(PathBuf, Report)>,
    pub expectations: Vec<Expectation>,
    pub thresholds: Thresholds,
}

/// Validates the threshold flags.
pub fn thresholds(args: &ThresholdArgs) -> anyhow::Result<Thresholds> {
    let max_regression = compare::parse_fraction(&args.max_regression)
        .map_err(|e| usage(format!("--max-regression: {e}")))?;
    if !(max_regression >= 0.0 && max_regression.is_finite()) {
        return Err(usage("--max-regression must be 0 % or more"));
    }
    if !(args.significance > 0.0 && args.significance < 1.0) {
        return Err(usage("--significance must be between 0 and 1"));
    }
    Ok(Thresholds {
        max_regression,
        significance: args.significance,
    })
}

/// Validates `--baseline`, `--expect` and the thresholds before anything runs.
pub fn config(args: &crate::cli::GateArgs) -> anyhow::Result<GateConfig> {
    let thresholds = thresholds(&args.thresholds)?;
    let expectations = args
        .expect
        .iter()
        .map(|text| expect::parse(text).map_err(|e| usage(format!("--expect '{text}': {e}"))))
        .collect::<anyhow::Result<_>>()?;
    let baseline = match &args.baseline {
        None => None,
        Some(text) => {
            let path = results::resolve(text)?;
            // Fail before a long run, not after it.
            let report = results::load(&path)?;
            Some((path, report))
        }
    };
    Ok(GateConfig {
        baseline,
        expectations,
        thresholds,
    })
}

/// `concbench compare BASELINE CURRENT`.
pub fn compare_command(args: &CompareArgs) -> anyhow::Result<()> {
    let thresholds = thresholds(&args.thresholds)?;
    let baseline = results::load(&results::resolve(&args.baseline)?)?;
    let current = results::load(&args.current)?;
    let mut stdout = std::io::stdout().lock();
    compare_reports(&baseline, &current, thresholds, &mut stdout)
}

/// Compares and prints; `Err(RegressionFound)` when any row regressed.
fn compare_reports(
    baseline: &Report,
    current: &Report,
    thresholds: Thresholds,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let outcome = compare::compare(baseline, current, thresholds)?;
    writeln!(out, "{}", compare::render(&outcome))?;
    out.flush()?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    if outcome.regressions > 0 {
        let slower: Vec<String> = outcome
            .comparisons
            .iter()
            .filter(|c| c.regression)
            .map(|c| format!("{}.{} {:+.1} %", c.workload, c.strategy, c.change * 100.0))
            .collect();
        return Err(RegressionFound(format!(
            "{} regression(s) beyond {:.0} %: {}",
            outcome.regressions,
            thresholds.max_regression * 100.0,
            slower.join(", ")
        ))
        .into());
    }
    Ok(())
}

/// Runs the gates of a finished benchmark on its report.
pub fn after_run(report: &Report, gate: &GateConfig, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    for expectation in &gate.expectations {
        if let Some(message) = expect::check(expectation, report)? {
            failures.push(message);
        }
    }
    let compared = match &gate.baseline {
        Some((path, baseline)) => {
            writeln!(out, "compared with {}", path.display())?;
            compare_reports(baseline, report, gate.thresholds, out)
        }
        None => Ok(()),
    };
    match compared {
        Err(e) if failures.is_empty() => Err(e),
        Err(e) => Err(RegressionFound(format!("{e}; {}", failures.join("; "))).into()),
        Ok(()) if failures.is_empty() => Ok(()),
        Ok(()) => Err(RegressionFound(failures.join("; ")).into()),
    }
}
