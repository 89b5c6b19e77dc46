//! SVG charts of a report or a comparison: the answer at a glance.
//!
//! - [`report_svg`] — one report. Per workload: bars of the median wall time with its
//!   interval when every model ran at one worker count (`bars.rs`); when some model ran
//!   at several, the sweep pair: speedup against workers, with the ideal line and the
//!   machine's usable cores, and memory against workers (`sweep.rs`).
//!   The tasks job gets memory against tasks held, log-log (`tasks.rs`).
//! - [`comparison_svg`] — a baseline against a current report: the change per row with
//!   its interval, the tolerance band shaded, slower rows in vermillion (`compare.rs`).
//! - [`write_svg`] — writes a chart atomically.
//!
//! The other files: `frame.rs` builds every panel's axes, `scale.rs` is the axis
//! (linear or log, its ticks), `style.rs` the colors, markers and header.
//!
//! Charts are drawn with plotters' SVG backend and no font library: text is SVG
//! `<text>`, sized by estimate, laid out by the viewer's sans-serif. Each model has
//! one color and marker in every chart (`style.rs`), and the legend sits in a header
//! above the panels, never over data. A chart is a pure function of its input:
//! the same report gives the same bytes, so a saved report redraws the chart seen
//! at run time.
//!
//! Report fields are read through `median_interval` and `memory_bytes` only, so a
//! renamed field is a one-line change here.

mod bars;
mod compare;
mod frame;
mod scale;
mod style;
mod sweep;
mod tasks;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use plotters::prelude::*;

use crate::compare::Comparison;
use crate::report::{Report, ResultRow};
use crate::strategy::Strategy;
use crate::workload::Workload;

/// One row of a comparison, as the chart needs it; `ChangeRow::from(&comparison)`
/// makes one from a [`Comparison`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChangeRow {
    pub workload: String,
    /// The model's name, as in reports (`threads`); it picks the row's color.
    pub strategy: String,
    pub workers: usize,
    /// The typical current / baseline run time - 1 ([`Comparison::change`]): 0.10 is
    /// 10 % slower. Not finite when a side had no samples; the row is then listed
    /// without a point.
    pub change: f64,
    /// The interval of `change`, same unit; NaN ends draw no interval bar.
    pub ci: (f64, f64),
    /// The interval's confidence, 0.95 by default.
    pub confidence: f64,
    /// `slower`, `faster`, `unchanged` or `inconclusive`; `slower` rows are highlighted.
    pub verdict: String,
}

/// The chart for one report: per workload, bars when every model ran at one worker
/// count, the sweep charts when a model ran at several. Fails on a report with no rows.
pub(crate) fn report_svg(report: &Report) -> anyhow::Result<String> {
    let groups = by_workload(&report.results);
    if groups.is_empty() {
        bail!("the report has no results to plot");
    }
    let panels: Vec<Panel> = groups
        .into_iter()
        .map(|(workload, rows)| Panel::new(workload, rows))
        .collect();
    let width = if panels.iter().any(|p| p.sweep) {
        sweep::WIDTH
    } else if panels.iter().any(|p| p.workload == Workload::Tasks) {
        bars::WIDTH.max(tasks::WIDTH)
    } else {
        bars::WIDTH
    };
    let height = style::HEADER_HEIGHT + panels.iter().map(Panel::height).sum::<u32>();

    // CPython models are named on the axis and drawn in a lighter shade of their Rust
    // twin, so one legend entry per Rust model keeps the header on one line.
    let mut legend: Vec<style::LegendItem> = models(&report.results)
        .into_iter()
        .filter(|model| !model.is_python())
        .map(style::LegendItem::model)
        .collect();
    if panels.iter().any(|p| p.sweep) {
        legend.push(style::LegendItem {
            swatch: style::Swatch::Dashed(style::GUIDE),
            label: "ideal: speedup = workers".to_string(),
        });
    }
    let title = report_title(report, &panels);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (header, mut rest) = root.split_vertically(style::HEADER_HEIGHT);
        style::header(&header, &title, &legend)?;
        for panel in &panels {
            let (area, below) = rest.split_vertically(panel.height());
            let name = panel.workload.name();
            if panel.workload == Workload::Tasks {
                tasks::draw(&area, &panel.rows).context("drawing the tasks chart")?;
            } else if panel.sweep {
                sweep::draw(&area, name, &panel.rows, report.machine.usable_parallelism)
                    .with_context(|| format!("drawing the {name} sweep"))?;
            } else {
                bars::draw(&area, name, &panel.rows)
                    .with_context(|| format!("drawing the {name} bars"))?;
            }
            rest = below;
        }
        root.present()?;
    }
    Ok(svg)
}

