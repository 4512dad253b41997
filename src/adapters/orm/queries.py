from functools import cache
from itertools import groupby
from typing import Any

from adapters.orm import sql
from adapters.orm.chats import prompts_of, request_from, response_from
from adapters.orm.models import AnswerRating
from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import Choice as ChoiceRow
from adapters.orm.models import Member as MemberRow
from adapters.orm.models import Prompt as PromptRow
from adapters.orm.models import Turn as TurnRow
from application.errors import ChatNotFound
from application.ports import ChatQueries
from application.views import ChatSummary, ChatVersion, ChatView, Journey, TurnView
from domain.chat import TurnStatus
from domain.feedback import Rating
from domain.ids import ChatId, MemberId, TurnId

SUMMARY = (
    "id", "title", "created_at", "updated_at", "turn_count", "anonymous", "hidden_at",
    "hidden_reason",
)  # fmt: skip
_CHAT = (
    "id", "member", "title", "created_at", "updated_at", "model", "anonymous", "hidden_at",
    "hidden_reason",
)  # fmt: skip
_TURN = (
    "id", "index", "content", "status", "created_at", "answered_at", "error_code", "model",
    "temperature", "max_tokens", "stream", "messages", "private_messages", "response_id",
    "response_created", "response_model", "prompt_tokens", "completion_tokens", "total_tokens",
    "native_request", "native_response",
)  # fmt: skip
_CHOICE = ("index", "role", "content", "finish_reason")
_NICKNAME = MemberRow._meta.get_field("nickname")
# The model field of each column, whose conversion its values get.
SUMMARY_FIELDS = (*sql.fields(ChatRow, SUMMARY), _NICKNAME, None, None)
_CHAT_FIELDS = (*sql.fields(ChatRow, _CHAT), _NICKNAME)
_TURN_FIELDS = (
    *sql.fields(TurnRow, _TURN),
    *sql.fields(ChoiceRow, _CHOICE),
    AnswerRating._meta.get_field("rating"),
)
_VERSION_FIELDS = (
    None, None, ChatRow._meta.get_field("anonymous"), ChatRow._meta.get_field("updated_at"),
    ChatRow._meta.get_field("hidden_at"), None, None, None,
    TurnRow._meta.get_field("answered_at"),
)  # fmt: skip


def _chat_with_author(names: tuple[str, ...], more: str = "") -> str:
    """`c.…, m.nickname… FROM chat c JOIN member m`: a chat's columns and its author's name,
    then the columns in `more` (`, …`)."""
    return (
        f"{sql.columns(ChatRow, names, 'c')}, m.{sql.column(MemberRow, 'nickname')}{more} "
        f"FROM {sql.table(ChatRow)} c JOIN {sql.table(MemberRow)} m "
        f"ON m.{sql.column(MemberRow, 'id')} = c.{sql.column(ChatRow, 'member')}"
    )


def _answer(kind: PromptRow.Kind) -> str:
    """The chat `c`'s answer of `kind` (an intake has one of each), as a scalar subquery:
    evaluated only for the rows a page returns (below its LIMIT), each an index lookup on the
    prompt's chat_id, so a page stays one query whatever its size (EXPLAIN ANALYZE of a feed
    page at 20k chats: 0.34 ms, the two subqueries 21 lookups of ~3 µs each)."""
    return (
        f"(SELECT p.{sql.column(PromptRow, 'answer')} FROM {sql.table(PromptRow)} p "
        f"WHERE p.{sql.column(PromptRow, 'chat')} = c.{sql.column(ChatRow, 'id')} "
        f"AND p.{sql.column(PromptRow, 'kind')} = '{kind.value}' LIMIT 1)"
    )


def journey_columns() -> str:
    """`, from, to`: the columns a list item adds for its journey."""
    return f", {_answer(PromptRow.Kind.CURRENT_STATE)}, {_answer(PromptRow.Kind.GOAL)}"


def summary(row: tuple[Any, ...]) -> ChatSummary:
    """A list item from a row that starts with the columns of
    `_chat_with_author(SUMMARY, journey_columns())` (a search row has more after them)."""
    (
        id_, title, created_at, updated_at, turn_count, anonymous, hidden_at, hidden_reason,
        nickname, current_state, goal,
    ) = row[: len(SUMMARY) + 3]  # fmt: skip
    return ChatSummary(
        id=ChatId(id_),
        title=title,
        author=nickname,
        created_at=created_at,
        updated_at=updated_at,
        turn_count=turn_count,
        anonymous=anonymous,
        hidden_reason=None if hidden_at is None else hidden_reason,
        journey=Journey(current_state or "", goal or ""),
    )


