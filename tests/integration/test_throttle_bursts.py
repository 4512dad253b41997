"""Simultaneous attempts against the login and sign-up throttles, over real HTTP, on three worker
processes of two servers sharing the test database: exactly the rate gets through, however the
attempts interleave. A counter read and then written (DRF's cache throttle) let all 50 sign-ups
of a burst through against 20 an hour, and about 14 logins against 10 a minute."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.members import CONSENTS, PASSWORD

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

SIGNUPS, LOGINS = 20, 10
RATES = {"CHATBOT_SIGNUP_RATE": f"{SIGNUPS}/hour", "CHATBOT_LOGIN_RATE": f"{LOGINS}/minute"}
BURST = 50


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    return {"workers": 2, "env": RATES}


@pytest.fixture
def servers(live_app: LiveServer, start_app_server: Any) -> Iterator[list[LiveServer]]:
    with start_app_server(workers=1, env=RATES) as second:
        yield [live_app, second]


def burst(servers: list[LiveServer], path: str, bodies: list[dict[str, str]]) -> list[Any]:
    """Every body at once, each on a connection of its own, dealt out between the servers."""
    start = threading.Barrier(len(bodies))

    def send(n: int) -> httpx.Response:
        with servers[n % len(servers)].client() as client:
            start.wait()
            return client.post(path, json=bodies[n])

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, range(len(bodies))))


def test_a_burst_of_sign_ups_gets_exactly_the_rate_through(servers: list[LiveServer]) -> None:
    bodies = [
        {"email": f"new{n}@example.com", "password": PASSWORD, "nickname": f"new{n}", **CONSENTS}
        for n in range(BURST)
    ]

    answers = burst(servers, "/api/auth/signup/", bodies)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * SIGNUPS + [429] * (BURST - SIGNUPS), statuses
    refused = [a for a in answers if a.status_code == 429]
    assert {a.json()["code"] for a in refused} == {"throttled"}
    assert all(0 < int(a.headers["Retry-After"]) <= 3600 for a in refused)


def test_a_burst_of_failed_logins_gets_exactly_the_rate_through(
    servers: list[LiveServer],
) -> None:
    # A different email each time: only the address's count (all come from 127.0.0.1) refuses.
    bodies = [{"email": f"kim{n}@example.com", "password": "a wrong guess"} for n in range(BURST)]

    answers = burst(servers, "/api/auth/login/", bodies)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * LOGINS + [429] * (BURST - LOGINS), statuses
    refused = [a for a in answers if a.status_code == 429]
    assert {a.json()["code"] for a in refused} == {"throttled"}
    assert all(0 < int(a.headers["Retry-After"]) <= 60 for a in refused)
