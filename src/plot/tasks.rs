//! The tasks job: memory against tasks held, both on log₁₀ axes, one line per
//! model. A model whose memory is its fixed cost plus a cost per task runs flat
//! while the fixed cost dominates, then bends to a slope of one decade per decade;
//! the vertical distance between two models' lines there is the ratio of their
//! costs per task. A row the OS refused is drawn at the tasks it held, hollow, and
//! labelled; a row that failed its checks is not drawn.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::Frame;
use super::memory_bytes;
use super::scale::{Axis, tick_label};
use super::style::{self, INK, Marker};
use crate::output::format;
use crate::report::ResultRow;
use crate::strategy::Strategy;

/// Figure width of a tasks panel.
pub(super) const WIDTH: u32 = 900;
/// Height of the tasks panel.
pub(super) const HEIGHT: u32 = 520;
const Y_LABEL_AREA: u32 = 78;
const MIB: f64 = 1024.0 * 1024.0;

/// Powers of ten from below `lo` to above `hi`.
fn decades(lo: f64, hi: f64) -> Vec<f64> {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (first..=last).map(|e| 10f64.powi(e)).collect()
}

/// Draws memory against tasks for the tasks job's rows.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[&ResultRow],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    // (tasks held, MiB, refused) per model.
    let mut series: BTreeMap<Strategy, Vec<(f64, f64, bool)>> = BTreeMap::new();
    for row in rows {
        let Some(tasks) = &row.tasks else { continue };
        let refused = tasks.refused.is_some();
        if !row.verified && !refused {
            continue;
        }
        let held = tasks.refused.as_ref().map_or(tasks.count, |r| r.at);
        let mib = memory_bytes(row) as f64 / MIB;
        if held > 0 && mib > 0.0 {
            series
                .entry(row.strategy)
                .or_default()
                .push((held as f64, mib, refused));
        }
    }
    let xs = series.values().flatten().map(|p| p.0);
    let ys = series.values().flatten().map(|p| p.1);
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, 1.0f64), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    let (y_lo, y_hi) = ys.fold((f64::INFINITY, 1.0f64), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    let x_ticks = decades(x_lo.min(x_hi), x_hi);
    let y_ticks = decades(y_lo.min(y_hi), y_hi);
    let x = Axis::log_with_ticks(
        x_ticks.first().copied().unwrap_or(1.0) / 1.5,
        x_ticks.last().copied().unwrap_or(10.0) * 1.5,
        x_ticks,
    );
    let y = Axis::log_with_ticks(
        y_ticks.first().copied().unwrap_or(1.0) / 1.5,
        y_ticks.last().copied().unwrap_or(10.0) * 1.5,
        y_ticks,
    );
    let tasks_label = |v: f64| format::count(v.round() as usize);
    let mib_label = |v: f64| tick_label(v);
    let mut chart = Frame {
        caption: "tasks: memory of N waiting tasks, all processes (PSS)".to_string(),
        x: &x,
        y: &y,
        x_desc: "tasks held at once (log scale)".to_string(),
        y_desc: "memory, MiB (log scale)".to_string(),
        y_label_area: Y_LABEL_AREA,
        x_label: Some(&tasks_label),
        y_label: Some(&mib_label),
        y_grid: true,
    }
    .draw(area)?;
    for (strategy, points) in &series {
        let color = style::model_color(*strategy);
        let line: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
        chart.draw_series(LineSeries::new(line, color.stroke_width(3)))?;
        let marker = Marker::of(*strategy);
        for &(held, mib, refused) in points {
            if refused {
                chart.draw_series([Circle::new((held, mib), 7, color.stroke_width(2))])?;
                chart.draw_series([EmptyElement::at((held, mib))
                    + Text::new(
                        format!("{strategy}: refused at {}", format::count(held as usize)),
                        (10, 4),
                        style::text(style::LABEL_SIZE, INK, HPos::Left, VPos::Top),
                    )])?;
            } else {
                marker.draw(chart.plotting_area(), (held, mib), 5, color)?;
            }
        }
        // The model's name above its last point, so the chart reads without the
        // legend (which names the Rust models only).
        if let Some(&(held, mib, false)) = points.last() {
            chart.draw_series([EmptyElement::at((held, mib))
                + Text::new(
                    strategy.name().to_string(),
                    (-8, -8),
                    style::text(style::LABEL_SIZE, color, HPos::Right, VPos::Bottom),
                )])?;
        }
    }
    Ok(())
}
