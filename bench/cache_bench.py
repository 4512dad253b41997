"""Cache benchmark: what nginx's cache of the public reads buys, against the same reads past the
cache and straight to the app.

    .venv/bin/python bench/cache_bench.py                               # 10k chats, about 2 min
    .venv/bin/python bench/cache_bench.py --chats 2000 --duration 3     # a smoke run
    make bench-cache

It creates a throwaway PostgreSQL database (`chatbot_bench_cache`, dropped at the end unless
--keep-db), migrates it and seeds it with `manage.py seed_data --chats N` (its other defaults:
5 turns a chat, 1,000 members). It serves the app as `make serve` does (bench/read_bench.py's
start_server: uvicorn, 2 workers, proxy headers trusted from 127.0.0.1, DEBUG off) with
DJANGO_HTTPS=1 as behind TLS and the offline model provider, and puts Debian's nginx in front of
it with deploy/nginx's config, rendered for loopback ports and temporary paths with a
self-signed certificate by tests/deploy/conftest.py (the deployment tests' own renderer). Two
changes to what they render: worker_processes is Debian's `auto` (one per core; the tests run
one), and the site's access log format gains `cache=$upstream_cache_status`, which is how the
X-Cache-Status of every request is counted.

Then wrk (C, one thread, HTTPS over HTTP/1.1 through nginx; no Accept-Encoding unless --gzip,
so nginx compresses nothing) at --connections for --duration seconds, each after a 1 s warm-up:

- through nginx, anonymous (the cache): the feed's first page (s-maxage=2), one hot settled chat
  (s-maxage=5), and a random chat of all N per request (mostly misses: within a copy's 5 s few
  chats are asked twice; the warm-up asks for other chats than the run);
- through nginx with `Authorization: Bearer <a member's token>` (BYPASS: what the same reads
  cost through nginx without its copy): the feed, and the hot chat (not that member's own);
- straight to the app (plain HTTP to its port, with the X-Forwarded-Proto nginx sends): the
  feed and the hot chat, anonymous and with the same token (what nginx adds to a BYPASS is the
  difference; a token costs the app something of its own: the chat's view reads the member).

For each: requests/s, p50 and p99 latency, errors, the X-Cache-Status values nginx logged, and
the CPU nginx (master and workers), the app (master and workers), PostgreSQL, wrk and everything
else used, from /proc. Every read is checked first (200, the cache status it should have), so a
redirect or a broken cache fails the run instead of being measured.

Everything it starts (nginx, the app, the database, the temporary folder) is stopped and
removed at the end, on an error, and on Ctrl-C or SIGTERM. Only loopback addresses are used.
"""

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import (
    CLK_TCK,
    log,
    manage,
    random_chat_script,
    server_env,
    start_server,
    targets,
    wrk,
)
from stream_bench import (
    REPO,
    Database,
    Service,
    _children,
    _cpu_ticks,
    _machine_ticks,
    _postgres_ticks,
    background_busy,
    machine,
)

sys.path.insert(0, str(REPO))

# The deployment tests' helpers report their failures through pytest.fail.
import pytest

from tests.deploy.conftest import (
    DOMAIN,
    Nginx,
    nginx_binary,
    self_signed_certificate,
    site_paths,
    start_nginx,
    substitute,
)

FEED = "/api/chats/"
# What the app sends back through nginx (src/django_project/api/caching.py).
FEED_POLICY = "s-maxage=2"
SETTLED_POLICY = "s-maxage=5"
# What nginx passes on to the app for every request; straight to the app, wrk sends it itself
# (DJANGO_HTTPS=1 redirects anything else to HTTPS, and wrk counts a 301 as a success).
BEHIND_TLS = {"X-Forwarded-Proto": "https"}
ACCESS_LOG = "chatbot.access.log"  # the site's, chatbot.conf's access_log (format chatbot)
CACHE_FIELD = re.compile(rb" cache=(\S*) ")


@dataclass(frozen=True)
class Target:
    name: str  # what is read
    via: str  # how: through nginx's cache, through nginx with a token, straight to the app
    base: str
    path: str
    headers: dict[str, str]
    expect: str | None  # X-Cache-Status of a second read in a row; None: no such header
    scripts: tuple[Path, Path] | None = None  # wrk Lua scripts for the warm-up and the run


