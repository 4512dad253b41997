"""Keyset pagination over chat ids with an opaque cursor: every page costs the same."""

import base64
import binascii

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from application.chats import MAX_PAGE, ChatPage
from domain.ids import ChatId

DEFAULT_PAGE = 20


class PageQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=64)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, default=DEFAULT_PAGE
    )

    def validate_cursor(self, value: str) -> ChatId:
        try:
            raw = base64.urlsafe_b64decode(value.encode("ascii") + b"==").decode("ascii")
            chat_id = int(raw.removeprefix("b"))
        except (ValueError, UnicodeError, binascii.Error) as error:
            raise serializers.ValidationError("Invalid cursor.") from error
        if not raw.startswith("b") or chat_id < 1:
            raise serializers.ValidationError("Invalid cursor.")
        return ChatId(chat_id)


def encode_cursor(before: ChatId) -> str:
    return base64.urlsafe_b64encode(f"b{before}".encode()).decode().rstrip("=")


def page_query(request: Request) -> tuple[ChatId | None, int]:
    # DRF reads an empty query value as a missing one (the default); a client sending
    # `page_size=` meant something, and is told it is not a number.
    blank = [name for name in ("cursor", "page_size") if request.query_params.get(name) == ""]
    if blank:
        raise ValidationError({name: ["This field may not be blank."] for name in blank})
    query = PageQuery(data=request.query_params)
    if not query.is_valid():
        raise ValidationError(query.errors)
    return query.validated_data.get("cursor"), query.validated_data["page_size"]


def next_url(request: Request, page: ChatPage) -> str | None:
    if page.next_before is None:
        return None
    return replace_query_param(
        request.build_absolute_uri(), "cursor", encode_cursor(page.next_before)
    )
