"""Searching the feed in the browser: Korean and English, matches marked, the query in the
address, nothing sent while an IME composes, and an empty result that says what to try."""

from collections.abc import Callable
from urllib.parse import unquote

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Members, screenshot
from tests.support.live_server import LiveServer


def searches(page: Page) -> list[str]:
    """The search requests the page sends, as they are sent."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(unquote(r.url)) if "q=" in r.url else None)
    return sent


def test_a_korean_search_marks_the_word_inside_its_inflected_form_and_goes_in_the_address(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    page = new_context(locale="ko-KR").new_page()
    member = members.create("searchko")
    found = members.start_chat(
        member, current_state="등대지기 개발자예요.", goal="등대지기 팀장이 되고 싶어요."
    )
    members.start_chat(member, current_state="등대지기 디자이너예요.", goal="쉬고 싶어요.")
    sent = searches(page)

    page.goto(f"{api.url}/")
    box = page.get_by_role("searchbox", name="대화 검색")
    box.fill("등대지기 팀장")
    card = page.locator(".card").filter(has=page.locator(f'a[href="#/chats/{found["id"]}"]'))
    expect(page.locator(".card")).to_have_count(1)
    expect(card.locator(".card-snippet mark")).to_have_text(["등대지기", "팀장"])
    expect(card.locator(".card-snippet")).to_have_text("등대지기 팀장이 되고 싶어요.")
    # One request for the whole query, after the typing stopped.
    assert len([s for s in sent if "q=등대지기 팀장" in s]) == 1
    assert unquote(page.evaluate("location.hash")) == "#/?q=등대지기 팀장"
    screenshot(page, "search-korean")

    # The address brings the same search back.
    page.reload()
    expect(page.get_by_role("searchbox", name="대화 검색")).to_have_value("등대지기 팀장")
    expect(page.locator(".card-snippet mark")).to_have_text(["등대지기", "팀장"])


def test_nothing_is_searched_while_an_ime_composes(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("searchime")
    members.start_chat(member, goal="해녀학교 선생님이 되고 싶어요.")
    page.goto(f"{api.url}/")
    expect(page.locator(".card").first).to_be_visible()
    sent = searches(page)
    box = page.get_by_role("searchbox", name="Search chats")
    box.focus()
    box.dispatch_event("compositionstart")
    for partial in ("ㅎ", "해", "해녀", "해녀ㅎ", "해녀학", "해녀학교"):
        box.evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new InputEvent('input', "
            "{ isComposing: true, bubbles: true })); }",
            partial,
        )
    page.wait_for_timeout(700)  # more than the debounce: nothing may have gone
    assert sent == []
    box.dispatch_event("compositionend")
    expect(page.locator(".card-snippet mark")).to_have_text(["해녀학교"])
    assert [s for s in sent if "q=" in s] == [s for s in sent if "q=해녀학교" in s]
    assert len(sent) == 1


def test_an_english_search_finds_other_word_forms_and_an_empty_one_suggests_what_to_try(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("searchen")
    members.start_chat(member, current_state="I am a lighthousekeeper developer.")
    page.goto(f"{api.url}/#/?q=lighthousekeepers")
    expect(page.get_by_role("searchbox", name="Search chats")).to_have_value("lighthousekeepers")
    expect(page.locator(".card-snippet mark")).to_have_text(["lighthousekeeper"])
    screenshot(page, "search-english")

    box = page.get_by_role("searchbox", name="Search chats")
    box.fill("lighthousekeeper zzyzx")
    empty = page.locator(".search-empty")
    expect(empty).to_contain_text("No chats match “lighthousekeeper zzyzx”.")
    expect(empty).to_contain_text("Try fewer words")
    expect(page.locator(".card")).to_have_count(0)
    assert unquote(page.evaluate("location.hash")) == "#/?q=lighthousekeeper zzyzx"
    screenshot(page, "search-empty")

    # A suggestion is a search of its own; clearing the box is the feed again.
    empty.get_by_role("link", name="developer").click()
    expect(page.locator(".card-snippet mark").first).to_have_text("developer")
    box = page.get_by_role("searchbox", name="Search chats")
    box.fill("")
    expect(page.locator(".card-snippet")).to_have_count(0)
    expect(page.locator(".card").first).to_be_visible()
    assert page.evaluate("location.hash") == "#/"


def test_server_text_is_never_markup(page: Page, api: LiveServer, members: Members) -> None:
    member = members.create("searchxss")
    members.start_chat(member, current_state="<img src=x onerror=alert(1)> markupword here")
    page.goto(f"{api.url}/#/?q=markupword")
    snippet = page.locator(".card-snippet")
    expect(snippet).to_contain_text("<img src=x onerror=alert(1)>")
    expect(snippet.locator("img")).to_have_count(0)
    expect(snippet.locator("mark")).to_have_text(["markupword"])
