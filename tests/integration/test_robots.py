"""Nothing is indexed by default: every answer says noindex and /robots.txt keeps crawlers out."""

from typing import Any

import pytest
from django.test import Client

from tests.integration.conftest import Member, start_chat


@pytest.mark.parametrize(
    "path",
    [
        "/",  # the web app, from WhiteNoise
        "/js/main.js",
        "/api/chats/",
        "/api/chats/intake/",
        "/api/schema/",
        "/admin/login/",
        "/no/such/page",
        "/healthz",
    ],
)
def test_every_answer_says_noindex(db: None, path: str) -> None:
    response = Client().get(path)

    assert response.status_code in {200, 404}, (path, response.status_code)
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize("allow", [False, True])
def test_a_public_chat_says_noindex_whatever_the_setting(
    member: Member, settings: Any, allow: bool
) -> None:
    # Share pages may become indexable with CHATBOT_ALLOW_INDEXING; the API never does.
    settings.CHATBOT_ALLOW_INDEXING = allow
    chat_id = start_chat(member).json()["id"]

    response = Client().get(f"/api/chats/{chat_id}/")

    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_robots_txt_keeps_every_crawler_out_by_default(db: None) -> None:
    response = Client().get("/robots.txt")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == ["User-agent: *", "Disallow: /"]


def test_robots_txt_lets_crawlers_reach_share_pages_only_when_allowed(
    db: None, settings: Any
) -> None:
    settings.CHATBOT_ALLOW_INDEXING = True

    lines = Client().get("/robots.txt").content.decode().splitlines()

    assert lines == ["User-agent: *", "Allow: /c/", "Disallow: /"]
