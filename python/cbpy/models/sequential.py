"""py-sequential: one thing at a time, as the article's first version.

CPU: a loop. I/O: a loop over one `requests.Session` (or the `http.client`
fallback), which keeps its connection alive from one request to the next.

Set-up is creating the session (nothing at all for the CPU job); teardown is
closing it. **Census:** 1 process, 1 thread.
"""

from time import perf_counter

from .. import census, cpu
from . import ModelRun


def run_cpu(job, workers):
    started = perf_counter()
    kernel = cpu.KERNELS[job.kernel]
    census.mark()
    setup_s = perf_counter() - started
    outputs = [kernel(number) for number in job.numbers]
    census.mark()
    return ModelRun(outputs, setup_s)


def run_io(job, workers, http):
    from .. import http_blocking

    started = perf_counter()
    client = http_blocking.make_client(job.client, http)
    try:
        census.mark()
        setup_s = perf_counter() - started
        outputs = [client.fetch(url) for url in job.urls]
        census.mark()
    finally:
        client.close()
    return ModelRun(outputs, setup_s)
