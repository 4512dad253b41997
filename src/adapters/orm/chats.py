import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from adapters.orm import indexing, sql
from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import ChatSearch as SearchRow
from adapters.orm.models import Choice as ChoiceRow
from adapters.orm.models import Prompt as PromptRow
from adapters.orm.models import QuotaReservation
from adapters.orm.models import Turn as TurnRow
from adapters.orm.quota import DjangoQuotaLedger, taking
from application.errors import ChatNotFound
from application.ports import Charge, ChatRepository, Reservation
from domain.chat import Chat, PastTurn, Turn, TurnStatus
from domain.ids import ChatId, MemberId, TurnId
from domain.llm import Choice, Completion, CompletionRequest, Message, Role, Usage
from domain.moderation import Hidden
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


def _turn_values(turn: Turn, paid_by: Reservation, lease_until: datetime) -> dict[str, Any]:
    return {
        "index": turn.index,
        "content": turn.content,
        "status": turn.status.value,
        "created_at": turn.created_at,
        "stop_requested": False,
        "reservation_id": paid_by.id,
        "lease_until": lease_until,
        **request_columns(turn.request),
    }


def _chat_values(chat: Chat) -> dict[str, Any]:
    return {
        "member_id": chat.owner_id,
        "title": chat.title,
        "created_at": chat.created_at,
        "updated_at": chat.updated_at,
        "turn_count": 1,
        "model": chat.model,
        "anonymous": chat.anonymous,
    }


def _prompt_values(chat: Chat) -> list[dict[str, Any]]:
    return [
        {"position": i, "kind": p.kind.value, "question": p.question, "answer": p.answer}
        for i, p in enumerate(chat.prompts)
    ]


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


_CHAT_ROW = (
    "id", "member", "title", "created_at", "updated_at", "turn_count", "model", "anonymous",
    "hidden_at",
)  # fmt: skip
_CHAT_ROW_FIELDS = sql.fields(ChatRow, _CHAT_ROW)


@cache
def _chat_row() -> str:
    return (
        f"SELECT {sql.columns(ChatRow, _CHAT_ROW)} FROM {sql.table(ChatRow)} "
        f"WHERE {sql.column(ChatRow, 'id')} = %s"
    )


@cache
def _prompts() -> str:
    return (
        f"SELECT {sql.columns(PromptRow, ('kind', 'question', 'answer'))} "
        f"FROM {sql.table(PromptRow)} WHERE {sql.column(PromptRow, 'chat')} = %s "
        f"ORDER BY {sql.column(PromptRow, 'position')}"
    )


def prompts_of(chat_id: ChatId) -> tuple[Prompt, ...]:
    """A chat's intake questions as asked, with the answers, in order."""
    return tuple(
        Prompt(PromptKind(kind), question, answer)
        for kind, question, answer in sql.select(_prompts(), [chat_id], (None, None, None))
    )


@cache
def _history() -> str:
    # Each turn with its first choice's text: one query, on the indexes that start with chat_id
    # (turn_index_unique) and turn_id (choice_index_unique).
    return (
        f"SELECT t.{sql.column(TurnRow, 'index')}, t.{sql.column(TurnRow, 'content')}, "
        f"t.{sql.column(TurnRow, 'status')}, x.{sql.column(ChoiceRow, 'content')} "
        f"FROM {sql.table(TurnRow)} t LEFT JOIN {sql.table(ChoiceRow)} x "
        f"ON x.{sql.column(ChoiceRow, 'turn')} = t.{sql.column(TurnRow, 'id')} "
        f"AND x.{sql.column(ChoiceRow, 'index')} = 0 "
        f"WHERE t.{sql.column(TurnRow, 'chat')} = %s ORDER BY t.{sql.column(TurnRow, 'index')}"
    )


