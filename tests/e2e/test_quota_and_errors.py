"""The daily allowance and everything else that can go wrong, as a person reads it."""

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Route, expect

from tests.e2e.conftest import DAILY_LIMIT, Member, Members, screenshot, sign_in
from tests.support.fake_openai import Fail, FakeOpenAI, Reply, cut_stream
from tests.support.live_server import LiveServer

RAW = re.compile(r"\b(4\d\d|5\d\d)\b|HTTP|Traceback|Error:|upstream_|daily_quota")


def use_requests(api: LiveServer, member: Member, chat_id: int, count: int) -> None:
    with api.client(member.access) as client:
        for n in range(count):
            sent = client.post(f"/api/chats/{chat_id}/messages/", json={"content": f"Question {n}"})
            assert sent.status_code == 201, sent.text


def test_used_up_allowance_says_when_it_returns_in_local_time(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    member = members.create("quota")
    chat = members.start_chat(member)
    use_requests(api, member, chat["id"], DAILY_LIMIT - 3)  # two left
    page = new_context(timezone_id="America/New_York").new_page()
    sign_in(page, api, member, f"/chats/{chat['id']}")
    expect(page.locator(".quota-full")).to_have_text(f"2 of {DAILY_LIMIT} requests left today")

    # Meanwhile the last two go elsewhere (another tab, another device): this page is stale.
    use_requests(api, member, chat["id"], 2)
    box = page.get_by_label("Your message")
    box.fill("One more question, please.")
    box.press("Enter")

    with api.client(member.access) as client:
        resets_at = datetime.fromisoformat(client.get("/api/me/").json()["quota"]["resets_at"])
    local = resets_at.astimezone(ZoneInfo("America/New_York"))
    note = page.locator(".composer-note")
    expect(note).to_contain_text(f"You have used all {DAILY_LIMIT} requests for today.")
    # How long, then the reader's own clock time.
    expect(note).to_contain_text(
        re.compile(rf"You can ask again in \d+ (hours?|minutes?) \(at {local:%H:%M}\)\.")
    )
    assert local.strftime("%H:%M") != resets_at.strftime("%H:%M")  # it really is local time
    # The words come back to the box (nothing was sent), which stays closed until the reset.
    expect(box).to_have_value("One more question, please.")
    expect(box).to_be_disabled()
    expect(page.locator(".quota-full")).to_have_text("No requests left today")
    expect(page.locator(".msg-user .plain", has_text="One more question")).to_have_count(0)
    assert not RAW.search(note.inner_text())

    # A fresh page knows it from the start.
    page.reload()
    expect(page.get_by_label("Your message")).to_be_disabled()
    expect(page.locator(".composer-note")).to_contain_text(f"{local:%H:%M}")
    page.goto(f"{api.url}/#/new")
    expect(page.get_by_label("Your answer")).to_be_disabled()
    page.goto(f"{api.url}/#/chats/{chat['id']}")
    expect(page.get_by_label("Your message")).to_be_disabled()
    screenshot(page, "10-allowance-used-up")


def test_model_failures_network_loss_and_plain_json_answers(
    new_context: Callable[..., BrowserContext], api: LiveServer, model: FakeOpenAI, members: Members
) -> None:
    member = members.create("errors")
    chat = members.start_chat(member)
    context = new_context()
    page = context.new_page()
    sign_in(page, api, member, f"/chats/{chat['id']}")
    box = page.get_by_label("Your message")

    # The model is busy: a sentence, the question kept in the chat, and a way to ask again.
    model.script(Fail(503))
    box.fill("Are you there?")
    box.press("Enter")
    failed = page.locator(".msg-answer").last
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed.get_by_role("alert")).to_have_text(
        "The AI model is busy right now. Your question is saved; please try again in a minute."
    )
    assert not RAW.search(failed.inner_text())
    screenshot(page, "11-model-busy")
    model.script(Reply("Yes, back now."))
    failed.get_by_role("button", name="Ask again").click()
    expect(page.locator(".msg-answer").last).to_contain_text("Yes, back now.")
    expect(page.locator(".msg-user .plain", has_text="Are you there?")).to_have_count(2)

    # The model's connection breaks in the middle of an answer.
    model.script(Reply("The first words of an answer that never ends", fault=cut_stream(after=4)))
    box.fill("And now?")
    box.press("Enter")
    expect(page.locator(".msg-answer").last.get_by_role("alert")).to_have_text(
        "The AI model ran into a problem and gave no answer. Your question is saved; "
        "please try again."
    )

    # The network is gone: the question is given back to send again later.
    context.set_offline(True)
    box.fill("Hello from a train tunnel.")
    box.press("Enter")
    expect(page.locator(".composer-note")).to_have_text(
        "We could not reach the server. Check your connection and try again."
    )
    expect(box).to_have_value("Hello from a train tunnel.")
    context.set_offline(False)

    # A server (or proxy) that answers with plain JSON instead of a stream works the same.
    def without_streaming(route: Route) -> None:
        route.continue_(headers={**route.request.headers, "accept": "application/json"})

    page.route("**/api/chats/*/messages/", without_streaming)
    model.script(Reply("All at once, not streamed."))
    box.press("Enter")
    answer = page.locator(".msg-answer").last
    expect(answer).to_have_attribute("data-status", "completed")
    expect(answer).to_contain_text("All at once, not streamed.")
    assert model.requests[-1].body.get("stream") is not True
    expect(box).to_have_value("")
