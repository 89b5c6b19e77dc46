//! The tasks job's verdict: what one waiting task costs in each model, cheapest
//! first, with its interval; where the OS said no; and what was not run.

use crate::analysis::tasks::{Cost, costs};
use crate::output::format;
use crate::report::{ResultRow, TasksSettings};
use crate::strategy::Strategy;

/// The lines under the tasks table.
pub(crate) fn lines(rows: &[ResultRow], settings: Option<&TasksSettings>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut costs = costs(rows);
    costs.sort_by(|a, b| a.1.bytes().total_cmp(&b.1.bytes()));
    if !costs.is_empty() {
        lines.push(cost_line(&costs));
    }
    let refusals: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let refusal = row.tasks.as_ref()?.refused.as_ref()?;
            Some(format!(
                "{} stopped at {} of {} ({})",
                row.strategy,
                format::count(refusal.at),
                format::count(row.workers),
                refusal.reason
            ))
        })
        .collect();
    if !refusals.is_empty() {
        lines.push(format!("The OS said no: {}.", refusals.join("; ")));
    }
    if let Some(settings) = settings {
        for skipped in &settings.skipped {
            lines.push(format!(
                "{} ×{} not started: {}.",
                skipped.strategy,
                format::count(skipped.tasks),
                skipped.reason
            ));
        }
        if !settings.not_held.is_empty() {
            let names: Vec<&str> = settings.not_held.iter().map(|s| s.name()).collect();
            let (hold, queue) = if names.len() == 1 {
                ("holds", "it queues")
            } else {
                ("hold", "they queue")
            };
            lines.push(format!(
                "Not run: {} {hold} no N tasks at once ({queue} items on a fixed set of \
                 workers).",
                names.join(", ")
            ));
        }
    }
    lines
}

/// "A waiting task costs: …", cheapest first as `costs` come. The slope's rule is
/// named only when some model has one; a model held at one count only gets its
/// memory over its tasks, an upper bound, and says so.
fn cost_line(costs: &[(Strategy, Cost)]) -> String {
    let each: Vec<String> = costs
        .iter()
        .map(|(strategy, cost)| match *cost {
            Cost::Slope {
                bytes: slope,
                ci95: Some([low, high]),
            } => format!(
                "{strategy} {} (95 % CI {}–{})",
                bytes(slope),
                bytes(low),
                bytes(high)
            ),
            Cost::Slope { bytes: slope, .. } => format!("{strategy} {}", bytes(slope)),
            Cost::Share {
                bytes: share,
                tasks,
            } => format!(
                "{strategy} at most {} ({} tasks only: its memory over its tasks)",
                bytes(share),
                format::count(tasks)
            ),
        })
        .collect();
    let slopes = costs
        .iter()
        .any(|(_, cost)| matches!(cost, Cost::Slope { .. }));
    let how = if slopes {
        " (the slope of memory against tasks held)"
    } else {
        ""
    };
    format!("A waiting task costs{how}: {}.", each.join(", "))
}

/// Bytes with a sign: a slope below zero is noise around a tiny cost.
fn bytes(value: f64) -> String {
    if value < 0.0 {
        format!("−{}", format::bytes((-value) as u64))
    } else {
        format::bytes(value as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slopes_rule_is_named_only_when_a_model_has_a_slope() {
        let one_count = [(
            Strategy::Async,
            Cost::Share {
                bytes: 458.0,
                tasks: 1_000_000,
            },
        )];
        assert_eq!(
            cost_line(&one_count),
            "A waiting task costs: async at most 458 B (1,000,000 tasks only: its memory \
             over its tasks)."
        );
        let mixed = [
            (
                Strategy::Async,
                Cost::Slope {
                    bytes: 453.0,
                    ci95: Some([452.0, 454.0]),
                },
            ),
            one_count[0],
        ];
        let line = cost_line(&mixed);
        assert!(
            line.starts_with(
                "A waiting task costs (the slope of memory against tasks held): async 453 B \
                 (95 % CI 452 B–454 B), async at most"
            ),
            "{line}"
        );
        assert!(!line.contains(") ("), "{line}");
    }
}
