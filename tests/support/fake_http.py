"""A scripted loopback HTTP server: the machinery the provider fakes share.

`FakeHTTPServer` listens on 127.0.0.1, records every request it receives with the answer it
gave (`exchanges`), and answers each request on its provider's endpoint with the next
behaviour given to `script`, or with `default` once the script has run out. A behaviour gets a
`Wire` and answers with JSON, raw bytes or Server-Sent Events, waits, or hangs up.

A provider fake (tests/support/fake_openai.py, tests/support/fake_anthropic.py) subclasses
`FakeHTTPServer` and keeps only what its provider decides, set as class attributes: the endpoint
and base URL, the ids and headers it answers with, and its behaviours (`Reply` for plain answers
and streams, `Fail` for its error bodies, the stream faults that `Wire.stream` injects). `Delay`,
`Malformed` and `HangUp` here work alike for every provider; a fake subclasses the first two only
to give them its own defaults.

It needs only the standard library. Handler threads are daemons and every wait inside a
behaviour ends as soon as the server stops, so a test that times out on a slow answer neither
hangs the teardown nor the interpreter's exit.
"""

import contextlib
import itertools
import json
import re
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast

import pytest


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    raw_body: bytes
    body: Any  # the parsed JSON, or None when the body was not JSON
    client_port: int = 0  # the client's side of the connection: which one it came on


@dataclass(slots=True)
class Exchange:
    """One request and what the fake answered. `status` and `body` are filled in before the first
    byte goes out, so a client that has the answer can always find it here."""

    request: ReceivedRequest
    status: int | None = None  # None: no answer (the connection was closed)
    # JSON for a plain answer or an error; for a stream, the list of what each event sent so far
    # recorded (its provider fake says in which shape); the raw bytes of a malformed body.
    body: Any = None


ExchangeT = TypeVar("ExchangeT", bound=Exchange)


@dataclass(frozen=True, slots=True)
class Event:
    """One Server-Sent Event: its `data` text, its `name` when the provider names its events, and
    what `Exchange.body` records for it (the parsed JSON where there is some, so tests compare
    values rather than text)."""

    data: str
    record: Any
    name: str | None = None


class _Stopped(Exception):
    """The server is stopping: the handler gives up on its answer."""


class Wire:
    """What a behaviour can do with the connection it is answering on."""

    def __init__(self, handler: "_Handler", exchange: Exchange) -> None:
        self._handler = handler
        self.exchange = exchange
        self.request = exchange.request

    @property
    def _server(self) -> "FakeHTTPServer[Any]":
        return self._handler.fake

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up and give up the answer as soon as the server stops."""
        if seconds > 0 and self._server.stopping.wait(seconds):
            raise _Stopped

    def next_id(self) -> str:
        return f"{self._server.id_prefix}{next(self._server.ids):04d}"

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self.exchange.status, self.exchange.body = status, body
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def send_bytes(
        self,
        status: int,
        data: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.exchange.status, self.exchange.body = status, data
        self._send(status, data, content_type, headers)

    def start_stream(self) -> None:
        """Send the headers of a Server-Sent Events answer; from here `exchange.body` is the list
        of the events sent so far."""
        self.exchange.status, self.exchange.body = 200, []
        h = self._handler
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        for name, value in self._server._answer_headers(stream=True).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.flush()

    def send_event(self, event: Event) -> None:
        # Recorded before it goes out, so a client that has read it finds it in the exchange.
        self.exchange.body.append(event.record)
        head = "" if event.name is None else f"event: {event.name}\n"
        payload = f"{head}data: {event.data}\n\n".encode()
        self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self._handler.wfile.flush()

    def end_stream(self) -> None:
        self._handler.wfile.write(b"0\r\n\r\n")
        self._handler.wfile.flush()

    def stream(
        self,
        events: Sequence[Event],
        *,
        first_delay_s: float,
        delay_s: float,
        fault: "Fault | None",
    ) -> bool:
        """Start a stream and send `events`, the first after `first_delay_s` and each next one
        `delay_s` after the one before. A `fault` strikes before event number `fault.after`, or
        after the last one when asked for later (a fault is never silently dropped).

        True when the stream ended with the fault; otherwise the caller closes the stream the
        way its provider does (a last event, then `end_stream`)."""
        fault_at = None if fault is None else min(fault.after, len(events))
        self.start_stream()
        self.wait(first_delay_s)
        for n, event in enumerate(events):
            if n == fault_at and fault is not None and fault.strike(self):
                return True
            if n > 0:
                self.wait(delay_s)
            self.send_event(event)
        return fault is not None and fault_at == len(events) and fault.strike(self)

    def hang_up(self) -> None:
        """Close the connection now. Mid-stream, the missing last chunk tells the client the body
        is incomplete, as when a proxy or the provider drops the connection."""
        self._handler.close_connection = True
        with contextlib.suppress(OSError):  # the client may be gone already
            self._handler.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str] | None
    ) -> None:
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in self._server._answer_headers(stream=False).items():
            h.send_header(name, value)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()


class Behaviour(Protocol):
    def respond(self, wire: Wire) -> None:
        """Answer the request in `wire.request`, or deliberately fail to."""
        ...


class Fault(Protocol):
    """Something that goes wrong in a stream once `after` events were sent (a provider's
    StreamFault)."""

    @property
    def after(self) -> int: ...

    def strike(self, wire: Wire) -> bool:
        """Send the fault; True when the stream ends with it."""
        ...


def word_count(text: str) -> int:
    """The fakes' token count: one token per word, close enough for usage figures in tests."""
    return len(text.split())


