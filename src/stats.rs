//! Pure functions over samples: summaries, percentiles, ratios.
//!
//! Nothing here reads a clock or a file, so every function is tested on fixed
//! numbers. Conventions: the median of an even count is the mean of the middle two;
//! the standard deviation is the sample one (n - 1); percentiles interpolate linearly
//! between closest ranks (as numpy's default does).

use serde::{Deserialize, Serialize};

/// Confidence of the intervals stored in reports and printed in verdicts.
pub const CONFIDENCE: f64 = 0.95;

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

/// A distribution-free interval of the median and the confidence it really has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MedianInterval {
    pub low: f64,
    pub high: f64,
    /// The probability that the interval holds the true median, for any continuous
    /// distribution of the samples: at least the level asked, unless there are too few
    /// samples to reach it ([`runs_for_confidence`]).
    pub confidence: f64,
}

/// The interval of the median from order statistics: `[x(l), x(n+1-l)]` of the sorted
/// samples, with the largest `l` whose coverage `P(l ≤ B ≤ n-l)`, B ~ Binomial(n, ½),
/// is at least `level`. Unlike a bootstrap it has the coverage it claims at any n;
/// with too few samples even `[min, max]` falls short, and `confidence` says by how
/// much (3 samples: 75 %). `None` for no samples.
pub fn median_interval(samples: &[f64], level: f64) -> Option<MedianInterval> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    // l = 1 is [min, max]; narrower intervals while they still reach the level.
    let mut l = 1;
    while l < n.div_ceil(2) && median_coverage(n, l + 1) >= level {
        l += 1;
    }
    Some(MedianInterval {
        low: sorted[l - 1],
        high: sorted[n - l],
        confidence: median_coverage(n, l),
    })
}

/// The coverage of `[x(l), x(n+1-l)]` for the median of `n` samples:
/// `1 - 2·P(B ≤ l-1)`, B ~ Binomial(n, ½).
pub fn median_coverage(n: usize, l: usize) -> f64 {
    if n == 0 || l == 0 {
        return 0.0;
    }
    // P(B = k) in log space, so n in the thousands neither underflows nor overflows.
    let mut log_pmf = -(n as f64) * std::f64::consts::LN_2;
    let mut below = 0.0;
    for k in 0..l {
        below += log_pmf.exp();
        log_pmf += ((n - k) as f64 / (k + 1) as f64).ln();
    }
    (1.0 - 2.0 * below).clamp(0.0, 1.0)
}

/// The fewest samples whose `[min, max]` holds the median with at least `level`
/// confidence (0.95: 6).
pub fn runs_for_confidence(level: f64) -> usize {
    (1..=64)
        .find(|&n| median_coverage(n, 1) >= level)
        .unwrap_or(64)
}

/// The most intervals `[start, end)` open at one instant: a sweep over the sorted
/// ends, an end at the same instant as a start closing first.
pub fn max_overlap(intervals: &[(f64, f64)]) -> usize {
    let mut events: Vec<(f64, i8)> = Vec::with_capacity(intervals.len() * 2);
    for &(start, end) in intervals {
        events.push((start, 1));
        events.push((end.max(start), -1));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut open, mut most) = (0i64, 0i64);
    for (_, step) in events {
        open += i64::from(step);
        most = most.max(open);
    }
    most as usize
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

    #[test]
    fn median_interval_coverage_is_exact() {
        assert_eq!(median_coverage(3, 1), 0.75);
        assert_eq!(median_coverage(6, 1), 0.96875);
        // n = 10: ranks 2 and 9 cover 1 - 2·(1 + 10)/1024.
        assert!((median_coverage(10, 2) - (1.0 - 22.0 / 1024.0)).abs() < 1e-12);
        assert_eq!(runs_for_confidence(0.95), 6);
        assert_eq!(runs_for_confidence(0.99), 8);
    }

    /// With 3 runs a "95 %" interval is only [min, max], and says it is 75 %.
    #[test]
    fn median_interval_says_what_it_reaches() {
        let three = median_interval(&[3.0, 1.0, 2.0], 0.95).unwrap();
        assert_eq!((three.low, three.high, three.confidence), (1.0, 3.0, 0.75));
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let ten = median_interval(&ten, 0.95).unwrap();
        assert_eq!((ten.low, ten.high), (2.0, 9.0));
        assert!(ten.confidence >= 0.95 && ten.confidence < 0.98, "{ten:?}");
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        let hundred = median_interval(&hundred, 0.95).unwrap();
        assert_eq!((hundred.low, hundred.high), (40.0, 61.0));
        assert!(median_interval(&[], 0.95).is_none());
    }

    #[test]
    fn overlap_counts_what_is_open_at_once() {
        assert_eq!(max_overlap(&[]), 0);
        assert_eq!(
            max_overlap(&[(0.0, 1.0), (1.0, 2.0)]),
            1,
            "touching is not overlapping"
        );
        assert_eq!(
            max_overlap(&[(0.0, 3.0), (1.0, 2.0), (1.5, 4.0), (3.5, 5.0)]),
            3
        );
        let all_at_once: Vec<(f64, f64)> = (0..160).map(|i| (f64::from(i) * 1e-6, 0.05)).collect();
        assert_eq!(max_overlap(&all_at_once), 160);
    }
}
