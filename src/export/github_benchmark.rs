//! github-action-benchmark's `customSmallerIsBetter` input: a JSON array with one
//! entry per row, `name`, `unit` and `value` required, `range` and `extra` free text.
//!
//! ```json
//! [{ "name": "cpu threads (4 workers)", "unit": "s", "value": 0.125,
//!    "range": "± 0.0625", "extra": "runs: 3; 0.0625 … 0.1875 s" }]
//! ```
//!
//! The value is the median wall time in seconds, so a drop is an improvement. The
//! action keys its history on `name`: keep it stable.
//! See <https://github.com/benchmark-action/github-action-benchmark#examples>.

use serde::Serialize;

use super::Exporter;
use crate::report::{Report, ResultRow};

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct GithubBenchmarkExporter;

#[derive(Debug, Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    range: String,
    extra: String,
}

impl Exporter for GithubBenchmarkExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let entries: Vec<Entry> = report.results.iter().map(entry).collect();
        let mut bytes = serde_json::to_vec_pretty(&entries)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

fn entry(row: &ResultRow) -> Entry {
    let wall = &row.wall_s;
    Entry {
        name: format!(
            "{} {} ({} workers)",
            row.workload.name(),
            row.strategy.name(),
            row.workers
        ),
        unit: "s",
        value: wall.median,
        range: format!("± {}", significant(wall.stddev)),
        extra: format!(
            "runs: {}; {} … {} s",
            row.runs,
            significant(wall.min),
            significant(wall.max)
        ),
    }
}

/// At most four significant digits, fixed notation, no trailing zeros after the
/// point: `0.001528`, `1.235`, `0.125`, `2`.
pub(super) fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}
