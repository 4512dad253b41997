from datetime import timedelta

import pytest

from application.errors import (
    ChatNotFound,
    DailyQuotaExceeded,
    ModelTimeout,
    NotChatOwner,
    ValidationFailed,
)
from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from domain.chat import MESSAGE_MAX, TurnStatus
from domain.ids import ChatId
from domain.llm import CompletionRequest, Message, Role
from domain.member import Member
from tests.unit.fakes import FakeChatModel, Harness, harness


def a_chat(app: Harness, owner: Member) -> ChatId:
    return app.start(StartChatSessionInput(owner.id, "I jog twice a week.", "A marathon.")).id


def test_a_follow_up_gets_the_next_turn_and_the_models_answer() -> None:
    app = harness(model=FakeChatModel("Welcome.", "Run slower."))
    mina = app.members.new()
    chat_id = a_chat(app, mina)
    app.clock.advance(timedelta(minutes=5))

    turn = app.send(SendMessageInput(chat_id, mina.id, "How fast should I go?"))

    assert turn.index == 1
    assert turn.content == "How fast should I go?"
    assert turn.status is TurnStatus.COMPLETED
    assert turn.answer == "Run slower."
    assert turn.created_at == app.clock.now()
    stored = app.chats.turns(chat_id)
    assert [t.index for t in stored] == [0, 1]
    assert stored[1].response == turn.response
    assert stored[1].request == turn.request == app.model.requests[1]
    assert app.chats.stored(chat_id).turn_count == 2
    assert app.chats.stored(chat_id).updated_at == app.clock.now()
    assert app.used_today(mina.id) == 2


def test_the_request_carries_the_conversation_so_far_in_order() -> None:
    app = harness(model=FakeChatModel("Welcome.", "First answer.", "Second answer."))
    mina = app.members.new()
    chat_id = a_chat(app, mina)
    app.send(SendMessageInput(chat_id, mina.id, "First question"))
    app.send(SendMessageInput(chat_id, mina.id, "Second question"))

    turn = app.send(SendMessageInput(chat_id, mina.id, "Third question"))

    intake = app.chats.turns(chat_id)[0].content
    assert turn.request.messages == (
        Message(Role.SYSTEM, app.settings.guide.system_prompt),
        Message(Role.USER, intake),
        Message(Role.ASSISTANT, "Welcome."),
        Message(Role.USER, "First question"),
        Message(Role.ASSISTANT, "First answer."),
        Message(Role.USER, "Second question"),
        Message(Role.ASSISTANT, "Second answer."),
        Message(Role.USER, "Third question"),
    )


def test_a_failed_turn_is_not_sent_again_as_context() -> None:
    app = harness(model=FakeChatModel("Welcome.", ModelTimeout("slow")))
    mina = app.members.new()
    chat_id = a_chat(app, mina)
    with pytest.raises(ModelTimeout):
        app.send(SendMessageInput(chat_id, mina.id, "Lost question"))

    turn = app.send(SendMessageInput(chat_id, mina.id, "Asked again"))

    assert turn.index == 2
    assert "Lost question" not in [m.content for m in turn.request.messages]


def test_a_small_history_budget_keeps_the_intake_and_the_newest_turns() -> None:
    app = harness(limit=10, history_budget=450, model=FakeChatModel("Welcome."))
    mina = app.members.new()
    chat_id = a_chat(app, mina)
    for n in range(6):
        app.model.then(f"answer {n} " + "." * 40)
        app.send(SendMessageInput(chat_id, mina.id, f"question {n} " + "." * 40))

    request = app.send(SendMessageInput(chat_id, mina.id, "last")).request

    users = [m.content for m in request.messages if m.role is Role.USER]
    assert users[0] == app.chats.turns(chat_id)[0].content
    assert [u.split(" ")[1] for u in users[1:-1]] == ["3", "4", "5"]
    assert sum(len(m.content) for m in request.messages[1:-1]) <= 450


def test_only_the_owner_can_write_and_a_stranger_is_refused_before_any_quota_is_taken() -> None:
    app = harness()
    mina = app.members.new("mina")
    stranger = app.members.new("stranger", daily_limit=0)
    chat_id = a_chat(app, mina)

    with pytest.raises(NotChatOwner):
        app.send(SendMessageInput(chat_id, stranger.id, "Hello?"))

    assert len(app.chats.turns(chat_id)) == 1
    assert app.used_today(stranger.id) == 0
    assert app.used_today(mina.id) == 1
    assert len(app.model.requests) == 1


@pytest.mark.parametrize("content", ["", "   \n", "x" * (MESSAGE_MAX + 1)])
def test_an_invalid_message_is_rejected_before_anything_else(content: str) -> None:
    app = harness(limit=0)
    mina = app.members.new()
    with pytest.raises(ValidationFailed) as error:
        app.send(SendMessageInput(ChatId(404), mina.id, content))
    assert list(error.value.errors) == ["content"]
    assert app.uow.commits == app.uow.rollbacks == 0


def test_a_message_to_a_missing_chat_takes_no_quota() -> None:
    app = harness()
    mina = app.members.new()
    with pytest.raises(ChatNotFound):
        app.send(SendMessageInput(ChatId(404), mina.id, "Anyone?"))
    assert app.used_today(mina.id) == 0


def test_an_exhausted_allowance_stores_no_new_turn() -> None:
    app = harness(limit=1)
    mina = app.members.new()
    chat_id = a_chat(app, mina)

    with pytest.raises(DailyQuotaExceeded) as error:
        app.send(SendMessageInput(chat_id, mina.id, "One more?"))

    assert error.value.limit == 1
    assert len(app.chats.turns(chat_id)) == 1
    assert app.chats.stored(chat_id).turn_count == 1
    assert app.used_today(mina.id) == 1


def test_a_failed_answer_gives_the_request_back_and_names_the_turn() -> None:
    failure = ModelTimeout("No answer in time.")
    app = harness(model=FakeChatModel("Welcome.", failure))
    mina = app.members.new()
    chat_id = a_chat(app, mina)

    with pytest.raises(ModelTimeout) as error:
        app.send(SendMessageInput(chat_id, mina.id, "Still there?"))

    assert error.value is failure
    failed = app.chats.turns(chat_id)[1]
    assert failed.status is TurnStatus.FAILED
    assert failed.error_code == "upstream_timeout"
    assert failed.content == "Still there?"
    assert error.value.extra == {"chat_id": chat_id, "turn_id": failed.id}
    assert app.used_today(mina.id) == 1


def test_a_chat_deleted_while_the_model_answered_is_gone_but_the_request_stays_charged() -> None:
    app = harness()
    mina = app.members.new()
    chat_id = a_chat(app, mina)

    def delete_meanwhile(_: CompletionRequest) -> None:
        app.delete_chat(chat_id, mina.id)

    app.model.during = delete_meanwhile

    with pytest.raises(ChatNotFound):
        app.send(SendMessageInput(chat_id, mina.id, "Are you there?"))

    assert app.chats.ids() == []
    assert app.used_today(mina.id) == 2
