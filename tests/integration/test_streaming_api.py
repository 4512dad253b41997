"""Streamed answers through the real server (uvicorn, two worker processes) and the real openai
SDK, against a local OpenAI-compatible server that streams with delays and fails on demand."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.integration.conftest import INTAKE
from tests.support.fake_openai import (
    Delay,
    Fail,
    FakeOpenAI,
    Reply,
    Wire,
    cut_stream,
    error_event,
    malformed_chunk,
)
from tests.support.members import openai_upstream, sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

API_KEY = "sk-test-do-not-leak-7f3a"
MODEL = "gpt-test"
# The server's model timeout: the slow-upstream tests wait it out, and every other answer here
# has seconds to spare under it, so a loaded machine holding the fake back does not time it out.
TIMEOUT_S = 5.0
# A bound on waits for the app that only a hung server reaches, however loaded the machine.
STALL_CAP_S = 300.0
_names = itertools.count(1)


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def app_server_options(upstream: FakeOpenAI) -> dict[str, Any]:
    return {
        "daily_limit": 5,
        "workers": 2,
        "env": {
            **openai_upstream(upstream.base_url, model=MODEL, timeout_s=TIMEOUT_S),
            "OPENAI_API_KEY": API_KEY,
            "CHATBOT_SSE_HEARTBEAT_S": "0.3",
        },
    }


@pytest.fixture
def fake(upstream: FakeOpenAI) -> Iterator[FakeOpenAI]:
    upstream.default = Reply("Hello from the fake model.")
    yield upstream
    leftover = upstream.unused
    upstream.script()  # nothing
    assert not leftover, f"scripted behaviours no request used: {leftover}"


@dataclass
class Event:
    name: str
    data: Any
    at: float


@dataclass
class Streamed:
    status: int
    headers: httpx.Headers
    events: list[Event] = field(default_factory=list)
    pings: int = 0
    body: Any = None

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    @property
    def text(self) -> str:
        return "".join(e.data["text"] for e in self.named("delta"))

    @property
    def last(self) -> Event:
        return self.events[-1]


@dataclass(frozen=True)
class Remote:
    server: LiveServer
    access: str

    def client(self) -> httpx.Client:
        return self.server.client(self.access)

    def stream(
        self, path: str, body: dict[str, Any], *, until: str | None = None, on_event: Any = None
    ) -> Streamed:
        """POST with Accept: text/event-stream and read events as they come; with `until`, hang
        up right after the first event of that name."""
        started = time.monotonic()
        with (
            self.client() as client,
            client.stream(
                "POST", path, json=body, headers={"Accept": "text/event-stream"}
            ) as response,
        ):
            result = Streamed(response.status_code, response.headers)
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()
                result.body = response.json()
                return result
            name = None
            for line in response.iter_lines():
                if line.startswith(":"):
                    result.pings += 1
                elif line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    event = Event(str(name), json.loads(line[6:]), time.monotonic() - started)
                    result.events.append(event)
                    if on_event is not None:
                        on_event(event)
                    if until is not None and event.name == until:
                        return result
        return result

    def quota_used(self) -> int:
        with self.client() as client:
            return int(client.get("/api/me/").json()["quota"]["used"])

    def chat(self, chat_id: int) -> Any:
        with self.client() as client:
            return client.get(f"/api/chats/{chat_id}/").json()


@pytest.fixture
def member(live_app: LiveServer) -> Remote:
    with live_app.client() as client:
        return Remote(live_app, sign_up_and_log_in(client, f"streamer{next(_names)}").access)


def wait_for(check: Any, timeout: float = STALL_CAP_S) -> Any:
    """`check()` once it is truthy, or its last falsy value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_an_answer_streams_token_by_token_and_is_stored_as_it_went_over_the_wire(
    member: Remote, fake: FakeOpenAI
) -> None:
    # The turn is stored while the model works on its first token; a model that answered before
    # the insert ended (a loopback fake on a busy machine can) would reach the client in one
    # catch-up piece. A real model's first token takes longer than that insert.
    fake.script(
        Reply(
            "Start with short runs twice a week.",
            first_token_delay_s=0.3,
            # 0.6 s from the first piece to the last: a client held back for less than 0.4 s
            # (a busy CI machine's stalls) still sees them spread.
            token_delay_s=0.1,
            id="chatcmpl-s1",
        )
    )

    streamed = member.stream("/api/chats/", INTAKE)

    assert streamed.status == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert streamed.headers["cache-control"] == "no-cache"
    assert streamed.headers["x-accel-buffering"] == "no"
    names = [e.name for e in streamed.events]
    assert names[0] == "chat"
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"delta"}
    deltas = streamed.named("delta")
    assert len(deltas) >= 5
    assert deltas[-1].at - deltas[0].at > 0.2, "the pieces came all at once, not as generated"
    assert streamed.text == "Start with short runs twice a week."
    done = streamed.last.data
    assert (done["status"], done["answer"]) == ("completed", streamed.text)
    chat_id = streamed.events[0].data["chat_id"]
    (turn,) = member.chat(chat_id)["turns"]
    sent, answered = fake.exchanges[-1].request.body, turn["exchange"]
    assert answered["request"] == sent
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    response = answered["response"]
    assert response["id"] == "chatcmpl-s1"
    assert response["model"] == MODEL
    assert response["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": streamed.text},
            "finish_reason": "stop",
        }
    ]
    assert response["usage"]["total_tokens"] > 0
    assert turn["usage"] == response["usage"]
    assert member.quota_used() == 1


