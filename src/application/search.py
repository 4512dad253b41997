"""Searching the archive: every public chat, or a member's own."""

from dataclasses import dataclass

from application.chats import MAX_PAGE
from application.errors import SearchQueryTooLong
from application.ports import ChatSearch, SearchPosition
from application.views import ChatSummary
from domain.ids import MemberId
from domain.search import QueryTooLong, SearchQuery, Snippet, snippet


@dataclass(frozen=True, slots=True)
class SearchChatsInput:
    q: str | None = None
    from_: str | None = None  # words of the current-state answer
    to: str | None = None  # words of the goal
    owner: MemberId | None = None  # None: every member's public chats
    after: SearchPosition | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class Found:
    chat: ChatSummary
    snippet: Snippet


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: list[Found]
    next_after: SearchPosition | None  # pass as `after` for the next page; None on the last


def parse_query(q: str | None, from_: str | None, to: str | None) -> SearchQuery:
    """The query asked for; SearchQueryTooLong past what a search takes."""
    try:
        return SearchQuery.parse(q, from_, to)
    except QueryTooLong as error:
        raise SearchQueryTooLong(str(error)) from error


class SearchChats:
    """Chats matching every word asked, the best matches first, then the newest; each with the
    part of it that matched. The hits, then one query for the texts of the page's chats for
    their snippets."""

    def __init__(self, index: ChatSearch) -> None:
        self._index = index

    def __call__(self, data: SearchChatsInput, query: SearchQuery) -> SearchPage:
        if query.nothing:
            return SearchPage(items=[], next_after=None)
        limit = max(1, min(data.limit, MAX_PAGE))
        hits = self._index.search(query, owner=data.owner, after=data.after, limit=limit + 1)
        more = len(hits) > limit
        hits = hits[:limit]
        words = query.all_forms
        # A lone word that a chat's title or intake answers hold (its tier 0) is snippeted
        # from the first of them that holds it, whatever its messages hold: the best source
        # holds the most words, and the first of equals wins. So their texts are not read.
        heads = [h.chat.id for h in hits if h.position.tier == 0] if len(words) == 1 else []
        sources = self._index.sources([h.chat.id for h in hits], heads_only=heads)
        items = [
            Found(
                chat=h.chat if data.owner is not None else h.chat.public(),
                snippet=snippet(sources.get(h.chat.id, [h.chat.title]), words),
            )
            for h in hits
        ]
        return SearchPage(items=items, next_after=hits[-1].position if more else None)
