"""One measured run: read the run spec, run the model once, print the run sample.

The sample is the Rust `RunSample` (src/worker/protocol.rs) plus a `python` object,
on one line:

    {"wall_s": F, "setup_s": F,
     "outputs": {"cpu": [...]} | {"io": [FETCH, ...]} | {"tasks": OUTCOME},
     "census": {"processes": [{"threads": N, "peak_rss_bytes": N}, ...]},
     "python": {"version": "3.11.7", "implementation": "CPython", "gil": true,
                "http": "requests" | "http.client" | "aiohttp" | "asyncio-streams" | null,
                "startup_s": F}}

`wall_s` and `setup_s` follow the timing rule in models/__init__.py. `startup_s` is
everything before the model's clock starts, by the kernel's account of when this
process started: the interpreter's start-up, reading the spec, and importing the
model and its HTTP library (which would otherwise be counted nowhere, and which
concbench's Rust models do not pay at all). The HTTP modules are imported only by
I/O runs, so that a CPU run's start-up and memory carry no HTTP library.

A bad spec, a broken model or a closed stdout: one `error: ...` line on stderr and
exit status 1, never a traceback.
"""

import json
import os
import platform
import sys
from time import perf_counter

from . import census, lifeline, spec
from .models import ASYNC, RunError, load

USAGE = (
    "usage: concbench_py.py < RUN_SPEC_LINE  |  concbench_py.py --version-info "
    "(see python/README.md)"
)


class UsageError(Exception):
    pass


def main(argv):
    try:
        if argv == ["--version-info"]:
            _print_line(version_info())
            return 0
        if argv:
            raise UsageError(f"unexpected arguments {' '.join(argv)}; {USAGE}")
        if os.environ.get("CONCBENCH_PY_HTTP", "auto") not in ("auto", "stdlib"):
            raise UsageError("CONCBENCH_PY_HTTP must be auto or stdlib")
        lifeline.die_with_parent()
        _print_line(run(_read_spec()))
        return 0
    except (UsageError, spec.SpecError, RunError) as error:
        return _fail(str(error))
    except BrokenPipeError:
        # Whoever wanted the sample is gone; say so once, and let no flush at exit
        # print a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail("stdout is closed; the sample was not delivered")
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as error:
        return _fail(f"the run broke: {type(error).__name__}: {error}")


def run(run_spec):
    """Runs the model of `run_spec` once; the sample, as a dict."""
    model = load(run_spec.strategy)
    job = run_spec.job
    http = None
    if isinstance(job, spec.IoJob):
        http = _http_backend(run_spec.strategy, job)
    workers = 1 if run_spec.strategy == "py-sequential" else run_spec.workers
    startup_s = census.startup_s()
    cpu_before = census.cpu_used_s()
    started = perf_counter()
    if isinstance(job, spec.TasksJob):
        run_tasks = getattr(model, "run_tasks", None)
        if run_tasks is None:
            raise RunError(f"{run_spec.strategy} does not hold N tasks at once")
        model_run = run_tasks(job)
        workload = "tasks"
    elif http is None:
        model_run = model.run_cpu(job, workers)
        workload = "cpu"
    else:
        model_run = model.run_io(job, workers, http)
        workload = "io"
    wall_s = perf_counter() - started
    cpu_s = census.cpu_used_s() - cpu_before
    return {
        "wall_s": wall_s,
        "setup_s": model_run.setup_s,
        "cpu_s": cpu_s,
        "outputs": {workload: model_run.outputs},
        "census": {"processes": [census.this_process()] + model_run.workers},
        "python": dict(_interpreter(), http=http, startup_s=startup_s),
    }


def _http_backend(strategy, job):
    """Chooses and imports the model's HTTP client, before the clock starts."""
    from . import http_async, http_blocking
    from .fetch import proxied_urls

    if strategy in ASYNC:
        http = http_async.backend()
        stdlib = http == http_async.STREAMS
    else:
        http = http_blocking.backend()
        stdlib = http == http_blocking.STDLIB
    proxied = proxied_urls(job.urls, job.client) if stdlib else []
    if proxied:
        raise RunError(
            f"{proxied[0]} would have to go through the proxy the environment names, which the "
            f"standard-library client ({http}) cannot do: install requests and aiohttp, "
            "or unset the proxy variables"
        )
    return http


def version_info():
    """What `--version-info` prints: this interpreter and the clients it would use."""
    from . import http_async, http_blocking

    return {
        "version": platform.python_version(),
        "gil": _gil_enabled(),
        "http_blocking": http_blocking.backend(),
        "http_async": http_async.backend(),
        # The interpreter itself, past any shim (pyenv's adds ~80 ms to every start).
        "executable": sys.executable,
    }


def _interpreter():
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "gil": _gil_enabled(),
    }


def _gil_enabled():
    is_enabled = getattr(sys, "_is_gil_enabled", None)  # 3.13+
    return bool(is_enabled()) if is_enabled is not None else True


def _read_spec():
    line = sys.stdin.buffer.readline()
    if not line.strip():
        raise UsageError(f"no run spec on stdin; {USAGE}")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise spec.SpecError(f"the run spec is not UTF-8: {error}") from None
    return spec.parse(text)


def _print_line(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _fail(message):
    sys.stderr.write("error: {}\n".format(" ".join(str(message).split())))
    sys.stderr.flush()
    return 1
