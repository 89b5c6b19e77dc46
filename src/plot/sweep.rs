//! A worker sweep: two panels per workload, against workers on a log₂ axis.
//!
//! - Speedup over sequential, log₂ too, so the ideal (speedup = workers, dashed) is
//!   a straight diagonal and "stops scaling" reads as a line going flat. Sequential
//!   ran once: it is the 1× line. The machine's usable cores are a vertical line: past
//!   it, more workers cannot add CPU.
//! - Memory, MiB (every process of a run, its peak): pools of processes grow with
//!   workers, threads stay flat. Sequential is a flat line at its figure.
//!
//! A row that failed its checks (wrong results, failed requests) gets no point in
//! either panel, and is named under the speedup panel's title instead; no point is
//! a speedup over a sequential that failed.

use std::collections::{BTreeMap, BTreeSet};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{Chart, Frame};
use super::memory_bytes;
use super::scale::{Axis, powers_of_two, tick_label};
use super::style::{self, GUIDE, INK, Marker};
use crate::report::ResultRow;
use crate::strategy::Strategy;

/// Figure width when some panel is a sweep.
pub(super) const WIDTH: u32 = 1200;
/// Height of one workload's pair of panels.
pub(super) const HEIGHT: u32 = 440;
const Y_LABEL_AREA: u32 = 78;
/// Space around the data on a log axis, as a factor.
const LOG_PAD: f64 = 1.35;
const MIB: f64 = 1024.0 * 1024.0;

/// Draws one workload's sweep: speedup on the left half of `area`, memory on the right.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    workload: &str,
    rows: &[&ResultRow],
    usable_cores: usize,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let sweep = Sweep::new(rows, usable_cores);
    let (width, _) = area.dim_in_pixel();
    let (left, right) = area.split_horizontally(width / 2);
    speedup_panel(&left, workload, &sweep)?;
    memory_panel(&right, workload, &sweep)?;
    Ok(())
}

/// One workload's rows, split for drawing.
struct Sweep<'a> {
    /// Sequential's row, the reference.
    sequential: Option<&'a ResultRow>,
    /// Every other model's rows, by workers.
    series: BTreeMap<Strategy, Vec<&'a ResultRow>>,
    /// The workers axis; ticks at every worker count run.
    workers: Axis,
    /// Marked when it falls on the workers axis.
    usable_cores: Option<usize>,
    /// Rows that failed their checks, as `async ×4`: drawn nowhere, named.
    failed: Vec<String>,
}