/// The chart of a comparison: the change per row with its interval, the
/// ±`max_regression` band shaded (a fraction: 0.10 for 10 %), slower rows in
/// vermillion. Rows are drawn top to bottom in the order given.
pub(crate) fn comparison_svg(rows: &[ChangeRow], max_regression: f64) -> anyhow::Result<String> {
    if rows.is_empty() {
        bail!("the comparison has no rows to plot");
    }
    compare::svg(rows, max_regression)
}

impl From<&Comparison> for ChangeRow {
    fn from(c: &Comparison) -> ChangeRow {
        ChangeRow {
            workload: c.workload.clone(),
            strategy: c.strategy.clone(),
            workers: c.workers,
            change: c.change,
            ci: c.change_ci,
            confidence: c.change_ci_confidence,
            verdict: c.verdict.name().to_string(),
        }
    }
}

/// Writes `svg` to `path` atomically (a temp file in the same directory, then a
/// rename), creating missing directories; errors name the path.
pub(crate) fn write_svg(path: &Path, svg: &str) -> anyhow::Result<()> {
    crate::export::write_atomic(path, svg.as_bytes())
}

/// A row's interval of its median wall time, seconds, and the confidence it holds
/// (0.95 for 95 %). The one place that reads the fields.
fn median_interval(row: &ResultRow) -> Interval {
    Interval {
        lo: row.median_ci_s[0],
        hi: row.median_ci_s[1],
        confidence: row.median_ci_confidence,
    }
}

/// An interval of a median, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    lo: f64,
    hi: f64,
    /// 0.95 for a 95 % interval.
    confidence: f64,
}

/// How the intervals of `rows` are named on a chart: `95 % interval`, or
/// `75–95 % interval` when the rows' confidences differ.
fn interval_name(rows: &[&ResultRow]) -> String {
    let percents: BTreeSet<u32> = rows
        .iter()
        .map(|r| (median_interval(r).confidence * 100.0).round() as u32)
        .collect();
    match (percents.first(), percents.last()) {
        (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi} % interval"),
        (Some(p), _) => format!("{p} % interval"),
        _ => "interval".to_string(),
    }
}

/// A row's memory, bytes, as the table's column: the proportional set sizes of every
/// process of a run, summed ([`ResultRow::memory`]). The one place that reads it.
fn memory_bytes(row: &ResultRow) -> u64 {
    row.memory()
}

/// One workload's rows and how they are drawn.
struct Panel<'a> {
    workload: Workload,
    /// Sorted by model (the order of [`Strategy::ALL`]), then workers.
    rows: Vec<&'a ResultRow>,
    /// Some model ran at several worker counts.
    sweep: bool,
}

impl<'a> Panel<'a> {
    fn new(workload: Workload, rows: Vec<&'a ResultRow>) -> Panel<'a> {
        let sweep = workload != Workload::Tasks && is_sweep(&rows);
        Panel {
            workload,
            rows,
            sweep,
        }
    }

    fn height(&self) -> u32 {
        if self.workload == Workload::Tasks {
            tasks::HEIGHT
        } else if self.sweep {
            sweep::HEIGHT
        } else {
            bars::height(self.rows.len())
        }
    }
}

/// Some model has rows at more than one worker count.
fn is_sweep(rows: &[&ResultRow]) -> bool {
    let pairs: BTreeSet<(Strategy, usize)> = rows.iter().map(|r| (r.strategy, r.workers)).collect();
    let models: BTreeSet<Strategy> = pairs.iter().map(|(s, _)| *s).collect();
    pairs.len() > models.len()
}

/// The rows of each workload present, cpu first; each sorted by model, then workers.
fn by_workload(rows: &[ResultRow]) -> Vec<(Workload, Vec<&ResultRow>)> {
    let workloads: BTreeSet<Workload> = rows.iter().map(|r| r.workload).collect();
    workloads
        .into_iter()
        .map(|workload| {
            let mut group: Vec<&ResultRow> =
                rows.iter().filter(|r| r.workload == workload).collect();
            group.sort_by_key(|r| (r.strategy, r.workers));
            (workload, group)
        })
        .collect()
}

/// The models present, in the order of [`Strategy::ALL`].
fn models(rows: &[ResultRow]) -> Vec<Strategy> {
    let present: BTreeSet<Strategy> = rows.iter().map(|r| r.strategy).collect();
    present.into_iter().collect()
}

/// `concbench cpu + io · runner-1, 2 usable cores · 2026-01-02 03:04 UTC`.
fn report_title(report: &Report, panels: &[Panel]) -> String {
    let workloads: Vec<&str> = panels.iter().map(|p| p.workload.name()).collect();
    let cores = report.machine.usable_parallelism;
    let machine = match &report.machine.hostname {
        Some(host) => format!("{host}, {cores} usable {}", plural(cores, "core")),
        None => format!("{cores} usable {}", plural(cores, "core")),
    };
    format!(
        "concbench {} · {machine} · {}",
        workloads.join(" + "),
        report.created_at
    )
}

/// `core` or `cores`.
fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
