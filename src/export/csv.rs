//! One CSV row per model and workload, for spreadsheets and data frames.
//!
//! One row per (workload, model, workers), with every figure of the report. Times
//! are in seconds, to six significant digits without float noise (a CSV carries
//! values, not display strings). A figure that does not apply — no speedup without a
//! sequential run, no request rate for a cpu row — is an empty cell, as is a
//! non-finite number. Cells are quoted per RFC 4180 when they hold a comma, quote or
//! line break; lines end in `\n`, as the `csv` crate writes them.

use std::borrow::Cow;

use super::Exporter;
use crate::report::{Report, ResultRow};

/// The header line, in column order.
const COLUMNS: [&str; 36] = [
    "workload",
    "strategy",
    "workers",
    "runs",
    "median_s",
    "median_ci_low_s",
    "median_ci_high_s",
    "median_ci_confidence",
    "mean_s",
    "stddev_s",
    "min_s",
    "max_s",
    "cv",
    "setup_median_s",
    "cpu_median_s",
    "memory_bytes",
    "memory_pss_bytes",
    "largest_process_bytes",
    "processes",
    "threads",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "efficiency",
    "verified",
    "checksum",
    "requests",
    "requests_per_s",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p99_s",
    "latency_max_s",
    "max_in_flight",
    "failed",
    "failures",
    "verify_note",
];

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct CsvExporter;

impl Exporter for CsvExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let mut out = String::new();
        write_record(&mut out, COLUMNS.iter().map(|c| c.to_string()));
        for row in &report.results {
            write_record(&mut out, cells(row).into_iter());
        }
        Ok(out.into_bytes())
    }
}

/// A row's cells, in [`COLUMNS`] order; empty where a figure does not apply.
fn cells(row: &ResultRow) -> Vec<String> {
    let wall = &row.wall_s;
    let io = row.io.as_ref();
    let io_number = |f: fn(&crate::report::IoFigures) -> f64| io.map(|io| number(f(io)));
    let [ci_low, ci_high] = row.median_ci_s;
    let speedup_ci = row.speedup_ci95.map(|[l, h]| (number(l), number(h)));
    vec![
        row.workload.name().to_string(),
        row.strategy.name().to_string(),
        row.workers.to_string(),
        row.runs.to_string(),
        number(wall.median),
        number(ci_low),
        number(ci_high),
        number(row.median_ci_confidence),
        number(wall.mean),
        number(wall.stddev),
        number(wall.min),
        number(wall.max),
        number(row.cv),
        number(row.setup_s.median),
        number(row.cpu_s.median),
        row.memory_bytes.to_string(),
        row.memory_pss_bytes
            .map_or_else(String::new, |pss| pss.to_string()),
        row.largest_process_bytes.to_string(),
        row.census.processes.to_string(),
        row.census
            .threads
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        row.speedup.map(number).unwrap_or_default(),
        speedup_ci.as_ref().map(|c| c.0.clone()).unwrap_or_default(),
        speedup_ci.map(|c| c.1).unwrap_or_default(),
        row.efficiency.map(number).unwrap_or_default(),
        row.verified.to_string(),
        row.checksum.clone(),
        io.map(|io| io.requests.to_string()).unwrap_or_default(),
        io_number(|io| io.requests_per_s).unwrap_or_default(),
        io_number(|io| io.latency_s.p50).unwrap_or_default(),
        io_number(|io| io.latency_s.p90).unwrap_or_default(),
        io_number(|io| io.latency_s.p99).unwrap_or_default(),
        io_number(|io| io.latency_s.max).unwrap_or_default(),
        io.map(|io| io.max_in_flight.to_string())
            .unwrap_or_default(),
        io.map(|io| io.failed.to_string()).unwrap_or_default(),
        io.map(|io| {
            io.failures
                .iter()
                .map(|(kind, n)| format!("{kind}={n}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default(),
        row.verify_note.clone().unwrap_or_default(),
    ]
}

/// At most six significant digits, as the shortest text that parses back to that
/// value: `0.045254`, not `0.045253999999999996`; empty for NaN and infinities.
fn number(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    format!("{value:.5e}")
        .parse::<f64>()
        .map_or_else(|_| value.to_string(), |rounded| rounded.to_string())
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
