"""Reports of one chat arriving at once on several server processes: the chat is hidden exactly
once, by whichever report tips it, however they interleave (docs/security.md §6)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from adapters.orm.models import ModerationAction
from tests.support.members import PASSWORD
from tests.support.smtp import Inbox, running_inbox

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]


@pytest.fixture(scope="module")
def mails() -> Iterator[Inbox]:
    with running_inbox() as inbox:
        yield inbox


@pytest.fixture(scope="module")
def app_server_options(mails: Inbox) -> dict[str, Any]:
    return {"workers": 2, "env": mails.environment()}


def verified_member(client: httpx.Client, mails: Inbox, nickname: str) -> str:
    """Sign up, verify the email by the mailed link, log in: the member's access token."""
    email = f"{nickname}@example.com"
    body = {"email": email, "password": PASSWORD, "nickname": nickname}
    # What sign-ups that ask for consent need; others ignore it.
    signed = client.post("/api/auth/signup/", json={**body, "accept_terms": True, "over_14": True})
    assert signed.status_code == 201, signed.text
    token = mails.wait_for(email)[-1].token
    assert client.post("/api/auth/email/verify/", json={"token": token}).status_code == 200
    logged = client.post("/api/auth/login/", json={"email": email, "password": PASSWORD})
    assert logged.status_code == 200, logged.text
    return str(logged.json()["access"])


def test_three_reports_at_once_on_two_servers_hide_the_chat_once(
    live_app: LiveServer, start_app_server: Any, mails: Inbox
) -> None:
    with (
        start_app_server(workers=2, env=mails.environment()) as second,
        live_app.client() as client,
    ):
        owner = verified_member(client, mails, "racedowner")
        reporters = [verified_member(client, mails, f"racer{n}") for n in range(3)]
        servers = [live_app, second]
        for round_ in range(3):
            made = client.post(
                "/api/chats/",
                json={"current_state": "Here.", "goal": f"There, round {round_}."},
                headers={"Authorization": f"Bearer {owner}"},
            )
            assert made.status_code == 201, made.text
            chat_id = made.json()["id"]
            barrier = threading.Barrier(len(reporters))

            def send(n: int, chat_id: int = chat_id, barrier: threading.Barrier = barrier) -> int:
                with servers[n % 2].client(reporters[n]) as own:
                    barrier.wait(timeout=30)
                    answer = own.post(f"/api/chats/{chat_id}/reports/", json={"reason": "spam"})
                    return answer.status_code

            with ThreadPoolExecutor(max_workers=len(reporters)) as pool:
                statuses = list(pool.map(send, range(len(reporters))))

            assert statuses == [201, 201, 201], live_app.tail()
            assert client.get(f"/api/chats/{chat_id}/").status_code == 404
            hides = ModerationAction.objects.filter(chat_id=chat_id, kind="auto_hide").count()
            assert hides == 1
