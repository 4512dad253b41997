"""The rules around chatting, in the browser: sign-up's two checkboxes (refused without them,
at their fields), and a member whose email is not verified yet trying to chat: told how to fix
it, and charged nothing."""

from collections.abc import Callable
from datetime import datetime

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    DAILY_LIMIT,
    PASSWORD,
    Members,
    fill_sign_up,
    screenshot,
    sign_in,
    tick_consents,
)
from tests.support.live_server import LiveServer


def test_sign_up_needs_both_checkboxes_shown_at_their_fields(
    page: Page, api: LiveServer, members: Members
) -> None:
    email, nickname = members.fresh_identity("boxes")
    fill_sign_up(page, api, email, nickname)
    over_14 = page.get_by_role("checkbox", name="I am 14 or older")
    terms = page.get_by_role("checkbox", name="I agree to the Terms and the Privacy Policy")
    expect(over_14).not_to_be_checked()
    expect(terms).not_to_be_checked()
    expect(page.locator("form").get_by_role("link", name="Terms", exact=True)).to_have_attribute(
        "href", "#/terms"
    )
    expect(page.locator("form").get_by_role("link", name="Privacy Policy")).to_have_attribute(
        "href", "#/privacy"
    )

    with page.expect_response("**/api/auth/signup/") as refused:
        page.get_by_role("button", name="Create account").click()
    assert refused.value.status == 400
    expect(page.locator("#field-over_14-error")).to_have_text(
        "Confirm that you are 14 or older to continue."
    )
    expect(page.locator("#field-accept_terms-error")).to_have_text(
        "Accept the terms and the privacy policy to continue."
    )
    expect(over_14).to_have_attribute("aria-invalid", "true")
    # Each refusal stands at its box; no vague sentence above the button.
    expect(page.locator(".form-alert")).to_be_empty()
    screenshot(page, "30-sign-up-without-consent")
    with api.client() as client:
        tried = client.post("/api/auth/login/", json={"email": email, "password": PASSWORD})
        assert tried.status_code == 401  # no account was made

    # Too young by the birth year: refused at that field, with its own message.
    page.get_by_label("Year of birth").fill(str(datetime.now().year - 10))
    tick_consents(page)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#field-born_year-error")).to_have_text(
        "You must be 14 or older to use this service."
    )
    expect(page.locator(".form-alert")).to_be_empty()  # said at the field, once

    page.get_by_label("Year of birth").fill("")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".who")).to_have_text(nickname)


def test_sign_up_checkboxes_read_in_korean(
    new_context: Callable[..., BrowserContext], api: LiveServer
) -> None:
    page = new_context(locale="ko-KR").new_page()
    page.goto(f"{api.url}/#/signup")
    expect(page.get_by_role("checkbox", name="만 14세 이상입니다")).to_be_visible()
    expect(
        page.get_by_role("checkbox", name="이용약관 및 개인정보 처리방침에 동의합니다")
    ).to_be_visible()
    expect(page.locator("form").get_by_role("link", name="이용약관")).to_have_attribute(
        "href", "#/terms"
    )


def test_an_unverified_member_who_tries_to_chat_is_told_why_and_charged_nothing(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("unverified", verified=False)
    sign_in(page, api, member, "/new")
    box = page.get_by_label("Your answer")
    box.fill("I write Python at a small startup.")
    box.press("Enter")
    box.fill("Lead a team within two years")
    box.press("Enter")
    with page.expect_response("**/api/chats/") as refused:
        page.get_by_role("button", name="Skip").click()
    assert refused.value.status == 403
    note = page.locator(".composer-note")
    expect(note).to_have_text(
        "Verify your email before chatting: open the link we mailed you, or use “Send again” "
        "above for a new one."
    )
    banner = page.locator(".verify-banner")
    expect(banner.get_by_role("button", name="Send again")).to_be_visible()
    expect(page.locator(".quota")).to_contain_text(f"{DAILY_LIMIT} of {DAILY_LIMIT} requests left")
    screenshot(page, "31-unverified-cannot-chat")
    with api.client(member.access) as client:
        profile = client.get("/api/me/").json()
        assert profile["quota"]["used"] == 0
        assert client.get("/api/me/chats/").json()["results"] == []
