"""The blocking HTTP client of py-sequential, py-threads and py-processes.

The article's `requests.Session` when `requests` can be imported (with urllib3 2,
whose responses can be read one socket read at a time), else the same GET on
`http.client`. `CONCBENCH_PY_HTTP=stdlib` forces the standard library. Both clients:

- keep one connection alive per host and reuse it (a `Session`'s pool; one
  `HTTPConnection` per origin), retrying once on a fresh connection when a kept-alive
  one turns out to have been closed by the server before any answer came;
- hold the whole request to a deadline (`fetch.Clock`): the connect and the wait for
  the headers get the time left when the request is sent, and every read of the body
  gets the time left at that read, reading at most one socket read's worth (`read1`),
  so a trickling body times out on time. (A server trickling its *headers* is only
  bounded per read, by the time left when the request was sent: neither library
  lets a caller in between header reads.);
- follow redirects, ask for `Accept-Encoding: identity` and hash the body as sent;
- ignore the proxy environment variables when the settings say `no_proxy`. Otherwise
  `requests` uses them; `http.client` cannot, and such a run is refused up front
  (`fetch.proxied_urls`).

A client is used by one thread at a time: py-threads makes one per thread.
"""

import http.client
import os
import socket
import ssl
from urllib.parse import urljoin

from .fetch import (
    CONNECT,
    MAX_REDIRECTS,
    OTHER,
    READ_SIZE,
    REDIRECTS,
    TIMEOUT,
    USER_AGENT,
    Body,
    Clock,
    Failure,
    Origin,
    content_length,
    refuse_head,
)

REQUESTS = "requests"
STDLIB = "http.client"


def backend():
    """The client this interpreter will use: "requests" or "http.client"."""
    if os.environ.get("CONCBENCH_PY_HTTP") == "stdlib":
        return STDLIB
    try:
        import requests  # noqa: F401
        import urllib3.response
    except ImportError:
        return STDLIB
    if not hasattr(urllib3.response.HTTPResponse, "read1"):  # urllib3 1.x
        return STDLIB
    return REQUESTS


def make_client(settings, name):
    """A client of kind `name` (from `backend()`) built with `settings`."""
    return RequestsClient(settings) if name == REQUESTS else StdlibClient(settings)


class RequestsClient:
    """One `requests.Session`, as in the article."""

    def __init__(self, settings):
        import requests
        import urllib3.exceptions

        self._exceptions = requests.exceptions
        self._new_connection_error = urllib3.exceptions.NewConnectionError
        self._read_timeout = urllib3.exceptions.TimeoutError
        self._settings = settings
        self._session = requests.Session()
        self._session.trust_env = not settings.no_proxy
        self._session.headers["Accept-Encoding"] = "identity"

    def fetch(self, url):
        clock = Clock(self._settings.timeout_s)
        response = None
        try:
            left = clock.left()
            response = self._session.get(url, stream=True, timeout=(left, left))
            refuse_head(
                response.status_code,
                content_length(response.headers.get("Content-Length")),
                self._settings.max_body_bytes,
            )
            body = Body(self._settings.max_body_bytes)
            while True:
                _set_timeout(_socket_of(response.raw), clock.left())
                chunk = response.raw.read1(READ_SIZE)
                if not chunk:
                    break
                body.add(chunk)
            # Read to the end: the connection goes back to the pool, kept alive.
            response.raw.release_conn()
            response = None
            return clock.ok(body)
        except Failure as failure:
            return clock.failed(failure.kind)
        except Exception as error:
            return clock.failed(TIMEOUT if clock.expired() else self._kind(error))
        finally:
            if response is not None:
                response.close()  # a body not read to its end: drop the connection

    def _kind(self, error):
        if isinstance(error, self._exceptions.SSLError):
            return OTHER
        # Checked before timeouts: urllib3's NewConnectionError is, for history's
        # sake, a subclass of its ConnectTimeoutError.
        if _caused_by(error, self._new_connection_error):
            return CONNECT
        if isinstance(error, (self._exceptions.Timeout, self._read_timeout, socket.timeout)):
            return TIMEOUT
        return OTHER

    def close(self):
        self._session.close()


