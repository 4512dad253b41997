"""Anyone may read any chat, but only its owner sees the member's private profile."""

from datetime import UTC, datetime

import pytest

from application.errors import ChatNotFound
from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from application.views import REDACTED, TurnView
from domain.chat import TurnStatus
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import CompletionRequest, Message, Role
from tests.unit.fakes import Harness, completion, harness

PROFILE = "About the member (private): Born in 1990. Job: Nurse."


def a_profiled_chat() -> tuple[Harness, MemberId, ChatId]:
    app = harness()
    mina = app.members.new("mina", born_year=1990, job="Nurse")
    chat_id = app.start(StartChatSessionInput(mina.id, "Now.", "Later.")).id
    app.send(SendMessageInput(chat_id, mina.id, "And then?"))
    return app, mina.id, chat_id


def private_contents(app: Harness, chat_id: ChatId, viewer: MemberId | None) -> list[str]:
    view = app.get_chat(chat_id, viewer)
    return [m.content for t in view.turns for m in t.request.messages if m.private]


def test_the_owner_sees_the_private_profile_in_every_stored_request() -> None:
    app, mina, chat_id = a_profiled_chat()
    assert private_contents(app, chat_id, mina) == [PROFILE, PROFILE]
    assert app.get_chat(chat_id, mina).turns[0].request == app.model.requests[0]


@pytest.mark.parametrize("viewer", [MemberId(999), None], ids=["another member", "anonymous"])
def test_anyone_else_sees_it_redacted(viewer: MemberId | None) -> None:
    app, _, chat_id = a_profiled_chat()
    view = app.get_chat(chat_id, viewer)
    assert private_contents(app, chat_id, viewer) == [REDACTED, REDACTED]
    assert PROFILE not in repr(view)
    assert "Nurse" not in repr(view)


def test_redaction_changes_nothing_but_the_private_messages() -> None:
    app, mina, chat_id = a_profiled_chat()
    owners = app.get_chat(chat_id, mina)
    others = app.get_chat(chat_id, MemberId(999))
    assert others.turns != owners.turns
    for seen, full in zip(others.turns, owners.turns, strict=True):
        assert len(seen.request.messages) == len(full.request.messages)
        for shown, original in zip(seen.request.messages, full.request.messages, strict=True):
            if original.private:
                assert (shown.role, shown.private) == (Role.SYSTEM, True)
            else:
                assert shown == original
        assert (seen.response, seen.content, seen.status) == (
            full.response,
            full.content,
            full.status,
        )
    assert (others.title, others.author, others.prompts) == (owners.title, "mina", owners.prompts)


def test_reading_a_chat_does_not_change_what_is_stored() -> None:
    app, mina, chat_id = a_profiled_chat()
    app.get_chat(chat_id, MemberId(999))
    assert private_contents(app, chat_id, mina) == [PROFILE, PROFILE]


def test_a_chat_without_a_profile_looks_the_same_to_everyone() -> None:
    app = harness()
    mina = app.members.new()
    chat_id = app.start(StartChatSessionInput(mina.id, "Now.", "Later.")).id
    assert app.get_chat(chat_id, MemberId(999)) == app.get_chat(chat_id, mina.id)


def test_a_missing_chat_cannot_be_read() -> None:
    with pytest.raises(ChatNotFound):
        harness().get_chat(ChatId(404), None)


def test_a_turn_view_redacts_only_messages_marked_private() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    turn = TurnView(
        id=TurnId(1),
        index=0,
        content="Hi",
        status=TurnStatus.COMPLETED,
        created_at=at,
        answered_at=at,
        error_code=None,
        request=CompletionRequest(
            model="m",
            messages=(
                Message(Role.SYSTEM, "Be kind."),
                Message(Role.SYSTEM, PROFILE, private=True),
                Message(Role.USER, "Hi"),
            ),
            temperature=0.5,
            max_tokens=10,
        ),
        response=completion("Hello"),
    )
    redacted = turn.redacted()
    assert [m.content for m in redacted.request.messages] == ["Be kind.", REDACTED, "Hi"]
    assert redacted.request.model == "m"
    assert redacted.answer == "Hello"
    assert turn.request.messages[1].content == PROFILE
