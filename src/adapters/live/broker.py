"""What the PostgreSQL and Redis feeds share: one channel for every answer; each process listens
on one connection of its own and hands notes to its followers, and sends what it publishes from
a queue on another connection, so the answer's own stream never waits on the broker."""

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from adapters.live.memory import forget_follower
from application.ports import AnswerFeed, AnswerNote
from domain.ids import TurnId

log = logging.getLogger(__name__)

# A NOTIFY payload holds at most 8000 bytes: a note's text goes in pieces of this many
# characters (at most 6 bytes each once JSON-escaped).
PIECE_CHARS = 1000
# Notes waiting for a broker that is slow or down; beyond this the oldest go (followers read
# the saved progress instead).
OUTBOX_MAX = 10_000
# How long a follower waits for the listening connection before it follows by reading alone,
# and how long a broken connection rests before the next try.
LISTEN_WAIT_S = 2.0
RETRY_S = 2.0


def encode(note: AnswerNote) -> list[str]:
    if note.final:
        return [json.dumps({"t": note.turn_id, "f": 1})]
    if note.wanted:
        return [json.dumps({"t": note.turn_id, "o": note.offset, "w": 1})]
    text, offset = note.text, note.offset
    return [
        json.dumps({"t": note.turn_id, "o": offset + i, "x": text[i : i + PIECE_CHARS]})
        for i in range(0, max(len(text), 1), PIECE_CHARS)
    ]


def decode(payload: str | bytes) -> AnswerNote:
    data = json.loads(payload)
    return AnswerNote(
        TurnId(int(data["t"])),
        int(data.get("o", 0)),
        str(data.get("x", "")),
        bool(data.get("f")),
        bool(data.get("w")),
    )


class BrokerFeed(AnswerFeed):
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def _here(self) -> asyncio.AbstractEventLoop:
        """State for the running event loop (a test may run several, one after another)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._followers: dict[TurnId, list[asyncio.Queue[AnswerNote]]] = {}
            self._outbox: deque[str] = deque(maxlen=OUTBOX_MAX)
            self._wake = asyncio.Event()
            self._listening = asyncio.Event()
            self._sender: asyncio.Task[None] | None = None
            self._listener: asyncio.Task[None] | None = None
            self._wanted: list[Callable[[AnswerNote], None]] = []
            self._fresh()
        return loop

    def publish(self, note: AnswerNote) -> None:
        loop = self._here()
        self._outbox.extend(encode(note))
        self._wake.set()
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send_forever())

    def on_wanted(self, callback: Callable[[AnswerNote], None]) -> None:
        self._here()
        if callback not in self._wanted:
            self._wanted.append(callback)
        self._listen_soon()

    def _listen_soon(self) -> None:
        loop = self._here()
        if self._listener is None or self._listener.done():
            self._listener = loop.create_task(self._listen_forever())

    @asynccontextmanager
    async def subscribe(self, turn_id: TurnId) -> AsyncIterator["asyncio.Queue[AnswerNote]"]:
        self._listen_soon()
        queue: asyncio.Queue[AnswerNote] = asyncio.Queue()
        self._followers.setdefault(turn_id, []).append(queue)
        try:
            # A broker that is down: the follower reads the saved progress alone.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), LISTEN_WAIT_S)
            yield queue
        finally:
            forget_follower(self._followers, turn_id, queue)

    async def _send_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch = list(self._outbox)
                self._outbox.clear()
                try:
                    await self._send(batch)
                except Exception:  # these notes are lost; followers read the saved progress
                    log.warning("answer notes could not be published", exc_info=True)
                    await self._drop_sender()
                    await asyncio.sleep(RETRY_S)

    async def _listen_forever(self) -> None:
        while True:
            try:
                async for payload in self._listen(self._listening.set):
                    self._deliver(payload)
            except Exception:
                log.warning("listening for answer notes failed; trying again", exc_info=True)
            self._listening.clear()
            await asyncio.sleep(RETRY_S)

    def _deliver(self, payload: str | bytes) -> None:
        try:
            note = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("an answer note that is no note: %.100r", payload)
            return
        if note.wanted:
            for callback in self._wanted:
                callback(note)
            return
        for queue in self._followers.get(note.turn_id, ()):
            queue.put_nowait(note)

    def _fresh(self) -> None:
        """Forget connections made on another event loop."""

    async def _send(self, payloads: list[str]) -> None:
        raise NotImplementedError

    async def _drop_sender(self) -> None:
        """Close the sending connection after a failure; the next send opens another."""

    def _listen(self, ready: Callable[[], None]) -> AsyncIterator[str | bytes]:
        """Connect, subscribe, call `ready`, then yield payloads until the connection breaks."""
        raise NotImplementedError
