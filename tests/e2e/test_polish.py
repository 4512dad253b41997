"""The rough edges of issue 15, in Chromium: what a screen reader hears when an answer arrives
and when the page changes, where focus goes, the sign-up and login forms, copying and
downloading, the new chat turning into the chat in place, the feed's retry and a missing chat,
the phone's drawer and the allowance's reset time, the install manifest, and the Kakao button."""

import re
import struct
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    ANSWER,
    DAILY_LIMIT,
    Members,
    StaticSite,
    fill_sign_up,
    screenshot,
    sign_in,
    tick_consents,
)
from tests.e2e.test_quota_and_errors import use_requests
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer
from tests.support.members import PASSWORD

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# Every text the answer's live region is given, in order (a MutationObserver sees each change).
RECORD_ANNOUNCEMENTS = """() => {
  window.announced = [];
  const region = document.getElementById("answer-announcer");
  new MutationObserver(() => window.announced.push(region.textContent)).observe(region, {
    childList: true, characterData: true, subtree: true,
  });
}"""


def finished_answers(page: Page) -> Any:
    return page.locator('.msg-answer[data-status="completed"]')


# ---------------------------------------------------------------- 4, 8: announced, copied, saved


def test_an_answer_is_announced_once_when_it_is_complete(
    page: Page, api: LiveServer, members: Members, model: FakeOpenAI
) -> None:
    member = members.create("polannounce")
    chat = members.start_chat(member)
    sign_in(page, api, member, f"/chats/{chat['id']}")
    expect(finished_answers(page)).to_have_count(1)
    region = page.locator("#answer-announcer")
    expect(region).to_have_attribute("aria-live", "polite")
    # Reading a stored chat announces nothing; only an answer arriving does.
    expect(region).to_have_text("")
    page.evaluate(RECORD_ANNOUNCEMENTS)

    model.script(Reply(ANSWER, token_delay_s=0.02))
    box = page.get_by_label("Your message")
    box.fill("And after that?")
    box.press("Enter")
    expect(page.locator('.msg-answer[data-status="streaming"]')).to_have_count(1)
    expect(finished_answers(page)).to_have_count(2)

    expect(region).to_have_text(re.compile(r"^The coach answered: Here is a plan in three steps"))
    expect(region).to_contain_text("Mentor a newer teammate every week.")
    expect(region).to_contain_text("print('hello, team')")
    expect(region).not_to_contain_text("Copy")
    # Once for the whole answer, though it came in dozens of pieces.
    assert page.evaluate("window.announced.filter(Boolean).length") == 1, page.evaluate(
        "window.announced"
    )
    assert len(ANSWER.split()) > 20


def test_copy_any_answer_and_download_the_chat_as_markdown(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    page = new_context(permissions=["clipboard-read", "clipboard-write"]).new_page()
    member = members.create("polcopy")
    chat = members.start_chat(member, goal="Lead a team / someday: soon")
    use_requests(api, member, chat["id"], 1)
    sign_in(page, api, member, f"/chats/{chat['id']}")
    expect(finished_answers(page)).to_have_count(2)

    # Every answer has its own copy button, besides the ones on its code blocks.
    copies = page.get_by_role("button", name="Copy the answer")
    expect(copies).to_have_count(2)
    copies.first.click()
    expect(copies.first).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == ANSWER
    screenshot(page, "polish-answer-copy")

    with page.expect_download() as saving:
        page.get_by_role("button", name="Download as Markdown").click()
    download = saving.value
    assert download.suggested_filename == f"{chat['title']}.md".replace("/", "-").replace(":", "-")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith(f"# {chat['title']}\n")
    # The intake's questions and answers, then each message and answer, under who said it.
    for item in chat["intake"]:
        assert item["question"] in text
        assert item["answer"] in text
    assert "### You\n\nQuestion 0" in text
    assert text.count("### Coach") >= len(chat["intake"]) + 2
    assert text.count("Lead the next design review.") == 2


# ---------------------------------------------------------------- 5, 6: sign-up and login forms


def test_sign_up_errors_stand_at_their_fields_and_the_title_stays_in_view(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    page = new_context(viewport={"width": 1280, "height": 700}).new_page()
    email, nickname = members.fresh_identity("polsignup")
    fill_sign_up(page, api, email, nickname)
    tick_consents(page)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/auth/signup/" in r.url else None)
    password = page.get_by_label("Password", exact=True)
    heading = page.get_by_role("heading", name="Create your account", level=1)

    # Too short is told at once, in the server's words, and nothing is sent.
    password.fill("short")
    page.get_by_role("button", name="Create account").click()
    error = page.locator("#field-password-error")
    expect(error).to_have_text(
        "This password is too short. It must contain at least 10 characters."
    )
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"field-password-error"))
    expect(password).to_be_focused()
    expect(heading).to_be_in_viewport()
    assert sent == []

    # The server's refusal lands at its field too, with no vague sentence at the bottom.
    password.fill("password1234")
    with page.expect_response("**/api/auth/signup/") as refused:
        page.get_by_role("button", name="Create account").click()
    assert refused.value.status == 400
    expect(error).to_have_text("This password is too common.")
    expect(page.locator(".form-alert")).to_be_empty()
    expect(page.get_by_text("Some fields need another look.")).to_have_count(0)
    expect(password).to_be_focused()
    expect(heading).to_be_in_viewport()
    screenshot(page, "polish-signup-field-errors")

    # An empty required field is named at itself as well.
    page.get_by_label("Nickname").fill("")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#field-nickname-error")).to_have_text("This field is required.")
    expect(page.get_by_label("Nickname")).to_be_focused()
    expect(error).to_be_hidden()
    expect(password).not_to_have_attribute("aria-invalid", "true")


