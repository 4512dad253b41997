"""Starting a provider link from the web app on another origin, as a browser does it, against the
real server (uvicorn) configured by the environment: the preflight, the credentialed POST whose
answer sets the link's cookie, then the provider's consent (the loopback fake GitHub) and the
callback, which finds the cookie and lands on the web app's settings page."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.fake_github import FakeGitHub
from tests.support.members import PASSWORD

if TYPE_CHECKING:
    from tests.support.live_server import LiveServer

pytestmark = pytest.mark.django_db(transaction=True)
pytest_plugins = ["tests.support.live_server"]

# The web app's origin: another port of the same host, as the e2e tests serve it.
WEB = "http://127.0.0.1:8123"
OTHER = "http://127.0.0.1:8124"


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture(scope="module")
def app_server_options(github: FakeGitHub) -> dict[str, Any]:
    return {
        "workers": 1,
        "env": {
            "CHATBOT_CORS_ORIGINS": WEB,
            "CHATBOT_FRONTEND_URL": f"{WEB}/",
            "CHATBOT_GITHUB_CLIENT_ID": github.client_id,
            "CHATBOT_GITHUB_CLIENT_SECRET": github.client_secret,
            "CHATBOT_GITHUB_BASE_URL": github.base_url,
            "CHATBOT_GITHUB_API_URL": github.base_url,
        },
    }


def logged_in(api: httpx.Client) -> str:
    body = {
        "email": "kim@example.com",
        "password": PASSWORD,
        "nickname": "kim",
        "accept_terms": True,
        "over_14": True,
    }
    assert api.post("/api/auth/signup/", json=body).status_code == 201
    tokens = api.post("/api/auth/login/", json={"email": body["email"], "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    return str(tokens.json()["access"])


def test_a_link_started_from_the_web_apps_origin_sets_its_cookie_and_completes(
    live_app: LiveServer, github: FakeGitHub
) -> None:
    path = "/api/me/oauth/github/link/"
    with live_app.client() as api:
        access = logged_in(api)
        # What the browser asks before a credentialed POST with a token from another origin.
        preflight = api.options(
            path,
            headers={
                "Origin": WEB,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "accept, accept-language, authorization",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["Access-Control-Allow-Origin"] == WEB
        assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
        assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]

        started = api.post(
            path,
            headers={
                "Origin": WEB,
                "Authorization": f"Bearer {access}",
                "Accept": "application/json",
            },
        )
        assert started.status_code == 200, started.text
        assert started.headers["Access-Control-Allow-Origin"] == WEB
        assert started.headers["Access-Control-Allow-Credentials"] == "true"
        (raw,) = started.headers.get_list("set-cookie")
        cookie = SimpleCookie(raw)["chatbot_link_github"]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == "/api/auth/oauth/"
        assert cookie["max-age"] == "600"
        assert not cookie["secure"]  # plain HTTP; over HTTPS it is Secure

        # Nothing else under /api/ allows credentials, from the listed origin either.
        profile = api.get("/api/me/", headers={"Origin": WEB, "Authorization": f"Bearer {access}"})
        assert profile.headers["Access-Control-Allow-Origin"] == WEB
        assert "Access-Control-Allow-Credentials" not in profile.headers
        # An origin that is not listed gets no CORS headers at all: a browser hides the answer
        # from it, and its preflight for the token's header fails, so the POST is never sent.
        stranger = api.options(
            path,
            headers={
                "Origin": OTHER,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert "Access-Control-Allow-Origin" not in stranger.headers
        assert "Access-Control-Allow-Credentials" not in stranger.headers

        # The browser goes to the provider, and comes back with the cookie the POST set.
        back = github.consent(started.json()["url"])
        assert back.startswith(f"{live_app.url}/api/auth/oauth/github/callback/?")
        landed = api.get(back.removeprefix(live_app.url))
        assert landed.status_code == 302, landed.text
        assert landed.headers["Location"] == f"{WEB}/#/settings?linked=github"
        assert api.get("/api/me/", headers={"Authorization": f"Bearer {access}"}).json()[
            "linked_providers"
        ] == ["github"]
