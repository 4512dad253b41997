"""The search index (ChatSearch rows) and its reads. docs/search.md says why it is built so.

Writes: adapters/orm/indexing.py.

Reads (PostgreSQL): a word is checked as a substring of the normalized text (`strpos`: no
pattern syntax, so no operator of the query reaches the engine). A page is the newest matches of
the best tier first. A tier looks among the newest chats first when the terms' frequencies
(pg_stats) leave room for a page there, which a common word fills; otherwise, or when that does
not fill the page, the GIN index of the terms (bigrams, ASCII trigrams) finds the candidates,
from the rarest terms of each word.
"""

import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
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
from domain.search import SearchQuery, common_part, forms, query_terms, whole_word, word_pattern

_FIELDS = (*SUMMARY_FIELDS, None)  # then the tier
# How many of the newest chats a tier reads at most before it asks the GIN index instead. The
# read stops at a page of matches, so a common word costs what it finds. A head is short and
# cheap to check, so tier 0 looks further (a pair of words in 1 head of 20 fills a page from
# 4,000 heads; from the index it costs reading all their matches); a body is not.
WINDOWS = {0: 4000, 1: 300}


# How long a process trusts the terms' frequencies it read (ANALYZE, run by autovacuum as the
# table grows, moves them).
STATS_TTL_S = 300.0
# How many rows a lookup in the index may leave for their texts to be checked before it is worth
# reading one more term's posting list (about 5 µs a row against 8 ns a posting, at 1M chats).
CANDIDATES = 500
_stats: list[tuple[float, "_Shares"]] = []  # [(read at, what was read)], replaced whole
_stats_lock = threading.Lock()
_HEAD_TERMS = sql.column_name(SearchRow, "head_terms")
_BODY_TERMS = sql.column_name(SearchRow, "body_terms")


@dataclass(frozen=True, slots=True)
class _Shares:
    """The share of search rows holding each term, per tsvector column, as ANALYZE sampled
    it (pg_stats' most common elements). A term it does not list is rarer than every one it
    does: it is taken as half as common as the rarest listed (`floor`), PostgreSQL's own
    estimate for an element it does not list; a column it has no figures for is taken as
    holding everything."""

    of: dict[str, dict[str, float]]
    floor: dict[str, float]
    rows: float  # in the table, by the same ANALYZE (-1: never analyzed)

    def share(self, column: str, term: str) -> float:
        shares, floor = self.of.get(column), self.floor.get(column)
        return 1.0 if shares is None or floor is None else shares.get(term, floor)

    def at_most(self, column: str, words: tuple[str, ...]) -> float:
        """An upper bound on the share of rows whose `column` holds every word: a row holding a
        word holds each of its terms, so no more than the rarest one's."""
        bound = 1.0
        for word in words:
            if terms := query_terms(word):
                bound = min(bound, *(self.share(column, t) for t in terms))
        return bound

    def lookup(self, column: str, word: str) -> list[str]:
        """The terms of `word` worth looking up in the index: those too rare for ANALYZE to list
        (their posting lists are short, and how rare each is is not known), then the listed
        ones, the rarest first, until so few rows could hold them all (as if they were
        independent) that checking each row's text costs less than reading another posting
        list. The terms of one word come together, so a common one removes few candidates:
        `compilers`' seven bigrams took 12 ms of GIN reading at 1M chats, its rarest two 1 ms,
        for the same 442 candidates."""
        shares, floor = self.of.get(column), self.floor.get(column)
        terms = list(dict.fromkeys(query_terms(word)))
        if shares is None or floor is None or self.rows <= 0:
            return terms
        chosen = [t for t in terms if t not in shares]
        candidates = self.rows * floor ** len(chosen)
        for term in sorted((t for t in terms if t in shares), key=shares.__getitem__):
            if chosen and candidates <= CANDIDATES:
                break
            chosen.append(term)
            candidates *= shares[term]
        return chosen


def _shares() -> _Shares:
    now = time.monotonic()
    if _stats and now - _stats[0][0] < STATS_TTL_S:
        return _stats[0][1]
    with _stats_lock:
        if _stats and now - _stats[0][0] < STATS_TTL_S:
            return _stats[0][1]
        columns = [_HEAD_TERMS, _BODY_TERMS]
        table = SearchRow._meta.db_table
        found = sql.select(
            "SELECT c.reltuples, s.attname, s.most_common_elems::text::text[], "
            "s.most_common_elem_freqs FROM pg_class c LEFT JOIN pg_stats s "
            "ON s.schemaname = current_schema() AND s.tablename = c.relname "
            "AND s.attname = ANY(%s) WHERE c.oid = to_regclass(%s)",
            [columns, table],
            (None,) * 4,
        )
        of, floor = {}, {}
        rows = float(found[0][0]) if found else -1.0
        for _, column, elements, freqs in found:
            if elements and freqs:
                # The frequencies of the elements, then their minimum and maximum.
                of[column] = dict(zip(elements, freqs, strict=False))
                # Half the least share listed: the whole of it is where ANALYZE's sample
                # stops listing, which moves from one ANALYZE to the next (at 1M, 0.51% then
                # 0.78% of heads: a rare word's window of 4,000 heads was skipped, then read).
                floor[column] = freqs[len(elements)] / 2
        _stats[:] = [(now, _Shares(of, floor, rows))]
        return _stats[0][1]


