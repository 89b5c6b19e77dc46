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
        "memory",
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
            // Sequential has no set-up at all: a dash, not a measured zero.
            if row.setup_s.max == 0.0 {
                "-".to_string()
            } else {
                format::seconds(row.setup_s.median)
            },
            format::seconds(row.cpu_s.median),
            format::bytes(row.memory_bytes),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis;
    use crate::runner::ModelRuns;
    use crate::strategy::Strategy;
    use crate::workload::cpu::Kernel;
    use crate::workload::io::{FailureKind, Fetch};
    use crate::workload::{CpuJob, Outputs};

    fn model(strategy: Strategy, walls: &[f64], outputs: Outputs) -> ModelRuns {
        ModelRuns::fixture(strategy, 2, walls, outputs)
    }

    #[test]
    fn cpu_table_snapshot() {
        let job = CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![3, 4],
        };
        let right = Outputs::Cpu(vec![5, 14]);
        let rows = analysis::cpu(
            &job,
            &[
                model(Strategy::Sequential, &[0.080, 0.078, 0.082], right.clone()),
                model(
                    Strategy::Processes,
                    &[0.045, 0.040, 0.050],
                    Outputs::Cpu(vec![5, 15]),
                ),
            ],
        )
        .rows;
        let expected = "\
┌────────────┬─────────┬─────────┬────────────────┬───────────────────┬─────────┬────────────┬─────────┬──────────┬──────────┬──────────┐
│ model      ┆ workers ┆  median ┆       mean ± σ ┆         min … max ┆ speedup ┆ efficiency ┆   setup ┆ CPU time ┆   memory ┆ verified │
╞════════════╪═════════╪═════════╪════════════════╪═══════════════════╪═════════╪════════════╪═════════╪══════════╪══════════╪══════════╡
│ sequential ┆       1 ┆ 80.0 ms ┆ 80.0 ± 2.00 ms ┆ 78.0 ms … 82.0 ms ┆   1.00× ┆      100 % ┆       - ┆  80.0 ms ┆ 5.00 MiB ┆      yes │
│ processes  ┆       2 ┆ 45.0 ms ┆ 45.0 ± 5.00 ms ┆ 40.0 ms … 50.0 ms ┆   1.78× ┆       89 % ┆ 2.50 ms ┆  80.0 ms ┆ 5.00 MiB ┆       NO │
└────────────┴─────────┴─────────┴────────────────┴───────────────────┴─────────┴────────────┴─────────┴──────────┴──────────┴──────────┘";
        assert_eq!(render(Workload::Cpu, &rows), expected);
    }

    #[test]
    fn io_table_shows_failures_by_kind() {
        let fetch = |failure: Option<FailureKind>| Fetch {
            bytes: 100,
            latency_s: 0.05,
            started_s: 0.0,
            digest: failure.is_none().then_some(7),
            failure,
        };
        let outputs = Outputs::Io(vec![fetch(None), fetch(Some(FailureKind::Timeout))]);
        let urls = [
            "http://127.0.0.1:1/0".to_string(),
            "http://127.0.0.1:1/1".into(),
        ];
        let rows = analysis::io(
            &urls,
            &analysis::ExpectedBodies::Exactly {
                digests: vec![7, 7],
                body_bytes: 100,
            },
            &[model(Strategy::Async, &[0.1], outputs)],
        )
        .rows;
        let table = render(Workload::Io, &rows);
        let line = table.lines().find(|l| l.contains("async")).unwrap();
        assert!(line.contains("1 timeout"), "{line}");
        assert!(
            line.contains("50.0 ms / 50.0 ms / 50.0 ms / 50.0 ms"),
            "{line}"
        );
        assert!(line.trim_end_matches(['│', ' ']).ends_with("NO"), "{line}");
    }
}
