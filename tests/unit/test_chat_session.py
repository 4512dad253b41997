from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.chat import (
    MESSAGE_MAX,
    TITLE_MAX,
    Chat,
    Guide,
    PastTurn,
    Turn,
    TurnStatus,
    intake_message,
    select_history,
)
from domain.errors import InvalidValue, TurnNotPending
from domain.ids import MemberId
from domain.llm import Message, Role, Sampling
from domain.member import Member
from domain.prompts import Prompt, PromptKind, answer_intake
from tests.unit.fakes import a_guide, completion

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
member = Member(id=MemberId(7), email="mina@example.com", nickname="mina")
guide = a_guide()


def intake(goal: str = "Run a marathon.", misc: str = "") -> tuple[Prompt, ...]:
    return answer_intake(
        "en",
        {
            PromptKind.CURRENT_STATE: "I jog twice a week.",
            PromptKind.GOAL: goal,
            PromptKind.MISC: misc,
        },
    )


def started(goal: str = "Run a marathon.") -> tuple[Chat, Turn]:
    return Chat.start(member, intake(goal), guide, AT)


def test_a_chat_starts_with_a_first_turn_asking_the_intake() -> None:
    prompts = intake(misc="Knees hurt.")
    chat, turn = Chat.start(member, prompts, guide, AT)
    assert chat.owner_id == member.id
    assert chat.prompts == prompts
    assert (chat.created_at, chat.updated_at) == (AT, AT)
    assert turn.index == 0
    assert turn.status is TurnStatus.PENDING
    assert turn.content == intake_message(prompts)
    assert turn.content == (
        "Tell me about where you are now: your current state.\nI jog twice a week."
        "\n\nWhat goal do you want to reach?\nRun a marathon."
        "\n\nAnything else I should know, or any other requirements? (optional)\nKnees hurt."
    )
    assert turn.request.messages[-1] == Message(Role.USER, turn.content)
    assert chat.turn_count == 1
    assert chat.history == [PastTurn(0, turn.content, None)]


def test_a_chat_needs_its_intake() -> None:
    with pytest.raises(InvalidValue):
        Chat.start(member, (), guide, AT)


def test_the_title_is_the_goal_on_one_line() -> None:
    chat, _ = started("  Run\na   marathon\tin spring  ")
    assert chat.title == "Run a marathon in spring"


def test_a_title_of_exactly_80_characters_is_kept_whole() -> None:
    goal = "g" * TITLE_MAX
    assert started(goal)[0].title == goal


def test_a_long_goal_is_cut_to_80_characters_with_an_ellipsis() -> None:
    chat, _ = started("word " * 100)
    assert len(chat.title) == TITLE_MAX
    assert chat.title.endswith("…")
    assert chat.title[:-1] == ("word " * 100)[: TITLE_MAX - 1]


def test_without_a_goal_the_title_comes_from_the_first_answer() -> None:
    prompts = (Prompt(PromptKind.CURRENT_STATE, "Where are you?", "Stuck at level two."),)
    chat, _ = Chat.start(member, prompts, guide, AT)
    assert chat.title == "Stuck at level two."


def test_follow_up_turns_are_numbered_in_order() -> None:
    chat, first = started()
    second = chat.ask("How fast?", member, guide, AT + timedelta(minutes=1))
    third = chat.ask("How far?", member, guide, AT + timedelta(minutes=2))
    assert [first.index, second.index, third.index] == [0, 1, 2]
    assert chat.turn_count == 3
    assert chat.updated_at == AT + timedelta(minutes=2)
    assert third.created_at == AT + timedelta(minutes=2)


def test_a_request_uses_the_server_side_sampling_settings() -> None:
    custom = Guide("Be brief.", Sampling(model="gpt-x", temperature=0.2, max_tokens=99))
    chat, _ = Chat.start(member, intake(), custom, AT)
    request = chat.ask("Next?", member, custom, AT).request
    assert (request.model, request.temperature, request.max_tokens) == ("gpt-x", 0.2, 99)
    assert request.stream is False
    assert request.messages[0] == Message(Role.SYSTEM, "Be brief.")
    assert request.messages[-1] == Message(Role.USER, "Next?")


