"""The server as `make run` starts it, with DJANGO_DEBUG=1, shows nobody a secret. A page on
another site that resolves its name to 127.0.0.1 (DNS rebinding) reads whatever the server
answers to its foreign `Host`; a developer's browser reads what answers an error. Every secret
below is set in the server's environment, and no answer carries any of them."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytest_plugins = ["tests.support.live_server"]

SECRETS = {
    "DJANGO_SECRET_KEY": "django-SECRET-signing-key-" + "s3cr3t" * 8,
    "OPENAI_API_KEY": "sk-test-SECRET-openai-0123456789abcdef",
    "ANTHROPIC_API_KEY": "sk-ant-test-SECRET-anthropic-0123456789",
    "CHATBOT_GITHUB_CLIENT_SECRET": "gh-SECRET-client-secret-0123456789",
    "CHATBOT_KAKAO_CLIENT_SECRET": "kakao-SECRET-client-secret-0123456789",
    "CHATBOT_KAKAO_ADMIN_KEY": "kakao-SECRET-admin-key-0123456789",
    "CHATBOT_METRICS_TOKEN": "metrics-SECRET-token-0123456789abcdef",
}
ENV = {
    **SECRETS,
    "DJANGO_DEBUG": "1",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "CHATBOT_LLM_PROVIDER": "openai",
    "CHATBOT_LLM_MODELS": "anthropic:claude-haiku-4-5",
    "CHATBOT_GITHUB_CLIENT_ID": "gh-client-id",
    "CHATBOT_KAKAO_CLIENT_ID": "kakao-client-id",
}
FOREIGN = {"Host": "rebind.attacker.example:8000"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator["LiveServer"]:
    """DEBUG on, secrets set, and a database nobody migrated: every request that reads a table
    fails, which is the easy way to a 500."""
    from tests.support.live_server import app_server

    empty = Path(tmp_path_factory.mktemp("debug-server")) / "never-migrated.sqlite3"
    with app_server(db_url=f"sqlite:///{empty}", workers=1, env=ENV) as server:
        yield server


def assert_no_secret(response: httpx.Response) -> None:
    body = response.text + "".join(f"{k}: {v}\n" for k, v in response.headers.items())
    for name, value in SECRETS.items():
        assert value not in body, f"{name} is in the answer to {response.request.url}"


@pytest.mark.parametrize(
    "path", ["/api/chats/", "/api/nowhere/", "/api/me/", "/admin/", "/nowhere", "/healthz"]
)
@pytest.mark.parametrize("accept", [HTML, {"Accept": "text/plain"}], ids=["html", "text"])
def test_a_foreign_host_gets_a_json_400_and_no_debug_page(
    debug_server: "LiveServer", path: str, accept: dict[str, str]
) -> None:
    with debug_server.client() as client:
        response = client.get(path, headers={**FOREIGN, **accept})

    assert_no_secret(response)
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "bad_request"


@pytest.mark.parametrize(
    "path",
    ["/api/nowhere/", "/api/chats/1/nope/", "/api/chats/99999999999999999999/", "/nowhere"],
)
def test_an_unknown_path_is_a_json_404_without_the_url_patterns(
    debug_server: "LiveServer", path: str
) -> None:
    with debug_server.client() as client:
        response = client.get(path, headers=HTML)

    assert_no_secret(response)
    assert response.status_code == 404, response.text[:300]
    assert response.json()["code"] == "not_found"
    assert "api/auth/signup" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/chats/", None),
        ("GET", "/api/chats/1/", None),
        ("POST", "/api/auth/login/", {"email": "kim@example.com", "password": "a passphrase"}),
        ("POST", "/api/auth/signup/", {"email": "k@example.com", "password": "x" * 12}),
        # Django refuses to redirect a POST to the slashed path in DEBUG, with an exception.
        ("POST", "/api/chats", {"current_state": "s", "goal": "g"}),
    ],
)
@pytest.mark.parametrize(
    "accept", [HTML, {"Accept": "text/plain, */*;q=0.1"}], ids=["html", "text"]
)
def test_a_server_error_on_the_api_is_json_even_in_debug(
    debug_server: "LiveServer",
    method: str,
    path: str,
    body: dict[str, str] | None,
    accept: dict[str, str],
) -> None:
    with debug_server.client() as client:
        response = client.request(method, path, json=body, headers=accept)

    assert_no_secret(response)
    assert response.status_code == 500, response.text[:300]
    assert response.json() == {
        "code": "server_error",
        "detail": "Something went wrong on our side.",
    }


def test_the_debug_page_of_the_admin_shows_no_secret(debug_server: "LiveServer") -> None:
    """The admin's pages are for people and keep Django's debug page in DEBUG: its settings and
    local variables are cleansed."""
    with debug_server.client() as client:
        form = client.get("/admin/login/", headers=HTML)
        assert form.status_code == 200, form.text[:300]
        response = client.post(
            "/admin/login/",
            data={
                "username": "kim@example.com",
                "password": "a passphrase",
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            headers={**HTML, "Referer": f"{debug_server.url}/admin/login/"},
        )

    assert response.status_code == 500, response.text[:300]
    # The control: it is the debug page, with the service's settings in it.
    assert "seeing this error because you have" in response.text
    assert "openai_api_key" in response.text
    assert_no_secret(response)
