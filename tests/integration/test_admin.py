from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from adapters.orm.models import Member as MemberRow
from adapters.orm.models import ModerationAction, Report
from tests.integration.conftest import Member, start_chat
from tests.integration.verified import ensure_verified
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db


def test_staff_manage_members_chats_and_quota_in_the_admin(member: Member) -> None:
    start_chat(member)
    admin = MemberRow.objects.create_superuser("admin@example.com", "x", nickname="admin")
    browser = Client()
    browser.force_login(admin)

    for page in ("member", "chat", "turn", "dailyusage", "quotareservation"):
        assert browser.get(f"/admin/chatbot/{page}/").status_code == 200
    change = browser.get(f"/admin/chatbot/member/{member.id}/change/")
    assert change.status_code == 200
    assert b"daily_limit" in change.content


def test_the_admin_needs_staff(member: Member) -> None:
    browser = Client()
    browser.force_login(MemberRow.objects.get(pk=member.id))

    assert browser.get("/admin/chatbot/member/").status_code == 302


@pytest.fixture
def login_rate(monkeypatch: pytest.MonkeyPatch) -> int:
    """The API's login rate, pinned: the admin's login form counts against the same one."""
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "login": "10/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    return 10


def admin_login(browser: Client, email: str, password: str) -> Any:
    return browser.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def test_wrong_staff_passwords_at_the_admin_login_are_throttled(login_rate: int) -> None:
    MemberRow.objects.create_superuser("admin@example.com", "the right one", nickname="admin")
    browser = Client()

    wrong = [admin_login(browser, "admin@example.com", f"guess {n}").status_code for n in range(12)]
    right = admin_login(browser, "admin@example.com", "the right one")

    assert wrong == [200] * login_rate + [429] * (12 - login_rate)  # 200: the form again
    assert right.status_code == 429
    assert int(right["Retry-After"]) > 0
    assert "_auth_user_id" not in browser.session


def test_the_admin_login_is_throttled_by_account_across_addresses(login_rate: int) -> None:
    MemberRow.objects.create_superuser("admin@example.com", "the right one", nickname="admin")

    statuses = [
        admin_login(
            Client(REMOTE_ADDR=f"10.0.0.{n}"), "Admin@Example.com", f"guess {n}"
        ).status_code
        for n in range(login_rate + 1)
    ]
    other_account = admin_login(Client(REMOTE_ADDR="10.0.0.99"), "else@example.com", "guess")

    assert statuses == [200] * login_rate + [429]
    assert other_account.status_code == 200


def test_guesses_through_the_api_count_at_the_admin_login(login_rate: int) -> None:
    MemberRow.objects.create_superuser("admin@example.com", "the right one", nickname="admin")
    api = APIClient()
    for n in range(login_rate):
        guess = {"email": "admin@example.com", "password": f"guess {n}"}
        assert api.post("/api/auth/login/", guess, format="json").status_code == 401

    right = admin_login(Client(), "admin@example.com", "the right one")

    assert right.status_code == 429


@pytest.fixture
def staff() -> Client:
    browser = Client()
    browser.force_login(
        MemberRow.objects.create_superuser("mod@example.com", "x", nickname="moderator")
    )
    return browser


def act(browser: Client, action: str, *chat_ids: int, **fields: str) -> Any:
    return browser.post(
        "/admin/chatbot/reportedchat/",
        {"action": action, "_selected_action": [str(c) for c in chat_ids], **fields},
        follow=True,
    )


def queue_ids(browser: Client) -> list[int]:
    page = browser.get("/admin/chatbot/reportedchat/")
    assert page.status_code == 200
    return [chat.pk for chat in page.context["cl"].result_list]


