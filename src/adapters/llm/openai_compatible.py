"""OpenAI, and any server that speaks its Chat Completions protocol, through the official SDK."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, TypeVar

import httpx2
import openai

from adapters.llm import deadline, http1
from application.errors import ModelBusy, ModelError, ModelTimeout, ModelUnavailable
from application.ports import AnswerStream, ChatModel
from domain.llm import Choice, Completion, CompletionAssembler, CompletionRequest, Usage

log = logging.getLogger(__name__)

# 503 and 529 mean "overloaded, try later" in practice, like a 429.
_BUSY_STATUSES = frozenset({429, 503, 529})
_UNREADABLE = "The model provider sent an answer that could not be read."
# The SDK refuses to start without a key, but a local OpenAI-compatible server (Ollama, vLLM)
# needs none: the settings allow OPENAI_BASE_URL alone, and then this stands in for the key.
_NO_KEY = "no-key"
# The SDK's header (openai._constants) for "return the response with its body unread".
_RAW_RESPONSE = "X-Stainless-Raw-Response"
_FINISH_S = 0.5

_T = TypeVar("_T")


class OpenAIChatModel(ChatModel):
    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 1,
    ) -> None:
        # The SDK's default timeout is ten minutes: no answer for someone waiting on a web page.
        self._options: dict[str, Any] = {
            "api_key": api_key or _NO_KEY,
            "base_url": base_url or None,
            "timeout": openai.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            "max_retries": max_retries,
        }
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        # Plain requests retry under one deadline (adapters/llm/deadline.py), not in the SDK.
        self._client = openai.OpenAI(**{**self._options, "max_retries": 0})
        # Made on first use, inside the event loop that will use its connections.
        self._async_client: openai.AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def stream(self, request: CompletionRequest) -> AnswerStream:
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._client_loop is not loop:
            # Connections stay pooled between answers, and belong to the loop that opened them.
            transport = None if http1.proxied() else http1.LeanTransport()
            http_client = openai.DefaultAsyncHttpxClient(transport=transport)
            self._async_client = openai.AsyncOpenAI(**self._options, http_client=http_client)
            self._client_loop = loop
        return _OpenAIStream(self._async_client, request, self._timeout_s)

    def complete(self, request: CompletionRequest) -> Completion:
        """One answer within `timeout_s` in all, retries and their back-off included."""
        return deadline.within(
            self._timeout_s,
            self._max_retries,
            lambda remaining: self._complete_once(request, remaining),
            _retryable,
        )

    def _complete_once(self, request: CompletionRequest, timeout_s: float) -> Completion:
        try:
            # The SDK's own request path (its auth, headers and errors) with the stored body as
            # it is: `chat.completions.create` would first rebuild that body against its typed
            # parameters, 1.2 ms of CPU for a short chat, and read the answer into its models;
            # it is read with json.loads instead and checked field by field below.
            response = self._client.post(
                "/chat/completions",
                body=request.as_wire(),  # exactly the body that is stored
                cast_to=httpx2.Response,
                options={"timeout": openai.Timeout(timeout_s, connect=min(timeout_s, 5.0))},
            ).json()
        except openai.APITimeoutError as error:
            raise ModelTimeout("The model did not answer in time.") from error
        except openai.APIConnectionError as error:
            raise ModelUnavailable("The model provider could not be reached.") from error
        except openai.APIStatusError as error:
            # The provider's message may echo request details; only the status is passed on.
            log.warning("model provider answered HTTP %s", error.status_code)
            if error.status_code in _BUSY_STATUSES:
                raise ModelBusy("The model provider is busy; try again shortly.") from error
            raise ModelUnavailable(
                f"The model provider answered with an error (HTTP {error.status_code})."
            ) from error
        except ValueError as error:  # a body that is not JSON (or not UTF-8)
            log.warning("model provider sent a body that is not JSON")
            raise ModelUnavailable(_UNREADABLE) from error
        except (openai.OpenAIError, httpx2.HTTPError) as error:
            log.warning("model provider failed: %s", type(error).__name__)
            raise ModelUnavailable(_UNREADABLE) from error
        try:
            return _completion(response)
        except (AttributeError, TypeError) as error:
            log.warning("model provider sent something else than a chat completion")
            raise ModelUnavailable(_UNREADABLE) from error


def _completion(response: object) -> Completion:
    # Every field is checked for its type: JSON of another shape ends here as AttributeError or
    # TypeError instead of reaching the records as it is.
    body = _checked(response, dict)
    choices = _checked(body.get("choices"), list)
    if not choices:
        raise ModelUnavailable("The model provider sent an answer with no choices.")
    usage = body.get("usage")
    return Completion(
        id=_checked(body.get("id"), str),
        created=_checked(body.get("created"), int),
        model=_checked(body.get("model"), str),
        choices=tuple(_choice(_checked(c, dict)) for c in choices),
        usage=None
        if usage is None
        else Usage(
            _checked(usage.get("prompt_tokens"), int),
            _checked(usage.get("completion_tokens"), int),
            _checked(usage.get("total_tokens"), int),
        ),
    )


def _choice(choice: dict[str, Any]) -> Choice:
    message = _checked(choice.get("message"), dict)
    return Choice(
        index=_checked(choice.get("index"), int),
        role=_checked(message.get("role"), str),
        content=_checked(message.get("content") or "", str),
        finish_reason=_optional(choice.get("finish_reason"), str),
    )


def _checked(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _optional(value: object, kind: type[_T]) -> _T | None:
    return None if value is None else _checked(value, kind)


_retryable = partial(
    deadline.retryable,
    timeout=openai.APITimeoutError,
    connection=openai.APIConnectionError,
    status=openai.APIStatusError,
)


def _model_error(error: BaseException) -> ModelError:
    """The port's error for anything the SDK or the connection raised."""
    if isinstance(error, openai.APITimeoutError | TimeoutError | httpx2.TimeoutException):
        return ModelTimeout("The model did not answer in time.")
    if isinstance(error, openai.APIStatusError):
        log.warning("model provider answered HTTP %s", error.status_code)
        if error.status_code in _BUSY_STATUSES:
            return ModelBusy("The model provider is busy; try again shortly.")
        return ModelUnavailable(
            f"The model provider answered with an error (HTTP {error.status_code})."
        )
    if isinstance(error, openai.APIConnectionError):
        return ModelUnavailable("The model provider could not be reached.")
    # A broken stream surfaces as an SDK APIError (an error event), a JSON error (a malformed
    # chunk) or a transport error (a cut connection): to the member they are all the same.
    log.warning("model provider stream failed: %s", type(error).__name__)
    return ModelUnavailable("The model provider's answer broke off.")


