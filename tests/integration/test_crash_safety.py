"""A server process killed (kill -9) in the middle of a streamed answer: after a restart the
member's question is stored, the turn is marked interrupted, the request it took is given back,
and the member can ask again."""

from __future__ import annotations

import signal
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.conftest import INTAKE
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.members import openai_upstream, sign_up_and_log_in
from tests.support.sse import sse_events

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

MODEL = "gpt-test"
LEASE_S = 11.0  # the shortest the configuration takes with a 1 s timeout; swept every quarter
# How long a turn may stay pending after the restart: many leases, so that only a sweep that never
# comes fails, not one a loaded machine runs late.
SETTLE_CAP_S = 120.0


def first_events(server: LiveServer, access: str, until: str) -> dict[str, Any]:
    """Start a streamed chat and read its events up to the first `until` one."""
    seen: dict[str, Any] = {}
    with (
        server.client(access) as client,
        client.stream(
            "POST", "/api/chats/", json=INTAKE, headers={"Accept": "text/event-stream"}
        ) as response,
    ):
        assert response.status_code == 200
        for name, data in sse_events(response.iter_lines()):
            seen.setdefault(name, data)
            if name == until:
                return seen
    raise AssertionError(f"the stream ended before a {until!r} event: {seen}")


def turn_once_settled(client: httpx.Client, chat_id: int, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        turn: dict[str, Any] = client.get(f"/api/chats/{chat_id}/").json()["turns"][0]
        if turn["status"] != "pending" or time.monotonic() > deadline:
            return turn
        time.sleep(0.2)


def test_a_server_killed_mid_answer_gives_the_request_back_after_a_restart(
    start_app_server: Any,
) -> None:
    with FakeOpenAI() as upstream:
        # An answer of ten seconds, so the kill lands in its middle.
        upstream.default = Reply(" ".join(f"w{n}" for n in range(200)), token_delay_s=0.05)
        env = {
            **openai_upstream(upstream.base_url, model=MODEL, timeout_s=1),
            "CHATBOT_TURN_LEASE_S": str(LEASE_S),
        }
        with start_app_server(workers=1, daily_limit=1, env=env) as server:
            with server.client() as client:
                access = sign_up_and_log_in(client, "crashed").access
            seen = first_events(server, access, until="delta")
            server.process.send_signal(signal.SIGKILL)  # the one process: no goodbye
            server.process.wait(timeout=10)
        chat_id = seen["chat"]["chat_id"]

        upstream.default = Reply("Back again.")
        with start_app_server(workers=1, daily_limit=1, env=env) as server:
            with server.client(access) as client:
                turn = turn_once_settled(client, chat_id, timeout_s=SETTLE_CAP_S)
                used = client.get("/api/me/").json()["quota"]["used"]
                again = client.post(f"/api/chats/{chat_id}/messages/", json={"content": "Again?"})
                used_after = client.get("/api/me/").json()["quota"]["used"]
            log = server.logs()

    assert seen["delta"]["text"]  # it was answering when killed
    assert (turn["status"], turn["error_code"]) == ("failed", "interrupted")
    assert INTAKE["goal"] in turn["question"]  # the question is kept
    assert used == 0
    assert again.status_code == 201, again.text
    assert again.json()["answer"] == "Back again."
    assert used_after == 1
    assert "1 interrupted turn(s) marked failed" in log


def test_an_answer_whose_server_froze_past_its_lease_stays_swept_and_free(
    start_app_server: Any,
) -> None:
    # A server that stalls longer than the lease (a frozen VM, a stopped process) is taken for
    # dead: another server's sweep fails its turn and gives the request back. When it wakes,
    # whatever it then stores (the answer, or its own read timeout, which counted the frozen
    # seconds) must not overwrite the swept turn: a completed one would be an answer the member
    # was never charged for.
    with FakeOpenAI() as upstream:
        upstream.default = Reply(" ".join(f"w{n}" for n in range(40)), token_delay_s=0.05)
        env = {
            **openai_upstream(upstream.base_url, model=MODEL, timeout_s=1),
            "CHATBOT_TURN_LEASE_S": str(LEASE_S),
        }
        with (
            start_app_server(workers=1, daily_limit=1, env=env) as frozen,
            start_app_server(workers=1, daily_limit=1, env=env) as sweeper,
        ):
            with sweeper.client() as client:
                access = sign_up_and_log_in(client, "frozen").access
            with (
                frozen.client(access, timeout=SETTLE_CAP_S) as client,
                client.stream(
                    "POST", "/api/chats/", json=INTAKE, headers={"Accept": "text/event-stream"}
                ) as response,
            ):
                events = sse_events(response.iter_lines())
                chat_id = next(data for name, data in events if name == "chat")["chat_id"]
                next(name for name, _ in events if name == "delta")  # it is answering
                frozen.process.send_signal(signal.SIGSTOP)
                try:
                    with sweeper.client(access) as reader:
                        swept = turn_once_settled(reader, chat_id, timeout_s=SETTLE_CAP_S)
                finally:
                    frozen.process.send_signal(signal.SIGCONT)
                rest = list(events)
            with sweeper.client(access) as reader:
                stored = reader.get(f"/api/chats/{chat_id}/").json()["turns"][0]
                used = reader.get("/api/me/").json()["quota"]["used"]

    assert (swept["status"], swept["error_code"]) == ("failed", "interrupted")
    assert rest[-1][0] == "error", rest[-1]
    assert rest[-1][1]["code"] == "interrupted"
    assert (stored["status"], stored["error_code"]) == ("failed", "interrupted")
    assert used == 0
