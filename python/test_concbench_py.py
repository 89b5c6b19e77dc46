"""Tests of concbench's Python half, run the way concbench runs it.

    python3 -m unittest discover -s python        # about 15 s; 127.0.0.1 only

Every model runs in a fresh interpreter (`concbench_py.py`, a spec on stdin, a sample
on stdout), against an `http.server` on 127.0.0.1 port 0 whose bodies are
deterministic and recorded, so digests are checked against what was sent. Each I/O
run is made twice: with the clients this interpreter would pick (`requests`,
`aiohttp` when installed) and with the standard-library fallback forced
(`CONCBENCH_PY_HTTP=stdlib`). Run the suite under an interpreter that has
requests and aiohttp to test those (see README.md). The tests assert behaviour,
never speed.

`CONCBENCH_PY_OLD_PYTHON=/path/to/python3.8` also tests that an interpreter older
than 3.9 is refused in one line (skipped when it is not set and none is found).
"""

import hashlib
import http.server
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest
import zlib
from urllib.parse import parse_qs, quote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "concbench_py.py")
STRATEGIES = ("py-sequential", "py-threads", "py-asyncio", "py-processes")
#: A run that hangs fails its test after this long, instead of hanging the suite.
RUN_LIMIT_S = 60
#: The I/O runs' request deadline; the trickling server would need 5 s.
TIMEOUT_S = 0.5
MAX_BODY = 100_000
WORKERS = 3
CONCURRENCY = 4
FAILURE_KINDS = (None, "connect", "timeout", "status", "body_too_large", "other")