def test_staff_work_the_queue_of_reported_chats(
    make_member: Callable[..., Member], inbox: Inbox, staff: Client
) -> None:
    owner = make_member()
    reporters = [ensure_verified(make_member(), inbox) for _ in range(2)]
    once, twice, never = (start_chat(owner).json()["id"] for _ in range(3))
    for member, chat_id, reason in (
        (reporters[0], once, "abuse"),
        (reporters[0], twice, "spam"),
        (reporters[1], twice, "spam"),
    ):
        url = f"/api/chats/{chat_id}/reports/"
        assert member.client.post(url, {"reason": reason}, format="json").status_code == 201

    assert queue_ids(staff) == [twice, once]  # most reported first; `never` is not there
    page = staff.get("/admin/chatbot/reportedchat/").content.decode()
    assert "spam (2)" in page
    assert "abuse (1)" in page
    detail = staff.get(f"/admin/chatbot/reportedchat/{twice}/change/")
    assert detail.status_code == 200
    assert b"spam" in detail.content
    assert never not in queue_ids(staff)

    # Hide needs a reason; without one nothing happens.
    refused = act(staff, "hide", twice, note="ads")
    assert b"Choose the reason" in refused.content
    assert APIClient().get(f"/api/chats/{twice}/").status_code == 200

    act(staff, "hide", twice, reason="spam", note="ads for a casino")
    assert APIClient().get(f"/api/chats/{twice}/").status_code == 404
    seen = owner.client.get(f"/api/chats/{twice}/").json()
    assert (seen["hidden"], seen["hidden_reason"]) == (True, "spam")
    assert twice in queue_ids(staff)  # hidden: still there, to restore

    act(staff, "restore", twice, note="appeal granted")
    assert APIClient().get(f"/api/chats/{twice}/").status_code == 200
    assert twice not in queue_ids(staff)  # its reports were closed as reviewed

    act(staff, "dismiss", once, note="not abuse")
    assert queue_ids(staff) == []
    assert not Report.objects.filter(closed_at__isnull=True).exists()

    assert owner.client.get("/api/me/").status_code == 200
    assert (
        reporters[0]
        .client.post(f"/api/chats/{never}/reports/", {"reason": "illegal"}, format="json")
        .status_code
        == 201
    )
    act(staff, "deactivate_author", never, note="repeat offender")
    assert owner.client.get("/api/me/").status_code == 401
    assert not MemberRow.objects.get(pk=owner.id).is_active

    log = list(
        ModerationAction.objects.order_by("id").values_list(
            "kind", "actor__nickname", "chat_id", "member_id", "reason", "note"
        )
    )
    assert log == [
        ("hide", "moderator", twice, owner.id, "spam", "ads for a casino"),
        ("restore", "moderator", twice, owner.id, "", "appeal granted"),
        ("dismiss", "moderator", once, owner.id, "", "not abuse"),
        ("deactivate", "moderator", never, owner.id, "", "repeat offender"),
    ]
    shown = staff.get("/admin/chatbot/moderationaction/")
    assert shown.status_code == 200
    for note in ("ads for a casino", "appeal granted", "not abuse", "repeat offender"):
        assert note in shown.content.decode()


def test_a_chat_hidden_by_reports_is_restored_or_confirmed_from_the_queue(
    make_member: Callable[..., Member], inbox: Inbox, staff: Client
) -> None:
    owner = make_member()
    reporters = [ensure_verified(make_member(), inbox) for _ in range(3)]
    restored, confirmed = start_chat(owner).json()["id"], start_chat(owner).json()["id"]
    for chat_id in (restored, confirmed):
        for member in reporters:
            url = f"/api/chats/{chat_id}/reports/"
            assert member.client.post(url, {"reason": "abuse"}, format="json").status_code == 201
    assert APIClient().get(f"/api/chats/{restored}/").status_code == 404
    assert "reports" in staff.get("/admin/chatbot/reportedchat/").content.decode()

    act(staff, "restore", restored)
    act(staff, "hide", confirmed, reason="abuse", note="confirmed")

    assert APIClient().get(f"/api/chats/{restored}/").status_code == 200
    assert owner.client.get(f"/api/chats/{confirmed}/").json()["hidden_reason"] == "abuse"
    kinds = list(ModerationAction.objects.order_by("id").values_list("kind", "actor__nickname"))
    assert kinds == [
        ("auto_hide", None),
        ("auto_hide", None),
        ("restore", "moderator"),
        ("hide", "moderator"),
    ]


def test_the_moderation_log_is_read_only(staff: Client, member: Member) -> None:
    chat_id = start_chat(member).json()["id"]
    entry = ModerationAction.objects.create(kind="hide", at=timezone.now(), chat_id=chat_id)

    assert staff.get("/admin/chatbot/moderationaction/add/").status_code == 403
    edit = staff.post(
        f"/admin/chatbot/moderationaction/{entry.pk}/change/", {"kind": "restore", "note": "x"}
    )
    assert edit.status_code == 403
    assert staff.post(f"/admin/chatbot/moderationaction/{entry.pk}/delete/").status_code == 403
    entry.refresh_from_db()
    assert (entry.kind, entry.note) == ("hide", "")


def test_the_queue_needs_staff(member: Member) -> None:
    browser = Client()
    browser.force_login(MemberRow.objects.get(pk=member.id))

    assert browser.get("/admin/chatbot/reportedchat/").status_code == 302
    assert act(browser, "hide", 1, reason="spam").redirect_chain[0][1] == 302
