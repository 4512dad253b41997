"""Anthropic's Messages API through the official SDK, behind the same port as OpenAI.

The app's records are in the OpenAI Chat Completions shape; this adapter translates a request into
a Messages request and the answer back, and keeps both Anthropic bodies (`native_request`,
`native_response`) so every exchange stays reproducible in Anthropic's own terms too.
"""

import asyncio
import contextlib
import copy
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

import anthropic
import httpx2
from anthropic.types import RawMessageStreamEvent

from adapters.llm import deadline
from application.errors import ModelBusy, ModelError, ModelTimeout, ModelUnavailable
from application.ports import AnswerStream, ChatModel
from domain.llm import Choice, Completion, CompletionAssembler, CompletionRequest, Role, Usage

log = logging.getLogger(__name__)

# 529 is Anthropic's "overloaded"; 503 means the same in practice. Both are a 429 to the member.
_BUSY_STATUSES = frozenset({429, 503, 529})
_UNREADABLE = "The model provider sent an answer that could not be read."
_BROKE_OFF = "The model provider's answer broke off."
# The SDK refuses to start without a credential, but a local Anthropic-compatible server needs
# none. The placeholder never goes out: the Authorization header it would fill is left off.
_NO_KEY = "no-key"
# The Messages API wants a conversation to open with the member; in this app it always does,
# and this stands in front of one that would not (e.g. history trimmed to an answer).
_OPENING = "(continued)"
_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_EVENTS = frozenset(
    {
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)

_T = TypeVar("_T")


class AnthropicChatModel(ChatModel):
    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 1,
        send_temperature: bool = False,
    ) -> None:
        # API version 2026-10-21 (the SDK's since 2.0) answers 400 to any request that carries
        # temperature, top_p or top_k, so the temperature is left out unless a server that still
        # takes it (an older API version, a compatible gateway) is configured to get it.
        self._send_temperature = send_temperature
        # The SDK's default timeout is ten minutes: no answer for someone waiting on a web page.
        self._options: dict[str, Any] = {
            "api_key": api_key or _NO_KEY,
            "base_url": base_url or None,
            "timeout": anthropic.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            "max_retries": max_retries,
        }
        # The SDK sends a key as `Authorization: Bearer`; the Messages API documents `x-api-key`,
        # which every Anthropic-compatible server takes too. The key goes there and only there.
        self._headers: dict[str, str | anthropic.Omit] = {"Authorization": anthropic.omit}
        if api_key:
            self._headers["X-Api-Key"] = api_key
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        # Plain requests retry under one deadline (adapters/llm/deadline.py), not in the SDK.
        self._client = anthropic.Anthropic(**{**self._options, "max_retries": 0})
        # Made on first use, inside the event loop that will use its connections.
        self._async_client: anthropic.AsyncAnthropic | None = None

    def _native_request(self, request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
        """The JSON body of the Messages request that stands for `request`."""
        body = _messages_request(request, stream=stream)
        if self._send_temperature:
            body["temperature"] = min(max(request.temperature, 0.0), 1.0)
        return body

    def complete(self, request: CompletionRequest) -> Completion:
        """One answer within `timeout_s` in all, retries and their back-off included."""
        native = self._native_request(request, stream=False)
        return deadline.within(
            self._timeout_s,
            self._max_retries,
            lambda remaining: self._complete_once(native, remaining),
            _retryable,
        )

    def _complete_once(self, native: dict[str, Any], timeout_s: float) -> Completion:
        try:
            raw = self._client.messages.with_raw_response.create(
                **_create_arguments(native, stream=False),
                extra_headers=self._headers,
                timeout=anthropic.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            )
            # The body as it came, not the SDK's model of it: that is the record to keep.
            body = raw.json()
        except (anthropic.AnthropicError, httpx2.HTTPError, ValueError) as error:
            # ValueError: a body labelled JSON that does not parse.
            raise _model_error(error) from error
        try:
            response = _checked(body, dict)
            completion = _completion(response)
        except (AttributeError, TypeError, ValueError) as error:
            log.warning("model provider sent something else than a message")
            raise ModelUnavailable(_UNREADABLE) from error
        return replace(completion, native_request=native, native_response=response)

    def stream(self, request: CompletionRequest) -> AnswerStream:
        if self._async_client is None:
            self._async_client = anthropic.AsyncAnthropic(**self._options)
        native = self._native_request(request, stream=True)
        return _AnthropicStream(self._async_client, native, self._headers, self._timeout_s)


def _messages_request(request: CompletionRequest, *, stream: bool) -> dict[str, Any]:
    """A Chat Completions request as a Messages request: the system messages become `system`,
    the others alternate user and assistant (same-role neighbours merged), opening with the user.
    Blank messages are left out: the Messages API refuses empty text."""
    system = [m.content for m in request.messages if m.role is Role.SYSTEM and m.content.strip()]
    turns: list[dict[str, str]] = []
    for message in request.messages:
        if message.role is Role.SYSTEM or not message.content.strip():
            continue
        if turns and turns[-1]["role"] == message.role.value:
            turns[-1]["content"] += "\n\n" + message.content
        else:
            turns.append({"role": message.role.value, "content": message.content})
    if not turns or turns[0]["role"] != Role.USER.value:
        turns.insert(0, {"role": Role.USER.value, "content": _OPENING})
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": turns,
    }
    if system:
        body["system"] = "\n\n".join(system)
    body["stream"] = stream
    return body


