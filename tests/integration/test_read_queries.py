"""Every read costs the same few SQL queries whatever the size of the data: no N+1, keyset pages."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from adapters.orm.models import Chat, Member
from adapters.orm.queries import DjangoChatQueries
from application.views import TurnView
from django_project.api.pagination import encode_cursor
from django_project.api.serializers import (
    ChatOutput,
    ChatSummaryOutput,
    TurnOutput,
    chat_data,
    summaries_data,
    turn_data,
)
from domain.chat import TurnStatus
from domain.ids import ChatId, TurnId
from domain.llm import Choice, Completion, CompletionRequest, Message, Role, Usage

SIZES = {"small": {"chats": 3, "turns_per_chat": 1}, "large": {"chats": 60, "turns_per_chat": 8}}


@pytest.fixture(params=sorted(SIZES))
def seeded(request: pytest.FixtureRequest, db: None) -> dict[str, Any]:
    call_command("seed_data", members=2, **SIZES[request.param])
    busiest = Chat.objects.order_by("member_id").values_list("member_id", flat=True).last()
    owner = Member.objects.get(pk=busiest)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(owner)}")
    ids = sorted(Chat.objects.values_list("id", flat=True))
    owned = Chat.objects.filter(member=owner).values_list("id", flat=True).first()
    return {"owner": client, "ids": ids, "owned": owned}


def test_the_feed_is_one_query_on_any_page(
    seeded: dict[str, Any], django_assert_num_queries: Any
) -> None:
    deep = encode_cursor(seeded["ids"][len(seeded["ids"]) // 2 + 1])
    with django_assert_num_queries(1):
        first = APIClient().get("/api/chats/", {"page_size": 2})
    with django_assert_num_queries(1):
        page = APIClient().get("/api/chats/", {"cursor": deep, "page_size": 20})
    with django_assert_num_queries(1):
        APIClient().get("/api/chats/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == page.status_code == 200
    assert page.json()["results"][0]["id"] < seeded["ids"][len(seeded["ids"]) // 2 + 1]


def test_my_chats_are_the_member_and_one_query(
    seeded: dict[str, Any], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        mine = seeded["owner"].get("/api/me/chats/")

    assert mine.status_code == 200
    assert mine.json()["results"]


def test_a_chat_is_three_queries_however_many_turns_and_a_304_is_one(
    seeded: dict[str, Any], django_assert_num_queries: Any
) -> None:
    # The chat with its author, its intake, its turns with their choices.
    chat = f"/api/chats/{seeded['owned']}/"
    with django_assert_num_queries(3):
        public = APIClient().get(chat)
    with django_assert_num_queries(1):
        unchanged = APIClient().get(chat, HTTP_IF_NONE_MATCH=public["ETag"])
    with django_assert_num_queries(4):
        APIClient().get(chat, HTTP_IF_NONE_MATCH='W/"stale"')
    # The owner: the member read by the authentication, then the same three.
    with django_assert_num_queries(4):
        own = seeded["owner"].get(chat)

    assert public.status_code == own.status_code == 200
    assert unchanged.status_code == 304


def test_the_feed_hand_builds_exactly_what_its_serializer_documents(
    seeded: dict[str, Any],
) -> None:
    items = DjangoChatQueries().list_chats(owner=None, before=None, limit=100)
    with timezone.override("Asia/Seoul"):
        assert summaries_data(items) == ChatSummaryOutput(items, many=True).data
    assert summaries_data(items) == ChatSummaryOutput(items, many=True).data


def _turn(index: int, **changes: Any) -> TurnView:
    request = CompletionRequest(
        model="gpt-4o-mini",
        messages=(
            Message(Role.SYSTEM, "guide"),
            Message(Role.SYSTEM, "born 1990, a nurse", private=True),
            Message(Role.USER, f"question {index}"),
        ),
        temperature=0.7,
        max_tokens=1024,
        stream=bool(index % 2),
    )
    completion = Completion(
        id=f"chatcmpl-{index}",
        created=1_700_000_000 + index,
        model="gpt-4o-mini-2024-07-18",
        choices=(Choice(0, "assistant", f"answer {index}", "stop"),),
        usage=Usage(10, 5, 15),
    )
    base = TurnView(
        id=TurnId(100 + index),
        index=index,
        content=f"question {index}",
        status=TurnStatus.COMPLETED,
        created_at=datetime(2026, 12, 1, 9, 0, index, 123456, tzinfo=UTC),
        answered_at=datetime(2026, 12, 1, 9, 0, index + 1, tzinfo=UTC),
        error_code=None,
        request=request,
        response=completion,
    )
    return dataclasses.replace(base, **changes)


def test_chats_and_turns_hand_build_exactly_what_their_serializers_document(
    seeded: dict[str, Any],
) -> None:
    """chat_data and turn_data stand in for ChatOutput and TurnOutput (which document the shape
    in the schema); every kind of turn must come out the same both ways."""
    native = Completion(
        id="msg_1",
        created=0,
        model="claude",
        choices=(Choice(0, "assistant", "hi", "end_turn"),),
        usage=None,
        native_request={"system": "born 1990, a nurse", "messages": []},
        native_response={"content": [{"type": "text", "text": "hi"}]},
    )
    turns = (
        _turn(0),
        _turn(1, status=TurnStatus.PENDING, response=None, answered_at=None),
        _turn(2, status=TurnStatus.FAILED, response=None, error_code="upstream_timeout"),
        _turn(3, status=TurnStatus.STOPPED, response=native),
    )
    stored = DjangoChatQueries().chat(ChatId(seeded["owned"]))
    made = dataclasses.replace(stored, turns=turns, title="ümlaut & <tags>")
    for chat in (stored, made, made.seen_by(None)):
        for zone in ("UTC", "Asia/Seoul"):
            with timezone.override(zone):
                assert chat_data(chat) == ChatOutput(chat).data
                for turn in chat.turns:
                    assert turn_data(turn) == TurnOutput(turn).data
