"""The asyncio model's HTTP client, shared by all its requests.

The article's `aiohttp.ClientSession` when `aiohttp` can be imported, else a GET
written on asyncio streams. `CONCBENCH_PY_HTTP=stdlib` forces the streams. Both:

- keep connections alive and reuse them (aiohttp's connector; an idle list per
  origin), the streams retrying once on a fresh connection when a kept-alive one
  turns out to have been closed by the server before any answer came;
- hold the whole request to a deadline, connect to last body byte (aiohttp's
  `ClientTimeout(total=...)`; `asyncio.wait_for` around the streams' GET);
- open as many connections as requests are in flight: the model's semaphore is the
  only bound (aiohttp's connector is given the same limit instead of its default 100);
- follow redirects, ask for `Accept-Encoding: identity` and hash the body as sent;
- ignore the proxy environment variables when the settings say `no_proxy` (aiohttp's
  `trust_env`). The streams cannot use a proxy; such a run is refused up front
  (`fetch.proxied_urls`).

With an IP address for a host, as the built-in target's 127.0.0.1, neither resolves
a name, so neither starts a thread: asyncio would resolve a host *name* on its
default executor's threads, which the census would then count.
"""

import asyncio
import os
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

AIOHTTP = "aiohttp"
STREAMS = "asyncio-streams"


def backend():
    """The client this interpreter will use: "aiohttp" or "asyncio-streams"."""
    if os.environ.get("CONCBENCH_PY_HTTP") == "stdlib":
        return STREAMS
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return STREAMS
    return AIOHTTP


def make_client(settings, concurrency, name):
    """A client of kind `name` (from `backend()`); call it inside the event loop."""
    return AiohttpClient(settings, concurrency) if name == AIOHTTP else StreamsClient(settings)


class AiohttpClient:
    """One `aiohttp.ClientSession`, as in the article."""

    def __init__(self, settings, concurrency):
        import aiohttp

        self._aiohttp = aiohttp
        self._settings = settings
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.timeout_s),
            connector=aiohttp.TCPConnector(limit=concurrency),
            trust_env=not settings.no_proxy,
            headers={"Accept-Encoding": "identity"},
            auto_decompress=False,
        )

    async def fetch(self, url):
        clock = Clock(self._settings.timeout_s)
        try:
            async with self._session.get(url) as response:
                refuse_head(response.status, response.content_length, self._settings.max_body_bytes)
                body = Body(self._settings.max_body_bytes)
                async for chunk in response.content.iter_any():
                    body.add(chunk)
                return clock.ok(body)
        except Failure as failure:
            return clock.failed(failure.kind)
        except Exception as error:
            return clock.failed(TIMEOUT if clock.expired() else self._kind(error))

    def _kind(self, error):
        if isinstance(error, self._aiohttp.ClientSSLError):
            return OTHER
        if isinstance(error, self._aiohttp.ClientConnectorError):
            return CONNECT
        if isinstance(error, asyncio.TimeoutError):
            return TIMEOUT
        return OTHER

    async def close(self):
        await self._session.close()


class ConnectFailed(Exception):
    """No connection could be made (refused, unreachable, DNS)."""


class StreamsClient:
    """The same GET on asyncio streams: HTTP/1.1, kept-alive connections per origin."""

    def __init__(self, settings):
        self._settings = settings
        self._idle = {}  # Origin.key -> [(reader, writer)]: kept alive, not in use
        self._tls = None

    async def fetch(self, url):
        clock = Clock(self._settings.timeout_s)
        try:
            return await asyncio.wait_for(self._get(url, clock), clock.left())
        except Failure as failure:
            return clock.failed(failure.kind)
        except asyncio.TimeoutError:
            return clock.failed(TIMEOUT)
        except Exception as error:
            if clock.expired():
                return clock.failed(TIMEOUT)
            return clock.failed(CONNECT if isinstance(error, ConnectFailed) else OTHER)

    async def _get(self, url, clock):
        cap = self._settings.max_body_bytes
        for _ in range(MAX_REDIRECTS + 1):
            origin = Origin(url)
            reader, writer, (status, headers, keep_alive) = await self._send(origin)
            reusable = False
            try:
                location = headers.get("location")
                if status in REDIRECTS and location:
                    reusable = await _read_body(reader, status, headers, Body(cap)) and keep_alive
                    url = urljoin(url, location)
                    continue
                refuse_head(status, content_length(headers.get("content-length")), cap)
                body = Body(cap)
                reusable = await _read_body(reader, status, headers, body) and keep_alive
                return clock.ok(body)
            finally:
                if reusable:
                    self._idle.setdefault(origin.key, []).append((reader, writer))
                else:
                    writer.close()  # also when cancelled at the deadline
        raise Failure(OTHER)  # too many redirects

    async def _send(self, origin):
        """Sends the GET on a kept-alive connection, or a new one, and reads the head."""
        reader, writer, reused = await self._take(origin)
        try:
            return reader, writer, await _exchange(reader, writer, origin)
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            if not reused:
                raise
        except BaseException:
            writer.close()
            raise
        # The server had closed the kept-alive connection while it idled: once more.
        reader, writer = await self._open(origin)
        try:
            return reader, writer, await _exchange(reader, writer, origin)
        except BaseException:
            writer.close()
            raise

    async def _take(self, origin):
        idle = self._idle.get(origin.key, [])
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer, True
            writer.close()
        reader, writer = await self._open(origin)
        return reader, writer, False

    async def _open(self, origin):
        tls = None
        if origin.https:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        try:
            return await asyncio.open_connection(origin.host, origin.port, ssl=tls)
        except ssl.SSLError:
            raise
        except OSError as error:
            raise ConnectFailed(error) from error

    async def close(self):
        writers = [writer for idle in self._idle.values() for _, writer in idle]
        self._idle.clear()
        for writer in writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)


async def _exchange(reader, writer, origin):
    """Writes the request and reads the response head: (status, headers, keep-alive),
    header names lower-cased."""
    request = (
        f"GET {origin.target} HTTP/1.1\r\n"
        f"Host: {origin.host_header}\r\n"
        f"User-Agent: {USER_AGENT}\r\n"
        "Accept-Encoding: identity\r\n"
        "\r\n"
    )
    writer.write(request.encode("ascii"))
    await writer.drain()
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            version, code = lines[0].split(" ", 2)[:2]
            status = int(code)
        except ValueError:
            raise Failure(OTHER) from None
        if 100 <= status < 200:
            continue  # an interim answer (100 Continue): the real one follows
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.1":
            keep_alive = "close" not in connection
        else:
            keep_alive = "keep-alive" in connection
        return status, headers, keep_alive


async def _read_body(reader, status, headers, body):
    """Reads the body into `body`; True when it ended by its own framing (length or
    last chunk), so that the connection can serve another request."""
    if status in (204, 304):
        return True
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            line = await reader.readuntil(b"\r\n")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise Failure(OTHER) from None
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailer fields, up to the empty line
                return True
            await _read_exactly(reader, size, body)
            if await reader.readexactly(2) != b"\r\n":
                raise Failure(OTHER)
    length = content_length(headers.get("content-length"))
    if length is not None:
        await _read_exactly(reader, length, body)
        return True
    while True:  # no length: the body ends when the server closes
        chunk = await reader.read(READ_SIZE)
        if not chunk:
            return False
        body.add(chunk)


async def _read_exactly(reader, size, body):
    while size:
        chunk = await reader.read(min(size, READ_SIZE))
        if not chunk:
            raise Failure(OTHER)  # closed before the body was complete
        body.add(chunk)
        size -= len(chunk)
