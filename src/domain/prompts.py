"""The bot's intake: the questions it asks before the first request to the model."""

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidValue

ANSWER_MAX = 2000
DEFAULT_LANGUAGE = "en"


class PromptKind(StrEnum):
    CURRENT_STATE = "current_state"
    GOAL = "goal"
    MISC = "misc"


REQUIRED_KINDS = frozenset({PromptKind.CURRENT_STATE, PromptKind.GOAL})


@dataclass(frozen=True, slots=True)
class IntakeQuestion:
    kind: PromptKind
    text: str
    required: bool


_QUESTIONS: dict[str, dict[PromptKind, str]] = {
    "en": {
        PromptKind.CURRENT_STATE: "Tell me about where you are now: your current state.",
        PromptKind.GOAL: "What goal do you want to reach?",
        PromptKind.MISC: "Anything else I should know, or any other requirements? (optional)",
    },
    "ko": {
        PromptKind.CURRENT_STATE: "지금 어떤 상태인지 알려주세요.",
        PromptKind.GOAL: "이루고 싶은 목표는 무엇인가요?",
        PromptKind.MISC: "그 밖에 알아야 할 점이나 다른 요구사항이 있나요? (선택)",
    },
}
LANGUAGES = tuple(_QUESTIONS)


def intake_questions(language: str) -> tuple[IntakeQuestion, ...]:
    texts = _QUESTIONS.get(language, _QUESTIONS[DEFAULT_LANGUAGE])
    return tuple(
        IntakeQuestion(kind=kind, text=text, required=kind in REQUIRED_KINDS)
        for kind, text in texts.items()
    )


@dataclass(frozen=True, slots=True)
class Prompt:
    """One intake question as it was asked, with the member's answer."""

    kind: PromptKind
    question: str
    answer: str

    def __post_init__(self) -> None:
        if len(self.answer) > ANSWER_MAX:
            raise InvalidValue(f"An answer has at most {ANSWER_MAX} characters.", field=self.kind)
        if self.kind in REQUIRED_KINDS and not self.answer.strip():
            raise InvalidValue("This answer is required.", field=self.kind)


def answer_intake(language: str, answers: dict[PromptKind, str]) -> tuple[Prompt, ...]:
    """Pair each question with its answer; an optional question left blank is not kept."""
    prompts = []
    for question in intake_questions(language):
        answer = answers.get(question.kind, "").strip()
        if not answer and not question.required:
            continue
        prompts.append(Prompt(kind=question.kind, question=question.text, answer=answer))
    return tuple(prompts)


def language_of(*texts: str) -> str | None:
    """The language the member wrote in, when evident: Korean when any Hangul appears, English
    when Latin letters do and no Hangul; None otherwise (digits, emoji, other scripts)."""
    text = "".join(texts)
    if any("\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e" for c in text):
        return "ko"
    if any("a" <= c.lower() <= "z" for c in text):
        return "en"
    return None
