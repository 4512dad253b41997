"""Answers streamed as they are generated.

The generation of an answer runs as its own task, apart from whoever is watching it: a member
who closes the page does not stop it, the finished turn is stored and charged all the same, and a
reload shows it. Only the owner's stop request ends it early; what came so far is kept.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Literal

from application.asking import INTERRUPTED, AdmittedTurn, PreparedTurn, swept
from application.errors import (
    ApplicationError,
    ChatNotFound,
    ModelError,
    ModelUnavailable,
    NotChatOwner,
)
from application.ports import AnswerFeed, AnswerNote, Blocking, ChatModel, Clock, UnitOfWork
from application.views import TurnView
from domain.chat import TurnStatus
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Completion

log = logging.getLogger(__name__)

NOT_SAVED = "answer_not_saved"
# How often a process asks the database whether another process was told to stop one of its
# answers. A stop request that lands on the generating process acts at once.
STOP_POLL_S = 0.5
# Text waits this long before it goes to followers in other processes, as one note however many
# tokens came meanwhile: the cost per token stays a list append (docs/streaming.md).
COALESCE_S = 0.1
# How often the generating process saves each answer's text so far to its turn, for followers
# that come late or lost notes (a few statements a second for the whole process, not per answer).
PROGRESS_S = 1.0
# Notes go out only while someone in another process follows the answer: a follower's `wanted`
# note holds this long, and followers send one again every few seconds (following.py).
FOLLOWED_S = 10.0


@dataclass(frozen=True, slots=True)
class Delta:
    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """The stored turn (None when it could not be stored); for a failed one, `error` says
    why."""

    turn: TurnView | None
    error: ApplicationError | None = None


Event = Delta | Finished


class LiveAnswer:
    """One answer being generated: its text so far, and the queues of those watching it.

    The model is asked before the turn is stored (the two go on at once), so the turn's ids are
    known only once `recorded()` returns; text that came before then is kept for the watchers."""

    def __init__(self, feed: AnswerFeed | None = None) -> None:
        self.prepared: PreparedTurn | None = None
        self._recorded = asyncio.Event()
        self.pieces: list[str] = []
        self.finished: Finished | None = None
        self.stopping = False
        self.task: asyncio.Task[None] | None = None
        self.streaming = False  # True while the model is being read: a stop cancels it
        self._watchers: list[asyncio.Queue[Event]] = []
        self._feed = feed
        self.length = 0  # characters so far
        self.saved = 0  # characters saved to the turn (StreamAnswer's poller)
        self._sent = 0  # characters and pieces sent to the feed
        self._sent_pieces = 0
        self._sending: asyncio.TimerHandle | None = None
        self._followed_until = 0.0  # the event loop's time; 0: nobody elsewhere follows it

    @property
    def turn_id(self) -> TurnId:
        assert self.prepared is not None, "not recorded yet"
        assert self.prepared.turn.id is not None
        return self.prepared.turn.id

    async def recorded(self) -> PreparedTurn | None:
        """The stored turn; None when it could not be stored (`finished` then says why)."""
        await self._recorded.wait()
        return self.prepared

    def record(self, prepared: PreparedTurn | None) -> None:
        self.prepared = prepared
        self._recorded.set()
        if prepared is not None and self.pieces and self._followed():
            self._send_soon()

    def text(self) -> str:
        return "".join(self.pieces)

    def watch(self) -> "asyncio.Queue[Event]":
        """A queue of everything from the start (a late watcher catches up), then what comes;
        the last event is Finished. Call unwatch() when done with it."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        if self.pieces:
            queue.put_nowait(Delta("".join(self.pieces)))
        if self.finished is not None:
            queue.put_nowait(self.finished)
        else:
            self._watchers.append(queue)
        return queue

    def unwatch(self, queue: "asyncio.Queue[Event]") -> None:
        with contextlib.suppress(ValueError):
            self._watchers.remove(queue)

    def stop(self) -> None:
        """Must run on the event loop that generates the answer."""
        self.stopping = True
        if self.streaming and self.task is not None:
            self.task.cancel()

    def publish(self, event: Event) -> None:
        if isinstance(event, Delta):
            self.pieces.append(event.text)
            self.length += len(event.text)
            if self._sending is None and self.prepared is not None and self._followed():
                self._send_soon()
        else:
            self.finished = event
            if self._sending is not None:  # the final note follows the stored outcome
                self._sending.cancel()
                self._sending = None
        for queue in self._watchers:
            queue.put_nowait(event)

    def _followed(self) -> bool:
        return self._followed_until > 0 and asyncio.get_running_loop().time() < self._followed_until

    def wanted(self, note: AnswerNote) -> None:
        """A follower in another process has the text up to `note.offset`: it gets what it
        lacks of what went out already, and notes from now on. Before anyone followed, nothing
        went out, and the next note has the whole text so far."""
        if self._feed is None or self.finished is not None:
            return
        self._followed_until = asyncio.get_running_loop().time() + FOLLOWED_S
        if note.offset < self._sent:
            text = "".join(self.pieces)[note.offset : self._sent]
            self._feed.publish(AnswerNote(self.turn_id, note.offset, text))
        if self._sending is None and self.prepared is not None and self.length > self._sent:
            self._send_soon()

    def _send_soon(self) -> None:
        if self._feed is not None:
            self._sending = asyncio.get_running_loop().call_later(COALESCE_S, self._send)

    def _send(self) -> None:
        """One note with everything that came since the last one."""
        self._sending = None
        if self._feed is None or self.finished is not None or not self._followed():
            return
        text = "".join(self.pieces[self._sent_pieces :])
        self._sent_pieces = len(self.pieces)
        self._feed.publish(AnswerNote(self.turn_id, self._sent, text))
        self._sent += len(text)


