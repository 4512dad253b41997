import pytest
from django.test import Client

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