def test_login_shows_the_password_on_request_and_keeps_the_email_after_a_wrong_one(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("pollogin")
    page.goto(f"{api.url}/#/login")
    email = page.get_by_label("Email")
    password = page.get_by_label("Password", exact=True)
    toggle = page.get_by_role("button", name="Show password")
    email.fill(member.email)
    password.fill("not-the-password")

    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(password).to_have_attribute("type", "password")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(password).to_have_attribute("type", "text")
    screenshot(page, "polish-login-password-shown")
    toggle.click()
    expect(password).to_have_attribute("type", "password")

    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account."
    )
    expect(email).to_have_value(member.email)
    expect(password).to_have_value("")
    expect(password).to_be_focused()

    password.fill(PASSWORD)
    password.press("Enter")
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()


# ---------------------------------------------------------------- 7: focus and page changes


def active(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return `${e.tagName.toLowerCase()}#${e.id}.${e.className}`; }"
        )
    )


def test_focus_follows_links_only_and_tab_starts_at_the_skip_link(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("polfocus")
    chat = members.start_chat(member, goal="Find focus")
    page.goto(f"{api.url}/")
    expect(page.locator(".card").first).to_be_visible()

    # A fresh page: the first Tab is the skip link, the next ones the header.
    page.keyboard.press("Tab")
    assert active(page).startswith("a#.skip-link"), active(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('topbar').contains(document.activeElement)")

    # A link followed: focus goes to the new page's heading, and its title is announced.
    page.get_by_role("link", name=re.compile(chat["title"])).click()
    heading = page.get_by_role("heading", name=chat["title"], level=1)
    expect(heading).to_be_focused()
    expect(page.locator("#page-announcer")).to_have_text(chat["title"])
    expect(page).to_have_title(f"{chat['title']} · chatbot")

    # Back: the page is announced, focus starts again at the top of the document.
    page.go_back()
    feed = page.get_by_role("heading", name="Public chats", level=1)
    expect(feed).to_be_visible()
    expect(page.locator("#page-announcer")).to_have_text("Public chats")
    expect(feed).not_to_be_focused()
    page.keyboard.press("Tab")
    assert active(page).startswith("a#.skip-link"), active(page)
    # The skip link still skips.
    page.keyboard.press("Enter")
    assert active(page).startswith("main#main"), active(page)

    # A reload of the chat: no heading focus either.
    page.goto(f"{api.url}/#/chats/{chat['id']}")
    page.reload()
    expect(heading).to_be_visible()
    expect(heading).not_to_be_focused()
    page.keyboard.press("Tab")
    assert active(page).startswith("a#.skip-link"), active(page)


# ---------------------------------------------------------------- 11: intake to chat, in place


def test_the_new_chat_becomes_the_chat_in_place_while_the_first_answer_streams(
    page: Page, api: LiveServer, members: Members, model: FakeOpenAI
) -> None:
    member = members.create("polintake")
    sign_in(page, api, member, "/new")
    box = page.get_by_label("Your answer")
    step = page.locator(".intake-step")
    expect(step).to_have_text("Question 1 of 3")
    box.fill("A junior developer.")
    box.press("Enter")
    box.fill("Lead a small team.")
    box.press("Enter")
    expect(step).to_have_text("Question 3 of 3")
    # Whenever the page changes, is there a spinner or no page at all? (A redraw shows one.)
    page.evaluate(
        """() => {
      window.jumps = [];
      const main = document.getElementById("main");
      new MutationObserver(() => {
        if (main.querySelector(".loading") || !main.querySelector(".page")) {
          window.jumps.push(main.innerHTML.slice(0, 120));
        }
      }).observe(main, { childList: true, subtree: true });
    }"""
    )
    model.script(Reply(ANSWER, token_delay_s=0.08))
    box.fill("I like Python.")
    box.press("Enter")

    # While it streams: the member's last answer, the coach answering, no "Question 3 of 3".
    expect(page.locator('.msg-answer[data-status="streaming"]')).to_be_visible()
    expect(step).to_have_text("The coach is answering…")
    expect(page.locator(".msg-user").last).to_have_text(re.compile("I like Python."))
    expect(box).to_have_attribute("placeholder", "Ask a follow-up question…")
    screenshot(page, "polish-intake-answering")

    expect(page).to_have_url(re.compile(r"#/chats/\d+$"))
    expect(page.locator("h1.chat-title")).to_be_visible()
    expect(finished_answers(page)).to_have_count(1)
    expect(page.get_by_label("Your message")).to_be_visible()
    assert page.evaluate("window.jumps") == []


# ---------------------------------------------------------------- 12: feed retry, missing chat


def test_the_feed_offers_to_try_again_and_a_missing_chat_has_a_page(
    page: Page, api: LiveServer, members: Members
) -> None:
    members.start_chat(members.create("polfeed"))
    page.route("**/api/chats/?page_size=*", lambda route: route.abort())
    page.goto(f"{api.url}/")
    retry = page.get_by_role("button", name="Try again")
    expect(retry).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "We could not reach the server. Check your connection and try again."
    )
    expect(page.get_by_role("button", name="Load more chats")).to_have_count(0)
    screenshot(page, "polish-feed-try-again")
    page.unroute("**/api/chats/?page_size=*")
    retry.click()
    expect(page.locator(".card").first).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    # At the end of the feed, a sentence that reads naturally.
    end = page.locator(".feed-end")
    for _ in range(30):
        if end.is_visible():
            break
        page.mouse.wheel(0, 6000)
        page.wait_for_timeout(150)
    expect(end).to_have_text("That's every chat so far.")

    page.goto(f"{api.url}/#/chats/987654321")
    heading = page.get_by_role("heading", name="Chat not found", level=1)
    expect(heading).to_be_visible()
    expect(page.get_by_text("This chat does not exist, or it was deleted.")).to_be_visible()
    expect(page).to_have_title("Chat not found · chatbot")
    screenshot(page, "polish-chat-not-found")
    page.get_by_role("link", name="Go to the public chats").click()
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()


# ---------------------------------------------------------------- 13: reset time, hint, phone


def test_the_reset_reads_as_a_wait_and_the_enter_hint_only_where_it_helps(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    spent = members.create("polreset")
    chat = members.start_chat(spent)
    use_requests(api, spent, chat["id"], DAILY_LIMIT - 1)
    with api.client(spent.access) as client:
        resets_at = datetime.fromisoformat(client.get("/api/me/").json()["quota"]["resets_at"])
    assert (resets_at.hour, resets_at.minute) == (0, 0)

    page = new_context().new_page()
    sign_in(page, api, spent, f"/chats/{chat['id']}")
    note = page.locator(".composer-note")
    expect(note).to_have_text(
        re.compile(
            rf"You have used all {DAILY_LIMIT} requests for today\. You can ask again "
            r"in \d+ (hours?|minutes?) \(at 00:00\)\.$"
        )
    )
    # The box cannot send: no hint about sending.
    expect(page.get_by_label("Your message")).to_be_disabled()
    expect(page.locator(".composer-hint")).to_be_hidden()
    screenshot(page, "polish-reset-relative")

    korean = new_context(locale="ko-KR").new_page()
    sign_in(korean, api, spent, f"/chats/{chat['id']}")
    expect(korean.locator(".composer-note")).to_contain_text(
        re.compile(r"\d+(시간|분) 후\(00:00\)부터 다시 물어볼 수 있어요\.")
    )

    member = members.create("polphone")
    other = members.start_chat(member)
    desktop = new_context().new_page()
    sign_in(desktop, api, member, f"/chats/{other['id']}")
    expect(desktop.locator(".composer-hint")).to_be_visible()
    expect(desktop.locator(".composer-hint")).to_have_text(
        "Enter to send, Shift+Enter for a new line"
    )

    phone = new_context(**PHONE).new_page()
    sign_in(phone, api, member, f"/chats/{other['id']}")
    expect(phone.get_by_label("Your message")).to_be_enabled()
    expect(phone.locator(".composer-hint")).to_be_hidden()
    screenshot(phone, "polish-phone-chat", full_page=True)
    # No bare icon in the header: the drawer names the member and says "Log out" in words.
    topbar = phone.locator("#topbar")
    expect(topbar.get_by_role("button", name="Log out")).to_be_hidden()
    phone.get_by_role("button", name="Menu", exact=True).click()
    drawer = phone.locator("#sidebar")
    expect(drawer).to_contain_text(f"Logged in as {member.nickname}")
    logout = drawer.get_by_role("button", name="Log out")
    expect(logout).to_be_visible()
    expect(logout).to_have_text("Log out")
    screenshot(phone, "polish-phone-drawer")
    logout.click()
    expect(phone.locator("#toast")).to_have_text("You are logged out.")
    expect(phone.locator("#topbar").get_by_role("link", name="Log in")).to_be_visible()


# ---------------------------------------------------------------- 14: installable


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_app_is_installable(
    page: Page, api: LiveServer, other_origins: tuple[StaticSite, StaticSite]
) -> None:
    for origin in (api.url, other_origins[0].origin):
        page.goto(f"{origin}/")
        expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()
        policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
        assert policy
        assert "manifest-src 'self'" in policy
        assert page.locator('meta[name="theme-color"]').get_attribute("content") == "#4f46e5"
        # Chromium itself fetched and parsed the manifest, under the page's policy.
        cdp = page.context.new_cdp_session(page)
        found = cdp.send("Page.getAppManifest")
        assert found["url"] == f"{origin}/manifest.webmanifest", found
        assert found["errors"] == [], found["errors"]

        with httpx.Client(base_url=origin, timeout=10) as client:
            served = client.get("/manifest.webmanifest")
            assert served.status_code == 200
            if origin == api.url:
                assert served.headers["content-type"].startswith("application/manifest+json")
            manifest = served.json()
            assert manifest["name"]
            assert manifest["short_name"]
            assert manifest["start_url"] == "./"
            assert manifest["display"] == "standalone"
            assert manifest["theme_color"] == "#4f46e5"
            assert manifest["background_color"]
            sizes = {}
            for icon in manifest["icons"]:
                image = client.get(f"/{icon['src']}")
                assert image.status_code == 200, icon
                assert image.headers["content-type"] == "image/png"
                assert png_size(image.content) == tuple(map(int, icon["sizes"].split("x")))
                sizes.setdefault(icon["purpose"], set()).add(icon["sizes"])
            assert sizes == {"any": {"192x192", "512x512"}, "maskable": {"512x512"}}
            touch = page.locator('link[rel="apple-touch-icon"]').get_attribute("href")
            assert touch
            assert png_size(client.get(f"/{touch}").content) == (180, 180)


# ---------------------------------------------------------------- 15: Kakao's button


def test_the_kakao_button_follows_kakaos_design_guide(
    new_context: Callable[..., BrowserContext], oauth_api: LiveServer
) -> None:
    for locale, label in (("en-US", "Login with Kakao"), ("ko-KR", "카카오 로그인")):
        page = new_context(locale=locale).new_page()
        page.goto(f"{oauth_api.url}/#/login")
        button = page.get_by_role("link", name=label, exact=True)
        expect(button).to_be_visible()
        style = button.evaluate(
            "b => { const s = getComputedStyle(b);"
            " return [s.backgroundColor, s.color, s.borderTopLeftRadius]; }"
        )
        assert style == ["rgb(254, 229, 0)", "rgba(0, 0, 0, 0.85)", "12px"], style
        symbol = button.locator("svg.kakao-symbol path")
        expect(symbol).to_have_attribute("fill", "#000")
        assert button.locator("svg").get_attribute("aria-hidden") == "true"
        screenshot(page, f"polish-kakao-button-{locale[:2]}")