def _finish_reason(stop_reason: str | None) -> str | None:
    """Anthropic's stop_reason as a Chat Completions finish_reason; unknown ones as they are."""
    return None if stop_reason is None else _FINISH_REASONS.get(stop_reason, stop_reason)


def _create_arguments(native: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:
    """The SDK's arguments that send exactly the body `native`, plain or streamed."""
    return {
        "model": native["model"],
        "max_tokens": native["max_tokens"],
        "messages": native["messages"],
        "system": native.get("system", anthropic.omit),
        "stream": stream,
        "extra_body": _extra_body(native),
    }


def _extra_body(native: Mapping[str, Any]) -> dict[str, Any] | None:
    # The SDK (since 2.0) has no temperature parameter; it goes in as an extra field.
    return {"temperature": native["temperature"]} if "temperature" in native else None


def _completion(message: dict[str, Any]) -> Completion:
    # The body is checked field by field: anything of another shape ends as a TypeError here
    # instead of reaching the records.
    if message.get("type") != "message":
        raise TypeError(f"expected a message, got {message.get('type')!r}")
    texts = []
    for block in _checked(message.get("content"), list):
        if _checked(block, dict).get("type") == "text":
            texts.append(_checked(block.get("text"), str))
    stop_reason = message.get("stop_reason")
    return Completion(
        id=_checked(message.get("id"), str),
        # Anthropic's messages carry no time: the moment the answer arrived stands in.
        created=int(time.time()),
        model=_checked(message.get("model"), str),
        choices=(
            Choice(
                index=0,
                role=_checked(message.get("role"), str),
                content="".join(texts),
                finish_reason=_finish_reason(
                    None if stop_reason is None else _checked(stop_reason, str)
                ),
            ),
        ),
        usage=_usage(message.get("usage")),
    )


def _usage(value: object) -> Usage | None:
    if value is None:
        return None
    usage = _checked(value, dict)
    prompt = _checked(usage.get("input_tokens"), int)
    completion = _checked(usage.get("output_tokens"), int)
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _checked(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


_retryable = partial(
    deadline.retryable,
    timeout=anthropic.APITimeoutError,
    connection=anthropic.APIConnectionError,
    status=anthropic.APIStatusError,
)


def _model_error(error: BaseException, *, streaming: bool = False) -> ModelError:
    """The port's error for anything the SDK or the connection raised."""
    if isinstance(error, anthropic.APITimeoutError | TimeoutError | httpx2.TimeoutException):
        return ModelTimeout("The model did not answer in time.")
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        if status < 400:
            # An `error` event in a stream that had started well: whatever its kind, the answer
            # is cut short. Its type (e.g. overloaded_error) is logged when it is a plain name.
            kind = error.type if isinstance(error.type, str) and error.type.isidentifier() else "?"
            log.warning("model provider stream sent an error event: %s", kind)
            return ModelUnavailable(_BROKE_OFF)
        # The provider's message may echo request details; only the status is passed on.
        log.warning("model provider answered HTTP %s", status)
        if status in _BUSY_STATUSES:
            return ModelBusy("The model provider is busy; try again shortly.")
        return ModelUnavailable(f"The model provider answered with an error (HTTP {status}).")
    if isinstance(error, anthropic.APIConnectionError):
        return ModelUnavailable("The model provider could not be reached.")
    # A malformed event (a JSON error), a cut connection (a transport error) or an event of the
    # wrong shape: to the member they are all the same.
    log.warning("model provider failed: %s", type(error).__name__)
    return ModelUnavailable(_BROKE_OFF if streaming else _UNREADABLE)


class _AnthropicStream(AnswerStream):
    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        native: dict[str, Any],
        headers: Mapping[str, str | anthropic.Omit],
        timeout_s: float,
    ) -> None:
        self._client = client
        self._native = native
        self._headers = headers
        self._timeout_s = timeout_s
        self._received = CompletionAssembler(native["model"])
        self._upstream: anthropic.AsyncStream[RawMessageStreamEvent] | None = None
        # The message as the events build it up: Anthropic's own record of a streamed answer.
        self._message: dict[str, Any] | None = None
        self._blocks: dict[int, dict[str, Any]] = {}
        self._partial_json: dict[int, list[str]] = {}
        self._stopped = False

    async def __aiter__(self) -> AsyncIterator[str]:
        native = self._native
        try:
            # Retries (the SDK's) happen only here, before the first event; the whole wait for
            # it is bounded, and the HTTP read timeout bounds every later one.
            async with asyncio.timeout(self._timeout_s):
                self._upstream = await self._client.messages.create(
                    **_create_arguments(native, stream=True), extra_headers=self._headers
                )
                events = aiter(self._upstream)
                first = await anext(events, None)
            if first is None:
                raise ModelUnavailable("The model provider sent an empty answer.")
            text = self._take(first)
            if text:
                yield text
            async for event in events:
                text = self._take(event)
                if text:
                    yield text
            if not self._stopped:
                log.warning("model provider stream ended before message_stop")
                raise ModelUnavailable(_BROKE_OFF)
        except ModelError:
            await self._close_quietly()
            raise
        except Exception as error:  # every provider fault maps to a ModelError
            await self._close_quietly()
            raise _model_error(error, streaming=True) from error

    def _take(self, event: object) -> str:
        """Fold one event into the message and the completion; the text it adds, if any."""
        data = _as_dict(event)
        kind = data.get("type")
        if kind == "message_start":
            self._start(_checked(data.get("message"), dict))
            return ""
        if kind not in _EVENTS:
            return ""  # an event type added after this was written
        message = self._message
        if message is None:
            raise TypeError(f"{kind} before message_start")
        if kind == "content_block_start":
            index = _checked(data.get("index"), int)
            block = dict(_checked(data.get("content_block"), dict))
            self._blocks[index] = block
            message["content"].append(block)
            text = block.get("text") if block.get("type") == "text" else ""
            return self._add_text(_checked(text or "", str))
        if kind == "content_block_delta":
            return self._delta(_checked(data.get("index"), int), _checked(data.get("delta"), dict))
        if kind == "content_block_stop":
            index = _checked(data.get("index"), int)
            parts = self._partial_json.pop(index, None)
            if parts is not None:
                self._blocks[index]["input"] = json.loads("".join(parts) or "{}")
            return ""
        if kind == "message_delta":
            delta = _checked(data.get("delta"), dict)
            message.update(delta)
            stop_reason = delta.get("stop_reason")
            if stop_reason is not None:
                self._received.add(0, finish_reason=_finish_reason(_checked(stop_reason, str)))
            usage = data.get("usage")
            if usage is not None:
                counts = {k: v for k, v in _checked(usage, dict).items() if v is not None}
                message["usage"] = {**(message.get("usage") or {}), **counts}
                self._received.usage = _usage(message["usage"])
            return ""
        self._stopped = True  # message_stop
        return ""

    def _start(self, start: dict[str, Any]) -> None:
        self._message = {**start, "content": list(start.get("content") or [])}
        self._received.header(
            _checked(start.get("id"), str), int(time.time()), _checked(start.get("model"), str)
        )
        self._received.add(0, role=_checked(start.get("role"), str))
        self._received.usage = _usage(start.get("usage"))

    def _delta(self, index: int, delta: dict[str, Any]) -> str:
        block = self._blocks[index]
        kind = delta.get("type")
        if kind == "text_delta":
            text = _checked(delta.get("text"), str)
            block["text"] = block.get("text", "") + text
            return self._add_text(text)
        if kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + _checked(delta.get("thinking"), str)
        elif kind == "signature_delta":
            block["signature"] = _checked(delta.get("signature"), str)
        elif kind == "input_json_delta":
            part = _checked(delta.get("partial_json"), str)
            self._partial_json.setdefault(index, []).append(part)
        elif kind == "citations_delta":
            block["citations"] = [*(block.get("citations") or []), delta.get("citation")]
        return ""

    def _add_text(self, text: str) -> str:
        if text:
            self._received.add(0, text=text)
        return text

    def result(self) -> Completion | None:
        completion = self._received.result()
        if completion is None:
            return None
        return replace(
            completion,
            native_request=self._native,
            native_response=copy.deepcopy(self._message),
        )

    async def aclose(self) -> None:
        upstream, self._upstream = self._upstream, None
        if upstream is not None:
            await upstream.close()

    async def _close_quietly(self) -> None:
        with contextlib.suppress(Exception):
            await self.aclose()


def _as_dict(event: object) -> dict[str, Any]:
    # The SDK builds its event models without validating them: their JSON form is the event as
    # it came, extra fields included, and is checked here like a plain body.
    to_dict = getattr(event, "to_dict", None)
    data = to_dict(mode="json") if callable(to_dict) else event
    return _checked(data, dict)
