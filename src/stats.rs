//! Pure functions over samples: summaries, percentiles, ratios.
//!
//! Nothing here reads a clock or a file, so every function is tested on fixed
//! numbers. Conventions: the median of an even count is the mean of the middle two;
//! the standard deviation is the sample one (n - 1); percentiles interpolate linearly
//! between closest ranks (as numpy's default does).

use serde::{Deserialize, Serialize};

/// The summary of one figure over a model's runs, as stored in reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub median: f64,
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub max: f64,
    /// Every measured value, in the order the runs happened.
    pub samples: Vec<f64>,
}

impl Summary {
    /// `None` for no samples.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        Some(Summary {
            median: median(samples),
            mean: mean(samples),
            stddev: stddev(samples),
            min: samples.iter().copied().fold(f64::INFINITY, f64::min),
            max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            samples: samples.to_vec(),
        })
    }
}

pub fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len() as f64
}

/// Sample standard deviation; 0 for fewer than two samples.
pub fn stddev(samples: &[f64]) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    let m = mean(samples);
    let squares: f64 = samples.iter().map(|x| (x - m) * (x - m)).sum();
    (squares / (samples.len() - 1) as f64).sqrt()
}

pub fn median(samples: &[f64]) -> f64 {
    percentile(samples, 50.0)
}

/// The `p`-th percentile (0..=100), linear between closest ranks; NaN for no samples.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

/// How many times faster than the baseline: baseline median / this median.
pub fn speedup(baseline_median: f64, median: f64) -> f64 {
    baseline_median / median
}

/// Speedup per worker: 1.0 means every worker was fully used.
pub fn efficiency(speedup: f64, workers: usize) -> f64 {
    speedup / workers as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_fixed_samples() {
        let s = Summary::of(&[3.0, 1.0, 2.0, 10.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!(s.mean, 4.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 10.0);
        // deviations -1 -3 -2 6 -> squares 1 9 4 36 = 50, / 3
        assert!((s.stddev - (50.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.samples, vec![3.0, 1.0, 2.0, 10.0]);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn single_sample_has_zero_spread() {
        let s = Summary::of(&[0.5]).unwrap();
        assert_eq!((s.median, s.stddev, s.min, s.max), (0.5, 0.0, 0.5, 0.5));
    }

    #[test]
    fn percentiles_interpolate() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&xs, 0.0), 1.0);
        assert_eq!(percentile(&xs, 100.0), 10.0);
        assert_eq!(percentile(&xs, 50.0), 5.5);
        assert!((percentile(&xs, 90.0) - 9.1).abs() < 1e-12);
        assert!(percentile(&[], 50.0).is_nan());
    }

    #[test]
    fn speedup_and_efficiency() {
        let s = speedup(2.0, 1.0);
        assert_eq!(s, 2.0);
        assert_eq!(efficiency(s, 2), 1.0);
        assert_eq!(efficiency(speedup(2.0, 1.6), 2), 0.625);
    }
}
