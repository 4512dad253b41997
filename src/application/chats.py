"""Reading and deleting chats."""

import dataclasses
from dataclasses import dataclass

from application.errors import ChatHidden, ChatNotFound, NotChatOwner
from application.ports import ChatQueries, UnitOfWork
from application.views import ChatSummary, ChatVersion, ChatView
from domain.ids import ChatId, MemberId
from domain.prompts import IntakeQuestion, intake_questions

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class ListChatsInput:
    owner: MemberId | None = None  # None: every member's chats
    before: ChatId | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class ChatPage:
    items: list[ChatSummary]
    next_before: ChatId | None  # pass as `before` for the next page; None on the last one


class ListChats:
    """Chats newest first, a page at a time (keyset on the id, so any page costs the same)."""

    def __init__(self, queries: ChatQueries) -> None:
        self._queries = queries

    def __call__(self, data: ListChatsInput) -> ChatPage:
        limit = max(1, min(data.limit, MAX_PAGE))
        rows = self._queries.list_chats(owner=data.owner, before=data.before, limit=limit + 1)
        more = len(rows) > limit
        # Every member's chats are public; a member's own list is theirs alone.
        items = rows[:limit] if data.owner is not None else [r.public() for r in rows[:limit]]
        return ChatPage(items=items, next_before=items[-1].id if more else None)


def visible_to(owner: MemberId, hidden: bool, viewer: MemberId | None, staff: bool) -> bool:
    """A hidden chat exists for its owner and staff alone: to anyone else it is not found,
    its cheap version read included, so not even a validator tells that it is there."""
    return not hidden or viewer == owner or staff


class GetChat:
    """Anyone reads any visible chat; the owner also sees the private parts of the stored
    requests. A chat hidden by moderation is found by its owner and staff only. A logged-in
    reader sees their own rating of each answer."""

    def __init__(self, queries: ChatQueries) -> None:
        self._queries = queries

    def __call__(self, chat_id: ChatId, viewer: MemberId | None, staff: bool = False) -> ChatView:
        chat = self._queries.chat(chat_id, rater=viewer)
        if not visible_to(chat.owner_id, chat.hidden, viewer, staff):
            raise ChatNotFound("No such chat.")
        return chat.seen_by(viewer)

    def version(
        self, chat_id: ChatId, viewer: MemberId | None = None, staff: bool = False
    ) -> ChatVersion:
        """The chat's version alone, to tell a client that its copy is still current."""
        version = self._queries.chat_version(chat_id)
        if not visible_to(version.owner_id, version.hidden, viewer, staff):
            raise ChatNotFound("No such chat.")
        if viewer is None:
            return version
        mine = self._queries.ratings(chat_id, viewer)
        return dataclasses.replace(
            version, ratings=tuple(sorted((t, int(r)) for t, r in mine.items()))
        )

    def summary(self, chat_id: ChatId) -> ChatSummary:
        """The chat as anyone sees it in the feed (a share page's content); a hidden chat is
        not found."""
        summary = self._queries.chat_summary(chat_id)
        if summary.hidden:
            raise ChatNotFound("No such chat.")
        return summary.public()


class DeleteChat:
    """The owner removes a chat, hidden or not. Quota already used is not given back."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __call__(self, chat_id: ChatId, member_id: MemberId) -> None:
        with self._uow as uow:
            owner, hidden = uow.chats.moderation_of(chat_id)
            if owner != member_id:
                if hidden is not None:
                    raise ChatNotFound("No such chat.")
                raise NotChatOwner("Only the chat's owner can delete it.")
            uow.chats.delete(chat_id)
            uow.commit()


class ListIntakeQuestions:
    def __call__(self, language: str) -> tuple[IntakeQuestion, ...]:
        return intake_questions(language)


@dataclass(frozen=True, slots=True)
class UpdateChatInput:
    chat_id: ChatId
    member_id: MemberId
    anonymous: bool


class UpdateChat:
    """The owner changes how the chat is shown: with or without its author."""

    def __init__(self, uow: UnitOfWork, queries: ChatQueries) -> None:
        self._uow = uow
        self._queries = queries

    def __call__(self, data: UpdateChatInput) -> ChatView:
        with self._uow as uow:
            owner, hidden = uow.chats.moderation_of(data.chat_id)
            if owner != data.member_id:
                if hidden is not None:
                    raise ChatNotFound("No such chat.")
                raise NotChatOwner("Only the chat's owner can change it.")
            if hidden is not None:
                raise ChatHidden("The chat is hidden by moderation; it can only be deleted.")
            uow.chats.set_anonymous(data.chat_id, data.anonymous)
            uow.commit()
        return self._queries.chat(data.chat_id, rater=data.member_id)
