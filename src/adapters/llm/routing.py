from collections.abc import Mapping

from application.ports import AnswerStream, ChatModel
from domain.llm import Completion, CompletionRequest


class RoutedChatModel(ChatModel):
    """Sends each request to the provider that serves its model, so one allow-list can mix
    providers (CHATBOT_LLM_MODELS=gpt-4o-mini,anthropic:claude-sonnet-4-5)."""

    def __init__(self, routes: Mapping[str, ChatModel], default: ChatModel) -> None:
        self._routes = dict(routes)
        self._default = default

    def for_model(self, model: str) -> ChatModel:
        return self._routes.get(model, self._default)

    def complete(self, request: CompletionRequest) -> Completion:
        return self.for_model(request.model).complete(request)

    def stream(self, request: CompletionRequest) -> AnswerStream:
        return self.for_model(request.model).stream(request)
