//! Axes: how a value becomes a position (as it is, or by its logarithm), where the
//! ticks go, and how a tick is written.
//!
//! [`Axis`] is the plotters coordinate of every panel, so every panel has one
//! coordinate type, charts plot data values as they are, and the tick choice is in
//! our hands: 1-2-5 steps for times, powers of two for speedups, the worker counts
//! run for workers.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Spread past which a time axis goes logarithmic: a 65 ms bar beside an 8 s one is a
/// sliver on a linear axis.
pub(super) const LOG_SPREAD: f64 = 20.0;

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scale {
    Linear,
    Log,
}

/// One axis: its scale, its visible range in data units and its ticks.
#[derive(Debug, Clone)]
pub(super) struct Axis {
    pub scale: Scale,
    /// Visible range, data units; both ends positive on a log axis.
    pub lo: f64,
    pub hi: f64,
    /// Tick values, data units, inside `lo..=hi`.
    pub ticks: Vec<f64>,
}

impl Axis {
    /// A linear axis over `lo..hi` with about `count` round ticks.
    pub(super) fn linear(lo: f64, hi: f64, count: usize) -> Axis {
        Axis {
            scale: Scale::Linear,
            lo,
            hi,
            ticks: linear_ticks(lo, hi, count),
        }
    }

    /// A log axis over `lo..hi` with ticks at 1, 2 and 5 times powers of ten.
    pub(super) fn log_125(lo: f64, hi: f64) -> Axis {
        Axis {
            scale: Scale::Log,
            lo,
            hi,
            ticks: ticks_125(lo, hi),
        }
    }

    /// A log axis over `lo..hi` with the given ticks (e.g. the worker counts swept).
    pub(super) fn log_with_ticks(lo: f64, hi: f64, ticks: Vec<f64>) -> Axis {
        Axis {
            scale: Scale::Log,
            lo,
            hi,
            ticks: ticks
                .into_iter()
                .filter(|t| (lo..=hi).contains(t))
                .collect(),
        }
    }

    /// A category axis of `n` rows, the first at the top: a tick per row, at
    /// [`row_pos`].
    pub(super) fn rows(n: usize) -> Axis {
        Axis {
            scale: Scale::Linear,
            lo: -0.6,
            hi: n as f64 - 0.4,
            ticks: (0..n).map(|i| row_pos(i, n)).collect(),
        }
    }

    /// Where `value` falls between the ends: 0 at `lo`, 1 at `hi`.
    pub(super) fn fraction(&self, value: f64) -> f64 {
        let (lo, hi, v) = (self.pos(self.lo), self.pos(self.hi), self.pos(value));
        (v - lo) / (hi - lo)
    }

    /// The value on a linear scale: itself, or its logarithm.
    fn pos(&self, value: f64) -> f64 {
        match self.scale {
            Scale::Linear => value,
            Scale::Log => value.max(f64::MIN_POSITIVE).ln(),
        }
    }
}

/// Charts plot data values as they are; the axis places them and names the ticks.
impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        (f64::from(limit.0) + self.fraction(*value) * span).round() as i32
    }

    /// The ticks, for grid lines and labels; no light lines between them.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Where row `i` of `n` sits on a [`Axis::rows`] axis.
pub(super) fn row_pos(i: usize, n: usize) -> f64 {
    (n - 1 - i) as f64
}

/// The row of `n` at a [`Axis::rows`] position (a tick's value).
pub(super) fn row_at(pos: f64, n: usize) -> usize {
    (n as f64 - 1.0 - pos.round()).max(0.0) as usize
}

/// Round ticks over `lo..=hi`, about `count` of them, a step of 1, 2 or 5 × 10^k.
pub(super) fn linear_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if hi <= lo || hi.is_nan() || lo.is_nan() || count == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    // The round step whose tick count comes closest to `count`.
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .min_by(|a, b| {
            let miss = |step: &f64| ((hi - lo) / step - count as f64).abs();
            miss(a).total_cmp(&miss(b))
        })
        .unwrap_or(magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|i| round_sig(i as f64 * step)).collect()
}

