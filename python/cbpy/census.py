"""What each process of a run used, read from /proc, and how long start-up took.

The same two figures as the Rust side's census (src/census.rs), per process:

- **threads**: the most threads alive at once, counted from /proc/PID/task at the
  instants when every thread a model starts is alive: when its set-up ends and when
  its work ends, before teardown. The models call `mark()` for this process and
  `Workers.mark()` for their pool worker processes. No sampler thread: it would be a
  hidden thread of its own, the very thing the census exists to rule out.
- **peak_rss_bytes**: `VmHWM` from /proc/PID/status, the process's own peak resident
  set, in bytes, read as late as the process can be seen: for this process after
  teardown; for a pool worker by the parent, after the work and just before the pool
  is closed (the figure is the worker's own; the parent only reads it). A page shared
  with other processes (a forked parent's) counts in full.
- **pss_bytes**: the proportional set size (`Pss:` of /proc/PID/smaps_rollup), read
  at the same instants as the threads and at the end, the largest kept: a page shared
  by k processes counts 1/k, so summed over a run's processes a page forked from the
  parent counts once. This is what a run's memory is.

`startup_s()` is the interpreter's start-up as the kernel saw it: from the process's
start time (/proc/self/stat field 22, in clock ticks since boot, so 10 ms
resolution) to now, on CLOCK_BOOTTIME.
"""

import os
import time

_peak_threads = 0
_peak_pss = 0


def threads_of(pid="self"):
    """Threads alive in process `pid` now, or None when it cannot be read."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None


def peak_rss_bytes(pid="self"):
    """`VmHWM` of process `pid` in bytes, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # "VmHWM:   1234 kB"
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_used_s():
    """User + system CPU seconds of this process and its reaped children so far, as
    src/census.rs's `cpu_used_s`: read around the timed region, the difference is
    that region's CPU, pool workers included (they are reaped inside it)."""
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def pss_bytes(pid="self"):
    """The proportional set size of process `pid` now, in bytes, or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024  # "Pss:   1234 kB"
    except (OSError, ValueError, IndexError):
        return None
    return None


def mark():
    """Counts this process's threads and reads its PSS now, keeping each if it is
    the largest."""
    global _peak_threads, _peak_pss
    _peak_threads = max(_peak_threads, threads_of() or 0)
    _peak_pss = max(_peak_pss, pss_bytes() or 0)


def this_process():
    """This process's census: the peak thread count marked (at least the threads
    alive now) and its memory peak."""
    mark()
    return {
        "threads": max(_peak_threads, 1),
        "peak_rss_bytes": peak_rss_bytes() or 0,
        "pss_bytes": _peak_pss or None,
    }


class Workers:
    """The census of a pool's worker processes, read by the parent from /proc/PID."""

    def __init__(self, pids):
        self._peaks = {pid: 0 for pid in pids}
        self._pss = {pid: 0 for pid in pids}

    def mark(self):
        for pid in self._peaks:
            self._peaks[pid] = max(self._peaks[pid], threads_of(pid) or 0)
            self._pss[pid] = max(self._pss[pid], pss_bytes(pid) or 0)

    def report(self):
        """One census per worker, in the order of the pids given; call it while the
        workers are still alive."""
        self.mark()
        return [
            {
                "threads": max(peak, 1),
                "peak_rss_bytes": peak_rss_bytes(pid) or 0,
                "pss_bytes": self._pss[pid] or None,
            }
            for pid, peak in self._peaks.items()
        ]


def startup_s():
    """Seconds since this process started, by the kernel's account."""
    try:
        with open("/proc/self/stat") as stat:
            text = stat.read()
        # The command name (field 2) may hold spaces: count fields after its ")".
        fields = text[text.rindex(")") + 2 :].split()
        started = int(fields[22 - 3]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0