def test_a_follow_up_streams_too(member: Remote, fake: FakeOpenAI) -> None:
    chat_id = member.stream("/api/chats/", INTAKE).events[0].data["chat_id"]
    fake.script(Reply("Then add one long run.", token_delay_s=0.01))

    streamed = member.stream(f"/api/chats/{chat_id}/messages/", {"content": "And then?"})

    assert streamed.last.name == "done"
    assert streamed.last.data["index"] == 1
    assert streamed.text == "Then add one long run."
    sent = fake.exchanges[-1].request.body["messages"]
    assert sent[-1] == {"role": "user", "content": "And then?"}
    assert sent[-2] == {"role": "assistant", "content": "Hello from the fake model."}


def test_the_answer_is_finished_and_charged_when_the_client_goes_away(
    member: Remote, fake: FakeOpenAI
) -> None:
    fake.script(Reply("one two three four five six seven eight", token_delay_s=0.1))

    streamed = member.stream("/api/chats/", INTAKE, until="delta")
    chat_id = streamed.events[0].data["chat_id"]

    turn = wait_for(
        lambda: next((t for t in member.chat(chat_id)["turns"] if t["status"] != "pending"), None)
    )
    assert turn["status"] == "completed"
    assert turn["answer"] == "one two three four five six seven eight"
    assert member.quota_used() == 1


def test_the_owner_stops_an_answer_and_keeps_the_part_that_came(
    member: Remote, fake: FakeOpenAI
) -> None:
    fake.script(Reply(" ".join(f"word{n}" for n in range(60)), token_delay_s=0.05))
    stopped: list[int] = []

    def stop_after_some_text(event: Event) -> None:
        if event.name == "delta" and not stopped:
            chat = streamed_ids["chat"]
            with member.client() as client:
                answer = client.post(f"/api/chats/{chat['chat_id']}/turns/{chat['turn_id']}/stop/")
            stopped.append(answer.status_code)
            assert answer.json() == {"stopping": True}

    streamed_ids: dict[str, Any] = {}

    def remember(event: Event) -> None:
        if event.name == "chat":
            streamed_ids["chat"] = event.data
        stop_after_some_text(event)

    streamed = member.stream("/api/chats/", INTAKE, on_event=remember)

    assert stopped == [202]
    assert streamed.last.name == "done"
    assert streamed.last.data["status"] == "stopped"
    kept = streamed.last.data["answer"]
    assert kept.startswith("word0")
    assert "word59" not in kept
    stored = member.chat(streamed_ids["chat"]["chat_id"])["turns"][0]
    assert (stored["status"], stored["answer"]) == ("stopped", kept)
    assert member.quota_used() == 1
    with member.client() as client:
        again = client.post(
            f"/api/chats/{streamed_ids['chat']['chat_id']}/turns/"
            f"{streamed_ids['chat']['turn_id']}/stop/"
        )
    assert again.json() == {"stopping": False}


