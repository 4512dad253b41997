"""Readers who are not logged in get a generous rate per address (CHATBOT_ANON_READ_RATE);
members are not limited by it, and a 304 costs nothing against it."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.integration.conftest import Member, start_chat

RATE = 5


@pytest.fixture
def low_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "anon_read": f"{RATE}/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


def reader(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


@pytest.mark.usefixtures("low_rate")
def test_an_address_reads_the_archive_up_to_the_rate_then_waits(member: Member) -> None:
    chat_id = start_chat(member).json()["id"]
    visitor = reader("203.0.113.7")
    paths = [f"/api/chats/{chat_id}/", "/api/chats/"] * RATE

    statuses = [visitor.get(path).status_code for path in paths[:RATE]]
    refused = visitor.get(f"/api/chats/{chat_id}/")

    assert statuses == [200] * RATE
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert visitor.get("/api/chats/").status_code == 429  # the feed shares the count
    # Another address is not held back, nor is the intake every visitor's page starts with.
    assert reader("203.0.113.8").get(f"/api/chats/{chat_id}/").status_code == 200
    assert visitor.get("/api/chats/intake/").status_code == 200


@pytest.mark.usefixtures("low_rate")
def test_members_are_not_limited_by_it(member: Member) -> None:
    chat_id = start_chat(member).json()["id"]
    member.client.defaults["REMOTE_ADDR"] = "203.0.113.9"

    statuses = {member.client.get(f"/api/chats/{chat_id}/").status_code for _ in range(RATE * 3)}

    assert statuses == {200}
    assert reader("203.0.113.9").get("/api/chats/").status_code == 200


@pytest.mark.usefixtures("low_rate")
def test_a_304_is_not_counted(member: Member) -> None:
    chat_id = start_chat(member).json()["id"]
    visitor = reader("203.0.113.10")
    first = visitor.get(f"/api/chats/{chat_id}/")
    tag = first.headers["ETag"]

    revalidations = [
        visitor.get(f"/api/chats/{chat_id}/", HTTP_IF_NONE_MATCH=tag).status_code
        for _ in range(RATE * 3)
    ]

    assert revalidations == [304] * (RATE * 3)
    # One full read counted so far: RATE - 1 more are allowed, then no more.
    assert [visitor.get("/api/chats/").status_code for _ in range(RATE)] == [200] * (RATE - 1) + [
        429
    ]


def test_the_default_rate_is_generous(db: None) -> None:
    visitor = reader("203.0.113.11")

    assert {visitor.get("/api/chats/").status_code for _ in range(300)} == {200}
    assert visitor.get("/api/chats/").status_code == 429