@pytest.mark.parametrize("blank", ["", " ", "\n\t "])
def test_a_blank_message_is_rejected(blank: str) -> None:
    chat, _ = started()
    with pytest.raises(InvalidValue, match="blank") as error:
        chat.ask(blank, member, guide, AT)
    assert error.value.field == "content"
    assert chat.turn_count == 1


def test_a_message_has_at_most_4000_characters() -> None:
    chat, _ = started()
    assert chat.ask("x" * MESSAGE_MAX, member, guide, AT).content == "x" * MESSAGE_MAX
    with pytest.raises(InvalidValue, match="4000") as error:
        chat.ask("x" * (MESSAGE_MAX + 1), member, guide, AT)
    assert error.value.field == "content"
    assert chat.turn_count == 2


def test_a_message_is_kept_as_written() -> None:
    chat, _ = started()
    assert chat.ask("  spaced out  ", member, guide, AT).content == "  spaced out  "


def test_an_answered_turn_keeps_the_response_and_its_time() -> None:
    _, turn = started()
    response = completion("Start slowly.")
    turn.complete(response, AT + timedelta(seconds=3))
    assert turn.status is TurnStatus.COMPLETED
    assert turn.response == response
    assert turn.answer == "Start slowly."
    assert turn.answered_at == AT + timedelta(seconds=3)
    assert turn.error_code is None


def test_a_failed_turn_keeps_the_error_code_and_no_answer() -> None:
    _, turn = started()
    turn.fail("upstream_busy", AT + timedelta(seconds=3))
    assert turn.status is TurnStatus.FAILED
    assert turn.error_code == "upstream_busy"
    assert turn.answer is None
    assert turn.answered_at == AT + timedelta(seconds=3)


@pytest.mark.parametrize(
    ("finish", "partial", "charged"),
    [
        ("complete", "Start slowly.", True),
        ("stop", "Start", True),
        ("stop", None, False),
        ("stop", "", False),
        ("fail", "Start slow", False),
        ("fail", None, False),
        (None, None, False),
    ],
)
def test_a_turn_is_charged_when_answered_or_stopped_after_some_text(
    finish: str | None, partial: str | None, charged: bool
) -> None:
    _, turn = started()
    response = None if partial is None else completion(partial)
    if finish == "complete":
        assert response is not None
        turn.complete(response, AT)
    elif finish == "stop":
        turn.stop(response, AT)
    elif finish == "fail":
        turn.fail("upstream_error", AT, response)
    assert turn.charged is charged


@pytest.mark.parametrize("finish", ["complete", "fail"])
def test_only_a_pending_turn_can_be_completed_or_failed(finish: str) -> None:
    _, turn = started()
    if finish == "complete":
        turn.complete(completion("Done."), AT)
    else:
        turn.fail("upstream_error", AT)
    before = (turn.status, turn.response, turn.error_code, turn.answered_at)
    with pytest.raises(TurnNotPending):
        turn.complete(completion("Again."), AT + timedelta(hours=1))
    with pytest.raises(TurnNotPending):
        turn.fail("upstream_timeout", AT + timedelta(hours=1))
    assert (turn.status, turn.response, turn.error_code, turn.answered_at) == before


