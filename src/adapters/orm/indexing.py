"""Keeping the search index (ChatSearch rows): the chat's own statements do it
(adapters/orm/chats.py). A new chat inserts its row; each message and answer appends its
normalized text and terms (`||` on the text and on the tsvector), so a write costs the size of
what it adds, not of the chat. Moderation and anonymity are read from the chat row when
searching, and the row goes with the chat."""

from typing import Any

from django.db import connection

from adapters.orm import sql
from adapters.orm.models import ChatSearch as SearchRow
from adapters.orm.models import terms_literal
from domain.chat import Chat
from domain.prompts import PromptKind
from domain.search import index_terms, normalize

_SEP = "\n"  # between texts: no query word holds one, so no match spans two texts


def new_entry(chat: Chat, first_message: str) -> dict[str, Any]:
    """The row of a chat just started (without its chat id)."""
    answers = {p.kind: p.answer for p in chat.prompts}
    head = _SEP.join([chat.title, *(p.answer for p in chat.prompts)])
    body = _SEP.join([head, first_message])
    return {
        "head": normalize(head),
        "body": normalize(body),
        "from_text": normalize(answers.get(PromptKind.CURRENT_STATE, "")),
        "to_text": normalize(answers.get(PromptKind.GOAL, "")),
        "head_terms": index_terms(head),
        "body_terms": index_terms(body),
    }


def addition(texts: list[str]) -> tuple[str, str]:
    """What a message or an answer adds to a row: (text to append, tsvector text to merge)."""
    text = _SEP.join(texts)
    return _SEP + normalize(text), terms_literal(index_terms(text))


def appending() -> str:
    """`body = body || %s, body_terms = body_terms || %s` for an UPDATE of the row."""
    body, terms = sql.column(SearchRow, "body"), sql.column(SearchRow, "body_terms")
    if connection.vendor != "postgresql":
        return f"{body} = {body} || %s, {terms} = {terms} || %s"
    return f"{body} = {body} || %s, {terms} = {terms} || CAST(%s AS tsvector)"


def append(chat_ids_from: str, texts: list[str], params: list[Any]) -> tuple[str, list[Any]]:
    """`UPDATE … WHERE chat_id IN (chat_ids_from)` appending `texts`, for any database."""
    text, terms = addition(texts)
    if connection.vendor != "postgresql":
        terms = ""
    return (
        f"UPDATE {sql.table(SearchRow)} SET {appending()} "
        f"WHERE {sql.column(SearchRow, 'chat')} IN ({chat_ids_from})",
        [text, terms, *params],
    )
