"""Streaming benchmark: the app, served as in production, against the same upstream called directly.

    .venv/bin/python bench/stream_bench.py            # the full run, three to five minutes
    .venv/bin/python bench/stream_bench.py --quick    # a smoke run, about a minute
    .venv/bin/python bench/stream_bench.py --help     # shape, levels, variants

It creates a throwaway PostgreSQL database (`chatbot_bench`, dropped at the end; `--sqlite` for a
temporary SQLite file instead), migrates it, starts bench/fake_upstream.py and the app
(uvicorn as `make serve` runs it: one worker per core, DEBUG off; the `openai` provider pointed
at the fake) on free loopback ports, creates one member per concurrent stream, warms up, and then
measures, the app and the direct calls taking turns:

1. Streams with shaped upstream latency (time to first token, time between tokens), at 1, 10, 50
   and 200 concurrent streams: time to first token (TTFT: request sent -> first `delta` event;
   directly: -> first content chunk) and total time (-> `done`; directly: -> `[DONE]`), through
   the app (POST /api/chats/ with `Accept: text/event-stream`) and straight to the upstream.
   Each level's clients start spread over one answer's duration, so the level holds that many
   streams open instead of firing them all in the same millisecond (`--burst` fires them at once).
2. Plain (JSON) chat requests with a zero-latency upstream: latency and requests per second,
   app (POST /api/chats/ without the header, 201) vs direct.
3. The CPU of each run, from /proc: the app's processes, the fake, this load generator and
   PostgreSQL, in cores' worth and in milliseconds a request.
4. The server's memory: the uvicorn master and its workers, sampled every 100 ms, each
   process's own high-water mark (VmHWM), and each worker's RSS, PSS and USS once the workers
   have answered 1,000 answers each (topped up with quick streamed answers).

The report ends with the targets of the CPU issue (#16) beside the figures. The default answer
is the issue's: 200 ms to the first token, then 50 tokens 20 ms apart. `--python` serves the app
with another interpreter, e.g. a production venv without the dev extras.

Everything it starts (processes, the database) is stopped and removed at the end, on an error
and on Ctrl-C. Only loopback addresses are used.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
MODEL = "gpt-4o-mini"
SYSTEM_PROMPT = (  # about the size of the app's own system prompt, for the direct calls
    "You are a supportive, practical coach. The member has told you where they are now, the goal "
    "they want to reach and any other requirements. Help them get from one to the other with "
    "concrete, realistic steps, and ask a clarifying question when something important is "
    "missing. Answer in the language the member writes in. Use Markdown."
)
INTAKE = {
    "current_state": "I am a junior backend developer with two years of Python.",
    "goal": "Lead a small team within two years.",
}
READY_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Plan:
    ttft_ms: float
    tbt_ms: float
    tokens: int
    workers: int
    members: int
    warmup: int
    streams: tuple[tuple[int, int], ...]  # (concurrency, requests)
    plain: tuple[tuple[int, int], ...]
    plain_max_s: float  # a plain level stops early after this long
    burst: bool
    parts: int  # each level's direct and app runs alternate in this many slices
    wait_s: float  # before each slice, wait up to this long for the machine to be quiet
    think_s: float  # each client's pause between two of its requests
    app: str  # the ASGI application uvicorn serves
    python: str  # the server's interpreter (its venv's packages)
    memory_after: int  # answers a worker before its memory is read

    @property
    def answer_s(self) -> float:
        return (self.ttft_ms + (self.tokens - 1) * self.tbt_ms) / 1000


# ----------------------------------------------------------------------------------------------
# Processes and the database


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Service:
    """A child process in its own session (so a terminal's Ctrl-C reaches only the benchmark,
    which then stops it), logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
                args,
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}; its log ({self.log}) ends:\n"
                + "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
            )

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to its process group (its workers too), SIGKILL after `timeout` seconds."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        # The group may outlive its leader (an orphaned worker): make sure nothing is left.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def listening_sockets(port: int) -> int:
    """How many TCP sockets listen on `port`: one per worker once they have all started (each
    has its own, src/django_project/serve.py); the server answers as soon as the first has."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                count += int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A"
    return count


def wait_listening(service: Service, port: int, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while listening_sockets(port) < workers:
        service.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{service.name}: fewer than {workers} workers listen on {port}")
        time.sleep(0.1)


def wait_ready(service: Service, url: str, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.check()
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{service.name} did not answer {url} within {timeout:.0f} s")


class Database:
    """A throwaway database: PostgreSQL (created, and dropped with FORCE at the end) or a
    temporary SQLite file."""

    def __init__(self, name: str | None, workdir: Path) -> None:
        self.pg_name = name
        if name is None:
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        else:
            self.url = f"postgres://postgres@127.0.0.1:5432/{name}"

    def create(self) -> None:
        if self.pg_name is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.pg_name}"')

    def drop(self) -> None:
        if self.pg_name is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.encode())

    def server_version(self) -> str:
        if self.pg_name is None:
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            row = conn.execute("SELECT version()").fetchone()
        return str(row[0]).split(" on ")[0] if row else "PostgreSQL ?"


# ----------------------------------------------------------------------------------------------
# What the machine and the processes did


def _proc_status(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status, in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


@dataclass(frozen=True, slots=True)
class WorkerMemory:
    """One worker's memory in kB (/proc/<pid>/smaps_rollup): resident, its proportional share
    (pages shared with the other workers, such as the libraries, divided among them) and its
    own pages alone (unique)."""

    pid: int
    rss_kb: int
    pss_kb: int
    uss_kb: int


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _memory(pid: int) -> WorkerMemory:
    fields: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0])
    return WorkerMemory(
        pid=pid,
        rss_kb=fields.get("Rss", 0),
        pss_kb=fields.get("Pss", 0),
        uss_kb=fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
    )


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _postgres_ticks() -> dict[int, int]:
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    ticks[int(entry.name)] = _cpu_ticks(int(entry.name))
    return ticks


def background_busy(seconds: float = 3.0) -> float:
    """The fraction of all cores busy over `seconds`, before the benchmark starts anything."""
    busy0, total0 = _machine_ticks()
    time.sleep(seconds)
    busy1, total1 = _machine_ticks()
    return (busy1 - busy0) / max(total1 - total0, 1)


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


@dataclass(slots=True)
class PhaseUsage:
    """CPU in cores' worth (CPU seconds per wall second: 1.0 is one core busy)."""

    wall_s: float
    app_cpu: float  # the uvicorn master and workers
    upstream_cpu: float  # the fake upstream
    client_cpu: float  # this process: the load generator
    postgres_cpu: float  # every postgres process, approximately (exited ones are missed)
    machine_busy: float  # fraction of all cores busy
    db_connections: int  # peak connections to the benchmark database

    @property
    def others_cpu(self) -> float:
        """What the rest of the machine used: other people's work skews the figures."""
        ours = self.app_cpu + self.upstream_cpu + self.client_cpu + self.postgres_cpu
        return max(0.0, self.machine_busy * (os.cpu_count() or 1) - ours)


