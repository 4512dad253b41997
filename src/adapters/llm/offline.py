"""A model that needs no key and no network: deterministic, and labelled as such in every record.

It lets the product, the demo and the tests run anywhere. Its answers are a structured echo of the
member's message, not advice. Streamed, it sends the same answer a word at a time."""

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator

from application.ports import AnswerStream, ChatModel
from domain.llm import Choice, Completion, CompletionAssembler, CompletionRequest, Role, Usage

OFFLINE_MODEL = "offline-guide"


def _tokens(text: str) -> int:
    return len(text.split())


class OfflineChatModel(ChatModel):
    def __init__(self, *, delay_ms: float = 0.0) -> None:
        # A pause between streamed words, so the demo shows an answer arriving as it would.
        self._delay_s = delay_ms / 1000

    def complete(self, request: CompletionRequest) -> Completion:
        last = next(m for m in reversed(request.messages) if m.role is Role.USER)
        turns = sum(1 for m in request.messages if m.role is Role.USER)
        lines = [line.strip() for line in last.content.splitlines() if line.strip()]
        quoted = "\n".join(f"> {line}" for line in lines[:12])
        content = (
            "**Offline model**: no AI provider is configured, so this answer is a fixed template."
            f"\n\nYou wrote:\n{quoted}\n\n"
            f"This is message {turns} of our conversation. Set `OPENAI_API_KEY` (and optionally "
            "`OPENAI_BASE_URL`) to get real answers."
        )
        finish_reason = "stop"
        words = content.split(" ")
        if len(words) > request.max_tokens:
            content, finish_reason = " ".join(words[: request.max_tokens]), "length"
        digest = hashlib.sha256(
            json.dumps(request.as_wire(), sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        prompt_tokens = sum(_tokens(m.content) for m in request.messages)
        completion_tokens = _tokens(content)
        return Completion(
            id=f"offline-{digest[:24]}",
            created=int(time.time()),
            model=OFFLINE_MODEL,
            choices=(
                Choice(index=0, role="assistant", content=content, finish_reason=finish_reason),
            ),
            usage=Usage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens),
        )

    def stream(self, request: CompletionRequest) -> AnswerStream:
        return _OfflineStream(self.complete(request), self._delay_s)


class _OfflineStream(AnswerStream):
    def __init__(self, whole: Completion, delay_s: float) -> None:
        self._whole = whole
        self._delay_s = delay_s
        self._received = CompletionAssembler(whole.model)

    async def __aiter__(self) -> AsyncIterator[str]:
        whole, received = self._whole, self._received
        received.header(whole.id, whole.created, whole.model)
        received.add(0, role="assistant")
        for piece in re.findall(r"\S+\s*|\s+", whole.text):
            if self._delay_s:
                await asyncio.sleep(self._delay_s)
            received.add(0, text=piece)
            yield piece
        received.add(0, finish_reason=whole.choices[0].finish_reason)
        received.usage = whole.usage

    def result(self) -> Completion | None:
        return self._received.result()

    async def aclose(self) -> None:
        return None
