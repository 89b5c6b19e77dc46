//! One worker count: the median wall time per model as horizontal bars, each with its
//! interval as a whisker and its figures (median, speedup) written after it. The
//! axis names the models, so the bars need no markers.
//!
//! The time axis is in ms or s by magnitude, and logarithmic when the medians spread
//! over more than [`LOG_SPREAD`]× (an 8 s sequential bar would flatten a 65 ms async
//! one to a sliver). The axis reaches far enough right for every row's figures to fit.
//!
//! A row that failed its checks (wrong results, or failed requests: quick errors, so
//! a short bar) gets no bar: its name stays on the axis, and `FAILED: …` in
//! vermillion says why where the bar would start. Its time sets no axis, and no row
//! is given a speedup over a sequential that failed.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{Frame, MARGIN, X_LABEL_AREA};
use super::scale::{Axis, LOG_SPREAD, Scale, row_at, row_pos, ticks_125, time_unit};
use super::style::{self, INK, SLOWER};
use super::{interval_name, median_interval};
use crate::output::format;
use crate::output::verdict::failure;
use crate::report::ResultRow;
use crate::strategy::Strategy;

/// Figure width when every panel is a bar chart.
pub(super) const WIDTH: u32 = 960;
const Y_LABEL_AREA: u32 = 130;
/// Room for the caption above the plotting area.
const CAPTION_ROOM: u32 = 40;
const ROW_HEIGHT: u32 = 46;
/// Gap between a whisker's end and the figures written after it, pixels.
const LABEL_GAP: i32 = 10;
/// Half a bar's thickness, in rows.
const BAR_HALF: f64 = 0.32;

/// The panel height for `rows` bars.
pub(super) fn height(rows: usize) -> u32 {
    2 * MARGIN + CAPTION_ROOM + X_LABEL_AREA + ROW_HEIGHT * rows.max(1) as u32 + 20
}

/// One bar: the figures drawn for a row, in the axis unit.
struct Bar {
    strategy: Strategy,
    workers: usize,
    median: f64,
    lo: f64,
    hi: f64,
    /// Written after the whisker: `65.3 ms · 123×`.
    label: String,
    /// Why the row failed its checks (`6 failed requests`): then no bar is drawn.
    failed: Option<String>,
}

/// Draws the bars of one workload's rows (one worker count per model) on `area`.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    workload: &str,
    rows: &[&ResultRow],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let timed: Vec<&ResultRow> = rows
        .iter()
        .copied()
        .filter(|r| failure(r).is_none())
        .collect();
    let max_s = timed
        .iter()
        .map(|r| median_interval(r).hi.max(r.wall_s.median))
        .fold(0.0, f64::max);
    let (factor, unit) = time_unit(max_s);
    // A speedup only over a baseline that passed its checks.
    let timed_baseline = |r: &ResultRow| timed.iter().any(|b| b.strategy == r.strategy.baseline());
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| {
            let interval = median_interval(r);
            let mut label = format::seconds(r.wall_s.median);
            if let Some(speedup) = r
                .speedup
                .filter(|_| r.strategy != Strategy::Sequential && timed_baseline(r))
            {
                label.push_str(&format!(" · {}", times(speedup)));
            }
            Bar {
                strategy: r.strategy,
                workers: r.workers,
                median: r.wall_s.median * factor,
                lo: interval.lo.min(r.wall_s.median) * factor,
                hi: interval.hi.max(r.wall_s.median) * factor,
                label,
                failed: failure(r),
            }
        })
        .collect();

    let label_style = style::text(style::LABEL_SIZE, INK, HPos::Left, VPos::Center);
    let (area_width, _) = area.dim_in_pixel();
    let plot_width = f64::from(area_width - 2 * MARGIN - Y_LABEL_AREA);
    // The share of the plot width each row's bar and whisker may take, its label after.
    let label_shares: Vec<f64> = bars
        .iter()
        .map(|bar| {
            let room = style::text_width(&bar.label, style::LABEL_SIZE) + f64::from(LABEL_GAP);
            (1.0 - (room + 4.0) / plot_width).max(0.2)
        })
        .collect();
    let axis = time_axis(&bars, &label_shares);

    let n = bars.len();
    let names: Vec<String> = bars.iter().map(|b| row_name(b, &bars)).collect();
    let name_of = |y: f64| names.get(row_at(y, n)).cloned().unwrap_or_default();
    let scale_note = match axis.scale {
        Scale::Linear => "",
        Scale::Log => ", log scale",
    };
    let mut chart = Frame {
        caption: title(workload, &bars),
        x: &axis,
        y: &Axis::rows(n),
        x_desc: if timed.is_empty() {
            "median wall time: none to draw, as no model passed its checks".to_string()
        } else {
            format!(
                "median wall time, {unit}{scale_note} (whisker: {})",
                interval_name(&timed)
            )
        },
        y_desc: "model".to_string(),
        y_label_area: Y_LABEL_AREA,
        x_label: None,
        y_label: Some(&name_of),
        y_grid: false,
    }
    .draw(area)?;

    let start = axis.lo;
    let failed_style = style::bold_text(style::LABEL_SIZE, SLOWER, HPos::Left, VPos::Center);
    for (i, bar) in bars.iter().enumerate() {
        let y = row_pos(i, n);
        if let Some(why) = &bar.failed {
            chart.draw_series([EmptyElement::at((start, y))
                + Text::new(
                    format!("FAILED: {why}"),
                    (LABEL_GAP, 0),
                    failed_style.clone(),
                )])?;
            continue;
        }
        let color = style::model_color(bar.strategy);
        chart.draw_series([Rectangle::new(
            [(start, y - BAR_HALF), (bar.median, y + BAR_HALF)],
            color.mix(0.85).filled(),
        )])?;
        let (lo, hi) = (bar.lo, bar.hi);
        let whisker = INK.stroke_width(2);
        chart.draw_series([
            PathElement::new(vec![(lo, y), (hi, y)], whisker),
            PathElement::new(vec![(lo, y - 0.15), (lo, y + 0.15)], whisker),
            PathElement::new(vec![(hi, y - 0.15), (hi, y + 0.15)], whisker),
        ])?;
        chart.draw_series([EmptyElement::at((hi, y))
            + Text::new(bar.label.clone(), (LABEL_GAP, 0), label_style.clone())])?;
    }
    Ok(())
}

