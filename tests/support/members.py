"""Members made the way clients make them: through the API of a running server."""

from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "a long enough passphrase"


@dataclass(frozen=True)
class Tokens:
    id: int
    email: str
    access: str
    refresh: str


def sign_up_and_log_in(client: httpx.Client, nickname: str, password: str = PASSWORD) -> Tokens:
    """POST /api/auth/signup/ then /api/auth/login/ with `client` (any server, any scheme)."""
    email = f"{nickname}@example.com"
    signed = client.post(
        "/api/auth/signup/", json={"email": email, "password": password, "nickname": nickname}
    )
    assert signed.status_code == 201, signed.text
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
