//! A GitHub-flavoured markdown table, to paste into a pull request or a README.
//!
//! Like hyperfine's, the table states its time unit once, in the header, so the
//! columns line up and compare at a glance: the unit is chosen from the smallest
//! median in the table (s from 1 s up, ms from 1 ms, else µs), and every time is
//! printed in it — seconds with three decimals, ms and µs with one.

use std::fmt::Write as _;

use super::Exporter;
use crate::output::format;
use crate::report::{Report, ResultRow};

#[derive(Debug, Default, Clone, Copy)]
pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn serialize(&self, report: &Report) -> anyhow::Result<Vec<u8>> {
        let unit = TimeUnit::for_rows(&report.results);
        let u = unit.symbol();
        let mut out = format!(
            "| Model | Workload | Workers | Median [{u}] | Mean ± σ [{u}] | Min…Max [{u}] | Speedup | Verified |\n\
             |:---|:---|---:|---:|---:|---:|---:|:---:|\n"
        );
        for row in &report.results {
            let wall = &row.wall_s;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} ± {} | {} … {} | {} | {} |",
                row.strategy.name(),
                row.workload.name(),
                row.workers,
                unit.format(wall.median),
                unit.format(wall.mean),
                unit.format(wall.stddev),
                unit.format(wall.min),
                unit.format(wall.max),
                format::ratio(row.speedup),
                if row.verified { "yes" } else { "NO" },
            );
        }
        Ok(out.into_bytes())
    }
}

/// The one time unit of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeUnit {
    Second,
    MilliSecond,
    MicroSecond,
}

impl TimeUnit {
    /// The unit that suits the smallest finite median; seconds for an empty table.
    pub(super) fn for_rows(rows: &[ResultRow]) -> TimeUnit {
        let smallest = rows
            .iter()
            .map(|row| row.wall_s.median)
            .filter(|median| median.is_finite())
            .fold(f64::INFINITY, f64::min);
        match smallest {
            s if s >= 1.0 => TimeUnit::Second,
            s if s >= 1e-3 => TimeUnit::MilliSecond,
            _ => TimeUnit::MicroSecond,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Second => "s",
            TimeUnit::MilliSecond => "ms",
            TimeUnit::MicroSecond => "µs",
        }
    }

    /// `seconds` in this unit, without the symbol; `-` when not finite.
    pub(super) fn format(self, seconds: f64) -> String {
        if !seconds.is_finite() {
            return "-".to_string();
        }
        match self {
            TimeUnit::Second => format!("{seconds:.3}"),
            TimeUnit::MilliSecond => format!("{:.1}", seconds * 1e3),
            TimeUnit::MicroSecond => format!("{:.1}", seconds * 1e6),
        }
    }
}
