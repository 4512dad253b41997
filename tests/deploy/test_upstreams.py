"""Two app servers behind one nginx (docs/deploy.md, "Several app servers behind one nginx"):
deploy/nginx's config with a second `server` line like the first, over TLS on loopback. One
server is killed (SIGKILL) in the middle of a streamed answer: that stream ends cut short, with
no `error` event; every request after it is answered by the other server; and once the turn's
lease runs out, the surviving server fails it as `interrupted` and gives the request back."""

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.conftest import DOMAIN, Nginx, site_paths, start_nginx
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer, app_server
from tests.support.members import PASSWORD, openai_upstream, sign_up_and_log_in

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "gpt-upstreams"
LEASE_S = 11.0  # the shortest the settings take with a 1 s timeout; swept every quarter of it
# Ten seconds of answer, so the kill lands in its middle.
LONG_ANSWER = " ".join(f"w{n}" for n in range(200))
INTAKE = {"current_state": "I write Python.", "goal": "Lead a team."}


@pytest.fixture(scope="module")
def models() -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    """A model per app server: which one is asked tells which server took a request."""
    with FakeOpenAI() as first, FakeOpenAI() as second:
        for model in (first, second):
            model.default = Reply(LONG_ANSWER, token_delay_s=0.05)
        yield first, second


@pytest.fixture(scope="module")
def servers(
    django_db_setup: None, models: tuple[FakeOpenAI, FakeOpenAI]
) -> Iterator[list[LiveServer]]:
    with ExitStack() as stack:
        started = []
        for model in models:
            env = {
                "DJANGO_HTTPS": "1",
                "DJANGO_ALLOWED_HOSTS": f"{DOMAIN},127.0.0.1",
                "DJANGO_ENV_FILE": "",
                "CHATBOT_TURN_LEASE_S": str(LEASE_S),
                **openai_upstream(model.base_url, model=MODEL, timeout_s=1),
            }
            args = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
            started.append(
                stack.enter_context(app_server(workers=1, daily_limit=3, env=env, args=args))
            )
        yield started


@pytest.fixture(scope="module")
def pair(
    servers: list[LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    certificate: tuple[Path, Path],
) -> Iterator[Nginx]:
    """nginx with both servers in the upstream, each line as deploy/nginx writes the first."""
    second = servers[1].port

    def both(name: str, text: str) -> str:
        if name != "chatbot.conf":
            return text
        line = re.compile(r"^(\s*)server 127\.0\.0\.1:\d+( [^;]*);$", flags=re.MULTILINE)
        assert len(line.findall(text)) == 1, text
        return line.sub(lambda m: f"{m[0]}\n{m[1]}server 127.0.0.1:{second}{m[2]};", text)

    paths = site_paths(tmp_path_factory.mktemp("pair"), certificate)
    nginx = start_nginx(paths, servers[0].port, adjust=both)
    yield nginx
    nginx.stop()


def events_until_cut(
    lines: Iterator[str], name: str
) -> tuple[list[tuple[str, Any]], Exception | None]:
    """The rest of a stream's events (`name`: the one being read), and the error that ended it."""
    events: list[tuple[str, Any]] = []
    try:
        for line in lines:
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    except httpx.HTTPError as error:
        return events, error
    return events, None


def test_a_killed_server_cuts_its_streams_and_the_other_answers_the_rest(
    pair: Nginx, servers: list[LiveServer], models: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    with pair.client() as client:
        access = sign_up_and_log_in(client, "failover").access

    asked = [len(model.requests) for model in models]
    with (
        pair.client(access) as client,
        client.stream(
            "POST", "/api/chats/", json=INTAKE, headers={"Accept": "text/event-stream"}
        ) as stream,
    ):
        assert stream.status_code == 200
        lines, name, chat_id = stream.iter_lines(), "", None
        while name != "delta":  # the answer has begun
            line = next(lines)
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif name == "chat" and line.startswith("data: "):
                chat_id = json.loads(line.removeprefix("data: "))["chat_id"]
        (victim,) = [i for i, model in enumerate(models) if len(model.requests) > asked[i]]
        killed = servers[victim]
        os.killpg(killed.process.pid, signal.SIGKILL)  # no goodbye, no error event
        killed.process.wait(timeout=10)
        rest, cut = events_until_cut(lines, name)

    # nginx had sent part of the answer: it cannot try the other server, and ends the response
    # without its last chunk. No `done`, no `error`: the client must call it interrupted itself.
    assert isinstance(cut, httpx.RemoteProtocolError), (cut, rest)
    assert {name for name, _ in rest} <= {"delta"}, rest
    assert chat_id is not None
    survivor, survivor_model = servers[1 - victim], models[1 - victim]

    # Every request after the kill is answered, by the survivor: reads, a login (a POST that
    # never reached the dead server is safe to pass on), a streamed question and a plain one.
    with pair.client(access) as client:
        for _ in range(6):
            assert client.get("/api/chats/intake/").status_code == 200
        login = client.post(
            "/api/auth/login/", json={"email": "failover@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        survivor_model.default = Reply("The other server answers.")
        again = client.post("/api/chats/", json=INTAKE)
        assert again.status_code == 201, again.text
        assert again.json()["turns"][0]["answer"] == "The other server answers."

    # The cut turn's lease runs out with no one to renew it; the survivor's sweep fails it and
    # gives its request back (one used: the second chat's).
    deadline = time.monotonic() + 120.0  # many leases: only a sweep that never comes fails
    with pair.client(access) as client:
        while True:
            turn = client.get(f"/api/chats/{chat_id}/").json()["turns"][0]
            if turn["status"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        used = client.get("/api/me/").json()["quota"]["used"]
    assert (turn["status"], turn["error_code"]) == ("failed", "interrupted")
    assert used == 1
    assert "interrupted turn(s) marked failed" in survivor.logs()
