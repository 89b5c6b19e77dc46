//! The defaults and bounds of the command line: what a flag means when it is left
//! out, and how large a value may be before it is a typo.
//!
//! A leaf: [`crate::cli`] states them in its help and value parsers and
//! [`crate::config`] applies them, so `cli` need not import `config`.

/// The classic experiment's first number.
pub const DEFAULT_START: u64 = 5_000_000;
/// The classic experiment's thread-pool size for downloads.
pub const DEFAULT_IO_WORKERS: usize = 5;
/// Most requests in flight at once in the async models (`--concurrency`).
pub const DEFAULT_CONCURRENCY: usize = 256;
/// The fewest measured runs by default: the CPU job is short; the I/O job's sequential
/// model waits out 160 latencies per run (8 s), so its rounds usually stop at this
/// minimum: 6 is the fewest whose median has a 95 % interval (5 reach 94 %), and more
/// than the 4 a side with which a comparison can reach p < 0.05.
pub const DEFAULT_CPU_RUNS: u32 = 10;
pub const DEFAULT_IO_RUNS: u32 = 6;
/// Without `--runs`, no model gets more measured runs than this.
pub const MAX_ROUNDS: u32 = 100;
/// The most numbers (cpu) or requests (io) one run may hold: a million items is
/// minutes of work and tens of megabytes of results; more is a typo, and would only
/// exhaust memory.
pub const MAX_ITEMS: usize = 1_000_000;
/// More workers than this is a typo, not an experiment.
pub const MAX_WORKERS: usize = 1024;
/// The largest `--body-bytes`: the built-in server builds its body once, in memory,
/// and a 100 GB one aborts it.
pub const LARGEST_BODY: usize = 1 << 30;
/// Recursive fib beyond this takes minutes per item.
pub const MAX_FIB_ARG: u64 = 45;

/// The tasks job's default sweep: tasks held at once.
pub const DEFAULT_TASK_COUNTS: [usize; 3] = [1_000, 10_000, 100_000];
/// `concbench all`'s tasks sweep: the same lesson in a shorter run.
pub const DEFAULT_ALL_TASK_COUNTS: [usize; 2] = [1_000, 10_000];
/// Most tasks held at once.
pub const MAX_TASKS: usize = 10_000_000;
/// The tasks job's measured runs per model and count, without `--runs`: each run
/// takes at least `--wait`, and the figure of interest is a slope over the counts.
pub const DEFAULT_TASKS_RUNS: u32 = 3;
