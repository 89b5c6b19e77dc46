//! The CPU job: for each number n, the exact sum of i*i for i in 0..n (or fib(35)).
//!
//! The kernel has to *run*: written as `(0..n).map(|i| i * i).sum()` the optimiser
//! turns it into the closed form n(n-1)(2n-1)/6 and the whole default job takes half
//! a microsecond, which would time nothing. [`sum_of_squares`] passes every `i` through
//! [`std::hint::black_box`], so the loop performs n multiply-adds (`cargo bench --bench
//! core` shows time growing linearly with n). The closed form is still here, in
//! [`expected_sum_of_squares`], as the check every result is verified against.

use std::hint::black_box;

use serde::{Deserialize, Serialize};

/// The argument of the fib kernel, as in the newer version of the classic experiment.
pub const FIB_ARG: u64 = 35;

/// What is computed for each number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Sum of i*i over 0..n, as u128.
    Squares,
    /// Naive recursive fib(n): ~30 million calls for n = 35.
    Fib,
}

impl Kernel {
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Squares => "squares",
            Kernel::Fib => "fib",
        }
    }

    /// Runs the kernel on one number. This is the unit of work every model schedules.
    pub fn run(self, n: u64) -> u128 {
        match self {
            Kernel::Squares => sum_of_squares(n),
            Kernel::Fib => u128::from(fib(n)),
        }
    }

    /// The right answer for `n`, computed without running the kernel; `None` when it
    /// does not fit the result type (such inputs are refused before anything runs).
    pub fn expected(self, n: u64) -> Option<u128> {
        match self {
            Kernel::Squares => expected_sum_of_squares(n),
            Kernel::Fib => fib_closed(n).map(u128::from),
        }
    }
}

/// Sum of i*i for i in 0..n, one multiply-add per i, really executed.
///
/// The caller guarantees the sum fits in u128 (see [`expected_sum_of_squares`]).
pub fn sum_of_squares(n: u64) -> u128 {
    let mut total: u128 = 0;
    for i in 0..n {
        // black_box hides the value of `i` from the optimiser, so it can neither use
        // the closed form nor vectorise the loop away.
        let i = u128::from(black_box(i));
        total += i * i;
    }
    total
}

/// n(n-1)(2n-1)/6, exactly, or `None` when the sum overflows u128.
///
/// The divisions by 2 and 3 are taken out of the factors before multiplying, so the
/// product never overflows unless the result itself does.
pub fn expected_sum_of_squares(n: u64) -> Option<u128> {
    if n == 0 {
        return Some(0);
    }
    let mut factors = [u128::from(n), u128::from(n) - 1, 2 * u128::from(n) - 1];
    // One of n, n-1 is even; one of the three factors is divisible by 3.
    let even = if factors[0] % 2 == 0 { 0 } else { 1 };
    factors[even] /= 2;
    let third = factors.iter().position(|f| f % 3 == 0)?;
    factors[third] /= 3;
    factors[0].checked_mul(factors[1])?.checked_mul(factors[2])
}

/// Naive recursive fib: the textbook CPU-bound function, deliberately exponential.
pub fn fib(n: u64) -> u64 {
    fn go(n: u64) -> u64 {
        if n < 2 { n } else { go(n - 1) + go(n - 2) }
    }
    go(black_box(n))
}

/// fib(n) by iteration, as the check; `None` past fib(93), the last that fits u64.
pub fn fib_closed(n: u64) -> Option<u64> {
    if n == 0 {
        return Some(0);
    }
    let (mut a, mut b) = (0u64, 1u64); // fib(i - 1), fib(i), from i = 1 up to n
    for _ in 1..n {
        (a, b) = (b, a.checked_add(b)?);
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_matches_closed_form() {
        for n in [0, 1, 2, 3, 10, 1000, 12_345] {
            assert_eq!(
                Some(sum_of_squares(n)),
                expected_sum_of_squares(n),
                "n = {n}"
            );
        }
        assert_eq!(expected_sum_of_squares(4), Some(14)); // 0 + 1 + 4 + 9
    }

    #[test]
    fn closed_form_is_exact_near_the_top_and_refuses_overflow() {
        // Largest n whose sum fits u128, found by bisection on the exact formula.
        let (mut lo, mut hi) = (1u64, u64::MAX);
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if expected_sum_of_squares(mid).is_some() {
                lo = mid
            } else {
                hi = mid
            }
        }
        assert!(expected_sum_of_squares(lo).is_some());
        assert!(expected_sum_of_squares(lo + 1).is_none());
        assert!(expected_sum_of_squares(u64::MAX).is_none());
        // Where the plain formula still fits, both agree.
        let n = 1_000_000_007u128;
        let plain = n * (n - 1) * (2 * n - 1) / 6;
        assert_eq!(expected_sum_of_squares(1_000_000_007), Some(plain));
    }

    #[test]
    fn fib_matches_iteration() {
        for n in 0..25 {
            assert_eq!(Some(fib(n)), fib_closed(n));
        }
        assert_eq!(fib_closed(93).map(|f| f > 0), Some(true));
        assert_eq!(fib_closed(94), None);
    }
}
