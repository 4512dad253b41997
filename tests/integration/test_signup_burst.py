"""A burst of sign-ups on a real server with the real password hasher (tests elsewhere use MD5
for speed): none fails, and a member's chat request made during the burst is answered. The
server's hasher (tests/support/hash_probe.py) refuses to hash inside a database transaction, so
a sign-up that would hold SQLite's write lock for the length of a hash is a 500 here, whatever
the machine's speed; before the fix, 20 such sign-ups held up a chat for 12 s, and 40 ended in
"database is locked"."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.conftest import INTAKE
from tests.support.members import CONSENTS, PASSWORD, sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

BURST = 24


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    return {"workers": 2, "env": {"DJANGO_SETTINGS_MODULE": "tests.support.hash_probe"}}


def test_a_burst_of_sign_ups_neither_fails_nor_holds_up_a_chat(live_app: LiveServer) -> None:
    with live_app.client() as client:
        access = sign_up_and_log_in(client, "kim").access
    start = threading.Barrier(BURST + 1)

    def sign_up(n: int) -> httpx.Response:
        body = {
            "email": f"new{n}@example.com",
            "password": PASSWORD,
            "nickname": f"new{n}",
            **CONSENTS,
        }
        with live_app.client() as client:
            start.wait()
            return client.post("/api/auth/signup/", json=body)

    def chat() -> httpx.Response:
        with live_app.client(access) as client:
            start.wait()
            return client.post("/api/chats/", json=INTAKE)

    with ThreadPoolExecutor(max_workers=BURST + 1) as pool:
        sign_ups = [pool.submit(sign_up, n) for n in range(BURST)]
        chatting = pool.submit(chat)
        statuses = sorted(s.result().status_code for s in sign_ups)
        answered = chatting.result()

    assert statuses == [201] * BURST, statuses
    assert answered.status_code == 201, answered.text
    assert answered.json()["turns"][0]["status"] == "completed"
