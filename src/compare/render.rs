//! The comparison as people read it: a table of rows and a one-line verdict.

use comfy_table::CellAlignment;

use super::{Comparison, Outcome, Thresholds, Verdict};
use crate::output::format;
use crate::output::table::{TableOptions, finish, new_table};

/// The comparisons as a table: one row per model, change with its interval, p, verdict.
pub(crate) fn render(outcome: &Outcome, options: &TableOptions) -> String {
    let mut table = new_table(options);
    let confidence = outcome.comparisons.first().map_or_else(
        || Thresholds::default().confidence(),
        |c| c.change_ci_confidence,
    );
    let change = format!("change ({} CI)", format::level(confidence));
    table.set_header(vec![
        "model",
        "workload",
        "workers",
        "baseline",
        "current",
        change.as_str(),
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
            change_with_interval(c),
            p_value(c.p_value),
            if c.regression {
                "SLOWER".to_string()
            } else {
                c.verdict.name().to_string()
            },
        ]);
    }
    for column in 2..table.column_count() - 1 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    finish(&mut table, options)
}

/// `+12.3 % (+8.1 … +16.0)`: the change and its interval, in percent; the change
/// alone when there is no interval.
fn change_with_interval(c: &Comparison) -> String {
    let (low, high) = c.change_ci;
    if !(low.is_finite() && high.is_finite()) {
        return signed_percent(c.change);
    }
    format!(
        "{} ({:+.1} … {:+.1})",
        signed_percent(c.change),
        low * 100.0,
        high * 100.0
    )
}

/// `+12.3 %`, `-4.0 %`, or `-` for NaN.
pub(super) fn signed_percent(value: f64) -> String {
    if value.is_finite() {
        format!("{:+.1} %", value * 100.0)
    } else {
        "-".to_string()
    }
}

pub(super) fn p_value(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

/// `3 unchanged, 1 inconclusive, 0 slower, 0 faster: pass`: one line, so that a CI
/// log shows the gate ran and what it decided.
pub(crate) fn summary(outcome: &Outcome) -> String {
    let count = |verdict: Verdict| {
        outcome
            .comparisons
            .iter()
            .filter(|c| c.verdict == verdict)
            .count()
    };
    format!(
        "{} unchanged, {} inconclusive, {} slower, {} faster: {}",
        count(Verdict::Unchanged),
        count(Verdict::Inconclusive),
        count(Verdict::Slower),
        count(Verdict::Faster),
        if outcome.passed() { "pass" } else { "FAIL" }
    )
}
