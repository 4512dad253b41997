from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import F

from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import Choice as ChoiceRow
from adapters.orm.models import Prompt as PromptRow
from adapters.orm.models import Turn as TurnRow
from application.errors import ChatNotFound
from application.ports import ChatRepository
from domain.chat import Chat, PastTurn, Turn, TurnStatus
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Choice, Completion, CompletionRequest, Message, Role, Usage
from domain.prompts import Prompt, PromptKind


def storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a model that emits one gets U+FFFD in its place.
    return text.replace("\x00", "\ufffd")


def request_columns(request: CompletionRequest) -> dict[str, Any]:
    return {
        "model": request.model,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "stream": request.stream,
        "messages": [m.as_wire() for m in request.messages],
        "private_messages": [i for i, m in enumerate(request.messages) if m.private],
    }


def request_from(row: dict[str, Any]) -> CompletionRequest:
    private = set(row["private_messages"])
    return CompletionRequest(
        model=row["model"],
        messages=tuple(
            Message(Role(m["role"]), m["content"], private=i in private)
            for i, m in enumerate(row["messages"])
        ),
        temperature=row["temperature"],
        max_tokens=row["max_tokens"],
        stream=row["stream"],
    )


def response_from(row: dict[str, Any], choices: Iterable[dict[str, Any]]) -> Completion | None:
    choices = list(choices)
    if row["response_id"] is None and not choices:
        return None
    usage = None
    if row["total_tokens"] is not None:
        usage = Usage(row["prompt_tokens"], row["completion_tokens"], row["total_tokens"])
    return Completion(
        id=row["response_id"] or "",
        created=row["response_created"] or 0,
        model=row["response_model"] or "",
        choices=tuple(
            Choice(c["index"], c["role"], c["content"], c["finish_reason"]) for c in choices
        ),
        usage=usage,
        native_request=row["native_request"],
        native_response=row["native_response"],
    )


class DjangoChatRepository(ChatRepository):
    def add(self, chat: Chat) -> ChatId:
        row = ChatRow.objects.create(
            member_id=chat.owner_id,
            title=chat.title,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
            model=chat.model,
        )
        PromptRow.objects.bulk_create(
            PromptRow(chat=row, position=i, kind=p.kind.value, question=p.question, answer=p.answer)
            for i, p in enumerate(chat.prompts)
        )
        return ChatId(row.pk)

    def _locked(self, chat_id: ChatId) -> Any:
        rows = ChatRow.objects.filter(pk=chat_id)
        if connection.features.has_select_for_update:
            rows = rows.select_for_update()
        return rows

    def owner_of(self, chat_id: ChatId) -> MemberId:
        owner = self._locked(chat_id).values_list("member_id", flat=True).first()
        if owner is None:
            raise ChatNotFound("No such chat.")
        return MemberId(owner)

    def get_for_update(self, chat_id: ChatId) -> Chat:
        row = self._locked(chat_id).first()
        if row is None:
            raise ChatNotFound("No such chat.")
        prompts = tuple(
            Prompt(PromptKind(p.kind), p.question, p.answer)
            for p in PromptRow.objects.filter(chat_id=chat_id).order_by("position")
        )
        turns = list(
            TurnRow.objects.filter(chat_id=chat_id)
            .order_by("index")
            .values_list("id", "index", "content", "status")
        )
        answers = dict(
            ChoiceRow.objects.filter(
                turn__chat_id=chat_id, turn__status=TurnRow.Status.COMPLETED, index=0
            ).values_list("turn_id", "content")
        )
        history = [PastTurn(index, content, answers.get(pk)) for pk, index, content, _ in turns]
        return Chat(
            id=ChatId(row.pk),
            owner_id=MemberId(row.member_id),
            title=row.title,
            prompts=prompts,
            created_at=row.created_at,
            updated_at=row.updated_at,
            history=history,
            turn_count=row.turn_count,
            model=row.model,
        )

    def add_turn(self, chat: Chat, turn: Turn) -> TurnId:
        row = TurnRow.objects.create(
            chat_id=chat.id,
            index=turn.index,
            content=turn.content,
            status=turn.status.value,
            created_at=turn.created_at,
            **request_columns(turn.request),
        )
        ChatRow.objects.filter(pk=chat.id).update(
            turn_count=F("turn_count") + 1, updated_at=turn.created_at
        )
        return TurnId(row.pk)

    def save_outcome(self, turn: Turn) -> bool:
        fields: dict[str, Any] = {
            "status": turn.status.value,
            "error_code": turn.error_code,
            "answered_at": turn.answered_at,
        }
        response = turn.response
        if response is not None:
            fields.update(
                response_id=response.id,
                response_created=response.created,
                response_model=response.model,
                native_request=response.native_request,
                native_response=response.native_response,
            )
            if response.usage is not None:
                fields.update(
                    prompt_tokens=response.usage.prompt_tokens,
                    completion_tokens=response.usage.completion_tokens,
                    total_tokens=response.usage.total_tokens,
                )
        if not TurnRow.objects.filter(pk=turn.id).update(**fields):
            return False
        if response is not None:
            ChoiceRow.objects.bulk_create(
                ChoiceRow(
                    turn_id=turn.id,
                    index=c.index,
                    role=c.role,
                    content=storable(c.content),
                    finish_reason=c.finish_reason,
                )
                for c in response.choices
            )
        return True

    def turn_status(self, chat_id: ChatId, turn_id: TurnId) -> TurnStatus:
        status = (
            TurnRow.objects.filter(pk=turn_id, chat_id=chat_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            raise ChatNotFound("No such turn in this chat.")
        return TurnStatus(status)

    def request_stop(self, turn_id: TurnId) -> None:
        TurnRow.objects.filter(pk=turn_id).update(stop_requested=True)

    def stop_requested(self, turn_ids: list[TurnId]) -> list[TurnId]:
        return [
            TurnId(pk)
            for pk in TurnRow.objects.filter(pk__in=turn_ids, stop_requested=True).values_list(
                "pk", flat=True
            )
        ]

    def delete(self, chat_id: ChatId) -> None:
        ChatRow.objects.filter(pk=chat_id).delete()
