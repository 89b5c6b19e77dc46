//! The regression gate: `concbench compare`, `--baseline`, `--baseline-build` and
//! `--expect`.
//!
//! Both gates judge first and print after ([`Judgement`]): what they found — a line
//! per expectation, the comparison table and a one-line summary — and then, if
//! anything failed, a [`RegressionFound`] error, which exits 3 (see
//! [`crate::error`]). A closed stdout ends the printing, never the verdict. Everything that
//! keeps a gate from working (a baseline of other settings, too few runs, an
//! expectation on a model that is not run) is found before the run, in
//! [`crate::config::gate`], which hands the gate a checked [`GateConfig`]. The statistics
//! behind a verdict are in [`crate::compare`]; parsing an expectation in
//! [`crate::expect`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::compare::{self, Comparison, Thresholds, Verdict};
use crate::error::RegressionFound;
use crate::expect::{self, Expectation};
use crate::report::Report;

/// The gates of one benchmark run, validated (by [`crate::config`], from the flags).
#[derive(Debug, Clone, Default)]
pub(crate) struct GateConfig {
    /// The report to compare with and where it was read from. Read once, before the
    /// run: a `--save-baseline` of the same name must not replace it mid-way.
    pub baseline: Option<(PathBuf, Report)>,
    /// `--baseline-build`: another concbench executable, checked to be one, whose
    /// runs are made beside this build's; after the run its report becomes
    /// `baseline`.
    pub baseline_build: Option<PathBuf>,
    pub expectations: Vec<Expectation>,
    pub thresholds: Thresholds,
}

/// What the gates found: what they print, and their verdict, decided before anything
/// is printed.
#[derive(Debug)]
pub(crate) struct Judgement {
    /// For stdout: a line per expectation, then the comparison with the baseline (its
    /// header, table and one-line summary).
    pub text: String,
    /// For stderr, after the text: what makes the comparison less trustworthy.
    pub warnings: Vec<String>,
    /// `Ok`; a [`RegressionFound`] (exit 3); or the error that kept a gate from
    /// judging (a figure the report lacks, reports that cannot be compared: exit 1).
    pub verdict: anyhow::Result<()>,
}

impl Judgement {
    /// Prints the text on `out` and the warnings on stderr, then returns the verdict.
    /// A closed `out` ends the printing quietly and changes nothing else; another
    /// failure to print is an error only when the verdict is `Ok`.
    pub(crate) fn print(self, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut out = crate::error::UntilClosed::new(out);
        let printed = out
            .write_all(self.text.as_bytes())
            .and_then(|()| out.flush());
        for warning in &self.warnings {
            crate::output::warn(warning);
        }
        self.verdict?;
        printed.context("printing the gate's verdict")
    }
}

/// Compares, and renders the table and the one-line summary; the verdict is a
/// [`RegressionFound`] when a row fails the gate. `Err` when the reports cannot be
/// compared at all.
pub(crate) fn comparison(
    baseline: &Report,
    current: &Report,
    thresholds: Thresholds,
) -> anyhow::Result<Judgement> {
    let outcome = compare::compare(baseline, current, thresholds)?;
    let options = crate::output::table::TableOptions::for_stdout(None, false);
    let text = format!(
        "{}\n{}\n",
        compare::render(&outcome, &options),
        compare::summary(&outcome)
    );
    let verdict = if outcome.passed() {
        Ok(())
    } else {
        Err(RegressionFound(regressions(&outcome, thresholds)).into())
    };
    Ok(Judgement {
        text,
        warnings: outcome.warnings.clone(),
        verdict,
    })
}

/// What failed the gate: `2 regression(s) beyond 5 %: cpu.threads +12.0 %, …`.
fn regressions(outcome: &compare::Outcome, thresholds: Thresholds) -> String {
    let rows = |pick: &dyn Fn(&Comparison) -> bool| -> String {
        let picked: Vec<String> = outcome
            .comparisons
            .iter()
            .filter(|c| pick(c))
            .map(|c| format!("{}.{} {:+.1} %", c.workload, c.strategy, c.change * 100.0))
            .collect();
        picked.join(", ")
    };
    let mut failures = Vec::new();
    if outcome.regressions > 0 {
        failures.push(format!(
            "{} regression(s) beyond {:.0} %: {}",
            outcome.regressions,
            thresholds.max_regression * 100.0,
            rows(&|c| c.regression)
        ));
    }
    if outcome.failed_inconclusive > 0 {
        failures.push(format!(
            "{} inconclusive row(s) with --fail-on-inconclusive: {}",
            outcome.failed_inconclusive,
            rows(&|c| c.verdict == Verdict::Inconclusive)
        ));
    }
    failures.join("; ")
}

/// Runs the gates of a finished benchmark on its report: one line per expectation,
/// then the comparison with the baseline and its summary line. Prints nothing: the
/// caller prints the [`Judgement`] once the run is saved.
pub(crate) fn judge(report: &Report, gate: &GateConfig) -> Judgement {
    let mut judged = Judgement {
        text: String::new(),
        warnings: Vec::new(),
        verdict: Ok(()),
    };
    let mut failures = Vec::new();
    for expectation in &gate.expectations {
        match expect::check(expectation, report) {
            Ok(checked) => {
                judged.text.push_str(&checked.line);
                judged.text.push('\n');
                if !checked.passed {
                    failures.push(checked.failure);
                }
            }
            Err(e) => {
                judged.verdict = Err(e);
                return judged;
            }
        }
    }
    if let Some((path, baseline)) = &gate.baseline {
        let header = if gate.baseline_build.is_some() {
            format!(
                "compared with the baseline build {}, run beside this one",
                path.display()
            )
        } else {
            format!("compared with {}", path.display())
        };
        judged.text.push_str(&header);
        judged.text.push('\n');
        match comparison(baseline, report, gate.thresholds) {
            Ok(compared) => {
                judged.text.push_str(&compared.text);
                judged.warnings = compared.warnings;
                if let Err(e) = compared.verdict {
                    failures.insert(0, e.to_string());
                }
            }
            // Not a verdict (the comparison itself failed): exit 1, not 3.
            Err(e) => {
                judged.verdict = Err(e);
                return judged;
            }
        }
    }
    if !failures.is_empty() {
        judged.verdict = Err(RegressionFound(failures.join("; ")).into());
    }
    judged
}