/// 1, 2 and 5 × 10^k inside `lo..=hi` (both positive).
pub(super) fn ticks_125(lo: f64, hi: f64) -> Vec<f64> {
    if lo <= 0.0 || hi <= lo || lo.is_nan() || hi.is_nan() {
        return Vec::new();
    }
    let mut ticks = Vec::new();
    let mut exponent = lo.log10().floor() as i32;
    while 10f64.powi(exponent) <= hi {
        for m in [1.0, 2.0, 5.0] {
            let tick = round_sig(m * 10f64.powi(exponent));
            if tick >= lo * (1.0 - 1e-9) && tick <= hi * (1.0 + 1e-9) {
                ticks.push(tick);
            }
        }
        exponent += 1;
    }
    ticks
}

/// Powers of two inside `lo..=hi` (both positive): 0.25, 0.5, 1, 2, 4, ...
pub(super) fn powers_of_two(lo: f64, hi: f64) -> Vec<f64> {
    if lo <= 0.0 || hi <= lo || lo.is_nan() || hi.is_nan() {
        return Vec::new();
    }
    let first = lo.log2().ceil() as i32;
    let last = hi.log2().floor() as i32;
    (first..=last).map(|e| 2f64.powi(e)).collect()
}

/// A tick as a person writes it: `0.05`, `0.5`, `2`, `250`, `12.5`; no float noise
/// (a log axis hands back `exp(ln(0.05))`).
pub(super) fn tick_label(value: f64) -> String {
    let value = round_sig(value);
    if value == 0.0 {
        return "0".to_string();
    }
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// `value` rounded to 6 significant digits.
fn round_sig(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let scale = 10f64.powi(5 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// The time unit for values up to `max` seconds: `(factor, name)`, ms below 1 s.
pub(super) fn time_unit(max_seconds: f64) -> (f64, &'static str) {
    if max_seconds < 1.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_round_steps() {
        assert_eq!(
            linear_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(linear_ticks(0.0, 37.0, 4), vec![0.0, 10.0, 20.0, 30.0]);
        assert_eq!(linear_ticks(0.0, 0.9, 4), vec![0.0, 0.2, 0.4, 0.6, 0.8]);
    }

    #[test]
    fn log_ticks_are_one_two_five() {
        assert_eq!(
            ticks_125(0.04, 12.0),
            vec![0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
        );
        assert_eq!(powers_of_two(0.6, 10.0), vec![1.0, 2.0, 4.0, 8.0]);
        assert_eq!(powers_of_two(0.4, 1.5), vec![0.5, 1.0]);
    }

    #[test]
    fn tick_labels_carry_no_float_noise() {
        assert_eq!(tick_label(0.05f64.ln().exp()), "0.05");
        assert_eq!(tick_label(0.6000000000000001), "0.6");
        assert_eq!(tick_label(250.0), "250");
        assert_eq!(tick_label(12.5), "12.5");
        assert_eq!(tick_label(-0.0), "0");
    }

    #[test]
    fn a_log_axis_maps_by_logarithm() {
        let axis = Axis::log_125(0.01, 100.0);
        assert!((axis.fraction(1.0) - 0.5).abs() < 1e-12);
        assert_eq!(axis.map(&1.0, (100, 300)), 200);
        let linear = Axis::linear(0.0, 10.0, 5);
        assert_eq!(linear.fraction(2.5), 0.25);
        assert_eq!(linear.map(&2.5, (400, 0)), 300);
    }

    #[test]
    fn rows_run_top_down() {
        let rows = Axis::rows(3);
        assert_eq!(rows.ticks, vec![2.0, 1.0, 0.0]);
        assert!(rows.map(&row_pos(0, 3), (300, 0)) < rows.map(&row_pos(2, 3), (300, 0)));
        assert_eq!(
            (0..3).map(|i| row_at(row_pos(i, 3), 3)).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }
}