impl<'a> Sweep<'a> {
    fn new(rows: &[&'a ResultRow], usable_cores: usize) -> Sweep<'a> {
        let mut series: BTreeMap<Strategy, Vec<&ResultRow>> = BTreeMap::new();
        let mut sequential = None;
        let mut failed = Vec::new();
        for row in rows {
            if !row.verified {
                failed.push(if row.strategy == Strategy::Sequential {
                    "sequential".to_string()
                } else {
                    format!("{} ×{}", row.strategy, row.workers)
                });
            } else if row.strategy == Strategy::Sequential {
                sequential = sequential.or(Some(*row));
            } else {
                series.entry(row.strategy).or_default().push(row);
            }
        }
        let counts: BTreeSet<usize> = rows.iter().map(|r| r.workers.max(1)).collect();
        let min = *counts.first().unwrap_or(&1) as f64;
        let max = *counts.last().unwrap_or(&1) as f64;
        // Cores far past the sweep would squash it; the figure title says them anyway.
        let usable = (usable_cores as f64 <= max * 4.0).then_some(usable_cores);
        let hi = max.max(usable.unwrap_or(0) as f64) * LOG_PAD;
        let workers = Axis::log_with_ticks(
            min / LOG_PAD,
            hi,
            counts.iter().map(|&w| w as f64).collect(),
        );
        Sweep {
            sequential,
            series,
            workers,
            usable_cores: usable,
            failed,
        }
    }

    /// `(workers, value)` per model, for the models that have a value.
    fn points(
        &self,
        value: impl Fn(&ResultRow) -> Option<f64>,
    ) -> Vec<(Strategy, Vec<(f64, f64)>)> {
        self.series
            .iter()
            .map(|(strategy, rows)| {
                let points = rows
                    .iter()
                    .filter_map(|r| Some((r.workers as f64, value(r)?)))
                    .collect();
                (*strategy, points)
            })
            .collect()
    }
}

fn speedup_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    workload: &str,
    sweep: &Sweep,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    // Over a sequential that failed, a speedup means nothing.
    let series = match sweep.sequential {
        Some(_) => sweep.points(|r| r.speedup.filter(|s| *s > 0.0)),
        None => Vec::new(),
    };
    let values = series.iter().flat_map(|(_, p)| p.iter().map(|(_, s)| *s));
    // A factor of two below the lowest: room for the usable-cores label under 1×.
    let lo = values.clone().fold(1.0, f64::min) / 2.0;
    let hi = values.fold(sweep.workers.ticks.last().copied().unwrap_or(1.0), f64::max) * LOG_PAD;
    let speedup = Axis::log_with_ticks(lo, hi, powers_of_two(lo, hi));
    let x = &sweep.workers;
    let times = |v: f64| format!("{}×", tick_label(v));
    let mut chart = Frame {
        caption: format!(
            "{workload}: speedup over sequential{}",
            failed_note(&sweep.failed)
        ),
        x,
        y: &speedup,
        x_desc: "workers (log scale)".to_string(),
        y_desc: "speedup, × (log scale)".to_string(),
        y_label_area: Y_LABEL_AREA,
        x_label: None,
        y_label: Some(&times),
        y_grid: true,
    }
    .draw(area)?;

    // The ideal: speedup = workers, from 1 to where it leaves the panel.
    let end = x.hi.min(speedup.hi);
    chart.draw_series(DashedLineSeries::new(
        [(1.0, 1.0), (end, end)],
        8,
        6,
        GUIDE.stroke_width(2),
    ))?;
    mark_usable_cores(&mut chart, sweep, &speedup)?;

    if sweep.sequential.is_some() {
        let color = style::model_color(Strategy::Sequential);
        chart.draw_series([PathElement::new(
            vec![(x.lo, 1.0), (x.hi, 1.0)],
            color.stroke_width(2),
        )])?;
        chart.draw_series([EmptyElement::at((x.hi, 1.0))
            + Text::new(
                "sequential = 1×",
                (-6, 6),
                style::text(style::LABEL_SIZE, INK, HPos::Right, VPos::Top),
            )])?;
    }
    if series.iter().all(|(_, p)| p.is_empty()) {
        let why = if sweep.failed.iter().any(|f| f == "sequential") {
            "no speedups: sequential failed"
        } else {
            "no speedups: sequential was not run"
        };
        let middle = ((x.lo * x.hi).sqrt(), 1.0);
        chart.draw_series([EmptyElement::at(middle)
            + Text::new(
                why,
                (0, -20),
                style::text(style::LABEL_SIZE, INK, HPos::Center, VPos::Bottom),
            )])?;
    }
    draw_series(&mut chart, &series)
}

fn memory_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    workload: &str,
    sweep: &Sweep,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let mib = |r: &ResultRow| Some(memory_bytes(r) as f64 / MIB);
    let series = sweep.points(mib);
    let sequential = sweep.sequential.and_then(mib);
    let max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, m)| *m))
        .chain(sequential)
        .fold(1.0, f64::max);
    let hi = max * 1.15;
    let memory = Axis::linear(0.0, hi, 5);
    let x = &sweep.workers;
    let mut chart = Frame {
        caption: format!("{workload}: memory, all processes (PSS)"),
        x,
        y: &memory,
        x_desc: "workers (log scale)".to_string(),
        y_desc: "memory, MiB".to_string(),
        y_label_area: Y_LABEL_AREA,
        x_label: None,
        y_label: None,
        y_grid: true,
    }
    .draw(area)?;

    mark_usable_cores(&mut chart, sweep, &memory)?;
    if let Some(value) = sequential {
        let color = style::model_color(Strategy::Sequential);
        chart.draw_series([PathElement::new(
            vec![(x.lo, value), (x.hi, value)],
            color.stroke_width(2),
        )])?;
        Marker::of(Strategy::Sequential).draw(chart.plotting_area(), (1.0, value), 5, color)?;
    }
    draw_series(&mut chart, &series)
}

/// ` · FAILED, not drawn: async ×4, threads ×8`, or nothing: the rows a panel leaves
/// out, in its title (the first two, and how many more).
fn failed_note(failed: &[String]) -> String {
    match failed {
        [] => String::new(),
        [_] | [_, _] => format!(" · FAILED, not drawn: {}", failed.join(", ")),
        [first, second, rest @ ..] => format!(
            " · FAILED, not drawn: {first}, {second} and {} more",
            rest.len()
        ),
    }
}

/// The vertical line at the machine's usable cores, labelled at its foot.
fn mark_usable_cores<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    sweep: &Sweep,
    y: &Axis,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let Some(cores) = sweep.usable_cores else {
        return Ok(());
    };
    let at = cores as f64;
    let (bottom, top) = (y.lo, y.hi);
    chart.draw_series(DashedLineSeries::new(
        [(at, bottom), (at, top)],
        3,
        4,
        GUIDE.stroke_width(2),
    ))?;
    // At the foot of the line: the top is where the best models' lines run.
    let label = format!("{cores} usable {}", super::plural(cores, "core"));
    chart.draw_series([EmptyElement::at((at, bottom))
        + Text::new(
            label,
            (6, -6),
            style::text(style::LABEL_SIZE, INK, HPos::Left, VPos::Bottom),
        )])?;
    Ok(())
}

/// One line with markers per model, in the model's color.
fn draw_series<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    series: &[(Strategy, Vec<(f64, f64)>)],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    for (strategy, points) in series {
        let color = style::model_color(*strategy);
        chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(3)))?;
        let marker = Marker::of(*strategy);
        for &point in points {
            marker.draw(chart.plotting_area(), point, 5, color)?;
        }
    }
    Ok(())
}
