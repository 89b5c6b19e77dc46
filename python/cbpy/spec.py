"""The run spec: the one line of JSON concbench writes on stdin, parsed and checked.

The spec is the Rust `RunSpec` (src/worker/protocol.rs), serialised by serde:

    {"strategy": "py-threads", "workers": 5, "job": JOB}

    JOB = {"workload": "cpu", "kernel": "squares" | "fib", "numbers": [5000000, ...]}
        | {"workload": "io", "urls": ["http://127.0.0.1:PORT/0", ...],
           "client": {"timeout": {"secs": 10, "nanos": 0},
                      "max_body_bytes": 4194304, "no_proxy": true},
           "concurrency": 256}

Everything is checked before anything runs, and a bad spec is a `SpecError` whose
message names the field (`job.numbers[2]: ...`). Unknown fields are ignored, as
serde does by default.
"""

import json
from dataclasses import dataclass
from typing import Union
from urllib.parse import urlsplit

STRATEGIES = ("py-sequential", "py-threads", "py-asyncio", "py-processes")
KERNELS = ("squares", "fib")


class SpecError(Exception):
    """The run spec is malformed; the message names the field at fault."""


@dataclass(frozen=True)
class CpuJob:
    """Run `kernel` once per number; results in input order."""

    kernel: str
    numbers: list[int]


@dataclass(frozen=True)
class ClientSettings:
    """How every HTTP client of a run is built (the Rust `ClientSettings`)."""

    #: Deadline of one request, from connect to the last body byte, in seconds.
    timeout_s: float
    #: A longer body is a `body_too_large` failure and is not read further.
    max_body_bytes: int
    #: Ignore the proxy environment variables (set for the loopback target).
    no_proxy: bool


@dataclass(frozen=True)
class IoJob:
    """GET every URL once; outcomes in input order."""

    urls: list[str]
    client: ClientSettings
    #: The most requests in flight at once in the asyncio model.
    concurrency: int


@dataclass(frozen=True)
class TasksJob:
    #: Tasks held at once.
    tasks: int
    #: Seconds each task sleeps once all are started.
    wait_s: float


@dataclass(frozen=True)
class RunSpec:
    strategy: str
    #: Threads or processes of the pool; ignored by py-sequential and py-asyncio.
    workers: int
    job: Union[CpuJob, IoJob, TasksJob]


def parse(text):
    """The spec in `text` (one JSON document), checked; raises `SpecError`."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SpecError(f"the run spec is not JSON: {error}") from None
    spec = _object(data, "the run spec")
    strategy = _field(spec, "strategy", "")
    if strategy not in STRATEGIES:
        raise SpecError(
            "strategy: expected one of {}, got {}".format(", ".join(STRATEGIES), _show(strategy))
        )
    workers = _integer(_field(spec, "workers", ""), "workers", minimum=1)
    job = _object(_field(spec, "job", ""), "job")
    workload = _field(job, "workload", "job.")
    if workload == "cpu":
        parsed = _cpu_job(job)
    elif workload == "io":
        parsed = _io_job(job)
    elif workload == "tasks":
        parsed = _tasks_job(job)
    else:
        raise SpecError(f'job.workload: expected "cpu", "io" or "tasks", got {_show(workload)}')
    return RunSpec(strategy=strategy, workers=workers, job=parsed)


def _cpu_job(job):
    kernel = _field(job, "kernel", "job.")
    if kernel not in KERNELS:
        raise SpecError(f'job.kernel: expected "squares" or "fib", got {_show(kernel)}')
    numbers = _list(_field(job, "numbers", "job."), "job.numbers")
    return CpuJob(
        kernel=kernel,
        numbers=[_integer(n, f"job.numbers[{i}]", minimum=0) for i, n in enumerate(numbers)],
    )


def _tasks_job(job):
    tasks = _integer(_field(job, "tasks", "job."), "job.tasks", minimum=1)
    wait = _field(job, "wait", "job.")
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
        raise SpecError(f"job.wait: expected seconds, 0 or more, got {_show(wait)}")
    return TasksJob(tasks=tasks, wait_s=float(wait))


def _io_job(job):
    urls = _list(_field(job, "urls", "job."), "job.urls")
    for index, url in enumerate(urls):
        _check_url(url, f"job.urls[{index}]")
    client = _object(_field(job, "client", "job."), "job.client")
    timeout = _object(_field(client, "timeout", "job.client."), "job.client.timeout")
    secs = _integer(_field(timeout, "secs", "job.client.timeout."), "job.client.timeout.secs", 0)
    nanos = _integer(_field(timeout, "nanos", "job.client.timeout."), "job.client.timeout.nanos", 0)
    if nanos >= 1_000_000_000:
        raise SpecError(f"job.client.timeout.nanos: expected less than 1000000000, got {nanos}")
    if secs == 0 and nanos == 0:
        raise SpecError("job.client.timeout: must be more than 0")
    no_proxy = _field(client, "no_proxy", "job.client.")
    if not isinstance(no_proxy, bool):
        raise SpecError(f"job.client.no_proxy: expected true or false, got {_show(no_proxy)}")
    settings = ClientSettings(
        timeout_s=secs + nanos / 1e9,
        max_body_bytes=_integer(
            _field(client, "max_body_bytes", "job.client."), "job.client.max_body_bytes", 0
        ),
        no_proxy=no_proxy,
    )
    concurrency = _integer(_field(job, "concurrency", "job."), "job.concurrency", minimum=1)
    return IoJob(urls=list(urls), client=settings, concurrency=concurrency)


def _check_url(url, where):
    if not isinstance(url, str):
        raise SpecError(f"{where}: expected a URL string, got {_show(url)}")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise SpecError(f"{where}: {_show(url)} is not a URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise SpecError(f"{where}: {_show(url)} is not an http or https URL")
    if not parts.hostname:
        raise SpecError(f"{where}: {_show(url)} has no host")


def _field(obj, name, prefix):
    if name not in obj:
        raise SpecError(f"{prefix}{name}: missing")
    return obj[name]


def _object(value, where):
    if not isinstance(value, dict):
        raise SpecError(f"{where}: expected a JSON object, got {_show(value)}")
    return value


def _list(value, where):
    if not isinstance(value, list):
        raise SpecError(f"{where}: expected a JSON array, got {_show(value)}")
    return value


def _integer(value, where, minimum):
    # bool is an int in Python, never in JSON.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{where}: expected an integer >= {minimum}, got {_show(value)}")
    return value


def _show(value):
    """A value as JSON, cut short: error messages stay one short line."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