@cache
def _page(mine: bool, before: bool, limit: int) -> str:
    # The LIMIT is written into the statement, not bound: a prepared statement's generic plan
    # would not know it, and the plan (an index range read backwards) depends on it. Page
    # sizes are few (the default most of all), so are the statements.
    # The feed leaves hidden chats out (a few, against the id index it reads backwards); a
    # member's own list shows them, marked.
    conditions = [
        f"c.{sql.column(ChatRow, 'member')} = %s"
        if mine
        else f"c.{sql.column(ChatRow, 'hidden_at')} IS NULL"
    ]
    if before:
        conditions.append(f"c.{sql.column(ChatRow, 'id')} < %s")
    where = f"WHERE {' AND '.join(conditions)} "
    return (
        f"SELECT {_chat_with_author(SUMMARY, journey_columns())} {where}"
        f"ORDER BY c.{sql.column(ChatRow, 'id')} DESC LIMIT {int(limit)}"
    )


@cache
def _summary() -> str:
    chat = _chat_with_author(SUMMARY, journey_columns())
    return f"SELECT {chat} WHERE c.{sql.column(ChatRow, 'id')} = %s"


@cache
def _chat() -> str:
    return f"SELECT {_chat_with_author(_CHAT)} WHERE c.{sql.column(ChatRow, 'id')} = %s"


@cache
def _turns() -> str:
    # A turn's choices come in the same query (usually one each), and so does the reader's
    # own rating of it (none when the bound member is NULL); the lookups use the indexes that
    # start with chat_id (turn_index_unique) and turn_id (choice_index_unique,
    # rating_once_per_member).
    return (
        f"SELECT {sql.columns(TurnRow, _TURN, 't')}, {sql.columns(ChoiceRow, _CHOICE, 'x')}, "
        f"r.{sql.column(AnswerRating, 'rating')} "
        f"FROM {sql.table(TurnRow)} t LEFT JOIN {sql.table(ChoiceRow)} x "
        f"ON x.{sql.column(ChoiceRow, 'turn')} = t.{sql.column(TurnRow, 'id')} "
        f"LEFT JOIN {sql.table(AnswerRating)} r "
        f"ON r.{sql.column(AnswerRating, 'turn')} = t.{sql.column(TurnRow, 'id')} "
        f"AND r.{sql.column(AnswerRating, 'member')} = %s "
        f"WHERE t.{sql.column(TurnRow, 'chat')} = %s "
        f"ORDER BY t.{sql.column(TurnRow, 'index')}, x.{sql.column(ChoiceRow, 'index')}"
    )


@cache
def _version() -> str:
    # One query, an index range over the chat's turns (turn_index_unique starts with chat_id).
    t = "t."
    return (
        f"SELECT c.{sql.column(ChatRow, 'member')}, m.{sql.column(MemberRow, 'nickname')}, "
        f"c.{sql.column(ChatRow, 'anonymous')}, "
        f"c.{sql.column(ChatRow, 'updated_at')}, c.{sql.column(ChatRow, 'hidden_at')}, "
        f"c.{sql.column(ChatRow, 'hidden_reason')}, COUNT({t}{sql.column(TurnRow, 'id')}), "
        f"COUNT(CASE WHEN {t}{sql.column(TurnRow, 'status')} = %s THEN 1 END), "
        f"MAX({t}{sql.column(TurnRow, 'answered_at')}) "
        f"FROM {sql.table(ChatRow)} c JOIN {sql.table(MemberRow)} m "
        f"ON m.{sql.column(MemberRow, 'id')} = c.{sql.column(ChatRow, 'member')} "
        f"LEFT JOIN {sql.table(TurnRow)} t ON {t}{sql.column(TurnRow, 'chat')} = "
        f"c.{sql.column(ChatRow, 'id')} WHERE c.{sql.column(ChatRow, 'id')} = %s "
        f"GROUP BY c.{sql.column(ChatRow, 'member')}, m.{sql.column(MemberRow, 'nickname')}, "
        f"c.{sql.column(ChatRow, 'anonymous')}, c.{sql.column(ChatRow, 'updated_at')}, "
        f"c.{sql.column(ChatRow, 'hidden_at')}, c.{sql.column(ChatRow, 'hidden_reason')}"
    )


