from datetime import timedelta

import pytest

from application.errors import (
    ChatNotFound,
    MemberInactive,
    ModelUnavailable,
    NotAnswered,
    ValidationFailed,
)
from application.feedback import RateAnswerInput
from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from domain.chat import TurnStatus
from domain.errors import InvalidValue
from domain.feedback import Rating, may_be_rated, parse_rating
from domain.ids import ChatId, MemberId, TurnId
from domain.moderation import Hidden
from tests.unit.fakes import FakeChatModel, Harness, harness


@pytest.mark.parametrize("value", [1, -1])
def test_a_rating_is_1_or_minus_1(value: int) -> None:
    assert parse_rating(value) == Rating(value)


@pytest.mark.parametrize("value", [True, False, 0, 2, -2, 1.0, "1", None, [1]])
def test_nothing_else_is_a_rating(value: object) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_rating(value)
    assert refused.value.field == "rating"


@pytest.mark.parametrize(
    ("status", "has_text", "rated"),
    [
        (TurnStatus.COMPLETED, True, True),
        (TurnStatus.STOPPED, True, True),
        (TurnStatus.STOPPED, False, False),
        (TurnStatus.FAILED, True, False),
        (TurnStatus.PENDING, False, False),
    ],
)
def test_only_an_answer_is_rated(status: TurnStatus, has_text: bool, rated: bool) -> None:
    assert may_be_rated(status, has_text) is rated


def chat_of(app: Harness, owner: MemberId) -> tuple[ChatId, TurnId]:
    view = app.start(StartChatSessionInput(member_id=owner, current_state="Now.", goal="Later."))
    return view.id, view.turns[0].id


def rating(
    app: Harness, chat: tuple[ChatId, TurnId], member: MemberId, value: object
) -> RateAnswerInput:
    return RateAnswerInput(chat_id=chat[0], turn_id=chat[1], member_id=member, rating=value)


def test_one_rating_per_member_per_answer_the_latest_wins() -> None:
    app = harness()
    owner, reader = app.members.new("owner").id, app.members.new("reader").id
    chat = chat_of(app, owner)

    app.rate_answer(rating(app, chat, reader, 1))
    app.clock.advance(timedelta(minutes=1))
    app.rate_answer(rating(app, chat, reader, -1))
    app.rate_answer(rating(app, chat, owner, 1))

    assert {k: r for k, (r, _) in app.uow.ratings.ratings.items()} == {
        (chat[1], reader): Rating.DOWN,
        (chat[1], owner): Rating.UP,
    }
    assert [t.my_rating for t in app.get_chat(chat[0], reader).turns] == [-1]
    assert [t.my_rating for t in app.get_chat(chat[0], None).turns] == [None]


def test_a_reader_takes_their_rating_back_and_only_theirs() -> None:
    app = harness()
    owner, reader = app.members.new("owner").id, app.members.new("reader").id
    chat = chat_of(app, owner)
    app.rate_answer(rating(app, chat, reader, 1))
    app.rate_answer(rating(app, chat, owner, -1))

    app.withdraw_rating(chat[0], chat[1], reader)
    app.withdraw_rating(chat[0], chat[1], reader)

    assert list(app.uow.ratings.ratings) == [(chat[1], owner)]


def test_a_failed_turn_has_nothing_to_rate_and_nothing_is_stored() -> None:
    app = harness(model=FakeChatModel("Welcome.", ModelUnavailable("down")))
    owner = app.members.new("owner").id
    chat_id, _ = chat_of(app, owner)
    with pytest.raises(ModelUnavailable):
        app.send(SendMessageInput(chat_id=chat_id, member_id=owner, content="And?"))
    failed = app.chats.turns(chat_id)[-1]
    assert failed.status is TurnStatus.FAILED
    assert failed.id is not None

    with pytest.raises(NotAnswered):
        app.rate_answer(rating(app, (chat_id, failed.id), owner, 1))
    assert not app.uow.ratings.ratings


def test_a_hidden_chat_is_not_found_by_other_raters() -> None:
    app = harness()
    owner, reader = app.members.new("owner").id, app.members.new("reader").id
    chat = chat_of(app, owner)
    app.chats.hide(chat[0], Hidden("spam", app.clock.now()))

    with pytest.raises(ChatNotFound):
        app.rate_answer(rating(app, chat, reader, 1))
    with pytest.raises(ChatNotFound):
        app.withdraw_rating(chat[0], chat[1], reader)
    app.rate_answer(rating(app, chat, owner, 1))

    assert list(app.uow.ratings.ratings) == [(chat[1], owner)]


def test_bad_input_and_unknown_raters_are_refused_before_anything_is_stored() -> None:
    app = harness()
    owner = app.members.new("owner").id
    chat = chat_of(app, owner)

    with pytest.raises(ValidationFailed) as invalid:
        app.rate_answer(rating(app, chat, owner, True))
    with pytest.raises(MemberInactive):
        app.rate_answer(rating(app, chat, MemberId(999), 1))
    with pytest.raises(ChatNotFound):
        app.rate_answer(rating(app, (chat[0], TurnId(999)), owner, 1))

    assert invalid.value.errors == {"rating": ["A rating is 1 (thumbs up) or -1 (thumbs down)."]}
    assert not app.uow.ratings.ratings


def test_the_readers_ratings_change_the_version_of_their_page_only() -> None:
    app = harness()
    owner, reader = app.members.new("owner").id, app.members.new("reader").id
    chat = chat_of(app, owner)
    before = app.get_chat.version(chat[0], reader).tag(reader)
    public = app.get_chat.version(chat[0], None).tag(None)

    app.rate_answer(rating(app, chat, reader, 1))

    after = app.get_chat.version(chat[0], reader)
    assert after.tag(reader) != before
    assert after.tag(reader) == app.get_chat(chat[0], reader).version().tag(reader)
    assert app.get_chat.version(chat[0], None).tag(None) == public
