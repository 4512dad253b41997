"""Share pages (`GET /c/{id}`): what link previews read of a public chat, nothing private, and
a way on to the web app's page of the chat. The tags are read the way a crawler reads them,
from the HTML."""

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from django_project.robots import NOINDEX
from tests.integration.conftest import Member, start_chat
from tests.integration.test_reports import hide

pytestmark = pytest.mark.django_db(transaction=True)

FROM = "주니어 개발자예요, 3년 차."
TO = "팀장이 되고 싶어요"
HOSTILE = '"><script>alert(1)</script>'


class Page(HTMLParser):
    """The tags a crawler reads: <html lang>, the metas by property or name, links, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.meta: dict[str, str] = {}
        self.links: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = found.get("lang")
        elif tag == "meta":
            key = found.get("property") or found.get("name") or found.get("http-equiv")
            if key:
                self.meta[key] = found.get("content", "")
        elif tag == "a":
            self.links.append(found.get("href", ""))
        elif tag == "script":
            self.scripts += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def share(chat_id: int, **headers: Any) -> Any:
    return Client().get(f"/c/{chat_id}", **headers)


def test_a_public_chat_has_a_share_page_with_its_preview_tags(
    make_member: Callable[..., Member], settings: Any
) -> None:
    settings.CHATBOT = settings.CHATBOT.model_copy(
        update={"frontend_url": "https://app.example.com/"}
    )
    owner = make_member(nickname="sharer", born_year=1991, job="Lighthouse keeper")
    chat_id = start_chat(owner, current_state=FROM, goal=TO, misc="Evenings only.").json()["id"]

    response = share(chat_id, HTTP_ACCEPT_LANGUAGE="ko")
    page = Page(response.content.decode())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert page.meta["og:title"] == TO
    assert page.meta["og:description"] == f"{FROM} → {TO}"
    assert page.meta["og:site_name"] == "chatbot"
    assert page.meta["og:type"] == "article"
    assert page.meta["og:url"] == f"http://testserver/c/{chat_id}"
    assert page.meta["og:image"] == "http://testserver/img/share-card.png"
    image = Client().get("/img/share-card.png")
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
    png = b"".join(image.streaming_content)  # type: ignore[attr-defined]
    assert png[1:4] == b"PNG"
    # As large as the tags say (IHDR's width and height), and light enough for a preview
    # fetched with every share (a quantized palette: 48 KB where the full-colour one was 321).
    size = (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"))
    assert size == (int(page.meta["og:image:width"]), int(page.meta["og:image:height"]))
    assert len(png) < 100_000
    assert page.meta["twitter:card"] == "summary_large_image"
    assert page.meta["twitter:title"] == TO
    target = f"https://app.example.com/#/chats/{chat_id}"
    assert page.meta["refresh"] == f"0; url={target}"
    assert target in page.links
    assert page.lang == "ko"  # the journey is written in Korean
    assert "sharer" in "".join(page.text)
    assert page.scripts == 0
    body = response.content.decode()
    for private in (owner.email, "1991", "Lighthouse keeper", "Evenings only."):
        assert private not in body
    # As cacheable as the chat's public read, and revalidated by its version.
    assert response["Cache-Control"] == "public, max-age=0, s-maxage=5"
    again = share(chat_id, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert "script-src" not in response["Content-Security-Policy"]


def test_the_page_is_in_the_language_of_the_journey_and_one_query_however_long_the_chat(
    member: Member, django_assert_num_queries: Any
) -> None:
    chat_id = start_chat(member, current_state="A nurse.", goal="Run a clinic.").json()["id"]
    for n in range(3):
        member.client.post(f"/api/chats/{chat_id}/messages/", {"content": f"{n}?"}, format="json")

    with django_assert_num_queries(1):
        response = share(chat_id)

    assert Page(response.content.decode()).lang == "en"


def test_an_anonymous_chat_shows_no_author_and_is_never_indexable(
    make_member: Callable[..., Member], settings: Any
) -> None:
    settings.CHATBOT_ALLOW_INDEXING = True
    owner = make_member(nickname="hidden-name")
    named = start_chat(owner).json()["id"]
    anonymous = start_chat(owner, anonymous=True).json()["id"]  # type: ignore[arg-type]

    shown, unnamed = share(named), share(anonymous)

    assert "hidden-name" in shown.content.decode()
    assert "X-Robots-Tag" not in shown
    assert "hidden-name" not in unnamed.content.decode()
    assert unnamed["X-Robots-Tag"] == NOINDEX


def test_share_pages_say_noindex_unless_indexing_is_allowed(member: Member) -> None:
    assert share(start_chat(member).json()["id"])["X-Robots-Tag"] == NOINDEX


def test_everything_the_member_wrote_comes_out_escaped(member: Member) -> None:
    chat_id = start_chat(member, current_state=HOSTILE, goal=HOSTILE).json()["id"]

    response = share(chat_id)
    page = Page(response.content.decode())

    assert "<script>" not in response.content.decode()
    assert page.scripts == 0
    assert page.meta["og:title"] == HOSTILE
    assert page.meta["og:description"] == f"{HOSTILE} → {HOSTILE}"


@pytest.mark.parametrize("case", ["unknown", "deleted", "hidden"])
def test_a_chat_that_is_not_there_is_a_404_page_no_cache_keeps(member: Member, case: str) -> None:
    chat_id = start_chat(member).json()["id"]
    if case == "unknown":
        chat_id += 1000
    elif case == "deleted":
        assert member.client.delete(f"/api/chats/{chat_id}/").status_code == 204
    else:
        hide(chat_id)

    response = share(chat_id)

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert Page(response.content.decode()).lang == "ko"
    assert "og:title" not in Page(response.content.decode()).meta
