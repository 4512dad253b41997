"""Streamed answers: generated apart from whoever watches, stored like plain ones, charged
when they complete or the member stops them after some text, never when they fail."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from application.asking import AdmittedTurn
from application.errors import ModelBusy, ModelTimeout
from application.ports import AnswerFeed, AnswerNote
from application.recovery import RecoverInterruptedTurns
from application.start_chat_session import StartChatSessionInput
from application.streaming import COALESCE_S, Delta, Event, Finished, LiveAnswer, StreamAnswer
from domain.chat import TurnStatus
from domain.ids import TurnId
from domain.member import Member
from tests.unit.fakes import FakeBlocking, FakeChatModel, FakeStream, Harness, completion, harness


def begin(app: Harness) -> tuple[Member, AdmittedTurn]:
    mina = app.members.new("mina")
    admitted = app.start.admit(
        StartChatSessionInput(member_id=mina.id, current_state="now", goal="later"), stream=True
    )
    return mina, admitted


async def drain(live: LiveAnswer) -> list[Event]:
    queue = live.watch()
    events: list[Event] = []
    while not events or not isinstance(events[-1], Finished):
        events.append(await queue.get())
    live.unwatch(queue)
    return events


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, Delta))


def finished(events: list[Event]) -> Finished:
    last = events[-1]
    assert isinstance(last, Finished)
    return last


def test_a_streamed_answer_arrives_in_pieces_and_is_stored_like_a_plain_one() -> None:
    answer = completion("Start with short runs.")
    app = harness(model=FakeChatModel(answer))
    mina, admitted = begin(app)

    async def run() -> list[Event]:
        return await drain(app.stream_answer.start(admitted))

    events = asyncio.run(run())

    assert [e.text for e in events if isinstance(e, Delta)] == [
        "Start",
        " with",
        " short",
        " runs.",
    ]
    (stored,) = app.chats.all_turns()
    assert stored.status is TurnStatus.COMPLETED
    assert stored.response == answer
    assert stored.request.stream is True
    assert finished(events).turn.status is TurnStatus.COMPLETED
    assert finished(events).error is None
    assert app.used_today(mina.id) == 1


def test_the_answer_goes_on_when_the_watcher_leaves() -> None:
    gate = asyncio.Event()
    stream = FakeStream(["one", "two", "three"], gate=gate)
    app = harness(model=FakeChatModel(stream))
    mina, admitted = begin(app)

    async def run() -> None:
        live = app.stream_answer.start(admitted)
        queue = live.watch()
        gate.set()
        assert await queue.get() == Delta("one")
        live.unwatch(queue)  # the member closed the page
        for _ in range(2):
            await asyncio.sleep(0)
            gate.set()
        assert live.task is not None
        await live.task

    asyncio.run(run())

    (stored,) = app.chats.all_turns()
    assert (stored.status, stored.answer) == (TurnStatus.COMPLETED, "one two three")
    assert app.used_today(mina.id) == 1


def test_a_late_watcher_catches_up_with_what_came_before() -> None:
    gate = asyncio.Event()
    app = harness(model=FakeChatModel(FakeStream(["a", "b", "c"], gate=gate)))
    _, admitted = begin(app)

    async def run() -> list[Event]:
        live = app.stream_answer.start(admitted)
        gate.set()
        await asyncio.sleep(0.01)
        gate.set()
        await asyncio.sleep(0.01)
        late = live.watch()
        gate.set()
        events = [await late.get()]
        while not isinstance(events[-1], Finished):
            events.append(await late.get())
        return events

    events = asyncio.run(run())

    assert events[0] == Delta("a b")
    assert text_of(events) == "a b c"


def test_a_stopped_answer_keeps_its_part_and_is_charged() -> None:
    gate = asyncio.Event()
    app = harness(model=FakeChatModel(FakeStream(["first", "second", "third"], gate=gate)))
    mina, admitted = begin(app)

    async def run() -> list[Event]:
        live = app.stream_answer.start(admitted)
        queue = live.watch()
        gate.set()
        events: list[Event] = [await queue.get()]
        live.stop()
        while not isinstance(events[-1], Finished):
            events.append(await queue.get())
        return events

    events = asyncio.run(run())

    (stored,) = app.chats.all_turns()
    assert stored.status is TurnStatus.STOPPED
    assert stored.answer == "first"
    assert finished(events).turn.status is TurnStatus.STOPPED
    assert app.used_today(mina.id) == 1


def test_an_answer_stopped_before_any_text_is_not_charged() -> None:
    app = harness(model=FakeChatModel(FakeStream(["never"], gate=asyncio.Event())))
    mina, admitted = begin(app)

    async def run() -> list[Event]:
        live = app.stream_answer.start(admitted)
        await asyncio.sleep(0)
        live.stop()
        return await drain(live)

    asyncio.run(run())

    (stored,) = app.chats.all_turns()
    assert (stored.status, stored.response) == (TurnStatus.STOPPED, None)
    assert app.used_today(mina.id) == 0


def test_an_owner_stops_an_answer_through_the_use_case() -> None:
    gate = asyncio.Event()
    app = harness(model=FakeChatModel(FakeStream(["first", "second"], gate=gate)))
    mina, admitted = begin(app)

    async def run() -> bool:
        live = app.stream_answer.start(admitted)
        prepared = await live.recorded()
        assert prepared is not None
        assert prepared.turn.id is not None
        queue = live.watch()
        gate.set()
        await queue.get()
        # The stop use case runs in a request thread, as a view would call it.
        stopping = await asyncio.to_thread(
            app.stop_answer, prepared.chat_id, prepared.turn.id, mina.id
        )
        assert live.task is not None
        await live.task
        return stopping

    assert asyncio.run(run()) is True
    (stored,) = app.chats.all_turns()
    assert (stored.status, stored.answer) == (TurnStatus.STOPPED, "first")


def test_a_failure_before_any_text_gives_the_request_back() -> None:
    app = harness(model=FakeChatModel(ModelBusy("busy")))
    mina, admitted = begin(app)

    events = asyncio.run(_run_to_end(app, admitted))

    (stored,) = app.chats.all_turns()
    assert (stored.status, stored.error_code) == (TurnStatus.FAILED, "upstream_busy")
    error = finished(events).error
    assert error is not None
    assert error.code == "upstream_busy"
    assert error.extra == {"chat_id": app.chats.ids()[0], "turn_id": stored.id}
    assert app.used_today(mina.id) == 0


def test_a_failure_after_some_text_keeps_it_and_gives_the_request_back() -> None:
    stream = FakeStream(["half", "an", "answer"], fail_with=ModelTimeout("slow"))
    app = harness(model=FakeChatModel(stream))
    mina, admitted = begin(app)

    events = asyncio.run(_run_to_end(app, admitted))

    (stored,) = app.chats.all_turns()
    assert (stored.status, stored.error_code) == (TurnStatus.FAILED, "upstream_timeout")
    assert stored.answer == "half an answer"
    assert text_of(events) == "half an answer"
    assert app.used_today(mina.id) == 0
    assert stream.closed


def test_a_bug_in_the_model_adapter_fails_the_turn_instead_of_leaving_it_pending() -> None:
    app = harness(model=FakeChatModel(FakeStream([], fail_with=KeyError("oops"))))
    mina, admitted = begin(app)

    asyncio.run(_run_to_end(app, admitted))

    (stored,) = app.chats.all_turns()
    assert stored.status is TurnStatus.FAILED
    assert app.used_today(mina.id) == 0


async def _run_to_end(app: Harness, admitted: AdmittedTurn) -> list[Event]:
    return await drain(app.stream_answer.start(admitted))


def test_an_answer_that_cannot_be_stored_ends_with_an_error_not_done() -> None:
    app = harness(model=FakeChatModel("An answer."))
    _, admitted = begin(app)

    class BrokenDatabase(FakeBlocking):
        """Stores the turn, then goes away before the answer is written."""

        calls = 0

        async def __call__(self, work: Any) -> Any:
            self.calls += 1
            if self.calls > 1:
                raise ConnectionError("the database went away")
            return work()

    streamer = StreamAnswer(app.uow, app.model, app.clock, BrokenDatabase(), app.live)

    async def run() -> list[Event]:
        return await drain(streamer.start(admitted))

    events = asyncio.run(run())

    error = finished(events).error
    assert error is not None
    assert error.code == "answer_not_saved"
    assert text_of(events) == "An answer."


def test_the_model_is_asked_before_the_turn_is_stored() -> None:
    """The turn's write happens while the model works on its first token, not before."""
    app = harness(model=FakeChatModel("Soon."))
    _, admitted = begin(app)
    order: list[str] = []

    class Watching(FakeBlocking):
        async def __call__(self, work: Any) -> Any:
            order.append(f"store after {len(app.model.requests)} model request(s)")
            return work()

    streamer = StreamAnswer(app.uow, app.model, app.clock, Watching(), app.live)

    async def run() -> list[Event]:
        return await drain(streamer.start(admitted))

    asyncio.run(run())

    assert order[0] == "store after 1 model request(s)"
    (stored,) = app.chats.all_turns()
    assert stored.status is TurnStatus.COMPLETED


