"""Thumbs on answers and the usage receipts in Settings, as a member uses them."""

from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Members, screenshot, sign_in
from tests.support.fake_openai import Fail, FakeOpenAI
from tests.support.live_server import LiveServer


def test_a_reader_rates_an_answer_changes_it_and_finds_it_kept_after_a_reload(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    author, reader = members.create("rated"), members.create("rater")
    chat = members.start_chat(author)
    page = new_context().new_page()
    sign_in(page, api, reader, f"/chats/{chat['id']}")

    answer = page.locator(".msg-answer").first
    up = answer.get_by_role("button", name="Good answer")
    down = answer.get_by_role("button", name="Bad answer")
    expect(answer.get_by_role("group", name="Rate this answer")).to_be_visible()
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    screenshot(page, "receipts-rated-answer")

    page.reload()
    answer = page.locator(".msg-answer").first
    expect(answer.get_by_role("button", name="Bad answer")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(answer.get_by_role("button", name="Good answer")).to_have_attribute(
        "aria-pressed", "false"
    )
    with api.client(reader.access) as client:
        turns = client.get(f"/api/chats/{chat['id']}/").json()["turns"]
    assert [t["my_rating"] for t in turns] == [-1]

    # A second click on the pressed one takes the rating back.
    answer.get_by_role("button", name="Bad answer").click()
    expect(answer.get_by_role("button", name="Bad answer")).to_have_attribute(
        "aria-pressed", "false"
    )
    page.reload()
    expect(
        page.locator(".msg-answer").first.get_by_role("button", name="Bad answer")
    ).to_have_attribute("aria-pressed", "false")

    # A visitor reads the same chat without buttons; the author's copy has none pressed.
    visitor = new_context().new_page()
    visitor.goto(f"{api.url}/#/chats/{chat['id']}")
    expect(visitor.locator(".msg-answer").first).to_be_visible()
    expect(visitor.locator(".rating")).to_have_count(0)


def test_a_streamed_answer_can_be_rated_in_korean_at_once(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    author = members.create("own")
    chat = members.start_chat(author)
    page = new_context(locale="ko-KR").new_page()
    sign_in(page, api, author, f"/chats/{chat['id']}")
    box = page.get_by_label("메시지")
    box.fill("How do I start?")
    box.press("Enter")

    last = page.locator(".msg-answer").last
    good = last.get_by_role("button", name="좋은 답변")
    expect(good).to_have_attribute("aria-pressed", "false")
    good.click()
    expect(good).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(
        page.locator(".msg-answer").last.get_by_role("button", name="좋은 답변")
    ).to_have_attribute("aria-pressed", "true")


def test_the_usage_receipts_show_a_charged_request_and_a_given_back_one(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    model: FakeOpenAI,
    members: Members,
) -> None:
    member = members.create("usage")
    chat = members.start_chat(member, goal="Ship a product")
    model.script(Fail(500))
    with api.client(member.access) as client:
        failed = client.post(f"/api/chats/{chat['id']}/messages/", json={"content": "Again?"})
        assert failed.status_code == 502, failed.text
        quota = client.get("/api/me/").json()["quota"]

    page = new_context().new_page()
    sign_in(page, api, member, "/settings")
    usage = page.get_by_role("region", name="Usage")
    expect(usage.locator(".usage-today")).to_contain_text(
        f"Today: {quota['used']} of {quota['limit']} requests used."
    )
    receipts = usage.locator(".usage-receipt")
    expect(receipts).to_have_count(2)
    # Newest first: the failed follow-up, given back, then the chat's first answer.
    expect(receipts.nth(0)).to_contain_text("Given back")
    expect(receipts.nth(1)).to_contain_text("Charged")
    for n in range(2):
        expect(receipts.nth(n).get_by_role("link", name=chat["title"])).to_have_attribute(
            "href", f"#/chats/{chat['id']}"
        )
    expect(usage.locator(".usage-day-total")).to_have_text("1 counted · 1 given back")
    usage.scroll_into_view_if_needed()
    screenshot(page, "receipts-usage-en")

    korean = new_context(locale="ko-KR").new_page()
    sign_in(korean, api, member, "/settings")
    usage = korean.get_by_role("region", name="사용 내역")
    expect(usage.locator(".usage-receipt").nth(0)).to_contain_text("돌려받음")
    expect(usage.locator(".usage-receipt").nth(1)).to_contain_text("차감됨")
    expect(usage.locator(".usage-day h3")).to_contain_text("요일")  # the date, in Korean
    usage.scroll_into_view_if_needed()
    screenshot(korean, "receipts-usage-ko")
