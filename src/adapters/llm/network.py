"""The SDK's connections on asyncio's own streams, instead of anyio's.

httpx reads a streamed answer through httpcore, which asks anyio for every read: a cancel scope
for the read timeout, and sniffio to learn which event loop runs. Per relayed token that was a
tenth of a streamed answer's CPU (docs/benchmarks.md, "Where a streamed answer's CPU goes"); with
asyncio's StreamReader and `asyncio.timeout` a read is a buffer slice and a timer. Everything
above the socket (HTTP/1.1, the pool, proxies, TLS settings, the SDK's retries and errors) stays
httpx's and the SDK's.
"""

import asyncio
import contextlib
import logging
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2

log = logging.getLogger(__name__)


class AsyncioStream(httpcore2.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as error:
            raise httpcore2.ReadTimeout(str(error)) from error
        except OSError as error:
            raise httpcore2.ReadError(str(error)) from error

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as error:
            raise httpcore2.WriteTimeout(str(error)) from error
        except OSError as error:
            raise httpcore2.WriteError(str(error)) from error

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as error:
            await self.aclose()
            raise httpcore2.ConnectTimeout(str(error)) from error
        except (OSError, ssl.SSLError) as error:
            await self.aclose()
            raise httpcore2.ConnectError(str(error)) from error
        return self  # the writer and reader now speak TLS

    def get_extra_info(self, info: str) -> Any:
        writer = self._writer
        match info:
            case "ssl_object":
                return writer.get_extra_info("ssl_object")
            case "client_addr":
                return writer.get_extra_info("sockname")
            case "server_addr":
                return writer.get_extra_info("peername")
            case "socket":
                return writer.get_extra_info("socket")
            case "is_readable":
                # Whether an idle pooled connection was closed by the server meanwhile.
                return self._reader.at_eof() or _readable(writer.get_extra_info("socket"))
        return None


def _readable(sock: socket.socket | None) -> bool:
    """Whether reading would not wait: data, or the server's end of the connection."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class AsyncioBackend(httpcore2.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError as error:
            raise httpcore2.ConnectTimeout(str(error)) from error
        except OSError as error:
            raise httpcore2.ConnectError(str(error)) from error
        raw: socket.socket | None = writer.get_extra_info("socket")
        for option in socket_options or ():
            if raw is not None:
                raw.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError as error:
            raise httpcore2.ConnectTimeout(str(error)) from error
        except OSError as error:
            raise httpcore2.ConnectError(str(error)) from error
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def on_asyncio_streams(client: httpx2.AsyncClient) -> bool:
    """Put the client's direct connections on AsyncioBackend; proxied ones (HTTPS_PROXY and the
    like) keep httpcore's own. False when this httpx keeps its pool elsewhere than where it
    was found (a new release): the client then works as before, only slower."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if type(pool) is not httpcore2.AsyncConnectionPool or not hasattr(pool, "_network_backend"):
        log.warning("httpx's connection pool was not found; answers are read through anyio")
        return False
    pool._network_backend = AsyncioBackend()
    return True
