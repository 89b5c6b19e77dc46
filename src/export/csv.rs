//! One CSV row per model and workload, for spreadsheets and data frames.
//!
//! Times are in seconds at full precision (hyperfine's rule: a CSV carries values,
//! not display strings). A figure that does not apply — no speedup without a
//! sequential run, no request rate for a cpu row — is an empty cell, as is a
//! non-finite number. Cells are quoted per RFC 4180 when they hold a comma, quote or
//! line break; lines end in `\n`, as the `csv` crate writes them.

use std::borrow::Cow;

use super::Exporter;
use crate::report::{Report, ResultRow};

/// The header line, in column order.
const COLUMNS: [&str; 18] = [
    "workload",
    "strategy",
    "workers",
    "runs",
    "median_s",
    "mean_s",
    "stddev_s",
    "min_s",
    "max_s",
    "setup_median_s",
    "cpu_median_s",
    "memory_bytes",
    "speedup",
    "efficiency",
    "verified",
    "checksum",
    "requests_per_s",
    "failed",
];

#[derive(Debug, Default, Clone, Copy)]
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let mut out = String::new();
        write_record(&mut out, COLUMNS.iter().map(|c| c.to_string()));
        for row in &report.results {
            write_record(&mut out, cells(row));
        }
        Ok(out.into_bytes())
    }
}

/// A row's cells, in [`COLUMNS`] order.
fn cells(row: &ResultRow) -> impl Iterator<Item = String> {
    let wall = &row.wall_s;
    [
        row.workload.name().to_string(),
        row.strategy.name().to_string(),
        row.workers.to_string(),
        row.runs.to_string(),
        number(wall.median),
        number(wall.mean),
        number(wall.stddev),
        number(wall.min),
        number(wall.max),
        number(row.setup_s.median),
        number(row.cpu_s.median),
        row.memory_bytes.to_string(),
        row.speedup.map(number).unwrap_or_default(),
        row.efficiency.map(number).unwrap_or_default(),
        row.verified.to_string(),
        row.checksum.clone(),
        row.io
            .as_ref()
            .map(|io| number(io.requests_per_s))
            .unwrap_or_default(),
        row.io
            .as_ref()
            .map(|io| io.failed.to_string())
            .unwrap_or_default(),
    ]
    .into_iter()
}

/// Shortest text that parses back to the same `f64`; empty for NaN and infinities.
fn number(value: f64) -> String {
    if value.is_finite() {
        value.to_string()
    } else {
        String::new()
    }
}

fn write_record(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(&cell));
    }
    out.push('\n');
}

/// The cell as RFC 4180 wants it: as is, or in double quotes with quotes doubled.
pub(super) fn quote(cell: &str) -> Cow<'_, str> {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\"")).into()
    } else {
        cell.into()
    }
}
