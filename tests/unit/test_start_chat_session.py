from datetime import UTC, datetime, timedelta

import pytest

from application.asking import INTERNAL_ERROR
from application.errors import (
    DailyQuotaExceeded,
    MemberInactive,
    ModelBusy,
    ModelError,
    ModelTimeout,
    ModelUnavailable,
    ValidationFailed,
)
from application.start_chat_session import StartChatSessionInput
from domain.chat import TurnStatus, intake_message
from domain.ids import MemberId
from domain.llm import CompletionRequest, Role
from domain.prompts import ANSWER_MAX, PromptKind
from tests.unit.fakes import SEOUL, FakeChatModel, Harness, completion, harness

LAST_SECOND_IN_SEOUL = datetime(2026, 1, 1, 14, 59, 59, tzinfo=UTC)


def intake(member_id: MemberId, **fields: str) -> StartChatSessionInput:
    answers = {"current_state": "I jog twice a week.", "goal": "Run a marathon.", **fields}
    return StartChatSessionInput(member_id=member_id, **answers)


def nothing_stored(app: Harness, member_id: MemberId) -> bool:
    return app.chats.ids() == [] and app.used_today(member_id) == 0


def test_a_started_chat_comes_back_with_the_models_answer() -> None:
    answer = completion("Build up slowly.")
    app = harness(model=FakeChatModel(answer))
    mina = app.members.new("mina")

    view = app.start(intake(mina.id, misc="Knees hurt."))

    assert view.owner_id == mina.id
    assert view.author == "mina"
    assert view.title == "Run a marathon."
    assert [p.kind for p in view.prompts] == list(PromptKind)
    [turn] = view.turns
    assert turn.status is TurnStatus.COMPLETED
    assert turn.response == answer
    assert turn.answer == "Build up slowly."
    assert turn.answered_at == app.clock.now()
    assert turn.content == intake_message(view.prompts)


def test_a_started_chat_is_stored_with_its_answer_and_costs_one_request() -> None:
    app = harness()
    mina = app.members.new()

    view = app.start(intake(mina.id))

    assert app.chats.ids() == [view.id]
    [stored] = app.chats.turns(view.id)
    assert stored.id == view.turns[0].id
    assert stored.status is TurnStatus.COMPLETED
    assert stored.response == view.turns[0].response
    assert stored.request == app.model.requests[0]
    assert app.chats.stored(view.id).turn_count == 1
    assert app.used_today(mina.id) == 1
    assert app.get_chat(view.id, mina.id) == view


def test_the_model_is_asked_with_no_transaction_open_and_the_question_already_stored() -> None:
    app = harness()
    seen: list[tuple[bool, list[TurnStatus]]] = []
    app.model.during = lambda _: seen.append(
        (app.uow.in_transaction, [t.status for t in app.chats.all_turns()])
    )
    app.start(intake(app.members.new().id))
    assert seen == [(False, [TurnStatus.PENDING])]


def test_the_members_private_profile_is_sent_to_the_model() -> None:
    app = harness()
    mina = app.members.new(born_year=1990, job="Nurse")
    app.start(intake(mina.id))
    [system, profile, question] = app.model.requests[0].messages
    assert system.role is Role.SYSTEM
    assert not system.private
    assert profile.private
    assert profile.content.endswith("Born in 1990. Job: Nurse.")
    assert question.role is Role.USER


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"goal": "  "}, "goal"),
        ({"current_state": ""}, "current_state"),
        ({"misc": "x" * (ANSWER_MAX + 1)}, "misc"),
    ],
)
def test_an_invalid_intake_is_rejected_before_any_quota_is_reserved(
    fields: dict[str, str], field: str
) -> None:
    app = harness(limit=0)  # the quota check would fail too, so order matters
    mina = app.members.new()
    with pytest.raises(ValidationFailed) as error:
        app.start(intake(mina.id, **fields))
    assert list(error.value.errors) == [field]
    assert nothing_stored(app, mina.id)
    assert app.model.requests == []


