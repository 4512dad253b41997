"""Keyset pagination over chat ids with an opaque cursor: every page costs the same."""

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any, TypeVar

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from application.chats import MAX_PAGE, ChatPage
from application.ports import SearchPosition
from application.search import SearchPage
from domain.ids import MAX_ID, ChatId

DEFAULT_PAGE = 20
T = TypeVar("T")


# The fields alone, without a Serializer around them (0.25 ms of CPU a page for two fields):
# the same checks and messages.
_CURSOR = serializers.CharField(max_length=64)
_PAGE_SIZE = serializers.IntegerField(min_value=1, max_value=MAX_PAGE)


_CURSOR_TEXT = re.compile(r"b([1-9][0-9]{0,18})")
# A search page's end: its relevance tier and chat id (application.ports.SearchPosition).
_SEARCH_CURSOR_TEXT = re.compile(r"s([01])\.([1-9][0-9]{0,18})")


def _decode(value: str, pattern: re.Pattern[str]) -> re.Match[str]:
    """Only what _encode makes: ids the database can compare with (a larger number overflows
    its bigint, a 500 before this check)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii") + b"==").decode("ascii")
    except (ValueError, UnicodeError, binascii.Error) as error:
        raise serializers.ValidationError("Invalid cursor.") from error
    match = pattern.fullmatch(raw)
    if match is None or int(match[match.lastindex or 0]) > MAX_ID:
        raise serializers.ValidationError("Invalid cursor.")
    return match


def _decode_cursor(value: str) -> ChatId:
    return ChatId(int(_decode(value, _CURSOR_TEXT)[1]))


def _decode_search_cursor(value: str) -> SearchPosition:
    match = _decode(value, _SEARCH_CURSOR_TEXT)
    return SearchPosition(tier=int(match[1]), chat_id=ChatId(int(match[2])))


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def encode_cursor(before: ChatId) -> str:
    return _encode(f"b{before}")


def encode_search_cursor(after: SearchPosition) -> str:
    return _encode(f"s{after.tier}.{after.chat_id}")


def page_query(request: Request) -> tuple[ChatId | None, int]:
    """The page a list request asks for: (before this chat id, how many). Of repeated
    parameters the last counts; an empty one is an error, not the default."""
    return _page_query(request, _decode_cursor)


def search_page_query(request: Request) -> tuple[SearchPosition | None, int]:
    """The page a search asks for: (after this position, how many)."""
    return _page_query(request, _decode_search_cursor)


def _page_query(request: Request, decode: Callable[[str], T]) -> tuple[T | None, int]:
    params = request.query_params
    errors: dict[str, Any] = {}
    before: T | None = None
    size = DEFAULT_PAGE
    if (cursor := params.get("cursor")) is not None:
        try:
            before = decode(_CURSOR.run_validation(cursor))
        except serializers.ValidationError as error:
            errors["cursor"] = error.detail
    if (wanted := params.get("page_size")) is not None:
        try:
            if wanted == "":
                raise serializers.ValidationError("This field may not be blank.")
            size = _PAGE_SIZE.run_validation(wanted)
        except serializers.ValidationError as error:
            errors["page_size"] = error.detail
    if errors:
        raise ValidationError(errors)
    return before, size


def next_url(request: Request, page: ChatPage) -> str | None:
    if page.next_before is None:
        return None
    return replace_query_param(
        request.build_absolute_uri(), "cursor", encode_cursor(page.next_before)
    )


def next_search_url(request: Request, page: SearchPage) -> str | None:
    if page.next_after is None:
        return None
    return replace_query_param(
        request.build_absolute_uri(), "cursor", encode_search_cursor(page.next_after)
    )
