"""Thumbs up and down on answers: POST/DELETE /api/chats/{id}/turns/{turn_id}/feedback/, the
reader's own `my_rating` in the chat, its caching, and the counts per model in the admin."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from adapters.orm.models import AnswerRating, Chat, Turn
from adapters.orm.models import Member as MemberRow
from tests.integration.conftest import Configure, Member, start_chat
from tests.integration.test_admin import staff  # noqa: F401 - a fixture
from tests.integration.test_usage_api import upstream  # noqa: F401 - a fixture
from tests.support.fake_openai import Fail, FakeOpenAI, fake_openai_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def feedback(chat_id: int, turn_id: int) -> str:
    return f"/api/chats/{chat_id}/turns/{turn_id}/feedback/"


def rate(client: APIClient, chat_id: int, turn_id: int, body: Any) -> Any:
    return client.post(
        feedback(chat_id, turn_id), json.dumps(body), content_type="application/json"
    )


def my_ratings(client: APIClient, chat_id: int) -> list[int | None]:
    response = client.get(f"/api/chats/{chat_id}/")
    assert response.status_code == 200
    return [turn["my_rating"] for turn in response.json()["turns"]]


@pytest.fixture
def chat(member: Member) -> tuple[int, int]:
    started = start_chat(member).json()
    return started["id"], started["turns"][0]["id"]


def test_a_reader_rates_an_answer_once_and_changes_it(
    make_member: Callable[..., Member], chat: tuple[int, int]
) -> None:
    reader = make_member()
    chat_id, turn_id = chat

    up = rate(reader.client, chat_id, turn_id, {"rating": 1})
    assert (up.status_code, up.json()) == (200, {"my_rating": 1})
    assert my_ratings(reader.client, chat_id) == [1]

    down = rate(reader.client, chat_id, turn_id, {"rating": -1})
    assert (down.status_code, down.json()) == (200, {"my_rating": -1})
    assert my_ratings(reader.client, chat_id) == [-1]
    assert list(AnswerRating.objects.values_list("member_id", "rating")) == [(reader.id, -1)]


def test_the_author_rates_their_own_answers_and_each_member_has_their_own_rating(
    make_member: Callable[..., Member], member: Member, chat: tuple[int, int]
) -> None:
    reader = make_member()
    chat_id, turn_id = chat

    assert rate(member.client, chat_id, turn_id, {"rating": -1}).status_code == 200
    assert rate(reader.client, chat_id, turn_id, {"rating": 1}).status_code == 200

    assert my_ratings(member.client, chat_id) == [-1]
    assert my_ratings(reader.client, chat_id) == [1]
    assert AnswerRating.objects.count() == 2


def test_a_rating_is_taken_back_with_delete(member: Member, chat: tuple[int, int]) -> None:
    chat_id, turn_id = chat
    rate(member.client, chat_id, turn_id, {"rating": 1})

    first = member.client.delete(feedback(chat_id, turn_id))
    again = member.client.delete(feedback(chat_id, turn_id))

    assert (first.status_code, again.status_code) == (204, 204)
    assert my_ratings(member.client, chat_id) == [None]
    assert not AnswerRating.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"rating": True},
        {"rating": False},
        {"rating": "1"},
        {"rating": 1.0},
        {"rating": 0},
        {"rating": 2},
        {"rating": -2},
        {"rating": None},
        {"rating": [1]},
        {},
        [1],
    ],
    ids=repr,
)
def test_a_rating_is_the_json_integer_1_or_minus_1_and_nothing_else(
    member: Member, chat: tuple[int, int], body: Any
) -> None:
    chat_id, turn_id = chat

    refused = rate(member.client, chat_id, turn_id, body)

    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == "invalid"
    assert not AnswerRating.objects.exists()


def test_rating_needs_a_login(chat: tuple[int, int], anonymous: APIClient) -> None:
    chat_id, turn_id = chat

    assert rate(anonymous, chat_id, turn_id, {"rating": 1}).status_code == 401
    assert anonymous.delete(feedback(chat_id, turn_id)).status_code == 401
    assert not AnswerRating.objects.exists()


def test_only_turns_of_the_chat_are_rated(
    make_member: Callable[..., Member], chat: tuple[int, int]
) -> None:
    reader = make_member()
    chat_id, turn_id = chat
    elsewhere = start_chat(reader).json()["id"]

    assert rate(reader.client, elsewhere, turn_id, {"rating": 1}).status_code == 404
    assert rate(reader.client, chat_id, turn_id + 1000, {"rating": 1}).status_code == 404
    assert rate(reader.client, chat_id + 1000, turn_id, {"rating": 1}).json()["code"] == (
        "chat_not_found"
    )


@pytest.mark.django_db(transaction=True)
def test_a_turn_without_an_answer_cannot_be_rated(
    make_member: Callable[..., Member],
    upstream: FakeOpenAI,  # noqa: F811
) -> None:
    owner, reader = make_member(), make_member()
    upstream.script(Fail(500))
    failed = start_chat(owner)
    assert failed.status_code == 502
    chat_id, turn_id = failed.json()["chat_id"], failed.json()["turn_id"]

    refused = rate(reader.client, chat_id, turn_id, {"rating": 1})
    Turn.objects.filter(pk=turn_id).update(status="pending", error_code=None)
    pending = rate(owner.client, chat_id, turn_id, {"rating": -1})

    assert (refused.status_code, refused.json()["code"]) == (409, "not_answered")
    assert (pending.status_code, pending.json()["code"]) == (409, "not_answered")
    assert not AnswerRating.objects.exists()


def test_a_hidden_chat_is_rated_by_its_owner_alone(
    make_member: Callable[..., Member], member: Member, chat: tuple[int, int]
) -> None:
    reader = make_member()
    chat_id, turn_id = chat
    rate(reader.client, chat_id, turn_id, {"rating": 1})
    Chat.objects.filter(pk=chat_id).update(hidden_at=timezone.now(), hidden_reason="spam")

    theirs = rate(reader.client, chat_id, turn_id, {"rating": -1})
    taken_back = reader.client.delete(feedback(chat_id, turn_id))
    own = rate(member.client, chat_id, turn_id, {"rating": 1})

    assert (theirs.status_code, theirs.json()["code"]) == (404, "chat_not_found")
    assert taken_back.status_code == 404
    assert own.status_code == 200
    assert set(AnswerRating.objects.values_list("member_id", "rating")) == {
        (reader.id, 1),
        (member.id, 1),
    }


def test_nobody_learns_who_rated_or_how_many(
    make_member: Callable[..., Member], member: Member, chat: tuple[int, int], anonymous: APIClient
) -> None:
    reader, bystander = make_member(), make_member()
    chat_id, turn_id = chat
    rate(reader.client, chat_id, turn_id, {"rating": -1})
    rate(member.client, chat_id, turn_id, {"rating": 1})

    public = anonymous.get(f"/api/chats/{chat_id}/")
    theirs = bystander.client.get(f"/api/chats/{chat_id}/")

    assert [t["my_rating"] for t in public.json()["turns"]] == [None]
    assert [t["my_rating"] for t in theirs.json()["turns"]] == [None]
    assert reader.nickname not in public.content.decode()
    assert reader.nickname not in theirs.content.decode()
    assert theirs.json() == public.json()


def test_ratings_never_reach_a_shared_cache_and_change_the_readers_validator(
    make_member: Callable[..., Member], chat: tuple[int, int], anonymous: APIClient
) -> None:
    reader = make_member()
    chat_id, turn_id = chat
    path = f"/api/chats/{chat_id}/"
    public = anonymous.get(path)
    before = reader.client.get(path)

    rate(reader.client, chat_id, turn_id, {"rating": 1})
    after = reader.client.get(path, HTTP_IF_NONE_MATCH=before["ETag"])
    current = reader.client.get(path, HTTP_IF_NONE_MATCH=after["ETag"])
    rate(reader.client, chat_id, turn_id, {"rating": -1})
    changed = reader.client.get(path, HTTP_IF_NONE_MATCH=after["ETag"])
    still_public = anonymous.get(path, HTTP_IF_NONE_MATCH=public["ETag"])

    assert public["Cache-Control"] == "public, max-age=0, s-maxage=5"
    assert before["Cache-Control"] == after["Cache-Control"] == "private, no-cache"
    assert "Authorization" in after["Vary"]
    assert after.status_code == 200
    assert after.json()["turns"][0]["my_rating"] == 1
    assert current.status_code == 304
    assert changed.status_code == 200
    assert changed.json()["turns"][0]["my_rating"] == -1
    # The public page has no rating in it: a reader's rating does not change it.
    assert still_public.status_code == 304
    assert anonymous.get(path, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 200


def test_staff_see_ratings_counted_per_model_in_the_admin(
    make_member: Callable[..., Member],
    configure: Configure,
    staff: Client,  # noqa: F811
) -> None:
    configure(model_name="model-a", models=("model-b",))
    author, first, second = make_member(), make_member(), make_member()
    on_a = start_chat(author).json()
    on_b = start_chat(author, model="model-b").json()
    again_a = start_chat(author).json()
    for reader, started, value in (
        (first, on_a, 1),
        (second, on_a, 1),
        (first, again_a, -1),
        (first, on_b, -1),
    ):
        assert rate(reader.client, started["id"], started["turns"][0]["id"], {"rating": value})

    page = staff.get("/admin/chatbot/modelrating/")

    assert page.status_code == 200
    rows = {row["model"]: row for row in page.context["rows"]}
    assert {m: (r["up"], r["down"], r["answers"], r["share"]) for m, r in rows.items()} == {
        "model-a": (2, 1, 2, "67%"),
        "model-b": (0, 1, 1, "0%"),
    }
    text = page.content.decode()
    assert "model-a" in text
    assert "67%" in text
    for member in (first, second):
        assert member.nickname not in text
        assert member.email not in text


def test_the_ratings_page_needs_staff(member: Member) -> None:
    browser = Client()
    browser.force_login(MemberRow.objects.get(pk=member.id))

    assert browser.get("/admin/chatbot/modelrating/").status_code == 302


def test_a_members_ratings_are_in_their_export_and_nobody_elses(
    make_member: Callable[..., Member], member: Member, chat: tuple[int, int]
) -> None:
    reader = make_member()
    chat_id, turn_id = chat
    rate(reader.client, chat_id, turn_id, {"rating": -1})
    rate(member.client, chat_id, turn_id, {"rating": 1})

    theirs = reader.client.get("/api/me/export/").json()
    own = member.client.get("/api/me/export/").json()

    assert [(r["chat_id"], r["turn_id"], r["rating"]) for r in theirs["ratings"]] == [
        (chat_id, turn_id, -1)
    ]
    assert [(r["chat_id"], r["turn_id"], r["rating"]) for r in own["ratings"]] == [
        (chat_id, turn_id, 1)
    ]
    assert [t["my_rating"] for t in own["chats"][0]["turns"]] == [1]
