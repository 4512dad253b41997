"""A local server that speaks OpenAI's Chat Completions protocol, scripted per test.

Tests point the real `openai` SDK at `FakeOpenAI.base_url`, so everything between the adapter and
the socket (serialization, headers, retries, timeouts, SSE parsing) runs as in production. The
server keeps every request it received and every body it answered, so a test can compare what
went over the wire with what the app stored.

    from tests.support.fake_openai import FakeOpenAI, Fail, Reply, fake_openai_fixture  # noqa: F401

    def test_something(fake_openai: FakeOpenAI) -> None:
        fake_openai.script(Fail(429), Reply("Hello"))  # one behaviour per request, in order
        ...
        assert fake_openai.requests[0].body["model"] == "gpt-test"

(or register the module once with `pytest_plugins = ["tests.support.fake_openai"]` in the
top-level tests/conftest.py, and the `fake_openai` fixture is everywhere without an import).

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
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol

import pytest

CHAT_COMPLETIONS = "/v1/chat/completions"

# What OpenAI answers for each status: (message, type, code).
_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to use this model.", "invalid_request_error", None),
    404: ("Unknown URL.", "invalid_request_error", "unknown_url"),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The engine is currently overloaded.", "server_error", "overloaded"),
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
    # JSON for a plain answer or an error; the list of events for a stream (dicts, or the raw
    # text of an event that was not JSON); the raw bytes of a malformed body.
    body: Any = None


class _Stopped(Exception):
    """The server is stopping: the handler gives up on its answer."""


class Wire:
    """What a behaviour can do with the connection it is answering on."""

    def __init__(self, handler: "_Handler", exchange: Exchange) -> None:
        self._handler = handler
        self._exchange = exchange
        self.request = exchange.request

    @property
    def _server(self) -> "FakeOpenAI":
        return self._handler.server.fake  # type: ignore[attr-defined, no-any-return]

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up and give up the answer as soon as the server stops."""
        if seconds > 0 and self._server.stopping.wait(seconds):
            raise _Stopped

    def next_id(self) -> str:
        return f"chatcmpl-fake{next(self._server.ids):04d}"

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self._exchange.status, self._exchange.body = status, body
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self._exchange.status, self._exchange.body = status, data
        self._send(status, data, content_type, None)

    def start_stream(self, events: list[Any]) -> None:
        """Send the headers of a Server-Sent Events answer; `events` is where the caller records
        each event it is about to send."""
        self._exchange.status, self._exchange.body = 200, events
        h = self._handler
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.flush()

    def send_event(self, data: str) -> None:
        payload = f"data: {data}\n\n".encode()
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

    def _send(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str] | None
    ) -> None:
        h = self._handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("x-request-id", f"req_fake{len(self._server.exchanges)}")
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

    kind: Literal["cut", "malformed", "error"]
    after: int = 2
    data: str = "{not json"  # the malformed event's text
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None


def cut_stream(after: int = 2) -> StreamFault:
    """Drop the connection in the middle of the stream, before [DONE]."""
    return StreamFault("cut", after)


def malformed_chunk(after: int = 2, data: str = "{not json") -> StreamFault:
    """Send one event that is not JSON, then go on as if nothing happened."""
    return StreamFault("malformed", after, data=data)


def error_event(
    after: int = 2, message: str = "The server had an error.", code: str | None = None
) -> StreamFault:
    """Send an `{"error": {...}}` event, as OpenAI does when a stream fails after it started,
    and end the stream there."""
    return StreamFault("error", after, message=message, code=code)


def _words(text: str) -> int:
    return len(text.split())


