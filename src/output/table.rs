//! The timing tables, one per workload, rendered with comfy-table.
//!
//! Columns are the report's figures in human units; what each means is in the
//! README, *Reading the table*.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};

use super::format;
use crate::report::ResultRow;
use crate::workload::Workload;

/// The table for one workload's rows.
pub fn render(workload: Workload, rows: &[ResultRow]) -> String {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut header = vec![
        "model",
        "workers",
        "median",
        "mean ± σ",
        "min … max",
        "speedup",
        "efficiency",
        "setup",
        "CPU time",
        "peak mem",
    ];
    if workload == Workload::Io {
        header.extend(["req/s", "latency p50 / p90 / p99 / max", "failures"]);
    }
    header.push("verified");
    table.set_header(header);
    for row in rows {
        let mut cells = vec![
            row.strategy.name().to_string(),
            row.workers.to_string(),
            format::seconds(row.wall_s.median),
            format::mean_pm(row.wall_s.mean, row.wall_s.stddev),
            format!(
                "{} … {}",
                format::seconds(row.wall_s.min),
                format::seconds(row.wall_s.max)
            ),
            format::ratio(row.speedup),
            format::percent(row.efficiency),
            format::seconds(row.setup_s.median),
            format::seconds(row.cpu_s.median),
            format::bytes(row.peak_rss_bytes),
        ];
        if let Some(io) = &row.io {
            let l = &io.latency_s;
            cells.push(format!("{:.0}", io.requests_per_s));
            cells.push(format!(
                "{} / {} / {} / {}",
                format::seconds(l.p50),
                format::seconds(l.p90),
                format::seconds(l.p99),
                format::seconds(l.max)
            ));
            cells.push(if io.failed == 0 {
                "0".to_string()
            } else {
                io.failures
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        }
        cells.push(if row.verified {
            "yes".into()
        } else {
            "NO".into()
        });
        table.add_row(cells);
    }
    for column in 1..table.column_count() {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}
