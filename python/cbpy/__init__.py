"""concbench's Python half: the classic CPython versions of the experiment.

One measured run per interpreter: `concbench_py.py` reads a run spec on stdin, runs
one model once, and prints a run sample on stdout. The modules:

- `main`: the run itself: read the spec, run the model by the timing rule, print
  the sample (or one `error:` line); `--version-info`.
- `spec`: the run spec, parsed and checked into plain objects.
- `cpu`: the CPU job's two kernels, as the article writes them.
- `fetch`: what every HTTP client shares: one request's clock and deadline, the body
  count and CRC-32, the failure kinds.
- `http_blocking`: `requests` (the article's) or `http.client`, for the blocking models.
- `http_async`: `aiohttp` (the article's) or an asyncio-streams GET, for asyncio.
- `census`: threads and peak memory per process, from /proc; interpreter start-up.
- `lifeline`: a run and its pool workers die with their parent.
- `models/`: one file per concurrency model.
"""
