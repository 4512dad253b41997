"""The public feed's paging, and the app in Korean, on a phone, in dark mode."""

from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Members, screenshot, sign_in
from tests.support.live_server import LiveServer

PAGE_SIZE = 20  # frontend/public/js/api.js


def test_the_feed_is_newest_first_and_loads_more_on_scroll(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("feed")
    titles = [
        members.start_chat(member, goal=f"Feed goal {n:02d}")["title"] for n in range(PAGE_SIZE + 1)
    ]
    newest_first = titles[::-1]
    pages: list[str] = []
    page.on("request", lambda r: pages.append(r.url) if "/api/chats/?" in r.url else None)

    page.goto(f"{api.url}/")
    cards = page.locator(".card-title")
    expect(cards).to_have_count(PAGE_SIZE)
    expect(cards).to_have_text(newest_first[:PAGE_SIZE])
    assert len(pages) == 1

    # Scrolling to the end brings the next page, without pressing anything.
    cards.last.scroll_into_view_if_needed()
    page.mouse.wheel(0, 4000)
    expect(page.locator(".card-title", has_text="Feed goal 00")).to_be_visible()
    assert "cursor=" in pages[1]
    assert page.locator(".card-title").all_inner_texts()[: PAGE_SIZE + 1] == newest_first


def test_korean_on_a_phone_in_dark_mode(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    phone = new_context(
        locale="ko-KR",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="dark",
    )
    page = phone.new_page()
    member = members.create("phone")
    members.start_chat(member, goal="모바일에서 보는 대화")

    # The browser prefers Korean, the system dark: the app follows both.
    page.goto(f"{api.url}/")
    expect(page.get_by_role("heading", name="공개 대화", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "ko"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(14, 17, 23)", background
    # On a narrow screen the sidebar is a drawer behind the menu button.
    sidebar = page.locator("#sidebar")
    expect(sidebar).not_to_be_visible()
    screenshot(page, "14-phone-korean-dark-feed")
    menu = page.get_by_role("button", name="메뉴", exact=True)
    menu.click()
    expect(sidebar).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sidebar.get_by_role("link", name="새 대화")).to_be_focused()
    screenshot(page, "15-phone-drawer")
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_visible()
    expect(menu).to_be_focused()

    # Logged in: the coach asks in Korean, and the language can be switched on the spot.
    sign_in(page, api, member, "/new")
    expect(page.locator(".msg-bot").last).to_contain_text("지금 어떤 상태인지 알려주세요.")
    expect(page.locator(".quota-short")).to_have_text("오늘 24/25회 남음")
    page.get_by_label("내 답").fill("주니어 개발자예요.")
    screenshot(page, "16-phone-korean-intake")
    page.get_by_label("언어").select_option("en")
    expect(page.get_by_role("heading", name="New chat", level=1)).to_be_visible()
    expect(page.locator(".msg-bot").last).to_contain_text("where you are now")
    # What was typed survived the switch.
    expect(page.get_by_label("Your answer")).to_have_value("주니어 개발자예요.")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.get_by_role("heading", name="New chat", level=1)).to_be_visible()  # remembered
