"""A local server that speaks Anthropic's Messages API (`POST /v1/messages`), scripted per test.

Tests point the real `anthropic` SDK at `FakeAnthropic.base_url`, so everything between the adapter
and the socket (serialization, headers, retries, timeouts, SSE parsing) runs as in production. The
server keeps every request it received and every body or event it answered, so a test can compare
what went over the wire with what the app stored.

    from tests.support.fake_anthropic import (
        Fail,
        FakeAnthropic,
        Reply,
        fake_anthropic_fixture,  # noqa: F401
    )

    def test_something(fake_anthropic: FakeAnthropic) -> None:
        fake_anthropic.script(Fail(529), Reply("Hello"))  # one behaviour per request, in order
        ...
        assert fake_anthropic.requests[0].body["model"] == "claude-test"

A plain request gets a message body; a request with `"stream": true` gets the event sequence the
Messages API streams: message_start, ping, then per text block content_block_start, its
text_delta events and content_block_stop, then message_delta (stop_reason and usage) and
message_stop. Either way `Exchange.message` holds the message the answer stands for, as a plain
request would have received it.

It needs only the standard library. Handler threads are daemons and every wait inside a
behaviour ends as soon as the server stops, so a test that times out on a slow answer neither
hangs the teardown nor the interpreter's exit.
"""

import contextlib
import itertools
import json
import re
import socket
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol

import pytest

MESSAGES = "/v1/messages"

# What Anthropic answers for each status: (error type, message).
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: at least one message is required"),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "An unexpected error has occurred internal to Anthropic's systems."),
    503: ("api_error", "Service unavailable."),
    529: ("overloaded_error", "Overloaded"),
}


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    raw_body: bytes
    body: Any  # the parsed JSON, or None when the body was not JSON


@dataclass(slots=True)
class Exchange:
    """One request and what the fake answered. `status` and `body` are filled in before the first
    byte goes out, so a client that has the answer can always find it here."""

    request: ReceivedRequest
    status: int | None = None  # None: no answer (the connection was closed)
    # JSON for a plain answer or an error; for a stream, the events sent so far as
    # {"event": name, "data": dict, or the raw text of data that was not JSON}; the raw bytes of
    # a malformed body.
    body: Any = None
    # The message a Reply stands for, streamed or not: what a plain request would have received.
    message: dict[str, Any] | None = None


class _Stopped(Exception):
    """The server is stopping: the handler gives up on its answer."""