@dataclass
class Run:
    name: str
    via: str
    path: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cache: dict[str, int] = field(default_factory=dict)  # X-Cache-Status: count, from the log
    nginx_cores: float = 0.0
    app_cores: float = 0.0
    pg_cores: float = 0.0
    wrk_cores: float = 0.0
    others_cores: float = 0.0

    @property
    def hit_share(self) -> float | None:
        total = sum(self.cache.values())
        return self.cache.get("HIT", 0) / total if total else None

    def cpu_ms(self, *cores: float) -> float:
        """CPU milliseconds per request that these processes spent."""
        return sum(cores) / self.rps * 1000 if self.rps else float("nan")


class Stop(Exception):
    """A clear reason to stop, printed without a traceback."""


def tree_ticks(pid: int) -> int:
    """CPU ticks of a process and its children (nginx's workers, uvicorn's)."""
    return _cpu_ticks(pid) + sum(_cpu_ticks(c) for c in _children(pid))


def version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return (done.stdout + done.stderr).strip().splitlines()[0].split(" Copyright")[0]


def check_tools() -> str:
    """nginx's binary; Stop when nginx or wrk is missing."""
    missing = []
    try:
        binary = nginx_binary()
    except pytest.fail.Exception:
        missing.append("nginx")
    if shutil.which("wrk") is None:
        missing.append("wrk")
    if missing:
        raise Stop(
            f"cache_bench needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: "
            f"apt-get install -y {' '.join(missing)}"
        )
    return binary


def log_cache_status(name: str, text: str) -> str:
    """The rendered chatbot.conf with the cache status in its access log's format."""
    if name != "chatbot.conf":
        return text
    return substitute(
        text,
        "'urt=$upstream_response_time \"$http_user_agent\"'",
        "'urt=$upstream_response_time cache=$upstream_cache_status \"$http_user_agent\"'",
        count=1,
    )


def cache_statuses(nginx: Nginx, since: int) -> dict[str, int]:
    """How often nginx logged each $upstream_cache_status since byte `since` of the log."""
    log_file = nginx.paths.logs / ACCESS_LOG
    if not log_file.exists():
        return {}
    with log_file.open("rb") as lines:
        lines.seek(since)
        found = Counter(m.group(1).decode() for m in CACHE_FIELD.finditer(lines.read()))
    return dict(found.most_common())


def log_size(nginx: Nginx) -> int:
    log_file = nginx.paths.logs / ACCESS_LOG
    return log_file.stat().st_size if log_file.exists() else 0


def measure(target: Target, nginx: Nginx, app: Service, connections: int, seconds: float) -> Run:
    url = target.base + target.path
    warm_script, script = target.scripts or (None, None)
    wrk(url, connections, 1.0, target.headers, warm_script)
    since = log_size(nginx)
    nginx0, app0 = tree_ticks(nginx.process.pid), tree_ticks(app.pid)
    pg0, (busy0, _) = _postgres_ticks(), _machine_ticks()
    started = time.monotonic()
    found, wrk_cpu = wrk(url, connections, seconds, target.headers, script)
    wall = time.monotonic() - started
    nginx1, app1 = tree_ticks(nginx.process.pid), tree_ticks(app.pid)
    pg1, (busy1, _) = _postgres_ticks(), _machine_ticks()

    def cores(ticks: float) -> float:
        return ticks / CLK_TCK / wall

    pg = sum(t - pg0.get(pid, 0) for pid, t in pg1.items())
    ours = cores(nginx1 - nginx0 + app1 - app0 + pg) + wrk_cpu / wall
    return Run(
        name=target.name,
        via=target.via,
        path=target.path,
        connections=connections,
        seconds=round(wall, 2),
        requests=found["requests"],
        rps=found["rps"],
        p50_ms=found["p50"],
        p99_ms=found["p99"],
        errors=found["errors"],
        cache=cache_statuses(nginx, since),
        nginx_cores=round(cores(nginx1 - nginx0), 2),
        app_cores=round(cores(app1 - app0), 2),
        pg_cores=round(cores(pg), 2),
        wrk_cores=round(wrk_cpu / wall, 2),
        others_cores=round(max(0.0, cores(busy1 - busy0) - ours), 2),
    )


