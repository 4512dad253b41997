from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Q

from adapters.orm.chats import request_from, response_from
from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import Choice as ChoiceRow
from adapters.orm.models import Prompt as PromptRow
from adapters.orm.models import Turn as TurnRow
from application.errors import ChatNotFound
from application.ports import ChatQueries
from application.views import ChatSummary, ChatVersion, ChatView, TurnView
from domain.chat import TurnStatus
from domain.ids import ChatId, MemberId, TurnId
from domain.prompts import Prompt, PromptKind

_SUMMARY = ("id", "title", "member__nickname", "created_at", "updated_at", "turn_count")


class DjangoChatQueries(ChatQueries):
    """Each read is a fixed number of queries, whatever the size of the data."""

    def list_chats(
        self, *, owner: MemberId | None, before: ChatId | None, limit: int
    ) -> list[ChatSummary]:
        rows = ChatRow.objects.all()
        if owner is not None:
            rows = rows.filter(member_id=owner)
        if before is not None:
            rows = rows.filter(id__lt=before)
        return [
            ChatSummary(
                id=ChatId(r["id"]),
                title=r["title"],
                author=r["member__nickname"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                turn_count=r["turn_count"],
            )
            for r in rows.order_by("-id").values(*_SUMMARY)[:limit]
        ]

    def chat(self, chat_id: ChatId) -> ChatView:
        chat = ChatRow.objects.filter(pk=chat_id).values(*_SUMMARY, "member_id", "model").first()
        if chat is None:
            raise ChatNotFound("No such chat.")
        prompts = tuple(
            Prompt(PromptKind(p["kind"]), p["question"], p["answer"])
            for p in PromptRow.objects.filter(chat_id=chat_id)
            .order_by("position")
            .values("kind", "question", "answer")
        )
        choices: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for c in (
            ChoiceRow.objects.filter(turn__chat_id=chat_id)
            .order_by("turn_id", "index")
            .values("turn_id", "index", "role", "content", "finish_reason")
        ):
            choices[c["turn_id"]].append(c)
        turns = tuple(
            TurnView(
                id=TurnId(t["id"]),
                index=t["index"],
                content=t["content"],
                status=TurnStatus(t["status"]),
                created_at=t["created_at"],
                answered_at=t["answered_at"],
                error_code=t["error_code"],
                request=request_from(t),
                response=response_from(t, choices[t["id"]]),
            )
            for t in TurnRow.objects.filter(chat_id=chat_id).order_by("index").values()
        )
        return ChatView(
            id=ChatId(chat["id"]),
            owner_id=MemberId(chat["member_id"]),
            title=chat["title"],
            author=chat["member__nickname"],
            created_at=chat["created_at"],
            updated_at=chat["updated_at"],
            prompts=prompts,
            turns=turns,
            model=chat["model"],
        )

    def chat_version(self, chat_id: ChatId) -> ChatVersion:
        # One query, an index range over the chat's turns (turn_index_unique starts with chat_id).
        rows = (
            ChatRow.objects.filter(pk=chat_id)
            .values("member_id", "member__nickname", "updated_at")
            .annotate(
                turns_n=Count("turns"),
                pending=Count("turns", filter=Q(turns__status=TurnRow.Status.PENDING)),
                answered=Max("turns__answered_at"),
            )
            .order_by()[:1]
        )
        if not rows:
            raise ChatNotFound("No such chat.")
        row = rows[0]
        return ChatVersion(
            owner_id=MemberId(row["member_id"]),
            author=row["member__nickname"],
            updated_at=row["updated_at"],
            turns=row["turns_n"],
            pending=row["pending"],
            last_answered_at=row["answered"],
        )
