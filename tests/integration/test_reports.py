"""Reports and moderation over HTTP (docs/security.md, "Reports and moderation"): who may
report, once; a hidden chat exists for its owner and staff alone; enough reports hide a chat
at once, also when they race."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from adapters.clock import SystemClock
from adapters.orm.models import Chat as ChatRow
from adapters.orm.models import Member as MemberRow
from adapters.orm.models import ModerationAction, Report
from adapters.orm.unit_of_work import DjangoUnitOfWork
from application.moderation import HideChat, HideChatInput
from tests.integration.conftest import Member, start_chat
from tests.integration.verified import verified_maker
from tests.support.members import PASSWORD
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(make_member: Callable[..., Member], inbox: Inbox) -> Callable[..., Member]:
    return verified_maker(make_member, inbox)


def report(member: Member, chat_id: int, reason: str = "spam", **extra: Any) -> Any:
    return member.client.post(
        f"/api/chats/{chat_id}/reports/", {"reason": reason, **extra}, format="json"
    )


def hide(chat_id: int, reason: str = "abuse") -> None:
    """Staff's hide, through the use case the admin calls (the admin's own tests drive it)."""
    staff = MemberRow.objects.create_superuser(
        f"staff{chat_id}@example.com", "x", nickname=f"staff{chat_id}"
    )
    HideChat(DjangoUnitOfWork(), SystemClock())(
        HideChatInput(chat_id=chat_id, actor=staff.pk, note="test", reason=reason)
    )


def test_a_verified_member_reports_another_members_chat_once(
    verified: Callable[..., Member],
) -> None:
    owner, reader = verified(), verified()
    chat_id = start_chat(owner).json()["id"]

    first = report(reader, chat_id, "personal_data", detail="  my phone number is in it  ")
    again = report(reader, chat_id, "abuse")

    assert first.status_code == 201, first.json()
    assert first.json()["chat_id"] == chat_id
    assert (first.json()["reason"], first.json()["detail"]) == (
        "personal_data",
        "my phone number is in it",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_reported"
    stored = Report.objects.get()
    assert (stored.chat_id, stored.member_id, stored.reason) == (
        chat_id,
        reader.id,
        "personal_data",
    )


def test_who_may_not_report(
    verified: Callable[..., Member], make_member: Callable[..., Member]
) -> None:
    owner = verified()
    chat_id = start_chat(owner).json()["id"]
    unverified = make_member()
    MemberRow.objects.filter(pk=unverified.id).update(email_verified=False)

    anonymous = APIClient().post(f"/api/chats/{chat_id}/reports/", {"reason": "spam"})
    not_verified = report(unverified, chat_id)
    own = report(owner, chat_id)
    unknown = report(verified(), chat_id + 1000)

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert (not_verified.status_code, not_verified.json()["code"]) == (403, "email_unverified")
    assert (own.status_code, own.json()["code"]) == (403, "own_chat")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "chat_not_found")
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": "boring"}, {"reason": "spam", "detail": "x" * 1001}, {"reason": 3}],
    ids=["no reason", "unknown reason", "detail too long", "not text"],
)
def test_a_bad_report_is_400_and_stores_nothing(
    verified: Callable[..., Member], body: dict[str, Any]
) -> None:
    owner, reader = verified(), verified()
    chat_id = start_chat(owner).json()["id"]

    response = reader.client.post(f"/api/chats/{chat_id}/reports/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Report.objects.exists()


def test_reports_are_throttled_per_member(
    verified: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "report": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    owner, reader, another = verified(), verified(), verified()
    chats = [start_chat(owner).json()["id"] for _ in range(3)]

    statuses = [report(reader, chat_id).status_code for chat_id in chats]
    others = report(another, chats[2])

    assert statuses == [201, 201, 429]
    assert int(report(reader, chats[2])["Retry-After"]) > 0
    assert others.status_code == 201  # another member, from the same address


def hidden_for_everyone_else(chat_id: int, readers: list[APIClient]) -> None:
    for reader in readers:
        page = reader.get(f"/api/chats/{chat_id}/")
        assert (page.status_code, page.json()["code"]) == (404, "chat_not_found")
        assert page["Cache-Control"] == "no-store"
        assert chat_id not in [c["id"] for c in reader.get("/api/chats/").json()["results"]]
        # Not even a validator: a copy's ETag gets the same 404.
        revalidated = reader.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH='W/"x", *')
        assert revalidated.status_code == 404


def test_three_verified_members_reports_hide_a_chat_at_once(
    verified: Callable[..., Member],
) -> None:
    owner = verified()
    chat_id = start_chat(owner).json()["id"]
    reporters = [verified() for _ in range(3)]
    public_tag = APIClient().get(f"/api/chats/{chat_id}/")["ETag"]

    assert report(reporters[0], chat_id).status_code == 201
    assert report(reporters[1], chat_id, "abuse").status_code == 201
    assert APIClient().get(f"/api/chats/{chat_id}/").status_code == 200
    assert report(reporters[2], chat_id, "other").status_code == 201

    hidden_for_everyone_else(chat_id, [APIClient(), reporters[0].client, verified().client])
    stale = APIClient().get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=public_tag)
    assert stale.status_code == 404
    assert report(verified(), chat_id).json()["code"] == "chat_not_found"
    row = ChatRow.objects.get(pk=chat_id)
    assert (row.hidden_reason, row.hidden_by_id) == ("reports", None)
    assert row.hidden_at is not None
    logged = ModerationAction.objects.get()
    assert (logged.kind, logged.actor_id, logged.chat_id, logged.member_id) == (
        "auto_hide",
        None,
        chat_id,
        owner.id,
    )


def test_the_owner_sees_their_hidden_chat_marked_and_may_only_delete_it(
    verified: Callable[..., Member],
) -> None:
    owner = verified()
    chat_id = start_chat(owner).json()["id"]
    visible = owner.client.get(f"/api/chats/{chat_id}/")
    assert (visible.json()["hidden"], visible.json()["hidden_reason"]) == (False, None)

    hide(chat_id, "personal_data")

    page = owner.client.get(f"/api/chats/{chat_id}/")
    assert page.status_code == 200
    assert (page.json()["hidden"], page.json()["hidden_reason"]) == (True, "personal_data")
    assert page["Cache-Control"] == "private, no-store"
    # The owner's copy from before changed: its validator does not match any more.
    assert (
        owner.client.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=visible["ETag"]).status_code
        == 200
    )
    mine = owner.client.get("/api/me/chats/").json()["results"]
    assert [(c["id"], c["hidden"], c["hidden_reason"]) for c in mine] == [
        (chat_id, True, "personal_data")
    ]
    message = owner.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": "Anyone there?"}, format="json"
    )
    assert (message.status_code, message.json()["code"]) == (403, "chat_hidden")
    streamed = owner.client.post(
        f"/api/chats/{chat_id}/messages/",
        {"content": "Anyone there?"},
        format="json",
        HTTP_ACCEPT="text/event-stream",
    )
    assert streamed.status_code == 403
    patched = owner.client.patch(f"/api/chats/{chat_id}/", {"anonymous": True}, format="json")
    assert (patched.status_code, patched.json()["code"]) == (403, "chat_hidden")
    assert owner.client.get("/api/me/").json()["quota"]["used"] == 1

    assert owner.client.delete(f"/api/chats/{chat_id}/").status_code == 204
    assert not ChatRow.objects.filter(pk=chat_id).exists()


def test_others_cannot_touch_a_hidden_chat(verified: Callable[..., Member]) -> None:
    owner, other = verified(), verified()
    chat_id = start_chat(owner).json()["id"]
    hide(chat_id)

    write = other.client.post(f"/api/chats/{chat_id}/messages/", {"content": "hi"}, format="json")
    patch = other.client.patch(f"/api/chats/{chat_id}/", {"anonymous": True}, format="json")
    delete = other.client.delete(f"/api/chats/{chat_id}/")
    turn = ChatRow.objects.get(pk=chat_id).turns.get().pk
    stop = other.client.post(f"/api/chats/{chat_id}/turns/{turn}/stop/")

    assert [r.status_code for r in (write, patch, delete, stop)] == [404, 404, 404, 404]
    assert ChatRow.objects.filter(pk=chat_id).exists()


def test_staff_with_a_token_see_a_hidden_chat(verified: Callable[..., Member]) -> None:
    owner = verified()
    chat_id = start_chat(owner).json()["id"]
    hide(chat_id, "spam")
    MemberRow.objects.create_user("mod@example.com", PASSWORD, nickname="mod", is_staff=True)
    access = (
        APIClient()
        .post("/api/auth/login/", {"email": "mod@example.com", "password": PASSWORD}, format="json")
        .json()["access"]
    )
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    page = staff.get(f"/api/chats/{chat_id}/")

    assert page.status_code == 200
    assert (page.json()["hidden"], page.json()["hidden_reason"]) == (True, "spam")
    assert page["Cache-Control"] == "private, no-store"
    assert staff.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=page["ETag"]).status_code == 304
    assert chat_id not in [c["id"] for c in staff.get("/api/chats/").json()["results"]]


def test_unverified_or_dismissed_reports_do_not_count(
    verified: Callable[..., Member], make_member: Callable[..., Member], inbox: Inbox
) -> None:
    owner = verified()
    chat_id = start_chat(owner).json()["id"]
    first, second = verified(), verified()
    assert report(first, chat_id).status_code == 201
    assert report(second, chat_id).status_code == 201
    # One of them lost their verified address since (an email change, say): not counted.
    MemberRow.objects.filter(pk=second.id).update(email_verified=False)

    assert report(verified(), chat_id).status_code == 201

    assert APIClient().get(f"/api/chats/{chat_id}/").status_code == 200
    assert report(verified(), chat_id).status_code == 201
    assert APIClient().get(f"/api/chats/{chat_id}/").status_code == 404


def test_the_threshold_is_configurable(verified: Callable[..., Member], container: Any) -> None:
    container.config.reports_to_hide.override(1)
    owner = verified()
    chat_id = start_chat(owner).json()["id"]

    assert report(verified(), chat_id).status_code == 201

    assert APIClient().get(f"/api/chats/{chat_id}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_racing_reports_hide_the_chat_however_they_interleave(
    verified: Callable[..., Member],
) -> None:
    # Three reporters at once, each in its own thread and database connection: without the
    # chat's lock each would count the reports committed before it began, two, and none hide.
    owner = verified()
    reporters = [verified() for _ in range(3)]
    rounds = 3 if connection.vendor == "postgresql" else 1
    for _ in range(rounds):
        chat_id = start_chat(owner).json()["id"]
        barrier = threading.Barrier(len(reporters))
        statuses: list[int] = []

        def send(
            member: Member,
            chat_id: int = chat_id,
            barrier: threading.Barrier = barrier,
            statuses: list[int] = statuses,
        ) -> None:
            try:
                barrier.wait()
                statuses.append(report(member, chat_id).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=send, args=(m,)) for m in reporters]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert statuses == [201, 201, 201]
        assert APIClient().get(f"/api/chats/{chat_id}/").status_code == 404
        assert ModerationAction.objects.filter(chat_id=chat_id, kind="auto_hide").count() == 1
