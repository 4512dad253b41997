"""A refresh token is good for one refresh, even when several arrive at once on several server
processes: exactly one gets a new pair, every other one a 401, whatever the database."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.members import sign_up_and_log_in

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]


@pytest.fixture(scope="module")
def app_server_options() -> dict[str, Any]:
    return {"workers": 2}


def refresh_together(servers: list[LiveServer], token: str, count: int) -> list[httpx.Response]:
    """`count` refreshes of `token`, each on its own connection, dealt out between `servers`
    and released at once."""
    barrier = threading.Barrier(count)

    def refresh(n: int) -> httpx.Response:
        with servers[n % len(servers)].client() as client:
            barrier.wait(timeout=30)
            return client.post("/api/auth/refresh/", json={"refresh": token})

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(refresh, range(count)))


def assert_one_winner(answers: list[httpx.Response], server: LiveServer) -> dict[str, str]:
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 401: len(answers) - 1}, f"{statuses}\n{server.tail()}"
    for answer in answers:
        if answer.status_code == 401:
            assert answer.json()["code"] == "token_not_valid", answer.text
    (won,) = (a.json() for a in answers if a.status_code == 200)
    return dict(won)


def test_two_simultaneous_refreshes_with_one_token_give_one_new_pair(
    live_app: LiveServer, start_app_server: Any
) -> None:
    with start_app_server(workers=2) as second, live_app.client() as client:
        tokens = sign_up_and_log_in(client, "twice")
        refresh = tokens.refresh
        # Several rounds, each with the token the last round's winner got: a race lost by luck
        # once would be won the next time.
        for _ in range(5):
            won = assert_one_winner(refresh_together([live_app, second], refresh, 2), live_app)
            refresh = won["refresh"]
        me = client.get("/api/me/", headers={"Authorization": f"Bearer {won['access']}"})
        assert me.status_code == 200, me.text


def test_twenty_simultaneous_refreshes_with_one_token_give_one_new_pair(
    live_app: LiveServer,
) -> None:
    with live_app.client() as client:
        tokens = sign_up_and_log_in(client, "many")

    won = assert_one_winner(refresh_together([live_app], tokens.refresh, 20), live_app)

    with live_app.client() as client:
        again = client.post("/api/auth/refresh/", json={"refresh": won["refresh"]})
        stale = client.post("/api/auth/refresh/", json={"refresh": tokens.refresh})
    assert again.status_code == 200, again.text
    assert stale.status_code == 401, stale.text
