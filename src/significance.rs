//! Statistics for a regression gate and a verdict: is the difference between two
//! sets of timings real, and how large could it be?
//!
//! Everything here is a pure function of its inputs, so comparing the same two
//! reports twice gives the same intervals to the last bit: a CI gate must not flip on
//! a rerun of the comparison itself. [`SplitMix64`] is a seeded generator for
//! simulations that must be reproducible (the gate's tests draw runs from it).
//!
//! The tools, and why these ones. Timings are skewed (a run is never faster than the
//! machine allows, but often slower), so an interval that assumes normality would be
//! wrong on the side that matters; none here does.
//!
//! - [`shift_ratio`]: the gate's change, the Hodges–Lehmann ratio of two sets of
//!   runs with the distribution-free interval that inverts the rank test below; also
//!   the interval of every speedup a report stores (`speedup_ci95`), as its coverage
//!   is known exactly where a bootstrap's is not.
//! - [`mann_whitney_p`]: a rank test, so one preempted run can move it by one rank
//!   and no more. Exact when there are no ties and at most [`EXACT_MAX_SAMPLES`]
//!   samples in all (the usual case: timings in nanoseconds rarely tie), otherwise
//!   the normal approximation with tie and continuity corrections (as scipy's
//!   `mannwhitneyu(method="asymptotic")`). The exact test is the honest one for small
//!   runs: with 3 runs a side no ordering reaches p < 0.05, with 4 one does.
//! - [`outliers`], [`coefficient_of_variation`]: for warnings about a noisy machine,
//!   not for verdicts.
//!
//! Why these are written here rather than taken from a crate: none offers the pair
//! the gate needs. `statrs` has a Mann–Whitney test, but its exact p-value enumerates
//! every combination of ranks (C(n + m, n) of them, out of reach at 10 runs a side
//! and more) and its automatic mode turns asymptotic past 8 runs a side, where a
//! rank test on 10 runs is still coarse; and no crate gives the Hodges–Lehmann shift
//! with the distribution-free interval that inverts the same exact test, which is
//! the gate's figure. Both come from one table of counts here (a recurrence over
//! the distribution of U), so the p-value and the interval can never disagree.
//!
//! Samples are finite timings; a NaN would sort last and tie with nothing.

use crate::stats::{mean, median, stddev};

/// The most samples (both sides together) for which [`mann_whitney_p`] counts the
/// exact distribution of U. Its counts reach C(100, 50) ≈ 1e29, inside an `i128`;
/// beyond that the normal approximation is excellent anyway.
pub(crate) const EXACT_MAX_SAMPLES: usize = 100;

/// Deterministic PRNG (Steele, Lea and Flood's SplitMix64), so that the tests'
/// random samples are reproducible from a fixed seed. Small, fast, and good enough
/// for resampling; not for anything an adversary may see.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

