//! The look shared by every chart: one fixed color and marker per model, the fonts,
//! and the figure header (title and legend) drawn above the panels.
//!
//! The legend lives in the header, outside every plotting area, so it never covers
//! data, and it is the same in every chart because a model's color and marker are
//! fixed by the model, not by the order rows arrive in.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::strategy::Strategy;

/// Okabe–Ito colors (safe for the common color vision deficiencies), by position in
/// [`Strategy::ALL`]; sequential, the reference, is a neutral grey. Vermillion is kept
/// out: it means "slower" or "failed" ([`SLOWER`]). A model added to `Strategy::ALL`
/// takes the next color, so every chart keeps working.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x6E, 0x6E, 0x6E), // grey
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
];

/// A comparison row found slower, or a report row that failed its checks: Okabe–Ito
/// vermillion.
pub(super) const SLOWER: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Text, axes, whiskers.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Reference lines that must not compete with data: ideal, usable cores.
pub(super) const GUIDE: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
pub(super) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// The comparison's tolerance band.
pub(super) const BAND: RGBColor = RGBColor(0xE9, 0xEE, 0xE9);

pub(super) const FONT: &str = "sans-serif";
/// Font sizes in plotters units (the SVG gets size / 1.24 px).
pub(super) const TITLE_SIZE: u32 = 24;
pub(super) const CAPTION_SIZE: u32 = 20;
pub(super) const DESC_SIZE: u32 = 17;
pub(super) const LABEL_SIZE: u32 = 16;

/// Height of the header: the title line and the legend line.
pub(super) const HEADER_HEIGHT: u32 = 78;

/// A model's place in [`Strategy::ALL`], which fixes its color and marker.
fn index(strategy: Strategy) -> usize {
    Strategy::ALL
        .iter()
        .position(|s| *s == strategy)
        .unwrap_or(0)
}

/// The Rust model a CPython model is the classic version of.
fn rust_twin(strategy: Strategy) -> Option<Strategy> {
    match strategy {
        Strategy::PySequential => Some(Strategy::Sequential),
        Strategy::PyThreads => Some(Strategy::Threads),
        Strategy::PyAsyncio => Some(Strategy::Async),
        Strategy::PyProcesses => Some(Strategy::Processes),
        _ => None,
    }
}

/// A model's color. A CPython model takes its Rust twin's color, lightened halfway to
/// white: the pair reads as one idea in two languages, and the two stay apart.
pub(super) fn model_color(strategy: Strategy) -> RGBColor {
    match rust_twin(strategy) {
        Some(twin) => {
            let RGBColor(r, g, b) = model_color(twin);
            let light = |c: u8| c + (255 - c) / 2;
            RGBColor(light(r), light(g), light(b))
        }
        None => PALETTE[index(strategy) % PALETTE.len()],
    }
}

/// The color of a model named in a comparison row; unknown names get [`INK`].
pub(super) fn color_by_name(name: &str) -> RGBColor {
    Strategy::parse(name).map_or(INK, model_color)
}

/// Marker shapes, so models stay apart in grey print and where colors are confused.
#[derive(Debug, Clone, Copy)]
pub(super) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    InvertedTriangle,
    Plus,
}

impl Marker {
    pub(super) fn of(strategy: Strategy) -> Marker {
        const SHAPES: [Marker; 6] = [
            Marker::Circle,
            Marker::Square,
            Marker::Triangle,
            Marker::Diamond,
            Marker::InvertedTriangle,
            Marker::Plus,
        ];
        SHAPES[index(strategy) % SHAPES.len()]
    }

    pub(super) fn by_name(name: &str) -> Marker {
        Strategy::parse(name).map_or(Marker::Circle, Marker::of)
    }

