"""Members made the way clients make them: through the API of a running server."""

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.smtp import Inbox, shared_inbox

PASSWORD = "a long enough passphrase"
# What every sign-up must carry: the terms and privacy policy accepted, 14 or older.
CONSENTS = {"accept_terms": True, "over_14": True}


@dataclass(frozen=True)
class Tokens:
    id: int
    email: str
    access: str
    refresh: str


def sign_up_and_log_in(
    client: httpx.Client, nickname: str, password: str = PASSWORD, *, inbox: Inbox | None = None
) -> Tokens:
    """POST /api/auth/signup/, verify the email by the token in the mail it sent (to `inbox`;
    by default the one every live server mails to, tests/support/live_server.py), then POST
    /api/auth/login/, all with `client` (any server, any scheme)."""
    email = f"{nickname}@example.com"
    inbox = inbox or shared_inbox()
    earlier = len(inbox.to(email))  # an address a member of an earlier test had
    signed = client.post(
        "/api/auth/signup/",
        json={"email": email, "password": password, "nickname": nickname, **CONSENTS},
    )
    assert signed.status_code == 201, signed.text
    token = inbox.wait_for(email, count=earlier + 1)[-1].token
    verified = client.post("/api/auth/email/verify/", json={"token": token})
    assert verified.status_code == 200, verified.text
    logged = client.post("/api/auth/login/", json={"email": email, "password": password})
    assert logged.status_code == 200, logged.text
    body: dict[str, Any] = logged.json()
    return Tokens(signed.json()["id"], email, body["access"], body["refresh"])


def openai_upstream(base_url: str, *, model: str, timeout_s: float = 10.0) -> dict[str, str]:
    """A server's environment for the openai provider pointed at a local fake, no retries."""
    return {
        "CHATBOT_LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": "test-key",
        "CHATBOT_LLM_MODEL": model,
        "CHATBOT_LLM_MODELS": "",
        "CHATBOT_LLM_TIMEOUT_S": str(timeout_s),
        "CHATBOT_LLM_MAX_RETRIES": "0",
    }
