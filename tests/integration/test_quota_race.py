"""The daily quota is exact under real concurrency: simultaneous requests against a live_app with
several worker processes (and threads), on whichever database the run uses (SQLite by default,
PostgreSQL with DATABASE_URL). The requirement: "50 simultaneous chat requests from one member
with 4 left give exactly 4 answers and 46 quota errors"."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from adapters.orm.models import Chat, DailyUsage, QuotaReservation, Turn
from tests.integration.conftest import INTAKE
from tests.support.members import sign_up_and_log_in

if TYPE_CHECKING:
    # Imported by pytest_plugins below, so that pytest can rewrite its asserts.
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

LIMIT = 5
SHOTS = 50


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    return {"daily_limit": LIMIT, "workers": 4}


@dataclass(frozen=True)
class RemoteMember:
    id: int
    email: str
    access: str


@dataclass(frozen=True)
class Shot:
    member: RemoteMember
    path: str
    body: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    shot: Shot
    status: int
    headers: httpx.Headers
    body: Any

    def __str__(self) -> str:
        return f"{self.status} {self.shot.path}: {str(self.body)[:300]}"


def join(server: LiveServer, nickname: str) -> RemoteMember:
    """Sign up and log in through the server's API: a real member with a real JWT."""
    with server.client() as client:
        tokens = sign_up_and_log_in(client, nickname)
    return RemoteMember(id=tokens.id, email=tokens.email, access=tokens.access)


def start_chat(server: LiveServer, member: RemoteMember) -> int:
    with server.client(member.access) as client:
        started = client.post("/api/chats/", json=INTAKE)
    assert started.status_code == 201, started.text
    return int(started.json()["id"])


def send(server: LiveServer, member: RemoteMember, chat_id: int, content: str) -> None:
    with server.client(member.access) as client:
        sent = client.post(f"/api/chats/{chat_id}/messages/", json={"content": content})
    assert sent.status_code == 201, sent.text


def shots_for(member: RemoteMember, chat_id: int | None, count: int) -> list[Shot]:
    """Half new chats, half follow-ups in chat `chat_id`: both ways of spending the allowance.
    Without a chat, only new chats."""
    return [
        Shot(member, "/api/chats/", INTAKE)
        if chat_id is None or n % 2 == 0
        else Shot(member, f"/api/chats/{chat_id}/messages/", {"content": f"Question {n}?"})
        for n in range(count)
    ]


def fire_together(
    server: LiveServer, shots: Sequence[Shot], *, also: Sequence[LiveServer] = ()
) -> list[Outcome]:
    """Every shot from its own thread and connection, released at once by a barrier; with
    `also`, the shots are dealt out between `server` and those servers in turn."""
    barrier = threading.Barrier(len(shots))
    servers = [server, *also]
    where = {id(shot): servers[n % len(servers)] for n, shot in enumerate(shots)}

    def fire(shot: Shot) -> Outcome:
        with where[id(shot)].client(shot.member.access) as client:
            barrier.wait(timeout=30)
            answer = client.post(shot.path, json=shot.body)
        try:
            body = answer.json()
        except ValueError:
            body = answer.text
        return Outcome(shot, answer.status_code, answer.headers, body)

    with ThreadPoolExecutor(max_workers=len(shots)) as pool:
        return list(pool.map(fire, shots))


def explain(outcomes: Sequence[Outcome], server: LiveServer) -> str:
    odd = Counter(str(o) for o in outcomes if o.status not in (201, 429))
    listed = "".join(f"\n  {n} x {what}" for what, n in odd.most_common())
    return f"statuses {Counter(o.status for o in outcomes)}{listed}\n{server.tail()}"


def assert_exact(outcomes: Sequence[Outcome], answers: int, server: LiveServer) -> None:
    statuses = Counter(o.status for o in outcomes)
    assert statuses == {201: answers, 429: len(outcomes) - answers}, explain(outcomes, server)
    for outcome in outcomes:
        if outcome.status == 201:
            turn = outcome.body["turns"][0] if "turns" in outcome.body else outcome.body
            assert turn["status"] == "completed", outcome
            assert turn["answer"], outcome
        else:
            assert_quota_error(outcome)


