//! Statistics for a regression gate: is the difference between two sets of timings
//! real, and how large could it be?
//!
//! Everything here is a pure function of its inputs. The bootstrap draws from
//! [`SplitMix64`] with a seed the caller passes, so comparing the same two reports
//! twice gives the same intervals to the last bit: a CI gate must not flip on a rerun
//! of the comparison itself.
//!
//! The tools, and why these ones:
//!
//! - [`median_ci`], [`ratio_ci`]: percentile-bootstrap intervals of the median and of
//!   a ratio of medians. Timings are skewed (a run is never faster than the machine
//!   allows, but often slower), so an interval that assumes normality would be
//!   wrong on the side that matters; the bootstrap assumes nothing about the shape.
//! - [`mann_whitney_p`]: a rank test, so one preempted run can move it by one rank
//!   and no more. Exact when there are no ties and at most [`EXACT_MAX_SAMPLES`]
//!   samples in all (the usual case: timings in nanoseconds rarely tie), otherwise
//!   the normal approximation with tie and continuity corrections (as scipy's
//!   `mannwhitneyu(method="asymptotic")`). The exact test is the honest one for small
//!   runs: with 3 runs a side no ordering reaches p < 0.05, with 4 one does.
//! - [`outliers`], [`coefficient_of_variation`]: for warnings about a noisy machine,
//!   not for verdicts.
//!
//! Samples are finite timings; a NaN would sort last and tie with nothing.

use crate::stats::{mean, median, percentile, stddev};

/// The most samples (both sides together) for which [`mann_whitney_p`] counts the
/// exact distribution of U. Its counts reach C(100, 50) ≈ 1e29, inside an `i128`;
/// beyond that the normal approximation is excellent anyway.
pub const EXACT_MAX_SAMPLES: usize = 100;

/// Deterministic PRNG (Steele, Lea and Flood's SplitMix64), so that bootstrap
/// results are reproducible from a fixed seed. Small, fast, and good enough for
/// resampling; not for anything an adversary may see.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`) with no index favoured: Lemire's multiply-shift
    /// with rejection of the few values that would bias it.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0) has no values to draw from");
        let n = n as u64;
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        if (product as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (product >> 64) as usize
    }

    /// Uniform in `[0, 1)`, 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Bootstrap percentile CI of the median: `resamples` resamples with replacement
/// drawn from `seed`; returns `(low, high)` holding `confidence` (e.g. 0.95) of the
/// resampled medians. `(NaN, NaN)` for no samples; the median at both ends for
/// `resamples == 0`.
pub fn median_ci(samples: &[f64], confidence: f64, resamples: usize, seed: u64) -> (f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    if resamples == 0 {
        let m = median(samples);
        return (m, m);
    }
    let mut rng = SplitMix64::new(seed);
    let mut scratch = Vec::with_capacity(samples.len());
    let medians: Vec<f64> = (0..resamples)
        .map(|_| resampled_median(samples, &mut rng, &mut scratch))
        .collect();
    central_interval(&medians, confidence)
}

/// Bootstrap percentile CI of `median(a) / median(b)`, resampling `a` and `b`
/// independently (they are separate runs). `(NaN, NaN)` when either is empty; the
/// ratio at both ends for `resamples == 0`.
pub fn ratio_ci(a: &[f64], b: &[f64], confidence: f64, resamples: usize, seed: u64) -> (f64, f64) {
    if a.is_empty() || b.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    if resamples == 0 {
        let r = median(a) / median(b);
        return (r, r);
    }
    let mut rng = SplitMix64::new(seed);
    let mut scratch = Vec::with_capacity(a.len().max(b.len()));
    let ratios: Vec<f64> = (0..resamples)
        .map(|_| {
            let top = resampled_median(a, &mut rng, &mut scratch);
            top / resampled_median(b, &mut rng, &mut scratch)
        })
        .collect();
    central_interval(&ratios, confidence)
}