/// The time axis: from zero (linear) or from a round value below the fastest interval
/// (log), out to where every row's whisker and label fit.
fn time_axis(bars: &[Bar], label_shares: &[f64]) -> Axis {
    // A failed row's time sets nothing: it is not drawn.
    let (bars, label_shares): (Vec<&Bar>, Vec<f64>) = bars
        .iter()
        .zip(label_shares)
        .filter(|(b, _)| b.failed.is_none())
        .map(|(b, share)| (b, *share))
        .unzip();
    let min_lo = bars.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
    let max_hi = bars.iter().map(|b| b.hi).fold(0.0, f64::max);
    if max_hi <= 0.0 || !max_hi.is_finite() {
        return Axis::linear(0.0, 1.0, 5);
    }
    if min_lo > 0.0 && max_hi / min_lo > LOG_SPREAD {
        let lo = ticks_125(min_lo / 10.0, min_lo / 1.2)
            .last()
            .copied()
            .unwrap_or(min_lo / 2.0);
        // Each row needs ln(hi / lo) <= share * ln(axis_hi / lo).
        let span = bars
            .iter()
            .zip(label_shares)
            .map(|(b, share)| (b.hi / lo).ln() / share)
            .fold((max_hi / lo).ln() * 1.02, f64::max);
        return Axis::log_125(lo, lo * span.exp());
    }
    let hi = bars
        .iter()
        .zip(label_shares)
        .map(|(b, share)| b.hi / share)
        .fold(max_hi * 1.02, f64::max);
    Axis::linear(0.0, hi, 6)
}

/// A speedup to three digits: `1.93×`, `12.4×`, `124×`.
fn times(speedup: f64) -> String {
    match speedup.abs() {
        s if s >= 100.0 => format!("{speedup:.0}×"),
        s if s >= 10.0 => format!("{speedup:.1}×"),
        _ => format!("{speedup:.2}×"),
    }
}

/// `cpu: median wall time, 4 workers (sequential: 1)`.
fn title(workload: &str, bars: &[Bar]) -> String {
    let parallel: Vec<usize> = bars
        .iter()
        .filter(|b| b.strategy != Strategy::Sequential)
        .map(|b| b.workers)
        .collect();
    let has_sequential = bars.iter().any(|b| b.strategy == Strategy::Sequential);
    match parallel.first() {
        Some(&w) if parallel.iter().all(|&x| x == w) => {
            let workers = format!("{w} {}", super::plural(w, "worker"));
            if has_sequential {
                format!("{workload}: median wall time, {workers} (sequential: 1)")
            } else {
                format!("{workload}: median wall time, {workers}")
            }
        }
        Some(_) => format!("{workload}: median wall time, workers per model in brackets"),
        None => format!("{workload}: median wall time"),
    }
}

/// The model's name, with its worker count when the parallel models' counts differ.
fn row_name(bar: &Bar, bars: &[Bar]) -> String {
    let mut counts = bars
        .iter()
        .filter(|b| b.strategy != Strategy::Sequential)
        .map(|b| b.workers);
    let first = counts.next();
    let mixed = counts.any(|w| Some(w) != first);
    if mixed && bar.strategy != Strategy::Sequential {
        format!("{} ({})", bar.strategy.name(), bar.workers)
    } else {
        bar.strategy.name().to_string()
    }
}
