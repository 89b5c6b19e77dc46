//! The CPU job: for each number n, the exact sum of i*i for i in 0..n (or fib(35)).
//!
//! Owns the two kernels, the single entry every model calls ([`Kernel::run`]), and
//! the closed forms every result is checked against.
//!
//! **The loop really runs.** Written as `(0..n).map(|i| i * i).sum()` the optimiser
//! turns the sum into the closed form n(n-1)(2n-1)/6 and the whole default job takes
//! half a microsecond, which would time nothing. The kernels here perform n
//! multiply-adds, and fib(n)'s ~fib(n) calls, every time (`cargo bench --bench core`
//! shows time growing linearly with n). The closed form is still here, in
//! [`expected_sum_of_squares`], as the check every result is verified against.
//!
//! **One copy, at one address, with its hot loop aligned.** concbench compares the
//! same work under different models, so the work must cost the same in each. A
//! kernel that the compiler inlines into every model gets one copy per model, each
//! at its own address, and a loop's speed depends on where it lands: on an AMD EPYC
//! the same seven instructions ran 1.7× faster in the copy that did not cross a
//! 32-byte boundary, and the table claimed a 3.4× speedup on 2 cores. This is the
//! measurement bias of code layout (Mytkowicz et al., "Producing wrong data without
//! doing anything obviously wrong!", ASPLOS 2009), and a harness that compares models
//! must rule it out by construction, not by a build flag a user's `cargo install`
//! never sees. So:
//!
//! - every model, the pool worker and the process-per-task worker call
//!   [`Kernel::run`], which is never inlined and calls [`sum_of_squares`] or [`fib`],
//!   which are never inlined either: one copy of each kernel in the binary;
//! - on x86-64 each kernel's hot code is written out in assembly, so its bytes do not
//!   depend on the compiler's mood, and starts on a 64-byte boundary (`.p2align 6`),
//!   so its speed does not move when unrelated code before it grows or shrinks. The
//!   squares loop is seven instructions (20 bytes) and never crosses a 32- or 64-byte
//!   boundary; fib's recursive body is entered at an aligned label;
//! - elsewhere the same algorithms are plain Rust with [`std::hint::black_box`],
//!   out of line; alignment then is the compiler's.
//!
//! Every cpu run also checks that this held: [`Kernel::run`] adds the CPU time its
//! thread spent in the kernel to the process's census ([`crate::census`]), and the
//! analysis compares each model's kernel CPU per item with sequential's.

#[cfg(not(target_arch = "x86_64"))]
use std::hint::black_box;

use serde::{Deserialize, Serialize};

use crate::census;

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

    /// Runs the kernel on one number: the unit of work every model schedules, and the
    /// one way any model reaches a kernel. For an item large enough to time
    /// ([`Kernel::timed`]) the CPU time this thread spent in the kernel is added to
    /// the process's census ([`census::add_kernel_cpu`]).
    #[inline(never)]
    pub fn run(self, n: u64) -> u128 {
        let compute = |n| match self {
            Kernel::Squares => sum_of_squares(n),
            Kernel::Fib => u128::from(fib(n)),
        };
        if !self.timed(n) {
            return compute(n);
        }
        let before = census::thread_cpu_ns();
        let result = compute(n);
        census::add_kernel_cpu(census::thread_cpu_ns().saturating_sub(before));
        result
    }

    /// Whether [`Kernel::run`] times this item: only items of about 50 µs of work and
    /// more. A thread's CPU clock is a system call, not a vDSO read (about a
    /// microsecond each on a KVM guest), so two of them around a microsecond's work
    /// would multiply every model's cost; the self-check ignores such items anyway.
    pub fn timed(self, n: u64) -> bool {
        match self {
            Kernel::Squares => n >= 100_000,
            Kernel::Fib => n >= 22,
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
#[inline(never)]
pub fn sum_of_squares(n: u64) -> u128 {
    #[cfg(target_arch = "x86_64")]
    {
        let (low, high): (u64, u64);
        // SAFETY: register arithmetic only: no memory, no stack, no flags kept.
        // `.p2align 6` pads with no-ops, run once per call, so that the loop starts
        // on a 64-byte boundary in every build (see the module docs).
        unsafe {
            std::arch::asm!(
                "xor {low:e}, {low:e}",
                "xor {high:e}, {high:e}",
                "xor {i:e}, {i:e}",
                "test {n}, {n}",
                "jz 3f",
                ".p2align 6",
                "2:",
                "mov rax, {i}",
                "mul rax",
                "add {low}, rax",
                "adc {high}, rdx",
                "inc {i}",
                "cmp {i}, {n}",
                "jne 2b",
                "3:",
                n = in(reg) n,
                i = out(reg) _,
                low = out(reg) low,
                high = out(reg) high,
                out("rax") _,
                out("rdx") _,
                options(nomem, nostack),
            );
        }
        (u128::from(high) << 64) | u128::from(low)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut total: u128 = 0;
        for i in 0..n {
            // black_box hides the value of `i` from the optimiser, so it can neither
            // use the closed form nor vectorise the loop away.
            let i = u128::from(black_box(i));
            total += i * i;
        }
        total
    }
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
#[inline(never)]
pub fn fib(n: u64) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        fib_x86_64(n)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fn go(n: u64) -> u64 {
            if n < 2 { n } else { go(n - 1) + go(n - 2) }
        }
        go(black_box(n))
    }
}

/// fib(n) = fib(n - 1) + fib(n - 2), fib(0) = 0, fib(1) = 1, by two recursive calls
/// per call, as the Python version does. The entry jumps to a 64-byte aligned label,
/// and the recursion calls that label, so every call but the first runs from an
/// aligned start in every build.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
extern "sysv64" fn fib_x86_64(n: u64) -> u64 {
    // rdi: n on entry; rax: the result. rbx and r14 are callee-saved, so they are
    // pushed and popped around the two calls. Nothing else is called, so the stack
    // needs no more than the return addresses and the two saved registers.
    std::arch::naked_asm!(
        "jmp 2f",
        ".p2align 6",
        "2:",
        "cmp rdi, 2",
        "jb 3f",
        "push rbx",
        "push r14",
        "mov rbx, rdi",
        "lea rdi, [rdi - 1]",
        "call 2b",
        "mov r14, rax",
        "lea rdi, [rbx - 2]",
        "call 2b",
        "add rax, r14",
        "pop r14",
        "pop rbx",
        "ret",
        "3:",
        "mov rax, rdi",
        "ret",
    )
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
        // Past 2^64 the carry into the high half must be taken.
        let n = 5_000_000;
        assert!(expected_sum_of_squares(n).unwrap() > u128::from(u64::MAX));
        assert_eq!(Some(sum_of_squares(n)), expected_sum_of_squares(n));
    }

    /// The CPU time of every kernel call large enough to time is counted in the
    /// process's census, so a run can compare the cost of the same work across models.
    #[test]
    fn a_kernel_call_adds_its_cpu_time_to_the_census() {
        let before = census::kernel_cpu_ns();
        assert_eq!(
            Kernel::Squares.run(3_000_000),
            expected_sum_of_squares(3_000_000).unwrap()
        );
        assert_eq!(Kernel::Fib.run(24), 46368);
        // Other tests in this binary run kernels too, so only the growth is known.
        assert!(census::kernel_cpu_ns() > before);
        // Items of a few microseconds are not timed: the clock would cost more.
        assert!(Kernel::Squares.timed(100_000) && !Kernel::Squares.timed(99_999));
        assert!(Kernel::Fib.timed(22) && !Kernel::Fib.timed(21));
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