class LiveAnswers:
    """The answers this process is generating. One per process, living on its event loop."""

    def __init__(self) -> None:
        self._live: dict[TurnId, LiveAnswer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task[None] | None = None

    def get(self, turn_id: TurnId) -> LiveAnswer | None:
        return self._live.get(turn_id)

    def add(self, live: LiveAnswer) -> None:
        self._loop = asyncio.get_running_loop()
        self._live[live.turn_id] = live

    def remove(self, turn_id: TurnId) -> None:
        self._live.pop(turn_id, None)

    def needs_poller(self) -> bool:
        return self._poller is None or self._poller.done()

    def set_poller(self, task: asyncio.Task[None]) -> None:
        self._poller = task

    def ids(self) -> list[TurnId]:
        return list(self._live)

    def stop_soon(self, turn_id: TurnId) -> None:
        """Stop an answer from any thread; nothing happens if this process is not generating it."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.stop_here, turn_id)

    def stop_here(self, turn_id: TurnId) -> None:
        """Stop an answer this process generates; must run on its event loop."""
        live = self._live.get(turn_id)
        if live is not None:
            live.stop()

    def wanted(self, note: AnswerNote) -> None:
        """A follower somewhere wants one of the answers, perhaps one of this process's."""
        live = self._live.get(note.turn_id)
        if live is not None:
            live.wanted(note)


class StreamAnswer:
    """Generate the answer to a prepared turn in the background and let callers watch it."""

    def __init__(
        self,
        uow: UnitOfWork,
        model: ChatModel,
        clock: Clock,
        blocking: Blocking,
        live: LiveAnswers,
        lease: timedelta = timedelta(minutes=2),
        feed: AnswerFeed | None = None,
    ) -> None:
        self._uow = uow
        self._model = model
        self._clock = clock
        self._blocking = blocking
        self._live = live
        self._lease = lease
        self._feed = feed

    def start(self, admitted: AdmittedTurn) -> LiveAnswer:
        """Ask the model and store the turn at once. Must be called on the event loop; the
        answer goes on without any watcher."""
        live = LiveAnswer(self._feed)
        live.task = asyncio.create_task(self._generate(admitted, live))
        return live

    async def _record(self, admitted: AdmittedTurn, live: LiveAnswer) -> PreparedTurn | None:
        try:
            prepared = await self._blocking(admitted.record)  # gives the request back on failure
        except Exception as failure:
            log.exception("turn could not be stored")
            error = ApplicationError("Your message could not be saved; try again.")
            error.code = NOT_SAVED
            error.__cause__ = failure
            live.publish(Finished(None, error))
            live.record(None)
            live.stop()  # nobody could ever see or stop this answer
            return None
        live.record(prepared)
        self._live.add(live)
        if self._feed is not None:
            self._feed.on_wanted(self._live.wanted)  # listens, once per process and event loop
        if self._live.needs_poller():
            self._live.set_poller(asyncio.create_task(self._poll_stops()))
        return prepared

    async def _generate(self, admitted: AdmittedTurn, live: LiveAnswer) -> None:
        turn = admitted.turn
        stream = self._model.stream(turn.request)
        # The turn is stored while the model works on its first token.
        recording = asyncio.create_task(self._record(admitted, live))
        outcome: Literal["completed", "stopped", "failed"] = "completed"
        error: ApplicationError | None = None
        cancelled = False
        live.streaming = True
        try:
            if live.stopping:
                raise asyncio.CancelledError
            async for piece in stream:
                if piece:
                    live.publish(Delta(piece))
            if stream.result() is None:
                raise ModelUnavailable("The model ended its answer before saying anything.")
        except asyncio.CancelledError:
            if live.stopping:
                outcome = "stopped"
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()  # a handled stop, not a cancellation of the whole task
            else:  # the process is shutting down: keep what came and say so
                outcome, cancelled = "failed", True
                error = ModelError("The answer was interrupted.")
                error.code = INTERRUPTED
        except ModelError as failure:
            outcome, error = "failed", failure
        except Exception as failure:  # a bug in an adapter must not leave the turn pending
            outcome, error = "failed", ModelError("The answer failed.")
            error.__cause__ = failure
        finally:
            live.streaming = False
            with contextlib.suppress(Exception):
                await stream.aclose()
        received = stream.result()
        prepared = await recording
        if prepared is None:  # nothing to store the answer in; the request was given back
            if cancelled:
                raise asyncio.CancelledError
            return
        try:
            try:
                if not await self._blocking(
                    lambda: self._store(prepared, outcome, received, error)
                ):
                    log.warning("turn %s was failed by a lease sweep before it was stored", turn.id)
                    error = swept(prepared.chat_id, turn)
            except Exception as failure:
                # The answer came but could not be written: say so rather than "done".
                log.exception("answer of turn %s could not be stored", turn.id)
                error = ApplicationError("The answer could not be saved; try again.")
                error.code = NOT_SAVED
                error.__cause__ = failure
            # Written by the answer's own task, with the id of the request that started it.
            log.info(
                "answer %s: chat %s, turn %s",
                outcome,
                prepared.chat_id,
                turn.id,
                extra={
                    "chat_id": prepared.chat_id,
                    "turn_id": turn.id,
                    "outcome": outcome,
                    "error_code": error.code if error is not None else None,
                },
            )
        finally:
            self._live.remove(live.turn_id)
            if error is not None:
                error.extra.update(chat_id=prepared.chat_id, turn_id=turn.id)
            live.publish(Finished(TurnView.of(turn), error))
            if self._feed is not None:
                self._feed.publish(AnswerNote(live.turn_id, final=True))
        if cancelled:
            raise asyncio.CancelledError

    def _store(
        self,
        prepared: PreparedTurn,
        outcome: str,
        received: Completion | None,
        error: ApplicationError | None,
    ) -> bool:
        """Whether the outcome was stored: not when the turn is gone or no longer pending."""
        turn = prepared.turn
        now = self._clock.now()
        with self._uow as uow:
            if outcome == "completed" and received is not None:
                turn.complete(received, now)
            elif outcome == "stopped":
                turn.stop(received, now)
            else:
                code = error.code if error is not None else ModelUnavailable.code
                turn.fail(code, now, received)
            if not turn.charged:
                uow.quota.refund(prepared.reservation)
            stored = uow.chats.save_outcome(turn)
            uow.commit()
        return stored

    async def _poll_stops(self) -> None:
        """Act on stop requests made to other processes, and keep the leases of this process's
        answers from running out (RecoverInterruptedTurns takes those that do)."""
        loop = asyncio.get_running_loop()
        renew_every = self._lease.total_seconds() / 4
        renewed = saved = loop.time()
        while self._live.ids():
            await asyncio.sleep(STOP_POLL_S)
            ids = self._live.ids()
            if not ids:
                break
            # A failed look (the database busy or restarting) only delays a stop to the next one.
            with contextlib.suppress(Exception):
                asked = await self._blocking(partial(self._stops_requested, ids))
                for turn_id in asked:
                    self._live.stop_here(turn_id)
            if loop.time() - saved >= PROGRESS_S:
                saved = loop.time()
                await self._save_progress(ids)
            if loop.time() - renewed >= renew_every:
                renewed = loop.time()
                with contextlib.suppress(Exception):
                    await self._blocking(partial(self._renew_leases, ids))

    async def _save_progress(self, ids: list[TurnId]) -> None:
        grown = [a for i in ids if (a := self._live.get(i)) is not None and a.length > a.saved]
        if not grown:
            return
        texts = {a.turn_id: a.text() for a in grown}
        # A failed save only leaves followers in other processes a second further behind.
        with contextlib.suppress(Exception):
            await self._blocking(partial(self._uow.chats.save_progress, texts))
            for answer in grown:
                answer.saved = len(texts[answer.turn_id])

    def _renew_leases(self, ids: list[TurnId]) -> None:
        self._uow.chats.extend_leases(ids, self._clock.now() + self._lease)

    def _stops_requested(self, ids: list[TurnId]) -> list[TurnId]:
        with self._uow as uow:
            return uow.chats.stop_requested(ids)


class StopAnswer:
    """The owner stops an answer being generated, in whichever process generates it."""

    def __init__(self, uow: UnitOfWork, live: LiveAnswers) -> None:
        self._uow = uow
        self._live = live

    def __call__(self, chat_id: ChatId, turn_id: TurnId, member_id: MemberId) -> bool:
        """True when the answer was still being generated."""
        with self._uow as uow:
            owner, hidden = uow.chats.moderation_of(chat_id)
            if owner != member_id:
                if hidden is not None:  # a hidden chat exists for its owner alone
                    raise ChatNotFound("No such chat.")
                raise NotChatOwner("Only the chat's owner can stop its answers.")
            status = uow.chats.turn_status(chat_id, turn_id)
            if status is not TurnStatus.PENDING:
                return False
            uow.chats.request_stop(turn_id)
            uow.commit()
        self._live.stop_soon(turn_id)
        return True