def _socket_of(raw):
    """The socket under a urllib3 response: its connection's, or, once http.client
    has let go of it (a `Connection: close` response), the one its file reads."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:
        file = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(file, "raw", None), "_sock", None)
    return sock


def _set_timeout(sock, left):
    if sock is not None:
        sock.settimeout(left)


def _caused_by(error, kinds):
    """True when `error` or anything it wraps (causes, contexts, urllib3's
    `reason`, exception arguments) is one of `kinds`."""
    seen = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return True
        wrapped = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        wrapped += list(current.args)
        pending += [e for e in wrapped if isinstance(e, BaseException)]
    return False


class ConnectFailed(Exception):
    """No connection could be made (refused, unreachable, DNS)."""


class StdlibClient:
    """The same GET on `http.client`: one kept-alive connection per origin."""

    def __init__(self, settings):
        self._settings = settings
        self._connections = {}  # Origin.key -> HTTPConnection
        self._tls = None

    def fetch(self, url):
        clock = Clock(self._settings.timeout_s)
        origin = None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                origin = Origin(url)
                response, sock = self._exchange(origin, clock)
                location = response.getheader("Location")
                if response.status in REDIRECTS and location:
                    self._read_body(response, sock, clock, Body(self._settings.max_body_bytes))
                    url = urljoin(url, location)
                    continue
                refuse_head(
                    response.status,
                    content_length(response.getheader("Content-Length")),
                    self._settings.max_body_bytes,
                )
                body = Body(self._settings.max_body_bytes)
                self._read_body(response, sock, clock, body)
                return clock.ok(body)
            raise Failure(OTHER)  # too many redirects
        except Exception as error:
            if origin is not None:
                self._drop(origin)  # its state is unknown: never reuse it
            if isinstance(error, Failure):
                return clock.failed(error.kind)
            return clock.failed(TIMEOUT if clock.expired() else _stdlib_kind(error))

    def _exchange(self, origin, clock):
        """Sends the GET and reads the head; the response and its socket."""
        connection = self._connections.get(origin.key)
        reused = connection is not None and connection.sock is not None
        if connection is None:
            connection = self._new_connection(origin)
            self._connections[origin.key] = connection
        try:
            return self._send(connection, origin, clock)
        except (ConnectionError, http.client.BadStatusLine):
            if not reused:
                raise
            connection.close()  # the server had closed it while it idled: once more
            return self._send(connection, origin, clock)

    def _new_connection(self, origin):
        if not origin.https:
            return http.client.HTTPConnection(origin.host, origin.port)
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return http.client.HTTPSConnection(origin.host, origin.port, context=self._tls)

    def _send(self, connection, origin, clock):
        if connection.sock is None:
            connection.timeout = clock.left()
            try:
                connection.connect()
            except (socket.timeout, ssl.SSLError):
                raise
            except OSError as error:
                raise ConnectFailed(error) from error
        sock = connection.sock
        sock.settimeout(clock.left())
        connection.putrequest("GET", origin.target, skip_host=True)  # identity is its default
        connection.putheader("Host", origin.host_header)
        connection.putheader("User-Agent", USER_AGENT)
        connection.endheaders()
        sock.settimeout(clock.left())
        return connection.getresponse(), sock

    @staticmethod
    def _read_body(response, sock, clock, body):
        while True:
            sock.settimeout(clock.left())
            chunk = response.read1(READ_SIZE)
            if not chunk:
                if response.length:  # closed before its Content-Length was reached
                    raise Failure(OTHER)
                # read1 leaves a response read to its end open; closing it frees the
                # connection (not its socket) for the next request.
                response.close()
                return
            body.add(chunk)

    def _drop(self, origin):
        connection = self._connections.pop(origin.key, None)
        if connection is not None:
            connection.close()

    def close(self):
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


def _stdlib_kind(error):
    if isinstance(error, ConnectFailed):
        return CONNECT
    if isinstance(error, socket.timeout):
        return TIMEOUT
    return OTHER
