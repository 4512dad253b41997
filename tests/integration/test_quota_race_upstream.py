"""The daily quota stays exact with everything happening at once: one member with k requests
left sends 100 simultaneous requests over three server processes (new chats and follow-ups,
plain and streamed), and the model fails some of them. Failed answers give their request back,
so over the day the member gets exactly `LIMIT` answers, never one more, and `used` always
equals the answers given.

A failed request holds its reservation until the model's error comes back, so in the burst a
request can be refused (429) while a slot is about to be refunded: the burst itself may give
fewer than k answers, never more. What is left is then spent one request at a time, and exactly
the rest is given."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from adapters.orm.models import DailyUsage, QuotaReservation, Turn
from tests.integration.conftest import INTAKE
from tests.support.fake_openai import Fail, FakeOpenAI, Reply, Wire
from tests.support.members import openai_upstream, sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

LIMIT = 8
SHOTS = 100
FAIL = "PLEASE-FAIL"
MODEL = "gpt-race"


class FailWhenAsked:
    """The model: an upstream 500 when the newest message asks for it, else an answer (streamed
    when the request asks for a stream). Decided per request, whatever order they arrive in."""

    def respond(self, wire: Wire) -> None:
        body = wire.request.body if isinstance(wire.request.body, dict) else {}
        messages = body.get("messages") or [{}]
        (Fail(500) if FAIL in str(messages[-1].get("content")) else Reply("An answer.")).respond(
            wire
        )


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=FailWhenAsked()) as fake:  # type: ignore[arg-type]
        yield fake


@pytest.fixture(scope="module")
def app_server_options(upstream: FakeOpenAI) -> dict[str, Any]:
    return {
        "daily_limit": LIMIT,
        "workers": 2,
        "env": openai_upstream(upstream.base_url, model=MODEL),
    }


@dataclass(frozen=True)
class Shot:
    path: str
    body: dict[str, str]
    stream: bool
    fails: bool


@dataclass(frozen=True)
class Outcome:
    shot: Shot
    status: int
    kind: str  # "answer", "quota", "upstream" or anything unexpected
    body: Any

    def __str__(self) -> str:
        return f"{self.status} {self.kind} {self.shot}: {str(self.body)[:200]}"


def shots(chat_id: int) -> list[Shot]:
    """Every combination in turn: new chat or follow-up, plain or streamed, failing or not."""
    made = []
    for n in range(SHOTS):
        fails = n % 3 == 0
        marker = f" {FAIL}" if fails else ""
        if n % 2:
            body = {**INTAKE, "goal": f"Goal {n}.{marker}"}
            path = "/api/chats/"
        else:
            body = {"content": f"Question {n}?{marker}"}
            path = f"/api/chats/{chat_id}/messages/"
        made.append(Shot(path, body, stream=n % 4 < 2, fails=fails))
    return made


def events(text: str) -> list[tuple[str, Any]]:
    found = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        name = next((ln.removeprefix("event: ") for ln in lines if ln.startswith("event: ")), None)
        data = next((ln.removeprefix("data: ") for ln in lines if ln.startswith("data: ")), None)
        if name and data is not None:
            found.append((name, json.loads(data)))
    return found


def classify(shot: Shot, answer: httpx.Response) -> Outcome:
    if answer.headers.get("content-type", "").startswith("text/event-stream"):
        seen = events(answer.text)
        name, data = seen[-1] if seen else ("nothing", answer.text)
        if name == "done" and data["status"] == "completed" and data["answer"]:
            return Outcome(shot, answer.status_code, "answer", data)
        if name == "error" and data["code"] == "upstream_error":
            return Outcome(shot, answer.status_code, "upstream", data)
        return Outcome(shot, answer.status_code, f"stream ended with {name}", data)
    body = answer.json()
    if answer.status_code == 201:
        turn = body["turns"][0] if "turns" in body else body
        kind = "answer" if turn["status"] == "completed" and turn["answer"] else "odd 201"
        return Outcome(shot, 201, kind, body)
    if answer.status_code == 429 and body["code"] == "daily_quota_exceeded":
        return Outcome(shot, 429, "quota", body)
    if answer.status_code == 502 and body["code"] == "upstream_error":
        return Outcome(shot, 502, "upstream", body)
    return Outcome(shot, answer.status_code, "unexpected", body)


def fire_together(servers: list[LiveServer], token: str, burst: list[Shot]) -> list[Outcome]:
    barrier = threading.Barrier(len(burst))

    def fire(n: int) -> Outcome:
        shot = burst[n]
        headers = {"Accept": "text/event-stream"} if shot.stream else {}
        with servers[n % len(servers)].client(token) as client:
            barrier.wait(timeout=60)
            return classify(shot, client.post(shot.path, json=shot.body, headers=headers))

    with ThreadPoolExecutor(max_workers=len(burst)) as pool:
        return list(pool.map(fire, range(len(burst))))


def used(server: LiveServer, token: str) -> int:
    with server.client(token) as client:
        quota = client.get("/api/me/").json()["quota"]
    assert quota["limit"] == LIMIT, quota
    return int(quota["used"])


def test_a_hundred_simultaneous_requests_some_failing_never_exceed_the_allowance(
    live_app: LiveServer, start_app_server: Any, upstream: FakeOpenAI
) -> None:
    with start_app_server(
        daily_limit=LIMIT, workers=1, env=openai_upstream(upstream.base_url, model=MODEL)
    ) as second:
        servers = [live_app, second]
        with live_app.client() as client:
            member = sign_up_and_log_in(client, "crowd")
        with live_app.client(member.access) as client:
            started = client.post("/api/chats/", json=INTAKE)
        assert started.status_code == 201, started.text
        chat_id = started.json()["id"]
        left = LIMIT - 1

        outcomes = fire_together(servers, member.access, shots(chat_id))

        kinds = Counter(o.kind for o in outcomes)
        odd = [str(o) for o in outcomes if o.kind not in {"answer", "quota", "upstream"}]
        assert not odd, f"{kinds}\n" + "\n".join(odd[:10]) + f"\n{live_app.tail()}"
        answers = kinds["answer"]
        assert 0 < answers <= left, kinds
        assert all(not o.shot.fails for o in outcomes if o.kind == "answer")
        assert all(o.shot.fails for o in outcomes if o.kind == "upstream")
        assert used(live_app, member.access) == 1 + answers, kinds

        # The rest of the day's allowance, one request at a time: exactly what is left, then 429.
        rest = [
            Shot(f"/api/chats/{chat_id}/messages/", {"content": f"Later {n}?"}, n % 2 == 0, False)
            for n in range(left - answers + 2)
        ]
        later = [fire_together(servers, member.access, [shot])[0] for shot in rest]

    assert [o.kind for o in later] == ["answer"] * (left - answers) + ["quota"] * 2, later
    assert used(live_app, member.access) == LIMIT
    (usage,) = DailyUsage.objects.filter(member_id=member.id)
    assert usage.used == LIMIT
    kept = QuotaReservation.objects.filter(member_id=member.id, refunded_at=None)
    assert kept.count() == LIMIT
    statuses = Counter(
        Turn.objects.filter(chat__member_id=member.id).values_list("status", flat=True)
    )
    assert statuses[Turn.Status.COMPLETED] == LIMIT, statuses
    assert statuses[Turn.Status.FAILED] == kinds["upstream"], statuses
