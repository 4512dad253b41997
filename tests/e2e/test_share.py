"""Journeys and sharing in the browser: cards show where each chat's member started and the goal
they set; "Start from this journey" opens a new chat with another chat's answers typed in, to
edit and send; the Share button copies the chat's /c/{id} link, and that link leads back to the
chat in the web app."""

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, Members, screenshot, sign_in
from tests.support.live_server import LiveServer

LONG_FROM = (
    "I have been a junior backend developer at a small logistics startup for three years, "
    "writing Python services, fixing on-call incidents at night and reviewing my peers' code "
    "while wondering what comes next."
)


def test_cards_show_the_journey_on_two_clamped_lines(
    page: Page, api: LiveServer, members: Members
) -> None:
    owner = members.create("journey")
    goal = f"Lead a platform team {owner.nickname}"
    members.start_chat(owner, goal=goal, current_state=LONG_FROM)
    anonymous = members.start_chat(owner, goal=f"Quietly {goal}", anonymous=True)  # type: ignore[arg-type]
    assert anonymous["author"]["nickname"] == owner.nickname  # the owner's own copy

    page.goto(f"{api.url}/#/")
    card = page.locator(".card", has_text=re.compile(f"^{re.escape(goal)}"))
    expect(card.locator(".journey-from")).to_contain_text("Now")
    expect(card.locator(".journey-from .journey-text")).to_have_text(LONG_FROM)
    expect(card.locator(".journey-to .journey-text")).to_have_text(goal)
    expect(card.locator(".card-author")).to_have_text(f"by {owner.nickname}")
    expect(card.locator("time")).to_be_visible()
    expect(card).to_contain_text("1 message")
    # The long answer stays on one line, cut with an ellipsis rather than wrapping.
    line = card.locator(".journey-from")
    height = line.evaluate("el => el.getBoundingClientRect().height")
    line_height = line.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert height < 1.5 * line_height, (height, line_height)
    assert line.evaluate("el => el.scrollHeight > el.clientHeight")
    # An anonymous chat's card shows its journey and no author, as before.
    unnamed = page.locator(".card", has_text=f"Quietly {goal}")
    expect(unnamed.locator(".journey-to .journey-text")).to_have_text(f"Quietly {goal}")
    expect(unnamed.locator(".card-author")).to_have_text("anonymous")
    screenshot(page, "share-feed-cards")


def test_start_from_this_journey_fills_in_the_answers_to_edit_and_send(
    page: Page, new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    author = members.create("origin")
    chat = members.start_chat(
        author, goal="Become a team lead", current_state="A junior developer.", misc="Remote."
    )
    reader = members.create("follower")
    sign_in(page, api, reader, f"/chats/{chat['id']}")

    page.get_by_role("link", name="Start from this journey").click()
    expect(page).to_have_url(f"{api.url}/#/new?from={chat['id']}")
    expect(page.locator(".journey-note")).to_contain_text("Become a team lead")
    box = page.get_by_label("Your answer")
    expect(box).to_have_value("A junior developer.")
    screenshot(page, "share-start-from-journey")
    box.fill("A senior developer.")  # edited
    box.press("Enter")
    expect(box).to_have_value("Become a team lead")
    box.press("Enter")  # kept as it was
    expect(box).to_have_value("Remote.")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"#/chats/\d+$"), timeout=20_000)

    new_id = int(page.url.rsplit("/", 1)[1])
    assert new_id != chat["id"]
    with api.client(reader.access) as client:
        made = client.get(f"/api/chats/{new_id}/").json()
        usage = client.get("/api/me/").json()
    assert made["author"]["nickname"] == reader.nickname  # their own request
    assert [(p["kind"], p["answer"]) for p in made["intake"]] == [
        ("current_state", "A senior developer."),
        ("goal", "Become a team lead"),
        ("misc", "Remote."),
    ]
    assert usage["quota"]["used"] == 1, usage  # charged to them, not to the author

    # Logged out, the button goes through the login page and back to the filled-in intake.
    visitor = new_context().new_page()
    visitor.goto(f"{api.url}/#/chats/{chat['id']}")
    visitor.get_by_role("link", name="Start from this journey").click()
    expect(visitor).to_have_url(re.compile(r"#/login\?next="))
    visitor.get_by_label("Email").fill(reader.email)
    visitor.get_by_label("Password").fill(PASSWORD)
    visitor.get_by_role("button", name="Log in").click()
    expect(visitor).to_have_url(f"{api.url}/#/new?from={chat['id']}")
    expect(visitor.get_by_label("Your answer")).to_have_value("A junior developer.")


def test_the_share_button_copies_the_share_link_which_leads_back_to_the_chat(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    author = members.create("sharer")
    chat = members.start_chat(author, goal="Ship my first open source library")
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{api.url}/#/chats/{chat['id']}")

    page.get_by_role("button", name="Share").click()

    link = f"{api.url}/c/{chat['id']}"
    expect(page.locator("#toast")).to_have_text(f"Link copied: {link}")
    expect(page.locator(".share-button")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link
    screenshot(page, "share-link-copied")

    # In Korean, the same confirmation in Korean.
    korean = new_context(locale="ko-KR", permissions=["clipboard-read", "clipboard-write"])
    reader = korean.new_page()
    reader.goto(f"{api.url}/#/chats/{chat['id']}")
    reader.get_by_role("button", name="공유").click()
    expect(reader.locator("#toast")).to_have_text(f"링크를 복사했어요: {link}")
    expect(reader.get_by_role("link", name="이 여정으로 시작하기")).to_be_visible()

    page.goto(link)
    expect(page).to_have_url(f"{api.url}/#/chats/{chat['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ship my first open source library")
    screenshot(page, "share-link-followed")
