"""A lean HTTP/1.1 transport under the SDK's async client, for streamed answers.

A streamed answer is read token by token, and each token arrives alone, tens of milliseconds
after the one before: the process wakes up for it with cold caches, and every layer the bytes
pass through costs. Through httpx, httpcore and h11 a token took about 0.3 ms of CPU to read on
the benchmark machine, against 0.1 ms for the socket read alone (docs/benchmarks.md, "Where a
streamed answer's CPU goes"). Here a response is parsed by httptools (llhttp, in C: uvicorn's own
parser) and its body chunks go straight to httpx's Response; the SDK still builds the request,
authenticates, retries, and maps the status and the errors, and the connection is kept for the
next answer.

Only what the provider's API needs: HTTP/1.1 over TCP or TLS, a small pool of kept-alive
connections per origin, the four httpx timeouts. A proxy from the environment (HTTPS_PROXY and
the like) is left to httpx's own transport: see `proxied`.
"""

import asyncio
import ssl
import urllib.request
from collections import deque
from collections.abc import AsyncIterator

import httptools
import httpx2

# Idle connections kept per origin, and for how long (providers close idle ones after about a
# minute; a connection closed meanwhile is seen at its next use and not used).
KEEP_IDLE = 16
IDLE_S = 30.0
_READ_SIZE = 65536

_Origin = tuple[str, str, int]
# What a kept-alive connection that the server closed meanwhile fails with.
_DEAD_CONNECTION = (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError)