def hot_chat(db_url: str, lo: int, hi: int, member: int) -> int:
    """A chat in the middle of the ids that `member` (whose token the BYPASS reads carry) does
    not own: the owner's page is another one (private, with their profile)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT id FROM chatbot_chat WHERE id >= %s AND member_id <> %s ORDER BY id LIMIT 1",
            ((lo + hi) // 2, member),
        ).fetchone()
    if row is None:
        raise Stop(f"no chat from id {(lo + hi) // 2} on is owned by another than member {member}")
    return int(row[0])


def check(target: Target, nginx: Nginx, sample: str) -> None:
    """Two reads in a row as wrk will send them: 200 both, and the second one's X-Cache-Status
    the one this target is about (a HIT, a BYPASS, or none straight to the app)."""
    path = sample if target.scripts else target.path
    with httpx.Client(base_url=target.base, verify=nginx.verify, timeout=30.0) as client:
        answers = [client.get(path, headers=target.headers) for _ in range(2)]
    last = answers[-1]
    status = last.headers.get("x-cache-status")
    policy = SETTLED_POLICY if path != FEED else FEED_POLICY
    problems = []
    if [a.status_code for a in answers] != [200, 200]:
        problems.append(f"answered {[a.status_code for a in answers]}, not 200")
    if status != target.expect:
        problems.append(f"X-Cache-Status {status!r} on the second read, not {target.expect!r}")
    if policy not in last.headers.get("cache-control", ""):
        problems.append(f"Cache-Control {last.headers.get('cache-control')!r}, without {policy}")
    if problems:
        raise Stop(f"{target.name}, {target.via} ({target.base}{path}): " + "; ".join(problems))


def plan(
    nginx: Nginx, app_base: str, found: dict[str, Any], chat: int, workdir: Path, gzip: bool
) -> list[Target]:
    cached = nginx.https_url
    plain = {"Accept-Encoding": "gzip"} if gzip else {}
    token = {**plain, "Authorization": f"Bearer {found['token']}"}
    # Other chats in the warm-up than in the run: the run starts on no copies of its own.
    warm, run = (
        random_chat_script(workdir / f"random_chat_{seed}.lua", found["lo"], found["hi"], seed)
        for seed in (1, 2)
    )
    hot = f"/api/chats/{chat}/"
    chats = found["hi"] - found["lo"] + 1
    anonymous, bypass = "nginx, anonymous", "nginx, token (BYPASS)"
    direct, direct_token = "app directly", "app directly, token"
    behind_tls_token = {**BEHIND_TLS, "Authorization": token["Authorization"]}
    return [
        Target("feed, first page", anonymous, cached, FEED, plain, "HIT"),
        Target("chat, one hot", anonymous, cached, hot, plain, "HIT"),
        Target(f"chat, random of {chats:,}", anonymous, cached, "/", plain, "HIT", (warm, run)),
        Target("feed, first page", bypass, cached, FEED, token, "BYPASS"),
        Target("chat, one hot", bypass, cached, hot, token, "BYPASS"),
        Target("feed, first page", direct, app_base, FEED, BEHIND_TLS, None),
        Target("chat, one hot", direct, app_base, hot, BEHIND_TLS, None),
        Target("feed, first page", direct_token, app_base, FEED, behind_tls_token, None),
        Target("chat, one hot", direct_token, app_base, hot, behind_tls_token, None),
    ]


def stop_wrk(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: end a wrk run under way (it is not in a session of its own, as nginx and the
    app are, so nothing else stops it), then unwind as Ctrl-C does, through the clean-up."""
    for pid in _children(os.getpid()):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == "wrk":
                os.kill(pid, signal.SIGTERM)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=10_000, help="seed_data --chats")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn's (make serve's default)")
    parser.add_argument(
        "--nginx-workers", default="auto", help="worker_processes (Debian's nginx.conf: auto)"
    )
    parser.add_argument(
        "--gzip",
        action="store_true",
        help="send Accept-Encoding: gzip as browsers do (nginx compresses every answer then)",
    )
    parser.add_argument("--db-name", default="chatbot_bench_cache")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--reuse-db", action="store_true", help="the database is seeded already")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    command = shlex.join([".venv/bin/python", "bench/cache_bench.py", *(argv or sys.argv[1:])])
    try:
        binary = check_tools()
    except Stop as stop:
        print(stop, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop_wrk)

    workdir = Path(tempfile.mkdtemp(prefix="chatbot-cache-bench-"))
    database = Database(args.db_name, workdir)
    info = machine()
    info["nginx"] = version([binary, "-v"])
    info["wrk"] = version(["wrk", "--version"])
    info["postgresql"] = database.server_version()
    info["load before"] = f"{background_busy():.0%} of all cores busy"
    log(f"the machine is {info['load before']} before the benchmark starts")
    app: Service | None = None
    nginx: Nginx | None = None
    seeding = ""
    runs: list[Run] = []
    try:
        env = server_env(database.url, None)
        env["DJANGO_HTTPS"] = "1"
        env["DJANGO_ALLOWED_HOSTS"] += f",{DOMAIN}"
        if not args.reuse_db:
            log(f"seeding {args.chats} chats into {database.pg_name}")
            database.create()
            manage(env, "migrate", "--noinput")
            seeding = manage(env, "seed_data", "--chats", str(args.chats)).strip()
            log(seeding)
        found = targets(env, database.url, args.chats)
        chat = hot_chat(database.url, found["lo"], found["hi"], found["member"])
        app, app_base = start_server(env, workdir, args.chats, args.workers)
        certificate = self_signed_certificate(workdir)
        paths = site_paths(workdir / "site", certificate)
        nginx = start_nginx(paths, int(app_base.rsplit(":", 1)[1]), workers=args.nginx_workers,
                            adjust=log_cache_status)  # fmt: skip
        log(f"nginx on {nginx.https_url} in front of the app on {app_base}")
        sample = f"/api/chats/{found['lo']}/"
        todo = plan(nginx, app_base, found, chat, workdir, args.gzip)
        for target in todo:
            check(target, nginx, sample)
        for target in todo:
            run = measure(target, nginx, app, args.connections, args.duration)
            runs.append(run)
            log(
                f"{run.name:<22} {run.via:<22} {run.rps:8.0f}/s p50 {run.p50_ms:6.2f} ms "
                f"p99 {run.p99_ms:6.2f} ms err {run.errors} {statuses(run) or '-'} "
                f"nginx {run.nginx_cores} app {run.app_cores} pg {run.pg_cores} "
                f"wrk {run.wrk_cores} others {run.others_cores}"
            )
    except pytest.fail.Exception as failed:  # start_nginx's: nginx refused the config, or died
        print(f"cache_bench: {failed}", file=sys.stderr)
        return 1
    except Stop as stop:
        print(f"cache_bench: {stop}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cache_bench: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    finally:
        if nginx is not None:
            nginx.stop()
        if app is not None:
            app.stop()
        if not args.keep_db:
            database.drop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(info, command, seeding, runs, args))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "command": command,
                    "seeding": seeding,
                    "hot chat": chat,
                    "runs": [asdict(r) for r in runs],
                },
                indent=2,
            )
        )
    return 0


