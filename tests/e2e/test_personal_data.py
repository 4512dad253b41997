"""What a member writes is public: the app asks before sending contact details, and the server's
refusal of an identity or card number puts the words back where they were typed."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Members, screenshot, sign_in
from tests.support.live_server import LiveServer


def used_today(api: LiveServer, access: str) -> int:
    with api.client(access) as client:
        return int(client.get("/api/me/").json()["quota"]["used"])


def test_a_phone_number_is_sent_only_after_the_member_says_so(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("phone")
    chat = members.start_chat(member)
    sign_in(page, api, member, f"/chats/{chat['id']}")
    box = page.get_by_label("Your message")
    note = page.locator(".composer-note")
    anyway = page.get_by_role("button", name="Send anyway")

    box.fill("Text me at 010-1234-5678 if you think of more.")
    box.press("Enter")
    expect(note).to_contain_text("phone number")
    expect(anyway).to_be_visible()
    expect(box).to_have_value("Text me at 010-1234-5678 if you think of more.")
    assert used_today(api, member.access) == 1
    screenshot(page, "45-contact-details-warning")

    # Editing makes it a new message, warned about again only if it still holds one.
    box.fill("Write to me at someone@example.com instead.")
    expect(anyway).to_be_hidden()
    box.press("Enter")
    expect(note).to_contain_text("email address")
    anyway.click()
    expect(page.locator(".msg-user", has_text="someone@example.com")).to_be_visible()
    expect(box).to_have_value("")
    expect(page.locator(".msg-answer")).to_have_count(2)
    expect(page.locator(".msg-answer").last).to_have_attribute(
        "data-status", "completed", timeout=20_000
    )
    assert used_today(api, member.access) == 2

    # Ordinary text goes straight out.
    box.fill("Thanks, that is all.")
    box.press("Enter")
    expect(page.locator(".msg-user", has_text="Thanks, that is all.")).to_be_visible()
    expect(anyway).to_be_hidden()


def test_a_resident_registration_number_is_refused_and_the_answer_comes_back_to_its_question(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("rrn")
    sign_in(page, api, member, "/new")
    box = page.get_by_label("Your answer")

    box.fill("제 주민번호는 900101-1234567 이고 신입 개발자예요.")
    box.press("Enter")
    box.fill("팀장이 되고 싶어요.")
    box.press("Enter")
    page.get_by_role("button", name="Skip").click()

    note = page.locator(".composer-note")
    expect(note).to_contain_text("resident registration number")
    # Back at the first question, with that answer to edit.
    expect(box).to_have_value("제 주민번호는 900101-1234567 이고 신입 개발자예요.")
    expect(page.locator(".intake-step")).to_have_text("Question 1 of 3")
    assert "1234567" not in note.inner_text()
    assert used_today(api, member.access) == 0
    with api.client(member.access) as client:
        assert client.get("/api/me/chats/").json()["results"] == []
    screenshot(page, "46-identity-number-refused")

    box.fill("신입 개발자예요.")
    box.press("Enter")
    box.fill("팀장이 되고 싶어요.")
    box.press("Enter")
    page.get_by_role("button", name="Skip").click()
    expect(page).to_have_url(re.compile(r"#/chats/\d+$"), timeout=20_000)
    assert used_today(api, member.access) == 1
