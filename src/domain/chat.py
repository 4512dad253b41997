"""A chat session: the intake prompts, then turns, each one exchange with the model."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidValue, TurnNotPending
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Completion, CompletionRequest, Message, Role, Sampling
from domain.member import Member
from domain.prompts import Prompt, PromptKind

MESSAGE_MAX = 4000
TITLE_MAX = 80


class TurnStatus(StrEnum):
    PENDING = "pending"  # the question is stored and the model has been asked
    COMPLETED = "completed"
    FAILED = "failed"  # the model gave no (whole) answer
    STOPPED = "stopped"  # the member stopped the answer; what came so far is kept


@dataclass(frozen=True, slots=True)
class Guide:
    """How the bot talks to the model: server-side settings, never taken from clients."""

    system_prompt: str
    sampling: Sampling
    # Characters of earlier conversation sent as context: bounds the request so a long chat never
    # overflows the model's context window.
    history_budget: int = 12_000

    def __post_init__(self) -> None:
        if self.history_budget < 0:
            raise InvalidValue("history_budget cannot be negative.")

    def system_messages(self, member: Member) -> list[Message]:
        messages = [Message(Role.SYSTEM, self.system_prompt)] if self.system_prompt else []
        facts = member.profile_facts()
        if facts:
            about = "About the member (private): " + " ".join(facts)
            messages.append(Message(Role.SYSTEM, about, private=True))
        return messages


@dataclass(eq=False, slots=True)
class Turn:
    """One member message and the model's answer, with the exchange as it went over the wire."""

    index: int
    content: str
    request: CompletionRequest
    created_at: datetime
    status: TurnStatus = TurnStatus.PENDING
    response: Completion | None = None
    answered_at: datetime | None = None
    error_code: str | None = None
    id: TurnId | None = None

    @property
    def answer(self) -> str | None:
        return None if self.response is None else self.response.text

    @property
    def has_answer_text(self) -> bool:
        return bool(self.answer)

    @property
    def charged(self) -> bool:
        """Whether the request that asked this turn costs the member one from their allowance
        (docs/security.md, "The daily allowance"): the member got the answer they asked for, or
        stopped it themselves after some text came. A failed turn costs nothing, whatever part
        of an answer it kept; so does a pending one."""
        if self.status is TurnStatus.COMPLETED:
            return True
        return self.status is TurnStatus.STOPPED and self.has_answer_text

    def complete(self, response: Completion, at: datetime) -> None:
        self._require_pending()
        self.status = TurnStatus.COMPLETED
        self.response = response
        self.answered_at = at

    def fail(self, code: str, at: datetime, partial: Completion | None = None) -> None:
        """The model failed; `partial` is what it had sent before, if anything."""
        self._require_pending()
        self.status = TurnStatus.FAILED
        self.error_code = code
        self.response = partial
        self.answered_at = at

    def stop(self, partial: Completion | None, at: datetime) -> None:
        self._require_pending()
        self.status = TurnStatus.STOPPED
        self.response = partial
        self.answered_at = at

    def _require_pending(self) -> None:
        if self.status is not TurnStatus.PENDING:
            raise TurnNotPending(f"Turn {self.index} is already {self.status.value}.")


def intake_message(prompts: Sequence[Prompt]) -> str:
    """The first user message: every intake question followed by the member's answer."""
    return "\n\n".join(f"{p.question}\n{p.answer}" for p in prompts)


def _title_from(prompts: Sequence[Prompt]) -> str:
    goal = next((p.answer for p in prompts if p.kind is PromptKind.GOAL), prompts[0].answer)
    line = " ".join(goal.split())
    return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"


def validate_message(content: str) -> str:
    if not content.strip():
        raise InvalidValue("A message cannot be blank.", field="content")
    if len(content) > MESSAGE_MAX:
        raise InvalidValue(f"A message has at most {MESSAGE_MAX} characters.", field="content")
    return content


@dataclass(frozen=True, slots=True)
class PastTurn:
    """What an earlier turn contributes to the context of a new request."""

    index: int
    content: str
    answer: str | None  # None unless the turn was answered


@dataclass(eq=False, slots=True)
class Chat:
    """The session as the write side needs it: enough of the past to build the next request."""

    owner_id: MemberId
    title: str
    prompts: tuple[Prompt, ...]
    created_at: datetime
    updated_at: datetime
    history: list[PastTurn] = field(default_factory=list)
    turn_count: int = 0
    model: str = ""  # chosen when the chat starts; every turn asks the same model
    # Shown without its author in public: no nickname, nothing that links it to the owner.
    anonymous: bool = False
    id: ChatId | None = None

    @classmethod
    def start(
        cls,
        owner: Member,
        prompts: Sequence[Prompt],
        guide: Guide,
        at: datetime,
        *,
        stream: bool = False,
        model: str | None = None,
        anonymous: bool | None = None,
    ) -> tuple["Chat", Turn]:
        """Open a session from the answered intake; its first turn asks the model. Anonymous
        as asked, else as the owner's profile says."""
        if not prompts:
            raise InvalidValue("A chat starts with the intake answers.")
        chat = cls(
            owner_id=owner.id,
            title=_title_from(prompts),
            prompts=tuple(prompts),
            created_at=at,
            updated_at=at,
            model=model or guide.sampling.model,
            anonymous=owner.anonymous_by_default if anonymous is None else anonymous,
        )
        return chat, chat._add_turn(intake_message(prompts), owner, guide, at, stream)

    def ask(
        self, content: str, owner: Member, guide: Guide, at: datetime, *, stream: bool = False
    ) -> Turn:
        """A follow-up message; the request carries the conversation so far, bounded."""
        return self._add_turn(validate_message(content), owner, guide, at, stream)

    def is_owned_by(self, member_id: MemberId) -> bool:
        return self.owner_id == member_id

    def _add_turn(
        self, content: str, owner: Member, guide: Guide, at: datetime, stream: bool
    ) -> Turn:
        messages = [
            *guide.system_messages(owner),
            *select_history(self.history, guide.history_budget),
            Message(Role.USER, content),
        ]
        request = CompletionRequest(
            model=self.model or guide.sampling.model,
            messages=tuple(messages),
            temperature=guide.sampling.temperature,
            max_tokens=guide.sampling.max_tokens,
            stream=stream,
        )
        turn = Turn(index=self.turn_count, content=content, request=request, created_at=at)
        self.history.append(PastTurn(turn.index, content, None))
        self.turn_count += 1
        self.updated_at = at
        return turn


def select_history(history: Sequence[PastTurn], budget: int) -> list[Message]:
    """Earlier turns that fit in `budget` characters: the intake first, then the newest turns.

    Unanswered turns are left out, except the intake question, which frames the whole chat.
    Recent turns are taken newest first and stop at the first that does not fit, so the context
    never has a gap in it.
    """

    def messages(turn: PastTurn) -> list[Message]:
        if turn.answer is not None:
            return [Message(Role.USER, turn.content), Message(Role.ASSISTANT, turn.answer)]
        return [Message(Role.USER, turn.content)] if turn.index == 0 else []

    def size(pair: list[Message]) -> int:
        return sum(len(m.content) for m in pair)

    head: list[Message] = []
    rest = list(history)
    if rest and rest[0].index == 0:
        intake = messages(rest.pop(0))
        if size(intake) <= budget:
            head = intake
    used = size(head)
    recent: list[Message] = []
    for turn in reversed(rest):
        pair = messages(turn)
        if used + size(pair) > budget:
            break
        recent[:0] = pair
        used += size(pair)
    return head + recent
