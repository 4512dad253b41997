"""A chat posted without the member's nickname, as its owner and a visitor see it."""

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Members, screenshot, sign_in
from tests.support.live_server import LiveServer


def test_an_anonymous_chat_hides_its_author_from_visitors_and_the_owner_can_change_it(
    page: Page, new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    owner = members.create("hidden")
    sign_in(page, api, owner, "/new")
    page.get_by_label("Post without my nickname").check()
    box = page.get_by_label("Your answer")
    box.fill("A junior developer.")
    box.press("Enter")
    box.fill("Lead a team.")
    box.press("Enter")
    page.get_by_role("button", name="Skip").click()
    expect(page).to_have_url(re.compile(r"#/chats/\d+$"), timeout=20_000)
    chat_path = page.url.split("#", 1)[1]

    # The owner still has their chat: the byline says anonymous, the box is there to go on.
    expect(page.locator(".chat-head")).to_contain_text("Started anonymously")
    expect(page.get_by_label("Your message")).to_be_visible()
    expect(page.get_by_role("button", name="Show my nickname")).to_be_visible()
    screenshot(page, "47-anonymous-chat-owner")

    visitor = new_context().new_page()
    visitor.goto(f"{api.url}/#{chat_path}")
    expect(visitor.locator(".chat-head")).to_contain_text("Started anonymously")
    expect(visitor.locator(".read-only")).to_have_text(
        re.compile("You are reading an anonymous chat.")
    )
    visitor.goto(f"{api.url}/#/")
    card = visitor.locator(".card", has_text="Lead a team.")
    expect(card.locator(".card-author")).to_have_text("anonymous")
    assert owner.nickname not in visitor.locator("body").inner_text()
    assert owner.nickname not in page.locator(".page-chat").inner_text()
    screenshot(visitor, "48-anonymous-chat-visitor")

    page.get_by_role("button", name="Show my nickname").click()
    expect(page.locator(".chat-head")).to_contain_text(f"Started by {owner.nickname}")
    expect(page.get_by_role("button", name="Hide my nickname")).to_be_visible()
    visitor.goto(f"{api.url}/#{chat_path}")
    expect(visitor.locator(".chat-head")).to_contain_text(f"Started by {owner.nickname}")