def test_a_turn_that_cannot_be_stored_stops_the_model_and_gives_the_request_back() -> None:
    gate = asyncio.Event()
    stream = FakeStream(["never", "seen"], gate=gate)
    app = harness(model=FakeChatModel(stream))
    mina, admitted = begin(app)
    assert app.used_today(mina.id) == 1  # taken when admitted

    def broken_start(*args: Any) -> Any:
        raise ConnectionError("the database went away")

    app.chats.start = broken_start  # type: ignore[method-assign]

    async def run() -> tuple[Any, list[Event]]:
        live = app.stream_answer.start(admitted)
        prepared = await live.recorded()
        assert live.finished is not None
        assert live.task is not None
        await live.task
        return prepared, [live.finished]

    prepared, events = asyncio.run(run())

    assert prepared is None
    error = finished(events).error
    assert error is not None
    assert error.code == "answer_not_saved"
    assert stream.sent == []
    assert stream.closed
    assert app.chats.all_turns() == []
    assert app.used_today(mina.id) == 0


def test_an_answer_whose_turn_was_swept_meanwhile_stays_swept_and_free() -> None:
    # The generating process stalled past its lease (a frozen machine): another process's sweep
    # failed the turn as interrupted and gave the request back. The answer that then comes must
    # neither overwrite the swept turn nor be charged.
    gate = asyncio.Event()
    app = harness(model=FakeChatModel(FakeStream(["late", "answer"], gate=gate)))
    mina, admitted = begin(app)

    async def run() -> list[Event]:
        live = app.stream_answer.start(admitted)
        queue = live.watch()
        gate.set()
        events: list[Event] = [await queue.get()]
        app.clock.advance(timedelta(minutes=3))  # past ChatSettings' lease of two minutes
        assert RecoverInterruptedTurns(app.uow, app.clock)() == 1
        gate.set()
        while not isinstance(events[-1], Finished):
            events.append(await queue.get())
        return events

    events = asyncio.run(run())

    (stored,) = app.chats.all_turns()
    assert (stored.status, stored.error_code) == (TurnStatus.FAILED, "interrupted")
    assert app.used_today(mina.id) == 0
    error = finished(events).error
    assert error is not None
    assert error.code == "interrupted"


