import pytest

from domain.errors import InvalidValue
from domain.prompts import (
    ANSWER_MAX,
    LANGUAGES,
    Prompt,
    PromptKind,
    answer_intake,
    intake_questions,
    language_of,
)

ANSWERS: dict[PromptKind, str] = {
    PromptKind.CURRENT_STATE: "I run a small bakery.",
    PromptKind.GOAL: "Open a second shop.",
    PromptKind.MISC: "Budget is tight.",
}


def test_the_bot_asks_about_the_current_state_then_the_goal_then_anything_else() -> None:
    questions = intake_questions("en")
    assert [q.kind for q in questions] == [
        PromptKind.CURRENT_STATE,
        PromptKind.GOAL,
        PromptKind.MISC,
    ]
    assert [q.required for q in questions] == [True, True, False]
    assert questions[1].text == "What goal do you want to reach?"


def test_korean_questions_are_asked_in_korean() -> None:
    questions = intake_questions("ko")
    assert [q.kind for q in questions] == [q.kind for q in intake_questions("en")]
    assert questions[1].text == "이루고 싶은 목표는 무엇인가요?"
    prompts = answer_intake("ko", ANSWERS)
    assert [p.question for p in prompts] == [q.text for q in questions]


def test_an_unknown_language_falls_back_to_english() -> None:
    assert intake_questions("fr") == intake_questions("en")
    assert answer_intake("xx", ANSWERS) == answer_intake("en", ANSWERS)
    assert set(LANGUAGES) == {"en", "ko"}


def test_each_prompt_pairs_the_question_as_asked_with_the_stripped_answer() -> None:
    prompts = answer_intake("en", {**ANSWERS, PromptKind.GOAL: "  Open a second shop.\n"})
    assert prompts == (
        Prompt(PromptKind.CURRENT_STATE, intake_questions("en")[0].text, "I run a small bakery."),
        Prompt(PromptKind.GOAL, "What goal do you want to reach?", "Open a second shop."),
        Prompt(PromptKind.MISC, intake_questions("en")[2].text, "Budget is tight."),
    )


@pytest.mark.parametrize("misc", ["", "   \n\t", None])
def test_a_blank_or_missing_optional_answer_is_not_kept(misc: str | None) -> None:
    answers: dict[PromptKind, str] = {k: v for k, v in ANSWERS.items() if k is not PromptKind.MISC}
    if misc is not None:
        answers[PromptKind.MISC] = misc
    prompts = answer_intake("en", answers)
    assert [p.kind for p in prompts] == [PromptKind.CURRENT_STATE, PromptKind.GOAL]


@pytest.mark.parametrize("kind", [PromptKind.CURRENT_STATE, PromptKind.GOAL])
@pytest.mark.parametrize("blank", ["", "  \n "])
def test_a_required_answer_cannot_be_blank(kind: PromptKind, blank: str) -> None:
    with pytest.raises(InvalidValue, match="required") as error:
        answer_intake("en", {**ANSWERS, kind: blank})
    assert error.value.field == kind


def test_a_required_answer_cannot_be_missing() -> None:
    with pytest.raises(InvalidValue) as error:
        answer_intake("en", {PromptKind.CURRENT_STATE: "Busy."})
    assert error.value.field == PromptKind.GOAL


@pytest.mark.parametrize("kind", list(PromptKind))
def test_an_answer_has_at_most_2000_characters(kind: PromptKind) -> None:
    longest = answer_intake("en", {**ANSWERS, kind: "x" * ANSWER_MAX})
    assert len(next(p for p in longest if p.kind is kind).answer) == ANSWER_MAX
    with pytest.raises(InvalidValue, match=str(ANSWER_MAX)) as error:
        answer_intake("en", {**ANSWERS, kind: "x" * (ANSWER_MAX + 1)})
    assert error.value.field == kind


def test_surrounding_whitespace_does_not_count_towards_the_length_limit() -> None:
    prompts = answer_intake("en", {**ANSWERS, PromptKind.GOAL: " " + "x" * ANSWER_MAX + "\n"})
    assert prompts[1].answer == "x" * ANSWER_MAX


def test_a_prompt_checks_its_own_answer() -> None:
    with pytest.raises(InvalidValue):
        Prompt(PromptKind.GOAL, "What goal?", " ")
    assert Prompt(PromptKind.MISC, "Anything else?", "").answer == ""


def test_the_language_a_member_wrote_in_is_known_when_evident() -> None:
    assert language_of("주니어 개발자예요", "Tech lead") == "ko"
    assert language_of("ㅋㅋ") == "ko"
    assert language_of("A junior developer.", "Lead a team") == "en"
    assert language_of("2026 → 2028 🚀") is None