def _tsquery(words: tuple[str, ...], column: str, shares: _Shares | None) -> str | None:
    """The terms to look up of every word that has some (domain.search.query_terms; of what
    all its spellings hold; all of them without `shares`), ANDed; None: none to look up (a
    one-character word other than a short English one is checked on the text alone)."""
    parts = [common_part(w) for w in words]
    terms = list(
        dict.fromkeys(
            g
            for w in parts
            for g in (query_terms(w) if shares is None else shares.lookup(column, w))
        )
    )
    if not terms:
        return None
    return " & ".join(terms_literal([t]) for t in terms)


def _contains(column: str, spellings: tuple[int, ...]) -> str:
    """Every word in `column`, each in any of its spellings (their count for each word; 0: a
    whole word, bound as itself then its pattern)."""
    postgresql = connection.vendor == "postgresql"
    check = ("strpos({}, %s) > 0" if postgresql else "instr({}, %s) > 0").format(column)
    # The substring first: it turns most texts away at a fraction of the pattern's cost (4,000
    # heads read for `ui`: 4.6 ms with the pattern alone).
    pattern = f"({check} AND " + ("{} ~ %s)" if postgresql else "{} REGEXP %s)").format(column)
    return " AND ".join(
        pattern if n == 0 else check if n == 1 else f"({' OR '.join([check] * n)})"
        for n in spellings
    )


def _spellings(words: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(0 if whole_word(w) else len(forms(w)) for w in words)


def _spelled(words: tuple[str, ...]) -> list[str]:
    """What `_contains` binds for `words`: each spelling, or a whole word and its pattern."""
    return [f for w in words for f in ([w, word_pattern(w)] if whole_word(w) else forms(w))]


@cache
def _tier(
    tier: int,
    words: tuple[int, ...],
    from_words: tuple[int, ...],
    to_words: tuple[int, ...],
    by_terms: tuple[bool, bool],
    mine: bool,
    after: bool,
    limit: int,
    mode: str = "plain",
    window: int = 0,
) -> str:
    """The chat ids of one tier, newest first. Tier 0: the words in the head; tier 1: in the
    body and not all in the head. The words are their spellings' counts (`_spellings`).
    `by_terms`: whether a tsquery is bound for the head and for the body. `mode`: "window"
    looks only among the WINDOW newest chats (a bounded read: the whole answer when it fills
    the page); "index" keeps the planner off the primary key read backwards, so the GIN index
    finds the candidates; "plain" leaves the plan to it."""
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
    chat_id = s + sql.column(SearchRow, "chat")
    if after:
        conditions.append(f"{chat_id} < %s")
    shown = (
        f"{c}{sql.column(ChatRow, 'member')} = %s"
        if mine
        else f"{c}{sql.column(ChatRow, 'hidden_at')} IS NULL"
    )
    if mode == "index" and not mine:
        # The index's candidates sorted newest first before each is looked up in Chat, so the
        # lookups stop at a page (the ORDER BY keeps the subquery apart, and its order is the
        # outer one's): a hidden chat is rare, and a rare word's few hundred candidates were
        # each read in Chat to keep 21 (at 1M chats, 2,012 buffers a page against 748).
        # A member's own chats are few among the candidates: there the filter goes first.
        return (
            f"SELECT {tier} AS tier, {chat_id} AS chat_id FROM (SELECT {chat_id}, "
            f"{chat_id} + 0 AS newest FROM {sql.table(SearchRow)} s "
            f"WHERE {' AND '.join(conditions)} ORDER BY 2 DESC) s "
            f"JOIN {sql.table(ChatRow)} c ON {c}{sql.column(ChatRow, 'id')} = {chat_id} "
            f"WHERE {shown} ORDER BY s.newest DESC LIMIT {int(limit)}"
        )
    conditions.append(shown)
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
    shares: _Shares | None = None,
) -> tuple[str, list[Any]]:
    # The index is read on PostgreSQL outside a window; in a window the texts alone are
    # checked (the tsvectors would be read as well, for nothing).
    indexed = connection.vendor == "postgresql" and mode != "window"
    words, from_words, to_words = query.words, query.from_words, query.to_words
    journey = (*from_words, *to_words)
    head_words = (*words, *journey) if tier == 0 else journey
    head_q = _tsquery(head_words, _HEAD_TERMS, shares) if indexed else None
    body_q = _tsquery(words, _BODY_TERMS, shares) if indexed and tier == 1 else None
    statement = _tier(
        tier, _spellings(words), _spellings(from_words), _spellings(to_words),
        (head_q is not None, body_q is not None), owner is not None, before is not None, limit,
        mode, window,
    )  # fmt: skip
    params: list[Any] = [before] if mode == "window" and before is not None else []
    params += [q for q in (head_q, body_q) if q is not None]
    params += _spelled((*words, *from_words, *to_words))
    if tier == 1:
        params += _spelled(words)
    if before is not None:
        params.append(before)
    if owner is not None:
        params.append(owner)
    return _page(statement, limit), params