class RecordingFeed(AnswerFeed):
    """What the generating process sends to other processes; a `wanted` note reaches the
    process's callbacks at once, as a broker would deliver it."""

    def __init__(self) -> None:
        self.notes: list[AnswerNote] = []
        self._callbacks: list[Callable[[AnswerNote], None]] = []

    def publish(self, note: AnswerNote) -> None:
        if note.wanted:
            for callback in self._callbacks:
                callback(note)
        else:
            self.notes.append(note)

    @asynccontextmanager
    async def subscribe(self, turn_id: TurnId) -> AsyncIterator["asyncio.Queue[AnswerNote]"]:
        yield asyncio.Queue()

    def on_wanted(self, callback: Callable[[AnswerNote], None]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)


def test_notes_go_to_other_processes_only_while_someone_there_follows() -> None:
    gate = asyncio.Event()
    app = harness(model=FakeChatModel(FakeStream(["a", "b", "c", "d"], gate=gate)))
    feed = RecordingFeed()
    stream_answer = StreamAnswer(app.uow, app.model, app.clock, FakeBlocking(), app.live, feed=feed)
    _, admitted = begin(app)

    async def word() -> None:
        gate.set()
        await asyncio.sleep(COALESCE_S * 2)  # past the coalescing timer

    async def run() -> tuple[list[AnswerNote], list[AnswerNote], list[Event]]:
        live = stream_answer.start(admitted)
        await word()
        await word()
        unfollowed = list(feed.notes)
        # A follower elsewhere has "a" and asks for the rest: what came so far goes out in one
        # note, then the new words.
        feed.publish(AnswerNote(live.turn_id, 1, wanted=True))
        await asyncio.sleep(COALESCE_S * 2)
        await word()
        await word()
        followed = list(feed.notes)
        return unfollowed, followed, await drain(live)

    unfollowed, followed, events = asyncio.run(run())

    assert text_of(events) == "a b c d"
    assert unfollowed == []  # nobody followed: nothing was sent
    texts = [(n.offset, n.text) for n in followed if not n.final]
    # The last word goes with the stored outcome, which the final note announces.
    assert texts == [(0, "a b"), (3, " c")]
    assert followed[-1].final


def test_without_a_follower_only_the_outcome_is_announced() -> None:
    gate = asyncio.Event()
    app = harness(model=FakeChatModel(FakeStream(["one", "two", "three"], gate=gate)))
    feed = RecordingFeed()
    stream_answer = StreamAnswer(app.uow, app.model, app.clock, FakeBlocking(), app.live, feed=feed)
    _, admitted = begin(app)

    async def run() -> list[Event]:
        live = stream_answer.start(admitted)
        for _ in range(3):
            gate.set()
            await asyncio.sleep(COALESCE_S * 2)  # a note would have gone out meanwhile
        return await drain(live)

    events = asyncio.run(run())

    assert text_of(events) == "one two three"
    assert [(n.text, n.final) for n in feed.notes] == [("", True)]
