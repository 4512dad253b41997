"""The app with experimental changes, to measure them before anyone writes them properly.

    .venv/bin/python bench/stream_bench.py --patches gc_freeze,raw_chunks

serves this module instead of django_project.asgi, with BENCH_PATCHES naming what to change
(comma-separated). Each patch reaches into the app's internals as they are today: it is a way to
try an idea under load, not a fix, and may stop applying when the code it patches changes.

- gc_freeze: gc.freeze() once the app is loaded and again after a worker's first 20 answers, so
  full collections leave the ~260,000 objects of the loaded modules (and what the first requests
  load) alone.
- stateless_jwt: JWTStatelessUserAuthentication (no member SELECT per request; the use cases
  read the member anyway). Applied in bench/variant_settings.py.
- raw_chunks: the OpenAI adapter reads the SSE lines and json.loads them, instead of letting the
  SDK build a pydantic model for every chunk.
- lag: log the event loop's lag and the garbage collector's pauses, every 2 s, per worker.
"""

import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

PATCHES = {p for p in os.environ.get("BENCH_PATCHES", "").split(",") if p}
KNOWN = {"gc_freeze", "stateless_jwt", "raw_chunks", "lag"}
if PATCHES - KNOWN:
    raise SystemExit(f"unknown BENCH_PATCHES: {sorted(PATCHES - KNOWN)}; known: {sorted(KNOWN)}")
os.environ["DJANGO_SETTINGS_MODULE"] = "variant_settings"

from django_project.asgi import application  # noqa: E402

__all__ = ["application"]
FREEZE_AGAIN_AFTER = 20  # answers: within the benchmark's warm-up


def _gc_freeze() -> None:
    from django.urls import get_resolver

    import application.streaming as streaming

    get_resolver().url_patterns  # noqa: B018 - import every view now, not on the first request
    gc.collect()
    gc.freeze()
    # The first requests load more for good (the SDK's types, translations, caches): freeze
    # again once this worker has served some answers.
    answers = [0]
    add = streaming.LiveAnswers.add

    def add_and_count(self: Any, live: Any) -> None:
        answers[0] += 1
        if answers[0] == FREEZE_AGAIN_AFTER:
            gc.collect()
            gc.freeze()
        add(self, live)

    streaming.LiveAnswers.add = add_and_count  # type: ignore[method-assign]


class _Attrs(dict[str, Any]):
    """A JSON object whose keys read as attributes (None when missing), as the adapter reads
    the SDK's models."""

    def __getattr__(self, key: str) -> Any:
        return self.get(key)


def _raw_chunks() -> None:
    import adapters.llm.openai_compatible as adapter
    from application.errors import ModelError, ModelUnavailable

    class _Closer:
        def __init__(self, response_cm: Any) -> None:
            self._cm = response_cm

        async def close(self) -> None:
            await self._cm.__aexit__(None, None, None)

    async def chunks(stream: Any) -> AsyncIterator[_Attrs]:
        async with asyncio.timeout(stream._timeout_s):
            cm = stream._client.chat.completions.with_streaming_response.create(
                **stream._request.as_wire()
            )
            response = await cm.__aenter__()
            stream._upstream = _Closer(cm)
        async for line in response.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            chunk = json.loads(data, object_hook=_Attrs)
            if chunk.get("error"):
                raise ModelUnavailable("The model provider's answer broke off.")
            yield chunk

    async def pieces(self: Any) -> AsyncIterator[str]:
        try:
            async for chunk in chunks(self):
                text = self._take(chunk)
                if text:
                    yield text
        except ModelError:
            raise
        except Exception as error:
            raise adapter._model_error(error) from error

    adapter._OpenAIStream.__aiter__ = pieces  # type: ignore[method-assign]


def _lag() -> None:
    import application.streaming as streaming

    pauses = {"start": 0.0, "full": 0, "full_s": 0.0, "max_s": 0.0}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            pauses["start"] = time.perf_counter()
            return
        took = time.perf_counter() - pauses["start"]
        pauses["max_s"] = max(pauses["max_s"], took)
        if info["generation"] == 2:
            pauses["full"] += 1
            pauses["full_s"] += took

    gc.callbacks.append(on_gc)

    async def watch() -> None:
        lags: list[float] = []
        window = time.perf_counter()
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)
            if time.perf_counter() - window < 2.0:
                continue
            lags.sort()
            print(
                f"LAG pid={os.getpid()} p50={lags[len(lags) // 2] * 1000:.1f} "
                f"p99={lags[int(len(lags) * 0.99)] * 1000:.1f} max={lags[-1] * 1000:.1f} ms; "
                f"full GCs {pauses['full']} ({pauses['full_s'] * 1000:.0f} ms), "
                f"longest GC {pauses['max_s'] * 1000:.0f} ms",
                file=sys.stderr,
                flush=True,
            )
            lags, window = [], time.perf_counter()
            pauses.update(full=0, full_s=0.0, max_s=0.0)

    watcher: list[asyncio.Task[None]] = []
    add = streaming.LiveAnswers.add

    def add_and_watch(self: Any, live: Any) -> None:
        if not watcher:  # the first answer: now there is a running loop to watch
            watcher.append(asyncio.get_running_loop().create_task(watch()))
        add(self, live)

    streaming.LiveAnswers.add = add_and_watch  # type: ignore[method-assign]


for _name, _patch in (
    ("raw_chunks", _raw_chunks),
    ("lag", _lag),
    ("gc_freeze", _gc_freeze),  # last: after the other patches imported what they need
):
    if _name in PATCHES:
        _patch()
print(f"bench variants: {sorted(PATCHES)}", file=sys.stderr, flush=True)
