import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from application.ports import AnswerFeed, AnswerNote
from domain.ids import TurnId


class MemoryAnswerFeed(AnswerFeed):
    """Notes within one process: enough for a single server process (SQLite, `make run`).
    Followers in other processes see only the progress saved to the turn, every second or so."""

    def __init__(self) -> None:
        self._followers: dict[TurnId, list[asyncio.Queue[AnswerNote]]] = {}
        self._wanted: list[Callable[[AnswerNote], None]] = []

    def publish(self, note: AnswerNote) -> None:
        if note.wanted:
            for callback in self._wanted:
                callback(note)
            return
        for queue in self._followers.get(note.turn_id, ()):
            queue.put_nowait(note)

    def on_wanted(self, callback: Callable[[AnswerNote], None]) -> None:
        if callback not in self._wanted:
            self._wanted.append(callback)

    @asynccontextmanager
    async def subscribe(self, turn_id: TurnId) -> AsyncIterator["asyncio.Queue[AnswerNote]"]:
        queue: asyncio.Queue[AnswerNote] = asyncio.Queue()
        self._followers.setdefault(turn_id, []).append(queue)
        try:
            yield queue
        finally:
            forget_follower(self._followers, turn_id, queue)


def forget_follower(
    followers: dict[TurnId, list["asyncio.Queue[AnswerNote]"]],
    turn_id: TurnId,
    queue: "asyncio.Queue[AnswerNote]",
) -> None:
    queues = followers.get(turn_id, [])
    if queue in queues:
        queues.remove(queue)
    if not queues:
        followers.pop(turn_id, None)
