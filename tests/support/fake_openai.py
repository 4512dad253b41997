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

Only OpenAI's side lives here (the endpoint, body shapes, error bodies, chunks and stream
faults); recording, scripting and stopping promptly are tests/support/fake_http.py's.
"""

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from tests.support import fake_http
from tests.support.fake_http import Behaviour as Behaviour
from tests.support.fake_http import Event, tokens, word_count
from tests.support.fake_http import Exchange as Exchange
from tests.support.fake_http import HangUp as HangUp
from tests.support.fake_http import ReceivedRequest as ReceivedRequest
from tests.support.fake_http import Wire as Wire

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


def _chunk(data: Any) -> Event:
    # OpenAI's events have no name; the exchange records each one as the JSON it carries.
    return Event(json.dumps(data), record=data)


@dataclass(frozen=True, slots=True)
class StreamFault:
    """Something that goes wrong in a stream after `after` events were sent."""

    kind: Literal["cut", "malformed", "error"]
    after: int = 2
    data: str = "{not json"  # the malformed event's text
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None

    def strike(self, wire: Wire) -> bool:
        """Send the fault; True when the stream ends with it."""
        if self.kind == "cut":
            wire.hang_up()
            return True
        if self.kind == "malformed":
            wire.send_event(Event(self.data, record=self.data))
            return False
        wire.send_event(
            _chunk({"error": {"message": self.message, "type": self.type, "code": self.code}})
        )
        wire.end_stream()
        return True


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
    fault: fake_http.Fault | None = None  # a StreamFault, or any other Fault (a pause)

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
            prompt = sum(
                word_count(str(m.get("content", ""))) for m in messages if isinstance(m, dict)
            )
            completion = sum(word_count(text) for text in self.contents)
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

        pieces = [tokens(text) for text in self.contents]
        planned: list[dict[str, Any]] = [
            chunk(i, {"role": self.role, "content": ""}, None) for i in range(len(pieces))
        ]
        # Choices take turns, one token each, as OpenAI interleaves them.
        for step in range(max((len(t) for t in pieces), default=0)):
            planned += [
                chunk(i, {"content": t[step]}, None) for i, t in enumerate(pieces) if step < len(t)
            ]
        planned += [chunk(i, {}, self.finish_reason) for i in range(len(pieces))]
        if usage is not None:
            planned.append(
                {**meta, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            )

        chunks = [_chunk(event) for event in planned]
        delays = {"first_delay_s": self.first_token_delay_s, "delay_s": self.token_delay_s}
        if not wire.stream(chunks, **delays, fault=self.fault):
            # OpenAI closes a stream that went well with a last event that is not JSON.
            wire.send_event(Event("[DONE]", record="[DONE]"))
            wire.end_stream()


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
class Delay(fake_http.Delay):
    """Wait, then behave as `then`: slower than the client's timeout, the answer never arrives."""

    then: Behaviour = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class Malformed(fake_http.Malformed):
    """A body that is not what it claims to be (by default: JSON that does not parse)."""

    data: bytes = b'{"id": "chatcmpl-broken", "choices": ['


class FakeOpenAI(fake_http.FakeHTTPServer[Exchange]):
    """OpenAI's Chat Completions endpoint, scripted as fake_http.FakeHTTPServer says.

    A stream's `Exchange.body` is the list of its events: dicts, or the raw text of an event
    that was not JSON (a malformed chunk, the closing "[DONE]")."""

    endpoint = CHAT_COMPLETIONS
    base_path = "/v1"
    server_version = "FakeOpenAI/1.0"
    thread_name = "fake-openai"
    id_prefix = "chatcmpl-fake"
    exchange_type = Exchange
    reply_type = Reply
    fail_type = Fail

    def _answer_headers(self, *, stream: bool) -> Mapping[str, str]:
        # OpenAI's request id, on plain answers only (the fake never sent one with a stream).
        return {} if stream else {"x-request-id": f"req_fake{len(self.exchanges)}"}


# Named apart from its fixture so a test module can import it without shadowing it (ruff F811).
@pytest.fixture(name="fake_openai")
def fake_openai_fixture() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI, stopped after the test."""
    with FakeOpenAI() as server:
        yield server