/// The median of one resample with replacement of `samples`.
fn resampled_median(samples: &[f64], rng: &mut SplitMix64, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend((0..samples.len()).map(|_| samples[rng.below(samples.len())]));
    scratch.sort_unstable_by(f64::total_cmp);
    let n = scratch.len();
    if n % 2 == 1 {
        scratch[n / 2]
    } else {
        (scratch[n / 2 - 1] + scratch[n / 2]) / 2.0
    }
}

/// The interval holding the central `confidence` of `values`.
fn central_interval(values: &[f64], confidence: f64) -> (f64, f64) {
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0 * 100.0;
    (percentile(values, tail), percentile(values, 100.0 - tail))
}

/// Two-sided Mann–Whitney U test: the probability of a rank difference at least
/// this large between `a` and `b` if both came from one distribution.
///
/// Exact when there are no ties and at most [`EXACT_MAX_SAMPLES`] samples in all;
/// otherwise the normal approximation with tie correction and continuity correction.
/// 1.0 when either side has fewer than 2 samples or every value is equal.
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
    let (m, n) = (a.len(), b.len());
    if m < 2 || n < 2 {
        return 1.0;
    }
    let mut pooled: Vec<(f64, bool)> = a
        .iter()
        .map(|&x| (x, true))
        .chain(b.iter().map(|&x| (x, false)))
        .collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));

    // Midranks (1-based) for tied runs; `ties` is the sum of t^3 - t over tie groups.
    let mut rank_sum_a = 0.0;
    let mut ties = 0.0;
    let mut start = 0;
    while start < pooled.len() {
        let mut end = start;
        while end + 1 < pooled.len() && pooled[end + 1].0 == pooled[start].0 {
            end += 1;
        }
        if start == 0 && end == pooled.len() - 1 {
            return 1.0; // every value equal: no evidence either way
        }
        let midrank = (start + end) as f64 / 2.0 + 1.0;
        rank_sum_a += midrank * pooled[start..=end].iter().filter(|(_, in_a)| *in_a).count() as f64;
        let t = (end - start + 1) as f64;
        ties += t * t * t - t;
        start = end + 1;
    }
    let u_a = rank_sum_a - (m * (m + 1)) as f64 / 2.0;

    if ties == 0.0 && m + n <= EXACT_MAX_SAMPLES {
        return exact_p(u_a.round() as usize, m, n);
    }
    let (mf, nf) = (m as f64, n as f64);
    let total = mf + nf;
    let mu = mf * nf / 2.0;
    let variance = mf * nf / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
    let z = ((u_a - mu).abs() - 0.5).max(0.0) / variance.sqrt();
    erfc(z / std::f64::consts::SQRT_2).min(1.0)
}

/// Two-sided exact p-value of U = `u` for sample sizes `m` and `n` without ties.
///
/// The number of orderings with U = k is the coefficient of q^k in the Gaussian
/// binomial [m + n choose m]_q = Π_{i=1..m} (1 - q^(n+i)) / (1 - q^i), built one
/// factor at a time; after each step the polynomial is [n + i choose i]_q, so
/// every division is exact.
fn exact_p(u: usize, m: usize, n: usize) -> f64 {
    let mut counts = vec![0i128; m * n + 1];
    counts[0] = 1;
    for i in 1..=m {
        let grow = n + i;
        for k in (grow..counts.len()).rev() {
            counts[k] -= counts[k - grow];
        }
        for k in i..counts.len() {
            counts[k] += counts[k - i];
        }
    }
    let total: i128 = counts.iter().sum();
    // The distribution is symmetric about mn/2: take the nearer tail, then double.
    let tail_end = u.min(m * n - u);
    let tail: i128 = counts[..=tail_end].iter().sum();
    (2.0 * tail as f64 / total as f64).min(1.0)
}

/// The complementary error function, fractional error below 1.2e-7 everywhere
/// (Numerical Recipes' `erfcc`, a Chebyshev fit): plenty for a p-value.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 { value } else { 2.0 - value }
}

