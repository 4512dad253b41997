"""Read models: what the API shows of chats. Public-safe by construction: no email, born_year,
job or member id, except `owner_id`, which is for access decisions and is never serialized."""

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.chat import Chat, Turn, TurnStatus
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Completion, CompletionRequest, Message, Role
from domain.member import Member
from domain.prompts import Prompt, PromptKind

REDACTED = "[private: the member's profile, shown to its owner only]"


def _without(data: Any, secrets: list[str]) -> Any:
    """`data` with every occurrence of `secrets` in its strings replaced by REDACTED."""
    if isinstance(data, str):
        for secret in secrets:
            data = data.replace(secret, REDACTED)
        return data
    if isinstance(data, dict):
        return {k: _without(v, secrets) for k, v in data.items()}
    if isinstance(data, list):
        return [_without(v, secrets) for v in data]
    return data


@dataclass(frozen=True, slots=True)
class Journey:
    """Where the member started and where they want to go: the intake's current-state and goal
    answers, as public as the chat itself."""

    current_state: str = ""
    goal: str = ""

    @classmethod
    def of(cls, prompts: tuple[Prompt, ...]) -> "Journey":
        answers = {p.kind: p.answer for p in prompts}
        return cls(answers.get(PromptKind.CURRENT_STATE, ""), answers.get(PromptKind.GOAL, ""))


@dataclass(frozen=True, slots=True)
class ChatSummary:
    id: ChatId
    title: str
    author: str | None  # None: an anonymous chat, seen by anyone but its owner
    created_at: datetime
    updated_at: datetime
    turn_count: int
    anonymous: bool = False
    # Why moderation hid the chat (domain.moderation.HIDDEN_REASONS); None: it is visible.
    # Only its owner and staff ever see a hidden chat.
    hidden_reason: str | None = None
    journey: Journey = Journey()

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None

    def public(self) -> "ChatSummary":
        """As anyone but the owner sees it: an anonymous chat without its author."""
        return dataclasses.replace(self, author=None) if self.anonymous else self


@dataclass(frozen=True, slots=True)
class TurnView:
    id: TurnId
    index: int
    content: str
    status: TurnStatus
    created_at: datetime
    answered_at: datetime | None
    error_code: str | None
    request: CompletionRequest
    response: Completion | None
    # The reading member's own rating of the answer (1, -1), None when they gave none or
    # nobody is logged in. Never whose ratings, never how many.
    my_rating: int | None = None

    @property
    def answer(self) -> str | None:
        return None if self.response is None else self.response.text

    @classmethod
    def of(cls, turn: Turn) -> "TurnView":
        assert turn.id is not None, "only a stored turn has a view"
        return cls(
            id=turn.id,
            index=turn.index,
            content=turn.content,
            status=turn.status,
            created_at=turn.created_at,
            answered_at=turn.answered_at,
            error_code=turn.error_code,
            request=turn.request,
            response=turn.response,
        )

    def redacted(self) -> "TurnView":
        private = [m.content for m in self.request.messages if m.private]
        if not private:
            return self
        messages = tuple(
            Message(Role.SYSTEM, REDACTED, private=True) if m.private else m
            for m in self.request.messages
        )
        response = self.response
        if response is not None and response.native_request is not None:
            # A provider's own request carries the same text in its own shape.
            native = _without(response.native_request, private)
            response = dataclasses.replace(response, native_request=native)
        return dataclasses.replace(
            self,
            request=dataclasses.replace(self.request, messages=messages),
            response=response,
        )


@dataclass(frozen=True, slots=True)
class ChatVersion:
    """Everything a chat page can change with, cheap to read: turns are only ever added, and a
    turn changes once, when it leaves `pending` (answered, failed or stopped); the author may
    rename themself. Equal versions, equal pages (for the same kind of viewer)."""

    owner_id: MemberId
    author: str
    updated_at: datetime
    turns: int
    pending: int
    last_answered_at: datetime | None
    anonymous: bool = False
    hidden_reason: str | None = None
    # The reader's own ratings (turn id, rating), sorted: a logged-in reader's page shows them.
    ratings: tuple[tuple[int, int], ...] = ()

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None

    @property
    def settled(self) -> bool:
        """No answer is on its way: the page stays as it is until the owner asks again."""
        return self.pending == 0

    def tag(self, viewer: MemberId | None) -> str:
        """An opaque validator of the page `viewer` sees (the owner's page differs)."""
        seen_as = "owner" if viewer == self.owner_id else "public"
        answered = self.last_answered_at.isoformat() if self.last_answered_at else ""
        author = "" if self.anonymous and seen_as == "public" else self.author
        key = "|".join(
            (seen_as, author, str(self.anonymous), self.updated_at.isoformat(), str(self.turns),
             str(self.pending), answered, self.hidden_reason or "", repr(self.ratings))
        )  # fmt: skip
        return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class ChatView:
    id: ChatId
    owner_id: MemberId
    title: str
    author: str | None  # None: an anonymous chat, seen by anyone but its owner
    created_at: datetime
    updated_at: datetime
    prompts: tuple[Prompt, ...]
    turns: tuple[TurnView, ...]
    model: str = ""
    anonymous: bool = False
    hidden_reason: str | None = None  # see ChatSummary

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None

    @classmethod
    def of(cls, chat: Chat, author: Member, turns: tuple[TurnView, ...] = ()) -> "ChatView":
        """A chat just stored, seen by the member who started it."""
        assert chat.id is not None, "only a stored chat has a view"
        return cls(
            id=chat.id,
            owner_id=author.id,
            title=chat.title,
            author=author.nickname,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            prompts=chat.prompts,
            turns=turns,
            model=chat.model,
            anonymous=chat.anonymous,
        )

    @property
    def turn_count(self) -> int:
        return len(self.turns)

    @property
    def journey(self) -> Journey:
        return Journey.of(self.prompts)

    def version(self) -> ChatVersion:
        answered = [t.answered_at for t in self.turns if t.answered_at is not None]
        return ChatVersion(
            owner_id=self.owner_id,
            author=self.author or "",
            anonymous=self.anonymous,
            updated_at=self.updated_at,
            turns=len(self.turns),
            pending=sum(t.status is TurnStatus.PENDING for t in self.turns),
            last_answered_at=max(answered, default=None),
            hidden_reason=self.hidden_reason,
            ratings=tuple(
                sorted((t.id, t.my_rating) for t in self.turns if t.my_rating is not None)
            ),
        )

    def with_turn(self, turn: TurnView) -> "ChatView":
        """The same chat with `turn` in place of the turn of the same index (or added)."""
        turns = (*(t for t in self.turns if t.index != turn.index), turn)
        return dataclasses.replace(self, turns=tuple(sorted(turns, key=lambda t: t.index)))

    def seen_by(self, viewer: MemberId | None) -> "ChatView":
        """The chat as `viewer` may see it: the owner sees everything, anyone else sees the
        member's private profile redacted from the stored requests, and no author when the
        chat is anonymous. Who may see a hidden chat at all is GetChat's rule."""
        if viewer == self.owner_id:
            return self
        return dataclasses.replace(
            self,
            author=None if self.anonymous else self.author,
            turns=tuple(t.redacted() for t in self.turns),
        )