async def _chunks(pieces: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    """The JSON of each Server-Sent Event, until `[DONE]`, from the body's bytes as they come.
    Parsed with json.loads rather than into the SDK's pydantic models: that costs 3 µs a chunk
    here instead of 109 µs, which at 50 open streams was half a core; and split into lines here
    rather than by httpx's text and line decoders, two layers less for every token
    (docs/benchmarks.md)."""
    data: list[bytes] = []
    rest = b""
    async for piece in pieces:
        buffer = rest + piece if rest else piece
        if b"\r" in buffer:  # \r\n and a lone \r end lines too; a \r last may be half a \r\n
            held = buffer.endswith(b"\r")
            buffer = buffer[:-1] if held else buffer
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + (b"\r" if held else b"")
        *lines, rest = buffer.split(b"\n")
        for line in lines:
            if line:
                if line.startswith(b"data:"):
                    data.append(line[6:] if line.startswith(b"data: ") else line[5:])
                continue  # event:, id:, retry: and comments carry nothing here
            if not data:
                continue
            payload, data = b"\n".join(data), []
            if payload.startswith(b"[DONE]"):
                return
            chunk = json.loads(payload)
            if isinstance(chunk, dict) and chunk.get("error"):
                # The provider reports a failure inside a stream that had started; the SDK
                # raises APIError for the same event.
                raise ModelUnavailable("The model provider's answer broke off.")
            yield chunk


async def _finish(pieces: AsyncIterator[bytes]) -> None:
    """Read what follows `[DONE]` (the body's last, empty chunk, in the same packet as a rule),
    so that the connection goes back to the pool: closed early, it is dropped, and the next
    answer waits for a new connection and, to a real provider, a TLS handshake. A server that
    keeps the body open after `[DONE]` gets a moment, then the connection is dropped."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_FINISH_S):
            async for _ in pieces:
                pass


class _OpenAIStream(AnswerStream):
    def __init__(
        self, client: openai.AsyncOpenAI, request: CompletionRequest, timeout_s: float
    ) -> None:
        self._client = client
        self._request = request
        self._timeout_s = timeout_s
        self._received = CompletionAssembler(request.model)
        self._upstream: httpx2.Response | None = None

    async def __aiter__(self) -> AsyncIterator[str]:
        request = self._request
        try:
            # Retries (the SDK's) happen only here, before the first chunk; the whole wait for
            # the first chunk is bounded, and the HTTP read timeout bounds every later one.
            async with asyncio.timeout(self._timeout_s):
                # As in `complete`: the SDK's request path with the stored body as it is, and
                # the body left unread for the loop below (the header is how the SDK's own
                # `with_streaming_response` asks for that).
                response = await self._client.post(
                    "/chat/completions",
                    body=request.as_wire(),  # exactly the body that is stored
                    cast_to=httpx2.Response,
                    options={"headers": {_RAW_RESPONSE: "stream"}},
                )
                self._upstream = response
                pieces = response.aiter_bytes()
                chunks = _chunks(pieces)
                first = await anext(chunks, None)
            if first is None:
                raise ModelUnavailable("The model provider sent an empty answer.")
            text = self._take(first)
            if text:
                yield text
            async for chunk in chunks:
                text = self._take(chunk)
                if text:
                    yield text
            await _finish(pieces)
        except ModelError:
            raise
        except Exception as error:  # every provider fault maps to a ModelError
            raise _model_error(error) from error

    def _take(self, chunk: dict[str, Any]) -> str:
        received = self._received
        received.header(
            _checked(chunk.get("id"), str),
            _checked(chunk.get("created"), int),
            chunk.get("model") or "",
        )
        usage = chunk.get("usage")
        if usage is not None:
            received.usage = Usage(
                _checked(usage.get("prompt_tokens"), int),
                _checked(usage.get("completion_tokens"), int),
                _checked(usage.get("total_tokens"), int),
            )
        first_text = ""
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            text = delta.get("content") or ""
            index = _checked(choice.get("index"), int)
            received.add(
                index,
                text=_checked(text, str),
                role=_optional(delta.get("role"), str),
                finish_reason=_optional(choice.get("finish_reason"), str),
            )
            if index == 0:
                first_text = text
        return first_text

    def result(self) -> Completion | None:
        return self._received.result()

    async def aclose(self) -> None:
        upstream, self._upstream = self._upstream, None
        if upstream is not None:
            await upstream.aclose()