#[cfg(test)]
impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`) with no index favoured: Lemire's multiply-shift
    /// with rejection of the few values that would bias it.
    pub(crate) fn below(&mut self, n: usize) -> usize {
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
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How much larger the values of `a` are than those of `b`, as a ratio, with the
/// interval that goes with the rank test ([`shift_ratio`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shift {
    /// The Hodges–Lehmann estimate: the median of all m·n ratios a_i / b_j, the
    /// typical ratio of a value of `a` to a value of `b`.
    pub ratio: f64,
    /// The interval's ends, two of those ratios; NaN when the samples are too few
    /// for the confidence asked.
    pub low: f64,
    pub high: f64,
}

/// The Hodges–Lehmann shift of `a` over `b` on a ratio scale, and its
/// distribution-free `confidence` interval (Bauer 1972, often called Moses'
/// interval): the k-th smallest and k-th largest of the m·n ratios a_i / b_j, where
/// k comes from the distribution of Mann–Whitney's U ([`u_counts`], exact to
/// [`EXACT_MAX_SAMPLES`] samples in all, then the normal approximation with
/// continuity correction). It is the set of ratios r for which the rank test would
/// not tell `a / r` from `b`, so it excludes 1 exactly when [`mann_whitney_p`] is
/// below 1 - `confidence` (without ties).
///
/// Why not a bootstrap interval of the ratio of medians: its coverage is not known
/// (with 2 runs a side one was labelled 95 %), and a median of runs that fall into
/// two clusters (a pool whose workers sometimes share a core) jumps between them, and
/// its bootstrap interval is wide; this estimate uses every pair of runs, so it
/// moves by a fraction of the gap instead. Its interval
/// assumes each side's runs are independent and that the two differ by a factor,
/// as a slowdown does; coverage holds for any shape of the runs' distribution.
///
/// All NaN when a side is empty or holds a value that is not a finite positive
/// timing. Cost: O((m + n) log) per order statistic, found by bisection on the
/// ratio with a linear count; the m·n ratios are never stored.
pub(crate) fn shift_ratio(a: &[f64], b: &[f64], confidence: f64) -> Shift {
    let none = Shift {
        ratio: f64::NAN,
        low: f64::NAN,
        high: f64::NAN,
    };
    let timing = |x: &f64| x.is_finite() && *x > 0.0;
    if a.is_empty() || b.is_empty() || !a.iter().all(timing) || !b.iter().all(timing) {
        return none;
    }
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let (a, b) = (sorted(a), sorted(b));
    let pairs = a.len() * b.len();
    let ratio = if pairs % 2 == 1 {
        kth_ratio(&a, &b, pairs / 2)
    } else {
        // The middle two on a log scale, so that a ratio and its inverse agree.
        (kth_ratio(&a, &b, pairs / 2 - 1) * kth_ratio(&a, &b, pairs / 2)).sqrt()
    };
    let cut = interval_cut(a.len(), b.len(), confidence);
    let (low, high) = if cut == 0 {
        (f64::NAN, f64::NAN)
    } else {
        (kth_ratio(&a, &b, cut - 1), kth_ratio(&a, &b, pairs - cut))
    };
    Shift { ratio, low, high }
}

/// The rank k (from 1) of a `confidence` interval's low end among the m·n pairwise
/// ratios of `m` and `n` samples, its high end being the k-th largest: the largest k
/// with P(U < k) at most (1 - `confidence`) / 2, as the interval then covers with
/// probability 1 - 2 P(U < k). 0 when even the extreme ratios cannot reach it.
fn interval_cut(m: usize, n: usize, confidence: f64) -> usize {
    let tail = ((1.0 - confidence) / 2.0).clamp(0.0, 0.5);
    let most = (m * n).div_ceil(2);
    if m + n <= EXACT_MAX_SAMPLES {
        let counts = u_counts(m, n);
        let total = counts.iter().sum::<i128>() as f64;
        let mut below = 0;
        let mut k = 0;
        while k < most && (below + counts[k]) as f64 / total <= tail {
            below += counts[k];
            k += 1;
        }
        return k;
    }
    let (mf, nf) = (m as f64, n as f64);
    let sd = (mf * nf * (mf + nf + 1.0) / 12.0).sqrt();
    let k = (mf * nf / 2.0 + 0.5 - normal_quantile(1.0 - tail) * sd).floor();
    (k.max(0.0) as usize).min(most)
}

/// The `k`-th smallest (from 0) of the ratios a_i / b_j, both sides sorted
/// ascending and positive: the smallest ratio r with more than k ratios at most r.
fn kth_ratio(a: &[f64], b: &[f64], k: usize) -> f64 {
    let at_most = |r: f64| {
        // As b_j grows, a_i / b_j shrinks: the i that qualify are a growing prefix.
        let mut i = 0;
        let mut count = 0;
        for &bj in b {
            while i < a.len() && a[i] / bj <= r {
                i += 1;
            }
            count += i;
        }
        count
    };
    let (mut lo, mut hi) = (a[0] / b[b.len() - 1], a[a.len() - 1] / b[0]);
    if at_most(lo) > k {
        return lo;
    }
    // at_most(lo) <= k < at_most(hi): the answer is in (lo, hi], and once no float
    // lies between the two, it is hi.
    loop {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            return hi;
        }
        if at_most(mid) > k {
            hi = mid;
        } else {
            lo = mid;
        }
    }
}

/// The standard normal quantile: z with Φ(z) = `p`, by bisection on [`erfc`]
/// (accurate to its 1.2e-7).
fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if 0.5 * erfc(-mid / std::f64::consts::SQRT_2) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// Two-sided Mann–Whitney U test: the probability of a rank difference at least
/// this large between `a` and `b` if both came from one distribution.
///
/// Exact when there are no ties and at most [`EXACT_MAX_SAMPLES`] samples in all;
/// otherwise the normal approximation with tie correction and continuity correction.
/// 1.0 when either side has fewer than 2 samples or every value is equal.
pub(crate) fn mann_whitney_p(a: &[f64], b: &[f64]) -> f64 {
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
fn exact_p(u: usize, m: usize, n: usize) -> f64 {
    let counts = u_counts(m, n);
    let total: i128 = counts.iter().sum();
    // The distribution is symmetric about mn/2: take the nearer tail, then double.
    let tail_end = u.min(m * n - u);
    let tail: i128 = counts[..=tail_end].iter().sum();
    (2.0 * tail as f64 / total as f64).min(1.0)
}

/// How many of the C(m + n, m) orderings of `m` and `n` untied samples give U = k,
/// for k = 0..=mn.
///
/// The count is the coefficient of q^k in the Gaussian binomial
/// [m + n choose m]_q = Π_{i=1..m} (1 - q^(n+i)) / (1 - q^i), built one factor at a
/// time; after each step the polynomial is [n + i choose i]_q, so every division is
/// exact.
fn u_counts(m: usize, n: usize) -> Vec<i128> {
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
    counts
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
pub(crate) fn outliers(samples: &[f64]) -> Vec<usize> {
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
pub(crate) fn coefficient_of_variation(samples: &[f64]) -> f64 {
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

    /// The m·n ratios a_i / b_j, sorted: what [`shift_ratio`] finds without storing.
    fn all_ratios(a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut r: Vec<f64> = a
            .iter()
            .flat_map(|x| b.iter().map(move |y| x / y))
            .collect();
        r.sort_by(f64::total_cmp);
        r
    }

    #[test]
    fn interval_ranks_match_the_published_critical_values_of_u() {
        // Two-sided 0.05 critical values of U (the largest U that rejects), from the
        // standard tables: 4/4 → 0, 5/5 → 2, 8/12 → 22, 10/10 → 23, 20/20 → 127. The
        // interval's low end is the ratio of rank critical value + 1.
        for (m, n, critical) in [
            (4, 4, 0),
            (5, 5, 2),
            (8, 12, 22),
            (10, 10, 23),
            (20, 20, 127),
        ] {
            assert_eq!(interval_cut(m, n, 0.95), critical + 1, "{m} against {n}");
        }
        // 3 a side, or 3 against 4, cannot reach 95 %: no ordering is that rare.
        assert_eq!(interval_cut(3, 3, 0.95), 0);
        assert_eq!(interval_cut(3, 4, 0.95), 0);
        // Past the exact range the normal approximation takes over: within one rank
        // of the exact count (60 a side is still exact inside an i128).
        let counts = u_counts(60, 60);
        let total = counts.iter().sum::<i128>() as f64;
        let (mut below, mut exact) = (0, 0);
        while (below + counts[exact]) as f64 / total <= 0.025 {
            below += counts[exact];
            exact += 1;
        }
        let approximate = interval_cut(60, 60, 0.95);
        assert!(
            approximate.abs_diff(exact) <= 1,
            "{approximate} against {exact}"
        );
    }

    #[test]
    fn shift_ratio_is_the_median_and_order_statistics_of_all_ratios() {
        let mut rng = SplitMix64::new(5);
        // Exact range, normal range, odd and even pair counts, heavy ties.
        for (m, n) in [(4, 4), (5, 7), (9, 9), (10, 31), (60, 61), (130, 97)] {
            let draw = |rng: &mut SplitMix64, k: usize| -> Vec<f64> {
                (0..k)
                    .map(|_| 0.02 + (rng.below(40) as f64) * 0.0007)
                    .collect()
            };
            let (a, b) = (draw(&mut rng, m), draw(&mut rng, n));
            let ratios = all_ratios(&a, &b);
            let shift = shift_ratio(&a, &b, 0.95);
            let mid = ratios.len() / 2;
            let median = if ratios.len() % 2 == 1 {
                ratios[mid]
            } else {
                (ratios[mid - 1] * ratios[mid]).sqrt()
            };
            assert_eq!(shift.ratio, median, "{m} against {n}");
            let k = interval_cut(m, n, 0.95);
            assert!(k >= 1);
            assert_eq!(shift.low, ratios[k - 1], "{m} against {n}");
            assert_eq!(shift.high, ratios[ratios.len() - k], "{m} against {n}");
            assert!(shift.low <= shift.ratio && shift.ratio <= shift.high);
        }
    }

    #[test]
    fn shift_ratio_finds_a_scaled_copy_and_says_when_it_cannot() {
        let slower: Vec<f64> = RUNS.iter().map(|x| x * 1.1).collect();
        let shift = shift_ratio(&slower, &RUNS, 0.95);
        assert!(close(shift.ratio, 1.1, 1e-12), "{shift:?}");
        assert!(shift.low > 1.0 && shift.high < 1.25, "{shift:?}");
        // Inverse order, inverse ratio.
        let back = shift_ratio(&RUNS, &slower, 0.95);
        assert!(close(back.ratio * shift.ratio, 1.0, 1e-12), "{back:?}");
        // 4 a side: the whole range of ratios, at 97 % coverage.
        let (a, b) = ([1.0, 2.0, 3.0, 4.0], [1.0, 1.5, 2.5, 5.0]);
        let shift = shift_ratio(&a, &b, 0.95);
        assert_eq!((shift.low, shift.high), (1.0 / 5.0, 4.0));
        // 3 a side cannot reach 95 %: an estimate, no interval.
        let shift = shift_ratio(&a[..3], &b[..3], 0.95);
        assert!(shift.ratio.is_finite() && shift.low.is_nan() && shift.high.is_nan());
        // Nothing to compare, or not a timing.
        assert!(shift_ratio(&[], &RUNS, 0.95).ratio.is_nan());
        assert!(shift_ratio(&[0.0, 1.0], &RUNS, 0.95).ratio.is_nan());
        assert!(shift_ratio(&[f64::NAN, 1.0], &RUNS, 0.95).ratio.is_nan());
    }

    #[test]
    fn shift_ratio_steadier_than_the_ratio_of_medians_for_two_clusters() {
        // A pool whose runs fall near 25.0 or 27.8 ms, the current build exactly
        // 10 % slower, the split between clusters 11 against 10 then 10 against 11:
        // the median jumps from one cluster to the other, the pairwise estimate does
        // not.
        let runs = |low: usize, high: usize| -> Vec<f64> {
            let mut v: Vec<f64> = (0..low).map(|i| 25.0 + 0.01 * i as f64).collect();
            v.extend((0..high).map(|i| 27.8 + 0.01 * i as f64));
            v
        };
        let baseline = runs(10, 11);
        let current: Vec<f64> = runs(11, 10).iter().map(|x| x * 1.1).collect();
        let medians = median(&current) / median(&baseline);
        let shift = shift_ratio(&current, &baseline, 0.95);
        assert!(medians < 1.0, "{medians}");
        assert!(shift.ratio > 1.05, "{shift:?}");
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
