"""Read benchmark: the public feed, a chat and a member's own chats at 10k, 100k and 1M chats,
and a plain chat turn against a zero-latency upstream at each size.

    .venv/bin/python bench/read_bench.py                      # 10k, 100k, 1M chats (~20 min)
    .venv/bin/python bench/read_bench.py --sizes 10000 --duration 3   # a smoke run
    make bench-reads

It creates a throwaway PostgreSQL database (`chatbot_bench_reads`, dropped at the end unless
--keep-db), migrates it and grows it with `manage.py seed_data` (5 turns a chat, one member per
100 chats) to each size in turn. At each size it serves the app as `make serve` does (uvicorn,
one worker per core, DEBUG off; bench/stream_bench.py's helpers) and measures with wrk (C, one
thread; a Lua script for random chat ids): the feed's first page, a deep page (a cursor 90% of
the way down), a random chat, one chat again and again, the busiest member's own chats, and the
feed and a chat again with a current If-None-Match (304), each at 1 and 32 concurrent
connections: p50/p99 latency, requests per second, the CPU the app, PostgreSQL, wrk and
everything else used, the blocks PostgreSQL read per request and what the disks read. Then a
plain (JSON) chat turn, `POST /api/chats/` by ten members in turn, at 1 and 10 connections,
beside the same request body sent to the upstream directly (bench/fake_upstream.py, answering at
once): the turn's overhead is the difference at p50. The feed's first page, a random chat and a
plain new chat are also measured on bench/reference, a bare DRF app on the same tables and
database under gunicorn: the yardstick the issue's targets were set beside, and what a random
chat's p99 does as the data grows when the code is the plainest (--no-reference leaves it out).
Queries per request come from Django's test client on the same database (CaptureQueriesContext),
and the plans of those queries from EXPLAIN (ANALYZE, BUFFERS) at each size.
"""

import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_bench import (
    BENCH,
    HOST,
    MODEL,
    REPO,
    Database,
    Service,
    _children,
    _cpu_ticks,
    _machine_ticks,
    _postgres_ticks,
    background_busy,
    free_port,
    machine,
    wait_listening,
    wait_ready,
)

CLK_TCK = os.sysconf("SC_CLK_TCK")
TURNS_PER_CHAT = 5
RANDOM_CHAT = """
local lo, hi = {lo}, {hi}
math.randomseed({seed})
request = function()
  return wrk.format("GET", "/api/chats/" .. math.random(lo, hi) .. "/", {headers})
end
"""
TURN_MEMBERS = 10
INTAKE = {"current_state": "I write Go at work", "goal": "lead a team in a year", "misc": ""}
# A new chat by each member in turn (their own quota rows, as ten people would).
NEW_CHAT = """
local tokens = {tokens}
local body = {body}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/chats/", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1],
  }}, body)
end
"""
SAME_POST = """
local body = {body}
request = function()
  return wrk.format("POST", "{path}", {{["Content-Type"] = "application/json"}}, body)
end
"""


def random_chat_script(path: Path, lo: int, hi: int, seed: int = 7) -> Path:
    """A wrk script asking for a chat with a random id from `lo` to `hi` each request."""
    path.write_text(RANDOM_CHAT.format(lo=lo, hi=hi, seed=seed, headers="nil"))
    return path


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for ASCII text