class Wire:
    """What a behaviour can do with the connection it is answering on."""

    def __init__(self, handler: "_Handler", exchange: Exchange) -> None:
        self._handler = handler
        self.exchange = exchange
        self.request = exchange.request

    @property
    def _server(self) -> "FakeAnthropic":
        return self._handler.server.fake  # type: ignore[attr-defined, no-any-return]

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up and give up the answer as soon as the server stops."""
        if seconds > 0 and self._server.stopping.wait(seconds):
            raise _Stopped

    def next_id(self) -> str:
        return f"msg_fake{next(self._server.ids):04d}"

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self.exchange.status, self.exchange.body = status, body
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.exchange.status, self.exchange.body = status, data
        self._send(status, data, content_type, None)

    def start_stream(self, events: list[Any]) -> None:
        """Send the headers of a Server-Sent Events answer; `events` is where the caller records
        each event it is about to send."""
        self.exchange.status, self.exchange.body = 200, events
        h = self._handler
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("request-id", self._request_id())
        h.end_headers()
        h.wfile.flush()

    def send_event(self, name: str, data: str) -> None:
        payload = f"event: {name}\ndata: {data}\n\n".encode()
        self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
        self._handler.wfile.flush()

    def end_stream(self) -> None:
        self._handler.wfile.write(b"0\r\n\r\n")
        self._handler.wfile.flush()

    def hang_up(self) -> None:
        """Close the connection now. Mid-stream, the missing last chunk tells the client the body
        is incomplete, as when a proxy or the provider drops the connection."""
        self._handler.close_connection = True
        with contextlib.suppress(OSError):  # the client may be gone already
            self._handler.connection.shutdown(socket.SHUT_RDWR)

    def _request_id(self) -> str:
        return f"req_fake{len(self._server.exchanges):04d}"

    def _send(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str] | None
    ) -> None:
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("request-id", self._request_id())
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()


class Behaviour(Protocol):
    def respond(self, wire: Wire) -> None:
        """Answer the request in `wire.request`, or deliberately fail to."""
        ...


@dataclass(frozen=True, slots=True)
class StreamFault:
    """Something that goes wrong in a stream after `after` events were sent."""

    kind: Literal["cut", "malformed", "error", "unfinished"]
    after: int = 3
    data: str = "{not json"  # the malformed event's data
    error_type: str = "overloaded_error"
    message: str = "Overloaded"


def cut_stream(after: int = 3) -> StreamFault:
    """Drop the connection in the middle of the stream, before message_stop."""
    return StreamFault("cut", after)


def malformed_event(after: int = 3, data: str = "{not json") -> StreamFault:
    """Send one content_block_delta whose data is not JSON, then go on as if nothing happened."""
    return StreamFault("malformed", after, data=data)


def error_event(
    after: int = 3, error_type: str = "overloaded_error", message: str = "Overloaded"
) -> StreamFault:
    """Send an `event: error`, as Anthropic does when a stream fails after it started, and end
    the stream there."""
    return StreamFault("error", after, error_type=error_type, message=message)


def unfinished_stream(after: int = 3) -> StreamFault:
    """End the response cleanly, but before message_stop."""
    return StreamFault("unfinished", after)


def _words(text: str) -> int:
    return len(text.split())


def _tokens(text: str) -> list[str]:
    # Word by word with the spacing kept, so the tokens join back to exactly `text`.
    return re.findall(r"\S+\s*|\s+", text)


def _prompt_text(body: Mapping[str, Any]) -> list[str]:
    texts = [str(body.get("system") or "")]
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            texts.append(str(message.get("content", "")))
    return texts


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer: a message, or its events when the request asks for a stream.

    `text` is one string per text block. `usage` is (input_tokens, output_tokens), or "count" to
    count words. `model` defaults to the requested one.
    """

    text: str | Sequence[str] = "Hello from the fake Claude."
    stop_reason: str | None = "end_turn"
    stop_sequence: str | None = None
    usage: tuple[int, int] | Literal["count"] = "count"
    id: str | None = None
    model: str | None = None
    # Streams only.
    first_event_delay_s: float = 0.0
    delta_delay_s: float = 0.0
    ping: bool = True
    fault: StreamFault | None = None

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.text,) if isinstance(self.text, str) else tuple(self.text)

    def message(self, wire: Wire) -> dict[str, Any]:
        body = wire.request.body if isinstance(wire.request.body, dict) else {}
        if self.usage == "count":
            prompt = sum(_words(text) for text in _prompt_text(body))
            completion = sum(_words(text) for text in self.texts)
        else:
            prompt, completion = self.usage
        return {
            "id": self.id or wire.next_id(),
            "type": "message",
            "role": "assistant",
            "model": self.model or str(body.get("model", "claude-fake")),
            "content": [{"type": "text", "text": text} for text in self.texts],
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }

    def respond(self, wire: Wire) -> None:
        message = self.message(wire)
        wire.exchange.message = message
        body = wire.request.body
        if isinstance(body, dict) and body.get("stream") is True:
            self._stream(wire, message)
        else:
            wire.send_json(200, message)

    def _stream(self, wire: Wire, message: dict[str, Any]) -> None:
        usage = message["usage"]
        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            # Anthropic counts the first output token at the start already.
            "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 1},
        }
        planned: list[tuple[str, dict[str, Any]]] = [
            ("message_start", {"type": "message_start", "message": start})
        ]
        if self.ping:
            planned.append(("ping", {"type": "ping"}))
        for index, text in enumerate(self.texts):
            planned.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            planned += [
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": token},
                    },
                )
                for token in _tokens(text)
            ]
            planned.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        planned += [
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self.stop_reason, "stop_sequence": self.stop_sequence},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]

        # A fault asked for after the last event still comes, at the very end.
        fault_at = None if self.fault is None else min(self.fault.after, len(planned))
        sent: list[Any] = []
        wire.start_stream(sent)
        wire.wait(self.first_event_delay_s)
        for n, (name, data) in enumerate(planned):
            if n == fault_at and self._fail(wire, sent):
                return
            if n > 0:
                wire.wait(self.delta_delay_s)
            sent.append({"event": name, "data": data})
            wire.send_event(name, json.dumps(data))
        if fault_at == len(planned) and self._fail(wire, sent):
            return
        wire.end_stream()

    def _fail(self, wire: Wire, sent: list[Any]) -> bool:
        """Send the fault; True when the stream ends with it."""
        fault = self.fault
        assert fault is not None
        if fault.kind == "cut":
            wire.hang_up()
            return True
        if fault.kind == "unfinished":
            wire.end_stream()
            return True
        if fault.kind == "malformed":
            sent.append({"event": "content_block_delta", "data": fault.data})
            wire.send_event("content_block_delta", fault.data)
            return False
        error = {"type": "error", "error": {"type": fault.error_type, "message": fault.message}}
        sent.append({"event": "error", "data": error})
        wire.send_event("error", json.dumps(error))
        wire.end_stream()
        return True