class Meter(threading.Thread):
    """Samples the app's memory (master + workers) and database connections in the background;
    measures CPU use per phase."""

    def __init__(self, app_pid: int, upstream_pid: int, pg_name: str | None) -> None:
        super().__init__(name="bench-meter", daemon=True)
        self.app_pid = app_pid
        self.upstream_pid = upstream_pid
        self.pg_name = pg_name
        self.peak_rss_kb = 0
        self.hwm_kb: dict[int, int] = {}
        self._pids = [app_pid]
        self._phase_db_peak = 0
        self._stop_event = threading.Event()

    def app_pids(self) -> list[int]:
        return [self.app_pid, *_children(self.app_pid)]

    def worker_memory(self) -> list[WorkerMemory]:
        """The workers' memory now (uvicorn's master and multiprocessing's resource tracker
        left out; a single worker is the master itself)."""
        children = [p for p in _children(self.app_pid) if "resource_tracker" not in _cmdline(p)]
        return [_memory(pid) for pid in children or [self.app_pid]]

    def run(self) -> None:
        conn = None
        if self.pg_name is not None:
            import psycopg

            with contextlib.suppress(Exception):
                conn = psycopg.connect(PG_ADMIN_URL, autocommit=True)
        try:
            for n in itertools.count():
                if self._stop_event.wait(0.1):
                    break
                if n % 10 == 0:
                    self._pids = self.app_pids()
                rss = sum(_proc_status(pid, "VmRSS") for pid in self._pids)
                self.peak_rss_kb = max(self.peak_rss_kb, rss)
                for pid in self._pids:
                    self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), _proc_status(pid, "VmHWM"))
                if conn is not None and n % 2 == 0:
                    with contextlib.suppress(Exception):
                        row = conn.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                            (self.pg_name,),
                        ).fetchone()
                        self._phase_db_peak = max(self._phase_db_peak, int(row[0]) if row else 0)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    @contextlib.contextmanager
    def phase(self) -> Iterator[list[PhaseUsage]]:
        """Yields a list that holds this phase's usage once the block ends."""
        out: list[PhaseUsage] = []
        hz = os.sysconf("SC_CLK_TCK")
        pids = self.app_pids()
        app0 = sum(_cpu_ticks(p) for p in pids)
        up0 = _cpu_ticks(self.upstream_pid)
        pg0 = _postgres_ticks()
        client0 = sum(os.times()[:2])
        busy0, total0 = _machine_ticks()
        self._phase_db_peak = 0
        start = time.perf_counter()
        try:
            yield out
        finally:
            wall = max(time.perf_counter() - start, 1e-9)
            busy1, total1 = _machine_ticks()
            pg1 = _postgres_ticks()
            out.append(
                PhaseUsage(
                    wall_s=wall,
                    app_cpu=(sum(_cpu_ticks(p) for p in pids) - app0) / hz / wall,
                    upstream_cpu=(_cpu_ticks(self.upstream_pid) - up0) / hz / wall,
                    client_cpu=(sum(os.times()[:2]) - client0) / wall,
                    postgres_cpu=sum(t - pg0.get(p, 0) for p, t in pg1.items()) / hz / wall,
                    machine_busy=(busy1 - busy0) / max(total1 - total0, 1),
                    db_connections=self._phase_db_peak,
                )
            )


# ----------------------------------------------------------------------------------------------
# Clients


@dataclass(slots=True)
class Sample:
    ttft: float | None = None  # seconds
    total: float | None = None
    error: str | None = None


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[bytes, bytes]]:
    """(event name, data) for each Server-Sent Event of a response; comments are skipped."""
    buffer = b""
    async for piece in response.aiter_raw():
        buffer += piece
        while True:
            end = buffer.find(b"\n\n")
            if end < 0:
                break
            block, buffer = buffer[:end], buffer[end + 2 :]
            name, data = b"message", b""
            for line in block.split(b"\n"):
                if line.startswith(b"event:"):
                    name = line[6:].strip()
                elif line.startswith(b"data:"):
                    data = line[5:].strip()
            if data or name != b"message":
                yield name, data


