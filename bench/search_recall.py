"""Recall and speed of the ways to match a Korean or English query word in chat text, measured
for docs/search.md: a labelled set of (query, text, should match) pairs, checked by

- `substring`: this project's choice (domain.search: NFKC + casefold, query words stemmed,
  y/i spellings, substring match; candidates from a bigram and ASCII trigram index);
- `fts simple` / `fts english`: PostgreSQL full-text search with those configurations;
- `trigram like`: pg_trgm's `LIKE '%word%'` on the normalized text (a substring match, so its
  recall is the substring's; what differs is whether its index can serve the word).

    .venv/bin/python bench/search_recall.py postgres://postgres@127.0.0.1:5432/chatbot_search

It then times, on a table of `--rows` texts built from the labelled ones, a two-syllable Korean
word and a longer English one through a pg_trgm GIN index and through the tsvector GIN index of our terms.
"""

import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from domain.search import forms, grams, index_terms, normalize, query_words  # noqa: E402

CASES = [
    ("개발자", "주니어 개발자예요.", True),
    ("개발자", "백엔드 개발자가 되고 싶어요.", True),
    ("개발자", "개발자로 일한 지 3년이에요.", True),
    ("팀장", "팀장이 되고 싶어요.", True),
    ("팀장", "지금은 팀장님 밑에서 일해요.", True),
    ("이직", "내년에는 이직하고 싶어요.", True),
    ("데이터", "데이터 분석을 공부하고 있어요.", True),
    ("면접", "면접에서는 어떤 질문이 나올까요?", True),
    ("주니어 개발자", "주니어 개발자예요.", True),
    ("개발자", "디자이너예요.", False),
    ("팀장", "팀을 옮기고 싶어요.", False),
    ("developers", "I am a junior developer.", True),
    ("developer", "Two developers and a designer.", True),
    ("managing", "I manage a team of three.", True),
    ("studies", "She studied statistics.", True),
    ("study", "She studies at night.", True),
    ("studies", "I want to study abroad.", True),
    ("study", "I am a student of music.", False),
    ("Team Lead", "I want to become a team lead.", True),
    ("ＳＱＬ", "I am learning SQL.", True),
    ("python", "I write Python at work.", True),
    ("developer", "I design buildings.", False),
    ("개발자", "\u1100\u1162\u1107\u1161\u11af\u110c\u1161 예요", True),  # NFD
]


def substring(query: str, text: str) -> bool:
    folded = normalize(text)
    return all(any(f in folded for f in forms(w)) for w in query_words(query))


def main() -> int:
    url = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        methods = {
            "substring (chosen)": lambda q, t: substring(q, t),
            "fts simple": lambda q, t: db.execute(
                "SELECT to_tsvector('simple', %s) @@ plainto_tsquery('simple', %s)", (t, q)
            ).fetchone()[0],
            "fts english": lambda q, t: db.execute(
                "SELECT to_tsvector('english', %s) @@ plainto_tsquery('english', %s)", (t, q)
            ).fetchone()[0],
        }
        print("| method | recall | false matches | misses |\n| --- | --- | --- | --- |")
        for name, match in methods.items():
            hits = sum(1 for q, t, want in CASES if want and match(q, t))
            wanted = sum(1 for _, _, want in CASES if want)
            false = sum(1 for q, t, want in CASES if not want and match(q, t))
            misses = [q for q, t, want in CASES if want and not match(q, t)]
            print(f"| {name} | {hits}/{wanted} | {false} | {', '.join(misses)} |")

        texts = [normalize(t) for _, t, _ in CASES]
        db.execute("DROP TABLE IF EXISTS recall_probe")
        db.execute("CREATE TABLE recall_probe (id serial, body text, terms tsvector)")
        filler = ["그냥 평범한 하루였어요.", "I went for a walk today.", "회사 일이 바빠요."]
        with db.cursor().copy("COPY recall_probe (body, terms) FROM STDIN") as copy:
            for i in range(rows):
                # One row in 1,000 holds a labelled text; the rest are filler.
                body = texts[i // 1000 % len(texts)] if i % 1000 == 0 else filler[i % 3]
                terms = " ".join("'" + t.replace("'", "''") + "'" for t in index_terms(body))
                copy.write_row((body, terms))
        db.execute("CREATE INDEX ON recall_probe USING gin (body gin_trgm_ops)")
        db.execute("CREATE INDEX ON recall_probe USING gin (terms)")
        db.execute("ANALYZE recall_probe")
        print(f"\n{rows:,} rows; best of 5, ms:\n| word | pg_trgm LIKE | terms tsvector |")
        print("| --- | --- | --- |")
        for word in ("팀장", "개발자", "developer", "sql"):
            tsq = " & ".join(f"'{g}'" for g in grams(word))
            timings = []
            for statement, param in (
                ("SELECT count(*) FROM recall_probe WHERE body LIKE %s", f"%{word}%"),
                (
                    "SELECT count(*) FROM recall_probe WHERE terms @@ %s::tsquery "
                    "AND strpos(body, %s) > 0",
                    None,
                ),
            ):
                best = float("inf")
                for _ in range(5):
                    started = time.perf_counter()
                    args = (param,) if param is not None else (tsq, word)
                    db.execute(statement, args).fetchone()
                    best = min(best, (time.perf_counter() - started) * 1000)
                timings.append(best)
            print(f"| {word} | {timings[0]:.1f} | {timings[1]:.1f} |")
        db.execute("DROP TABLE recall_probe")
    return 0


if __name__ == "__main__":
    sys.exit(main())
