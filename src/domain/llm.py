"""What goes to a chat model and what comes back, in the OpenAI Chat Completions shape.

These are the records that make every exchange reproducible: the request exactly as sent and the
response exactly as received.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.errors import InvalidValue


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str
    # A system message that carries the member's private profile: shown to the owner only.
    private: bool = field(default=False, compare=False)

    def as_wire(self) -> dict[str, str]:
        return {"role": self.role.value, "content": self.content}


@dataclass(frozen=True, slots=True)
class Sampling:
    """The server-side generation settings; never taken from clients."""

    model: str
    temperature: float = 0.7
    max_tokens: int = 1024

    def __post_init__(self) -> None:
        if not self.model:
            raise InvalidValue("A model name is required.", field="model")
        if not 0.0 <= self.temperature <= 2.0:
            raise InvalidValue("temperature must be between 0 and 2.", field="temperature")
        if self.max_tokens < 1:
            raise InvalidValue("max_tokens must be positive.", field="max_tokens")


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    model: str
    messages: tuple[Message, ...]
    temperature: float
    max_tokens: int
    stream: bool = False

    def __post_init__(self) -> None:
        if not self.messages:
            raise InvalidValue("A request needs at least one message.")

    def as_wire(self) -> dict[str, Any]:
        """The JSON body of a Chat Completions request."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.as_wire() for m in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": self.stream,
        }
        if self.stream:
            # The usage of a streamed answer comes in a last chunk only when asked for.
            body["stream_options"] = {"include_usage": True}
        return body


@dataclass(frozen=True, slots=True)
class Choice:
    index: int
    role: str
    content: str
    finish_reason: str | None


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class Completion:
    id: str
    created: int
    model: str
    choices: tuple[Choice, ...]
    usage: Usage | None
    # For providers that do not speak Chat Completions: their own request and response bodies,
    # so the exchange stays reproducible in the provider's terms too.
    native_request: dict[str, Any] | None = field(default=None, compare=False)
    native_response: dict[str, Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.choices:
            raise InvalidValue("A completion has at least one choice.")

    @property
    def text(self) -> str:
        """The answer shown to the member: the first choice."""
        return min(self.choices, key=lambda c: c.index).content

    def as_wire(self) -> dict[str, Any]:
        """The JSON body of a Chat Completions response (of a streamed one: its chunks joined)."""
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": c.index,
                    "message": {"role": c.role, "content": c.content},
                    "finish_reason": c.finish_reason,
                }
                for c in self.choices
            ],
            "usage": None
            if self.usage is None
            else {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
                "total_tokens": self.usage.total_tokens,
            },
        }


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer as the model generates it."""

    text: str


StreamEvent = TextDelta | Completion
"""A streamed answer is TextDeltas, then the Completion assembled from everything received."""


class CompletionAssembler:
    """Builds the Completion of a streamed answer from its chunks, as they arrive. At any moment
    `result()` is what was received so far, so a stopped or broken stream keeps its part."""

    def __init__(self, model: str) -> None:
        self.id = ""
        self.created = 0
        self.model = model
        self._roles: dict[int, str] = {}
        self._texts: dict[int, list[str]] = {}
        self._finish: dict[int, str | None] = {}
        self.usage: Usage | None = None

    def header(self, id: str, created: int, model: str) -> None:
        self.id = self.id or id
        self.created = self.created or created
        self.model = model or self.model

    def add(
        self,
        index: int,
        *,
        text: str = "",
        role: str | None = None,
        finish_reason: str | None = None,
    ) -> None:
        self._texts.setdefault(index, [])
        if role:
            self._roles[index] = role
        if text:
            self._texts[index].append(text)
        if finish_reason is not None:
            self._finish[index] = finish_reason

    @property
    def text(self) -> str:
        return "".join(self._texts.get(min(self._texts, default=0), []))

    def result(self) -> Completion | None:
        """None until the first choice arrived."""
        if not self._texts:
            return None
        choices = tuple(
            Choice(
                index=i,
                role=self._roles.get(i, "assistant"),
                content="".join(self._texts[i]),
                finish_reason=self._finish.get(i),
            )
            for i in sorted(self._texts)
        )
        return Completion(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=self.usage
        )
