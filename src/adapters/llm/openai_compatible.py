"""OpenAI, and any server that speaks its Chat Completions protocol, through the official SDK."""

import logging

import openai

from application.errors import ModelBusy, ModelTimeout, ModelUnavailable
from application.ports import ChatModel
from domain.llm import Choice, Completion, CompletionRequest, Usage

log = logging.getLogger(__name__)

# 503 and 529 mean "overloaded, try later" in practice, like a 429.
_BUSY_STATUSES = frozenset({429, 503, 529})


class OpenAIChatModel(ChatModel):
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 1,
    ) -> None:
        # The SDK's default timeout is ten minutes: no answer for someone waiting on a web page.
        self._client = openai.OpenAI(
            api_key=api_key,
            base_url=base_url or None,
            timeout=openai.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            max_retries=max_retries,
        )

    def complete(self, request: CompletionRequest) -> Completion:
        try:
            response = self._client.chat.completions.create(
                model=request.model,
                messages=[m.as_wire() for m in request.messages],  # type: ignore[misc]
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                stream=False,
            )
        except openai.APITimeoutError as error:
            raise ModelTimeout("The model did not answer in time.") from error
        except openai.APIConnectionError as error:
            raise ModelUnavailable("The model provider could not be reached.") from error
        except openai.APIStatusError as error:
            # The provider's message may echo request details; only the status is passed on.
            log.warning("model provider answered HTTP %s", error.status_code)
            if error.status_code in _BUSY_STATUSES:
                raise ModelBusy("The model provider is busy; try again shortly.") from error
            raise ModelUnavailable(
                f"The model provider answered with an error (HTTP {error.status_code})."
            ) from error
        except openai.OpenAIError as error:
            log.warning("model provider failed: %s", type(error).__name__)
            raise ModelUnavailable(
                "The model provider sent an answer that could not be read."
            ) from error
        if not response.choices:
            raise ModelUnavailable("The model provider sent an answer with no choices.")
        usage = response.usage
        return Completion(
            id=response.id,
            created=response.created,
            model=response.model,
            choices=tuple(
                Choice(
                    index=c.index,
                    role=c.message.role,
                    content=c.message.content or "",
                    finish_reason=c.finish_reason,
                )
                for c in response.choices
            ),
            usage=None
            if usage is None
            else Usage(usage.prompt_tokens, usage.completion_tokens, usage.total_tokens),
        )
