"""Search benchmark: `GET /api/chats/?q=...` at 10k and 1M chats on PostgreSQL, one and two words,
Korean and English, common, rare and absent, and a journey (`from` + `to`).

    .venv/bin/python bench/search_bench.py                        # 10k, then 1M chats
    .venv/bin/python bench/search_bench.py --sizes 10000 --duration 3   # a smoke run

It creates a PostgreSQL database (`chatbot_search_bench`, kept with --keep-db), migrates it and
grows it with `manage.py seed_data` (COPY; the search rows are seeded with the chats, the GIN
indexes dropped while the rows go in and built again after, as a bulk load does) to each size. At
each size it serves the app as `make serve` does (bench/read_bench.py's helpers) and measures each
search with wrk (one thread, --connections clients, --duration seconds after a 1 s warm-up; 30 s by
default: in 5 s, ~2,500 requests, a second in which the whole machine ran slower, as a virtual
machine's host now and then makes it, was enough to set the p99): p50 and p99 latency, requests per
second, the CPU a request cost the app's processes and PostgreSQL's (from /proc, over the same
seconds), and how many chats the first page found. The feed's first page (no search) is measured
the same way, as the yardstick of a request's fixed cost on the same machine in the same run.
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_bench import app_ticks, log, manage, server_env, start_server, wrk
from stream_bench import Database, _postgres_ticks, machine

DB_NAME = "chatbot_search_bench"
# (name, query string): what the first page of each search costs.
FEED = "feed, no search"
SEARCHES = [
    (FEED, {}),
    ("ko, 1 word, common", {"q": "개발자"}),
    ("ko, 1 word, 2 syllables", {"q": "팀장"}),
    ("ko, 2 words, common", {"q": "개발자 팀장"}),
    ("ko, 1 word, rare", {"q": "양자컴퓨팅"}),
    ("ko, messages only", {"q": "면접"}),
    ("en, 1 word, common", {"q": "developer"}),
    ("en, word form", {"q": "developers"}),
    ("en, 2 words, common", {"q": "junior developer"}),
    ("en, 1 word, rare", {"q": "compilers"}),
    ("en, answers only", {"q": "chapter"}),
    ("absent word", {"q": "없는단어"}),
    ("journey from + to", {"from": "개발자", "to": "팀장"}),
]
TURNS_PER_CHAT = 3
GIN = {
    "chat_search_head_terms": "head_terms",
    "chat_search_body_terms": "body_terms",
}


def psql(db: Database, statement: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(db.url, autocommit=True) as conn:
        cur = conn.execute(statement.encode())
        return cur.fetchall() if cur.description else []


def grow(db: Database, env: dict[str, str], size: int) -> float:
    """Seed up to `size` chats; the seconds it took, index builds included."""
    have = psql(db, "SELECT count(*) FROM chatbot_chat")[0][0]
    if have >= size:
        return 0.0
    started = time.monotonic()
    for name in GIN:
        psql(db, f"DROP INDEX IF EXISTS {name}")
    manage(
        env, "seed_data", "--append", "--chats", str(size - have), "--members",
        str(max(1, (size - have) // 100)), "--turns-per-chat", str(TURNS_PER_CHAT),
    )  # fmt: skip
    seeded = time.monotonic()
    for name, column in GIN.items():
        psql(db, f"CREATE INDEX {name} ON chatbot_chatsearch USING gin ({column})")
    psql(db, "VACUUM ANALYZE")
    log(
        f"seeded {size - have} chats in {seeded - started:.0f} s, "
        f"GIN indexes and ANALYZE in {time.monotonic() - seeded:.0f} s"
    )
    return time.monotonic() - started


def measure(server: Any, url: str, connections: int, seconds: float) -> dict[str, Any]:
    """wrk's figures for `url`, with the CPU milliseconds a request cost the app (the server
    and its workers) and PostgreSQL (every postgres process) over the same seconds."""
    hz = os.sysconf("SC_CLK_TCK")
    app0, pg0 = app_ticks(server), _postgres_ticks()
    measured, _ = wrk(url, connections, seconds, {}, None)
    app1, pg1 = app_ticks(server), _postgres_ticks()
    requests = max(1, measured["requests"])
    pg = sum(t - pg0.get(p, 0) for p, t in pg1.items())
    return {
        **measured,
        "app_cpu_ms": round((app1 - app0) / hz * 1000 / requests, 2),
        "pg_cpu_ms": round(pg / hz * 1000 / requests, 2),
    }


def first_page(base: str, path: str) -> int:
    with urllib.request.urlopen(base + path) as response:  # noqa: S310 - our own server
        return len(json.loads(response.read())["results"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument(
        "--duration",
        type=float,
        default=30.0,
        help="seconds each search is measured (5 s let one slow second of the machine set a p99)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default=DB_NAME, help="the PostgreSQL database to use")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--reuse-db", action="store_true", help="grow the kept database")
    parser.add_argument("--out", type=Path, default=Path("test-output/search_bench.json"))
    args = parser.parse_args(argv)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # through the `finally`s below: the server is stopped

    # The server runs in a session of its own (out of a terminal's Ctrl-C): without this, a
    # SIGTERM would end the script and leave it serving.
    signal.signal(signal.SIGTERM, terminate)
    workdir = Path("test-output/search_bench")
    workdir.mkdir(parents=True, exist_ok=True)
    db = Database(args.db, workdir)
    env = server_env(db.url, None)
    if not args.reuse_db:
        db.create()
        manage(env, "migrate", "--no-input")
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    try:
        for size in sorted(args.sizes):
            seconds = grow(db, env, size)
            server, base = start_server(env, workdir, size, args.workers)
            rows: dict[str, Any] = {"seed_seconds": round(seconds, 1)}
            try:
                for name, params in SEARCHES:
                    path = "/api/chats/" + ("?" + urllib.parse.urlencode(params) if params else "")
                    found = first_page(base, path)
                    try:
                        wrk(base + path, args.connections, 1, {}, None)  # warm-up
                        measured = measure(server, base + path, args.connections, args.duration)
                    except (KeyError, AttributeError) as error:  # wrk printed no percentiles
                        log(f"{size:>9} {name}: wrk gave no figures ({error!r})")
                        continue
                    rows[name] = {**measured, "found": found}
                    log(
                        f"{size:>9} {name:<26} p50 {measured['p50']:7.2f} ms  "
                        f"p99 {measured['p99']:7.2f} ms  {measured['rps']:8.1f}/s  "
                        f"CPU app {measured['app_cpu_ms']:5.2f} PG {measured['pg_cpu_ms']:5.2f} "
                        f"ms/request  page {found}  errors {measured['errors']}"
                    )
            finally:
                server.stop()
            results["sizes"][str(size)] = rows
    finally:
        if not args.keep_db:
            db.drop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(report(results))
    return 0


def report(results: dict[str, Any]) -> str:
    sizes = list(results["sizes"])
    head = (
        "| search | "
        + " | ".join(f"{int(s):,}: p50 / p99 ms (page); CPU app / PG ms" for s in sizes)
        + " |"
    )
    lines = [head, "|" + " --- |" * (len(sizes) + 1)]
    for name, _ in SEARCHES:
        cells = []
        for size in sizes:
            row = results["sizes"][size].get(name)
            if row is None:
                cells.append("-")
                continue
            cells.append(
                f"{row['p50']:.1f} / {row['p99']:.1f} ({row['found']}); "
                f"{row['app_cpu_ms']:.1f} / {row['pg_cpu_ms']:.2f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    seeds = ", ".join(f"{int(s):,}: {results['sizes'][s]['seed_seconds']} s" for s in sizes)
    lines.append(f"\nSeeding (to each size, GIN indexes included): {seeds}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
