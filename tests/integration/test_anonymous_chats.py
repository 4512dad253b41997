"""A member may show a chat without their nickname: anonymous chats have no author in any
public answer, while their owner still sees them as theirs."""

from collections.abc import Callable

from rest_framework.test import APIClient

from tests.integration.conftest import INTAKE, Member, start_chat


def public_texts(chat_id: int, reader: APIClient) -> list[str]:
    """Every public answer that shows the chat: its page and the feed."""
    return [
        reader.get(f"/api/chats/{chat_id}/").content.decode(),
        reader.get("/api/chats/").content.decode(),
    ]


def test_an_anonymous_chat_shows_no_author_to_anyone_but_its_owner(
    make_member: Callable[..., Member],
) -> None:
    owner, other = make_member(nickname="quietwriter"), make_member()
    made = owner.client.post("/api/chats/", {**INTAKE, "anonymous": True}, format="json")
    assert made.status_code == 201
    chat_id = made.json()["id"]
    assert (made.json()["author"], made.json()["anonymous"]) == ({"nickname": "quietwriter"}, True)

    for reader in (APIClient(), other.client):
        page = reader.get(f"/api/chats/{chat_id}/").json()
        assert (page["author"], page["anonymous"]) == (None, True)
        item = reader.get("/api/chats/").json()["results"][0]
        assert (item["id"], item["author"], item["anonymous"]) == (chat_id, None, True)
        for text in public_texts(chat_id, reader):
            assert "quietwriter" not in text
    mine = owner.client.get("/api/me/chats/").json()["results"][0]
    assert (mine["author"], mine["anonymous"]) == ({"nickname": "quietwriter"}, True)
    assert owner.client.get(f"/api/chats/{chat_id}/").json()["author"] == {
        "nickname": "quietwriter"
    }


def test_the_profile_default_applies_unless_the_chat_says_otherwise(member: Member) -> None:
    assert member.client.get("/api/me/").json()["anonymous_by_default"] is False
    changed = member.client.patch("/api/me/", {"anonymous_by_default": True}, format="json")
    assert changed.json()["anonymous_by_default"] is True

    by_default = start_chat(member).json()
    named = member.client.post("/api/chats/", {**INTAKE, "anonymous": False}, format="json")

    assert by_default["anonymous"] is True
    assert named.json()["anonymous"] is False
    feed = {c["id"]: c["author"] for c in APIClient().get("/api/chats/").json()["results"]}
    assert feed == {by_default["id"]: None, named.json()["id"]: {"nickname": member.nickname}}


def test_the_owner_changes_it_later_and_cached_copies_are_not_reused(member: Member) -> None:
    owner = member
    chat_id = start_chat(owner).json()["id"]
    reader = APIClient()
    before = reader.get(f"/api/chats/{chat_id}/")
    feed_before = reader.get("/api/chats/")

    hidden = owner.client.patch(f"/api/chats/{chat_id}/", {"anonymous": True}, format="json")

    assert hidden.status_code == 200
    assert (hidden.json()["author"], hidden.json()["anonymous"]) == (
        {"nickname": owner.nickname},
        True,
    )
    again = reader.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=before.headers["ETag"])
    assert again.status_code == 200
    assert again.json()["author"] is None
    feed = reader.get("/api/chats/", HTTP_IF_NONE_MATCH=feed_before.headers["ETag"])
    assert feed.status_code == 200
    assert feed.json()["results"][0]["author"] is None

    shown = owner.client.patch(f"/api/chats/{chat_id}/", {"anonymous": False}, format="json")
    assert shown.json()["anonymous"] is False
    assert reader.get(f"/api/chats/{chat_id}/").json()["author"] == {"nickname": owner.nickname}


def test_only_the_owner_changes_it_and_only_with_a_boolean(
    make_member: Callable[..., Member],
) -> None:
    owner, other = make_member(), make_member()
    chat_id = start_chat(owner).json()["id"]
    path = f"/api/chats/{chat_id}/"

    assert other.client.patch(path, {"anonymous": True}, format="json").status_code == 403
    assert APIClient().patch(path, {"anonymous": True}, format="json").status_code == 401
    for body in ({}, {"anonymous": None}, {"anonymous": "maybe"}, {"anonymous": [True]}):
        refused = owner.client.patch(path, body, format="json")
        assert refused.status_code == 400, body
        assert refused.json()["code"] == "invalid"
    assert (
        owner.client.patch("/api/chats/999999/", {"anonymous": True}, format="json").json()["code"]
        == "chat_not_found"
    )
    assert APIClient().get(path).json()["anonymous"] is False


def test_the_export_keeps_the_choices(member: Member) -> None:
    member.client.patch("/api/me/", {"anonymous_by_default": True}, format="json")
    start_chat(member)

    exported = member.client.get("/api/me/export/").json()

    assert exported["profile"]["anonymous_by_default"] is True
    assert exported["chats"][0]["anonymous"] is True
    assert exported["chats"][0]["author"] == {"nickname": member.nickname}
