from typing import Any

from django.db import migrations

from adapters.orm.models import terms_literal
from domain.search import index_terms

BATCH = 1000
_READ = "SELECT chat_id, head, body FROM chatbot_chatsearch WHERE "


def _write(cursor: Any, rows: list[tuple[int, str, str]]) -> set[int]:
    """The rows' terms from their texts as read; the ids of those whose body grew since (a turn
    appended its text and terms meanwhile), which were left for another read."""
    ids = [chat_id for chat_id, _, _ in rows]
    cursor.execute(
        "UPDATE chatbot_chatsearch s SET head_terms = CAST(v.head AS tsvector), "
        "body_terms = CAST(v.body AS tsvector) "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::int[]) "
        "AS v(chat_id, head, body, length) "
        "WHERE s.chat_id = v.chat_id AND length(s.body) = v.length RETURNING s.chat_id",
        [
            ids,
            [terms_literal(index_terms(head)) for _, head, _ in rows],
            [terms_literal(index_terms(body)) for _, _, body in rows],
            [len(body) for _, _, body in rows],
        ],
    )
    return set(ids) - {chat_id for (chat_id,) in cursor.fetchall()}


def reindex(apps: Any, schema_editor: Any) -> None:
    """Every row's terms again, now with the ASCII trigrams (domain.search.grams), from its
    normalized texts, a batch at a time, each committed on its own (the migration is not
    atomic): chats are written and searched throughout, and an English word that the trigrams
    newly narrow may miss only the rows not reached yet. A body only grows (a turn appends to
    it), so one whose length moved between the read and the write is read again."""
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite keeps no terms
    # The driver's own cursor, in autocommit: Django's would keep every statement (a megabyte
    # each) under DEBUG.
    with schema_editor.connection.connection.cursor() as cursor:
        last = 0
        while True:
            cursor.execute(_READ + "chat_id > %s ORDER BY chat_id LIMIT %s", [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                break
            again = _write(cursor, rows)
            while again:
                cursor.execute(_READ + "chat_id = ANY(%s)", [sorted(again)])
                again = _write(cursor, cursor.fetchall())
            last = rows[-1][0]
        cursor.execute("ANALYZE chatbot_chatsearch")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chatbot", "0016_chat_search_serial_scans"),
    ]

    # Going back keeps the trigrams: the older code looks up bigrams only, which are all still
    # there.
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
