"""Every page Django renders has a Content-Security-Policy: the admin and the API docs allow
scripts from our own files only, and nothing in them is an inline script or handler that such a
policy would block; JSON answers allow nothing at all."""

import contextvars
import re

import pytest
from django.test import Client

from adapters.orm.models import Member as MemberRow
from django_project.security import NO_PAGE, PAGE
from tests.integration.conftest import Member, start_chat

pytestmark = pytest.mark.django_db

# An executable script element without src (json_script's application/json ones never run).
INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE
)
INLINE_HANDLER = re.compile(rb"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}


def test_the_pages_policy_allows_no_inline_script_and_no_other_origin() -> None:
    page = directives(PAGE)

    assert page["default-src"] == ["'none'"]
    assert page["script-src"] == ["'self'"]
    assert page["frame-ancestors"] == ["'none'"]
    assert all("*" not in v and "http" not in v for values in page.values() for v in values)
    assert directives(NO_PAGE)["default-src"] == ["'none'"]


def assert_page(response: object) -> None:
    assert response.status_code == 200, response  # type: ignore[attr-defined]
    assert response["Content-Security-Policy"] == PAGE  # type: ignore[index]
    body = response.content  # type: ignore[attr-defined]
    assert not INLINE_SCRIPT.findall(body), INLINE_SCRIPT.findall(body)
    assert not INLINE_HANDLER.findall(body), INLINE_HANDLER.findall(body)


def test_the_api_docs_have_the_page_policy_and_no_inline_script() -> None:
    browser = Client()

    page = browser.get("/api/docs/")
    script_url = re.findall(rb'<script src="([^"]*\?[^"]*script[^"]*)"', page.content)

    assert_page(page)
    assert len(script_url) == 1, page.content
    script = browser.get(script_url[0].decode().replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_the_admin_has_the_page_policy_and_no_inline_script(member: Member) -> None:
    start_chat(member)
    admin = MemberRow.objects.create_superuser("admin@example.com", "x", nickname="admin")
    browser = Client()
    assert_page(browser.get("/admin/login/"))
    browser.force_login(admin)

    for path in (
        "/admin/",
        "/admin/chatbot/member/",
        f"/admin/chatbot/member/{member.id}/change/",
        "/admin/chatbot/chat/",
        "/admin/chatbot/turn/",
    ):
        assert_page(browser.get(path))


@pytest.mark.parametrize("path", ["/api/chats/", "/api/chats/intake/", "/api/nothing/", "/healthz"])
def test_everything_else_django_answers_allows_nothing(path: str) -> None:
    response = Client().get(path)

    assert response["Content-Security-Policy"] == NO_PAGE


def test_the_web_app_keeps_its_own_policy() -> None:
    # WhiteNoise answers before the middleware; the page's full policy is in its <meta> tag.
    # In a context of its own: a streamed file's request ends (and the logging middleware
    # forgets its request id) when the response is closed, which the test client leaves to us.
    response = contextvars.copy_context().run(Client().get, "/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
