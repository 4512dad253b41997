"""Any chat model, measured: latency (to the first piece of a streamed answer and in all), tokens
and errors, by provider and model, as Prometheus metrics and one log line per request.

A decorator around a provider's adapter, so every provider is measured the same way and none of
them knows about it. Nothing the member wrote or the model answered is logged, only sizes and
times. The model label is the requested name, one of the configured allow-list, so the number of
series stays bounded whatever a provider reports back."""

import logging
import time
from collections.abc import AsyncGenerator
from typing import Literal

from prometheus_client import Counter, Histogram

from application.errors import ModelError
from application.ports import AnswerStream, ChatModel
from domain.llm import Completion, CompletionRequest

log = logging.getLogger(__name__)

Outcome = Literal["ok", "error", "cancelled"]

LLM_DURATION = Histogram(
    "chatbot_llm_request_duration_seconds",
    "Time a model request took in all, by provider, model, mode (stream or complete) and "
    "outcome (ok, error, cancelled: stopped by the member or the server).",
    ["provider", "model", "mode", "outcome"],
    buckets=(0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300),
)
LLM_FIRST_TOKEN = Histogram(
    "chatbot_llm_time_to_first_token_seconds",
    "Time from sending a streamed model request to its first piece of text.",
    ["provider", "model"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
LLM_TOKENS = Counter(
    "chatbot_llm_tokens",
    "Tokens the providers reported, by provider, model and kind (prompt or completion).",
    ["provider", "model", "kind"],
)
LLM_ERRORS = Counter(
    "chatbot_llm_errors",
    "Model requests that failed, by provider, model and error code "
    "(upstream_error, upstream_busy, upstream_timeout; unexpected for an adapter bug).",
    ["provider", "model", "code"],
)


class MeteredChatModel(ChatModel):
    def __init__(self, inner: ChatModel, *, provider: str) -> None:
        self.inner = inner
        self.provider = provider

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        try:
            completion = self.inner.complete(request)
        except BaseException as error:
            self._record(request, "complete", started, None, None, error)
            raise
        self._record(request, "complete", started, None, completion, None)
        return completion

    def stream(self, request: CompletionRequest) -> AnswerStream:
        return _MeteredStream(self, request, self.inner.stream(request))

    def _record(
        self,
        request: CompletionRequest,
        mode: Literal["stream", "complete"],
        started: float,
        first_piece_at: float | None,
        received: Completion | None,
        error: BaseException | None,
    ) -> None:
        seconds = time.perf_counter() - started
        model = request.model
        outcome: Outcome = "ok"
        code = None
        if isinstance(error, ModelError):
            outcome, code = "error", error.code
        elif isinstance(error, Exception):
            outcome, code = "error", "unexpected"
        elif error is not None:  # CancelledError, GeneratorExit: a stop, not a failure
            outcome = "cancelled"
        LLM_DURATION.labels(self.provider, model, mode, outcome).observe(seconds)
        if code is not None:
            LLM_ERRORS.labels(self.provider, model, code).inc()
        ttft = None if first_piece_at is None else first_piece_at - started
        if ttft is not None:
            LLM_FIRST_TOKEN.labels(self.provider, model).observe(ttft)
        usage = received.usage if received is not None else None
        if usage is not None:
            LLM_TOKENS.labels(self.provider, model, "prompt").inc(usage.prompt_tokens)
            LLM_TOKENS.labels(self.provider, model, "completion").inc(usage.completion_tokens)
        log.log(
            logging.WARNING if code is not None else logging.INFO,
            "model %s: %s %s %s in %.0f ms",
            mode,
            self.provider,
            model,
            code or outcome,
            seconds * 1000,
            extra={
                "provider": self.provider,
                "model": model,
                "mode": mode,
                "outcome": outcome,
                "error_code": code,
                "duration_ms": round(seconds * 1000, 1),
                "first_token_ms": None if ttft is None else round(ttft * 1000, 1),
                "prompt_tokens": usage.prompt_tokens if usage is not None else None,
                "completion_tokens": usage.completion_tokens if usage is not None else None,
            },
        )


class _MeteredStream(AnswerStream):
    """Passes the inner stream through piece by piece as it is iterated, and records once: when
    it ends, fails, or is closed before its end."""

    def __init__(
        self, meter: MeteredChatModel, request: CompletionRequest, inner: AnswerStream
    ) -> None:
        self._meter = meter
        self._request = request
        self._inner = inner
        self._pieces: AsyncGenerator[str, None] | None = None

    def __aiter__(self) -> AsyncGenerator[str, None]:
        self._pieces = self._observe()
        return self._pieces

    async def _observe(self) -> AsyncGenerator[str, None]:
        # The request goes out when iteration starts: stream() itself sends nothing.
        started = time.perf_counter()
        first_piece_at: float | None = None
        error: BaseException | None = None
        pieces = aiter(self._inner)
        try:
            async for piece in pieces:
                if piece and first_piece_at is None:
                    first_piece_at = time.perf_counter()
                yield piece
        except BaseException as failure:  # GeneratorExit too: closed before its end
            error = failure
            raise
        finally:
            self._meter._record(
                self._request, "stream", started, first_piece_at, self._inner.result(), error
            )
            if isinstance(error, GeneratorExit) and isinstance(pieces, AsyncGenerator):
                await pieces.aclose()  # the inner stream's own clean-up, now rather than at GC

    def result(self) -> Completion | None:
        return self._inner.result()

    async def aclose(self) -> None:
        pieces, self._pieces = self._pieces, None
        try:
            if pieces is not None:
                await pieces.aclose()
        finally:
            await self._inner.aclose()
