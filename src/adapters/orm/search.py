"""The search index (ChatSearch rows) and its reads. docs/search.md says why it is built so.

Writes: adapters/orm/indexing.py.

Reads (PostgreSQL): a word is found by its bigrams in the GIN index of the tsvector, then checked
as a substring of the normalized text (`strpos`: no pattern syntax, so no operator of the query
reaches the engine). A page is the newest matches of the best tier first: each tier is one
`ORDER BY chat_id DESC LIMIT n` on which the planner picks, from the bigrams' statistics, either
the GIN index (rare words) or the primary key read backwards with the check as a filter (common
words, found within a few rows).
"""

from functools import cache
from typing import Any

from django.db import connection

from adapters.orm import sql
from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import ChatSearch as SearchRow
from adapters.orm.models import Choice as ChoiceRow
from adapters.orm.models import Member as MemberRow
from adapters.orm.models import Prompt as PromptRow
from adapters.orm.models import Turn as TurnRow
from adapters.orm.models import terms_literal
from adapters.orm.queries import SUMMARY, SUMMARY_FIELDS, journey_columns, summary
from application.ports import ChatSearch, SearchHit, SearchPosition
from domain.ids import ChatId, MemberId
from domain.search import SearchQuery, grams

_FIELDS = (*SUMMARY_FIELDS, None)  # then the tier
# How many of the newest chats a tier reads, in turn, before it asks the GIN index instead: a
# head is short and cheap to check, so tier 0 looks further (a pair of words in 1 head of 20
# fills a page from 4,000 heads; from the index it costs reading all their matches).
WINDOWS = {0: (300, 4000), 1: (300,)}


def _tsquery(words: tuple[str, ...]) -> str | None:
    """Every bigram of every word of two characters or more, ANDed; None: none to look up (a
    one-character word is checked on the text alone)."""
    terms = list(dict.fromkeys(g for w in words if len(w) > 1 for g in grams(w)))
    if not terms:
        return None
    return " & ".join(terms_literal([t]) for t in terms)


def _contains(column: str, count: int) -> str:
    check = "strpos({}, %s) > 0" if connection.vendor == "postgresql" else "instr({}, %s) > 0"
    return " AND ".join([check.format(column)] * count)


@cache
def _tier(
    tier: int,
    words: int,
    from_words: int,
    to_words: int,
    by_terms: tuple[bool, bool],
    mine: bool,
    after: bool,
    limit: int,
    mode: str = "plain",
    window: int = 0,
) -> str:
    """The chat ids of one tier, newest first. Tier 0: the words in the head; tier 1: in the
    body and not all in the head. `by_terms`: whether a tsquery is bound for the head and for
    the body. `mode`: "window" looks only among the WINDOW newest chats (a bounded read: the
    whole answer when it fills the page); "index" keeps the planner off the primary key read
    backwards, so the GIN index finds the candidates; "plain" leaves the plan to it."""
    s, c = "s.", "c."
    head, body = s + sql.column(SearchRow, "head"), s + sql.column(SearchRow, "body")
    conditions = []
    if by_terms[0]:
        conditions.append(f"{s}{sql.column(SearchRow, 'head_terms')} @@ CAST(%s AS tsquery)")
    if by_terms[1]:
        conditions.append(f"{s}{sql.column(SearchRow, 'body_terms')} @@ CAST(%s AS tsquery)")
    if words:
        conditions.append(_contains(head if tier == 0 else body, words))
    if from_words:
        conditions.append(_contains(s + sql.column(SearchRow, "from_text"), from_words))
    if to_words:
        conditions.append(_contains(s + sql.column(SearchRow, "to_text"), to_words))
    if tier == 1:
        conditions.append(f"NOT ({_contains(head, words)})")
    conditions.append(
        f"{c}{sql.column(ChatRow, 'member')} = %s"
        if mine
        else f"{c}{sql.column(ChatRow, 'hidden_at')} IS NULL"
    )
    chat_id = s + sql.column(SearchRow, "chat")
    if after:
        conditions.append(f"{chat_id} < %s")
    source = sql.table(SearchRow)
    if mode == "window":
        # A subquery with a LIMIT is read first and filtered after: the window drives the
        # plan (an IN (…) of it would not: the planner may still read the GIN index whole).
        below = f"WHERE {sql.column(SearchRow, 'chat')} < %s " if after else ""
        source = (
            f"(SELECT * FROM {source} {below}"
            f"ORDER BY {sql.column(SearchRow, 'chat')} DESC LIMIT {int(window)})"
        )
    order = f"{chat_id} + 0" if mode == "index" else chat_id
    return (
        f"SELECT {tier} AS tier, {s}{sql.column(SearchRow, 'chat')} AS chat_id "
        f"FROM {source} s JOIN {sql.table(ChatRow)} c "
        f"ON {c}{sql.column(ChatRow, 'id')} = {s}{sql.column(SearchRow, 'chat')} "
        f"WHERE {' AND '.join(conditions)} "
        f"ORDER BY {order} DESC LIMIT {int(limit)}"
    )


@cache
def _page(tier: str, limit: int) -> str:
    return (
        f"SELECT {sql.columns(ChatRow, SUMMARY, 'c')}, m.{sql.column(MemberRow, 'nickname')}"
        f"{journey_columns()}, r.tier FROM ({tier}) r "
        f"JOIN {sql.table(ChatRow)} c ON c.{sql.column(ChatRow, 'id')} = r.chat_id "
        f"JOIN {sql.table(MemberRow)} m "
        f"ON m.{sql.column(MemberRow, 'id')} = c.{sql.column(ChatRow, 'member')} "
        f"ORDER BY r.chat_id DESC LIMIT {int(limit)}"
    )