@dataclass(frozen=True)
class Read:
    name: str
    path: str
    headers: dict[str, str]
    script: Path | None = None
    upstream: bool = False  # sent to the upstream directly, not to the app
    reference: bool = False  # sent to bench/reference, the bare DRF app, not to the app
    turn: bool = False  # a chat turn: measured at --turn-connections


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def server_env(db_url: str, upstream: str | None) -> dict[str, str]:
    """The app's environment: this database, DEBUG off, the model at `upstream` (None: the
    offline provider, for benchmarks that ask no model)."""
    ours = ("DJANGO_", "CHATBOT_", "OPENAI_", "ANTHROPIC_", "DATABASE_", "PROMETHEUS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    model = {"CHATBOT_LLM_PROVIDER": "offline"}
    if upstream is not None:
        model = {
            "CHATBOT_LLM_PROVIDER": "openai",
            "CHATBOT_LLM_MODEL": MODEL,
            "OPENAI_BASE_URL": f"{upstream}/v1",
            "OPENAI_API_KEY": "sk-bench",
        }
    env.update(
        {
            "PYTHONPATH": str(REPO / "src"),
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": db_url,
            "DJANGO_ENV_FILE": "",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": f"{HOST},testserver",
            **model,
            "CHATBOT_LLM_MAX_RETRIES": "0",
            # The benchmark members may ask as often as the turns are measured.
            "CHATBOT_DAILY_LIMIT": "1000000000",
            # The load generator is one address reading as fast as it can.
            "CHATBOT_ANON_READ_RATE": "1000000000/second",
            "CHATBOT_ACCESS_MINUTES": "240",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


# What the test client sees of each read: the queries it sends and their plans.
PROBE = r"""
import json, sys
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
out = {}
for name, url, headers, body in json.loads(sys.argv[1]):
    with CaptureQueriesContext(connection) as ctx:
        if body is None:
            response = Client().get(url, headers=headers)
        else:
            response = Client().post(url, body, content_type="application/json", headers=headers)
    plans = []
    for q in ctx.captured_queries:
        if not q["sql"].startswith("SELECT"):
            continue  # EXPLAIN ANALYZE of a write would write again
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) " + q["sql"])
            plans.append({"sql": q["sql"], "plan": "\n".join(r[0] for r in cursor.fetchall())})
    out[name] = {"status": response.status_code, "queries": len(ctx.captured_queries),
                 "plans": plans, "etag": response.headers.get("ETag", ""),
                 "json": response.json() if body is not None else None}
print(json.dumps(out))
"""


@dataclass
class Run:
    size: int
    name: str
    connections: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    app_cores: float
    pg_cores: float
    wrk_cores: float
    others_cores: float
    # Pages PostgreSQL did not find in its shared buffers, per request (read from the kernel's
    # page cache or the disk), and what the machine read from its disks in all.
    pg_reads_per_request: float = 0.0
    disk_mb_s: float = 0.0


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str, connections: int, seconds: float, headers: dict[str, str], script: Path | None
) -> tuple[dict[str, Any], float]:
    args = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    process = subprocess.Popen(  # noqa: S603
        [*args, url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = process.stdout.read()  # type: ignore[union-attr]
    _, code, usage = os.wait4(process.pid, 0)
    if code != 0:
        raise RuntimeError(f"wrk failed:\n{out}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    found = {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "errors": sum(
            int(n)
            for n in re.findall(r"(?:Non-2xx or 3xx responses|Socket errors:.*?): (\d+)", out)
        ),
    }
    return found, usage.ru_utime + usage.ru_stime


def wait_quiet(max_s: float) -> None:
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        busy = background_busy(1.0)
        if busy < 0.15:
            return
    if max_s:
        log(f"the machine is still {busy:.0%} busy; measuring anyway")


def app_ticks(server: Service) -> int:
    return _cpu_ticks(server.pid) + sum(_cpu_ticks(c) for c in _children(server.pid))


def _pg_reads(db_url: str) -> int:
    """Blocks the database's backends read into shared buffers so far. A backend reports its
    counts at most once a second (PostgreSQL 15), so this waits that long first."""
    import psycopg

    time.sleep(1.1)
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT blks_read FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def _disk_kib_in() -> int:
    """KiB read from block devices since boot (/proc/vmstat pgpgin)."""
    for line in Path("/proc/vmstat").read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == "pgpgin":
            return int(value)
    return 0


def measure(
    server: Service,
    db_url: str,
    base: str,
    size: int,
    name: str,
    path: str,
    connections: int,
    seconds: float,
    headers: dict[str, str],
    script: Path | None,
) -> Run:
    wrk(base + path, connections, min(1.0, seconds), headers, script)  # warm-up
    reads0, disk0 = _pg_reads(db_url), _disk_kib_in()
    app0, pg0, (busy0, _) = app_ticks(server), _postgres_ticks(), _machine_ticks()
    started = time.monotonic()
    found, wrk_cpu = wrk(base + path, connections, seconds, headers, script)
    wall = time.monotonic() - started
    app1, pg1, (busy1, _) = app_ticks(server), _postgres_ticks(), _machine_ticks()
    reads1, disk1 = _pg_reads(db_url), _disk_kib_in()
    app = (app1 - app0) / CLK_TCK / wall
    pg = sum(t - pg0.get(pid, 0) for pid, t in pg1.items()) / CLK_TCK / wall
    machine_busy = (busy1 - busy0) / CLK_TCK / wall
    return Run(
        size=size,
        name=name,
        connections=connections,
        requests=found["requests"],
        rps=found["rps"],
        p50_ms=found["p50"],
        p99_ms=found["p99"],
        errors=found["errors"],
        app_cores=round(app, 2),
        pg_cores=round(pg, 2),
        wrk_cores=round(wrk_cpu / wall, 2),
        others_cores=round(max(0.0, machine_busy - app - pg - wrk_cpu / wall), 2),
        pg_reads_per_request=round((reads1 - reads0) / max(1, found["requests"]), 2),
        disk_mb_s=round((disk1 - disk0) / 1024 / wall, 1),
    )


def targets(env: dict[str, str], db_url: str, size: int) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        lo, hi = conn.execute("SELECT min(id), max(id) FROM chatbot_chat").fetchone()  # type: ignore[misc]
        busiest, owned = conn.execute(
            "SELECT member_id, count(*) FROM chatbot_chat GROUP BY member_id "
            "ORDER BY count(*) DESC, member_id LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    # The busiest member's token (my chats), then TURN_MEMBERS members' for the turns. Those
    # may chat as any member does once verified and agreed to the texts in force (seeded
    # members are neither): set here as a verified link and a consent would.
    tokens = json.loads(
        manage(
            env,
            "shell",
            "-c",
            "import json\n"
            "from django.conf import settings\n"
            "from django.utils import timezone\n"
            "from rest_framework_simplejwt.tokens import AccessToken\n"
            "from adapters.orm.consents import DjangoConsentRepository\n"
            "from adapters.orm.models import Member\n"
            "from domain.consent import PolicyVersions\n"
            f"members = [Member.objects.get(pk={busiest}), "
            f"*Member.objects.order_by('pk')[:{TURN_MEMBERS}]]\n"
            "Member.objects.filter(pk__in=[m.pk for m in members]).update(email_verified=True)\n"
            "c = settings.CHATBOT\n"
            "given = PolicyVersions(c.terms_version, c.privacy_version).current()\n"
            "for m in members[1:]: DjangoConsentRepository().record(m.pk, given, timezone.now())\n"
            "print(json.dumps([str(AccessToken.for_user(m)) for m in members]))",
        )
        .strip()
        .splitlines()[-1]
    )
    token = tokens[0]
    # The cursor of a page 90% of the way down the feed.
    sys.path.insert(0, str(REPO / "src"))
    from django_project.api.pagination import encode_cursor

    deep = hi - int((hi - lo) * 0.9)
    return {
        "lo": lo,
        "hi": hi,
        "deep": f"/api/chats/?cursor={encode_cursor(deep)}",
        "member": busiest,
        "owned": owned,
        "token": token,
        "turn_tokens": tokens[1:],
        "sample_chat": (lo + hi) // 2,
    }


def probe(
    env: dict[str, str], reads: list[tuple[str, str, dict[str, str], str | None]]
) -> dict[str, Any]:
    out = manage(
        env,
        "shell",
        "-c",
        f"import sys; sys.argv = ['', {json.dumps(json.dumps(reads))}]\n" + PROBE,
    )
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="chats, one DB each")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--connections", default="1,32", help="for the reads")
    parser.add_argument("--turn-connections", default="1,10", help="for the chat turns")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the sizes")
    parser.add_argument("--db-name", default="chatbot_bench_reads", help="prefix of the DBs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each measurement, wait up to this long for the machine to be < 15%% busy",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the databases")
    parser.add_argument("--reuse-db", action="store_true", help="the databases are seeded already")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--no-reference", action="store_true", help="leave out the bare DRF app (bench/reference)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("read_bench needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    sizes = [int(s) for s in args.sizes.split(",")]
    levels = [int(c) for c in args.connections.split(",")]
    turn_levels = [int(c) for c in args.turn_connections.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="chatbot-read-bench-"))
    databases = {size: Database(f"{args.db_name}_{size}", workdir) for size in sizes}
    runs: list[Run] = []
    probes: dict[int, dict[str, Any]] = {}
    seeding: dict[int, str] = {}
    servers: dict[int, tuple[Service, str]] = {}
    references: dict[int, tuple[Service, str]] = {}
    members: dict[int, int] = {}
    reads: dict[int, list[Read]] = {}
    upstream: Service | None = None
    info = machine()
    info["postgresql"] = next(iter(databases.values())).server_version()
    info["load before"] = f"{background_busy():.0%} of all cores busy"
    log(f"the machine is {info['load before']} before the benchmark starts")
    try:
        upstream, upstream_url = start_upstream(workdir)
        envs = {size: server_env(databases[size].url, upstream_url) for size in sizes}
        for size, database in databases.items():
            env = envs[size]
            if not args.reuse_db:
                log(f"seeding {size} chats into {database.pg_name}")
                database.create()
                manage(env, "migrate", "--noinput")
                seeding[size] = manage(
                    env, "seed_data", "--chats", str(size),
                    "--turns-per-chat", str(TURNS_PER_CHAT),
                    "--members", str(max(1, size // 100)),
                ).strip()  # fmt: skip
                log(seeding[size])
            reads[size], probes[size], members[size] = prepare(env, database.url, workdir, size)
            if args.no_reference:
                reads[size] = [r for r in reads[size] if not r.reference]
        for size in sizes:
            servers[size] = start_server(envs[size], workdir, size, args.workers)
            if not args.no_reference:
                references[size] = start_reference(
                    envs[size], workdir, size, args.workers, members[size]
                )
        # The reads first, every round of them: a chat turn adds a chat, so the feed's validator
        # that the 304 reads send would go stale.
        for turns in (False, True):
            for round_ in range(args.rounds):
                # Sizes take turns, in the opposite order each round, so a change in the
                # machine's load falls on all of them alike.
                order = sizes if round_ % 2 == 0 else sizes[::-1]
                for index, first in enumerate(reads[sizes[0]]):
                    if first.turn != turns:
                        continue
                    for connections in turn_levels if turns else levels:
                        for size in order:
                            read = reads[size][index]
                            server, base = (references if read.reference else servers)[size]
                            wait_quiet(args.wait_quiet)
                            run = measure(
                                server, databases[size].url,
                                upstream_url if read.upstream else base, size,
                                read.name, read.path, connections, args.duration, read.headers,
                                read.script,
                            )  # fmt: skip
                            runs.append(run)
                            log(
                                f"{size:>8} {read.name:<17} c={connections:<3} "
                                f"{run.rps:8.0f}/s p50 {run.p50_ms:6.2f} ms "
                                f"p99 {run.p99_ms:6.2f} ms err {run.errors} app {run.app_cores} "
                                f"pg {run.pg_cores} wrk {run.wrk_cores} others {run.others_cores} "
                                f"pg reads/req {run.pg_reads_per_request} disk {run.disk_mb_s} MB/s"
                            )
    finally:
        for server, _ in [*servers.values(), *references.values()]:
            server.stop()
        if upstream is not None:
            upstream.stop()
        if not args.keep_db:
            for database in databases.values():
                database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(info, runs, probes, seeding, args))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "runs": [asdict(r) for r in runs],
                    "probes": {str(k): v for k, v in probes.items()},
                    "seeding": seeding,
                },
                indent=2,
            )
        )
    return 0


def prepare(
    env: dict[str, str], db_url: str, workdir: Path, size: int
) -> tuple[list[Read], Any, int]:
    """What to measure at this size, what each costs in queries and plans, and the member the
    bare DRF app's chats belong to."""
    found = targets(env, db_url, size)
    bearer = {"Authorization": f"Bearer {found['token']}"}
    chat = f"/api/chats/{found['sample_chat']}/"
    intake = json.dumps(INTAKE)
    turner = {"Authorization": f"Bearer {found['turn_tokens'][0]}"}
    probes = probe(
        env,
        [
            ("feed, first page", "/api/chats/", {}, None),
            ("feed, deep page", found["deep"], {}, None),
            ("chat", chat, {}, None),
            ("my chats", "/api/me/chats/", bearer, None),
        ],
    )
    feed_tag = probes["feed, first page"]["etag"]
    chat_tag = probes["chat"]["etag"]
    probes.update(
        probe(
            env,
            [
                ("feed, 304", "/api/chats/", {"If-None-Match": feed_tag}, None),
                ("chat, 304", chat, {"If-None-Match": chat_tag}, None),
                # Last: it adds a chat, which changes the feed.
                ("new chat (plain)", "/api/chats/", turner, intake),
            ],
        )
    )
    if probes["feed, 304"]["status"] != 304:
        raise RuntimeError(f"the feed's validator did not give a 304: {probes['feed, 304']}")
    turned = probes["new chat (plain)"]
    if turned["status"] != 201:
        raise RuntimeError(f"a plain chat through the app answered {turned['status']}")
    # The body the app sent the model for that chat, to send the upstream directly.
    upstream_body = json.dumps(turned.pop("json")["turns"][0]["exchange"]["request"])
    random_chat = random_chat_script(workdir / f"random_chat_{size}.lua", found["lo"], found["hi"])
    new_chat = workdir / f"new_chat_{size}.lua"
    tokens = "{" + ", ".join(lua_string(t) for t in found["turn_tokens"]) + "}"
    new_chat.write_text(NEW_CHAT.format(tokens=tokens, body=lua_string(intake)))
    bare_chat = workdir / f"bare_chat_{size}.lua"
    bare_chat.write_text(SAME_POST.format(path="/api/new-chat/", body=lua_string(intake)))
    direct = workdir / f"direct_{size}.lua"
    direct.write_text(SAME_POST.format(path="/v1/chat/completions", body=lua_string(upstream_body)))
    reads = [
        Read("feed, first page", "/api/chats/", {}),
        Read("feed, deep page", found["deep"], {}),
        Read("chat (random)", "/", {}, random_chat),
        # The same chat every time: what a page costs with its rows in memory, at any size.
        Read("one chat", chat, {}),
        Read(f"my chats ({found['owned']})", "/api/me/chats/", bearer),
        Read("feed, 304", "/api/chats/", {"If-None-Match": feed_tag}),
        Read("chat, 304", chat, {"If-None-Match": chat_tag}),
        Read("new chat (plain)", "/", {}, new_chat, turn=True),
        Read("the upstream directly", "/", {}, direct, upstream=True, turn=True),
        Read("bare DRF: feed, first page", "/api/chats/", {}, reference=True),
        Read("bare DRF: chat (random)", "/", {}, random_chat, reference=True),
        Read("bare DRF: new chat", "/", {}, bare_chat, turn=True, reference=True),
    ]
    return reads, probes, found["member"]


def start_server(
    env: dict[str, str], workdir: Path, size: int, workers: int
) -> tuple[Service, str]:
    """The app as `make serve` runs it."""
    port = free_port()
    metrics = workdir / f"metrics_{size}"
    metrics.mkdir(exist_ok=True)
    server = Service(
        f"app ({size} chats)",
        [
            sys.executable, "-m", "django_project.serve", "django_project.asgi:application",
            "--app-dir", "src", "--host", HOST, "--port", str(port),
            "--workers", str(workers), "--proxy-headers",
            "--forwarded-allow-ips", HOST, "--no-server-header",
            "--timeout-graceful-shutdown", "30",
        ],
        {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
        workdir / f"app_{size}.log",
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    wait_ready(server, f"{base}/healthz")
    wait_listening(server, port, workers)
    return server, base


def start_reference(
    env: dict[str, str], workdir: Path, size: int, workers: int, member: int
) -> tuple[Service, str]:
    """bench/reference, the bare DRF app, on the same database as the app, as a stock Django
    deployment serves it: gunicorn's sync workers, one per core. The faster of the stock
    servers tried (2026-12-01, xeon-5200 in docs/benchmarks.md; 10k chats, 5 s runs): the feed
    at 32 clients 727 pages/s against 363 with Django's ASGI handler under uvicorn; a turn at 1
    client 6.9 against 8.7 ms at p50. uvicorn's WSGI mode stalled for half a second at a time."""
    port = free_port()
    server = Service(
        f"bare DRF ({size} chats)",
        [
            sys.executable, "-m", "gunicorn", "reference.wsgi:application",
            "--bind", f"{HOST}:{port}", "--workers", str(workers),
        ],
        {
            **env,
            "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{BENCH}",
            "DJANGO_SETTINGS_MODULE": "reference.settings",
            "REFERENCE_MEMBER": str(member),
        },
        workdir / f"reference_{size}.log",
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    wait_ready(server, f"{base}/api/chats/")
    return server, base


def start_upstream(workdir: Path) -> tuple[Service, str]:
    """bench/fake_upstream.py answering at once: what a turn costs beyond the model's time."""
    port = free_port()
    upstream = Service(
        "fake upstream",
        [sys.executable, str(BENCH / "fake_upstream.py"), f"--port={port}",
         "--ttft-ms=0", "--tbt-ms=0", "--tokens=40"],
        dict(os.environ),
        workdir / "upstream.log",
    )  # fmt: skip
    base = f"http://{HOST}:{port}"
    wait_ready(upstream, f"{base}/bench/stats")
    return upstream, base


def report(
    info: dict[str, str],
    runs: list[Run],
    probes: dict[int, dict[str, Any]],
    seeding: dict[int, str],
    args: argparse.Namespace,
) -> str:
    lines = ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", "## Seeding", ""]
    lines += [f"- up to {size:,} chats: {text}" for size, text in seeding.items()]
    lines += [
        "",
        f"## Reads ({args.duration:.0f} s each, wrk -t1, {args.workers} uvicorn workers; "
        f"the mean of {args.rounds} rounds)",
        "",
        "| chats | read | clients | req/s | p50 ms | p99 ms | errors | CPU app | CPU PG "
        "| CPU wrk | CPU others | PG reads/req | disk MB/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, int, int], list[Run]] = {}
    for r in runs:
        groups.setdefault((r.name.split(" (")[0], r.connections, r.size), []).append(r)
    for (_, connections, size), same in sorted(
        groups.items(), key=lambda g: (list(groups).index(g[0]) // len(probes), g[0][2])
    ):

        def mean(attr: str, same: list[Run] = same) -> float:
            return sum(getattr(r, attr) for r in same) / len(same)

        lines.append(
            f"| {size:,} | {same[0].name} | {connections} | {mean('rps'):,.0f} "
            f"| {mean('p50_ms'):.2f} | {mean('p99_ms'):.2f} | {sum(r.errors for r in same)} "
            f"| {mean('app_cores'):.2f} | {mean('pg_cores'):.2f} | {mean('wrk_cores'):.2f} "
            f"| {mean('others_cores'):.2f} | {mean('pg_reads_per_request'):.2f} "
            f"| {mean('disk_mb_s'):.1f} |"
        )
    lines += _turns_summary(runs, args)
    lines += _against_bare(runs, args)
    lines += _growth(runs, args)
    lines += ["", "## Queries per request", "", "| chats | read | status | queries | seq scans |"]
    lines += ["|---:|---|---:|---:|---|"]
    for size, found in probes.items():
        for name, p in found.items():
            scans = sorted(
                {m for q in p["plans"] for m in re.findall(r"Seq Scan on (\w+)", q["plan"])}
            )
            lines.append(
                f"| {size:,} | {name} | {p['status']} | {p['queries']} | "
                f"{', '.join(scans) or 'none'} |"
            )
    biggest = max(probes)
    lines += ["", f"## Plans at {biggest:,} chats", ""]
    for name, p in probes[biggest].items():
        for plan in p["plans"]:
            lines += [f"{name}:", "", "```", plan["sql"], "", plan["plan"], "```", ""]
    return "\n".join(lines)


def _mean(runs: list[Run], name: str, size: int, connections: int, attr: str) -> float:
    same = [r for r in runs if (r.name, r.size, r.connections) == (name, size, connections)]
    return sum(getattr(r, attr) for r in same) / len(same) if same else float("nan")


def _against_bare(runs: list[Run], args: argparse.Namespace) -> list[str]:
    """The app beside bench/reference, the bare DRF app, on the same database and load."""
    if not any(r.name.startswith("bare DRF") for r in runs):
        return []
    reads = [int(c) for c in args.connections.split(",")]
    low, high = (int(c) for c in args.turn_connections.split(","))
    lines = [
        "",
        "## The app beside a bare DRF app (bench/reference: no auth, no quota, the ORM)",
        "",
        f"| chats | feed pages/s at {reads[-1]}: app / bare | turn p50 overhead at {low}: "
        f"app / bare | turns/s at {high}: app / bare |",
        "|---:|---|---|---|",
    ]
    for size in sorted({r.size for r in runs}):
        app_feed, bare_feed = (
            _mean(runs, name, size, reads[-1], "rps")
            for name in ("feed, first page", "bare DRF: feed, first page")
        )
        direct = _mean(runs, "the upstream directly", size, low, "p50_ms")
        app_turn, bare_turn = (
            _mean(runs, name, size, low, "p50_ms") - direct
            for name in ("new chat (plain)", "bare DRF: new chat")
        )
        app_rps, bare_rps = (
            _mean(runs, name, size, high, "rps")
            for name in ("new chat (plain)", "bare DRF: new chat")
        )
        lines.append(
            f"| {size:,} | {app_feed:,.0f} / {bare_feed:,.0f} "
            f"| {app_turn:+.2f} / {bare_turn:+.2f} ms | {app_rps:,.0f} / {bare_rps:,.0f} |"
        )
    return lines


GROWTH = (
    "feed, first page",
    "feed, deep page",
    "chat (random)",
    "one chat",
    "bare DRF: feed, first page",
    "bare DRF: chat (random)",
)


def _growth(runs: list[Run], args: argparse.Namespace) -> list[str]:
    """The target on size: each read's p99 at the most clients, against the smallest size's. The
    bare app reads the same chats, so what grows for it too is the data's, not the app's."""
    connections = int(args.connections.split(",")[-1])
    sizes = sorted({r.size for r in runs})
    lines = [
        "",
        f"## p99 at {connections} clients as the data grows (against {sizes[0]:,} chats)",
        "",
        "| read | " + " | ".join(f"{size:,}" for size in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for name in GROWTH:
        p99 = [_mean(runs, name, size, connections, "p99_ms") for size in sizes]
        if any(math.isnan(v) for v in p99):
            continue
        cells = [f"{p99[0]:.1f} ms"] + [f"{v:.1f} ms ({v / p99[0] - 1:+.0%})" for v in p99[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _turns_summary(runs: list[Run], args: argparse.Namespace) -> list[str]:
    """The turns' rows beside the upstream's: what the app adds at p50, and its throughput."""
    low, high = (int(c) for c in args.turn_connections.split(","))

    def mean(name: str, size: int, connections: int, attr: str) -> float:
        return _mean(runs, name, size, connections, attr)

    lines = [
        "",
        "## Plain chat turns (POST /api/chats/, zero-latency upstream)",
        "",
        f"| chats | p50 at {low}: upstream / app | overhead | req/s at {high}: app "
        f"| upstream alone | p99 at {high} |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size in sorted({r.size for r in runs}):
        direct = mean("the upstream directly", size, low, "p50_ms")
        app = mean("new chat (plain)", size, low, "p50_ms")
        lines.append(
            f"| {size:,} | {direct:.2f} / {app:.2f} | {app - direct:+.2f} ms "
            f"| {mean('new chat (plain)', size, high, 'rps'):,.0f} "
            f"| {mean('the upstream directly', size, high, 'rps'):,.0f} "
            f"| {mean('new chat (plain)', size, high, 'p99_ms'):.2f} ms |"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
