"""The login and sign-up throttles count every attempt from an address once, whichever worker
process or server takes it: the counters live in the shared database cache, not in each
process's memory (where W workers would allow W times the rate). A throttled login gives nothing
away: the same answer for a right and a wrong password, a known and an unknown email."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.members import CONSENTS, PASSWORD

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

RATE = 3
STRICT = {"CHATBOT_LOGIN_RATE": f"{RATE}/minute", "CHATBOT_SIGNUP_RATE": f"{RATE}/minute"}


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    return {"workers": 2, "env": STRICT}


@pytest.fixture
def servers(live_app: LiveServer, start_app_server: Any) -> Iterator[list[LiveServer]]:
    """Three processes: the module's server (two workers) and a second server (one worker)."""
    with start_app_server(workers=1, env=STRICT) as second:
        yield [live_app, second]


def attempts(servers: list[LiveServer], path: str, bodies: list[dict[str, str]]) -> list[Any]:
    """One request per body, dealt out between the servers in turn, each on a new connection
    (so the workers of a server share them too)."""
    answers = []
    for n, body in enumerate(bodies):
        with servers[n % len(servers)].client() as client:
            answers.append(client.post(path, json=body))
    return answers


def test_login_attempts_are_counted_once_across_processes(servers: list[LiveServer]) -> None:
    wrong = {"email": "nobody@example.com", "password": "a wrong passphrase"}

    answers = attempts(servers, "/api/auth/login/", [wrong] * (RATE * 4))

    statuses = [a.status_code for a in answers]
    assert statuses == [401] * RATE + [429] * (RATE * 3), statuses
    assert {a.json()["code"] for a in answers[RATE:]} == {"throttled"}
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers[RATE:])


def test_sign_ups_are_counted_once_across_processes(servers: list[LiveServer]) -> None:
    bodies = [
        {"email": f"new{n}@example.com", "password": PASSWORD, "nickname": f"new{n}", **CONSENTS}
        for n in range(RATE * 3)
    ]

    statuses = [a.status_code for a in attempts(servers, "/api/auth/signup/", bodies)]

    assert statuses == [201] * RATE + [429] * (RATE * 2), statuses


def test_a_throttled_login_gives_nothing_away(
    servers: list[LiveServer], start_app_server: Any
) -> None:
    with start_app_server(workers=1) as generous, generous.client() as client:
        signed = client.post(
            "/api/auth/signup/",
            json={"email": "kim@example.com", "password": PASSWORD, "nickname": "kim", **CONSENTS},
        )
        assert signed.status_code == 201, signed.text
    guesses = [{"email": "kim@example.com", "password": f"guess {n}"} for n in range(RATE)]
    attempts(servers, "/api/auth/login/", guesses)

    right, unknown = (
        attempts(servers, "/api/auth/login/", [body])[0]
        for body in (
            {"email": "kim@example.com", "password": PASSWORD},
            {"email": "nobody@example.com", "password": PASSWORD},
        )
    )

    assert right.status_code == unknown.status_code == 429
    # The same answer but for the wait it counts down, which may tick between the two.
    assert _without_numbers(right.json()) == _without_numbers(unknown.json())
    assert "access" not in right.text
    assert set(right.headers) == set(unknown.headers)


def _without_numbers(body: dict[str, Any]) -> dict[str, Any]:
    return {k: re.sub(r"\d+", "N", v) if isinstance(v, str) else v for k, v in body.items()}