def statuses(run: Run) -> str:
    return ", ".join(f"{status or '-'} {n:,}" for status, n in run.cache.items())


def report(
    info: dict[str, str], command: str, seeding: str, runs: list[Run], args: argparse.Namespace
) -> str:
    lines = ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info.items()]
    lines += ["", "## Command", "", "```", command, "```", ""]
    if seeding:
        lines += [f"Seeding: {seeding}", ""]
    lines += [
        f"## Reads ({args.duration:.0f} s each after a 1 s warm-up, wrk -t1 -c{args.connections}; "
        f"nginx worker_processes {args.nginx_workers}, {args.workers} uvicorn workers"
        f"{'; Accept-Encoding: gzip' if args.gzip else ''})",
        "",
        "X-Cache-Status: what nginx's access log says of the run's requests. CPU in cores "
        "(1.00: one core busy for the whole run); others: the rest of the machine.",
        "",
        "| read | via | req/s | p50 ms | p99 ms | errors | X-Cache-Status | CPU nginx | CPU app "
        "| CPU PG | CPU wrk | CPU others |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.name} | {r.via} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} "
            f"| {statuses(r) or 'n/a'} | {r.nginx_cores:.2f} | {r.app_cores:.2f} "
            f"| {r.pg_cores:.2f} | {r.wrk_cores:.2f} | {r.others_cores:.2f} |"
        )
    lines += [
        "",
        "## Per request",
        "",
        "CPU milliseconds a request cost the server side (nginx + the app + PostgreSQL), and the "
        "share of requests nginx answered from its copy (HIT).",
        "",
        "| read | via | req/s | HIT | CPU ms nginx | CPU ms app + PG | CPU ms in all |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        share = "n/a" if r.hit_share is None else f"{r.hit_share:.1%}"
        lines.append(
            f"| {r.name} | {r.via} | {r.rps:,.0f} | {share} | {r.cpu_ms(r.nginx_cores):.3f} "
            f"| {r.cpu_ms(r.app_cores, r.pg_cores):.3f} "
            f"| {r.cpu_ms(r.nginx_cores, r.app_cores, r.pg_cores):.3f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