    /// Draws the marker centred on `at` (in `area`'s coordinates), `r` pixels from the
    /// centre to its edge, filled with `color` and outlined in white so overlapping
    /// markers stay apart.
    pub(super) fn draw<DB, CT>(
        self,
        area: &DrawingArea<DB, CT>,
        at: CT::From,
        r: i32,
        color: RGBColor,
    ) -> anyhow::Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        CT: CoordTranslate,
    {
        let fill = color.filled();
        let outline = WHITE.stroke_width(1);
        let corners = match self {
            Marker::Circle => {
                let circle = EmptyElement::at(at)
                    + Circle::new((0, 0), r, fill)
                    + Circle::new((0, 0), r, outline);
                area.draw(&circle)?;
                return Ok(());
            }
            Marker::Square => {
                let r = r - 1;
                vec![(-r, -r), (r, -r), (r, r), (-r, r)]
            }
            Marker::Triangle => vec![(0, -r - 1), (r + 1, r), (-r - 1, r)],
            Marker::Diamond => {
                let r = r + 1;
                vec![(0, -r), (r, 0), (0, r), (-r, 0)]
            }
            Marker::InvertedTriangle => vec![(0, r + 1), (r + 1, -r), (-r - 1, -r)],
            Marker::Plus => {
                let (r, t) = (r + 1, 2);
                vec![
                    (-t, -r),
                    (t, -r),
                    (t, -t),
                    (r, -t),
                    (r, t),
                    (t, t),
                    (t, r),
                    (-t, r),
                    (-t, t),
                    (-r, t),
                    (-r, -t),
                    (-t, -t),
                ]
            }
        };
        let mut edge = corners.clone();
        edge.push(corners[0]);
        let shape =
            EmptyElement::at(at) + Polygon::new(corners, fill) + PathElement::new(edge, outline);
        area.draw(&shape)?;
        Ok(())
    }
}

/// About how wide `text` is at `size`, pixels: viewers' sans-serif fonts average
/// about 0.55 em per character, and there is no font library to ask.
pub(super) fn text_width(text: &str, size: u32) -> f64 {
    text.chars().count() as f64 * f64::from(size) / 1.24 * 0.58
}

/// A text style of `size` in `color`, anchored at `h`/`v`.
pub(super) fn text(size: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color).pos(Pos::new(h, v))
}

/// [`text`], bold.
pub(super) fn bold_text(size: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold)
        .into_font()
        .color(&color)
        .pos(Pos::new(h, v))
}

/// One legend entry: what its swatch looks like, and its words.
pub(super) struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

pub(super) enum Swatch {
    /// A model: a line in its color with its marker.
    Model(RGBColor, Marker),
    /// A filled block, e.g. the tolerance band.
    Block(RGBColor),
    /// A dashed line, e.g. the ideal speedup.
    Dashed(RGBColor),
}

impl LegendItem {
    pub(super) fn model(strategy: Strategy) -> LegendItem {
        LegendItem {
            swatch: Swatch::Model(model_color(strategy), Marker::of(strategy)),
            label: strategy.name().to_string(),
        }
    }
}

const SWATCH_WIDTH: i32 = 28;
const ITEM_GAP: i32 = 26;

/// Draws the figure header: `title` on the first line, the legend centred on the second.
pub(super) fn header<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendItem],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (width, _) = area.dim_in_pixel();
    area.draw(&Text::new(
        title.to_string(),
        (width as i32 / 2, 12),
        text(TITLE_SIZE, INK, HPos::Center, VPos::Top),
    ))?;

    let label_style = text(LABEL_SIZE, INK, HPos::Left, VPos::Center);
    let widths: Vec<i32> = legend
        .iter()
        .map(|item| SWATCH_WIDTH + 6 + text_width(&item.label, LABEL_SIZE).ceil() as i32)
        .collect();
    let total = widths.iter().sum::<i32>() + ITEM_GAP * (widths.len() as i32 - 1).max(0);
    let mut x = (width as i32 - total) / 2;
    let y = 56;
    for (item, w) in legend.iter().zip(widths) {
        let mid = x + SWATCH_WIDTH / 2;
        match item.swatch {
            Swatch::Model(color, marker) => {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + SWATCH_WIDTH, y)],
                    color.stroke_width(3),
                ))?;
                marker.draw(area, (mid, y), 5, color)?;
            }
            Swatch::Block(color) => {
                area.draw(&Rectangle::new(
                    [(x, y - 8), (x + SWATCH_WIDTH, y + 8)],
                    color.filled(),
                ))?;
            }
            Swatch::Dashed(color) => {
                for dash in 0..3 {
                    let x0 = x + dash * 11;
                    area.draw(&PathElement::new(
                        vec![(x0, y), (x0 + 6, y)],
                        color.stroke_width(2),
                    ))?;
                }
            }
        }
        area.draw(&Text::new(
            item.label.clone(),
            (x + SWATCH_WIDTH + 6, y),
            label_style.clone(),
        ))?;
        x += w + ITEM_GAP;
    }
    Ok(())
}
