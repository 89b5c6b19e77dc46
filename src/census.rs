//! What a process of a measured run used, as the process itself reads it from `/proc`.
//!
//! Four figures per process, all taken by the process about itself, so nothing the
//! parent did can leak into them:
//!
//! - **threads started**: every thread this process created since it was executed,
//!   however briefly it lived. This module defines `pthread_create` itself (glibc
//!   Linux), counts each thread that starts, and passes the call on to the C
//!   library's own (`dlsym(RTLD_NEXT)`). std, tokio, rayon and ureq all start their
//!   threads through `pthread_create`, so a thread a model does not name (a client's
//!   resolver thread, say) cannot hide between two looks at `/proc`. A measured run
//!   is a fresh process, so the count is that run's.
//! - **threads alive at once**: the most seen. The models call [`mark`] at the two
//!   instants where every thread they start is alive: when set-up ends (every worker
//!   running and ready) and when the work ends, before teardown. [`mark`] counts the
//!   entries of `/proc/self/task` and keeps the largest count seen. A sampler thread
//!   would see more instants, but it would be a hidden thread of its own, which is
//!   exactly what the census exists to rule out; the count of threads started is what
//!   catches short-lived threads.
//! - **kernel CPU**: the CPU time this process's threads spent inside the CPU job's
//!   kernel ([`crate::workload::cpu::Kernel::run`] adds it), so a run can check that
//!   the same work cost the same in every model.
//! - **memory**, two ways. *Proportional* (PSS, the `Pss:` line of
//!   `/proc/self/smaps_rollup`), read at the same instants as the threads and at the
//!   end, the largest kept: a page shared by k processes counts 1/k in each, so summed
//!   over a run's processes a shared page counts once. This is the figure a run's
//!   memory is: pool workers forked from one parent, or running one binary, share
//!   most of their pages, and their own peaks would count those pages in every
//!   worker. *Own peak* (`VmHWM` from `/proc/self/status`), the peak resident set of
//!   this process's own address space, shared pages included; unlike `ru_maxrss` it
//!   starts afresh at `exec`. Reading PSS walks the process's page tables (about a
//!   tenth of a millisecond for a small process), paid at the same instants by every
//!   model.
//!
//! The measured run process and every pool worker report a [`ProcessCensus`] before
//! they exit; a run's memory is the sum over its processes ([`RunCensus`]).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// The largest thread count [`mark`] has seen in this process.
static PEAK_THREADS: AtomicUsize = AtomicUsize::new(0);
/// Threads created in this process, counted by [`thread_counter`]'s `pthread_create`.
static THREADS_STARTED: AtomicUsize = AtomicUsize::new(0);
/// CPU nanoseconds spent in the CPU kernel, over every thread of this process.
static KERNEL_CPU_NS: AtomicU64 = AtomicU64::new(0);
/// The largest proportional set size [`mark`] has read, in bytes.
static PEAK_PSS: AtomicU64 = AtomicU64::new(0);

/// What one process of a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessCensus {
    /// The most threads alive at once, as counted by [`mark`].
    pub threads: usize,
    /// Threads this process started beside its main thread, however short-lived;
    /// `None` where the process cannot count them (another platform, or a Python
    /// process).
    #[serde(default)]
    pub threads_started: Option<usize>,
    /// CPU time its threads spent in the CPU kernel, in nanoseconds (0 for io).
    #[serde(default)]
    pub kernel_cpu_ns: u64,
    /// The process's own peak resident memory (`VmHWM`), in bytes: shared pages
    /// count in full.
    pub peak_rss_bytes: u64,
    /// The largest proportional set size read at the census instants, in bytes: a
    /// page shared by k processes counts 1/k. `None` where it cannot be read.
    #[serde(default)]
    pub pss_bytes: Option<u64>,
}

/// Every process of one run: the run process first, then its worker processes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCensus {
    pub processes: Vec<ProcessCensus>,
    /// At most this many worker processes were alive at once (`spawn`, which starts
    /// one per task); `None` when all of them were (a pool).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub workers_at_once: Option<usize>,
}

impl RunCensus {
    /// The run's memory: the sum of every process's own peak — of the run process and
    /// of as many of its workers as were alive at once, the largest ones.
    pub fn memory_bytes(&self) -> u64 {
        let Some((run, workers)) = self.processes.split_first() else {
            return 0;
        };
        let mut peaks: Vec<u64> = workers.iter().map(|p| p.peak_rss_bytes).collect();
        peaks.sort_unstable_by(|a, b| b.cmp(a));
        let counted = self.workers_at_once.unwrap_or(peaks.len());
        run.peak_rss_bytes + peaks.iter().take(counted).sum::<u64>()
    }

    /// The run's memory with each shared page counted once: the sum of every
    /// process's proportional set size — of the run process and of as many of its
    /// workers as were alive at once, the largest ones; `None` when a process could
    /// not read it.
    pub fn memory_pss_bytes(&self) -> Option<u64> {
        let (run, workers) = self.processes.split_first()?;
        let mut pss: Vec<u64> = workers.iter().map(|p| p.pss_bytes).collect::<Option<_>>()?;
        pss.sort_unstable_by(|a, b| b.cmp(a));
        let counted = self.workers_at_once.unwrap_or(pss.len());
        Some(run.pss_bytes? + pss.iter().take(counted).sum::<u64>())
    }

