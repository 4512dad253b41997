"""Output shapes shared by several views. Public shapes list their fields explicitly: nothing
private can appear in them by accident."""

from collections.abc import Iterable
from datetime import datetime, tzinfo
from functools import cache
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from application.search import Found
from application.views import ChatSummary, ChatView, TurnView


class TextField(serializers.CharField):
    """A CharField for input that takes text only, and measures it as sent. DRF's turns 42 into
    "42", and checks max_length after trimming, so 2,001 characters that begin with a space
    passed a 2,000 limit; the schema promises neither."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length, length=len(data))
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that takes JSON's true and false only: DRF's turns "yes", "1" and 1 into
    True, which a consent must not be given by."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


@cache
def _prototype(serializer: type[serializers.Serializer[Any]]) -> serializers.Serializer[Any]:
    return serializer()


def validated(serializer: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    """`serializer(data=data)`'s validated_data, or its ValidationError, as is_valid(
    raise_exception=True) gives them, without building and deep-copying the serializer's fields
    for every request (0.2 ms of a chat request): one instance, made once, validates every
    request's data. run_validation keeps nothing on the instance, so threads may share it; for
    serializers whose hooks do not either (the chat inputs have none)."""
    return dict(_prototype(serializer).run_validation(data))


class ErrorOutput(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable and machine-readable.")
    detail = serializers.CharField(help_text="For people.")
    # DRF's metaclass takes declared fields off the class: Serializer.errors stays as it is.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages (code `invalid`).",
    )
    limit = serializers.IntegerField(required=False, help_text="With `daily_quota_exceeded`.")
    resets_at = serializers.CharField(required=False, help_text="With `daily_quota_exceeded`.")
    chat_id = serializers.IntegerField(required=False, help_text="With upstream errors.")
    turn_id = serializers.IntegerField(required=False, help_text="With upstream errors.")


MEANING = {
    400: "Invalid input (`invalid`, `parse_error`).",
    401: "Missing, invalid or expired token; bad credentials.",
    403: "Not the chat's owner (`not_chat_owner`), or not allowed: an unverified email "
    "(`email_unverified`), no consent to the terms in force (`consent_required`), a hidden chat "
    "(`chat_hidden`), one's own chat (`own_chat`).",
    404: "No such chat (`chat_not_found`).",
    409: "Already done (`already_reported`), or the turn has no answer to rate yet or at all "
    "(`not_answered`).",
    406: "The Accept header asks for something the API does not give (`not_acceptable`).",
    413: "The request body is too large (`request_too_large`).",
    415: "The body is not JSON (`unsupported_media_type`).",
    429: "Daily quota used up (`daily_quota_exceeded`, with `Retry-After`) or throttled.",
    502: "The model provider failed (`upstream_error`); the request is given back.",
    503: "The model provider is busy (`upstream_busy`); the request is given back.",
    504: "The model did not answer in time (`upstream_timeout`); the request is given back.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {s: OpenApiResponse(ErrorOutput, description=MEANING[s]) for s in statuses}


class QuotaOutput(serializers.Serializer[Any]):
    limit = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.SerializerMethodField()

    def get_resets_at(self, quota: Any) -> str:
        # In the quota's own time zone, so the offset tells the member when their day ends.
        return str(quota.resets_at.isoformat())


class MemberOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    nickname = serializers.CharField()
    born_year = serializers.IntegerField(allow_null=True)
    job = serializers.CharField(allow_null=True)


class ConsentOutput(serializers.Serializer[Any]):
    what = serializers.CharField(help_text="terms, privacy or over_14 (the age statement).")
    version = serializers.CharField(help_text="The version of the text agreed to.")
    given_at = serializers.DateTimeField()


class ProfileOutput(serializers.Serializer[Any]):
    """The member's own view of themselves: private fields and today's quota."""

    id = serializers.IntegerField(source="member.id")
    email = serializers.EmailField(source="member.email")
    nickname = serializers.CharField(source="member.nickname")
    born_year = serializers.IntegerField(source="member.born_year", allow_null=True)
    job = serializers.CharField(source="member.job", allow_null=True)
    anonymous_by_default = serializers.BooleanField(
        source="member.anonymous_by_default",
        help_text="Whether new chats hide their author unless `anonymous` says otherwise.",
    )
    email_verified = serializers.BooleanField(
        source="member.email_verified",
        help_text="Whether the member proved the email is theirs (a mailed link, a provider).",
    )
    has_password = serializers.BooleanField(
        help_text="Whether the member can log in with a password (false: provider logins only)."
    )
    quota = QuotaOutput()
    linked_providers = serializers.ListField(
        child=serializers.CharField(), help_text="Login providers linked: github, kakao."
    )
    consents = ConsentOutput(many=True, help_text="The latest consent of each kind given.")
    consent_required = serializers.BooleanField(
        help_text="Whether the member must agree (POST /api/me/consent/) before chatting: no "
        "consent yet (a provider login), or a version in force they have not agreed to."
    )


class AuthorOutput(serializers.Serializer[Any]):
    nickname = serializers.CharField()


# `from` is a Python keyword, so the class is made by type() rather than a class statement.
JourneyOutput: type[serializers.Serializer[Any]] = type(
    "JourneyOutput",
    (serializers.Serializer,),
    {
        "from": serializers.CharField(
            source="current_state", help_text="The intake's current-state answer."
        ),
        "to": serializers.CharField(source="goal", help_text="The intake's goal answer."),
    },
)


class ChatSummaryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.SerializerMethodField(
        help_text="null: an anonymous chat (its owner alone sees their nickname here)."
    )
    anonymous = serializers.BooleanField(
        help_text="Shown without its author to everyone but its owner."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    turn_count = serializers.IntegerField()
    hidden = serializers.BooleanField(
        help_text="Hidden by moderation: only its owner (and staff) ever see it."
    )
    hidden_reason = serializers.CharField(
        allow_null=True,
        help_text="Why it is hidden: `reports` (pending review) or what staff chose: `spam`, "
        "`abuse`, `personal_data`, `illegal`, `other`; null when visible.",
    )
    journey = JourneyOutput(
        help_text="Where the member started (`from`) and the goal (`to`): the intake's answers."
    )

    @extend_schema_field(AuthorOutput(allow_null=True))
    def get_author(self, chat: Any) -> dict[str, str] | None:
        return None if chat.author is None else {"nickname": chat.author}


class ChatListItemOutput(ChatSummaryOutput):
    """An item of a chat list: a summary, and for a search its snippet and highlights. One
    schema with two optional fields rather than a oneOf of two: a search result is a valid
    summary too, and oneOf requires exactly one match."""

    snippet = serializers.CharField(
        required=False,
        help_text="Searches only (`q`, `from` or `to` given): plain text around the best match "
        "(no markup: `highlights` marks it).",
    )
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        required=False,
        help_text="Searches only: the matches within `snippet`, [start, end) offsets in Unicode "
        "code points.",
    )


def search_data(found: Iterable[Found]) -> list[dict[str, Any]]:
    """ChatListItemOutput(found, many=True).data, the way summaries_data is made."""
    zone = timezone.get_current_timezone()
    return [
        {
            **_summary(f.chat, zone),
            "snippet": f.snippet.text,
            "highlights": [list(h) for h in f.snippet.highlights],
        }
        for f in found
    ]


def _datetime(value: datetime, zone: tzinfo) -> str:
    # DRF's DateTimeField: in the current time zone, ISO 8601, UTC written as Z.
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def summaries_data(chats: Iterable[ChatSummary]) -> list[dict[str, Any]]:
    """ChatSummaryOutput(chats, many=True).data without DRF's per-field machinery, which cost a
    feed page (20 items, 6 fields each) 0.46 ms of CPU against 0.1 ms here. ChatSummaryOutput
    still documents the shape, and a test keeps the two equal."""
    zone = timezone.get_current_timezone()
    return [_summary(chat, zone) for chat in chats]


def _summary(chat: ChatSummary | ChatView, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": chat.id,
        "title": chat.title,
        "author": None if chat.author is None else {"nickname": chat.author},
        "anonymous": chat.anonymous,
        "created_at": _datetime(chat.created_at, zone),
        "updated_at": _datetime(chat.updated_at, zone),
        "turn_count": chat.turn_count,
        "hidden": chat.hidden_reason is not None,
        "hidden_reason": chat.hidden_reason,
        "journey": {"from": chat.journey.current_state, "to": chat.journey.goal},
    }


class PromptOutput(serializers.Serializer[Any]):
    kind = serializers.CharField()
    question = serializers.CharField()
    answer = serializers.CharField()


class ExchangeOutput(serializers.Serializer[Any]):
    """The request and response exactly as they went over the wire (Chat Completions shape)."""

    request = serializers.DictField()
    response = serializers.DictField(allow_null=True)


class TurnOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    index = serializers.IntegerField()
    question = serializers.CharField(source="content")
    answer = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    error_code = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    usage = serializers.SerializerMethodField()
    exchange = serializers.SerializerMethodField()
    my_rating = serializers.IntegerField(
        allow_null=True,
        help_text="The reading member's own rating of the answer: 1, -1, or null (none given, "
        "or nobody logged in). Whose ratings and how many are never shown.",
    )

    def get_usage(self, turn: TurnView) -> dict[str, int] | None:
        return _usage(turn)

    def get_exchange(self, turn: TurnView) -> dict[str, Any]:
        return _exchange(turn)


def _usage(turn: TurnView) -> dict[str, int] | None:
    usage = None if turn.response is None else turn.response.usage
    if usage is None:
        return None
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _exchange(turn: TurnView) -> dict[str, Any]:
    response = turn.response
    native = None
    if response is not None and response.native_request is not None:
        native = {"request": response.native_request, "response": response.native_response}
    return {
        "request": turn.request.as_wire(),
        "response": None if response is None else response.as_wire(),
        # For providers that do not speak Chat Completions: their own bodies, as exchanged.
        "native": native,
    }


def turn_data(turn: TurnView, zone: tzinfo | None = None) -> dict[str, Any]:
    """TurnOutput(turn).data, built by hand as summaries_data is (a test keeps them equal):
    DRF's serializer took 0.17 ms of CPU for a one-turn answer, which every chat request
    returns."""
    zone = zone or timezone.get_current_timezone()
    answered_at = turn.answered_at
    return {
        "id": turn.id,
        "index": turn.index,
        "question": turn.content,
        "answer": turn.answer,
        "status": turn.status.value,
        "error_code": turn.error_code,
        "created_at": _datetime(turn.created_at, zone),
        "answered_at": None if answered_at is None else _datetime(answered_at, zone),
        "usage": _usage(turn),
        "exchange": _exchange(turn),
        "my_rating": turn.my_rating,
    }


class ChatOutput(ChatSummaryOutput):
    intake = PromptOutput(many=True, source="prompts")
    turns = TurnOutput(many=True)


def chat_data(chat: ChatView) -> dict[str, Any]:
    """ChatOutput(chat).data, built by hand (0.46 ms of CPU through DRF for a one-turn chat)."""
    zone = timezone.get_current_timezone()
    return {
        **_summary(chat, zone),
        "intake": [
            {"kind": p.kind.value, "question": p.question, "answer": p.answer} for p in chat.prompts
        ],
        "turns": [turn_data(t, zone) for t in chat.turns],
    }
