"""The CPython models, one file each, with the same two functions:

    run_cpu(job, workers) -> ModelRun
    run_io(job, workers, http) -> ModelRun      # http: the client kind to build

and py-threads and py-asyncio, which hold N tasks at once, a third:

    run_tasks(job) -> ModelRun                  # outputs: the tasks OUTCOME (tasks.py)

- py-sequential, `sequential.py`: a loop; one `requests.Session`.
- py-threads, `threads.py`: `ThreadPoolExecutor.map`; a session per thread.
- py-asyncio, `asyncio_gather.py`: coroutines under `asyncio.gather` (the CPU job
  still one at a time); one `aiohttp.ClientSession`, bounded by a semaphore.
- py-processes, `processes.py`: `multiprocessing.Pool.map`; a session per process,
  made by the pool's initializer.

The timing rule is the Rust side's (src/strategy/mod.rs): the run's wall clock
starts just before a model is called, so before its own set-up (creating the
executor, the event loop, the pool, the session), and stops when it returns, after
its teardown (executor shut down, session closed, pool closed and joined). Set-up
ends when every worker is running and ready for work; each model measures it
itself and returns it. At that instant, and again when the work ends before
teardown, a model calls `census.mark()`: both are instants at which every thread it
started is alive. A failed request is an output; an exception out of a model means
the model itself broke, and fails the run.

The HTTP modules are imported inside `run_io`, never at the top of a model: a CPU
run then carries no HTTP library in its start-up or its memory. (main.py has already
imported the one an I/O run needs, before the clock started.)
"""

import importlib
from dataclasses import dataclass, field

#: How long workers may take to check in before the run fails instead of hanging.
START_TIMEOUT_S = 60.0

MODULES = {
    "py-sequential": "sequential",
    "py-threads": "threads",
    "py-asyncio": "asyncio_gather",
    "py-processes": "processes",
}

#: The HTTP client kind each model builds: blocking or async.
ASYNC = ("py-asyncio",)


class RunError(Exception):
    """The model itself broke (a pool that could not start); the run fails."""


@dataclass
class ModelRun:
    #: One per item, in input order: ints (cpu) or FETCH records (io).
    outputs: list
    #: The model's set-up alone, included in the run's wall time.
    setup_s: float
    #: The census of each worker process the model started, in order.
    workers: list[dict] = field(default_factory=list)


def load(strategy):
    """The module of `strategy` (one of spec.STRATEGIES)."""
    return importlib.import_module("." + MODULES[strategy], __name__)
