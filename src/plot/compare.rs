//! A comparison: one row per (workload, model, workers), its change in wall time
//! (the typical ratio of a current run to a baseline run) as a point with its
//! interval, over the shaded ±tolerance band.
//!
//! A row is slower when its whole interval clears the band (see [`crate::compare`]),
//! so the picture shows why: an interval inside the band is unchanged, one across its
//! edge inconclusive. Slower rows get a vermillion interval, background and verdict.

use std::collections::BTreeSet;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::ChangeRow;
use super::frame::{Chart, Frame, MARGIN, X_LABEL_AREA};
use super::scale::{Axis, row_at, row_pos, tick_label};
use super::style::{self, BAND, INK, LegendItem, Marker, SLOWER, Swatch};
use crate::strategy::Strategy;

const WIDTH: u32 = 1000;
const ROW_HEIGHT: u32 = 36;
const Y_LABEL_AREA: u32 = 240;
/// Room right of the plot for each row's verdict.
const VERDICT_AREA: u32 = 170;

/// The whole comparison chart.
pub(super) fn svg(rows: &[ChangeRow], max_regression: f64) -> anyhow::Result<String> {
    let n = rows.len();
    let height = style::HEADER_HEIGHT + 2 * MARGIN + X_LABEL_AREA + ROW_HEIGHT * n as u32 + 20;
    let tolerance = max_regression.abs() * 100.0;
    let slower = rows.iter().filter(|r| is_slower(r)).count();
    let title = match slower {
        0 => format!("Current vs baseline: no row slower past the ±{tolerance:.0} % tolerance"),
        _ => format!(
            "Current vs baseline: {slower} of {n} {} slower past the ±{tolerance:.0} % tolerance",
            super::plural(n, "row")
        ),
    };
    let mut legend = legend_models(rows);
    legend.push(LegendItem {
        swatch: Swatch::Block(BAND),
        label: format!("±{tolerance:.0} % tolerance"),
    });
    legend.push(LegendItem {
        swatch: Swatch::Block(SLOWER),
        label: "slower".to_string(),
    });
    let percent: Vec<Option<Percent>> = rows.iter().map(Percent::of).collect();
    let axis = change_axis(&percent, tolerance);
    let labels: Vec<String> = rows.iter().map(row_label).collect();
    let label_of = |y: f64| labels.get(row_at(y, n)).cloned().unwrap_or_default();
    let signed = |v: f64| {
        if v > 0.0 {
            format!("+{}", tick_label(v))
        } else {
            tick_label(v)
        }
    };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (header, rest) = root.split_vertically(style::HEADER_HEIGHT);
        style::header(&header, &title, &legend)?;
        let panel = rest.margin(0, 0, 0, VERDICT_AREA);
        let rows_axis = Axis::rows(n);
        let mut chart = Frame {
            caption: String::new(),
            x: &axis,
            y: &rows_axis,
            x_desc: format!(
                "change in wall time, % (right: slower; bar: {} interval)",
                crate::output::format::level(rows[0].confidence)
            ),
            y_desc: "workload · model, workers".to_string(),
            y_label_area: Y_LABEL_AREA,
            x_label: Some(&signed),
            y_label: Some(&label_of),
            y_grid: false,
        }
        .draw(&panel)?;

        // Behind the rows: the band, the slower rows' background, the zero line.
        let (bottom, top) = (rows_axis.lo, rows_axis.hi);
        chart.draw_series([Rectangle::new(
            [(-tolerance, bottom), (tolerance, top)],
            BAND.filled(),
        )])?;
        for (i, _) in rows.iter().enumerate().filter(|(_, r)| is_slower(r)) {
            let y = row_pos(i, n);
            chart.draw_series([Rectangle::new(
                [(axis.lo, y - 0.5), (axis.hi, y + 0.5)],
                SLOWER.mix(0.12).filled(),
            )])?;
        }
        chart.draw_series([PathElement::new(
            vec![(0.0, bottom), (0.0, top)],
            INK.stroke_width(1),
        )])?;

        for (i, (row, figures)) in rows.iter().zip(&percent).enumerate() {
            draw_row(&mut chart, row, figures.as_ref(), row_pos(i, n), axis.hi)?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// A row's figures in percent.
#[derive(Debug, Clone, Copy)]
struct Percent {
    change: f64,
    lo: f64,
    hi: f64,
}

impl Percent {
    /// `None` when the row has no change to show.
    fn of(row: &ChangeRow) -> Option<Percent> {
        row.change.is_finite().then_some(Percent {
            change: row.change * 100.0,
            lo: row.ci.0 * 100.0,
            hi: row.ci.1 * 100.0,
        })
    }
}

/// One row at `y`: its interval bar and point, and its verdict right of the plot
/// (whose right end is at `right`).
fn draw_row<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    row: &ChangeRow,
    figures: Option<&Percent>,
    y: f64,
    right: f64,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let slower = is_slower(row);
    if let Some(p) = figures {
        if p.lo.is_finite() && p.hi.is_finite() {
            let bar = if slower {
                SLOWER.stroke_width(3)
            } else {
                INK.stroke_width(2)
            };
            chart.draw_series([
                PathElement::new(vec![(p.lo, y), (p.hi, y)], bar),
                PathElement::new(vec![(p.lo, y - 0.22), (p.lo, y + 0.22)], bar),
                PathElement::new(vec![(p.hi, y - 0.22), (p.hi, y + 0.22)], bar),
            ])?;
        }
        let color = style::color_by_name(&row.strategy);
        Marker::by_name(&row.strategy).draw(chart.plotting_area(), (p.change, y), 6, color)?;
    }
    let verdict = match figures {
        Some(p) => format!("{:+.1} % {}", p.change, row.verdict),
        None => format!("no data, {}", row.verdict),
    };
    let font = if slower {
        style::bold_text(style::LABEL_SIZE, SLOWER, HPos::Left, VPos::Center)
    } else {
        style::text(style::LABEL_SIZE, INK, HPos::Left, VPos::Center)
    };
    chart.draw_series([
        EmptyElement::at((right, y)) + Text::new(verdict, (MARGIN as i32 + 12, 0), font)
    ])?;
    Ok(())
}

fn is_slower(row: &ChangeRow) -> bool {
    row.verdict == "slower"
}

/// `cpu · threads, 4 workers`.
fn row_label(row: &ChangeRow) -> String {
    format!(
        "{} · {}, {} {}",
        row.workload,
        row.strategy,
        row.workers,
        super::plural(row.workers, "worker")
    )
}

/// The change axis, percent: every interval, the band and zero, with room around.
fn change_axis(percent: &[Option<Percent>], tolerance: f64) -> Axis {
    let values = percent
        .iter()
        .flatten()
        .flat_map(|p| [p.change, p.lo, p.hi]);
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((-tolerance * 1.5, tolerance * 1.5), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let (lo, hi) = (lo.min(-1.0), hi.max(1.0));
    let pad = (hi - lo) * 0.06;
    Axis::linear(lo - pad, hi + pad, 8)
}

/// The models named in the rows, in the order of [`Strategy::ALL`]; names that are no
/// model follow, as given.
fn legend_models(rows: &[ChangeRow]) -> Vec<LegendItem> {
    let known: BTreeSet<Strategy> = rows
        .iter()
        .filter_map(|r| Strategy::parse(&r.strategy))
        .collect();
    let mut items: Vec<LegendItem> = known.into_iter().map(LegendItem::model).collect();
    let mut unknown: Vec<&str> = Vec::new();
    for row in rows {
        if Strategy::parse(&row.strategy).is_none() && !unknown.contains(&row.strategy.as_str()) {
            unknown.push(&row.strategy);
        }
    }
    items.extend(unknown.into_iter().map(|name| LegendItem {
        swatch: Swatch::Model(INK, Marker::Circle),
        label: name.to_string(),
    }));
    items
}