def tokens(text: str) -> list[str]:
    """The pieces a stream sends `text` in."""
    # Word by word with the spacing kept, so the tokens join back to exactly `text`.
    return re.findall(r"\S+\s*|\s+", text)


@dataclass(frozen=True, slots=True)
class Delay:
    """Wait, then behave as `then`: slower than the client's timeout, the answer never arrives.
    Provider fakes subclass it so that `then` defaults to their Reply."""

    seconds: float
    then: Behaviour

    def respond(self, wire: Wire) -> None:
        wire.wait(self.seconds)
        self.then.respond(wire)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A body that is not what it claims to be. Provider fakes subclass it with a default `data`
    that looks like the start of their own body (JSON that does not parse)."""

    data: bytes
    content_type: str = "application/json"
    status: int = 200

    def respond(self, wire: Wire) -> None:
        wire.send_bytes(self.status, self.data, self.content_type)


@dataclass(frozen=True, slots=True)
class HangUp:
    """Close the connection without answering."""

    def respond(self, wire: Wire) -> None:
        wire.hang_up()


# Callback protocols, not Callable: mypy would take a Callable class attribute for a method and
# pass the server as its first argument.
class _MakesReply(Protocol):
    def __call__(self) -> Behaviour: ...


class _MakesFail(Protocol):
    def __call__(self, status: int, message: str) -> Behaviour: ...


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 for keep-alive and chunked streams, as the SDKs expect from the providers.
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> "FakeHTTPServer[Any]":
        return cast(_Server, self.server).fake

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            # Here rather than in accept, which would keep every other client waiting; a client
            # that refuses the certificate ends the connection here (handle_error ignores it).
            self.request.do_handshake()
        super().setup()
        # The Server header names the provider fake answering.
        self.server_version = self.fake.server_version
        self.fake._opened(self.connection)

    def finish(self) -> None:
        self.fake._closed(self.connection)
        with contextlib.suppress(OSError):  # the client may have hung up first
            super().finish()

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        fake = self.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = ReceivedRequest(
            method=self.command,
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            raw_body=raw,
            body=body,
            client_port=self.client_address[1],
        )
        exchange = fake._received(request)
        behaviour = fake._behaviour_for(request)
        try:
            behaviour.respond(Wire(self, exchange))
        except (_Stopped, ConnectionError):
            # The server is stopping, or the client gave up (e.g. its timeout fired first).
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read the fake's `exchanges` instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the handlers itself, with a bound

    def __init__(self, fake: "FakeHTTPServer[Any]") -> None:
        self.fake = fake  # set first: handlers find their fake here
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that disconnects is normal here; real faults show up in the tests


class FakeHTTPServer(Generic[ExchangeT]):
    """The server. Behaviours given to `script` answer one request each, in order; after them,
    `default` answers. A request for anything but POST `endpoint` gets the provider's 404."""

    endpoint: ClassVar[str]  # the path the scripted behaviours answer, e.g. "/v1/messages"
    base_path: ClassVar[str] = ""  # what `base_url` adds to the origin for the provider's SDK
    server_version: ClassVar[str]  # the Server header, e.g. "FakeOpenAI/1.0"
    thread_name: ClassVar[str]  # names the handler threads, so stop() finds its own
    id_prefix: ClassVar[str]  # Wire.next_id's ids look like the provider's, e.g. "msg_fake"
    poll_interval_s: ClassVar[float] = 0.05  # how often serve_forever looks for shutdown()
    # The provider's behaviours the server answers with by itself: `default` unless given, and
    # the 404 for a request the fake does not serve (called with status and message).
    reply_type: ClassVar[_MakesReply]
    fail_type: ClassVar[_MakesFail]
    # The record each request gets; a provider subclasses Exchange to record more.
    exchange_type: type[ExchangeT]

    def __init__(
        self, default: Behaviour | None = None, *, tls: tuple[Path, Path] | None = None
    ) -> None:
        """`tls`: (certificate, key) PEM files; the fake then speaks HTTPS."""
        self.default: Behaviour = default or self.reply_type()
        self.stopping = threading.Event()
        self.ids: Iterator[int] = itertools.count(1)
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque()
        self._exchanges: list[ExchangeT] = []
        self._connections: set[socket.socket] = set()
        self._server = _Server(self)
        self._tls = tls is not None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # Each accepted connection shakes hands in its handler's thread.
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": self.poll_interval_s},
            daemon=True,
        )

    def _answer_headers(self, *, stream: bool) -> Mapping[str, str]:
        """Headers the provider sends with every answer (e.g. its request id); none by default."""
        return {}

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{host!s}:{port}{self.base_path}"

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    @property
    def unused(self) -> list[Behaviour]:
        """Scripted behaviours no request has consumed yet."""
        with self._lock:
            return list(self._script)

    @property
    def exchanges(self) -> list[ExchangeT]:
        with self._lock:
            return list(self._exchanges)

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return [e.request for e in self._exchanges]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self.drop_connections()  # unblocks handlers still reading a kept-alive connection
        self._server.server_close()
        for thread in self.handler_threads():
            thread.join(timeout=1.0)
        self._thread.join(timeout=1.0)

    def drop_connections(self) -> None:
        """Close every open connection from the server's side, as a provider does with idle
        kept-alive ones."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def handler_threads(self) -> list[threading.Thread]:
        """The threads answering this fake's requests right now."""
        return [t for t in threading.enumerate() if t.name == self._handler_thread_name]

    @property
    def _handler_thread_name(self) -> str:
        return f"{self.thread_name}-handler-{id(self)}"

    def _received(self, request: ReceivedRequest) -> ExchangeT:
        exchange = self.exchange_type(request)
        with self._lock:
            self._exchanges.append(exchange)
        return exchange

    def _behaviour_for(self, request: ReceivedRequest) -> Behaviour:
        """What answers `request`: the script's next behaviour on POST `endpoint`, the provider's
        404 anywhere else. A fake with several endpoints (an OAuth provider) routes here."""
        if request.method != "POST" or request.path.split("?")[0] != self.endpoint:
            return self.fail_type(404, f"Unknown request URL: {request.method} {request.path}.")
        return self._next_behaviour()

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _opened(self, connection: socket.socket) -> None:
        threading.current_thread().name = self._handler_thread_name
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)


# Named apart from its fixture so a test module can import it without shadowing it (ruff F811).
@pytest.fixture(name="closed_port")
def closed_port_fixture() -> Iterator[int]:
    """A local port nothing listens on, for tests of a refused connection."""
    # Bound but not listening: connecting is refused, and no other test can take the port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