def test_an_answer_stopped_before_its_first_word_costs_nothing(
    member: Remote, fake: FakeOpenAI
) -> None:
    # Seconds for the stop to land before the first word, and still within the timeout.
    fake.script(Reply("too late", first_token_delay_s=TIMEOUT_S - 1.0))
    ids: dict[str, Any] = {}

    def stop_at_once(event: Event) -> None:
        if event.name == "chat":
            ids.update(event.data)
            with member.client() as client:
                client.post(f"/api/chats/{ids['chat_id']}/turns/{ids['turn_id']}/stop/")

    streamed = member.stream("/api/chats/", INTAKE, on_event=stop_at_once)

    assert streamed.last.data["status"] == "stopped"
    assert streamed.last.data["answer"] is None
    assert member.quota_used() == 0


def test_heartbeats_keep_a_quiet_stream_alive(member: Remote, fake: FakeOpenAI) -> None:
    fake.script(Reply("finally", first_token_delay_s=1.0))

    streamed = member.stream("/api/chats/", INTAKE)

    assert streamed.pings >= 2
    assert streamed.last.name == "done"


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        (Fail(500), "upstream_error"),
        (Fail(429), "upstream_busy"),
        (Fail(503), "upstream_busy"),
        (Delay(TIMEOUT_S + 1.0), "upstream_timeout"),
        (Reply("never", first_token_delay_s=TIMEOUT_S + 1.0), "upstream_timeout"),
    ],
    ids=["500", "429", "503", "slow-response", "slow-first-token"],
)
def test_a_failure_before_the_first_word_is_an_error_event_and_costs_nothing(
    member: Remote, fake: FakeOpenAI, behaviour: Any, code: str
) -> None:
    fake.script(behaviour)

    streamed = member.stream("/api/chats/", INTAKE)

    assert streamed.status == 200
    assert streamed.last.name == "error"
    error = streamed.last.data
    assert error["code"] == code
    assert error["turn"]["status"] == "failed"
    assert error["turn"]["question"].endswith(INTAKE["goal"])
    assert API_KEY not in json.dumps([e.data for e in streamed.events])
    assert API_KEY not in member.server.logs()
    assert "Traceback" not in member.server.logs()
    assert member.quota_used() == 0
    stored = member.chat(error["chat_id"])["turns"][0]
    assert (stored["status"], stored["error_code"]) == ("failed", code)


@pytest.mark.parametrize(
    "fault", [cut_stream(after=3), malformed_chunk(after=3), error_event(after=3)]
)
def test_a_stream_that_breaks_midway_keeps_what_came_and_gives_the_request_back(
    member: Remote, fake: FakeOpenAI, fault: Any
) -> None:
    fake.script(Reply("alpha beta gamma delta epsilon zeta", token_delay_s=0.01, fault=fault))

    streamed = member.stream("/api/chats/", INTAKE)

    assert streamed.last.name == "error"
    assert streamed.last.data["code"] == "upstream_error"
    assert streamed.text.startswith("alpha")
    stored = member.chat(streamed.last.data["chat_id"])["turns"][0]
    assert stored["status"] == "failed"
    assert stored["answer"] == streamed.text
    assert member.quota_used() == 0