def body_of(path):
    """The body the test server sends for `path`: its length is the path's last
    number, its bytes depend on the whole path (query included)."""
    size = int(urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1])
    pattern = hashlib.sha256(path.encode()).digest()
    return (pattern * (size // len(pattern) + 1))[:size]


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes by the first path segment; see `TargetServer`."""

    protocol_version = "HTTP/1.1"  # keep-alive, chunked

    def log_message(self, *args):
        pass

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        for run in query.get("run", []):
            self.server.peers.setdefault(run, set()).add(self.client_address)
        route = urlsplit(self.path).path.strip("/").split("/")[0].replace("-", "_")
        getattr(self, "route_" + route)()

    def _head(self, status, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, body, status=200):
        self.server.sent[self.path] = body
        self._head(status, {"Content-Length": str(len(body))})
        self.wfile.write(body)

    def route_body(self):
        self._send(body_of(self.path))

    def route_status(self):
        self._send(b"not here\n", status=404)

    def route_redirect(self):
        target = self.path.replace("/redirect/", "/body/", 1)
        self._head(302, {"Location": target, "Content-Length": "0"})

    def route_chunked(self):
        body = body_of(self.path)
        self.server.sent[self.path] = body
        self._head(200, {"Transfer-Encoding": "chunked"})
        for start in range(0, len(body), 1000):
            chunk = body[start : start + 1000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    route_big_chunked = route_chunked

    def route_close(self):
        """No length: the body ends when the connection does."""
        body = body_of(self.path)
        self.server.sent[self.path] = body
        self._head(200, {"Connection": "close"})
        self.wfile.write(body)
        self.close_connection = True

    def route_short(self):
        """Promises a body, sends half of it and hangs up."""
        body = body_of(self.path)
        self._head(200, {"Content-Length": str(len(body))})
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True

    def route_trickle(self):
        """One byte every 100 ms: every read succeeds; only a deadline on the whole
        request stops it before the 5 s it takes to send 50 bytes."""
        self._head(200, {"Content-Length": "1000"})
        try:
            for _ in range(50):
                self.wfile.write(b"x")
                time.sleep(0.1)
        except OSError:
            pass
        self.close_connection = True


class TargetServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.sent = {}  # path -> the body sent
        self.peers = {}  # ?run= tag -> client addresses (one per connection)

    def handle_error(self, request, client_address):
        pass  # clients hanging up on the trickle, the refused bodies: expected


def run_script(spec=None, args=(), env=None, python=None):
    """Runs the script once with `spec` (an object, or the raw bytes or text) on its
    stdin; the finished process, stdout and stderr as text."""
    if spec is None:
        spec = b""
    elif isinstance(spec, str):
        spec = spec.encode()
    elif not isinstance(spec, bytes):
        spec = (json.dumps(spec) + "\n").encode()
    done = subprocess.run(
        [python or sys.executable, SCRIPT, *args],
        input=spec,
        capture_output=True,
        timeout=RUN_LIMIT_S,
        env=dict(os.environ, **(env or {})),
    )
    done.stdout = done.stdout.decode("utf-8", "replace")
    done.stderr = done.stderr.decode("utf-8", "replace")
    return done


def cpu_spec(strategy, kernel, numbers):
    job = {"workload": "cpu", "kernel": kernel, "numbers": numbers}
    return {"strategy": strategy, "workers": WORKERS, "job": job}


def io_spec(strategy, urls, concurrency=CONCURRENCY, no_proxy=True):
    client = {
        "timeout": {"secs": 0, "nanos": int(TIMEOUT_S * 1e9)},
        "max_body_bytes": MAX_BODY,
        "no_proxy": no_proxy,
    }
    job = {"workload": "io", "urls": urls, "client": client, "concurrency": concurrency}
    return {"strategy": strategy, "workers": WORKERS, "job": job}


def squares(n):
    return n * (n - 1) * (2 * n - 1) // 6


class Case(unittest.TestCase):
    def sample(self, spec, env=None):
        """The sample of one successful run, its shape checked."""
        done = run_script(spec, env=env)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.count("\n"), 1, f"one line: {done.stdout[:200]!r}")
        sample = json.loads(done.stdout)
        self.check_shape(sample, spec)
        return sample

    def check_shape(self, sample, spec):
        self.assertEqual(list(sample), ["wall_s", "setup_s", "cpu_s", "outputs", "census", "python"])
        self.assertGreaterEqual(sample["setup_s"], 0)
        self.assertGreaterEqual(sample["wall_s"], sample["setup_s"])
        # CPU over the timed region only: not the interpreter's start-up and imports.
        self.assertGreaterEqual(sample["cpu_s"], 0)
        workload = spec["job"]["workload"]
        self.assertEqual(list(sample["outputs"]), [workload])
        processes = sample["census"]["processes"]
        strategy = spec["strategy"]
        self.assertEqual(len(processes), WORKERS + 1 if strategy == "py-processes" else 1)
        for process in processes:
            self.assertEqual(sorted(process), ["peak_rss_bytes", "pss_bytes", "threads"])
            self.assertGreaterEqual(process["threads"], 1)
            self.assertGreater(process["peak_rss_bytes"], 0)
            # A page shared with other processes counts only in part.
            self.assertGreater(process["pss_bytes"], 0)
            self.assertLessEqual(process["pss_bytes"], process["peak_rss_bytes"])
        if strategy == "py-threads" and workload != "tasks":
            self.assertGreaterEqual(processes[0]["threads"], WORKERS + 1)
        python = sample["python"]
        self.assertEqual(python["version"], platform.python_version())
        self.assertEqual(python["implementation"], platform.python_implementation())
        self.assertIsInstance(python["gil"], bool)
        self.assertGreater(python["startup_s"], 0)
        if workload == "cpu":
            self.assertIsNone(python["http"])


class CpuTest(Case):
    def test_every_model_returns_the_exact_sums_in_order(self):
        numbers = [1000, 3, 0, 12_345, 1, 200_000, 2]
        for strategy in STRATEGIES:
            with self.subTest(strategy):
                sample = self.sample(cpu_spec(strategy, "squares", numbers))
                self.assertEqual(sample["outputs"]["cpu"], [squares(n) for n in numbers])

    def test_every_model_computes_fib(self):
        for strategy in STRATEGIES:
            with self.subTest(strategy):
                sample = self.sample(cpu_spec(strategy, "fib", [20, 0, 1, 2, 10, 15]))
                self.assertEqual(sample["outputs"]["cpu"], [6765, 0, 1, 1, 55, 610])

    def test_sums_beyond_64_bits_are_exact_json_integers(self):
        done = run_script(cpu_spec("py-sequential", "squares", [4_000_000]))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(f'"cpu":[{squares(4_000_000)}]', done.stdout)


class TasksTest(Case):
    def test_each_model_holding_tasks_returns_every_index_once(self):
        for strategy, threads in (("py-threads", 41), ("py-asyncio", 1)):
            with self.subTest(strategy):
                spec = {
                    "strategy": strategy,
                    "workers": WORKERS,
                    "job": {"workload": "tasks", "tasks": 40, "wait": 0.01},
                }
                sample = self.sample(spec)
                outcome = sample["outputs"]["tasks"]
                self.assertEqual(
                    {k: outcome[k] for k in ("tasks", "started", "returned", "wrong", "refused")},
                    {"tasks": 40, "started": 40, "returned": 40, "wrong": 0, "refused": None},
                )
                self.assertGreaterEqual(outcome["back_s"], 0.01)
                # A thread per task, all alive at once; or one thread for them all.
                self.assertEqual(sample["census"]["processes"][0]["threads"], threads)

    def test_the_tally_counts_repeats_and_strangers_as_wrong(self):
        from cbpy.tasks import Tally

        tally = Tally(3)
        for index in (0, 1, 1, 7):
            tally.record(index)
        outcome = tally.outcome(3, 0.0, 0.0)
        self.assertEqual((outcome["returned"], outcome["wrong"]), (2, 2))

    def test_a_pool_model_does_not_hold_tasks(self):
        spec = {
            "strategy": "py-processes",
            "workers": WORKERS,
            "job": {"workload": "tasks", "tasks": 4, "wait": 0.0},
        }
        done = run_script(spec)
        self.assertEqual(done.returncode, 1)
        self.assertIn("does not hold N tasks at once", done.stderr)


class IoTest(Case):
    @classmethod
    def setUpClass(cls):
        cls.server = TargetServer()
        threading.Thread(target=cls.server.serve_forever, args=(0.05,), daemon=True).start()
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        # Bound, never listening: connecting is refused, and no one else gets the port.
        cls.closed = socket.socket()
        cls.closed.bind(("127.0.0.1", 0))
        cls.refused_url = f"http://127.0.0.1:{cls.closed.getsockname()[1]}/body/10"
        # Every run is told to ignore proxies; this one would refuse them all.
        cls.env = {"http_proxy": cls.refused_url, "HTTP_PROXY": cls.refused_url}
        cls.env.update(no_proxy="", NO_PROXY="")
        cls.auto = json.loads(run_script(args=["--version-info"]).stdout)

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.closed.close()

    def backends(self):
        """(name, extra environment, blocking client, async client) of each client
        pair to test; the fallback alone when it is also this interpreter's pick."""
        pairs = [("auto", {}, self.auto["http_blocking"], self.auto["http_async"])]
        if pairs[0][2:] != ("http.client", "asyncio-streams"):
            pairs.append(
                ("stdlib", {"CONCBENCH_PY_HTTP": "stdlib"}, "http.client", "asyncio-streams")
            )
        return pairs

    def test_every_model_and_client_fetches_verifies_and_classifies(self):
        b = self.base
        expected = [  # url, failure (None: the body the server sent)
            (b + "/body/1000", None),
            (b + "/body/0", None),
            (b + "/body/70000", None),  # more than one read
            (f"{b}/body/{MAX_BODY}", None),  # exactly the cap
            (b + "/chunked/5000", None),
            (b + "/close/3000", None),
            (b + "/redirect/2000", None),
            (b + "/body/1000", None),  # again: a kept-alive connection
            (b + "/status/404", "status"),
            (f"{b}/body/{MAX_BODY + 1}", "body_too_large"),  # by Content-Length
            (f"{b}/big-chunked/{3 * MAX_BODY}", "body_too_large"),  # as it streams
            (b + "/short/4000", "other"),
            (b + "/trickle", "timeout"),
            (self.refused_url, "connect"),
            (b + "/body/1?x=\u00e9&y=1", None),  # a query, not ASCII
        ]
        urls = [url for url, _ in expected]
        for backend, env, blocking, asynchronous in self.backends():
            for strategy in STRATEGIES:
                with self.subTest(strategy=strategy, backend=backend):
                    before = time.clock_gettime(time.CLOCK_MONOTONIC)
                    sample = self.sample(io_spec(strategy, urls), env=dict(self.env, **env))
                    after = time.clock_gettime(time.CLOCK_MONOTONIC)
                    http = asynchronous if strategy == "py-asyncio" else blocking
                    self.assertEqual(sample["python"]["http"], http)
                    fetches = sample["outputs"]["io"]
                    self.assertEqual(len(fetches), len(urls))
                    for (url, failure), fetch in zip(expected, fetches):
                        self.check_fetch(url, failure, fetch, before, after)

    def check_fetch(self, url, failure, fetch, before, after):
        where = f"{url}: {fetch}"
        self.assertEqual(list(fetch), ["bytes", "latency_s", "started_s", "digest", "failure"])
        self.assertEqual(fetch["failure"], failure, where)
        self.assertTrue(before <= fetch["started_s"] <= after, where)
        self.assertGreaterEqual(fetch["latency_s"], 0, where)
        if failure is None:
            path = quote(url[len(self.base) :], safe="/?=&%").replace("/redirect/", "/body/")
            sent = self.server.sent[path]
            self.assertEqual(fetch["bytes"], len(sent), where)
            self.assertEqual(fetch["digest"], zlib.crc32(sent), where)
        else:
            self.assertEqual(fetch["bytes"], 0, where)
            self.assertIsNone(fetch["digest"], where)
        if failure == "timeout":
            # A deadline for the whole request: past it, but long before the 5 s
            # the trickle would take if each read had the timeout to itself.
            self.assertGreaterEqual(fetch["latency_s"], TIMEOUT_S * 0.99, where)
            self.assertLess(fetch["latency_s"], 4.0, where)

    def test_connections_are_kept_alive_and_reused(self):
        most = {"py-sequential": 1, "py-threads": WORKERS, "py-processes": WORKERS}
        for backend, env, _, _ in self.backends():
            for strategy in STRATEGIES:
                with self.subTest(strategy=strategy, backend=backend):
                    tag = f"{backend}-{strategy}"
                    urls = [f"{self.base}/body/{500 + i}?run={tag}" for i in range(12)]
                    spec = io_spec(strategy, urls, concurrency=2)
                    sample = self.sample(spec, env=dict(self.env, **env))
                    self.assertEqual([f["failure"] for f in sample["outputs"]["io"]], [None] * 12)
                    connections = len(self.server.peers[tag])
                    self.assertLessEqual(connections, most.get(strategy, 2), tag)

    def test_the_stdlib_clients_refuse_a_proxy_they_cannot_use(self):
        env = dict(self.env, CONCBENCH_PY_HTTP="stdlib")
        for strategy in ("py-sequential", "py-asyncio"):
            with self.subTest(strategy):
                done = run_script(
                    io_spec(strategy, [self.base + "/body/1"], no_proxy=False), env=env
                )
                self.assertEqual(done.returncode, 1)
                self.assertRegex(done.stderr, r"^error: .*proxy.*\n$")


class BadInputTest(unittest.TestCase):
    def test_bad_input_is_one_error_line_never_a_traceback(self):
        good = cpu_spec("py-sequential", "squares", [10])

        def spec_with(change):
            spec = json.loads(json.dumps(good))
            change(spec)
            return spec

        def bad_io(change):
            spec = io_spec("py-threads", ["http://127.0.0.1:1/"])
            change(spec["job"])
            return spec

        cases = [
            ("", "no run spec"),
            ("not json\n", "not JSON"),
            ("[1, 2]\n", "the run spec: expected a JSON object"),
            (spec_with(lambda s: s.update(strategy="py-bogus")), "strategy"),
            (spec_with(lambda s: s.update(strategy="threads")), "strategy"),
            (spec_with(lambda s: s.update(workers=0)), "workers"),
            (spec_with(lambda s: s.update(workers=True)), "workers"),
            (spec_with(lambda s: s.pop("job")), "job: missing"),
            (spec_with(lambda s: s["job"].update(workload="disk")), "job.workload"),
            (spec_with(lambda s: s["job"].update(kernel="cube")), "job.kernel"),
            (spec_with(lambda s: s["job"].update(numbers=[1, -1])), "job.numbers[1]"),
            (spec_with(lambda s: s["job"].update(numbers=[2.5])), "job.numbers[0]"),
            (spec_with(lambda s: s["job"].update(numbers="12")), "job.numbers"),
            (bad_io(lambda j: j.update(urls=["ftp://127.0.0.1/"])), "job.urls[0]"),
            (bad_io(lambda j: j.update(urls=["http:///nohost"])), "job.urls[0]"),
            (bad_io(lambda j: j.update(urls=["http://127.0.0.1:99999/"])), "job.urls[0]"),
            (bad_io(lambda j: j["client"].update(timeout={"secs": 0, "nanos": 0})), "timeout"),
            (bad_io(lambda j: j["client"].update(timeout=1.5)), "job.client.timeout"),
            (bad_io(lambda j: j["client"].update(no_proxy="yes")), "job.client.no_proxy"),
            (bad_io(lambda j: j.update(concurrency=0)), "job.concurrency"),
            (b"\xff\n", "UTF-8"),
        ]
        for spec, says in cases:
            with self.subTest(spec=spec):
                self.assert_refused(run_script(spec), says)
        self.assert_refused(run_script(good, args=["--bogus"]), "usage")
        self.assert_refused(run_script(good, env={"CONCBENCH_PY_HTTP": "yes"}), "CONCBENCH_PY_HTTP")

    def assert_refused(self, done, says):
        self.assertEqual(done.returncode, 1, done.stdout)
        self.assertEqual(done.stdout, "")
        self.assertRegex(done.stderr, r"^error: [^\n]+\n$")
        self.assertIn(says, done.stderr)


class InterpreterTest(unittest.TestCase):
    def test_version_info_names_the_interpreter_and_its_clients(self):
        done = run_script(args=["--version-info"])
        self.assertEqual(done.returncode, 0, done.stderr)
        info = json.loads(done.stdout)
        self.assertEqual(list(info), ["version", "gil", "http_blocking", "http_async", "executable"])
        self.assertEqual(info["version"], platform.python_version())
        self.assertIsInstance(info["gil"], bool)
        self.assertIn(info["http_blocking"], ("requests", "http.client"))
        self.assertIn(info["http_async"], ("aiohttp", "asyncio-streams"))
        forced = json.loads(
            run_script(args=["--version-info"], env={"CONCBENCH_PY_HTTP": "stdlib"}).stdout
        )
        self.assertEqual(
            (forced["http_blocking"], forced["http_async"]), ("http.client", "asyncio-streams")
        )

    def test_an_interpreter_older_than_3_9_is_refused_in_one_line(self):
        old = old_python()
        if old is None:
            self.skipTest("no Python older than 3.9 (set CONCBENCH_PY_OLD_PYTHON)")
        done = run_script(cpu_spec("py-sequential", "squares", [10]), python=old)
        self.assertEqual(done.returncode, 1)
        self.assertRegex(done.stderr, r"^error: [^\n]*3\.9 or newer[^\n]*\n$")


def old_python():
    """An interpreter older than 3.9, or None."""
    candidates = [os.environ.get("CONCBENCH_PY_OLD_PYTHON")]
    candidates += [shutil.which(name) for name in ("python3.8", "python3.7", "python2.7")]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info < (3, 9))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


if __name__ == "__main__":
    unittest.main()
