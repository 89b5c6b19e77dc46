"""py-processes: the article's `multiprocessing.Pool`, `workers` processes.

CPU: `pool.map(kernel, numbers)`, each worker its own interpreter with its own GIL,
so this is the model that scales with cores, after paying for starting the workers
and pickling every item and result. I/O: `pool.map(fetch, urls)`, with the
article's initializer making one session per worker process. `map` keeps results in
input order; its chunk size is the default, as in the article. The start method is
the platform's default (fork on Linux up to Python 3.13, forkserver from 3.14).

Set-up is starting the pool until every worker has run its initializer and is
taking tasks: a check-in task per worker (`pool.map(_check_in, range(workers),
chunksize=1)`) waits at a barrier across the workers, so each check-in is taken by
a different worker and the map returns only when all have run their initializer.
The check-ins also bring back each worker's pid for the census. Teardown is
`pool.close()` and `pool.join()`: the workers finish and are reaped (so their CPU
time reaches concbench through this process's `wait4`).

**Census:** 1 + `workers` processes. This process has 4 threads: the main one and
the pool's three helpers (worker handler, task handler, result handler). Each worker
has 1. A worker's threads and `VmHWM` are read by this process from /proc/PID at
the end of set-up and after the work, just before the pool is closed. Note that a
forked worker's `VmHWM` starts at the size of the parent it was copied from.
"""

import multiprocessing
import os
from time import perf_counter

from .. import census, cpu, lifeline
from . import START_TIMEOUT_S, ModelRun, RunError

# One worker's state, set by its initializer: the article's global `session`.
_client = None
_init_error = None
_gate = None


def run_cpu(job, workers):
    return _run(cpu.KERNELS[job.kernel], job.numbers, workers, None, None)


def run_io(job, workers, http):
    return _run(_fetch, job.urls, workers, job.client, http)


def _run(work, items, workers, settings, http):
    started = perf_counter()
    gate = multiprocessing.Barrier(workers, timeout=START_TIMEOUT_S)
    pool = multiprocessing.Pool(workers, initializer=_init_worker, initargs=(gate, settings, http))
    try:
        checked_in = pool.map(_check_in, range(workers), chunksize=1)
        errors = [error for _, error in checked_in if error]
        if errors:
            raise RunError(f"a pool worker could not start: {errors[0]}")
        children = census.Workers([pid for pid, _ in checked_in])
        children.mark()
        census.mark()
        setup_s = perf_counter() - started
        outputs = pool.map(work, items)
        census.mark()
        children.mark()
        worker_census = children.report()
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return ModelRun(outputs, setup_s, worker_census)


def _init_worker(gate, settings, http):
    """The pool's initializer, run once in each worker before its first task. It
    must not raise: a worker whose initializer fails exits, and the pool starts
    another in its place, for ever. The error is reported by `_check_in` instead."""
    global _client, _init_error, _gate
    lifeline.die_with_parent()
    _gate = gate
    if settings is not None:
        try:
            from .. import http_blocking

            _client = http_blocking.make_client(settings, http)
        except Exception as error:
            _init_error = f"{type(error).__name__}: {error}"


def _check_in(_):
    _gate.wait()
    return os.getpid(), _init_error


def _fetch(url):
    return _client.fetch(url)