    /// The peak of the largest single process.
    pub fn largest_process_bytes(&self) -> u64 {
        self.processes
            .iter()
            .map(|p| p.peak_rss_bytes)
            .max()
            .unwrap_or(0)
    }

    /// Threads per process, in order.
    pub fn threads(&self) -> Vec<usize> {
        self.processes.iter().map(|p| p.threads).collect()
    }

    /// Threads started per process, in order.
    pub fn threads_started(&self) -> Vec<Option<usize>> {
        self.processes.iter().map(|p| p.threads_started).collect()
    }

    /// CPU seconds spent in the CPU kernel, over every process of the run.
    pub fn kernel_cpu_s(&self) -> f64 {
        self.processes.iter().map(|p| p.kernel_cpu_ns).sum::<u64>() as f64 * 1e-9
    }
}

/// Counts this process's threads and reads its proportional set size now, and keeps
/// each if it is the largest yet.
pub fn mark() {
    if let Some(now) = threads_now() {
        PEAK_THREADS.fetch_max(now, Ordering::Relaxed);
    }
    if let Some(pss) = pss_bytes() {
        PEAK_PSS.fetch_max(pss, Ordering::Relaxed);
    }
}

/// This process's census: the peak thread count marked so far (at least the thread
/// counted now), the threads it started, its kernel CPU and its memory peak.
pub fn this_process() -> ProcessCensus {
    mark();
    ProcessCensus {
        threads: PEAK_THREADS.load(Ordering::Relaxed).max(1),
        threads_started: threads_started(),
        kernel_cpu_ns: kernel_cpu_ns(),
        peak_rss_bytes: peak_rss_bytes().unwrap_or(0),
        pss_bytes: Some(PEAK_PSS.load(Ordering::Relaxed)).filter(|&pss| pss > 0),
    }
}

/// Another process's census, read now from `/proc/PID` by its parent: its threads
/// alive, its peak resident memory and its proportional set size at this instant.
/// The threads it started are not known from outside (`None`). For the task
/// processes of the tasks job, all read at the one instant when every task waits.
pub fn of_process(pid: u32) -> Option<ProcessCensus> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let threads = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())?;
    Some(ProcessCensus {
        threads,
        threads_started: None,
        kernel_cpu_ns: 0,
        peak_rss_bytes: parse_kib_field(&status, "VmHWM:")?,
        pss_bytes: parse_kib_field(&rollup, "Pss:"),
    })
}

/// Threads this process has started since it was executed (beside its main thread);
/// `None` where they cannot be counted.
pub fn threads_started() -> Option<usize> {
    thread_counter::COUNTING.then(|| THREADS_STARTED.load(Ordering::Relaxed))
}

/// CPU time of the calling thread, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the pointer refers to a live local of the right type.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (now.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(now.tv_nsec as u64)
}

/// Adds CPU time spent in the CPU kernel to this process's account.
pub fn add_kernel_cpu(ns: u64) {
    KERNEL_CPU_NS.fetch_add(ns, Ordering::Relaxed);
}

/// CPU time spent in the CPU kernel by this process so far, in nanoseconds.
pub fn kernel_cpu_ns() -> u64 {
    KERNEL_CPU_NS.load(Ordering::Relaxed)
}

/// Counts every thread the process starts, by standing in for `pthread_create`.
///
/// An executable's own definition of a symbol takes precedence over the C library's,
/// so std's (and every crate's) calls to `pthread_create` arrive here; the C
/// library's function is looked up once with `dlsym(RTLD_NEXT)` and called with the
/// same arguments. Only threads that really started are counted. Threads the C
/// library starts for itself without `pthread_create` (none that concbench uses)
/// would not be.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod thread_counter {
    use std::ffi::{c_int, c_void};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::THREADS_STARTED;

    /// Threads are counted on this platform.
    pub(super) const COUNTING: bool = true;

    type StartRoutine = extern "C" fn(*mut c_void) -> *mut c_void;
    type PthreadCreate = unsafe extern "C" fn(
        *mut libc::pthread_t,
        *const libc::pthread_attr_t,
        StartRoutine,
        *mut c_void,
    ) -> c_int;

    /// The C library's `pthread_create`, once found (0 until then).
    static REAL: AtomicUsize = AtomicUsize::new(0);

    /// # Safety
    /// The caller upholds `pthread_create`'s contract; this only counts and forwards.
    #[unsafe(no_mangle)]
    pub(super) unsafe extern "C" fn pthread_create(
        thread: *mut libc::pthread_t,
        attr: *const libc::pthread_attr_t,
        start: StartRoutine,
        arg: *mut c_void,
    ) -> c_int {
        let mut real = REAL.load(Ordering::Acquire);
        if real == 0 {
            // SAFETY: a C string literal; RTLD_NEXT finds the next definition after
            // this executable's, the C library's.
            real = unsafe { libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr()) } as usize;
            if real == 0 {
                return libc::ENOSYS;
            }
            REAL.store(real, Ordering::Release);
        }
        // SAFETY: `real` is the address of the C library's pthread_create, whose
        // signature is the one declared here.
        let real: PthreadCreate = unsafe { std::mem::transmute::<usize, PthreadCreate>(real) };
        // SAFETY: forwarded unchanged from our caller.
        let status = unsafe { real(thread, attr, start, arg) };
        if status == 0 {
            THREADS_STARTED.fetch_add(1, Ordering::Relaxed);
        }
        status
    }
}

