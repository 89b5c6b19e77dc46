//! The report as GitHub-flavoured Markdown, to paste into a pull request: for each
//! workload, the title line, the table with every column of `--wide` (io's req/s,
//! latency percentiles and failures included), and the verdict lines — what the
//! terminal showed.

use std::fmt::Write as _;

use super::Exporter;
use crate::output::table::{self, Style, TableOptions};
use crate::output::{title, verdict};
use crate::report::{Report, ResultRow};
use crate::workload::Workload;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let options = TableOptions::plain(Style::Markdown, true);
        let mut out = String::new();
        for workload in [Workload::Cpu, Workload::Io] {
            let rows: Vec<ResultRow> = report
                .results
                .iter()
                .filter(|r| r.workload == workload)
                .cloned()
                .collect();
            if rows.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "**{}**\n",
                title::title(workload, &report.config, &rows, true)
            );
            let _ = writeln!(out, "{}\n", table::render(workload, &rows, &options));
            for line in verdict::lines(&rows) {
                let _ = writeln!(out, "{line}  ");
            }
        }
        Ok(out.into_bytes())
    }
}
