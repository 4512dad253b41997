"""Answers that survive leaving and coming back (issue #15, items 1-3): a chat whose answer is
still being written shows the text so far and then the rest live, after a reload, in a second
tab, and in a tab served by another app server process (two servers on the e2e database, the
answer travelling between them by Redis pub/sub, as CHATBOT_LIVE_URL configures it); asking
again after a failed first answer; tabs of one browser kept in step."""

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import MODEL, Member, Members, screenshot, sign_in
from tests.support.fake_openai import Fail, FakeOpenAI, Reply
from tests.support.live_server import LiveServer, app_server
from tests.support.members import PASSWORD, openai_upstream

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
WORDS = [f"word{n}" for n in range(60)]  # 6 s at TOKEN_DELAY_S
SLOW_ANSWER = " ".join(WORDS)
TOKEN_DELAY_S = 0.1


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture(scope="module")
def live_servers(database_url: str, model: FakeOpenAI) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two app servers of one process each, on the e2e database, sharing answers by Redis."""
    if not _redis_up():
        pytest.fail(f"these tests need Redis at {REDIS_URL} (TEST_REDIS_URL)")
    env = {
        **openai_upstream(model.base_url, model=MODEL),
        "CHATBOT_LIVE_URL": REDIS_URL,
        "CHATBOT_LIVE_PREFIX": "resume-e2e",
    }
    with (
        app_server(db_url=database_url, daily_limit=25, workers=1, env=env) as first,
        app_server(db_url=database_url, daily_limit=25, workers=1, env=env) as second,
    ):
        yield first, second


def answer_text(page: Page) -> str:
    return page.locator(".msg-answer").last.locator(".markdown").inner_text()


def send_slowly(page: Page, model: FakeOpenAI, question: str) -> None:
    model.script(Reply(SLOW_ANSWER, token_delay_s=TOKEN_DELAY_S))
    box = page.get_by_label("Your message")
    box.fill(question)
    box.press("Enter")
    expect(page.locator(".msg-answer").last.locator(".markdown")).to_contain_text("word2")


def quota_used(api: LiveServer, member: Member) -> int:
    with api.client(member.access) as client:
        return int(client.get("/api/me/").json()["quota"]["used"])


def turns(api: LiveServer, member: Member, chat_id: int) -> list[dict[str, Any]]:
    with api.client(member.access) as client:
        return list(client.get(f"/api/chats/{chat_id}/").json()["turns"])


def test_a_tab_on_another_server_follows_the_answer_as_it_is_written(
    browser: Browser,
    live_servers: tuple[LiveServer, LiveServer],
    model: FakeOpenAI,
    members: Members,
) -> None:
    first, second = live_servers
    member = members.create("resume-other")
    chat = members.start_chat(member)
    writer = browser.new_context().new_page()
    reader = browser.new_context().new_page()
    sign_in(writer, first, member, f"/chats/{chat['id']}")
    sign_in(reader, second, member, f"/chats/{chat['id']}")
    expect(reader.locator(".msg-answer")).to_have_count(1)

    send_slowly(writer, model, "And after that?")
    # The other server's page, opened now, shows what was written so far and then the rest,
    # while the first server is still writing it.
    reader.reload()
    following = reader.locator(".msg-answer").last
    expect(following).to_have_attribute("data-status", "streaming")
    expect(following.locator(".markdown")).to_contain_text("word8")
    assert WORDS[-1] not in answer_text(writer)  # live, not after the fact
    screenshot(reader, "resume-other-server")
    expect(reader.get_by_text("still being written")).to_have_count(0)
    # The question is shown once, and the box is empty: nothing invites sending it again.
    expect(reader.get_by_text("And after that?")).to_have_count(1)
    expect(reader.get_by_label("Your message")).to_have_value("")

    expect(following).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(following.locator(".markdown")).to_have_text(SLOW_ANSWER)
    expect(writer.locator(".msg-answer").last).to_have_attribute("data-status", "completed")
    # Followed, not asked again: one request for the chat and one for the question.
    assert quota_used(first, member) == 2


def test_a_reload_mid_answer_follows_it_and_keeps_the_box_empty(
    page: Page,
    live_servers: tuple[LiveServer, LiveServer],
    model: FakeOpenAI,
    members: Members,
) -> None:
    first, _ = live_servers
    member = members.create("resume-reload")
    chat = members.start_chat(member)
    sign_in(page, first, member, f"/chats/{chat['id']}")

    send_slowly(page, model, "What if I reload?")
    page.reload()

    answer = page.locator(".msg-answer").last
    expect(answer.locator(".markdown")).to_contain_text("word4")
    assert WORDS[-1] not in answer_text(page)
    screenshot(page, "resume-after-reload")
    expect(page.get_by_label("Your message")).to_have_value("")
    expect(page.get_by_text("What if I reload?")).to_have_count(1)
    # While it is written the box offers to stop it, as before the reload.
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(answer).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(answer.locator(".markdown")).to_have_text(SLOW_ANSWER)
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert quota_used(first, member) == 2


def test_asking_again_after_a_failed_first_answer_costs_one_request_and_clears_the_error(
    page: Page,
    live_servers: tuple[LiveServer, LiveServer],
    model: FakeOpenAI,
    members: Members,
) -> None:
    first, _ = live_servers
    member = members.create("resume-retry")
    model.script(Fail(500))
    with first.client(member.access) as client:
        failed = client.post("/api/chats/", json={"current_state": "A developer.", "goal": "Lead"})
    assert failed.status_code >= 500, failed.text
    chat_id = failed.json()["chat_id"]
    assert quota_used(first, member) == 0  # the failed answer gave its request back
    sign_in(page, first, member, f"/chats/{chat_id}")
    failed_answer = page.locator(".msg-answer")
    expect(failed_answer).to_have_attribute("data-status", "failed")
    expect(failed_answer.get_by_role("alert")).to_be_visible()
    bubbles = page.locator(".msg-user").count()
    screenshot(page, "resume-failed-first-answer")

    model.script(Reply("Here is a plan.", token_delay_s=0.05))
    page.get_by_role("button", name="Ask again").click()

    expect(page.locator(".msg-answer")).to_have_count(1)
    expect(page.locator(".msg-answer")).to_have_attribute("data-status", "completed")
    expect(page.locator(".msg-answer .markdown")).to_have_text("Here is a plan.")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask again")).to_have_count(0)
    assert page.locator(".msg-user").count() == bubbles  # no bubble of the hidden intake text
    assert quota_used(first, member) == 1
    stored = turns(first, member, chat_id)
    assert [t["status"] for t in stored] == ["failed", "completed"]

    page.reload()  # the same after a reload: the failed turn is replaced by its retry
    expect(page.locator(".msg-answer")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert page.locator(".msg-user").count() == bubbles
    screenshot(page, "resume-asked-again")


def test_tabs_of_one_browser_stay_in_step(
    browser: Browser,
    live_servers: tuple[LiveServer, LiveServer],
    model: FakeOpenAI,
    members: Members,
) -> None:
    first, _ = live_servers
    member = members.create("resume-tabs")
    chat = members.start_chat(member)
    context = browser.new_context()
    one = context.new_page()
    sign_in(one, first, member, f"/chats/{chat['id']}")
    two = context.new_page()  # the same browser: the same login
    two.goto(f"{first.url}/#/chats/{chat['id']}")
    quota = two.locator(".quota .quota-full")
    expect(quota).to_have_text("24 of 25 requests left today")

    send_slowly(one, model, "Seen from the other tab?")
    # The other tab learns of the request at once, and follows the new answer live.
    expect(quota).to_have_text("23 of 25 requests left today")
    expect(two.get_by_text("Seen from the other tab?")).to_have_count(1)
    expect(two.locator(".msg-answer").last.locator(".markdown")).to_contain_text("word5")
    assert WORDS[-1] not in answer_text(one)
    screenshot(two, "resume-other-tab")
    expect(two.locator(".msg-answer").last).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )

    # A new chat started in one tab shows in the other tab's list of its member's chats.
    mine = two.locator("#sidebar .side-section").get_by_role("link")
    listed = mine.count()
    one.goto(f"{first.url}/#/new")
    box = one.get_by_label("Your answer")
    box.fill("A developer.")
    box.press("Enter")
    box.fill("Lead a team of four")
    box.press("Enter")
    model.script(Reply("A plan for four.", token_delay_s=0.05))
    one.get_by_role("button", name="Skip").click()
    expect(mine).to_have_count(listed + 1)
    expect(quota).to_have_text("22 of 25 requests left today")

    # Logging out in one tab logs out the other; logging in, likewise.
    one.get_by_role("button", name="Log out").first.click()
    expect(two.get_by_role("link", name="Log in").first).to_be_visible()
    expect(quota).to_be_hidden()
    one.goto(f"{first.url}/#/login")
    one.get_by_label("Email").fill(member.email)
    one.get_by_label("Password", exact=True).fill(PASSWORD)
    one.get_by_role("button", name="Log in").click()
    expect(two.get_by_role("button", name="Log out").first).to_be_visible()
    expect(quota).to_have_text("22 of 25 requests left today")
    context.close()
