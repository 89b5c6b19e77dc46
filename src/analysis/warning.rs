//! What makes a table's figures less trustworthy, as data.
//!
//! The analysis decides which warnings hold ([`super::cpu`], [`super::io`]); the
//! output prints each as one line (its `Display`); tests match the variant, not the
//! words; and the JSON report carries each as a kind and its text
//! ([`crate::report::WarningRecord`]). A warning never fails a run: wrong results
//! are [`super::Analysis::problems`].

use std::fmt;

use crate::output::format;
use crate::report::WarningRecord;
use crate::stats::CONFIDENCE;
use crate::workload::Workload;

/// A row of the table as a warning names it: `sequential`, or `threads ×5`.
pub(crate) type Label = String;

/// One warning about one workload's table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Warning {
    /// Runs vary by more than [`super::NOISY_CV`] (σ/mean) in these rows, with each
    /// row's coefficient of variation.
    Noisy {
        workload: Workload,
        rows: Vec<(Label, f64)>,
    },
    /// Rows with runs more than [`super::NOISY_CV`] off their median: how many of
    /// how many runs. They are kept, and flagged in the report.
    Outliers {
        workload: Workload,
        rows: Vec<(Label, usize, usize)>,
    },
    /// Too few runs for a [`CONFIDENCE`] interval of each median: the fewest any row
    /// had, the coverage that many reach (none for one run), and the runs needed.
    FewRuns {
        workload: Workload,
        runs: usize,
        coverage: Option<f64>,
        needed: usize,
    },
    /// The fastest model's median is under [`super::TOO_SHORT_S`].
    TooShort { workload: Workload, fastest_s: f64 },
    /// More cpu workers than usable cores: no speedup can pass the core count.
    Oversubscribed { workers: usize, cores: usize },
    /// Rows whose kernel CPU time per item is not sequential's, beyond noise
    /// ([`crate::selfcheck`]), with the ratio to sequential's.
    KernelCost { rows: Vec<(Label, f64)> },
    /// Rows faster than sequential by more than their worker count, with the speedup.
    ImpossibleSpeedup { rows: Vec<(Label, f64)> },
}

impl Warning {
    /// A stable name for the kind, as the JSON report carries it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Warning::Noisy { .. } => "noisy",
            Warning::Outliers { .. } => "outliers",
            Warning::FewRuns { .. } => "few_runs",
            Warning::TooShort { .. } => "too_short",
            Warning::Oversubscribed { .. } => "oversubscribed",
            Warning::KernelCost { .. } => "kernel_cost",
            Warning::ImpossibleSpeedup { .. } => "impossible_speedup",
        }
    }

    /// The workload whose table it is about.
    pub(crate) fn workload(&self) -> Workload {
        match self {
            Warning::Noisy { workload, .. }
            | Warning::Outliers { workload, .. }
            | Warning::FewRuns { workload, .. }
            | Warning::TooShort { workload, .. } => *workload,
            Warning::Oversubscribed { .. }
            | Warning::KernelCost { .. }
            | Warning::ImpossibleSpeedup { .. } => Workload::Cpu,
        }
    }

    /// The kind and the text, for the JSON report.
    pub(crate) fn record(&self) -> WarningRecord {
        WarningRecord {
            workload: self.workload(),
            kind: self.kind().to_string(),
            message: self.to_string(),
        }
    }
}

/// `threads ×5 1.23×, async ×5 0.91×`.
fn ratios(rows: &[(Label, f64)]) -> String {
    rows.iter()
        .map(|(label, ratio)| format!("{label} {ratio:.2}×"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noisy = super::NOISY_CV * 100.0;
        match self {
            Warning::Noisy { workload, rows } => {
                let low = rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
                let high = rows.iter().map(|r| r.1).fold(0.0, f64::max);
                let spread = if (high - low) * 100.0 < 0.05 {
                    format!("{:.1} %", high * 100.0)
                } else {
                    format!("{:.1}–{:.1} %", low * 100.0, high * 100.0)
                };
                let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
                write!(
                    f,
                    "{}: runs vary by {spread} (σ/mean, over {noisy:.0} %) for {}: a busy \
                     machine? the intervals of the medians show how much it matters",
                    workload.name(),
                    names.join(", ")
                )
            }
            Warning::Outliers { workload, rows } => {
                let rows: Vec<String> = rows
                    .iter()
                    .map(|(label, far, runs)| format!("{label} {far} of {runs}"))
                    .collect();
                write!(
                    f,
                    "{}: runs over {noisy:.0} % off their median: {} (kept, and flagged in \
                     the report; the median is robust to them)",
                    workload.name(),
                    rows.join(", ")
                )
            }
            Warning::FewRuns {
                workload,
                runs,
                coverage,
                needed,
            } => {
                let confidence = CONFIDENCE * 100.0;
                match coverage {
                    None => write!(
                        f,
                        "{}: {runs} run gives no interval of the median; {needed} runs are \
                         needed for {confidence:.0} % (--runs {needed})",
                        workload.name()
                    ),
                    Some(reached) => write!(
                        f,
                        "{}: {runs} runs give each median only a {:.0} % interval; {needed} \
                         runs are needed for {confidence:.0} % (--runs {needed})",
                        workload.name(),
                        reached * 100.0
                    ),
                }
            }
            Warning::TooShort {
                workload,
                fastest_s,
            } => {
                let lengthen = match workload {
                    Workload::Cpu => "--count or --start (or --kernel fib)",
                    Workload::Io => "--requests or --latency",
                    Workload::Tasks => "--wait",
                };
                write!(
                    f,
                    "{}: the fastest model took {}, too short to time reliably; lengthen \
                     the job with {lengthen}",
                    workload.name(),
                    format::seconds(*fastest_s)
                )
            }
            Warning::Oversubscribed { workers, cores } => write!(
                f,
                "cpu: {workers} workers on {cores} usable cores: the parallel models are \
                 oversubscribed, and no speedup can pass {cores}×"
            ),
            Warning::KernelCost { rows } => write!(
                f,
                "cpu: the same work cost a different CPU time per item than in \
                 sequential: {}. The figures are biased by something other than the \
                 models (code layout, frequency scaling, a busy machine); do not trust \
                 their speedups",
                ratios(rows)
            ),
            Warning::ImpossibleSpeedup { rows } => write!(
                f,
                "cpu: faster than sequential by more than the worker count, which the \
                 same work cannot be: {}; the figures are biased (code layout, frequency \
                 scaling, a busy machine)",
                ratios(rows)
            ),
        }
    }
}
