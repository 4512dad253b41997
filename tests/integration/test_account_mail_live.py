"""Mailed links on the real server (uvicorn, two worker processes) with its SMTP server set by
the environment, as production configures it: simultaneous uses of one token, from both
processes, verify the email exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.members import CONSENTS, PASSWORD
from tests.support.smtp import Inbox, running_inbox

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

RACERS = 8


@pytest.fixture(scope="module")
def mail_server() -> Iterator[Inbox]:
    with running_inbox() as inbox:
        yield inbox


@pytest.fixture(scope="module")
def app_server_options(mail_server: Inbox) -> dict[str, Any]:
    return {"workers": 2, "env": mail_server.environment()}


def test_simultaneous_uses_of_one_verification_link_verify_once(
    live_app: LiveServer, mail_server: Inbox
) -> None:
    with live_app.client() as client:
        signed = client.post(
            "/api/auth/signup/",
            json={
                "email": "race@example.com",
                "password": PASSWORD,
                "nickname": "race",
                **CONSENTS,
            },
            headers={"Accept-Language": "ko"},
        )
        assert signed.status_code == 201, signed.text
    (mail,) = mail_server.wait_for("race@example.com")
    assert mail.subject == "이메일 주소를 확인해 주세요"
    assert mail.link.startswith(f"{live_app.url}/#/verify-email?token=")
    start = threading.Barrier(RACERS)

    def verify() -> httpx.Response:
        with live_app.client() as client:
            start.wait()
            return client.post("/api/auth/email/verify/", json={"token": mail.token})

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = [future.result() for future in [pool.submit(verify) for _ in range(RACERS)]]

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200] + [400] * (RACERS - 1), [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 400} == {"token_invalid"}
    assert mail.token not in live_app.logs()
