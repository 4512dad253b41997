"""The app server as production runs it: uvicorn's own command line, with a listening socket of
its own for each worker process.

    python -m django_project.serve django_project.asgi:application --workers 2 [uvicorn options]

uvicorn hands every worker process the same listening socket, and whichever worker wakes first
takes all the connections waiting on it. Clients keep their connections open, so one worker can
end up with every client while the others idle: at 10 clients the benchmark saw 344 requests on
one worker and 4 on the other, half the machine's throughput (docs/benchmarks.md). Here each
worker binds a socket of its own to the same address with SO_REUSEPORT, and the kernel spreads
new connections over them by a hash of their addresses, as nginx's `reuseport` does for its own
workers. Everything else, from spawning and restarting workers to the graceful shutdown, is
uvicorn's. With one worker, a Unix socket or a file descriptor, nothing changes.
"""

import logging
import socket
import sys
from typing import Any

import uvicorn.config
import uvicorn.main
from uvicorn.config import STARTUP_FAILURE, Config

log = logging.getLogger("uvicorn.error")
_uvicorns_bind_socket = Config.bind_socket


def listener(family: int, address: Any) -> socket.socket:
    """A TCP socket bound to `address` that other processes may bind too (not listening yet)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


class OneSocketEach(socket.socket):
    """A socket that reaches each worker process as a new socket bound to the same address
    rather than as a copy of itself (which would share one queue of connections)."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, tuple[int, Any]]:
        return listener, (self.family, self.getsockname())


def _listened_on(family: int, address: Any) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(address) == 0


def bind_socket(config: Config) -> socket.socket:
    """Config.bind_socket for several workers on a host and port: the address is reserved here
    (this socket never listens, so the kernel gives it no connections), and each worker
    listens on its own."""
    if config.workers <= 1 or config.uds is not None or config.fd is not None or config.reload:
        return _uvicorns_bind_socket(config)
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    sock = OneSocketEach(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as error:
        log.error(error)
        sys.exit(STARTUP_FAILURE)
    host, port = sock.getsockname()[:2]
    if _listened_on(family, (host, port)):
        # Another server of this user's that also set SO_REUSEPORT (one left running, say)
        # would otherwise share the port and its connections without a word.
        log.error("[Errno 98] Address already in use: another server listens on %s:%d", host, port)
        sys.exit(STARTUP_FAILURE)
    address = f"[{host}]" if family == socket.AF_INET6 else host
    scheme = "https" if config.is_ssl else "http"
    log.info(
        "Uvicorn running on %s://%s:%d, one socket per worker (Press CTRL+C to quit)",
        scheme,
        address,
        port,
    )
    return sock


def main() -> None:
    # Only in this process, the supervisor: the workers receive their sockets ready-made.
    # uvicorn has no hook for its listening socket, so its method is replaced (and this
    # function's first parameter is named config, not self).
    uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign,assignment]
    uvicorn.main.main()


if __name__ == "__main__":
    main()
