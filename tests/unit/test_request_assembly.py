"""Properties of the request a chat sends to the model: what context goes in, in what order."""

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from domain.chat import Chat, PastTurn, intake_message
from domain.ids import MemberId
from domain.llm import Message, Role
from domain.member import Member
from domain.prompts import ANSWER_MAX, Prompt, PromptKind
from tests.unit.fakes import a_guide, harness

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TAG = re.compile(r"<([qa])(\d+)>")

members = st.builds(
    Member,
    id=st.just(MemberId(1)),
    email=st.just("mina@example.com"),
    nickname=st.just("mina"),
    born_year=st.none() | st.integers(1900, 2026),
    job=st.none() | st.sampled_from(["Nurse", "Baker", ""]),
)
new_messages = st.text(min_size=1, max_size=60).filter(str.strip)


@st.composite
def histories(draw: st.DrawFn) -> list[PastTurn]:
    """Earlier turns, each tagged with its index so a request can be read back unambiguously."""
    turns = draw(st.lists(st.tuples(st.text(max_size=30), st.booleans()), max_size=12))
    return [
        PastTurn(
            i,
            f"<q{i}>{text}",
            f"<a{i}>" + draw(st.text(max_size=30)) if answered else None,
        )
        for i, (text, answered) in enumerate(turns)
    ]


def sent(turn: PastTurn) -> list[Message]:
    """What a turn contributes when it is in the context at all."""
    if turn.answer is None:
        return [Message(Role.USER, turn.content)]
    return [Message(Role.USER, turn.content), Message(Role.ASSISTANT, turn.answer)]


def turn_index(message: Message) -> int:
    tag = TAG.match(message.content)
    assert tag is not None, f"{message.content!r} is not from the history"
    return int(tag[2])


def size(messages: list[Message]) -> int:
    return sum(len(m.content) for m in messages)


@given(
    history=histories(),
    budget=st.integers(0, 400),
    member=members,
    system_prompt=st.sampled_from(["", "You are a patient coach."]),
    content=new_messages,
)
def test_a_request_holds_the_system_messages_a_gapless_recent_history_and_the_new_message(
    history: list[PastTurn], budget: int, member: Member, system_prompt: str, content: str
) -> None:
    guide = a_guide(history_budget=budget, system_prompt=system_prompt)
    chat = Chat(
        owner_id=member.id,
        title="t",
        prompts=(Prompt(PromptKind.GOAL, "Goal?", "Win."),),
        created_at=AT,
        updated_at=AT,
        history=list(history),
        turn_count=len(history),
    )

    messages = list(chat.ask(content, member, guide, AT).request.messages)

    system = guide.system_messages(member)
    assert messages[: len(system)] == system
    assert [m.private for m in messages[: len(system)]] == [m.private for m in system]
    assert messages[-1] == Message(Role.USER, content)
    context = messages[len(system) : -1]
    assert size(context) <= budget

    # Read the context back as turns: each must appear whole, oldest first.
    indexes = sorted({turn_index(m) for m in context})
    assert context == [m for i in indexes for m in sent(history[i])]

    intake, later = (history[0], history[1:]) if history else (None, [])
    intake_fits = intake is not None and size(sent(intake)) <= budget
    assert (0 in indexes) == intake_fits

    answered = [t.index for t in later if t.answer is not None]
    recent = [i for i in indexes if i != 0]
    assert recent == answered[len(answered) - len(recent) :], "a suffix of the answered turns"
    if len(recent) < len(answered):
        next_older = history[answered[-len(recent) - 1]]
        assert size(context) + size(sent(next_older)) > budget, "a turn that fit was left out"


def test_the_intake_is_the_first_context_whenever_it_fits_even_if_nothing_else_does() -> None:
    history = [PastTurn(0, "intake", "welcome"), PastTurn(1, "x" * 50, "y" * 50)]
    member = Member(MemberId(1), "a@b.c", "mina")
    chat = Chat(MemberId(1), "t", (), AT, AT, history=history, turn_count=2)
    request = chat.ask("next", member, a_guide(history_budget=20), AT).request
    assert request.messages[1:] == (
        Message(Role.USER, "intake"),
        Message(Role.ASSISTANT, "welcome"),
        Message(Role.USER, "next"),
    )


answers = st.text(max_size=120).filter(str.strip)


@given(
    current_state=answers,
    goal=answers,
    misc=st.text(max_size=120),
    language=st.sampled_from(["en", "ko", "de"]),
)
def test_a_sessions_first_request_reproduces_its_stored_prompts(
    current_state: str, goal: str, misc: str, language: str
) -> None:
    app = harness()
    member = app.members.new()

    view = app.start(StartChatSessionInput(member.id, current_state, goal, misc, language))

    stored = app.chats.stored(view.id)
    assert stored.prompts == view.prompts
    assert [p.kind for p in stored.prompts][:2] == [PromptKind.CURRENT_STATE, PromptKind.GOAL]
    assert [p.answer for p in stored.prompts][:2] == [current_state.strip(), goal.strip()]
    assert all(len(p.answer) <= ANSWER_MAX for p in stored.prompts)

    [turn] = app.chats.turns(view.id)
    question = turn.request.messages[-1]
    assert question == Message(Role.USER, intake_message(stored.prompts))
    position = 0
    for prompt in stored.prompts:
        for part in (prompt.question, prompt.answer):
            found = question.content.find(part, position)
            assert found >= position, f"{part!r} missing or out of order"
            position = found + len(part)
    # The record kept is exactly what the model was sent.
    assert app.model.requests == [turn.request]
    assert view.turns[0].request == turn.request


@given(follow_ups=st.lists(new_messages, min_size=1, max_size=4))
def test_every_follow_up_request_still_opens_with_the_stored_intake(follow_ups: list[str]) -> None:
    app = harness()
    member = app.members.new()
    view = app.start(StartChatSessionInput(member.id, "Jogging twice a week.", "A marathon."))
    intake = intake_message(app.chats.stored(view.id).prompts)

    for content in follow_ups:
        app.send(SendMessageInput(view.id, member.id, content))

    for request in app.model.requests:
        assert request.messages[0].role is Role.SYSTEM
        assert request.messages[1] == Message(Role.USER, intake)
    users = [m.content for m in app.model.requests[-1].messages if m.role is Role.USER]
    assert users == [intake, *follow_ups]
