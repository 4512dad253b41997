"""The fakes honour the ports' contracts, or the tests built on them prove nothing."""

from datetime import UTC, date, datetime, timedelta

import pytest

from application.errors import ModelBusy
from application.ports import NewMember, Reservation
from domain.chat import Chat, TurnStatus
from domain.ids import MemberId
from domain.llm import CompletionRequest, Message, Role
from domain.prompts import PromptKind, answer_intake
from tests.unit.fakes import FakeChatModel, FakeClock, FakeUnitOfWork, a_guide, completion

DAY = date(2026, 1, 1)
LEASE = datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
REQUEST = CompletionRequest("m", (Message(Role.USER, "Hi"),), temperature=0.5, max_tokens=10)


def a_member(uow: FakeUnitOfWork) -> MemberId:
    return uow.members.new().id


def test_changes_are_kept_only_when_committed() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.quota.reserve(MemberId(1), DAY, 5)
    with uow:
        uow.quota.reserve(MemberId(1), DAY, 5)
        uow.commit()
    assert uow.quota.used(MemberId(1), DAY) == 1
    assert (uow.commits, uow.rollbacks) == (1, 1)


def test_an_exception_rolls_back_even_after_commit() -> None:
    uow = FakeUnitOfWork()

    def commit_then_fail() -> None:
        with uow:
            uow.members.add(NewMember("a@b.c", "mina", None, None), "pw")
            uow.commit()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        commit_then_fail()
    assert uow.members.all() == []


def test_every_repository_is_rolled_back_together() -> None:
    uow = FakeUnitOfWork()
    owner = uow.members.get(a_member(uow))
    prompts = answer_intake("en", {PromptKind.CURRENT_STATE: "a", PromptKind.GOAL: "b"})
    with uow:
        chat, turn = Chat.start(owner, prompts, a_guide(), datetime(2026, 1, 1, tzinfo=UTC))
        reservation = uow.quota.reserve(owner.id, DAY, 1)
        assert reservation is not None
        uow.chats.start(chat, turn, reservation, LEASE)
    assert uow.chats.ids() == []
    assert uow.quota.used(owner.id, DAY) == 0


def test_the_unit_of_work_is_not_reentrant() -> None:
    uow = FakeUnitOfWork()
    with uow, pytest.raises(AssertionError), uow:
        pass


def test_a_stored_turn_does_not_change_when_the_callers_copy_does() -> None:
    uow = FakeUnitOfWork()
    owner = uow.members.get(a_member(uow))
    prompts = answer_intake("en", {PromptKind.CURRENT_STATE: "a", PromptKind.GOAL: "b"})
    chat, turn = Chat.start(owner, prompts, a_guide(), datetime(2026, 1, 1, tzinfo=UTC))
    chat.id, turn.id = uow.chats.start(chat, turn, Reservation("r", owner.id, DAY), LEASE)
    turn.complete(completion("x"), datetime(2026, 1, 1, tzinfo=UTC))
    assert uow.chats.turns(chat.id)[0].status is TurnStatus.PENDING
    assert uow.chats.save_outcome(turn)
    assert uow.chats.turns(chat.id)[0].status is TurnStatus.COMPLETED
    assert uow.chats.get(chat.id).history[0].answer == "x"
    uow.chats.delete(chat.id)
    assert not uow.chats.save_outcome(turn)


def test_the_fake_model_follows_its_script_and_keeps_what_it_was_asked() -> None:
    model = FakeChatModel("one", ModelBusy("busy"), default="more")
    assert model.complete(REQUEST).text == "one"
    with pytest.raises(ModelBusy):
        model.complete(REQUEST)
    assert model.complete(REQUEST).text == "more"
    assert model.requests == [REQUEST] * 3


def test_the_fake_clock_only_tells_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 1, 1))
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 1, 1, 1, tzinfo=UTC)