def assert_quota_error(outcome: Outcome) -> None:
    assert outcome.body["code"] == "daily_quota_exceeded", outcome
    assert outcome.body["limit"] == LIMIT, outcome
    resets_at = datetime.fromisoformat(outcome.body["resets_at"])
    assert resets_at.tzinfo is not None, outcome
    wait = (resets_at - timezone.now()).total_seconds()
    assert 0 < wait <= 24 * 3600, outcome
    retry_after = outcome.headers["Retry-After"]
    assert retry_after.isdigit(), outcome
    # Computed when the answer was made, a moment ago: the two tell the same time.
    assert abs(int(retry_after) - math.ceil(wait)) <= 60, (retry_after, wait)


def assert_used_up(server: LiveServer, member: RemoteMember) -> None:
    with server.client(member.access) as client:
        me = client.get("/api/me/")
    assert me.status_code == 200, me.text
    quota = me.json()["quota"]
    assert (quota["limit"], quota["used"], quota["remaining"]) == (LIMIT, LIMIT, 0), quota


def assert_ledger(member: RemoteMember, chats: int, turns: int) -> None:
    """What the database holds, read by the test process through the ORM."""
    (usage,) = DailyUsage.objects.filter(member_id=member.id)
    assert usage.used == LIMIT
    reservations = QuotaReservation.objects.filter(member_id=member.id)
    assert reservations.count() == LIMIT
    assert not reservations.exclude(refunded_at=None).exists()
    mine = Turn.objects.filter(chat__member_id=member.id)
    assert Counter(mine.values_list("status", flat=True)) == {Turn.Status.COMPLETED: turns}
    assert Chat.objects.filter(member_id=member.id).count() == chats


def test_the_test_database_is_one_the_server_processes_can_open() -> None:
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        assert not connection.creation.is_in_memory_db(name), name
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    else:
        assert str(connection.settings_dict["NAME"]).startswith("test_")


def test_fifty_simultaneous_requests_with_four_left_get_four_answers(live_app: LiveServer) -> None:
    member = join(live_app, "racer")
    chat_id = start_chat(live_app, member)  # 1 of 5 used: 4 left

    outcomes = fire_together(live_app, shots_for(member, chat_id, SHOTS))

    assert_exact(outcomes, answers=LIMIT - 1, server=live_app)
    assert_used_up(live_app, member)
    new_chats = sum(1 for o in outcomes if o.status == 201 and o.shot.path == "/api/chats/")
    assert_ledger(member, chats=1 + new_chats, turns=LIMIT)


def test_two_members_racing_at_once_keep_their_own_counts(live_app: LiveServer) -> None:
    members = [join(live_app, "first"), join(live_app, "second")]
    chats = {}
    for member in members:  # 2 of 5 used each: 3 left each
        chats[member.id] = start_chat(live_app, member)
        send(live_app, member, chats[member.id], "A warm-up question?")
    shots = [shot for m in members for shot in shots_for(m, chats[m.id], SHOTS // 2)]

    outcomes = fire_together(live_app, shots)

    assert Counter(o.status for o in outcomes) == {201: 6, 429: 44}, explain(outcomes, live_app)
    for member in members:
        own = [o for o in outcomes if o.shot.member == member]
        assert_exact(own, answers=LIMIT - 2, server=live_app)
        assert_used_up(live_app, member)
        new_chats = sum(1 for o in own if o.status == 201 and o.shot.path == "/api/chats/")
        assert_ledger(member, chats=1 + new_chats, turns=LIMIT)


def test_the_first_requests_of_the_day_race_to_create_the_counter(live_app: LiveServer) -> None:
    member = join(live_app, "early")  # no counter row yet: every request tries to create it

    outcomes = fire_together(live_app, shots_for(member, None, SHOTS))

    assert_exact(outcomes, answers=LIMIT, server=live_app)
    assert_used_up(live_app, member)
    assert_ledger(member, chats=LIMIT, turns=LIMIT)


def test_two_app_servers_on_one_database_keep_the_quota_exact(
    live_app: LiveServer, start_app_server: Any
) -> None:
    # Stateless app servers behind a load balancer share only the database, and that is enough.
    with start_app_server(daily_limit=LIMIT, workers=2) as second:
        assert second.port != live_app.port
        member = join(live_app, "balanced")
        chat_id = start_chat(second, member)  # 4 left

        outcomes = fire_together(live_app, shots_for(member, chat_id, SHOTS), also=[second])

    assert_exact(outcomes, answers=LIMIT - 1, server=live_app)
    assert_used_up(live_app, member)
