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

Only Anthropic's side lives here (the endpoint, body shapes, error bodies, events and stream
faults); recording, scripting and stopping promptly are tests/support/fake_http.py's.
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from tests.support import fake_http
from tests.support.fake_http import Behaviour as Behaviour
from tests.support.fake_http import Event, Wire, tokens, word_count
from tests.support.fake_http import HangUp as HangUp
from tests.support.fake_http import ReceivedRequest as ReceivedRequest

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


@dataclass(slots=True)
class Exchange(fake_http.Exchange):
    """One request and what the fake answered. For a stream, `body` is the list of the events sent
    so far as {"event": name, "data": dict, or the raw text of data that was not JSON}."""

    # The message a Reply stands for, streamed or not: what a plain request would have received.
    message: dict[str, Any] | None = None


def _event(name: str, data: Any) -> Event:
    # Anthropic names each event; the exchange records the name with the data it carries.
    text = data if isinstance(data, str) else json.dumps(data)
    return Event(text, record={"event": name, "data": data}, name=name)


@dataclass(frozen=True, slots=True)
class StreamFault:
    """Something that goes wrong in a stream after `after` events were sent."""

    kind: Literal["cut", "malformed", "error", "unfinished"]
    after: int = 3
    data: str = "{not json"  # the malformed event's data
    error_type: str = "overloaded_error"
    message: str = "Overloaded"

    def strike(self, wire: Wire) -> bool:
        """Send the fault; True when the stream ends with it."""
        if self.kind == "cut":
            wire.hang_up()
            return True
        if self.kind == "unfinished":
            wire.end_stream()
            return True
        if self.kind == "malformed":
            wire.send_event(_event("content_block_delta", self.data))
            return False
        error = {"type": "error", "error": {"type": self.error_type, "message": self.message}}
        wire.send_event(_event("error", error))
        wire.end_stream()
        return True


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
            prompt = sum(word_count(text) for text in _prompt_text(body))
            completion = sum(word_count(text) for text in self.texts)
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
        if isinstance(wire.exchange, Exchange):  # always, on a FakeAnthropic
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
                for token in tokens(text)
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

        events = [_event(name, data) for name, data in planned]
        pace = {"first_delay_s": self.first_event_delay_s, "delay_s": self.delta_delay_s}
        if not wire.stream(events, **pace, fault=self.fault):
            wire.end_stream()  # Anthropic's last event is message_stop, already sent


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
class Delay(fake_http.Delay):
    """Wait, then behave as `then`: slower than the client's timeout, the answer never arrives."""

    then: Behaviour = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class Malformed(fake_http.Malformed):
    """A body that is not what it claims to be (by default: JSON that does not parse)."""

    data: bytes = b'{"id": "msg_broken", "type": "message", "content": ['


class FakeAnthropic(fake_http.FakeHTTPServer[Exchange]):
    """Anthropic's Messages endpoint, scripted as fake_http.FakeHTTPServer says; each exchange
    also records the message a Reply stands for."""

    endpoint = MESSAGES
    base_path = ""  # the SDK adds `/v1/messages` itself
    server_version = "FakeAnthropic/1.0"
    thread_name = "fake-anthropic"
    id_prefix = "msg_fake"
    poll_interval_s = 0.01
    exchange_type = Exchange
    reply_type = Reply
    fail_type = Fail

    def _answer_headers(self, *, stream: bool) -> Mapping[str, str]:
        # Anthropic's request id, on every answer, streamed or not.
        return {"request-id": f"req_fake{len(self.exchanges):04d}"}


# Named apart from its fixture so a test module can import it without shadowing it (ruff F811).
@pytest.fixture(name="fake_anthropic")
def fake_anthropic_fixture() -> Iterator[FakeAnthropic]:
    """A running FakeAnthropic, stopped after the test."""
    with FakeAnthropic() as server:
        yield server
