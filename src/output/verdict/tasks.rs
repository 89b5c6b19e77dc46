//! The tasks job's verdict: what one waiting task costs in each model, cheapest
//! first, with its interval; where the OS said no; and what was not run.

use crate::analysis::tasks::{Cost, costs};
use crate::output::format;
use crate::report::{ResultRow, TasksSettings};

/// The lines under the tasks table.
pub(crate) fn lines(rows: &[ResultRow], settings: Option<&TasksSettings>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut costs = costs(rows);
    costs.sort_by(|a, b| a.1.bytes().total_cmp(&b.1.bytes()));
    if !costs.is_empty() {
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
                    "{strategy} at most {} (one count, {}: its memory over its tasks)",
                    bytes(share),
                    format::count(tasks)
                ),
            })
            .collect();
        lines.push(format!(
            "A waiting task costs: {} (the slope of memory against tasks held).",
            each.join(", ")
        ));
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

/// Bytes with a sign: a slope below zero is noise around a tiny cost.
fn bytes(value: f64) -> String {
    if value < 0.0 {
        format!("−{}", format::bytes((-value) as u64))
    } else {
        format::bytes(value as u64)
    }
}