class DjangoChatQueries(ChatQueries):
    """Each read is a fixed number of queries, whatever the size of the data, written once in
    SQL (adapters/orm/sql.py says why)."""

    def list_chats(
        self, *, owner: MemberId | None, before: ChatId | None, limit: int
    ) -> list[ChatSummary]:
        params: list[Any] = [] if owner is None else [owner]
        if before is not None:
            params.append(before)
        statement = _page(owner is not None, before is not None, limit)
        # A member's own list is planned for that member: a plan made for any member would
        # read the newest chats of all members backwards for one with few (the planner
        # guesses how many a member has from the average), instead of that member's index.
        rows = sql.select(statement, params, SUMMARY_FIELDS, prepare=owner is None)
        return [summary(row) for row in rows]

    def chat_summary(self, chat_id: ChatId) -> ChatSummary:
        found = [summary(row) for row in sql.select(_summary(), [chat_id], SUMMARY_FIELDS)]
        if not found:
            raise ChatNotFound("No such chat.")
        return found[0]

    def chat(self, chat_id: ChatId, rater: MemberId | None = None) -> ChatView:
        found = sql.select(_chat(), [chat_id], _CHAT_FIELDS)
        if not found:
            raise ChatNotFound("No such chat.")
        (
            (
                id_,
                owner,
                title,
                created_at,
                updated_at,
                model,
                anonymous,
                hidden_at,
                reason,
                author,
            ),
        ) = found
        prompts = prompts_of(chat_id)
        rows = sql.select(_turns(), [rater, chat_id], _TURN_FIELDS)
        turns = []
        for _, group in groupby(rows, key=lambda row: row[0]):
            of_turn = list(group)
            t = dict(zip(_TURN, of_turn[0][: len(_TURN)], strict=True))
            choices = [
                dict(zip(_CHOICE, row[len(_TURN) : -1], strict=True))
                for row in of_turn
                if row[len(_TURN)] is not None
            ]
            turns.append(
                TurnView(
                    id=TurnId(t["id"]),
                    index=t["index"],
                    content=t["content"],
                    status=TurnStatus(t["status"]),
                    created_at=t["created_at"],
                    answered_at=t["answered_at"],
                    error_code=t["error_code"],
                    request=request_from(t),
                    response=response_from(t, choices),
                    my_rating=of_turn[0][-1],
                )
            )
        return ChatView(
            id=ChatId(id_),
            owner_id=MemberId(owner),
            title=title,
            author=author,
            created_at=created_at,
            updated_at=updated_at,
            prompts=prompts,
            turns=tuple(turns),
            model=model,
            anonymous=anonymous,
            hidden_reason=None if hidden_at is None else reason,
        )

    def answer_so_far(self, chat_id: ChatId, turn_id: TurnId) -> tuple[TurnStatus, str]:
        found = (
            TurnRow.objects.filter(pk=turn_id, chat_id=chat_id)
            .values_list("status", "answer_so_far")
            .first()
        )
        if found is None:
            raise ChatNotFound("No such turn in this chat.")
        return TurnStatus(found[0]), found[1]

    def chat_version(self, chat_id: ChatId) -> ChatVersion:
        rows = sql.select(_version(), [TurnRow.Status.PENDING.value, chat_id], _VERSION_FIELDS)
        if not rows:
            raise ChatNotFound("No such chat.")
        ((owner, author, anonymous, updated_at, hidden_at, reason, turns, pending, answered),) = (
            rows
        )
        return ChatVersion(
            owner_id=MemberId(owner),
            author=author,
            anonymous=anonymous,
            updated_at=updated_at,
            turns=turns,
            pending=pending,
            last_answered_at=answered,
            hidden_reason=None if hidden_at is None else reason,
        )

    def ratings(self, chat_id: ChatId, member: MemberId) -> dict[TurnId, Rating]:
        rows = AnswerRating.objects.filter(turn__chat_id=chat_id, member_id=member)
        return {TurnId(t): Rating(r) for t, r in rows.values_list("turn_id", "rating")}