def test_an_exhausted_allowance_is_reported_with_its_limit_and_reset_time() -> None:
    app = harness(limit=2, at=LAST_SECOND_IN_SEOUL)
    mina = app.members.new()
    app.start(intake(mina.id))
    app.start(intake(mina.id))

    with pytest.raises(DailyQuotaExceeded) as error:
        app.start(intake(mina.id))

    assert error.value.limit == 2
    assert error.value.resets_at == datetime(2026, 1, 2, tzinfo=SEOUL)
    assert error.value.resets_at.utcoffset() == timedelta(hours=9)
    assert len(app.chats.ids()) == 2
    assert app.used_today(mina.id) == 2
    assert len(app.model.requests) == 2


def test_a_new_allowance_starts_at_midnight_in_seoul() -> None:
    app = harness(limit=1, at=LAST_SECOND_IN_SEOUL)
    mina = app.members.new()
    app.start(intake(mina.id))
    with pytest.raises(DailyQuotaExceeded):
        app.start(intake(mina.id))
    app.clock.advance(timedelta(seconds=1))
    app.start(intake(mina.id))
    assert len(app.chats.ids()) == 2


def test_a_members_own_limit_overrides_the_default() -> None:
    app = harness(limit=1)
    blocked = app.members.new("blocked", daily_limit=0)
    generous = app.members.new("generous", daily_limit=3)
    with pytest.raises(DailyQuotaExceeded) as error:
        app.start(intake(blocked.id))
    assert error.value.limit == 0
    for _ in range(3):
        app.start(intake(generous.id))
    with pytest.raises(DailyQuotaExceeded):
        app.start(intake(generous.id))


def test_an_unknown_member_cannot_start_a_chat() -> None:
    """A valid token of a member deleted or deactivated since: turned away as unauthenticated."""
    app = harness()
    with pytest.raises(MemberInactive):
        app.start(intake(MemberId(404)))
    assert nothing_stored(app, MemberId(404))


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (ModelUnavailable("The provider refused."), "upstream_error"),
        (ModelBusy("Rate limited."), "upstream_busy"),
        (ModelTimeout("No answer in 30 s."), "upstream_timeout"),
    ],
)
def test_a_failed_answer_gives_the_request_back_and_keeps_the_question(
    failure: ModelError, code: str
) -> None:
    app = harness(model=FakeChatModel(failure))
    mina = app.members.new()
    started_at = app.clock.now()
    app.model.during = lambda _: app.clock.advance(timedelta(seconds=30))

    with pytest.raises(type(failure)) as error:
        app.start(intake(mina.id))

    assert error.value is failure
    assert error.value.code == code
    [chat_id] = app.chats.ids()
    [turn] = app.chats.turns(chat_id)
    assert error.value.extra == {"chat_id": chat_id, "turn_id": turn.id}
    assert turn.status is TurnStatus.FAILED
    assert turn.error_code == code
    assert turn.response is None
    assert (turn.created_at, turn.answered_at) == (started_at, started_at + timedelta(seconds=30))
    assert app.used_today(mina.id) == 0


def test_an_unexpected_error_from_the_model_also_gives_the_request_back() -> None:
    app = harness(model=FakeChatModel(RuntimeError("bug in an adapter")))
    mina = app.members.new()

    with pytest.raises(RuntimeError, match="bug in an adapter"):
        app.start(intake(mina.id))

    [chat_id] = app.chats.ids()
    [turn] = app.chats.turns(chat_id)
    assert turn.status is TurnStatus.FAILED
    assert turn.error_code == INTERNAL_ERROR
    assert app.used_today(mina.id) == 0


def test_after_a_failure_the_allowance_is_whole_again() -> None:
    app = harness(limit=1, model=FakeChatModel(ModelBusy("busy"), "Now it works."))
    mina = app.members.new()
    with pytest.raises(ModelBusy):
        app.start(intake(mina.id))
    view = app.start(intake(mina.id))
    assert view.turns[0].answer == "Now it works."
    assert app.used_today(mina.id) == 1


def test_the_request_is_built_from_the_server_side_guide() -> None:
    app = harness(system_prompt="Coach briefly.")
    app.start(intake(app.members.new().id))
    request: CompletionRequest = app.model.requests[0]
    sampling = app.settings.guide.sampling
    assert (request.model, request.temperature, request.max_tokens) == (
        sampling.model,
        sampling.temperature,
        sampling.max_tokens,
    )
    assert request.messages[0].content == "Coach briefly."
