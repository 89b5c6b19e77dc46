//! How many runs a side a gate needs before it can fail at all.
//!
//! A row is *slower* only when the rank test's p is below `--significance`. With few
//! runs the test cannot get there, however far apart the runs are: its smallest
//! two-sided p, reached when every run of one side is slower than every run of the
//! other, is 2 / C(n + m, n) for n and m runs without ties (and 1 below 2 runs on a
//! side, where the test is not run). 3 runs a side give 0.100, 4 give 0.029, 3
//! against 5 give 0.036. A gate that can never fail passes whatever happened, so
//! [`super::compare`] and `--baseline` refuse such run counts and say what would do.
//!
//! The counts are found by asking [`mann_whitney_p`] itself about two fully
//! separated sets of runs, so they can never disagree with the test the verdict uses
//! (beyond 100 runs in all it switches to the normal approximation, whose smallest p
//! is larger than the exact one).

use crate::significance::mann_whitney_p;

/// Most runs a side searched for; a gate that needs more is told "more than this".
pub(crate) const MAX_RUNS: usize = 1000;

/// The smallest p-value the rank test can give `n` runs against `m`.
pub(crate) fn smallest_p(n: usize, m: usize) -> f64 {
    let slower: Vec<f64> = (0..n).map(|i| (m + i) as f64).collect();
    let faster: Vec<f64> = (0..m).map(|i| i as f64).collect();
    mann_whitney_p(&slower, &faster)
}

/// `n` runs against `m` can show a difference at `significance`.
pub(crate) fn can_reach(n: usize, m: usize, significance: f64) -> bool {
    smallest_p(n, m) < significance
}

/// The fewest runs that can reach `significance` against `other` runs on the other
/// side; `None` when no count up to [`MAX_RUNS`] can (`other` below 2, or a
/// significance the test cannot reach with that few on the other side).
pub(crate) fn needed_against(other: usize, significance: f64) -> Option<usize> {
    (2..=MAX_RUNS).find(|&n| can_reach(n, other, significance))
}

/// The fewest runs a side that can reach `significance` when both sides have as many.
pub(crate) fn needed_a_side(significance: f64) -> Option<usize> {
    (2..=MAX_RUNS).find(|&n| can_reach(n, n, significance))
}

/// `0.100`, or `1.2e-5` for the small ones.
pub(crate) fn show_p(p: f64) -> String {
    if p >= 0.001 {
        format!("{p:.3}")
    } else {
        format!("{p:.1e}")
    }
}

/// `1 run`, `3 runs`.
pub(crate) fn count(runs: usize) -> String {
    if runs == 1 {
        "1 run".to_string()
    } else {
        format!("{runs} runs")
    }
}

/// `5 or more`, or `more than 1000`.
pub(crate) fn or_more(runs: Option<usize>) -> String {
    match runs {
        Some(n) => format!("{n} or more"),
        None => format!("more than {MAX_RUNS}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 / C(n + m, n), by the product formula.
    fn formula(n: usize, m: usize) -> f64 {
        let choose = (1..=n).fold(1.0, |c, i| c * (m + i) as f64 / i as f64);
        (2.0 / choose).min(1.0)
    }

    #[test]
    fn smallest_p_is_two_over_the_binomial() {
        for n in 2..=12 {
            for m in 2..=12 {
                let (exact, expected) = (smallest_p(n, m), formula(n, m));
                assert!((exact - expected).abs() < 1e-12, "{n} vs {m}: {exact}");
            }
        }
        assert_eq!(smallest_p(1, 50), 1.0, "below 2 runs the test is not run");
        assert!((smallest_p(3, 3) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn three_runs_a_side_cannot_reach_five_percent_and_four_can() {
        assert!(!can_reach(3, 3, 0.05));
        assert!(can_reach(4, 4, 0.05));
        assert!(!can_reach(3, 4, 0.05), "2/35 = 0.057");
        assert!(can_reach(3, 5, 0.05), "2/56 = 0.036");
        assert_eq!(needed_a_side(0.05), Some(4));
        assert_eq!(needed_against(3, 0.05), Some(5));
        assert_eq!(needed_against(4, 0.05), Some(4));
        assert_eq!(needed_against(10, 0.05), Some(2), "2/C(12, 2) = 0.030");
        assert_eq!(needed_against(4, 0.01), Some(6), "2/C(10, 4) = 0.0095");
        assert_eq!(needed_against(1, 0.05), None);
        // Beyond 100 runs in all the test is approximate, and 2 runs on one side
        // never get below about 0.014.
        assert_eq!(needed_against(2, 0.001), Some(62));
        assert_eq!(needed_against(2, 0.0001), None);
    }

    #[test]
    fn counts_read_plainly() {
        assert_eq!(show_p(0.1), "0.100");
        assert_eq!(show_p(0.000012), "1.2e-5");
        assert_eq!(or_more(Some(5)), "5 or more");
        assert_eq!(or_more(None), "more than 1000");
        assert_eq!(
            (count(1), count(3)),
            ("1 run".to_string(), "3 runs".to_string())
        );
    }
}
