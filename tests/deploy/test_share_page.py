"""Share pages (/c/{id}) behind nginx (deploy/nginx/chatbot.conf): anonymous readers share a
copy for the app's s-maxage, the HTML and its headers arrive as the app sent them, and a chat
that is not there is a 404 page nobody keeps."""

from collections.abc import Iterator

import pytest

from tests.deploy.conftest import Nginx
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.members import sign_up_and_log_in

pytestmark = pytest.mark.django_db(transaction=True)

SETTLED = "public, max-age=0, s-maxage=5"  # src/django_project/api/caching.py
INTAKE = {"current_state": "I write Python at a small startup.", "goal": "Lead a team in 2 years."}


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    """A model that answers at once: these tests make chats, they do not watch them stream."""
    with FakeOpenAI(default=Reply("Ship one small project end to end.")) as server:
        yield server


def test_a_share_page_is_shared_by_nginx_and_a_missing_one_is_not(site: Nginx) -> None:
    with site.client() as anonymous:
        token = sign_up_and_log_in(anonymous, "sharepage").access
    with site.client(token) as member, site.client() as anonymous:
        made = member.post("/api/chats/", json=INTAKE)
        assert made.status_code == 201, made.text
        path = f"/c/{made.json()['id']}"

        miss, hit = anonymous.get(path), anonymous.get(path)
        missing = [anonymous.get(f"{path}0") for _ in range(2)]

    assert (miss.status_code, hit.status_code) == (200, 200)
    assert (miss.headers["x-cache-status"], hit.headers["x-cache-status"]) == ("MISS", "HIT")
    assert hit.text == miss.text
    assert 'property="og:title" content="Lead a team in 2 years."' in hit.text
    assert hit.headers["content-type"] == "text/html; charset=utf-8"
    assert hit.headers["cache-control"] == SETTLED
    assert hit.headers["x-robots-tag"] == "noindex, nofollow"
    assert "strict-transport-security" in hit.headers
    for answer in missing:
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["x-cache-status"] == "MISS"
