"""py-threads: the article's `ThreadPoolExecutor`, `workers` threads.

CPU: `executor.map(kernel, numbers)`. The GIL lets one thread run Python at a time,
so this is no faster than the loop: the lesson of the article. I/O:
`executor.map(fetch, urls)`, each thread with its own session from a
`threading.local`, as in the article; the GIL is released while a thread waits on
its socket, so `workers` requests are in flight at once.

Set-up is creating the executor and starting every one of its threads, each with its
session made: the executor starts threads lazily, one per task submitted while none
is idle, so `_start_every_thread` submits one check-in task per worker, and the
check-ins wait for each other at a barrier (which the main thread joins), so none
is idle before all exist. Teardown is `executor.shutdown(wait=True)` (leaving the
`with`), then closing every thread's session.

**Census:** 1 process, `workers` + 1 threads: the workers and the main thread,
which waits for them.

Tasks: a `threading.Thread` per task (CPython's default stack), each waiting at a
start gate (an `Event`) until all are started, then sleeping the wait and handing
back its index. When the OS refuses a thread (`RuntimeError: can't start new
thread`), none more is started, the gate sends the others home at once, every one
is joined, and the outcome says how many were running and why.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter

from .. import census, cpu
from . import START_TIMEOUT_S, ModelRun


def run_cpu(job, workers):
    started = perf_counter()
    kernel = cpu.KERNELS[job.kernel]
    with ThreadPoolExecutor(max_workers=workers) as executor:
        _start_every_thread(executor, workers, lambda: None)
        setup_s = perf_counter() - started
        outputs = list(executor.map(kernel, job.numbers))
        census.mark()
    return ModelRun(outputs, setup_s)


def run_io(job, workers, http):
    from .. import http_blocking

    started = perf_counter()
    thread_local = threading.local()
    clients = []  # every thread's client, closed at teardown

    def get_client():
        if not hasattr(thread_local, "client"):
            thread_local.client = http_blocking.make_client(job.client, http)
            clients.append(thread_local.client)
        return thread_local.client

    def fetch(url):
        return get_client().fetch(url)

    try:
        with ThreadPoolExecutor(max_workers=workers) as executor:
            _start_every_thread(executor, workers, get_client)
            setup_s = perf_counter() - started
            outputs = list(executor.map(fetch, job.urls))
            census.mark()
    finally:
        for client in clients:
            client.close()
    return ModelRun(outputs, setup_s)


def _start_every_thread(executor, workers, init):
    """Starts all `workers` threads of `executor`, each having run `init`; returns
    when every one is running and ready."""
    barrier = threading.Barrier(workers + 1, timeout=START_TIMEOUT_S)

    def check_in():
        try:
            init()
        finally:
            barrier.wait()  # also after a failed init: the error is raised below

    checked_in = [executor.submit(check_in) for _ in range(workers)]
    barrier.wait()
    census.mark()
    for future in checked_in:
        future.result()


def run_tasks(job):
    from .. import tasks

    gate = threading.Event()
    go = [True]
    returned = []  # list.append is atomic under the GIL
    threads = []
    refused = None

    def task(index):
        gate.wait()
        if go[0]:
            time.sleep(job.wait_s)
        returned.append(index)

    first = perf_counter()
    for index in range(job.tasks):
        thread = threading.Thread(target=task, args=(index,), daemon=True)
        try:
            thread.start()
        except RuntimeError as error:
            refused = {"at": len(threads), "reason": str(error)}
            break
        threads.append(thread)
    start_s = perf_counter() - first
    census.mark()
    go[0] = refused is None
    opened = perf_counter()
    gate.set()
    for thread in threads:
        thread.join()
    back_s = perf_counter() - opened
    census.mark()
    tally = tasks.Tally(job.tasks)
    for index in returned:
        tally.record(index)
    return ModelRun(tally.outcome(len(threads), start_s, back_s, refused), 0.0)
