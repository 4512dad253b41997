"""A member's whole journey through the product, and the chat controls around it."""

import itertools
import re
import time
from collections.abc import Callable

import httpx
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.e2e.conftest import (
    ANSWER,
    DAILY_LIMIT,
    PASSWORD,
    Members,
    refresh_works,
    screenshot,
    sign_in,
    stored_tokens,
    tick_consents,
)
from tests.support.fake_openai import FakeOpenAI, Reply
from tests.support.live_server import LiveServer
from tests.support.smtp import Inbox


def follow_answer(page: Page, answer: Locator, timeout_s: float = 15.0) -> tuple[list[str], str]:
    """The answer's text each time it changed, sampled until it is no longer streaming, and the
    status it ended with."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = answer.get_attribute("data-status") or ""
        text = answer.locator(".markdown").inner_text()
        if not seen or text != seen[-1]:
            seen.append(text)
        if status != "streaming":
            return seen, status
        page.wait_for_timeout(40)
    raise AssertionError(f"the answer was still streaming after {timeout_s} s: {seen[-1:]}")


def last_answer(page: Page) -> Locator:
    return page.locator(".msg-answer").last


def test_sign_up_intake_streamed_answer_follow_up_my_chats_public_feed_logout(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    model: FakeOpenAI,
    members: Members,
    mailbox: Inbox,
) -> None:
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()

    # A visitor lands on the public feed and signs up.
    page.goto(f"{api.url}/")
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()
    screenshot(page, "01-public-feed")
    page.get_by_role("link", name="Sign up").click()
    email, nickname = members.fresh_identity("journey")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_label("Job").fill("Backend developer")
    tick_consents(page)
    screenshot(page, "02-sign-up")
    page.get_by_role("button", name="Create account").click()

    # Signing up logs in: the header names them and shows today's whole allowance.
    expect(page.locator(".who")).to_have_text(nickname)
    expect(page.locator(".quota")).to_contain_text(f"{DAILY_LIMIT} of {DAILY_LIMIT} requests left")
    assert stored_tokens(page) is not None
    expect(page).to_have_url(f"{api.url}/#/")

    # Chatting needs the email verified: by the link in the mail the sign-up sent.
    (mail,) = mailbox.wait_for(email)
    page.goto(mail.link)
    expect(page.get_by_role("main").get_by_role("status")).to_have_text("Your email is verified.")

    # The guided intake: the coach asks one question at a time; the keyboard is enough.
    page.get_by_role("link", name="New chat").click()
    box = page.get_by_label("Your answer")
    expect(box).to_be_focused()
    expect(page.locator(".intake-step")).to_have_text("Question 1 of 3")
    expect(page.locator(".msg-bot").last).to_contain_text("where you are now")
    page.keyboard.type("I write Python at a small startup.")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("Three years in.")
    assert box.input_value() == "I write Python at a small startup.\nThree years in."
    page.keyboard.press("Enter")
    expect(page.locator(".msg-user .plain").last).to_have_text(
        "I write Python at a small startup.\nThree years in."
    )
    expect(page.locator(".intake-step")).to_have_text("Question 2 of 3")
    expect(page.locator(".msg-bot").last).to_contain_text("What goal do you want to reach?")
    page.keyboard.type("Lead a team within a year")
    page.keyboard.press("Enter")
    expect(page.locator(".intake-step")).to_have_text("Question 3 of 3")
    # A second thought: the previous answer comes back into the box to be changed.
    page.get_by_role("button", name="Change my previous answer").click()
    expect(page.locator(".intake-step")).to_have_text("Question 2 of 3")
    expect(box).to_have_value("Lead a team within a year")
    box.fill("Lead a team within two years")
    box.press("Enter")
    expect(page.locator(".intake-step")).to_have_text("Question 3 of 3")
    expect(page.get_by_role("button", name="Skip")).to_be_visible()  # the last one is optional
    page.keyboard.type("I prefer remote work.")
    screenshot(page, "03-guided-intake")

    # The answer streams: it grows piece by piece while a stop button is offered.
    model.script(Reply(ANSWER, token_delay_s=0.06))
    page.keyboard.press("Enter")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "streaming")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    expect(answer.locator(".markdown")).to_contain_text("plan", timeout=5000)
    screenshot(page, "04-answer-streaming")
    seen, status = follow_answer(page, answer)
    assert status == "completed"
    growing = [text for text in seen if text and "Thinking" not in text]
    assert len(growing) >= 4, f"the answer did not arrive piece by piece: {growing}"
    assert all(len(a) < len(b) for a, b in itertools.pairwise(growing)), growing
    assert model.requests[-1].body["stream"] is True

    # The chat has its own address now, and the answer is rendered Markdown with code.
    expect(page).to_have_url(re.compile(r"#/chats/\d+$"))
    chat_id = int(page.url.rsplit("/", 1)[1])
    answer = last_answer(page)
    expect(answer.locator("strong")).to_have_text("three steps")
    expect(answer.locator("ol > li")).to_have_count(3)
    expect(answer.locator("pre code.hljs")).to_contain_text("print('hello, team')")
    answer.get_by_role("button", name="Copy the code").click()
    expect(answer.get_by_role("button", name="Copy the code")).to_contain_text("Copied")
    assert "print('hello, team')" in page.evaluate("() => navigator.clipboard.readText()")
    expect(page.locator(".quota")).to_contain_text(f"{DAILY_LIMIT - 1} of {DAILY_LIMIT}")

    # A follow-up in the same chat.
    model.script(Reply("Start by pairing with the newest teammate on **one** task."))
    box = page.get_by_label("Your message")
    box.fill("How do I start mentoring?")
    box.press("Enter")
    expect(page.locator(".msg-user .plain").last).to_have_text("How do I start mentoring?")
    expect(last_answer(page)).to_have_attribute("data-status", "completed")
    expect(last_answer(page)).to_contain_text("Start by pairing with the newest teammate")
    expect(page.locator(".quota")).to_contain_text(f"{DAILY_LIMIT - 2} of {DAILY_LIMIT}")
    screenshot(page, "05-chat-with-follow-up")

    # My chats: listed in the sidebar, and reopened from there with everything in it.
    mine = page.locator("#sidebar .side-chat")
    expect(mine).to_have_count(1)
    expect(mine).to_have_text("Lead a team within two years")
    expect(mine).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Public chats").click()
    expect(page.get_by_role("heading", name="Public chats", level=1)).to_be_visible()
    mine.click()
    expect(page).to_have_url(f"{api.url}/#/chats/{chat_id}")
    expect(page.locator(".msg-answer")).to_have_count(2)
    expect(page.get_by_label("Your message")).to_be_editable()

    # Anyone can read it, without logging in: in the feed with the nickname, then in full.
    visitor = new_context().new_page()
    visitor.goto(f"{api.url}/")
    card = visitor.locator(".card", has_text="Lead a team within two years")
    expect(card).to_contain_text(f"by {nickname}")
    expect(card).to_contain_text("2 messages")
    card.click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Lead a team within two years")
    expect(visitor.locator(".chat-head")).to_contain_text(f"Started by {nickname}")
    expect(visitor.locator(".msg-user .plain")).to_have_text(
        [
            "I write Python at a small startup.\nThree years in.",
            "Lead a team within two years",
            "I prefer remote work.",
            "How do I start mentoring?",
        ]
    )
    expect(visitor.locator(".msg-answer")).to_have_count(2)
    expect(visitor.locator("textarea")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Delete chat")).to_have_count(0)
    expect(visitor.locator("main")).not_to_contain_text("Backend developer")  # private
    screenshot(visitor, "06-chat-read-by-a-visitor")

    # Logging out forgets the tokens here and revokes the refresh token on the server.
    tokens = stored_tokens(page)
    assert tokens is not None
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#toast")).to_have_text("You are logged out.")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page).to_have_url(f"{api.url}/#/")
    assert stored_tokens(page) is None
    assert not refresh_works(api, tokens["refresh"])


def test_stop_keeps_the_part_already_written(
    page: Page, api: LiveServer, model: FakeOpenAI, members: Members
) -> None:
    member = members.create("stop")
    sign_in(page, api, member, "/new")
    box = page.get_by_label("Your answer")
    for text in ("Junior developer.", "Become a staff engineer."):
        box.fill(text)
        box.press("Enter")
    long_answer = " ".join(f"word{i}" for i in range(200))
    model.script(Reply(long_answer, token_delay_s=0.05))
    page.get_by_role("button", name="Skip").click()

    answer = last_answer(page)
    expect(answer.locator(".markdown")).to_contain_text("word5")
    page.get_by_role("button", name="Stop").click()

    # The chat opens with the partial answer, marked as stopped; the server kept the same.
    expect(page).to_have_url(re.compile(r"#/chats/\d+$"))
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "stopped")
    expect(answer).to_contain_text("Stopped before the end.")
    shown = answer.locator(".markdown").inner_text()
    assert shown.startswith("word0 word1")
    assert "word199" not in shown
    chat = httpx.get(f"{api.url}/api/chats/{page.url.rsplit('/', 1)[1]}/").json()
    turn = chat["turns"][-1]
    assert turn["status"] == "stopped"
    assert turn["answer"].strip() == shown.strip()
    expect(page.get_by_label("Your message")).to_be_editable()


def test_owner_deletes_a_chat_after_confirming(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("delete")
    chat = members.start_chat(member, goal="A chat to delete")
    sign_in(page, api, member, f"/chats/{chat['id']}")
    delete = page.get_by_role("button", name="Delete chat")

    # Cancelling (here with Escape) keeps it.
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete this chat?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "07-delete-confirmation")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    assert httpx.get(f"{api.url}/api/chats/{chat['id']}/").status_code == 200

    delete.click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator("#toast")).to_have_text("The chat was deleted.")
    expect(page).to_have_url(f"{api.url}/#/")
    expect(page.locator("#sidebar")).not_to_contain_text("A chat to delete")
    assert httpx.get(f"{api.url}/api/chats/{chat['id']}/").status_code == 404