/// Elsewhere threads are not counted.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod thread_counter {
    pub(super) const COUNTING: bool = false;
}

/// Threads alive in this process now: the entries of `/proc/self/task`.
pub fn threads_now() -> Option<usize> {
    let entries = std::fs::read_dir("/proc/self/task").ok()?;
    Some(entries.filter(|e| e.is_ok()).count())
}

/// `VmHWM` of this process, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&status, "VmHWM:")
}

/// The proportional set size of this process now (`Pss:` of
/// `/proc/self/smaps_rollup`), in bytes.
pub fn pss_bytes() -> Option<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    parse_kib_field(&rollup, "Pss:")
}

/// A `Name:   1234 kB` line of `/proc/PID/status`, in bytes.
fn parse_kib_field(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// User + system CPU seconds used so far by this process (all its threads) and by
/// the children it has reaped, from `getrusage`. Read at both ends of a timed
/// region, the difference is the CPU of exactly that region: the pool workers and
/// the task processes of a run are started and reaped inside it.
pub fn cpu_used_s() -> f64 {
    let used = |who| {
        // SAFETY: an all-zero rusage is a valid value of this plain C struct, and
        // the pointer refers to a live local of the right type.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut usage) };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        seconds(usage.ru_utime) + seconds(usage.ru_stime)
    };
    used(libc::RUSAGE_SELF) + used(libc::RUSAGE_CHILDREN)
}

/// Seconds on the system-wide monotonic clock: comparable between the processes of one
/// machine, so request start times from pool workers line up with the run's own.
pub fn monotonic_s() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the pointer refers to a live local of the right type.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_parse_to_bytes() {
        let status = "Name:\tx\nVmPeak:\t  10 kB\nVmHWM:\t    2048 kB\nThreads:\t1\n";
        assert_eq!(parse_kib_field(status, "VmHWM:"), Some(2048 * 1024));
        assert_eq!(parse_kib_field(status, "VmRSS:"), None);
        assert_eq!(parse_kib_field("VmHWM: lots kB", "VmHWM:"), None);
    }

    #[test]
    fn this_process_is_counted() {
        let census = this_process();
        assert!(census.threads >= 1);
        assert!(census.peak_rss_bytes > 0);
        let pss = census.pss_bytes.expect("smaps_rollup is readable");
        assert!(pss > 0 && pss <= census.peak_rss_bytes, "{pss}");
    }

    #[test]
    fn a_run_sums_its_processes() {
        let run = RunCensus {
            processes: vec![
                ProcessCensus {
                    threads: 1,
                    threads_started: Some(0),
                    kernel_cpu_ns: 2_000,
                    peak_rss_bytes: 4 << 20,
                    pss_bytes: Some(4 << 19),
                },
                ProcessCensus {
                    threads: 1,
                    threads_started: Some(0),
                    kernel_cpu_ns: 3_000,
                    peak_rss_bytes: 3 << 20,
                    pss_bytes: Some(3 << 19),
                },
            ],
            workers_at_once: None,
        };
        assert_eq!(run.memory_bytes(), 7 << 20);
        assert_eq!(run.memory_pss_bytes(), Some(7 << 19));
        assert_eq!(run.largest_process_bytes(), 4 << 20);
        assert_eq!(run.threads(), vec![1, 1]);
        assert!((run.kernel_cpu_s() - 5e-6).abs() < 1e-15);
    }

    /// Threads that start and end between two looks at `/proc` are still counted.
    /// (Other tests of this binary start threads too, so the count is at least.)
    #[test]
    fn short_lived_threads_are_counted_as_started() {
        let before = threads_started().unwrap();
        for _ in 0..5 {
            std::thread::spawn(|| ()).join().unwrap();
        }
        assert!(threads_started().unwrap() >= before + 5);
    }

    #[test]
    fn a_process_per_task_counts_only_those_alive_at_once() {
        let process = |mib: u64| ProcessCensus {
            threads: 1,
            threads_started: Some(0),
            kernel_cpu_ns: 0,
            peak_rss_bytes: mib << 20,
            pss_bytes: Some(mib << 19),
        };
        let run = RunCensus {
            processes: vec![process(4), process(2), process(3), process(5), process(1)],
            workers_at_once: Some(2),
        };
        assert_eq!(run.memory_bytes(), (4 + 5 + 3) << 20);
        assert_eq!(run.memory_pss_bytes(), Some((4 + 5 + 3) << 19));
    }
}