def _tokens(text: str) -> list[str]:
    # Word by word with the spacing kept, so the tokens join back to exactly `text`.
    return re.findall(r"\S+\s*|\s+", text)


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer: a JSON body, or Server-Sent Events when the request asks for a stream.

    `content` is one string per choice. `usage` is (prompt_tokens, completion_tokens), or
    "count" to count words, or None to leave usage out. `model` defaults to the requested one.
    """

    content: str | Sequence[str] = "Hello from the fake model."
    finish_reason: str | None = "stop"
    usage: tuple[int, int] | Literal["count"] | None = "count"
    id: str | None = None
    created: int | None = None
    model: str | None = None
    role: str = "assistant"
    # Streams only.
    first_token_delay_s: float = 0.0
    token_delay_s: float = 0.0
    fault: StreamFault | None = None

    @property
    def contents(self) -> tuple[str, ...]:
        return (self.content,) if isinstance(self.content, str) else tuple(self.content)

    def respond(self, wire: Wire) -> None:
        body = wire.request.body if isinstance(wire.request.body, dict) else {}
        meta = {
            "id": self.id or wire.next_id(),
            "created": int(time.time()) if self.created is None else self.created,
            "model": self.model or str(body.get("model", "gpt-fake")),
        }
        usage = self._usage(body)
        if body.get("stream") is True:
            options = body.get("stream_options") or {}
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            self._stream(wire, meta, usage if include_usage else None)
            return
        wire.send_json(
            200,
            {
                "id": meta["id"],
                "object": "chat.completion",
                "created": meta["created"],
                "model": meta["model"],
                "choices": [
                    {
                        "index": i,
                        "message": {"role": self.role, "content": text},
                        "finish_reason": self.finish_reason,
                    }
                    for i, text in enumerate(self.contents)
                ],
                "usage": usage,
            },
        )

    def _usage(self, body: dict[str, Any]) -> dict[str, int] | None:
        if self.usage is None:
            return None
        if self.usage == "count":
            messages = body.get("messages") or []
            prompt = sum(_words(str(m.get("content", ""))) for m in messages if isinstance(m, dict))
            completion = sum(_words(text) for text in self.contents)
        else:
            prompt, completion = self.usage
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _stream(self, wire: Wire, meta: dict[str, Any], usage: dict[str, int] | None) -> None:
        def chunk(index: int, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            event: dict[str, Any] = {
                **meta,
                "object": "chat.completion.chunk",
                "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
            }
            if usage is not None:
                event["usage"] = None  # OpenAI sends a null usage on every chunk but the last
            return event

        tokens = [_tokens(text) for text in self.contents]
        planned: list[dict[str, Any]] = [
            chunk(i, {"role": self.role, "content": ""}, None) for i in range(len(tokens))
        ]
        # Choices take turns, one token each, as OpenAI interleaves them.
        for step in range(max((len(t) for t in tokens), default=0)):
            planned += [
                chunk(i, {"content": t[step]}, None) for i, t in enumerate(tokens) if step < len(t)
            ]
        planned += [chunk(i, {}, self.finish_reason) for i in range(len(tokens))]
        if usage is not None:
            planned.append(
                {**meta, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            )

        # A fault asked for after the last event still comes, just before [DONE].
        fault_at = None if self.fault is None else min(self.fault.after, len(planned))
        sent: list[Any] = []
        wire.start_stream(sent)
        wire.wait(self.first_token_delay_s)
        for n, event in enumerate(planned):
            if n == fault_at and self._fail(wire, sent):
                return
            if n > 0:
                wire.wait(self.token_delay_s)
            sent.append(event)
            wire.send_event(json.dumps(event))
        if fault_at == len(planned) and self._fail(wire, sent):
            return
        sent.append("[DONE]")
        wire.send_event("[DONE]")
        wire.end_stream()

    def _fail(self, wire: Wire, sent: list[Any]) -> bool:
        """Send the fault; True when the stream ends with it."""
        fault = self.fault
        assert fault is not None
        if fault.kind == "cut":
            wire.hang_up()
            return True
        if fault.kind == "malformed":
            sent.append(fault.data)
            wire.send_event(fault.data)
            return False
        error = {"error": {"message": fault.message, "type": fault.type, "code": fault.code}}
        sent.append(error)
        wire.send_event(json.dumps(error))
        wire.end_stream()
        return True


@dataclass(frozen=True, slots=True)
class Fail:
    """An HTTP error with OpenAI's error body; message, type and code default to OpenAI's own
    for the status."""

    status: int
    message: str | None = None
    type: str | None = None
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def respond(self, wire: Wire) -> None:
        message, kind, code = _ERRORS.get(self.status, ("Error.", "server_error", None))
        error = {
            "message": self.message or message,
            "type": self.type or kind,
            "param": None,
            "code": self.code or code,
        }
        wire.send_json(self.status, {"error": error}, self.headers)


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

    data: bytes = b'{"id": "chatcmpl-broken", "choices": ['
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
    # HTTP/1.1 for keep-alive and chunked streams, as the SDK expects from OpenAI.
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"

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
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
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
        if self.command != "POST" or self.path.split("?")[0] != CHAT_COMPLETIONS:
            behaviour: Behaviour = Fail(404, f"Unknown request URL: {self.command} {self.path}.")
        else:
            behaviour = fake._next_behaviour()
        try:
            behaviour.respond(Wire(self, exchange))
        except (_Stopped, ConnectionError):
            # The server is stopping, or the client gave up (e.g. its timeout fired first).
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `FakeOpenAI.exchanges` instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() joins the handlers itself, with a bound

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that disconnects is normal here; real faults show up in the tests


class FakeOpenAI:
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
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

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

    def start(self) -> "FakeOpenAI":
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

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def _handler_thread_name(self) -> str:
        return f"fake-openai-handler-{id(self)}"

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
@pytest.fixture(name="fake_openai")
def fake_openai_fixture() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI, stopped after the test."""
    with FakeOpenAI() as server:
        yield server