def _tier_statement(
    query: SearchQuery,
    tier: int,
    owner: MemberId | None,
    before: ChatId | None,
    limit: int,
    mode: str = "plain",
    window: int = 0,
) -> tuple[str, list[Any]]:
    pg = connection.vendor == "postgresql"
    words, from_words, to_words = query.words, query.from_words, query.to_words
    journey = (*from_words, *to_words)
    head_q = _tsquery((*words, *journey) if tier == 0 else journey) if pg else None
    body_q = _tsquery(words) if pg and tier == 1 else None
    statement = _tier(
        tier, len(words), len(from_words), len(to_words),
        (head_q is not None, body_q is not None), owner is not None, before is not None, limit,
        mode, window,
    )  # fmt: skip
    params: list[Any] = [before] if mode == "window" and before is not None else []
    params += [q for q in (head_q, body_q) if q is not None]
    params += [*words, *from_words, *to_words]
    if tier == 1:
        params += words
    if owner is not None:
        params.append(owner)
    if before is not None:
        params.append(before)
    return _page(statement, limit), params


@cache
def _sources(count: int) -> str:
    # One query for the page: the chats' titles, intake answers, messages and answers, each
    # with the order it is shown in.
    marks = ", ".join(["%s"] * count)
    chat, prompt = sql.table(ChatRow), sql.table(PromptRow)
    turn, choice = sql.table(TurnRow), sql.table(ChoiceRow)
    t_chat, t_index = sql.column(TurnRow, "chat"), sql.column(TurnRow, "index")
    content, x_index = sql.column(TurnRow, "content"), sql.column(ChoiceRow, "index")
    title = sql.column(ChatRow, "title")
    return (
        f"SELECT id, 0, 0, 0, {title} FROM {chat} WHERE id IN ({marks}) "
        f"UNION ALL SELECT {sql.column(PromptRow, 'chat')}, 1, "
        f"{sql.column(PromptRow, 'position')}, 0, {sql.column(PromptRow, 'answer')} "
        f"FROM {prompt} WHERE {sql.column(PromptRow, 'chat')} IN ({marks}) "
        f"UNION ALL SELECT t.{t_chat}, 2, t.{t_index}, 0, t.{content} "
        f"FROM {turn} t WHERE t.{t_chat} IN ({marks}) "
        f"UNION ALL SELECT t.{t_chat}, 2, t.{t_index}, 1 + x.{x_index}, "
        f"x.{sql.column(ChoiceRow, 'content')} FROM {turn} t JOIN {choice} x "
        f"ON x.{sql.column(ChoiceRow, 'turn')} = t.id WHERE t.{t_chat} IN ({marks}) "
        "ORDER BY 1, 2, 3, 4"
    )


def _tier_rows(
    query: SearchQuery, tier: int, owner: MemberId | None, before: ChatId | None, limit: int
) -> list[tuple[Any, ...]]:
    """Up to `limit` rows of one tier. On PostgreSQL, for the public feed, first among the
    WINDOWS newest chats: a common word fills the page there, at a bounded cost. When it does
    not, the word is rare enough below that for the GIN index: the planner's own choice, from
    bigram statistics that multiply as if bigrams were independent, can badly misjudge
    a word and read every chat backwards for it."""
    if connection.vendor != "postgresql":
        return sql.select(*_tier_statement(query, tier, owner, before, limit), _FIELDS)
    for window in WINDOWS[tier] if owner is None else ():
        statement, params = _tier_statement(query, tier, owner, before, limit, "window", window)
        rows = sql.select(statement, params, _FIELDS, prepare=False)
        if len(rows) >= limit:
            return rows
    statement, params = _tier_statement(query, tier, owner, before, limit, "index")
    return sql.select(statement, params, _FIELDS, prepare=False)


class DjangoChatSearch(ChatSearch):
    def search(
        self,
        query: SearchQuery,
        *,
        owner: MemberId | None,
        after: SearchPosition | None,
        limit: int,
    ) -> list[SearchHit]:
        rows: list[tuple[Any, ...]] = []
        # Tier 0 (the words in the head) first, tier 1 only when tier 0 does not fill the
        # page: the check that keeps tier 0's chats out of tier 1 would otherwise be paid on
        # every page, and for a word found in most heads it reads the whole table to find
        # that no chat has it elsewhere only. A page is one or two statements.
        for tier in (0, 1):
            if (after is not None and after.tier > tier) or (tier == 1 and not query.words):
                continue
            start = after.chat_id if after is not None and after.tier == tier else None
            rows += _tier_rows(query, tier, owner, start, limit - len(rows))
            if len(rows) >= limit:
                break
        return [
            SearchHit(
                chat=summary(row),
                position=SearchPosition(tier=int(row[-1]), chat_id=ChatId(row[0])),
            )
            for row in rows
        ]

    def sources(self, chat_ids: list[ChatId]) -> dict[ChatId, list[str]]:
        if not chat_ids:
            return {}
        found: dict[ChatId, list[str]] = {}
        rows = sql.select(_sources(len(chat_ids)), chat_ids * 4, (None,) * 5)
        for chat_id, *_, text in rows:
            found.setdefault(ChatId(chat_id), []).append(text)
        return found