def test_errors_before_the_stream_starts_are_plain_json(member: Remote, fake: FakeOpenAI) -> None:
    invalid = member.stream("/api/chats/", {"goal": "only a goal"})
    for _ in range(5):
        member.stream("/api/chats/", INTAKE)
    over = member.stream("/api/chats/", INTAKE)

    assert invalid.status == 400
    assert invalid.body["code"] == "invalid"
    assert over.status == 429
    assert over.body["code"] == "daily_quota_exceeded"
    assert int(over.headers["retry-after"]) > 0
    with member.client() as client:
        assert client.get("/api/me/").json()["quota"]["used"] == 5


def test_only_the_owner_can_stop_an_answer(member: Remote, live_app: LiveServer) -> None:
    chat = member.stream("/api/chats/", INTAKE).events[0].data
    other = Remote(live_app, _join(live_app))

    with other.client() as client:
        refused = client.post(f"/api/chats/{chat['chat_id']}/turns/{chat['turn_id']}/stop/")
    with live_app.client() as anonymous:
        anonymous_try = anonymous.post(
            f"/api/chats/{chat['chat_id']}/turns/{chat['turn_id']}/stop/"
        )
    with member.client() as client:
        unknown = client.post(f"/api/chats/{chat['chat_id']}/turns/999999/stop/")

    assert refused.status_code == 403
    assert anonymous_try.status_code == 401
    assert unknown.status_code == 404


def _join(server: LiveServer) -> str:
    with server.client() as client:
        return sign_up_and_log_in(client, f"other{next(_names)}").access


@dataclass(frozen=True)
class HoldOpen:
    """Not a fault: a pause in the fake's stream. After `after` events each stream waits for
    `release`, so the app is in the middle of every answer for as long as the test needs, and
    `holding` lists the streams waiting."""

    release: threading.Event
    holding: list[Any] = field(default_factory=list)
    after: int = 2  # the role and the first word are out

    def strike(self, wire: Wire) -> bool:
        self.holding.append(wire.exchange)
        self.release.wait(STALL_CAP_S)
        return False  # the stream goes on


def test_open_streams_do_not_hold_database_connections(
    upstream: FakeOpenAI, start_app_server: Any
) -> None:
    # Two pooled connections per process and six answers in the middle of their stream at once:
    # a stream that kept its request's connection would starve the others, and the profile read
    # below would wait out the pool's timeout and fail (PostgreSQL's pool; SQLite has none, and
    # must serve the same load).
    hold = HoldOpen(threading.Event())
    upstream.default = Reply(" ".join(f"w{n}" for n in range(30)), fault=hold)
    env = {
        # Room for the hold below on a loaded machine, and shorter than a turn's lease (the
        # settings insist).
        **openai_upstream(upstream.base_url, model=MODEL, timeout_s=100),
        "DATABASE_POOL_SIZE": "2",
    }
    with start_app_server(workers=1, env=env) as server:
        with server.client() as client:
            members = [
                Remote(server, sign_up_and_log_in(client, f"pooled{next(_names)}").access)
                for _ in range(6)
            ]
        with ThreadPoolExecutor(max_workers=6) as pool:
            try:
                streams = [pool.submit(m.stream, "/api/chats/", INTAKE) for m in members]
                # All six held mid-answer, or one of them already over (refused, say).
                wait_for(lambda: len(hold.holding) == 6 or any(s.done() for s in streams))
                held = len(hold.holding)
                with members[0].client() as client:
                    profile = client.get("/api/me/")
                open_meanwhile = sum(not s.done() for s in streams)
            finally:
                hold.release.set()
            results = [s.result(timeout=STALL_CAP_S) for s in streams]

    assert held == 6
    assert profile.status_code == 200
    assert open_meanwhile == 6
    assert [r.last.name for r in results] == ["done"] * 6
    assert all(r.last.data["status"] == "completed" for r in results)


@given(st.text())
@example("line\u2028and paragraph\u2029separators")
@example('quotes " and \\ backslashes, \x00 and 한글 😀')
def test_a_delta_event_is_written_as_the_json_renderer_writes_it(text: str) -> None:
    # Each delta skips the renderer for speed; clients must not see the difference.
    from django_project.api.streaming import _delta, _event

    assert _delta(text) == _event("delta", {"text": text})