def _indexing(chat: Chat, turn: Turn) -> tuple[str, list[Any]]:
    """The search row of a chat being inserted as `c` (adapters/orm/search.py)."""
    return sql.insert_rows_from(
        SearchRow, [indexing.new_entry(chat, turn.content)], "c", raw={"chat_id": "c.id"}
    )


def _answer_indexing(
    choices: list[dict[str, Any]], turn_ids_from: str, params: list[Any]
) -> tuple[str, list[Any]]:
    """Append the answers of the turns `turn_ids_from` selects to their chat's search row."""
    return indexing.append(
        f"SELECT {sql.column(TurnRow, 'chat')} FROM {sql.table(TurnRow)} "
        f"WHERE id IN ({turn_ids_from})",
        [c["content"] for c in choices],
        params,
    )


def _run(statement: str, params: list[Any]) -> None:
    with sql.cursor() as cursor:
        cursor.execute(statement, params)


class DjangoChatRepository(ChatRepository):
    def start(
        self, chat: Chat, turn: Turn, paid_by: Reservation, lease_until: datetime
    ) -> tuple[ChatId, TurnId]:
        chat_values = _chat_values(chat)
        prompts = _prompt_values(chat)
        values = _turn_values(turn, paid_by, lease_until)
        if not sql.one_statement():
            with transaction.atomic():
                row = ChatRow.objects.create(**chat_values)
                PromptRow.objects.bulk_create(PromptRow(chat=row, **p) for p in prompts)
                turn_row = TurnRow.objects.create(chat=row, **values)
                SearchRow.objects.create(chat=row, **indexing.new_entry(chat, turn.content))
            return ChatId(row.pk), TurnId(turn_row.pk)
        new_chat, chat_params = sql.insert_row(ChatRow, chat_values)
        new_prompts, prompt_params = sql.insert_rows(
            PromptRow, prompts, raw={"chat_id": "(SELECT id FROM c)"}
        )
        new_turn, turn_params = sql.insert_row(
            TurnRow, values, raw={"chat_id": "(SELECT id FROM c)"}
        )
        indexed, index_params = _indexing(chat, turn)
        with sql.cursor() as cursor:
            cursor.execute(
                f"WITH c AS ({new_chat} RETURNING id), p AS ({new_prompts}), s AS ({indexed}) "
                f"{new_turn} RETURNING {sql.column(TurnRow, 'chat')}, id",
                [*chat_params, *prompt_params, *index_params, *turn_params],
            )
            chat_id, turn_id = cursor.fetchone()
        return ChatId(chat_id), TurnId(turn_id)

    def start_charged(
        self, chat: Chat, turn: Turn, charge: Charge, lease_until: datetime
    ) -> tuple[ChatId, TurnId, Reservation] | None:
        if charge.limit <= 0:
            return None
        if not sql.one_statement():
            with transaction.atomic():
                reservation = DjangoQuotaLedger().reserve(
                    charge.member_id, charge.day, charge.limit
                )
                if reservation is None:
                    return None
                chat_id, turn_id = self.start(chat, turn, reservation, lease_until)
            return chat_id, turn_id, reservation
        # One statement: the request taken (`paid`), then the chat, its prompts and its turn,
        # each only when the one before it was stored. One round trip and one commit.
        reservation = Reservation(id=str(uuid.uuid4()), member_id=charge.member_id, day=charge.day)
        paying, paying_params = taking(reservation, charge.limit)
        new_chat, chat_params = sql.insert_rows_from(ChatRow, [_chat_values(chat)], "paid")
        new_prompts, prompt_params = sql.insert_rows_from(
            PromptRow, _prompt_values(chat), "c", raw={"chat_id": "c.id"}
        )
        new_turn, turn_params = sql.insert_rows_from(
            TurnRow, [_turn_values(turn, reservation, lease_until)], "c", raw={"chat_id": "c.id"}
        )
        indexed, index_params = _indexing(chat, turn)
        with sql.cursor() as cursor:
            cursor.execute(
                f"WITH {paying}, c AS ({new_chat} RETURNING id), p AS ({new_prompts}), "
                f"s AS ({indexed}) "
                f"{new_turn} RETURNING {sql.column(TurnRow, 'chat')}, id",
                [*paying_params, *chat_params, *prompt_params, *index_params, *turn_params],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        return ChatId(row[0]), TurnId(row[1]), reservation

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

    def get(self, chat_id: ChatId) -> Chat:
        rows = sql.select(_chat_row(), [chat_id], _CHAT_ROW_FIELDS)
        if not rows:
            raise ChatNotFound("No such chat.")
        ((_, owner, title, created_at, updated_at, turn_count, model, anonymous, hidden_at),) = rows
        history = [
            PastTurn(index, content, answer if status == TurnRow.Status.COMPLETED else None)
            for index, content, status, answer in sql.select(_history(), [chat_id], (None,) * 4)
        ]
        return Chat(
            id=chat_id,
            owner_id=MemberId(owner),
            title=title,
            prompts=prompts_of(chat_id),
            created_at=created_at,
            updated_at=updated_at,
            history=history,
            turn_count=turn_count,
            model=model,
            anonymous=anonymous,
            hidden=hidden_at is not None,
        )

    def add_turn(
        self, chat_id: ChatId, turn: Turn, paid_by: Reservation, lease_until: datetime
    ) -> tuple[TurnId, int]:
        values = _turn_values(turn, paid_by, lease_until)
        del values["index"]  # the chat's next one, taken under its row lock
        if not sql.one_statement():
            with transaction.atomic():
                rows = ChatRow.objects.filter(pk=chat_id)
                if not rows.update(turn_count=F("turn_count") + 1, updated_at=turn.created_at):
                    raise ChatNotFound("No such chat.")
                index = rows.values_list("turn_count", flat=True).get() - 1
                row = TurnRow.objects.create(chat_id=chat_id, index=index, **values)
                _run(*indexing.append("%s", [turn.content], [chat_id]))
            return TurnId(row.pk), index
        chat = sql.table(ChatRow)
        count, updated = sql.column(ChatRow, "turn_count"), sql.column(ChatRow, "updated_at")
        new_turn, params = sql.insert_row(
            TurnRow, values, raw={"chat_id": "(SELECT id FROM c)", "index": "(SELECT i FROM c)"}
        )
        indexed, index_params = indexing.append("SELECT id FROM c", [turn.content], [])
        try:
            with sql.cursor() as cursor:
                cursor.execute(
                    f"WITH c AS (UPDATE {chat} SET {count} = {count} + 1, {updated} = %s "
                    f"WHERE id = %s RETURNING id, {count} - 1 AS i), s AS ({indexed}) "
                    f"{new_turn} RETURNING id, {sql.column(TurnRow, 'index')}",
                    [
                        *sql.prepared(ChatRow, {"updated_at": turn.created_at}),
                        chat_id,
                        *index_params,
                        *params,
                    ],
                )
                turn_id, index = cursor.fetchone()
        except IntegrityError as error:  # no chat row, so no id and no index: it was deleted
            raise ChatNotFound("No such chat.") from error
        return TurnId(turn_id), index

    def save_outcome(self, turn: Turn) -> bool:
        if turn.id is None:  # never stored: no row to update, as for one deleted since
            return False
        fields: dict[str, Any] = {
            "status": turn.status.value,
            "error_code": turn.error_code,
            "answered_at": turn.answered_at,
            "lease_until": None,
            "answer_so_far": "",
        }
        response = turn.response
        choices: list[dict[str, Any]] = []
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
            choices = [
                {
                    "index": c.index,
                    "role": c.role,
                    "content": storable(c.content),
                    "finish_reason": c.finish_reason,
                }
                for c in response.choices
            ]
        # Only a pending turn takes an outcome: one that a lease sweep already failed (and
        # refunded) stays failed, whatever its own server learns later.
        pending = TurnRow.Status.PENDING
        if not sql.one_statement() or not choices:
            with transaction.atomic():
                if not TurnRow.objects.filter(pk=turn.id, status=pending).update(**fields):
                    return False
                ChoiceRow.objects.bulk_create(ChoiceRow(turn_id=turn.id, **c) for c in choices)
                if choices:
                    _run(*_answer_indexing(choices, "%s", [turn.id]))
            return True
        assign, params = sql.assignments(TurnRow, fields)
        new_choices, choice_params = sql.insert_rows_from(
            ChoiceRow, choices, "t", raw={"turn_id": "t.id"}
        )
        indexed, index_params = _answer_indexing(choices, "SELECT id FROM t", [])
        with sql.cursor() as cursor:
            cursor.execute(
                f"WITH t AS (UPDATE {sql.table(TurnRow)} SET {assign} "
                f"WHERE id = %s AND {sql.column(TurnRow, 'status')} = %s RETURNING id), "
                f"c AS ({new_choices}), s AS ({indexed}) SELECT id FROM t",
                [*params, turn.id, pending.value, *choice_params, *index_params],
            )
            return cursor.fetchone() is not None

    def extend_leases(self, turn_ids: list[TurnId], until: datetime) -> None:
        TurnRow.objects.filter(pk__in=turn_ids, status=TurnRow.Status.PENDING).update(
            lease_until=until
        )

    def fail_interrupted(self, now: datetime, code: str) -> list[Reservation]:
        pending = TurnRow.Status.PENDING
        expired = TurnRow.objects.filter(status=pending, lease_until__lt=now)
        if connection.features.has_select_for_update_skip_locked:
            # Another sweeper holding some of them takes care of those.
            expired = expired.select_for_update(skip_locked=True)
        with transaction.atomic():
            rows = list(expired.values_list("pk", "reservation_id"))
            TurnRow.objects.filter(pk__in=[pk for pk, _ in rows], status=pending).update(
                status=TurnRow.Status.FAILED, error_code=code, answered_at=now, lease_until=None
            )
            paid = QuotaReservation.objects.filter(pk__in=[r for _, r in rows if r is not None])
            return [
                Reservation(id=str(r.pk), member_id=MemberId(r.member_id), day=r.day) for r in paid
            ]

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

    def save_progress(self, texts: dict[TurnId, str]) -> None:
        pending = TurnRow.Status.PENDING
        with transaction.atomic():
            for turn_id, text in texts.items():
                TurnRow.objects.filter(pk=turn_id, status=pending).update(
                    answer_so_far=storable(text)
                )

    def delete(self, chat_id: ChatId) -> None:
        ChatRow.objects.filter(pk=chat_id).delete()

    def set_anonymous(self, chat_id: ChatId, anonymous: bool) -> None:
        ChatRow.objects.filter(pk=chat_id).update(anonymous=anonymous)

    def moderation_of(self, chat_id: ChatId) -> tuple[MemberId, Hidden | None]:
        row = (
            self._locked(chat_id)
            .values_list("member_id", "hidden_at", "hidden_reason", "hidden_by_id")
            .first()
        )
        if row is None:
            raise ChatNotFound("No such chat.")
        owner, hidden_at, reason, by = row
        if hidden_at is None:
            return MemberId(owner), None
        return MemberId(owner), Hidden(reason, hidden_at, None if by is None else MemberId(by))

    def hide(self, chat_id: ChatId, hidden: Hidden) -> None:
        ChatRow.objects.filter(pk=chat_id).update(
            hidden_at=hidden.at, hidden_reason=hidden.reason, hidden_by_id=hidden.by
        )

    def unhide(self, chat_id: ChatId) -> None:
        ChatRow.objects.filter(pk=chat_id).update(
            hidden_at=None, hidden_reason="", hidden_by_id=None
        )