def _failure(error: BaseException) -> str:
    return type(error).__name__


class AppClient:
    def __init__(self, client: httpx.AsyncClient, base: str, tokens: list[str], answer: str):
        self.client = client
        self.base = base
        self.tokens = tokens
        self.answer = answer

    def _headers(self, member: int, stream: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[member % len(self.tokens)]}"}
        if stream:
            headers["Accept"] = "text/event-stream"
        return headers

    async def stream(self, member: int) -> Sample:
        sample = Sample()
        start = time.perf_counter()
        try:
            async with self.client.stream(
                "POST", f"{self.base}/api/chats/", json=INTAKE, headers=self._headers(member, True)
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    sample.error = f"HTTP {response.status_code}"
                    return sample
                async for name, data in sse_events(response):
                    if name == b"delta" and sample.ttft is None:
                        sample.ttft = time.perf_counter() - start
                    elif name == b"done":
                        sample.total = time.perf_counter() - start
                        turn = json.loads(data)
                        if turn.get("status") != "completed":
                            sample.error = f"done with a {turn.get('status')} turn"
                        elif turn.get("answer") != self.answer:
                            sample.error = "done with another answer"
                        return sample
                    elif name == b"error":
                        sample.error = f"error event {json.loads(data).get('code')}"
                        return sample
                sample.error = "stream ended before done"
        except httpx.HTTPError as error:
            sample.error = _failure(error)
        return sample

    async def plain(self, member: int) -> Sample:
        start = time.perf_counter()
        try:
            response = await self.client.post(
                f"{self.base}/api/chats/", json=INTAKE, headers=self._headers(member, False)
            )
        except httpx.HTTPError as error:
            return Sample(error=_failure(error))
        elapsed = time.perf_counter() - start
        if response.status_code != 201:
            return Sample(error=f"HTTP {response.status_code}")
        turns = response.json().get("turns") or [{}]
        if turns[-1].get("answer") != self.answer:
            return Sample(error="another answer")
        return Sample(ttft=elapsed, total=elapsed)


class DirectClient:
    """The upstream called as the app calls it (the same body shape), without the app."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client = client
        self.url = f"{base}/v1/chat/completions"
        self.headers = {"Authorization": "Bearer bench"}
        intake = "\n".join(f"{k}: {v}" for k, v in INTAKE.items())
        self.body: dict[str, Any] = {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": intake},
            ],
            "temperature": 0.7,
            "max_tokens": 1024,
        }

    async def stream(self, member: int) -> Sample:
        sample = Sample()
        body = {**self.body, "stream": True, "stream_options": {"include_usage": True}}
        start = time.perf_counter()
        try:
            async with self.client.stream(
                "POST", self.url, json=body, headers=self.headers
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    sample.error = f"HTTP {response.status_code}"
                    return sample
                async for _, data in sse_events(response):
                    if data == b"[DONE]":
                        sample.total = time.perf_counter() - start
                        return sample
                    if sample.ttft is None:
                        choices = json.loads(data).get("choices") or [{}]
                        if (choices[0].get("delta") or {}).get("content"):
                            sample.ttft = time.perf_counter() - start
                sample.error = "stream ended before [DONE]"
        except httpx.HTTPError as error:
            sample.error = _failure(error)
        return sample

    async def plain(self, member: int) -> Sample:
        start = time.perf_counter()
        try:
            response = await self.client.post(self.url, json=self.body, headers=self.headers)
            response.json()
        except (httpx.HTTPError, ValueError) as error:
            return Sample(error=_failure(error))
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            return Sample(error=f"HTTP {response.status_code}")
        return Sample(ttft=elapsed, total=elapsed)


# ----------------------------------------------------------------------------------------------
# Levels


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


@dataclass(slots=True)
class Level:
    concurrency: int
    requests: int
    wall_s: float
    samples: list[Sample]
    usage: PhaseUsage | None = None
    peak_streams: int = 0  # streams open at once at the upstream, at the most

    def ms(self, attr: str, q: float) -> float:
        values = [getattr(s, attr) for s in self.samples if s.error is None]
        return percentile([v for v in values if v is not None], q) * 1000

    @property
    def errors(self) -> Counter[str]:
        return Counter(s.error for s in self.samples if s.error is not None)

    @property
    def ok(self) -> int:
        return sum(1 for s in self.samples if s.error is None)

    @property
    def rps(self) -> float:
        return self.ok / self.wall_s


async def run_level(
    one: Callable[[int], Awaitable[Sample]],
    concurrency: int,
    requests: int,
    *,
    ramp_s: float = 0.0,
    think_s: float = 0.0,
    max_s: float | None = None,
) -> Level:
    """`requests` calls of `one(client number)` from `concurrency` clients, each starting the
    next `think_s` after its last one ended; client i starts at i/concurrency of `ramp_s`. Stops
    early, with the calls under way finished, after `max_s` seconds."""
    numbers = iter(range(requests))
    samples: list[Sample] = []
    start = time.perf_counter()
    deadline = math.inf if max_s is None else start + max_s

    async def client(index: int) -> None:
        await asyncio.sleep(ramp_s * index / concurrency)
        for n, _ in enumerate(numbers):
            if time.perf_counter() > deadline:
                break
            if n and think_s:
                await asyncio.sleep(think_s)
            samples.append(await one(index))

    budget = (requests / concurrency + 2) * (REQUEST_TIMEOUT_S + think_s) + ramp_s
    async with asyncio.timeout(budget), asyncio.TaskGroup() as clients:
        for i in range(concurrency):
            clients.create_task(client(i))
    return Level(concurrency, len(samples), time.perf_counter() - start, samples)


@dataclass(slots=True)
class Results:
    streams: list[tuple[Level, Level]] = field(default_factory=list)  # (direct, app)
    plain: list[tuple[Level, Level]] = field(default_factory=list)
    app_answers: int = 0  # answered by the app, warm-up and top-up included
    memory: list[WorkerMemory] = field(default_factory=list)  # after the last answer


async def reshape(client: httpx.AsyncClient, upstream: str, **shape: float) -> None:
    response = await client.post(f"{upstream}/bench/shape", json=shape)
    response.raise_for_status()


async def peak_streams(client: httpx.AsyncClient, upstream: str) -> int:
    response = await client.get(f"{upstream}/bench/stats")
    return int(response.json()["peak_streams"])


def http_client() -> httpx.AsyncClient:
    """A client for one run: a fresh connection pool each time, since httpcore looks at every
    pooled connection on every request, and hundreds left over from a busy run slow it down."""
    # Idle connections expire before uvicorn closes them (--timeout-keep-alive, 5 s), so that no
    # request goes out on a connection the server is closing.
    limits = httpx.Limits(
        max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=4.0
    )
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S, connect=10.0)
    return httpx.AsyncClient(limits=limits, timeout=timeout, http1=True, http2=False)


async def measure(
    plan: Plan, app: str, upstream: str, tokens: list[str], meter: Meter, log: Callable[[str], None]
) -> Results:
    results = Results()
    async with http_client() as control:
        answer = await _answer_text(control, upstream)

        def one(
            http: httpx.AsyncClient, name: str, stream: bool
        ) -> Callable[[int], Awaitable[Sample]]:
            if name == "direct":
                direct = DirectClient(http, upstream)
                return direct.stream if stream else direct.plain
            apps = AppClient(http, app, tokens, answer)
            return apps.stream if stream else apps.plain

        await _check_api_login(control, app, answer, tokens)
        log(f"warming up ({plan.warmup} streamed and {plan.warmup} plain requests each way)")
        await reshape(control, upstream, ttft_ms=0, tbt_ms=0)
        for stream in (False, True):
            for name in ("direct", "app"):
                async with http_client() as http:
                    level = await run_level(one(http, name, stream), 10, plan.warmup)
                if name == "app":
                    results.app_answers += level.ok
                if level.errors:
                    log(f"warning: errors while warming up: {dict(level.errors)}")

        await reshape(control, upstream, ttft_ms=plan.ttft_ms, tbt_ms=plan.tbt_ms)
        ramp = 0.0 if plan.burst else plan.answer_s
        for concurrency, requests in plan.streams:

            async def streams(name: str, count: int, c: int = concurrency) -> Level:
                await peak_streams(control, upstream)  # resets the upstream's peak
                async with http_client() as http:
                    level = await run_level(
                        one(http, name, True), c, count, ramp_s=ramp, think_s=plan.think_s
                    )
                level.peak_streams = await peak_streams(control, upstream)
                return level

            pair = await paired(streams, concurrency, requests, plan.parts, meter, plan.wait_s)
            for name, level in zip(("direct", "app"), pair, strict=True):
                log(_progress("streams", name, level))
            results.streams.append(pair)
            results.app_answers += pair[1].ok

        await reshape(control, upstream, ttft_ms=0, tbt_ms=0)
        for concurrency, requests in plan.plain:

            async def plain(name: str, count: int, c: int = concurrency) -> Level:
                async with http_client() as http:
                    return await run_level(
                        one(http, name, False), c, count, max_s=plan.plain_max_s / plan.parts
                    )

            pair = await paired(plain, concurrency, requests, plan.parts, meter, plan.wait_s)
            for name, level in zip(("direct", "app"), pair, strict=True):
                log(_progress("plain", name, level))
            results.plain.append(pair)
            results.app_answers += pair[1].ok

        # Memory is read once each worker has answered plan.memory_after answers (on average:
        # the kernel hands connections to the workers), topped up with quick streamed answers.
        missing = plan.memory_after * plan.workers - results.app_answers
        if missing > 0:
            log(f"{missing} more streamed answers before memory is read")
            async with http_client() as http:
                level = await run_level(one(http, "app", True), 50, missing)
            results.app_answers += level.ok
            if level.errors:
                log(f"warning: errors while topping up: {dict(level.errors)}")
        results.memory = meter.worker_memory()
    return results


async def paired(
    run: Callable[[str, int], Awaitable[Level]],
    concurrency: int,
    requests: int,
    parts: int,
    meter: Meter,
    wait_s: float = 0.0,
) -> tuple[Level, Level]:
    """The direct and the app runs of a level, taken in turns in `parts` slices (direct first,
    then app first, ...), so that a change in the machine's background load over the minutes of
    a run falls on both sides alike."""
    parts = max(1, min(parts, requests // concurrency))
    slices = [requests // parts + (1 if i < requests % parts else 0) for i in range(parts)]
    done: dict[str, list[Level]] = {"direct": [], "app": []}
    for i, count in enumerate(slices):
        for name in ("direct", "app") if i % 2 == 0 else ("app", "direct"):
            await wait_quiet(wait_s)
            with meter.phase() as usage:
                level = await run(name, count)
            level.usage = usage[0]
            done[name].append(level)
    return merge(done["direct"]), merge(done["app"])


QUIET = 0.15  # the fraction of all cores others may use while a slice is measured


async def wait_quiet(max_s: float) -> None:
    """Wait, up to `max_s` seconds, until the rest of the machine uses less than QUIET of it
    (between slices this benchmark's own processes are idle)."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        busy0, total0 = _machine_ticks()
        await asyncio.sleep(1.0)
        busy1, total1 = _machine_ticks()
        if (busy1 - busy0) / max(total1 - total0, 1) < QUIET:
            return


def merge(levels: list[Level]) -> Level:
    wall = sum(lv.wall_s for lv in levels)
    usages = [lv.usage for lv in levels if lv.usage is not None]

    def mean(attr: str) -> float:
        return sum(float(getattr(u, attr)) * u.wall_s for u in usages) / max(wall, 1e-9)

    usage = PhaseUsage(
        wall_s=wall,
        app_cpu=mean("app_cpu"),
        upstream_cpu=mean("upstream_cpu"),
        client_cpu=mean("client_cpu"),
        postgres_cpu=mean("postgres_cpu"),
        machine_busy=mean("machine_busy"),
        db_connections=max((u.db_connections for u in usages), default=0),
    )
    return Level(
        concurrency=levels[0].concurrency,
        requests=sum(lv.requests for lv in levels),
        wall_s=wall,
        samples=[sample for lv in levels for sample in lv.samples],
        usage=usage,
        peak_streams=max(lv.peak_streams for lv in levels),
    )


async def _answer_text(client: httpx.AsyncClient, upstream: str) -> str:
    """What the fake answers (it is deterministic): what every `done` must carry."""
    response = await client.post(
        f"{upstream}/v1/chat/completions", json={"model": MODEL, "messages": []}
    )
    return str(response.json()["choices"][0]["message"]["content"])


async def _check_api_login(
    client: httpx.AsyncClient, app: str, answer: str, tokens: list[str]
) -> None:
    """One member signs up and logs in through the API (and may not chat before verifying the
    email); a seeded, verified member then chats once each way."""
    credentials = {"email": "bench-api@example.com", "password": "a long bench passphrase"}
    signup = await client.post(
        f"{app}/api/auth/signup/",
        json={**credentials, "nickname": "api", "accept_terms": True, "over_14": True},
    )
    login = await client.post(f"{app}/api/auth/login/", json=credentials)
    if signup.status_code != 201 or login.status_code != 200:
        raise RuntimeError(f"signup {signup.status_code}, login {login.status_code}: {login.text}")
    unverified = await AppClient(client, app, [login.json()["access"]], answer).plain(0)
    if unverified.error != "HTTP 403":
        raise RuntimeError(f"an unverified member's chat gave {unverified.error or 'an answer'}")
    checker = AppClient(client, app, tokens, answer)
    for sample in (await checker.plain(0), await checker.stream(0)):
        if sample.error:
            raise RuntimeError(f"the app's first chat failed: {sample.error}")


def _progress(kind: str, name: str, level: Level) -> str:
    errors = f", errors {dict(level.errors)}" if level.errors else ""
    return (
        f"{kind:7} c={level.concurrency:<3} {name:6} {level.requests:4} requests in "
        f"{level.wall_s:5.1f} s, TTFT p50 {level.ms('ttft', 0.5):7.1f} ms{errors}"
    )


# ----------------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, str]:
    info: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    cpu = (
        f"{info.get('model name', '?')} (family {info.get('cpu family')}, model {info.get('model')}"
    )
    cpu += f", {info['bogomips']} BogoMIPS" if "bogomips" in info else ""
    cpu += ", virtual machine)" if "hypervisor" in info.get("flags", "").split() else ")"
    mem_kb = _proc_meminfo("MemTotal")
    versions = {}
    for package in ("django", "djangorestframework", "uvicorn", "uvloop", "httptools", "openai"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[package] = version(package)
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        **versions,
    }


def _proc_meminfo(key: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def _pair(direct: Level, app: Level, attr: str, q: float, overhead: bool = False) -> str:
    d, a = direct.ms(attr, q), app.ms(attr, q)
    text = f"{_ms(d)} / {_ms(a)}"
    return f"{text} (+{_ms(a - d)})" if overhead else text


def _error_count(level: Level) -> int:
    return sum(level.errors.values())


def _usage_row(label: str, level: Level, extra: str, pg: bool) -> str:
    u = level.usage
    if u is None:
        return f"| {label} | ? |"
    cells = [
        label,
        f"{u.wall_s:.1f}",
        f"{u.app_cpu:.2f}",
        f"{u.upstream_cpu:.2f}",
        f"{u.client_cpu:.2f}",
        f"{u.postgres_cpu:.2f}" if pg else "-",
        f"{u.others_cpu:.2f}",
        f"{u.machine_busy:.0%}",
        extra,
        str(u.db_connections) if pg else "-",
        f"{cpu_ms(level, 'app_cpu'):.1f}",
        f"{cpu_ms(level, 'postgres_cpu'):.2f}" if pg else "-",
    ]
    return "| " + " | ".join(cells) + " |"


def cpu_ms(level: Level, attr: str) -> float:
    """CPU milliseconds a request of this run took in the app or in PostgreSQL."""
    u = level.usage
    if u is None or not level.requests:
        return math.nan
    return float(getattr(u, attr)) * u.wall_s * 1000 / level.requests


USAGE_HEAD = [
    "| run | wall s | CPU app | CPU upstream | CPU client | CPU postgres | CPU others "
    "| machine busy | upstream peak streams | DB connections peak | app CPU ms a request "
    "| postgres CPU ms a request |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def report(plan: Plan, results: Results, meter: Meter, info: dict[str, str]) -> str:
    pg = meter.pg_name is not None
    spread = "all clients at once" if plan.burst else "client starts spread over one answer"
    lines = ["## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines += [
        "",
        f"## Streams: upstream TTFT {plan.ttft_ms:g} ms, {plan.tbt_ms:g} ms between tokens, "
        f"{plan.tokens} tokens (~{plan.answer_s:.2f} s an answer)",
        "",
        f"Milliseconds, direct / app (+ app − direct, percentile by percentile); {spread}, "
        f"{plan.think_s * 1000:g} ms between a client's requests.",
        "",
        "| streams | requests | TTFT p50 | TTFT p99 | total p50 | total p99 | errors |",
        "|---:|---:|---|---|---|---|---|",
    ]
    for direct, app in results.streams:
        cells = [
            str(app.concurrency),
            f"{direct.requests} / {app.requests}",
            _pair(direct, app, "ttft", 0.5, overhead=True),
            _pair(direct, app, "ttft", 0.99, overhead=True),
            _pair(direct, app, "total", 0.5),
            _pair(direct, app, "total", 0.99),
            f"{_error_count(direct)} / {_error_count(app)}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Plain (JSON) chat requests, zero-latency upstream",
        "",
        "Milliseconds, direct / app.",
        "",
        "| clients | requests | latency p50 | latency p99 | requests/s | errors |",
        "|---:|---:|---|---|---|---|",
    ]
    for direct, app in results.plain:
        cells = [
            str(app.concurrency),
            f"{direct.requests} / {app.requests}",
            _pair(direct, app, "total", 0.5),
            _pair(direct, app, "total", 0.99),
            f"{direct.rps:.0f} / {app.rps:.0f}",
            f"{_error_count(direct)} / {_error_count(app)}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Where the CPU went",
        "",
        f"Cores' worth during each run ({os.cpu_count()} cores: {os.cpu_count()}.00 is all), "
        "and CPU milliseconds a request (the run's CPU over its requests; the app's processes "
        "and PostgreSQL's, from /proc).",
        "",
        *USAGE_HEAD,
    ]
    for direct, app in results.streams:
        for name, level in (("direct", direct), ("app", app)):
            label = f"{app.concurrency} streams, {name}"
            lines.append(_usage_row(label, level, str(level.peak_streams), pg))
    for direct, app in results.plain:
        lines.append(_usage_row(f"plain, {app.concurrency} clients, direct", direct, "", pg))
        lines.append(_usage_row(f"plain, {app.concurrency} clients, app", app, "", pg))
    hwm = ", ".join(f"{kb / 1024:.0f}" for _, kb in sorted(meter.hwm_kb.items()))
    workers = "; ".join(
        f"RSS {m.rss_kb / 1024:.0f}, PSS {m.pss_kb / 1024:.0f}, USS {m.uss_kb / 1024:.0f}"
        for m in results.memory
    )
    lines += [
        "",
        "## Server memory",
        "",
        f"- peak RSS of the uvicorn master and its children together (sampled every 100 ms): "
        f"{meter.peak_rss_kb / 1024:.0f} MiB",
        f"- each process's own peak (VmHWM; master, resource tracker, {plan.workers} workers), "
        f"MiB: {hwm}",
        f"- each worker after {results.app_answers} answers in all (~"
        f"{results.app_answers // plan.workers} a worker), MiB: {workers} (PSS: the pages "
        "shared with the other workers, the libraries, divided among them; USS: its own alone)",
        f"- the server's interpreter: {plan.python}",
    ]
    all_errors: Counter[str] = Counter()
    for pair in (*results.streams, *results.plain):
        for level in pair:
            all_errors.update(level.errors)
    if all_errors:
        lines += ["", "## Errors", ""] + [f"- {n} × {e}" for e, n in all_errors.most_common()]
    lines += ["", *verdict(plan, results)]
    return "\n".join(lines)


def verdict(plan: Plan, results: Results) -> list[str]:
    """The targets of the CPU issue (#16), each beside its figure."""
    by_level = {app.concurrency: (direct, app) for direct, app in results.streams}
    plain = {app.concurrency: app for _, app in results.plain}
    out = ["## Targets", ""]
    for c in sorted(by_level):
        app_ms = cpu_ms(by_level[c][1], "app_cpu")
        out.append(
            f"- app CPU a streamed answer of {plan.tokens} tokens ≤ 12 ms, at {c} streams: "
            f"{app_ms:.1f} ms → {_met(app_ms <= 12)}"
        )
    if 10 in plain:
        app_ms, pg_ms = cpu_ms(plain[10], "app_cpu"), cpu_ms(plain[10], "postgres_cpu")
        out.append(
            f"- a stored plain turn ≤ 4 ms app CPU and ≤ 1.5 ms PostgreSQL CPU, at 10 clients: "
            f"{app_ms:.1f} and {pg_ms:.2f} ms → {_met(app_ms <= 4 and pg_ms <= 1.5)}"
        )
    if 1 in by_level:
        d, a = by_level[1]
        over = a.ms("ttft", 0.5) - d.ms("ttft", 0.5)
        out.append(f"- TTFT overhead p50 at 1 stream ≤ +10 ms: {over:+.1f} ms → {_met(over <= 10)}")
    if 50 in by_level:
        d, a = by_level[50]
        over = a.ms("ttft", 0.99) - d.ms("ttft", 0.99)
        out.append(
            f"- TTFT overhead p99 at 50 streams ≤ +60 ms: {over:+.1f} ms → {_met(over <= 60)}"
        )
    if 200 in by_level:
        d, a = by_level[200]
        bad = sum(a.errors.values()) + sum(d.errors.values())
        out.append(f"- 200 concurrent streams, no error: {bad} errors → {_met(bad == 0)}")
    if results.memory:
        top = max(m.rss_kb for m in results.memory) / 1024
        out.append(
            f"- ≤ 120 MB resident a worker after {plan.memory_after} answers each: the largest "
            f"worker {top:.0f} MiB RSS → {_met(top * 1.048576 <= 120)}"
        )
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


# ----------------------------------------------------------------------------------------------
# Main


def build_plan(args: argparse.Namespace) -> Plan:
    # Requests per level: enough for a p99 at 50 and 200 streams, few at 1 stream (one answer
    # at a time takes seconds). A quick run has shorter answers, fewer requests and no turns.
    streams: tuple[tuple[int, int], ...]  # (concurrency, requests)
    plain: tuple[tuple[int, int], ...]
    if args.quick:
        streams = ((1, 5), (10, 20), (50, 50), (200, 200))
        plain = ((1, 100), (10, 300))
        plain_max_s, warmup, parts, memory_after = 2.0, 20, 1, 200
    else:
        streams = ((1, 12), (10, 60), (50, 300), (200, 400))
        plain = ((1, 300), (10, 1000), (50, 1500))
        plain_max_s, warmup, parts, memory_after = 8.0, 60, 2, 1000
    if args.levels:
        wanted = {int(c) for c in args.levels.split(",")}
        streams = tuple(level for level in streams if level[0] in wanted)
    if args.skip_plain:
        plain = ()
    members = max([c for c, _ in streams + plain] + [10])
    return Plan(
        ttft_ms=args.ttft_ms,
        tbt_ms=args.tbt_ms,
        tokens=args.tokens,
        workers=args.workers,
        members=members,
        warmup=warmup,
        streams=streams,
        plain=plain,
        plain_max_s=plain_max_s,
        burst=args.burst,
        parts=args.parts or parts,
        wait_s=args.wait_quiet,
        think_s=args.think_ms / 1000,
        app=args.app,
        python=args.python,
        memory_after=args.memory_after if args.memory_after is not None else memory_after,
    )


def server_env(db_url: str, upstream: str, args: argparse.Namespace) -> dict[str, str]:
    # Nothing of this shell's configuration (nor any real provider key) reaches the app.
    ours = ("DJANGO_", "CHATBOT_", "OPENAI_", "ANTHROPIC_", "DATABASE_", "PROMETHEUS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        {
            "PYTHONPATH": str(REPO / "src"),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": db_url,
            "DJANGO_ENV_FILE": "",  # not the checkout's .env
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": HOST,
            "CHATBOT_LLM_PROVIDER": "openai",
            "CHATBOT_LLM_MODEL": MODEL,
            "OPENAI_BASE_URL": f"{upstream}/v1",
            "OPENAI_API_KEY": "sk-bench",
            "CHATBOT_DAILY_LIMIT": "1000000000",
            # The load generator is one address reading as fast as it can.
            "CHATBOT_ANON_READ_RATE": "1000000000/second",
            # Retries would hide an upstream failure from the error count.
            "CHATBOT_LLM_MAX_RETRIES": "0",
            "CHATBOT_LLM_TIMEOUT_S": "30",
            "CHATBOT_ACCESS_MINUTES": "240",
            "CHATBOT_LOGIN_RATE": "1000/minute",
            "CHATBOT_SIGNUP_RATE": "1000/minute",
        }
    )
    for item in args.server_env:
        name, _, value = item.partition("=")
        env[name] = value
    return env


def run(main: Coroutine[Any, Any, Results]) -> Results:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: shorter answers, fewer requests"
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="a temporary SQLite file, not PostgreSQL"
    )
    parser.add_argument("--db-name", default="chatbot_bench", help="the throwaway PG database")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="uvicorn's (default: one per core)"
    )
    parser.add_argument("--ttft-ms", type=float, default=200.0, help="upstream time to 1st token")
    parser.add_argument("--tbt-ms", type=float, default=20.0, help="upstream time between tokens")
    parser.add_argument("--tokens", type=int, default=50, help="tokens an answer")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the server's interpreter, e.g. a production venv's (pip install -c constraints.txt "
        ".): this one also has the dev extras, which the app imports when present",
    )
    parser.add_argument(
        "--memory-after",
        type=int,
        help="answers a worker before its memory is read (default 1000; quick: 200)",
    )
    parser.add_argument("--levels", help="only these stream concurrencies, e.g. 1,50")
    parser.add_argument("--skip-plain", action="store_true", help="streams only")
    parser.add_argument(
        "--parts", type=int, help="direct and app take turns in this many slices (default 2)"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=f"before each slice, wait up to this long for others to use < {QUIET * 100:.0f}%% CPU",
    )
    parser.add_argument("--burst", action="store_true", help="start each level's clients at once")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=20.0,
        help="a streaming client's pause between its requests (as a member reads the answer)",
    )
    parser.add_argument(
        "--patches",
        metavar="LIST",
        help="serve bench/variants.py with these experimental patches (comma-separated)",
    )
    parser.add_argument(
        "--app",
        default="django_project.asgi:application",
        help="the ASGI app to serve (with --server-env PYTHONPATH=src:DIR for one of yours)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra variable for the app (repeatable), e.g. DATABASE_POOL_SIZE=20",
    )
    args = parser.parse_args(argv)
    if args.patches:
        args.app = "variants:application"
        args.server_env += [f"PYTHONPATH={REPO / 'src'}:{BENCH}", f"BENCH_PATCHES={args.patches}"]
    plan = build_plan(args)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    workdir = Path(tempfile.mkdtemp(prefix="chatbot-bench-"))
    database = Database(None if args.sqlite else args.db_name, workdir)
    services: list[Service] = []
    meter: Meter | None = None
    try:
        idle = background_busy()
        log(f"the machine is {idle:.0%} busy before the benchmark starts")
        if idle > 0.15:
            log("warning: other work on this machine will skew the figures (see CPU others)")
        log(f"database {database.url}")
        database.create()
        up_port, app_port = free_port(), free_port()
        upstream, app = f"http://{HOST}:{up_port}", f"http://{HOST}:{app_port}"
        env = server_env(database.url, upstream, args)
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        seeded = subprocess.run(  # noqa: S603
            [sys.executable, str(BENCH / "seed_members.py"), str(plan.members)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding members failed:\n{seeded.stderr}")
        tokens: list[str] = json.loads(seeded.stdout)
        log(f"{len(tokens)} members; starting the fake upstream and the app")

        shape = [f"--ttft-ms={plan.ttft_ms}", f"--tbt-ms={plan.tbt_ms}", f"--tokens={plan.tokens}"]
        fake = Service(
            "fake upstream",
            [sys.executable, str(BENCH / "fake_upstream.py"), f"--port={up_port}", *shape],
            env,
            workdir / "upstream.log",
        )
        services.append(fake)
        wait_ready(fake, f"{upstream}/bench/stats")
        metrics = workdir / "metrics"
        metrics.mkdir()
        server = Service(
            "app",
            [
                plan.python,
                "-m",
                "django_project.serve",  # as `make serve` runs it
                plan.app,
                "--app-dir=src",
                f"--host={HOST}",
                f"--port={app_port}",
                f"--workers={plan.workers}",
                "--proxy-headers",
                f"--forwarded-allow-ips={HOST}",
                "--no-server-header",
                "--timeout-graceful-shutdown=30",
            ],
            # Each worker writes its metrics into an empty directory, as under `make serve`.
            {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
            workdir / "app.log",
        )
        services.append(server)
        wait_ready(server, f"{app}/api/chats/intake/")
        wait_listening(server, app_port, plan.workers)
        meter = Meter(server.pid, fake.pid, database.pg_name)
        meter.start()
        while len(meter.app_pids()) < plan.workers + 1:  # the workers are up
            server.check()
            time.sleep(0.1)
        info = {
            **machine(),
            "database": database.server_version(),
            "busy before the run": f"{idle:.0%} of all cores",
            "app served": plan.app + (f" with {args.patches}" if args.patches else ""),
        }

        results = run(measure(plan, app, upstream, tokens, meter, log))
        meter.stop()
        for service in services:
            service.check()
        text = report(plan, results, meter, info)
        print(text)
        command = " ".join(["bench/stream_bench.py", *(argv if argv is not None else sys.argv[1:])])
        print(
            f"\nCommand: .venv/bin/python {command}\nServer: uvicorn --workers {plan.workers}, "
            f"as `make serve` starts it, {info['database']}"
        )
        if args.json:
            args.json.write_text(json.dumps(_as_json(plan, results, meter, info), indent=2))
        return 0
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        return 130
    finally:
        if meter is not None and meter.is_alive():
            meter.stop()
        for service in reversed(services):
            service.stop()
        with contextlib.suppress(Exception):
            database.drop()
        if args.keep_logs:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _as_json(plan: Plan, results: Results, meter: Meter, info: dict[str, str]) -> dict[str, Any]:
    def level(lv: Level) -> dict[str, Any]:
        return {
            "concurrency": lv.concurrency,
            "requests": lv.requests,
            "wall_s": round(lv.wall_s, 3),
            "ttft_ms": {"p50": lv.ms("ttft", 0.5), "p99": lv.ms("ttft", 0.99)},
            "total_ms": {"p50": lv.ms("total", 0.5), "p99": lv.ms("total", 0.99)},
            "rps": lv.rps,
            "errors": dict(lv.errors),
            "usage": None if lv.usage is None else asdict(lv.usage),
        }

    return {
        "machine": info,
        "plan": asdict(plan),
        "streams": [{"direct": level(d), "app": level(a)} for d, a in results.streams],
        "plain": [{"direct": level(d), "app": level(a)} for d, a in results.plain],
        "server_peak_rss_mib": meter.peak_rss_kb / 1024,
        "server_vmhwm_mib": [kb / 1024 for _, kb in sorted(meter.hwm_kb.items())],
    }


if __name__ == "__main__":
    sys.exit(main())
