"""Turns whose process died mid-answer: failed as interrupted once their lease runs out, their
request given back exactly once, and the member free to ask again."""

from datetime import timedelta

import pytest

from application.errors import ModelError
from application.recovery import RecoverInterruptedTurns
from application.start_chat_session import StartChatSessionInput
from domain.chat import TurnStatus
from tests.unit.fakes import Harness, harness

LEASE = timedelta(minutes=2)  # ChatSettings' default


def died_mid_answer(app: Harness) -> StartChatSessionInput:
    """A chat whose first turn was stored and paid for, and whose process then died."""
    mina = app.members.new("mina")
    data = StartChatSessionInput(member_id=mina.id, current_state="now", goal="later")
    app.start.admit(data, stream=True).record()
    return data


def test_a_turn_within_its_lease_is_left_alone() -> None:
    app = harness(limit=1)
    data = died_mid_answer(app)
    app.clock.advance(LEASE - timedelta(seconds=1))

    assert RecoverInterruptedTurns(app.uow, app.clock)() == 0
    (turn,) = app.chats.all_turns()
    assert turn.status is TurnStatus.PENDING
    assert app.used_today(data.member_id) == 1


def test_a_turn_past_its_lease_fails_as_interrupted_and_its_request_is_given_back() -> None:
    app = harness(limit=1)
    data = died_mid_answer(app)
    app.clock.advance(LEASE + timedelta(seconds=1))

    assert RecoverInterruptedTurns(app.uow, app.clock)() == 1
    (turn,) = app.chats.all_turns()
    assert (turn.status, turn.error_code) == (TurnStatus.FAILED, "interrupted")
    assert app.used_today(data.member_id) == 0
    # The member can ask again, with the request they got back.
    assert app.start(data).turns[0].status is TurnStatus.COMPLETED
    assert app.used_today(data.member_id) == 1


def test_sweeping_again_gives_nothing_back_twice() -> None:
    app = harness(limit=2)
    data = died_mid_answer(app)
    app.start(data)  # a second, answered chat: charged
    app.clock.advance(LEASE + timedelta(seconds=1))
    sweep = RecoverInterruptedTurns(app.uow, app.clock)

    assert [sweep(), sweep()] == [1, 0]
    assert app.used_today(data.member_id) == 1


def test_a_live_answer_renews_its_lease() -> None:
    app = harness(limit=1)
    died_mid_answer(app)
    (turn,) = app.chats.all_turns()
    assert turn.id is not None
    app.clock.advance(LEASE - timedelta(seconds=1))
    app.chats.extend_leases([turn.id], app.clock.now() + LEASE)
    app.clock.advance(timedelta(seconds=2))

    assert RecoverInterruptedTurns(app.uow, app.clock)() == 0


def test_a_plain_answer_that_comes_after_its_turn_was_swept_leaves_it_swept() -> None:
    # The process stalled past its lease while the model answered (a frozen machine): another
    # process's sweep failed the turn and gave the request back before the answer came.
    app = harness(limit=1)
    mina = app.members.new("mina")
    data = StartChatSessionInput(member_id=mina.id, current_state="now", goal="later")

    def stall(_: object) -> None:
        app.clock.advance(LEASE + timedelta(seconds=1))
        assert RecoverInterruptedTurns(app.uow, app.clock)() == 1

    app.model.during = stall

    with pytest.raises(ModelError) as raised:
        app.start(data)

    assert raised.value.code == "interrupted"
    (turn,) = app.chats.all_turns()
    assert (turn.status, turn.error_code, turn.response) == (TurnStatus.FAILED, "interrupted", None)
    assert app.used_today(mina.id) == 0  # the answer that came late is not a free one either