@cache
def _sources(count: int) -> str:
    """One query for the page: the chats' titles and intake answers, then their messages and
    answers, each with the order it is shown in. `count` ids bound four times; on PostgreSQL
    (count 0) four arrays, the last two of the chats whose messages and answers are read: the
    statement is the same for every page, prepared once per connection."""
    ids = body_ids = "= ANY(%s)" if count == 0 else f"IN ({', '.join(['%s'] * count)})"
    chat, prompt = sql.table(ChatRow), sql.table(PromptRow)
    turn, choice = sql.table(TurnRow), sql.table(ChoiceRow)
    t_chat, t_index = sql.column(TurnRow, "chat"), sql.column(TurnRow, "index")
    content, x_index = sql.column(TurnRow, "content"), sql.column(ChoiceRow, "index")
    title = sql.column(ChatRow, "title")
    return (
        f"SELECT id, 0, 0, 0, {title} FROM {chat} WHERE id {ids} "
        f"UNION ALL SELECT {sql.column(PromptRow, 'chat')}, 1, "
        f"{sql.column(PromptRow, 'position')}, 0, {sql.column(PromptRow, 'answer')} "
        f"FROM {prompt} WHERE {sql.column(PromptRow, 'chat')} {ids} "
        f"UNION ALL SELECT t.{t_chat}, 2, t.{t_index}, 0, t.{content} "
        f"FROM {turn} t WHERE t.{t_chat} {body_ids} "
        f"UNION ALL SELECT t.{t_chat}, 2, t.{t_index}, 1 + x.{x_index}, "
        f"x.{sql.column(ChoiceRow, 'content')} FROM {turn} t JOIN {choice} x "
        f"ON x.{sql.column(ChoiceRow, 'turn')} = t.id WHERE t.{t_chat} {body_ids} "
        "ORDER BY 1, 2, 3, 4"
    )


def _share(shares: _Shares, query: SearchQuery, tier: int) -> float:
    """At most this share of the chats can be in `tier`, by the terms' frequencies."""
    words = tuple(common_part(w) for w in query.words)
    journey = tuple(common_part(w) for w in (*query.from_words, *query.to_words))
    if tier == 0:
        return shares.at_most(_HEAD_TERMS, (*words, *journey))
    return min(shares.at_most(_BODY_TERMS, words), shares.at_most(_HEAD_TERMS, journey))


def _tier_rows(
    query: SearchQuery, tier: int, owner: MemberId | None, before: ChatId | None, limit: int
) -> list[tuple[Any, ...]]:
    """Up to `limit` rows of one tier. On PostgreSQL, for the public feed, first among the
    WINDOWS newest chats, when the terms' frequencies leave room for a page there: a common
    word fills the page at a bounded cost. Otherwise the word is rare enough for the GIN index:
    the planner's own choice, from term statistics that it multiplies as if terms were
    independent, can badly misjudge a word and read every chat backwards for it."""
    if connection.vendor != "postgresql":
        return sql.select(*_tier_statement(query, tier, owner, before, limit), _FIELDS)
    if owner is not None:  # a member's own chats: no window of everyone's newest
        return sql.select(
            *_tier_statement(query, tier, owner, before, limit, "index"), _FIELDS, prepare=False
        )
    shares, window = _shares(), WINDOWS[tier]
    # Unless there are fewer matches there than a page, even at the most:
    if shares.rows < 0 or _share(shares, query, tier) * min(window, shares.rows) >= limit:
        statement, params = _tier_statement(query, tier, owner, before, limit, "window", window)
        # Prepared: the window drives the plan whatever the words are (planning it took more
        # than running it, 0.5 ms).
        rows = sql.select(statement, params, _FIELDS)
        if len(rows) >= limit:
            return rows
    statement, params = _tier_statement(query, tier, owner, before, limit, "index", 0, shares)
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

    def sources(
        self, chat_ids: list[ChatId], heads_only: Collection[ChatId] = ()
    ) -> dict[ChatId, list[str]]:
        if not chat_ids:
            return {}
        found: dict[ChatId, list[str]] = {}
        params: list[Any]
        if connection.vendor == "postgresql":
            skip = set(heads_only)
            whole = [c for c in chat_ids if c not in skip]
            statement, params = _sources(0), [chat_ids, chat_ids, whole, whole]
        else:  # every text: leaving some out saves PostgreSQL's time, not SQLite's
            statement, params = _sources(len(chat_ids)), chat_ids * 4
        rows = sql.select(statement, params, (None,) * 5)
        for chat_id, *_, text in rows:
            found.setdefault(ChatId(chat_id), []).append(text)
        return found