/// Indices of outliers by the modified Z-score, |0.6745 (x - median) / MAD| > 3.5
/// (Iglewicz and Hoaglin; hyperfine's rule). None when the MAD is 0, as then every
/// value off the median would be infinitely far out.
pub fn outliers(samples: &[f64]) -> Vec<usize> {
    if samples.is_empty() {
        return Vec::new();
    }
    let center = median(samples);
    let deviations: Vec<f64> = samples.iter().map(|x| (x - center).abs()).collect();
    let mad = median(&deviations);
    if mad == 0.0 || !mad.is_finite() {
        return Vec::new();
    }
    (0..samples.len())
        .filter(|&i| (0.6745 * (samples[i] - center) / mad).abs() > 3.5)
        .collect()
}

/// Sample standard deviation over mean: 0.05 means the runs spread by about 5 %.
/// 0 for a single sample, NaN for none.
pub fn coefficient_of_variation(samples: &[f64]) -> f64 {
    stddev(samples) / mean(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // Seed 0, from the reference implementation (Vigna's splitmix64.c).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn below_stays_in_range_and_reaches_every_value() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[rng.below(7)] += 1;
        }
        assert!(
            seen.iter().all(|&count| (800..1200).contains(&count)),
            "{seen:?}"
        );
        let x = rng.next_f64();
        assert!((0.0..1.0).contains(&x));
    }

    const RUNS: [f64; 10] = [1.02, 0.98, 1.05, 1.00, 0.97, 1.03, 1.01, 0.99, 1.04, 0.96];

    #[test]
    fn median_ci_contains_the_median_and_is_reproducible() {
        let m = median(&RUNS);
        let (low, high) = median_ci(&RUNS, 0.95, 2000, 42);
        assert!(low <= m && m <= high, "{low} {m} {high}");
        assert!(low >= 0.96 && high <= 1.05);
        assert_eq!(median_ci(&RUNS, 0.95, 2000, 42), (low, high));
        assert!(median_ci(&[], 0.95, 100, 1).0.is_nan());
        assert_eq!(median_ci(&[0.5], 0.95, 100, 1), (0.5, 0.5));
        assert_eq!(median_ci(&RUNS, 0.95, 0, 1), (m, m));
    }

    #[test]
    fn median_ci_narrows_with_more_samples() {
        let many: Vec<f64> = RUNS.iter().cycle().take(RUNS.len() * 8).copied().collect();
        let (low, high) = median_ci(&RUNS, 0.95, 2000, 1);
        let (many_low, many_high) = median_ci(&many, 0.95, 2000, 1);
        assert!(
            many_high - many_low < high - low,
            "{many_low}..{many_high} vs {low}..{high}"
        );
        let (narrow_low, narrow_high) = median_ci(&RUNS, 0.5, 2000, 1);
        assert!(narrow_high - narrow_low < high - low);
    }

    #[test]
    fn ratio_ci_brackets_the_ratio_of_medians() {
        let slower: Vec<f64> = RUNS.iter().map(|x| x * 1.3).collect();
        let (low, high) = ratio_ci(&slower, &RUNS, 0.95, 2000, 9);
        assert!(low <= 1.3 && 1.3 <= high, "{low} {high}");
        assert!(low > 1.2 && high < 1.4, "{low} {high}");
        assert_eq!(ratio_ci(&slower, &RUNS, 0.95, 2000, 9), (low, high));
        assert_eq!(ratio_ci(&[2.0], &[1.0], 0.95, 10, 9), (2.0, 2.0));
        assert!(ratio_ci(&[], &RUNS, 0.95, 10, 9).0.is_nan());
    }

    // Reference p-values from scipy 1.17 `scipy.stats.mannwhitneyu(a, b,
    // alternative="two-sided", method=...)`: "exact" without ties (up to 100 samples),
    // "asymptotic" (continuity-corrected) otherwise.

    #[test]
    fn mann_whitney_exact_without_ties() {
        let a = [1.1, 2.3, 3.5, 4.2, 5.0];
        let b = [2.0, 6.1, 7.2, 8.3, 9.4];
        assert!(close(
            mann_whitney_p(&a, &b),
            0.095_238_095_238_095_23,
            1e-12
        ));
        assert!(close(
            mann_whitney_p(&b, &a),
            0.095_238_095_238_095_23,
            1e-12
        ));
        // Complete separation, 5 against 5: 2 / C(10, 5).
        let c = [10.0, 11.0, 12.0, 13.0, 14.0];
        assert!(close(mann_whitney_p(&a, &c), 2.0 / 252.0, 1e-12));
        // 3 against 3 can never reach 0.05.
        assert!(close(
            mann_whitney_p(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]),
            0.1,
            1e-12
        ));
        let ten: Vec<f64> = (0..10).map(|i| f64::from(i) * 1.5).collect();
        let shifted: Vec<f64> = ten.iter().map(|x| x + 4.2).collect();
        assert!(close(
            mann_whitney_p(&ten, &shifted),
            0.105_122_431_747_818_75,
            1e-12
        ));
        let shifted: Vec<f64> = ten.iter().map(|x| x + 7.3).collect();
        assert!(close(
            mann_whitney_p(&ten, &shifted),
            0.006_841_455_757_864_427,
            1e-12
        ));
        // 40 against 45: counts near C(85, 40) ≈ 1e24.
        let (a, b) = sawtooth(40, 45);
        assert!(close(
            mann_whitney_p(&a, &b),
            0.387_725_314_050_394_84,
            1e-12
        ));
    }

    /// Two overlapping samples without ties (checked in Python: all distinct).
    fn sawtooth(m: u32, n: u32) -> (Vec<f64>, Vec<f64>) {
        let a = (0..m).map(|i| f64::from(i) * 0.731 % 7.3).collect();
        let b = (0..n).map(|i| f64::from(i) * 0.619 % 6.1 + 0.9).collect();
        (a, b)
    }

    #[test]
    fn mann_whitney_asymptotic_with_ties_or_many_samples() {
        let a = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0];
        let b = [3.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0, 8.0];
        assert!(close(
            mann_whitney_p(&a, &b),
            0.014_107_907_274_540_636,
            1e-6
        ));
        let a: Vec<f64> = (0..60).map(|i| f64::from(i) * 0.37 % 10.0).collect();
        let b: Vec<f64> = (0..60).map(|i| f64::from(i) * 0.41 % 10.0 + 0.8).collect();
        assert!(close(mann_whitney_p(&a, &b), 0.351_524_349_191_770_9, 1e-6));
        // 115 samples without ties: past the exact range.
        let (a, b) = sawtooth(60, 55);
        assert!(close(mann_whitney_p(&a, &b), 0.252_217_365_722_466_1, 1e-6));
    }

    #[test]
    fn mann_whitney_without_evidence_is_one() {
        assert_eq!(mann_whitney_p(&[1.0], &[2.0, 3.0, 4.0]), 1.0);
        assert_eq!(mann_whitney_p(&[1.0, 2.0], &[]), 1.0);
        assert_eq!(mann_whitney_p(&[0.5, 0.5, 0.5], &[0.5, 0.5]), 1.0);
        assert_eq!(mann_whitney_p(&RUNS, &RUNS), 1.0);
    }

    #[test]
    fn outliers_flag_a_spike_and_nothing_else() {
        let mut runs = RUNS.to_vec();
        runs[4] = 3.0;
        assert_eq!(outliers(&runs), vec![4]);
        assert!(outliers(&RUNS).is_empty());
        assert!(
            outliers(&[1.0, 1.0, 1.0, 5.0]).is_empty(),
            "MAD 0 flags nothing"
        );
        assert!(outliers(&[]).is_empty());
    }

    #[test]
    fn coefficient_of_variation_is_sigma_over_mean() {
        // mean 4, sample σ sqrt(50 / 3)
        assert!(close(
            coefficient_of_variation(&[3.0, 1.0, 2.0, 10.0]),
            (50.0f64 / 3.0).sqrt() / 4.0,
            1e-12
        ));
        assert_eq!(coefficient_of_variation(&[2.0]), 0.0);
        assert!(coefficient_of_variation(&[]).is_nan());
    }
}