class _Response:
    """Callbacks of httptools' parser for one response."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.done = False
        self.body: deque[bytes] = deque()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class _Connection:
    def __init__(
        self, origin: _Origin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.origin = origin
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0
        # The read timeout: one timer that is moved on lazily, not one set and cancelled for
        # every token (that alone was a fifth of reading a streamed answer).
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._reading: asyncio.Task[object] | None = None
        self._timed_out = False

    def usable(self) -> bool:
        """An idle connection the server has not closed."""
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.writer.close()

    async def read(self, timeout: float | None) -> bytes:
        if timeout is not None:
            loop = asyncio.get_running_loop()
            self._deadline = loop.time() + timeout
            if self._timer is None:
                self._timer = loop.call_at(self._deadline, self._check_deadline)
            self._reading = asyncio.current_task()
        try:
            return await self.reader.read(_READ_SIZE)
        except asyncio.CancelledError:
            if self._timed_out and self._reading is not None:
                self._timed_out = False
                self._reading.uncancel()
                raise httpx2.ReadTimeout("The provider sent nothing in time.") from None
            raise
        except OSError as error:
            raise httpx2.ReadError(str(error)) from error
        finally:
            self._reading = None

    def _check_deadline(self) -> None:
        self._timer = None
        if self._reading is None:
            return  # not waiting: the next read sets a timer again
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
        else:
            self._timed_out = True
            self._reading.cancel()


class _Body(httpx2.AsyncByteStream):
    """A response's body as it comes; the connection goes back to the pool once it is whole."""

    def __init__(
        self,
        transport: "LeanTransport",
        connection: _Connection,
        parser: httptools.HttpResponseParser,
        response: _Response,
        timeout: float | None,
        reusable: bool,
        delimited: bool,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._parser = parser
        self._response = response
        self._timeout = timeout
        self._reusable = reusable
        self._delimited = delimited

    async def __aiter__(self) -> AsyncIterator[bytes]:
        response, connection = self._response, self._connection
        body = response.body
        while True:
            while body:
                yield body.popleft()
            if response.done or connection is None:
                break
            data = await connection.read(self._timeout)
            if not data:
                if not self._delimited:  # the body ends with the connection (no length)
                    break
                await self.aclose()
                raise httpx2.RemoteProtocolError("The provider closed the connection mid-answer.")
            try:
                self._parser.feed_data(data)
            except httptools.HttpParserError as error:
                await self.aclose()
                raise httpx2.RemoteProtocolError(str(error)) from error
        connection, self._connection = self._connection, None
        if connection is not None:
            if self._reusable:
                self._transport.give_back(connection)
            else:
                connection.close()

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()  # a body not read to its end: the connection cannot be reused


class LeanTransport(httpx2.AsyncBaseTransport):
    def __init__(self) -> None:
        self._ssl_context: ssl.SSLContext | None = None  # made at the first https connection
        self._idle: dict[_Origin, deque[_Connection]] = {}

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = httpx2.create_ssl_context()  # verified, as httpx's default
        return self._ssl_context

    def give_back(self, connection: _Connection) -> None:
        connection.idle_since = asyncio.get_running_loop().time()
        idle = self._idle.setdefault(connection.origin, deque())
        idle.append(connection)
        while len(idle) > KEEP_IDLE:
            idle.popleft().close()

    def _pooled(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()  # the most recently used
            if now - connection.idle_since < IDLE_S and connection.usable():
                return connection
            connection.close()
        return None

    async def _connect(self, origin: _Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        tls = self._tls() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls else None, limit=_READ_SIZE
                )
        except TimeoutError as error:
            raise httpx2.ConnectTimeout(f"Could not connect to {host} in time.") from error
        except (OSError, ssl.SSLError) as error:
            raise httpx2.ConnectError(str(error)) from error
        return _Connection(origin, reader, writer)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        content = await request.aread()
        head = [b"%s %s HTTP/1.1\r\n" % (request.method.encode(), url.raw_path)]
        head += [b"%s: %s\r\n" % pair for pair in request.headers.raw]
        if not any(name.lower() == b"content-length" for name, _ in request.headers.raw):
            head.append(b"Content-Length: %d\r\n" % len(content))
        message = b"".join(head) + b"\r\n" + content
        reused = self._pooled(origin)
        connection = reused or await self._connect(origin, timeouts.get("connect"))
        try:
            return await self._exchange(connection, message, request, timeouts)
        except _DEAD_CONNECTION:
            connection.close()
            if reused is None:
                raise
        except httpx2.TransportError:  # a timeout: the provider may be working on it
            connection.close()
            raise
        # The kept-alive connection was closed by the server meanwhile: once more on a new one,
        # as httpcore does. Not after a timeout, which would ask the provider twice.
        connection = await self._connect(origin, timeouts.get("connect"))
        try:
            return await self._exchange(connection, message, request, timeouts)
        except httpx2.TransportError:
            connection.close()
            raise

    async def _exchange(
        self,
        connection: _Connection,
        message: bytes,
        request: httpx2.Request,
        timeouts: dict[str, float | None],
    ) -> httpx2.Response:
        try:
            connection.writer.write(message)
            async with asyncio.timeout(timeouts.get("write")):
                await connection.writer.drain()
        except TimeoutError as error:
            raise httpx2.WriteTimeout("The request could not be sent in time.") from error
        except OSError as error:
            raise httpx2.WriteError(str(error)) from error
        response = _Response()
        parser = httptools.HttpResponseParser(response)
        read_timeout = timeouts.get("read")
        while not response.head_done:
            data = await connection.read(read_timeout)
            if not data:
                raise httpx2.RemoteProtocolError("The provider closed the connection unanswered.")
            try:
                parser.feed_data(data)
            except httptools.HttpParserError as error:
                raise httpx2.RemoteProtocolError(str(error)) from error
        headers = {name.lower(): value.lower() for name, value in response.headers}
        close = headers.get(b"connection") == b"close" or parser.get_http_version() != "1.1"
        # A body without a length ends when the connection does: read it, never reuse it.
        delimited = b"content-length" in headers or b"transfer-encoding" in headers
        reusable = delimited and not close
        body = _Body(self, connection, parser, response, read_timeout, reusable, delimited)
        return httpx2.Response(
            parser.get_status_code(),
            headers=response.headers,
            stream=body,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


def proxied() -> bool:
    """Whether the environment names a proxy (HTTPS_PROXY and the like): httpx's own transport
    speaks to it, LeanTransport does not."""
    return bool(urllib.request.getproxies())
