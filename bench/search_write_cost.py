"""What keeping the search index adds to a chat turn, for docs/search.md: the Python that
normalizes a message and an answer and takes their bigrams, and PostgreSQL's execution of the
two appends (`UPDATE chatbot_chatsearch SET body = body || …, body_terms = body_terms || …`,
which ride in the turn's own statements, so no round trip is added), under EXPLAIN ANALYZE in a
transaction rolled back, on random chats of a seeded database.

    .venv/bin/python bench/search_write_cost.py postgres://postgres@127.0.0.1:5432/DB [runs]
"""

import json
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from domain.search import index_terms, normalize  # noqa: E402

MESSAGE = "그럼 이번 달에는 무엇부터 하면 좋을까요? What should I learn first for the interview?"
ANSWER = (
    "Start with the work you already do: pick one recurring problem at your job and own it end "
    "to end. 먼저 지금 하는 일에서 반복되는 문제 하나를 골라 끝까지 책임져 보세요. "
) * 6  # about 1,500 characters, a typical answer


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main() -> int:
    url, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300
    python_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        for text in (MESSAGE, ANSWER):
            normalize(text)
            index_terms(text)
        python_ms.append((time.perf_counter() - started) * 1000)
    sql_ms = []
    with psycopg.connect(url) as db:
        top = db.execute("SELECT max(chat_id) FROM chatbot_chatsearch").fetchone()[0]
        for _ in range(runs):
            chat = random.randint(1, top)  # noqa: S311
            total = 0.0
            for text in (MESSAGE, ANSWER):
                terms = " ".join(f"'{t}'" for t in index_terms(text))
                plan = db.execute(
                    "EXPLAIN (ANALYZE, FORMAT JSON) UPDATE chatbot_chatsearch SET "
                    "body = body || %s, body_terms = body_terms || %s::tsvector "
                    "WHERE chat_id = %s",
                    ("\n" + normalize(text), terms, chat),
                ).fetchone()[0]
                plan = plan if isinstance(plan, list) else json.loads(plan)
                total += plan[0]["Planning Time"] + plan[0]["Execution Time"]
            db.rollback()
            sql_ms.append(total)
    for name, values in (("python", python_ms), ("postgresql", sql_ms)):
        print(
            f"{name}: median {statistics.median(values):.3f} ms, "
            f"p99 {percentile(values, 0.99):.3f} ms over {runs} turns"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
