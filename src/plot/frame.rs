//! A panel's frame: caption, both axes with their ticks and descriptions, the grid.
//! Every panel of every chart is built here, so they all read alike.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::scale::{Axis, tick_label};
use super::style::{self, INK};

/// A panel: both coordinates are [`Axis`], so data is plotted as it is.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Margin around a panel, pixels.
pub(super) const MARGIN: u32 = 14;
/// Height of the x tick labels and the x description.
pub(super) const X_LABEL_AREA: u32 = 62;

/// What a panel's frame shows.
pub(super) struct Frame<'f> {
    /// Centred above the panel; empty for none.
    pub caption: String,
    pub x: &'f Axis,
    pub y: &'f Axis,
    pub x_desc: String,
    pub y_desc: String,
    /// Width of the y tick labels and the y description.
    pub y_label_area: u32,
    /// Writes an x tick; `None`: the value as [`tick_label`] writes it.
    pub x_label: Option<&'f dyn Fn(f64) -> String>,
    pub y_label: Option<&'f dyn Fn(f64) -> String>,
    /// Grid lines across the plot at the y ticks.
    pub y_grid: bool,
}

impl Frame<'_> {
    /// Draws the frame on `area` and hands back the chart to draw data on.
    pub(super) fn draw<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> anyhow::Result<Chart<'a, DB>>
    where
        DB::ErrorType: 'static,
    {
        let mut builder = ChartBuilder::on(area);
        if !self.caption.is_empty() {
            builder.caption(
                &self.caption,
                (style::FONT, style::CAPTION_SIZE).into_font().color(&INK),
            );
        }
        let mut chart = builder
            .margin(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(self.y_label_area)
            .build_cartesian_2d(self.x.clone(), self.y.clone())?;

        let x_format = |v: &f64| self.x_label.map_or_else(|| tick_label(*v), |f| f(*v));
        let y_format = |v: &f64| self.y_label.map_or_else(|| tick_label(*v), |f| f(*v));
        let mut mesh = chart.configure_mesh();
        mesh.bold_line_style(style::GRID)
            .axis_style(INK)
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .axis_desc_style((style::FONT, style::DESC_SIZE).into_font().color(&INK))
            .label_style((style::FONT, style::LABEL_SIZE).into_font().color(&INK))
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format);
        if !self.y_grid {
            mesh.disable_y_mesh();
        }
        mesh.draw()?;
        Ok(chart)
    }
}
