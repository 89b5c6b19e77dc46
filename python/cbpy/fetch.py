"""What every HTTP client of the harness shares: one request's outcome.

A request's outcome is a FETCH record, as the Rust side's `Fetch`
(src/workload/io.rs):

    {"bytes": N, "latency_s": F, "started_s": F, "digest": CRC32 | null,
     "failure": null | "connect" | "timeout" | "status" | "body_too_large" | "other"}

- `started_s` is CLOCK_MONOTONIC when the request is sent: the same system-wide
  clock the Rust models read, so start times from every thread and process of a run
  line up. `latency_s` runs from then to the last body byte, or to the failure.
- `digest` is `zlib.crc32` of the whole body as it came off the wire (every client
  asks for `Accept-Encoding: identity` and decodes nothing), so it equals the Rust
  clients' CRC-32 of the same body.
- The settings' timeout is a deadline for the whole request, connect to last body
  byte (`Clock`), not a limit per read: a server trickling one byte every 100 ms
  times out.
- Failures are classified as the Rust side does: no connection (refused,
  unreachable, DNS) is `connect`; the deadline passed is `timeout`; a status other
  than 2xx is `status`; a body over `max_body_bytes`, by Content-Length or while it
  streams, is `body_too_large`; anything else (a connection cut mid-body, a protocol
  or TLS error, too many redirects) is `other`. A failed request is data: the clients
  return it, never raise it.
"""

import time
import zlib
from urllib.parse import quote, urlsplit

CONNECT = "connect"
TIMEOUT = "timeout"
STATUS = "status"
BODY_TOO_LARGE = "body_too_large"
OTHER = "other"

#: Bytes asked for per read of a body.
READ_SIZE = 64 * 1024
#: Redirects followed before a request counts as `other` (aiohttp's default; the
#: standard-library clients follow it too).
MAX_REDIRECTS = 10
REDIRECTS = (301, 302, 303, 307, 308)
#: Sent by the standard-library clients.
USER_AGENT = "concbench-py"


class Failure(Exception):
    """Ends one request with a failure kind; caught by the client, never escapes it."""

    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def _now():
    """The machine's monotonic clock, the one the Rust side reads (so spans from
    every process and both languages line up)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class Clock:
    """The clock and deadline of one request, started just before it is sent. One
    clock for both ends: a span is (started_s, started_s + latency_s) exactly, so
    the spans of a sequential client never overlap or fall short."""

    def __init__(self, timeout_s):
        self.started_s = _now()
        self.deadline = self.started_s + timeout_s

    def left(self):
        """Seconds left before the deadline; a `timeout` failure when none are."""
        left = self.deadline - _now()
        if left <= 0:
            raise Failure(TIMEOUT)
        return left

    def expired(self):
        return _now() >= self.deadline

    def ok(self, body):
        return self._fetch(body.bytes, body.digest, None)

    def failed(self, kind):
        return self._fetch(0, None, kind)

    def _fetch(self, size, digest, failure):
        return {
            "bytes": size,
            "latency_s": _now() - self.started_s,
            "started_s": self.started_s,
            "digest": digest,
            "failure": failure,
        }


class Body:
    """Counts and hashes a body as it streams; refuses it past the cap."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.digest = 0  # zlib.crc32 of b"", the digest of an empty body

    def add(self, chunk):
        self.bytes += len(chunk)
        if self.bytes > self.max_bytes:
            raise Failure(BODY_TOO_LARGE)
        self.digest = zlib.crc32(chunk, self.digest)


def refuse_head(status, length, max_bytes):
    """Refuses a response before its body is read: a status other than 2xx, or a
    declared length over the cap (a body without one is checked as it streams)."""
    if not 200 <= status < 300:
        raise Failure(STATUS)
    if length is not None and length > max_bytes:
        raise Failure(BODY_TOO_LARGE)


def content_length(value):
    """A Content-Length header's value as an int, or None when absent or garbled."""
    try:
        length = int(value)
    except (TypeError, ValueError):
        return None
    return length if length >= 0 else None


class Origin:
    """Where a URL's request goes, and what its request line and Host header say;
    for the standard-library clients, which do their own URL handling."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        default = 443 if self.https else 80
        self.port = parts.port or default
        self.key = (parts.scheme, self.host, self.port)
        host = f"[{self.host}]" if ":" in self.host else self.host
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
        self.host_header = host if self.port == default else f"{host}:{self.port}"
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        # What a request line cannot carry raw is sent %-encoded, as requests does.
        self.target = quote(target, safe="/?@!$&'()*+,;=:%~[]")


def proxied_urls(urls, settings):
    """The URLs that the proxy environment variables send through a proxy, which
    the standard-library clients cannot do: a run must refuse them rather than
    quietly measure a direct connection."""
    if settings.no_proxy:
        return []
    from urllib.request import getproxies, proxy_bypass

    proxies = getproxies()
    return [
        url
        for url in urls
        if urlsplit(url).scheme in proxies and not proxy_bypass(urlsplit(url).hostname)
    ]
