"""A member's own account over HTTP with real JWTs: changing the password, logging out
everywhere, exporting their data and deleting the account (with the day's allowance kept
under a keyed hash of the email)."""

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from adapters.orm.models import Chat, DailyUsage, DepartedUsage, SocialAccount
from adapters.orm.models import Member as MemberRow
from django_project.api.authentication import AUTH_TIME, MemberRefreshToken
from tests.integration.conftest import INTAKE, Member, log_in, sign_up, start_chat
from tests.support.members import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase"


def refresh(token: str) -> Any:
    return APIClient().post("/api/auth/refresh/", {"refresh": token}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def change_password(member: Member, current: str = PASSWORD, new: str = NEW_PASSWORD) -> Any:
    body = {"current_password": current, "new_password": new}
    return member.client.post("/api/me/password/", body, format="json")


def delete_account(client: APIClient, **body: str) -> Any:
    return client.delete("/api/me/", body, format="json")


def ask(member: Member, chat_id: int, content: str = "And then?") -> Any:
    return member.client.post(
        f"/api/chats/{chat_id}/messages/", {"content": content}, format="json"
    )


def provider_member(make_member: Callable[..., Member]) -> Member:
    """A member as a provider login makes them: no usable password, a linked account."""
    member = make_member()
    row = MemberRow.objects.get(pk=member.id)
    row.set_unusable_password()
    row.save()
    SocialAccount.objects.create(member=row, provider="github", account_id="4242")
    return member


def logged_in_ago(member_id: int, seconds: int) -> APIClient:
    """A client whose access token comes from a login `seconds` ago."""
    token = MemberRefreshToken.for_user(MemberRow.objects.get(pk=member_id))
    token[AUTH_TIME] = int(time.time()) - seconds
    return bearer(str(token.access_token))


# POST /api/me/password/


def test_a_new_password_revokes_every_other_login_and_answers_a_working_pair(
    member: Member,
) -> None:
    other_device = log_in(APIClient(), member.email).json()

    changed = change_password(member)

    assert changed.status_code == 200, changed.json()
    assert set(changed.json()) == {"access", "refresh"}
    assert refresh(member.refresh).status_code == 401
    assert refresh(other_device["refresh"]).status_code == 401
    assert refresh(changed.json()["refresh"]).status_code == 200
    assert bearer(changed.json()["access"]).get("/api/me/").status_code == 200
    assert log_in(APIClient(), member.email).status_code == 401
    assert log_in(APIClient(), member.email, NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_changes_nothing(member: Member) -> None:
    response = change_password(member, current="not my password at all")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "current_password" in response.json()["errors"]
    assert refresh(member.refresh).status_code == 200
    assert log_in(APIClient(), member.email).status_code == 200


def test_the_new_password_must_pass_the_validators(member: Member) -> None:
    response = change_password(member, new="short")

    assert response.status_code == 400
    assert "new_password" in response.json()["errors"]
    assert log_in(APIClient(), member.email).status_code == 200


def test_guessing_the_current_password_is_throttled_like_a_login(
    member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fixture's login was the first of four.
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "login": "4/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)

    statuses = [change_password(member, current=f"guess {n}").status_code for n in range(3)]
    refused = change_password(member)

    assert statuses == [400, 400, 400]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert "Retry-After" in refused
    assert log_in(APIClient(), member.email).status_code == 429  # the same account's budget


def test_a_member_without_a_password_is_told_so(make_member: Callable[..., Member]) -> None:
    member = provider_member(make_member)

    response = change_password(member)

    assert response.status_code == 400
    assert response.json()["code"] == "no_password"


# POST /api/auth/logout/all/


def test_logging_out_everywhere_revokes_every_devices_refresh_token(member: Member) -> None:
    other_device = log_in(APIClient(), member.email).json()
    rotated = refresh(other_device["refresh"]).json()

    response = member.client.post("/api/auth/logout/all/")

    assert response.status_code == 204
    assert refresh(member.refresh).status_code == 401
    assert refresh(rotated["refresh"]).status_code == 401
    # Access tokens run out on their own (CHATBOT_ACCESS_MINUTES).
    assert bearer(rotated["access"]).get("/api/me/").status_code == 200
    assert log_in(APIClient(), member.email).status_code == 200


# GET /api/me/export/


def test_the_export_holds_the_private_profile_usage_and_every_turn(
    make_member: Callable[..., Member],
) -> None:
    member = make_member(born_year=1990, job="export-job-marker")
    other = make_member(job="someone-elses-job")
    first = start_chat(member).json()["id"]
    ask(member, first)
    second = start_chat(member, goal="Run a marathon.").json()["id"]
    theirs = start_chat(other).json()["id"]

    response = member.client.get("/api/me/export/")

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="chatbot-export-')
    assert disposition.endswith('.json"')
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    profile = data["profile"]
    assert (profile["email"], profile["born_year"], profile["job"]) == (
        member.email,
        1990,
        "export-job-marker",
    )
    assert profile["email_verified"] is True
    assert profile["date_joined"]
    assert data["linked_providers"] == []
    # What the member agreed to at sign-up, with the versions in force and the time.
    consents = data["consents"]
    assert [(c["what"], c["version"]) for c in consents] == [
        ("terms", "1"),
        ("privacy", "1"),
        ("over_14", "1"),
    ]
    joined = datetime.fromisoformat(profile["date_joined"])
    assert all(datetime.fromisoformat(c["given_at"]) >= joined for c in consents)
    assert [u["used"] for u in data["daily_usage"]] == [3]
    # Named for the product's day (Asia/Seoul here), the day its usage counts in, not UTC's.
    assert disposition.endswith(f'filename="chatbot-export-{data["daily_usage"][0]["day"]}.json"')
    chats = {chat["id"]: chat for chat in data["chats"]}
    assert set(chats) == {first, second}
    assert [len(chats[first]["turns"]), len(chats[second]["turns"])] == [2, 1]
    assert [p["answer"] for p in chats[second]["intake"]][:2] == [
        INTAKE["current_state"],
        "Run a marathon.",
    ]
    system = chats[first]["turns"][0]["exchange"]["request"]["messages"]
    assert any("export-job-marker" in m["content"] for m in system if m["role"] == "system")
    text = response.content.decode()
    assert other.email not in text
    assert "someone-elses-job" not in text
    assert theirs not in chats


def test_the_export_costs_no_query_per_turn(member: Member) -> None:
    chat = start_chat(member).json()["id"]
    with CaptureQueriesContext(connection) as one_turn:
        assert member.client.get("/api/me/export/").status_code == 200
    for n in range(3):
        assert ask(member, chat, f"More {n}?").status_code == 201

    with CaptureQueriesContext(connection) as four_turns:
        assert member.client.get("/api/me/export/").status_code == 200

    assert len(four_turns) == len(one_turn)


def test_the_export_lists_provider_links(make_member: Callable[..., Member]) -> None:
    member = provider_member(make_member)

    assert member.client.get("/api/me/export/").json()["linked_providers"] == ["github"]


# DELETE /api/me/


def test_a_wrong_password_deletes_nothing(member: Member) -> None:
    chat = start_chat(member).json()["id"]

    for body in ({"password": "not my password"}, {}):
        response = delete_account(member.client, **body)
        assert response.status_code == 400
        assert "password" in response.json()["errors"]

    assert APIClient().get(f"/api/chats/{chat}/").status_code == 200
    assert member.client.get("/api/me/").status_code == 200
    assert refresh(member.refresh).status_code == 200


def test_leaving_deletes_chats_profile_and_every_token(
    member: Member, make_member: Callable[..., Member]
) -> None:
    chat = start_chat(member).json()["id"]
    stays = start_chat(make_member()).json()["id"]
    other_device = log_in(APIClient(), member.email).json()

    response = delete_account(member.client, password=PASSWORD)

    assert response.status_code == 204
    assert APIClient().get(f"/api/chats/{chat}/").status_code == 404
    feed = [c["id"] for c in APIClient().get("/api/chats/").json()["results"]]
    assert feed == [stays]
    for access in (member.access, other_device["access"]):
        assert bearer(access).get("/api/me/").status_code == 401
        assert bearer(access).post("/api/chats/", INTAKE, format="json").status_code == 401
        assert bearer(access).get("/api/me/export/").status_code == 401
    for token in (member.refresh, other_device["refresh"]):
        assert refresh(token).status_code == 401
    assert log_in(APIClient(), member.email).status_code == 401
    assert not MemberRow.objects.filter(pk=member.id).exists()
    assert not Chat.objects.filter(member_id=member.id).exists()
    assert not DailyUsage.objects.filter(member_id=member.id).exists()


def test_the_days_allowance_survives_leaving_and_signing_up_again(
    make_member: Callable[..., Member],
) -> None:
    member = make_member(email="Leaver@Example.com")
    chat = start_chat(member).json()["id"]
    assert ask(member, chat).status_code == 201
    assert ask(member, chat).status_code == 201
    assert delete_account(member.client, password=PASSWORD).status_code == 204
    # Only a keyed hash of the address is kept.
    assert not DepartedUsage.objects.filter(email_hash__icontains="leaver").exists()

    again = make_member(email="leaver@example.com ")
    stranger = make_member(email="someone.else@example.com")

    assert again.client.get("/api/me/").json()["quota"]["remaining"] == 2
    assert stranger.client.get("/api/me/").json()["quota"]["remaining"] == 5
    chat = start_chat(again).json()["id"]
    assert ask(again, chat).status_code == 201
    assert ask(again, chat).status_code == 429


def test_leaving_twice_in_a_day_keeps_the_latest_count(make_member: Callable[..., Member]) -> None:
    first = make_member(email="twice@example.com")
    start_chat(first)
    assert delete_account(first.client, password=PASSWORD).status_code == 204
    second = make_member(email="twice@example.com")
    start_chat(second)
    assert delete_account(second.client, password=PASSWORD).status_code == 204

    third = make_member(email="twice@example.com")

    assert third.client.get("/api/me/").json()["quota"]["used"] == 2


def test_a_member_without_a_password_confirms_with_their_nickname_after_a_fresh_login(
    make_member: Callable[..., Member],
) -> None:
    member = provider_member(make_member)
    stale = logged_in_ago(member.id, 11 * 60)
    fresh = logged_in_ago(member.id, 60)

    wrong = delete_account(fresh, confirm="not-my-nickname")
    too_old = delete_account(stale, confirm=member.nickname)
    deleted = delete_account(fresh, confirm=member.nickname)

    assert wrong.status_code == 400
    assert "confirm" in wrong.json()["errors"]
    assert too_old.status_code == 400
    assert too_old.json()["code"] == "login_too_old"
    assert deleted.status_code == 204
    assert not MemberRow.objects.filter(pk=member.id).exists()
    assert not SocialAccount.objects.filter(account_id="4242").exists()


def test_a_token_without_a_login_time_cannot_delete_a_passwordless_account(
    make_member: Callable[..., Member],
) -> None:
    member = provider_member(make_member)
    token = MemberRefreshToken.for_user(MemberRow.objects.get(pk=member.id))
    del token[AUTH_TIME]

    response = delete_account(bearer(str(token.access_token)), confirm=member.nickname)

    assert response.status_code == 400
    assert response.json()["code"] == "login_too_old"
    assert MemberRow.objects.filter(pk=member.id).exists()


def test_signing_up_after_leaving_works_with_the_same_email_and_nickname(
    make_member: Callable[..., Member],
) -> None:
    member = make_member()
    assert delete_account(member.client, password=PASSWORD).status_code == 204

    again = sign_up(APIClient(), email=member.email, nickname=member.nickname)

    assert again.status_code == 201, again.json()
