import hashlib
import itertools
import threading
from datetime import datetime, timedelta
from functools import cache

from adapters.orm import sql
from adapters.orm.models import ThrottleWindow
from application.ports import AttemptCounter, AttemptWindow

# Every this many attempts a process deletes the rows of windows that have ended: cheap, and
# the table stays as small as the number of clients seen in the last period.
_PURGE_EVERY = 500


@cache
def _count() -> str:
    """One upsert per attempt: a new key starts a window of one; an ended window starts again at
    one; an open one counts on. PostgreSQL locks the row and SQLite the database for the
    statement, so concurrent attempts are counted one after another, each getting its own
    count, and both read `ends_at` of the row as it was before this attempt."""
    table = sql.table(ThrottleWindow)
    key, hits, ends_at = (sql.column(ThrottleWindow, n) for n in ("key", "hits", "ends_at"))
    ended = f"{table}.{ends_at} <= %s"
    return (
        f"INSERT INTO {table} ({key}, {hits}, {ends_at}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{hits} = CASE WHEN {ended} THEN 1 ELSE {table}.{hits} + 1 END, "
        f"{ends_at} = CASE WHEN {ended} THEN excluded.{ends_at} ELSE {table}.{ends_at} END "
        f"RETURNING {hits}, {ends_at}"
    )


class DjangoAttemptCounter(AttemptCounter):
    """A row per key in the database every worker and server shares, counted by one atomic
    upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) in autocommit: no read-then-write, no
    transaction held. Keys are stored as their SHA-256, so the table holds no address or email."""

    def __init__(self) -> None:
        self._attempts = itertools.count(1)
        self._lock = threading.Lock()

    def count(self, key: str, now: datetime, period: timedelta) -> AttemptWindow:
        # surrogatepass: a key holds whatever text the client sent, lone surrogates included.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        params = sql.prepared(ThrottleWindow, {"ends_at": now})
        new_end = sql.prepared(ThrottleWindow, {"ends_at": now + period})
        rows = sql.select(
            _count(),
            [digest, *new_end, *params, *params],
            sql.fields(ThrottleWindow, ("hits", "ends_at")),
        )
        ((hits, ends_at),) = rows
        with self._lock:
            purge = next(self._attempts) % _PURGE_EVERY == 0
        if purge:
            ThrottleWindow.objects.filter(ends_at__lt=now).delete()
        return AttemptWindow(count=hits, ends_at=ends_at)
