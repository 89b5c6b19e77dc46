"""py-asyncio: the article's asyncio version, one thread and one event loop.

I/O: one shared `aiohttp.ClientSession` (or the asyncio-streams fallback), a
coroutine per URL, all started by `asyncio.gather` and bounded by
`asyncio.Semaphore(concurrency)`. CPU: the same kernel as coroutines under `gather`.
A coroutine that never awaits runs to its end before the next starts, so this is
the sequential loop plus the event loop's overhead: it cannot be parallel, which
is the lesson. `workers` is not used: asyncio has one thread whatever it is told.

Set-up is creating the event loop (`asyncio.run`) and the session; teardown is
closing the session and then the loop.

**Census:** 1 process, 1 thread (with IP addresses for hosts; see http_async).

Tasks: a task per task (`asyncio.create_task` of a coroutine that sleeps the wait
and returns its index), gathered. Creating a task does not run it, so none starts
before all exist: the event loop is the start gate. Memory is read then.
"""

import asyncio
from time import perf_counter

from .. import census, cpu
from . import ModelRun


def run_cpu(job, workers):
    return asyncio.run(_cpu(job, perf_counter()))


def run_io(job, workers, http):
    return asyncio.run(_io(job, http, perf_counter()))


async def _cpu(job, started):
    kernel = cpu.KERNELS[job.kernel]
    census.mark()
    setup_s = perf_counter() - started

    async def compute(number):
        return kernel(number)

    outputs = await asyncio.gather(*(compute(number) for number in job.numbers))
    census.mark()
    return ModelRun(list(outputs), setup_s)


async def _io(job, http, started):
    from .. import http_async

    client = http_async.make_client(job.client, job.concurrency, http)
    try:
        semaphore = asyncio.Semaphore(job.concurrency)
        census.mark()
        setup_s = perf_counter() - started

        async def fetch(url):
            async with semaphore:
                return await client.fetch(url)

        outputs = await asyncio.gather(*(fetch(url) for url in job.urls))
        census.mark()
    finally:
        await client.close()
    return ModelRun(list(outputs), setup_s)


def run_tasks(job):
    return asyncio.run(_tasks(job))


async def _tasks(job):
    from .. import tasks

    async def task(index):
        await asyncio.sleep(job.wait_s)
        return index

    first = perf_counter()
    pending = [asyncio.create_task(task(index)) for index in range(job.tasks)]
    start_s = perf_counter() - first
    census.mark()
    opened = perf_counter()
    returned = await asyncio.gather(*pending)
    back_s = perf_counter() - opened
    census.mark()
    tally = tasks.Tally(job.tasks)
    for index in returned:
        tally.record(index)
    return ModelRun(tally.outcome(len(pending), start_s, back_s), 0.0)
