"""HTTP caching of public reads: ETags, conditional GET (304) and who may keep which copy."""

from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from adapters.orm.models import Turn
from tests.integration.conftest import Member, start_chat

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytest_plugins = ["tests.support.live_server"]


def _vary(response: object) -> set[str]:
    return {v.strip().lower() for v in response["Vary"].split(",")}  # type: ignore[index]


def test_anyone_may_cache_a_settled_chat_and_revalidate_it(
    member: Member, anonymous: APIClient
) -> None:
    chat_id = start_chat(member).json()["id"]

    first = anonymous.get(f"/api/chats/{chat_id}/")
    again = anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"].startswith('W/"')
    assert first["Cache-Control"] == "public, max-age=0, s-maxage=5"
    assert "authorization" in _vary(first)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert "authorization" in _vary(again)


def test_the_owner_copy_is_never_stored_nor_shares_a_validator_with_the_public_one(
    make_member: Callable[..., Member], anonymous: APIClient
) -> None:
    # A profile, so that the owner's page holds private text the public one does not.
    member = make_member(born_year=1990, job="nurse")
    chat_id = start_chat(member).json()["id"]
    other = make_member()

    mine = member.client.get(f"/api/chats/{chat_id}/")
    public = anonymous.get(f"/api/chats/{chat_id}/")
    theirs = other.client.get(f"/api/chats/{chat_id}/")

    assert mine["Cache-Control"] == "private, no-store"
    assert "authorization" in _vary(mine)
    assert mine["ETag"] != public["ETag"]
    assert theirs["ETag"] == public["ETag"]
    assert theirs.json() == public.json() != mine.json()
    # A public validator never unlocks a 304 for the owner, nor the owner's for anyone else.
    assert (
        member.client.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=public["ETag"]).status_code
        == 200
    )
    assert (
        anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 200
    )
    assert (
        member.client.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=mine["ETag"]).status_code
        == 304
    )


def test_a_new_turn_changes_the_validator(member: Member, anonymous: APIClient) -> None:
    chat_id = start_chat(member).json()["id"]
    before = anonymous.get(f"/api/chats/{chat_id}/")["ETag"]

    member.client.post(f"/api/chats/{chat_id}/messages/", {"content": "And then?"}, format="json")
    after = anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=before)

    assert after.status_code == 200
    assert after["ETag"] != before
    assert len(after.json()["turns"]) == 2


def test_a_pending_answer_is_revalidated_every_time_and_its_end_changes_the_validator(
    member: Member, anonymous: APIClient
) -> None:
    chat_id = start_chat(member).json()["id"]
    turn = Turn.objects.get(chat_id=chat_id)
    Turn.objects.filter(pk=turn.pk).update(status="pending", answered_at=None)

    pending = anonymous.get(f"/api/chats/{chat_id}/")
    assert pending["Cache-Control"] == "public, no-cache"
    assert (
        anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=pending["ETag"]).status_code
        == 304
    )

    Turn.objects.filter(pk=turn.pk).update(status="completed", answered_at=timezone.now())
    done = anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=pending["ETag"])

    assert done.status_code == 200
    assert done["ETag"] != pending["ETag"]
    assert done["Cache-Control"] == "public, max-age=0, s-maxage=5"


def test_renaming_the_author_changes_the_validator(member: Member, anonymous: APIClient) -> None:
    chat_id = start_chat(member).json()["id"]
    before = anonymous.get(f"/api/chats/{chat_id}/")["ETag"]

    member.client.patch("/api/me/", {"nickname": "renamed"}, format="json")
    after = anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=before)

    assert after.status_code == 200
    assert after.json()["author"] == {"nickname": "renamed"}


def test_a_deleted_chat_is_gone_even_for_a_client_with_a_validator(
    member: Member, anonymous: APIClient
) -> None:
    chat_id = start_chat(member).json()["id"]
    tag = anonymous.get(f"/api/chats/{chat_id}/")["ETag"]

    member.client.delete(f"/api/chats/{chat_id}/")

    gone = anonymous.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=tag)
    assert gone.status_code == 404
    assert not gone.has_header("ETag")


def test_the_feed_is_public_for_a_moment_and_a_new_chat_changes_its_validator(
    member: Member, anonymous: APIClient
) -> None:
    start_chat(member)
    first = anonymous.get("/api/chats/")

    assert first["Cache-Control"] == "public, max-age=0, s-maxage=2"
    assert anonymous.get("/api/chats/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # The feed shows the same to everyone, so a member's request may be answered from it.
    assert member.client.get("/api/chats/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    start_chat(member)
    changed = anonymous.get("/api/chats/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert changed.status_code == 200
    assert len(changed.json()["results"]) == 2


def test_my_chats_stay_private(member: Member) -> None:
    start_chat(member)

    mine = member.client.get("/api/me/chats/")

    assert mine["Cache-Control"] == "private, no-cache"
    assert "authorization" in _vary(mine)
    assert member.client.get("/api/me/chats/", HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 304


@pytest.mark.django_db(transaction=True)
def test_conditional_gets_through_the_production_server(live_app: "LiveServer") -> None:
    call_command("seed_data", chats=3, turns_per_chat=2, members=2)
    with httpx.Client(base_url=live_app.url) as client:
        feed = client.get("/api/chats/")
        chat = client.get(f"/api/chats/{feed.json()['results'][0]['id']}/")
        again = client.get(chat.url, headers={"If-None-Match": chat.headers["ETag"]})
        feed_again = client.get("/api/chats/", headers={"If-None-Match": feed.headers["ETag"]})

    assert chat.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"
    assert "authorization" in chat.headers["Vary"].lower()
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["ETag"] == chat.headers["ETag"]
    assert feed_again.status_code == 304
