"""GET /api/me/usage/: the member's receipts from the quota ledger, from real chat requests
through the OpenAI adapter and a fake OpenAI on loopback (answers and failures). Stopped
answers need a streaming server: test_usage_live.py."""

from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from adapters.llm.openai_compatible import OpenAIChatModel
from django_project.container import Container
from tests.integration.conftest import Configure, Member, start_chat
from tests.support.fake_openai import Fail, FakeOpenAI, Reply, fake_openai_fixture  # noqa: F401
from tests.unit.fakes import FakeClock

pytestmark = pytest.mark.django_db(transaction=True)
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def upstream(configure: Configure, fake_openai: FakeOpenAI) -> FakeOpenAI:
    configure(
        model=OpenAIChatModel(
            api_key="sk-test", base_url=fake_openai.base_url, timeout_s=2, max_retries=0
        ),
        model_name="gpt-test",
    )
    fake_openai.default = Reply("A fine answer.")
    return fake_openai


def usage(member: Member, query: str = "") -> Any:
    response = member.client.get(f"/api/me/usage/{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_receipts_show_each_request_with_its_chat_time_and_outcome(
    member: Member, upstream: FakeOpenAI
) -> None:
    upstream.script(Reply("First."), Fail(500), Reply("Third."))
    first = start_chat(member).json()
    failed = member.client.post(
        f"/api/chats/{first['id']}/messages/", {"content": "And then?"}, format="json"
    )
    third = member.client.post(
        f"/api/chats/{first['id']}/messages/", {"content": "Again?"}, format="json"
    )
    assert (failed.status_code, third.status_code) == (502, 201)

    seen = usage(member)
    profile = member.client.get("/api/me/").json()["quota"]

    assert seen["today"] == profile == {**profile, "used": 2, "limit": 5}
    (today,) = seen["days"]
    resets_at = datetime.fromisoformat(profile["resets_at"])
    assert today["day"] == seen["last_day"] == (resets_at.date() - timedelta(days=1)).isoformat()
    assert (today["used"], today["refunded"]) == (2, 1)
    chat = {"id": first["id"], "title": first["title"]}
    assert [(r["outcome"], r["chat"]) for r in today["receipts"]] == [
        ("charged", chat),
        ("refunded", chat),
        ("charged", chat),
    ]
    times = [datetime.fromisoformat(r["at"]) for r in today["receipts"]]
    assert times == sorted(times, reverse=True)
    assert all(t.utcoffset() == timedelta(hours=9) for t in times)  # the quota's time zone


def test_a_deleted_chat_keeps_its_receipt_without_the_chat(
    member: Member, upstream: FakeOpenAI
) -> None:
    chat_id = start_chat(member).json()["id"]
    member.client.delete(f"/api/chats/{chat_id}/")

    (today,) = usage(member)["days"]

    assert [(r["outcome"], r["chat"]) for r in today["receipts"]] == [("charged", None)]
    assert today["used"] == 1


def test_a_member_sees_only_their_own_requests(
    make_member: Callable[..., Member], upstream: FakeOpenAI
) -> None:
    mine, theirs = make_member(), make_member()
    start_chat(theirs)
    start_chat(theirs)
    own = start_chat(mine).json()

    (today,) = usage(mine)["days"]

    assert [r["chat"]["id"] for r in today["receipts"]] == [own["id"]]
    assert usage(mine)["today"]["used"] == 1


@pytest.mark.parametrize("days", ["0", "91", "-1", "1.5", "abc", "", "1e1", "٣"])
def test_days_is_1_to_90(member: Member, days: str) -> None:
    refused = member.client.get(f"/api/me/usage/?days={days}")

    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid"
    assert "days" in refused.json()["errors"]


def test_usage_needs_a_login(anonymous: APIClient) -> None:
    refused = anonymous.get("/api/me/usage/")

    assert refused.status_code == 401


@pytest.fixture
def read_clock(container: Container) -> Iterator[Callable[[datetime], None]]:
    """Pin the clock the usage read takes `today` from (requests are made before, at real
    time)."""

    def pin(at: datetime) -> None:
        container.clock.override(FakeClock(at))

    yield pin
    container.clock.reset_override()


def test_the_window_is_calendar_days_in_seoul_ending_today(
    member: Member, upstream: FakeOpenAI, read_clock: Callable[[datetime], None]
) -> None:
    start_chat(member)
    made_on = usage(member)["last_day"]
    # The next midnight in Seoul (15:00 UTC): the request's day ends there, wherever UTC is.
    next_midnight = datetime.combine(
        datetime.fromisoformat(made_on).date() + timedelta(days=1), time.min, tzinfo=SEOUL
    )

    read_clock(next_midnight - timedelta(seconds=1))
    same_day = usage(member, "?days=1")
    read_clock(next_midnight + timedelta(seconds=1))
    next_day_today_only = usage(member, "?days=1")
    next_day_two_days = usage(member, "?days=2")
    # Today is the 90th day from the request's: the last that a 90-day window reaches.
    read_clock(next_midnight + timedelta(days=88, hours=23))
    ninety = usage(member, "?days=90")
    read_clock(next_midnight + timedelta(days=89, seconds=1))
    ninety_one = usage(member, "?days=90")

    assert [d["day"] for d in same_day["days"]] == [made_on]
    assert same_day["today"]["used"] == 1
    assert next_day_today_only["days"] == []
    assert next_day_today_only["today"]["used"] == 0
    assert [d["day"] for d in next_day_two_days["days"]] == [made_on]
    assert next_day_two_days["first_day"] == made_on
    assert [d["day"] for d in ninety["days"]] == [made_on]
    assert ninety_one["days"] == []


def test_a_usage_read_is_a_fixed_number_of_queries(
    member: Member, upstream: FakeOpenAI, django_assert_num_queries: Any
) -> None:
    # The member (authentication, then the use case's check), the receipts, the day counts.
    start_chat(member)
    with django_assert_num_queries(4):
        member.client.get("/api/me/usage/")
    for _ in range(3):
        start_chat(member)
    with django_assert_num_queries(4):
        many = member.client.get("/api/me/usage/")

    assert len(many.json()["days"][0]["receipts"]) == 4
