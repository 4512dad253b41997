from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from adapters.orm.models import Member as MemberRow
from tests.integration.conftest import Member, start_chat

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
