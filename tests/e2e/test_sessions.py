"""Logging in and staying logged in: ?next=, silent token refresh, and a session that ends."""

from collections.abc import Callable
from urllib.parse import quote

from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.e2e.conftest import (
    PASSWORD,
    Member,
    Members,
    expired_access_token,
    refresh_works,
    screenshot,
    sign_in,
    stored_tokens,
)
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer


def log_in_with_keyboard(page: Page, member: Member) -> None:
    """Fill the login form the way a keyboard user does: type, Tab, type, Enter."""
    email = page.get_by_label("Email")
    expect(email).to_be_focused()
    page.keyboard.type(member.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_a_visitor_is_sent_to_log_in_and_comes_back(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("next")
    page.goto(f"{api.url}/#/new")
    expect(page).to_have_url(f"{api.url}/#/login?next=%2Fnew")
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    expect(page.locator(".notice")).to_have_text("Please log in to continue.")
    screenshot(page, "08-log-in-to-continue")
    log_in_with_keyboard(page, member)
    expect(page).to_have_url(f"{api.url}/#/new")
    expect(page.get_by_role("heading", name="New chat", level=1)).to_be_visible()


OFF_SITE = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]


def test_after_login_an_off_site_or_missing_next_leads_to_the_main_page(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("offsite")
    page.goto(f"{api.url}/#/login?next={quote(OFF_SITE[0], safe='')}")
    log_in_with_keyboard(page, member)
    expect(page).to_have_url(f"{api.url}/#/")
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()
    # The login page sends a member who is already logged in on at once, through the same check.
    for next_value in [*OFF_SITE[1:], "", "/login?next=%2Fnew"]:
        page.goto(f"{api.url}/#/login?next={quote(next_value, safe='')}")
        expect(page).to_have_url(f"{api.url}/#/")
    page.goto(f"{api.url}/#/login?next={quote('/chats/1', safe='')}")
    expect(page).to_have_url(f"{api.url}/#/chats/1")


def test_wrong_password_reads_as_a_sentence(page: Page, api: LiveServer, members: Members) -> None:
    member = members.create("wrong")
    page.goto(f"{api.url}/#/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account."
    )
    expect(page).to_have_url(f"{api.url}/#/login")


def test_an_expired_access_token_is_refreshed_silently_once(
    page: Page, api: LiveServer, model: FakeOpenAI, members: Members
) -> None:
    member = members.create("refresh")
    chat = members.start_chat(member)
    sign_in(page, api, member, f"/chats/{chat['id']}")
    expect(page.get_by_label("Your message")).to_be_editable()

    # The access token runs out while the page is open.
    page.evaluate(
        "tokens => localStorage.setItem('chatbot.tokens', JSON.stringify(tokens))",
        {"access": expired_access_token(member.id), "refresh": member.refresh},
    )
    refreshes: list[Request] = []
    page.on("request", lambda r: refreshes.append(r) if "/api/auth/refresh/" in r.url else None)
    model.script(Reply("Keep going."))
    page.get_by_label("Your message").fill("Still there?")
    page.get_by_label("Your message").press("Enter")

    # The question went through as if nothing happened ...
    expect(page.locator(".msg-answer").last).to_have_attribute("data-status", "completed")
    expect(page.locator(".msg-answer").last).to_contain_text("Keep going.")
    assert len(refreshes) == 1
    # ... with the rotated pair stored, and the old refresh token revoked by the rotation.
    tokens = stored_tokens(page)
    assert tokens is not None
    assert tokens["refresh"] != member.refresh
    assert tokens["access"] != member.access
    assert not refresh_works(api, member.refresh)


def test_a_failed_refresh_sends_them_to_log_in_without_losing_their_words(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    member = members.create("expired")
    chat = members.start_chat(member)
    page = new_context().new_page()
    sign_in(page, api, member, f"/chats/{chat['id']}")
    expect(page.get_by_label("Your message")).to_be_editable()

    # Both tokens are dead: the access token expired, the refresh token was revoked elsewhere.
    assert refresh_works(api, member.refresh)  # spends (revokes) it
    page.evaluate(
        "tokens => localStorage.setItem('chatbot.tokens', JSON.stringify(tokens))",
        {"access": expired_access_token(member.id), "refresh": member.refresh},
    )
    question = "A long question I typed\nbefore my session ended."
    page.get_by_label("Your message").fill(question)
    page.get_by_label("Your message").press("Enter")

    expect(page).to_have_url(f"{api.url}/#/login?next=%2Fchats%2F{chat['id']}")
    expect(page.locator(".notice")).to_have_text(
        "Your session has ended. Please log in again; what you typed is kept."
    )
    assert stored_tokens(page) is None
    screenshot(page, "09-session-ended")

    log_in_with_keyboard(page, member)
    expect(page).to_have_url(f"{api.url}/#/chats/{chat['id']}")
    expect(page.get_by_label("Your message")).to_have_value(question)
    # Nothing was sent while logged out: the chat still has its one turn.
    expect(page.locator(".msg-answer")).to_have_count(1)
