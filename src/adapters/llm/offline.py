"""A model that needs no key and no network: deterministic, and labelled as such in every record.

It lets the product, the demo and the tests run anywhere. Its answers are a structured echo of the
member's message, not advice."""

import hashlib
import json
import time

from application.ports import ChatModel
from domain.llm import Choice, Completion, CompletionRequest, Role, Usage

OFFLINE_MODEL = "offline-guide"


def _tokens(text: str) -> int:
    return len(text.split())


class OfflineChatModel(ChatModel):
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
        digest = hashlib.sha256(
            json.dumps(request.as_wire(), sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        prompt_tokens = sum(_tokens(m.content) for m in request.messages)
        completion_tokens = _tokens(content)
        return Completion(
            id=f"offline-{digest[:24]}",
            created=int(time.time()),
            model=OFFLINE_MODEL,
            choices=(Choice(index=0, role="assistant", content=content, finish_reason="stop"),),
            usage=Usage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens),
        )