@dataclass(frozen=True, slots=True)
class Fail:
    """An HTTP error with Anthropic's error body; type and message default to Anthropic's own
    for the status."""

    status: int
    message: str | None = None
    error_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def respond(self, wire: Wire) -> None:
        kind, message = _ERRORS.get(self.status, ("api_error", "Error."))
        error = {"type": self.error_type or kind, "message": self.message or message}
        wire.send_json(self.status, {"type": "error", "error": error}, self.headers)


@dataclass(frozen=True, slots=True)
class Delay:
    """Wait, then behave as `then`: slower than the client's timeout, the answer never arrives."""

    seconds: float
    then: Behaviour = field(default_factory=Reply)

    def respond(self, wire: Wire) -> None:
        wire.wait(self.seconds)
        self.then.respond(wire)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A body that is not what it claims to be (by default: JSON that does not parse)."""

    data: bytes = b'{"id": "msg_broken", "type": "message", "content": ['
    content_type: str = "application/json"
    status: int = 200

    def respond(self, wire: Wire) -> None:
        wire.send_bytes(self.status, self.data, self.content_type)


@dataclass(frozen=True, slots=True)
class HangUp:
    """Close the connection without answering."""

    def respond(self, wire: Wire) -> None:
        wire.hang_up()


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 for keep-alive and chunked streams, as the SDK expects from Anthropic.
    protocol_version = "HTTP/1.1"
    server_version = "FakeAnthropic/1.0"

    def setup(self) -> None:
        super().setup()
        self.server.fake._opened(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.fake._closed(self.connection)  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):  # the client may have hung up first
            super().finish()

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        fake: FakeAnthropic = self.server.fake  # type: ignore[attr-defined]
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
        )
        exchange = fake._received(request)
        if self.command != "POST" or self.path.split("?")[0] != MESSAGES:
            behaviour: Behaviour = Fail(404, f"Unknown request URL: {self.command} {self.path}.")
        else:
            behaviour = fake._next_behaviour()
        try:
            behaviour.respond(Wire(self, exchange))
        except (_Stopped, ConnectionError):
            # The server is stopping, or the client gave up (e.g. its timeout fired first).
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `FakeAnthropic.exchanges` instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the handlers itself, with a bound

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that disconnects is normal here; real faults show up in the tests


class FakeAnthropic:
    """The server. Behaviours given to `script` answer one request each, in order; after them,
    `default` answers."""

    def __init__(self, default: Behaviour | None = None) -> None:
        self.default: Behaviour = default or Reply()
        self.stopping = threading.Event()
        self.ids: Iterator[int] = itertools.count(1)
        self._lock = threading.Lock()
        self._script: deque[Behaviour] = deque()
        self._exchanges: list[Exchange] = []
        self._connections: set[socket.socket] = set()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """The SDK adds `/v1/messages` itself."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    @property
    def unused(self) -> list[Behaviour]:
        """Scripted behaviours no request has consumed yet."""
        with self._lock:
            return list(self._script)

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return [e.request for e in self._exchanges]

    def start(self) -> "FakeAnthropic":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        # Unblock handlers still reading a kept-alive connection.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        for thread in threading.enumerate():
            if thread.name == self._handler_thread_name:
                thread.join(timeout=1.0)
        self._thread.join(timeout=1.0)

    def __enter__(self) -> "FakeAnthropic":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def _handler_thread_name(self) -> str:
        return f"fake-anthropic-handler-{id(self)}"

    def _received(self, request: ReceivedRequest) -> Exchange:
        exchange = Exchange(request)
        with self._lock:
            self._exchanges.append(exchange)
        return exchange

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
@pytest.fixture(name="fake_anthropic")
def fake_anthropic_fixture() -> Iterator[FakeAnthropic]:
    """A running FakeAnthropic, stopped after the test."""
    with FakeAnthropic() as server:
        yield server