class TestGuide:
    def test_without_profile_facts_only_the_system_prompt_is_sent(self) -> None:
        assert guide.system_messages(member) == [Message(Role.SYSTEM, guide.system_prompt)]
        assert not guide.system_messages(member)[0].private

    def test_the_profile_goes_in_a_second_system_message_marked_private(self) -> None:
        profiled = Member(member.id, member.email, "mina", born_year=1990, job="Nurse")
        messages = guide.system_messages(profiled)
        assert len(messages) == 2
        assert not messages[0].private
        assert messages[1].private
        assert messages[1].role is Role.SYSTEM
        assert messages[1].content == "About the member (private): Born in 1990. Job: Nurse."

    @pytest.mark.parametrize(
        ("born_year", "job", "fact"),
        [(1990, None, "Born in 1990."), (None, "Nurse", "Job: Nurse.")],
    )
    def test_either_fact_alone_is_enough(
        self, born_year: int | None, job: str | None, fact: str
    ) -> None:
        profiled = Member(member.id, member.email, "mina", born_year=born_year, job=job)
        assert guide.system_messages(profiled)[1].content.endswith(fact)

    def test_an_empty_job_is_not_a_fact(self) -> None:
        assert len(guide.system_messages(Member(member.id, "a@b.c", "mina", job=""))) == 1

    def test_without_a_system_prompt_only_the_profile_is_sent(self) -> None:
        silent = Guide("", guide.sampling)
        assert silent.system_messages(member) == []
        profiled = Member(member.id, member.email, "mina", job="Nurse")
        assert [m.private for m in silent.system_messages(profiled)] == [True]

    def test_the_history_budget_cannot_be_negative(self) -> None:
        with pytest.raises(InvalidValue):
            Guide("x", guide.sampling, history_budget=-1)
        assert Guide("x", guide.sampling, history_budget=0).history_budget == 0


def user(text: str) -> Message:
    return Message(Role.USER, text)


def bot(text: str) -> Message:
    return Message(Role.ASSISTANT, text)


class TestSelectHistory:
    history: ClassVar[list[PastTurn]] = [
        PastTurn(0, "intake", "welcome"),  # 13 characters
        PastTurn(1, "aaaa", "AAAA"),  # 8
        PastTurn(2, "b", None),  # failed: never sent again
        PastTurn(3, "cccc", "CCCC"),  # 8
    ]

    def test_everything_answered_fits_in_a_large_budget(self) -> None:
        assert select_history(self.history, 1000) == [
            user("intake"),
            bot("welcome"),
            user("aaaa"),
            bot("AAAA"),
            user("cccc"),
            bot("CCCC"),
        ]

    def test_nothing_is_sent_with_no_history_or_no_budget(self) -> None:
        assert select_history([], 100) == []
        assert select_history(self.history, 0) == []

    def test_the_intake_comes_first_then_the_newest_turns_that_fit(self) -> None:
        assert select_history(self.history, 13 + 8) == [
            user("intake"),
            bot("welcome"),
            user("cccc"),
            bot("CCCC"),
        ]

    def test_an_intake_too_long_for_the_budget_is_skipped_but_recent_turns_still_go(self) -> None:
        history = [PastTurn(0, "intake" * 5, "welcome"), *self.history[1:]]
        assert select_history(history, 16) == [user("aaaa"), bot("AAAA"), user("cccc"), bot("CCCC")]

    def test_an_unanswered_intake_is_still_sent_as_the_question(self) -> None:
        history = [PastTurn(0, "intake", None), PastTurn(1, "aaaa", "AAAA")]
        assert select_history(history, 100) == [user("intake"), user("aaaa"), bot("AAAA")]

    def test_older_turns_are_not_picked_over_a_newer_one_that_does_not_fit(self) -> None:
        history = [
            PastTurn(0, "intake", "welcome"),
            PastTurn(1, "a", "A"),
            PastTurn(2, "long" * 10, "LONG" * 10),
            PastTurn(3, "c", "C"),
        ]
        # Turn 1 would fit after turn 3, but not without turn 2: the context never has a gap.
        assert select_history(history, 13 + 2 + 2 + 10) == [
            user("intake"),
            bot("welcome"),
            user("c"),
            bot("C"),
        ]

    def test_a_history_without_the_intake_has_nothing_to_put_first(self) -> None:
        history = [PastTurn(4, "dddd", "DDDD"), PastTurn(5, "eeee", "EEEE")]
        assert select_history(history, 8) == [user("eeee"), bot("EEEE")]


@given(st.text(max_size=300).filter(str.strip))
def test_a_title_is_one_line_of_at_most_80_characters_whatever_the_goal(goal: str) -> None:
    prompts = (Prompt(PromptKind.GOAL, "What goal?", goal),)
    title = Chat.start(member, prompts, guide, AT)[0].title
    assert 0 < len(title) <= TITLE_MAX
    assert title == title.strip()
    assert not any(ch in title for ch in "\n\r\t")
    assert " ".join(goal.split()).startswith(title.removesuffix("…"))
