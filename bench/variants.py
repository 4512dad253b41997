"""The app with experimental changes, to measure them before anyone writes them properly.

    .venv/bin/python bench/stream_bench.py --patches lag

serves this module instead of django_project.asgi, with BENCH_PATCHES naming what to change
(comma-separated). Each patch reaches into the app's internals as the code stands: it is a way to
try an idea under load, not a fix, and may stop applying when the code it patches changes.

gc_freeze, stateless_jwt and raw_chunks, once patches here, have been part of the app since
2026-11-25 (5749407, 1be29a0 and 6e1c6bb: django_project/asgi.py, api/authentication.py,
adapters/llm/openai_compatible.py; docs/benchmarks.md has what they bought).

- lag: log the event loop's lag and the garbage collector's pauses, every 2 s, per worker.
- trim: give the allocator's free pages back to the system (glibc's malloc_trim) once a second,
  to see how much of a worker's resident memory is free memory the allocator kept.
"""

import asyncio
import gc
import os
import sys
import time
from typing import Any

PATCHES = {p for p in os.environ.get("BENCH_PATCHES", "").split(",") if p}
KNOWN = {"lag", "trim"}
if PATCHES - KNOWN:
    raise SystemExit(f"unknown BENCH_PATCHES: {sorted(PATCHES - KNOWN)}; known: {sorted(KNOWN)}")

from django_project.asgi import application  # noqa: E402

__all__ = ["application"]


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


def _trim() -> None:
    import ctypes

    import application.streaming as streaming

    libc = ctypes.CDLL("libc.so.6")

    async def trim() -> None:
        while True:
            await asyncio.sleep(1.0)
            libc.malloc_trim(0)

    trimmer: list[asyncio.Task[None]] = []
    add = streaming.LiveAnswers.add

    def add_and_trim(self: Any, live: Any) -> None:
        if not trimmer:
            trimmer.append(asyncio.get_running_loop().create_task(trim()))
        add(self, live)

    streaming.LiveAnswers.add = add_and_trim  # type: ignore[method-assign]


for _name, _patch in (("lag", _lag), ("trim", _trim)):
    if _name in PATCHES:
        _patch()
print(f"bench variants: {sorted(PATCHES)}", file=sys.stderr, flush=True)
