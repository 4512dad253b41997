"""A refresh token is good for one refresh, even when several arrive at once on several server
processes: exactly one gets a new pair, every other one a 401, whatever the database."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.members import PASSWORD, sign_up_and_log_in

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


def test_a_password_change_ends_every_chain_of_refreshes_racing_it(live_app: LiveServer) -> None:
    """Devices that keep refreshing while the password changes: a refresh whose new token was
    being stored while the change revoked the member's tokens must not survive it. Each chain
    refreshes until refused or until the change is well over; none may end with a token that
    still works."""
    with live_app.client() as client:
        tokens = sign_up_and_log_in(client, "racer")
        chains = [tokens.refresh]
        for _ in range(5):  # six devices, within the login rate with the change itself
            logged = client.post(
                "/api/auth/login/", json={"email": tokens.email, "password": PASSWORD}
            )
            assert logged.status_code == 200, logged.text
            chains.append(logged.json()["refresh"])
    changed_at: list[float] = []
    start = threading.Barrier(len(chains) + 1)

    def keep_refreshing(token: str) -> str:
        with live_app.client() as client:
            start.wait(timeout=30)
            while not changed_at or time.monotonic() < changed_at[0] + 0.5:
                answer = client.post("/api/auth/refresh/", json={"refresh": token})
                if answer.status_code != 200:
                    assert answer.status_code == 401, answer.text
                    break
                token = answer.json()["refresh"]
        return token

    def change_password() -> httpx.Response:
        with live_app.client() as client:
            start.wait(timeout=30)
            time.sleep(0.2)  # the chains are under way
            answer = client.post(
                "/api/me/password/",
                json={"current_password": PASSWORD, "new_password": "a new long passphrase"},
                headers={"Authorization": f"Bearer {tokens.access}"},
            )
            changed_at.append(time.monotonic())
            return answer

    with ThreadPoolExecutor(max_workers=len(chains) + 1) as pool:
        changing = pool.submit(change_password)
        last = list(pool.map(keep_refreshing, chains))
        changed = changing.result()

    assert changed.status_code == 200, changed.text
    with live_app.client() as client:
        for token in last:
            answer = client.post("/api/auth/refresh/", json={"refresh": token})
            assert answer.status_code == 401, live_app.tail()
        fresh = client.post("/api/auth/refresh/", json={"refresh": changed.json()["refresh"]})
    assert fresh.status_code == 200, fresh.text
