"""Mailed links in the browser: the verification banner and page, "Forgot password?" and the
reset page, with every mail read from the API's loopback SMTP server (conftest's `mailbox`)."""

import itertools
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import PASSWORD, Members, fill_sign_up, screenshot, tick_consents
from tests.support.live_server import LiveServer
from tests.support.smtp import Inbox, Received

NEW_PASSWORD = "a brand new passphrase 42"


# The API's mail throttles count by client address too, and every test here comes from
# 127.0.0.1. Each test's browser gets an address of its own the way a proxy in front of the app
# passes one on (uvicorn believes X-Forwarded-For from 127.0.0.1), so the throttles stay real.
_addresses = itertools.count(1)


def own_address() -> dict[str, dict[str, str]]:
    return {"extra_http_headers": {"X-Forwarded-For": f"198.51.100.{next(_addresses)}"}}


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context(**own_address()).new_page()


def reset_mail(mailbox: Inbox, to: str) -> Received:
    """The one reset mail to `to`, beside the verification mail sign-up sent."""
    mails = mailbox.wait_for(to, count=2)
    (reset,) = [mail for mail in mails if "#/reset-password?token=" in mail.link]
    return reset


def test_sign_up_then_verify_by_the_mailed_link(
    page: Page, api: LiveServer, members: Members, mailbox: Inbox
) -> None:
    email, nickname = members.fresh_identity("verify")
    fill_sign_up(page, api, email, nickname)
    tick_consents(page)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".who")).to_have_text(nickname)

    # Logged in but unverified: a banner says where the link went, above every page.
    banner = page.locator(".verify-banner")
    expect(banner).to_contain_text(f"Verify your email: we sent a link to {email}.")
    page.get_by_role("link", name="New chat").click()
    expect(page.get_by_label("Your answer")).to_be_editable()
    expect(banner).to_be_visible()
    screenshot(page, "23-verify-email-banner")

    # "Send again" mails a second link, until the throttle (3 an hour per member) says no.
    again = banner.get_by_role("button", name="Send again")
    for _ in range(3):
        with page.expect_response("**/api/me/email/verification/") as sent:
            again.click()
        assert sent.value.status == 202
        expect(banner.get_by_role("status")).to_have_text("Sent. Check your inbox.")
    with page.expect_response("**/api/me/email/verification/") as refused:
        again.click()
    assert refused.value.status == 429
    expect(banner.get_by_role("alert")).to_have_text(
        "Too many attempts. Please wait a minute and try again."
    )
    first, *_ = mailbox.wait_for(email, count=4)
    assert first.subject == "Confirm your email address"

    # The link, opened in the page: verified, the token gone from the address, no banner.
    page.goto(first.link)
    expect(page.get_by_role("heading", name="Verify your email", level=1)).to_be_visible()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text("Your email is verified.")
    expect(page).to_have_url(f"{api.url}/#/verify-email")
    screenshot(page, "24-email-verified")
    page.get_by_role("link", name="Start a chat").click()
    expect(page.get_by_label("Your answer")).to_be_editable()
    expect(banner).to_be_hidden()

    # A link already used says so; a verified member is not offered another one.
    page.goto(first.link)
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        "This link has expired, was used already or is not complete."
    )
    expect(page.get_by_role("button", name="Send a new link")).to_have_count(0)


def test_a_bad_verification_link_offers_a_new_one_to_the_member(
    page: Page, api: LiveServer, members: Members, mailbox: Inbox
) -> None:
    member = members.create("badlink", verified=False)
    page.goto(f"{api.url}/#/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".who")).to_have_text(member.nickname)

    page.goto(f"{api.url}/#/verify-email?token=forged-token")
    expect(page.get_by_role("main").get_by_role("alert")).to_have_text(
        "This link has expired, was used already or is not complete."
    )
    screenshot(page, "25-verify-link-invalid")
    page.get_by_role("button", name="Send a new link").click()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text("Sent. Check your inbox.")
    # Sign-up's mail and this one.
    mailbox.wait_for(member.email, count=2)


def test_forgot_password_reset_by_mail_and_log_in_with_the_new_one(
    page: Page, api: LiveServer, members: Members, mailbox: Inbox
) -> None:
    member = members.create("reset", verified=False)
    page.goto(f"{api.url}/#/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(f"{api.url}/#/forgot-password")
    heading = page.get_by_role("heading", name="Reset your password", level=1)
    expect(heading).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    sent_text = (
        "If an account has this email, we sent a link to it. It works for an hour; "
        "check your spam folder too."
    )

    # An address nobody has reads exactly like a known one.
    page.get_by_label("Email").fill("nobody-here@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text(sent_text)
    page.reload()
    page.get_by_label("Email").fill(member.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text(sent_text)
    screenshot(page, "26-forgot-password-sent")
    mail = reset_mail(mailbox, member.email)
    assert mail.subject == "Reset your password"
    assert not mailbox.to("nobody-here@example.com")

    # The reset page: the server's password rules show at the field.
    page.goto(mail.link)
    password = page.get_by_label("New password")
    expect(password).to_be_focused()
    password.fill("short")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#field-password-error")).to_have_text(
        "This password is too short. It must contain at least 10 characters."
    )
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    screenshot(page, "27-reset-password-field-error")
    password.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    # Done: to the login page with a note, where only the new password works.
    expect(page).to_have_url(f"{api.url}/#/login")
    expect(page.locator(".notice")).to_have_text(
        "Your password is changed. Log in with the new one."
    )
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".who")).to_have_text(member.nickname)
    # The reset verified the email too (the link reached its owner): no banner.
    expect(page.locator(".verify-banner")).to_be_hidden()


def test_a_used_reset_link_says_so_in_korean_and_leads_to_a_new_one(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members, mailbox: Inbox
) -> None:
    page = new_context(locale="ko-KR", **own_address()).new_page()
    member = members.create("usedreset", verified=False)
    page.goto(f"{api.url}/#/login")
    page.get_by_role("link", name="비밀번호를 잊으셨나요?").click()
    page.get_by_label("이메일").fill(member.email)
    page.get_by_role("button", name="링크 보내기").click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        "이 이메일로 가입한 계정이 있다면"
    )
    mail = reset_mail(mailbox, member.email)
    assert mail.subject == "비밀번호를 재설정하세요"  # in the page's language, as the request asked

    page.goto(mail.link)
    page.get_by_label("새 비밀번호").fill(NEW_PASSWORD)
    page.get_by_role("button", name="새 비밀번호 저장").click()
    expect(page.locator(".notice")).to_have_text(
        "비밀번호를 바꿨어요. 새 비밀번호로 로그인해 주세요."
    )

    # The same link again: refused, with the way to ask for a new one.
    page.goto(mail.link)
    page.get_by_label("새 비밀번호").fill("another new passphrase 7")
    page.get_by_role("button", name="새 비밀번호 저장").click()
    alert = page.get_by_role("main").get_by_role("alert")
    expect(alert).to_contain_text("시간이 지났거나 이미 사용한 링크예요.")
    screenshot(page, "28-reset-link-used-ko")
    alert.get_by_role("link", name="새 링크 받기").click()
    expect(page).to_have_url(f"{api.url}/#/forgot-password")
    expect(page.get_by_role("heading", name="비밀번호 재설정", level=1)).to_be_visible()
