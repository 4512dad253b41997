"""The settings page in the browser: profile, email verification, password, providers, the data
export, logging out everywhere and leaving; the terms and privacy pages and the footer that links
them. Mails are read from the API's loopback SMTP server (conftest's `mailbox`)."""

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Page, expect
from rest_framework_simplejwt.tokens import AccessToken

from tests.e2e.conftest import (
    FRONTEND,
    PASSWORD,
    Member,
    Members,
    StaticSite,
    expired_access_token,
    refresh_works,
    screenshot,
    sign_in,
    stored_tokens,
)
from tests.e2e.test_account_mail import own_address
from tests.e2e.test_sessions import log_in_with_keyboard
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.live_server import LiveServer
from tests.support.smtp import Inbox

NEW_PASSWORD = "a fresh settings passphrase 9"
EXPORT_NAME = re.compile(r"chatbot-export-\d{4}-\d{2}-\d{2}\.json")


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context(**own_address()).new_page()


def open_settings(page: Page, api: LiveServer, member: Member) -> None:
    """Log in as `member` and reach the settings page by the header's link."""
    sign_in(page, api, member)
    page.locator("#topbar").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(f"{api.url}/#/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_focused()


def section(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("region", name=name, exact=True)


def log_in(page: Page, api: LiveServer, email: str, password: str) -> None:
    page.goto(f"{api.url}/#/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def logged_in_twice(members: Members, prefix: str) -> tuple[Member, Member]:
    """A member and a second login of theirs (another device)."""
    member = members.create(prefix)
    return member, members.log_in(member.email, member.nickname, member.id)


def chat_status(api: LiveServer, chat_id: int) -> int:
    with api.client() as client:
        return client.get(f"/api/chats/{chat_id}/").status_code


# ---------------------------------------------------------------- the page itself


def agree_to_terms(page: Page) -> None:
    """A first provider login lands on the consent step; agree, as the member would."""
    expect(page).to_have_url(re.compile(r"#/consent"))
    page.get_by_role("checkbox", name="I am 14 or older").check()
    page.get_by_role("checkbox", name="I agree to the Terms and the Privacy Policy").check()
    page.get_by_role("button", name="Agree and continue").click()
    expect(page).not_to_have_url(re.compile(r"#/consent"))


def test_settings_is_for_members_and_brings_a_visitor_back_after_login(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("setnext")
    page.goto(f"{api.url}/#/settings")
    expect(page).to_have_url(f"{api.url}/#/login?next=%2Fsettings")
    expect(page.locator("#topbar").get_by_role("link", name="Settings")).to_have_count(0)
    log_in_with_keyboard(page, member)
    expect(page).to_have_url(f"{api.url}/#/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    settings_link = page.locator("#topbar").get_by_role("link", name="Settings")
    expect(settings_link).to_have_attribute("aria-current", "page")


def test_editing_the_profile_saves_it_and_shows_errors_at_their_fields(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("profile")
    other = members.create("taken")
    open_settings(page, api, member)
    profile = section(page, "Profile")
    nickname = profile.get_by_label("Nickname", exact=True)
    expect(nickname).to_have_value(member.nickname)

    # The server's rules, at their fields: a nickname someone has, a year out of range.
    nickname.fill(other.nickname)
    profile.get_by_role("button", name="Save changes").click()
    expect(profile.locator("#field-nickname-error")).to_have_text("This nickname is taken.")
    expect(nickname).to_have_attribute("aria-invalid", "true")
    expect(nickname).to_be_focused()
    expect(profile.get_by_role("alert")).to_have_text("Some fields need another look.")
    nickname.fill(f"{member.nickname}-new")
    year = profile.get_by_label("Year of birth")
    year.fill("1800")
    profile.get_by_role("button", name="Save changes").click()
    year_error = profile.locator("#field-born_year-error")
    expect(year_error).to_have_text(re.compile(r"^The year of birth must be between 1900 and"))
    expect(year).to_be_focused()
    expect(profile.locator("#field-nickname-error")).to_be_hidden()
    expect(nickname).not_to_have_attribute("aria-invalid", "true")

    renamed = f"{member.nickname}-new"
    nickname.fill(renamed)
    profile.get_by_label("Year of birth").fill("1990")
    profile.get_by_label("Job").fill("Product designer")
    profile.get_by_role("button", name="Save changes").click()
    expect(profile.get_by_role("status")).to_have_text("Saved.")
    expect(nickname).not_to_have_attribute("aria-invalid", "true")
    expect(year_error).to_be_hidden()
    # The header follows at once; the API and a reload have the new values.
    expect(page.locator(".who")).to_have_text(renamed)
    with api.client(member.access) as client:
        me = client.get("/api/me/").json()
    assert (me["nickname"], me["born_year"], me["job"]) == (renamed, 1990, "Product designer")
    screenshot(page, "29-settings-profile-saved")

    # Emptying the optional fields clears them.
    profile.get_by_label("Year of birth").fill("")
    profile.get_by_label("Job").fill("")
    profile.get_by_role("button", name="Save changes").click()
    expect(profile.get_by_role("status")).to_have_text("Saved.")
    page.reload()
    expect(section(page, "Profile").get_by_label("Nickname", exact=True)).to_have_value(renamed)
    expect(section(page, "Profile").get_by_label("Job")).to_have_value("")
    with api.client(member.access) as client:
        me = client.get("/api/me/").json()
    assert (me["born_year"], me["job"]) == (None, None)


def test_send_again_mails_a_link_that_verifies_the_email(
    page: Page, api: LiveServer, members: Members, mailbox: Inbox
) -> None:
    member = members.create("setverify", verified=False)
    open_settings(page, api, member)
    email = section(page, "Email")
    expect(email).to_contain_text(member.email)
    expect(email).to_contain_text("Not verified yet")
    # The page's own button says it; the banner above other pages is not repeated here.
    expect(page.locator(".verify-banner")).to_have_count(0)

    with page.expect_response("**/api/me/email/verification/") as sent:
        email.get_by_role("button", name="Send again").click()
    assert sent.value.status == 202
    expect(email.get_by_role("status")).to_have_text("Sent. Check your inbox.")
    _, again = mailbox.wait_for(member.email, count=2)  # sign-up's mail, then this one

    page.goto(again.link)
    expect(page.get_by_role("main").get_by_role("status")).to_have_text("Your email is verified.")
    page.goto(f"{api.url}/#/settings")
    email = section(page, "Email")
    expect(email).to_have_text(
        f"Email{member.email} VerifiedMails about your account, such as password resets, go here."
    )
    expect(email.get_by_role("button", name="Send again")).to_have_count(0)


def test_changing_the_password_keeps_this_tab_and_ends_every_other_login(
    page: Page,
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
) -> None:
    member, elsewhere = logged_in_twice(members, "setpass")
    open_settings(page, api, member)
    password = section(page, "Password")

    password.get_by_label("Current password").fill("not my password at all")
    password.get_by_label("New password").fill(NEW_PASSWORD)
    password.get_by_role("button", name="Change password").click()
    current = password.get_by_label("Current password")
    expect(password.locator("#field-current_password-error")).to_have_text(
        "The current password is wrong."
    )
    expect(current).to_be_focused()

    current.fill(PASSWORD)
    password.get_by_label("New password").fill("12345678901")
    password.get_by_role("button", name="Change password").click()
    expect(password.locator("#field-new_password-error")).to_contain_text(
        "This password is entirely numeric."
    )
    expect(password.get_by_label("New password")).to_be_focused()

    password.get_by_label("New password").fill(NEW_PASSWORD)
    password.get_by_role("button", name="Change password").click()
    expect(password.get_by_role("status")).to_have_text(
        "Your password is changed. Every other device is logged out."
    )
    expect(current).to_have_value("")

    # This tab keeps the new pair the API handed out; every older refresh token is dead.
    tokens = stored_tokens(page)
    assert tokens is not None
    assert tokens["refresh"] not in (member.refresh, elsewhere.refresh)
    assert not refresh_works(api, elsewhere.refresh)
    assert not refresh_works(api, member.refresh)
    page.reload()
    expect(page.locator(".who")).to_have_text(member.nickname)
    # Its refresh token works when its access token runs out.
    page.evaluate(
        "tokens => localStorage.setItem('chatbot.tokens', JSON.stringify(tokens))",
        {"access": expired_access_token(member.id), "refresh": tokens["refresh"]},
    )
    page.reload()
    expect(section(page, "Password")).to_be_visible()
    expect(page.locator(".who")).to_have_text(member.nickname)

    # Logging in: the old password is refused, the new one works.
    other = new_context(**own_address()).new_page()
    log_in(other, api, member.email, PASSWORD)
    expect(other.get_by_role("alert")).to_have_text(
        "That email and password do not match an account."
    )
    log_in(other, api, member.email, NEW_PASSWORD)
    expect(other.locator(".who")).to_have_text(member.nickname)


def test_download_my_data_saves_the_members_chats_as_a_json_file(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("export")
    chat = members.start_chat(member, goal="Run a marathon next spring")
    open_settings(page, api, member)
    data = section(page, "Your data")
    with page.expect_download() as downloading:
        data.get_by_role("button", name="Download my data").click()
    download = downloading.value
    assert EXPORT_NAME.fullmatch(download.suggested_filename), download.suggested_filename
    expect(data.get_by_role("status")).to_have_text(f"Downloaded {download.suggested_filename}.")
    exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert exported["profile"]["email"] == member.email
    assert [c["id"] for c in exported["chats"]] == [chat["id"]]
    assert "Run a marathon next spring" in json.dumps(exported["chats"][0], ensure_ascii=False)


def test_download_my_data_from_another_origin_keeps_the_servers_file_name(
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
    other_origins: tuple[StaticSite, StaticSite],
) -> None:
    listed, _ = other_origins
    # No X-Forwarded-For of its own: CORS would refuse a header the app does not allow.
    page = new_context().new_page()
    member = members.create("exportcors")
    sign_in(page, api, member, "/settings", origin=listed.origin)
    with page.expect_download() as downloading:
        section(page, "Your data").get_by_role("button", name="Download my data").click()
    # The name comes from Content-Disposition, which CORS has to expose to the page.
    assert EXPORT_NAME.fullmatch(downloading.value.suggested_filename)


def test_log_out_everywhere_ends_this_tab_and_another_browser(
    page: Page,
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
) -> None:
    member, elsewhere = logged_in_twice(members, "everywhere")
    second = new_context(**own_address()).new_page()
    sign_in(second, api, elsewhere, "/new")
    expect(second.get_by_role("heading", name="New chat", level=1)).to_be_visible()

    open_settings(page, api, member)
    everywhere = section(page, "Log out everywhere")
    everywhere.get_by_role("button", name="Log out everywhere").click()
    dialog = page.get_by_role("dialog", name="Log out everywhere?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Log out everywhere").click()
    expect(page.locator("#toast")).to_have_text("You are logged out on every device.")
    expect(page).to_have_url(f"{api.url}/#/")
    expect(page.locator("#topbar").get_by_role("link", name="Log in")).to_be_visible()
    assert stored_tokens(page) is None

    # The other browser: once its short-lived access token is spent, its login is over.
    second.evaluate(
        "tokens => localStorage.setItem('chatbot.tokens', JSON.stringify(tokens))",
        {"access": expired_access_token(member.id), "refresh": elsewhere.refresh},
    )
    second.reload()
    expect(second).to_have_url(f"{api.url}/#/login?next=%2Fnew")
    expect(second.locator(".notice")).to_have_text(
        "Your session has ended. Please log in again; what you typed is kept."
    )
    assert stored_tokens(second) is None


def test_deleting_the_account_names_the_losses_and_takes_the_chats_with_it(
    page: Page,
    new_context: Callable[..., BrowserContext],
    api: LiveServer,
    members: Members,
) -> None:
    member = members.create("leaver")
    chat = members.start_chat(member, goal="Leave no trace")
    reader = new_context().new_page()
    reader.goto(f"{api.url}/#/chats/{chat['id']}")
    expect(reader.get_by_role("heading", level=1)).to_be_visible()

    open_settings(page, api, member)
    opener = section(page, "Delete account").get_by_role("button", name="Delete my account…")
    opener.click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    for lost in [
        "all your chats and every message in them;",
        "their entries in the public archive",
        "your profile: email, nickname, year of birth and job;",
        "your connected logins (GitHub, Kakao)",
        "What you used of today's requests stays counted until the day ends",
    ]:
        expect(dialog).to_contain_text(lost)
    password = dialog.get_by_label("Your password")
    expect(password).to_be_focused()
    screenshot(page, "30-settings-delete-account")

    # Escape changes nothing and gives the focus back.
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()

    opener.click()
    password.fill("not the password")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.locator("#field-password-error")).to_have_text("The password is wrong.")
    expect(password).to_be_focused()
    assert chat_status(api, chat["id"]) == 200

    password.fill(PASSWORD)
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#toast")).to_have_text("Your account is deleted. Goodbye.")
    expect(page).to_have_url(f"{api.url}/#/")
    assert stored_tokens(page) is None

    assert chat_status(api, chat["id"]) == 404
    reader.reload()
    expect(reader.get_by_role("main")).to_contain_text(
        "This chat does not exist, or it was deleted."
    )
    log_in(page, api, member.email, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(
        "That email and password do not match an account."
    )


# ---------------------------------------------------------------- phone, Korean


def test_settings_on_a_phone_in_korean(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    member = members.create("setko")
    page = new_context(
        locale="ko-KR", viewport={"width": 390, "height": 844}, **own_address()
    ).new_page()
    sign_in(page, api, member, "/settings")
    expect(page.get_by_role("heading", name="설정", level=1)).to_be_visible()
    for name in ["프로필", "이메일", "비밀번호", "연결된 로그인", "내 데이터"]:
        expect(section(page, name)).to_be_visible()
    expect(section(page, "연결된 로그인")).to_contain_text(
        "이 서비스에서는 다른 로그인 방법을 제공하지 않아요."
    )
    # On a phone the header's link is an icon, still named for screen readers.
    expect(page.locator("#topbar").get_by_role("link", name="설정")).to_be_visible()
    screenshot(page, "31-settings-phone-ko")
    section(page, "비밀번호").get_by_label("현재 비밀번호").fill("틀린 비밀번호입니다")
    section(page, "비밀번호").get_by_label("새 비밀번호").fill(NEW_PASSWORD)
    section(page, "비밀번호").get_by_role("button", name="비밀번호 바꾸기").click()
    expect(section(page, "비밀번호").locator("#field-current_password-error")).to_have_text(
        "현재 비밀번호가 맞지 않아요."
    )


def test_settings_on_a_desktop_in_korean_and_a_phone_in_english(
    new_context: Callable[..., BrowserContext], api: LiveServer, members: Members
) -> None:
    member = members.create("setshots")
    desktop = new_context(locale="ko-KR", **own_address()).new_page()
    sign_in(desktop, api, member, "/settings")
    expect(section(desktop, "계정 삭제")).to_be_visible()
    screenshot(desktop, "32-settings-desktop-ko", full_page=True)
    # The narrowest common phone: the header's icons still fit, nothing scrolls sideways.
    phone = new_context(viewport={"width": 360, "height": 780}, **own_address()).new_page()
    sign_in(phone, api, member, "/settings")
    expect(section(phone, "Delete account")).to_be_visible()
    topbar = phone.locator("#topbar")
    expect(topbar.get_by_role("link", name="Settings")).to_be_in_viewport(ratio=1)
    # "Log out" is in the drawer there, in words (test_polish.py).
    expect(topbar.get_by_role("button", name="Menu", exact=True)).to_be_in_viewport(ratio=1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "33-settings-phone-en", full_page=True)


# ---------------------------------------------------------------- a member made by GitHub


def access_token_from_a_login_ago(member_id: int, minutes: int) -> str:
    """A valid access token whose login (`auth_time`) happened `minutes` ago."""
    token = AccessToken()
    token[settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id")] = str(member_id)
    token["auth_time"] = int((datetime.now(UTC) - timedelta(minutes=minutes)).timestamp())
    return str(token)


def test_a_member_made_by_github_has_no_password_and_keeps_their_only_login(
    page: Page, oauth_api: LiveServer, github: FakeGitHub
) -> None:
    email = "set-octo@example.com"
    github.account = GitHubAccount(
        id=90301,
        login="set-octo",
        emails=[{"email": email, "primary": True, "verified": True, "visibility": "public"}],
    )
    page.goto(f"{oauth_api.url}/#/login")
    page.get_by_role("link", name="Continue with GitHub").click()
    page.get_by_role("link", name="Authorize").click()
    agree_to_terms(page)
    expect(page.locator(".who")).to_have_text("set-octo")
    page.locator("#topbar").get_by_role("link", name="Settings").click()

    password = section(page, "Password")
    expect(password).to_contain_text("You log in with GitHub, so this account has no password.")
    expect(password).to_contain_text(f"If {email} is an address whose mail you can read")
    expect(password.get_by_role("link", name="Forgot password?")).to_have_attribute(
        "href", "#/forgot-password"
    )
    expect(password.get_by_label("Current password")).to_have_count(0)

    providers = section(page, "Connected logins")
    expect(providers.locator("[data-provider=github]")).to_contain_text("Connected")
    expect(providers.locator("[data-provider=kakao]")).to_contain_text("Not connected")
    expect(providers.get_by_role("button", name="Connect Kakao")).to_be_visible()
    providers.scroll_into_view_if_needed()
    screenshot(page, "34-settings-provider-member")
    # GitHub is the only way in: it stays, and the page says why and what to do.
    providers.get_by_role("button", name="Disconnect GitHub").click()
    alert = providers.get_by_role("alert")
    expect(alert).to_contain_text("This is the only way left to log in to your account")
    expect(alert).to_be_focused()
    expect(providers.locator("[data-provider=github]")).to_contain_text("Connected")

    # Leaving without a password: the nickname confirms it, within minutes of logging in.
    section(page, "Delete account").get_by_role("button", name="Delete my account…").click()
    dialog = page.get_by_role("dialog", name="Delete your account?")
    confirm = dialog.get_by_label("Type your nickname, set-octo, to confirm")
    expect(confirm).to_be_focused()
    confirm.fill("someone else")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.locator("#field-confirm-error")).to_have_text("Type your nickname to confirm.")

    # A login older than 10 minutes is told to log in again, with the way to do it.
    tokens = stored_tokens(page)
    assert tokens is not None
    with httpx.Client(base_url=oauth_api.url) as client:
        member_id = client.get(
            "/api/me/", headers={"Authorization": f"Bearer {tokens['access']}"}
        ).json()["id"]
    page.evaluate(
        "access => { const t = JSON.parse(localStorage.getItem('chatbot.tokens'));"
        " localStorage.setItem('chatbot.tokens', JSON.stringify({...t, access})); }",
        access_token_from_a_login_ago(member_id, minutes=11),
    )
    confirm.fill("set-octo")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(dialog.get_by_role("alert")).to_contain_text(
        "For your safety, this needs a recent login."
    )
    dialog.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/login?next=%2Fsettings")

    # Logged in again, the same confirmation deletes the account.
    page.get_by_role("link", name="Continue with GitHub").click()
    page.get_by_role("link", name="Authorize").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/settings")
    section(page, "Delete account").get_by_role("button", name="Delete my account…").click()
    dialog.get_by_label("Type your nickname, set-octo, to confirm").fill("set-octo")
    dialog.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#toast")).to_have_text("Your account is deleted. Goodbye.")
    with httpx.Client(base_url=oauth_api.url) as client:
        gone = client.get("/api/me/", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert gone.status_code == 401


def test_a_member_whose_provider_shared_no_email_is_offered_nothing_by_mail(
    page: Page, oauth_api: LiveServer, github: FakeGitHub
) -> None:
    github.account = GitHubAccount(id=90302, login="set-noemail", emails=[])
    page.goto(f"{oauth_api.url}/#/login?next=%2Fsettings")
    page.get_by_role("link", name="Continue with GitHub").click()
    page.get_by_role("link", name="Authorize").click()
    agree_to_terms(page)
    expect(page).to_have_url(f"{oauth_api.url}/#/settings")
    email = section(page, "Email")
    expect(email).to_contain_text("Your account has no email address")
    expect(email.get_by_role("button", name="Send again")).to_have_count(0)
    password = section(page, "Password")
    expect(password).to_contain_text("A password needs an email address to reset it by")
    expect(password.get_by_role("link", name="Forgot password?")).to_have_count(0)


def test_coming_back_from_connecting_a_provider_says_how_it_went(
    page: Page, api: LiveServer, members: Members
) -> None:
    member = members.create("linkback")
    sign_in(page, api, member)
    page.goto(f"{api.url}/#/settings?linked=github")
    expect(page.get_by_role("main").locator(".notice")).to_have_text(
        "GitHub is connected. You can log in with it from now on."
    )
    # Said once: the address no longer carries it.
    expect(page).to_have_url(f"{api.url}/#/settings")
    page.goto(f"{api.url}/#/settings?oauth_error=oauth_denied")
    expect(page.get_by_role("main").get_by_role("alert").first).to_have_text(
        "Connecting was cancelled at the provider. Nothing was changed."
    )
    expect(page).to_have_url(f"{api.url}/#/settings")


# ---------------------------------------------------------------- terms, privacy, footer


def first_heading(name: str) -> str:
    text = (FRONTEND / "legal" / name).read_text(encoding="utf-8")
    return next(line[2:].strip() for line in text.splitlines() if line.startswith("# "))


def test_terms_and_privacy_render_from_their_files_in_both_languages(
    page: Page, api: LiveServer
) -> None:
    page.goto(f"{api.url}/#/")
    footer = page.get_by_role("contentinfo").get_by_role("navigation", name="About this service")
    with page.expect_response("**/legal/terms.en.md") as fetched:
        footer.get_by_role("link", name="Terms of service").click()
    assert fetched.value.ok
    expect(page).to_have_url(f"{api.url}/#/terms")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(first_heading("terms.en.md"))
    expect(heading).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Terms of service"))
    expect(footer.get_by_role("link", name="Terms of service")).to_have_attribute(
        "aria-current", "page"
    )

    footer.get_by_role("link", name="Privacy policy").click()
    expect(heading).to_have_text(first_heading("privacy.en.md"))
    # A table of what is collected, as Markdown wrote it.
    expect(page.locator("article.legal table").first).to_contain_text("email address")
    screenshot(page, "35-privacy-policy-en")

    # In Korean, from the Korean files.
    with page.expect_response("**/legal/privacy.ko.md"):
        page.get_by_label("Language").select_option("ko")
    expect(heading).to_have_text(first_heading("privacy.ko.md"))
    expect(page.locator("article.legal")).to_have_attribute("lang", "ko")
    footer = page.get_by_role("contentinfo").get_by_role("navigation", name="서비스 정보")
    footer.get_by_role("link", name="이용약관").click()
    expect(heading).to_have_text(first_heading("terms.ko.md"))
    screenshot(page, "36-terms-ko")


@pytest.mark.parametrize("path", ["/", "/login", "/signup", "/settings", "/chats/999999"])
def test_every_page_has_the_footer_links(
    page: Page, api: LiveServer, members: Members, path: str
) -> None:
    if path == "/settings":
        sign_in(page, api, members.create("footer"), path)
    else:
        page.goto(f"{api.url}/#{path}")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("link", name="Terms of service")).to_have_attribute("href", "#/terms")
    expect(footer.get_by_role("link", name="Privacy policy")).to_have_attribute("href", "#/privacy")


def test_an_operators_own_texts_replace_the_shipped_ones_and_stay_inert(
    new_context: Callable[..., BrowserContext],
    other_origins: tuple[StaticSite, StaticSite],
) -> None:
    """A deployment on another host edits its copy of the files; no build step in between."""
    listed, _ = other_origins
    legal = listed.root / "legal"
    own_terms = (
        "# Example Corp's terms\n\nRun by Example Corp. <img src=x onerror=alert(1)>\n"
        "Write to [legal](mailto:legal@example.com) or [us](javascript:alert(2)).\n"
    )
    (legal / "terms.en.md").write_text(own_terms, encoding="utf-8")
    (legal / "privacy.ko.md").unlink()
    try:
        page = new_context().new_page()
        page.goto(f"{listed.origin}/#/terms")
        article = page.locator("article.legal")
        expect(article.get_by_role("heading", level=1)).to_have_text("Example Corp's terms")
        expect(article).to_contain_text("<img src=x onerror=alert(1)>")
        expect(article.locator("img")).to_have_count(0)
        expect(article.get_by_role("link", name="legal")).to_have_attribute(
            "href", "mailto:legal@example.com"
        )
        expect(article.locator("a[href^=javascript]")).to_have_count(0)

        # A language left out falls back to the other one.
        page.get_by_label("Language").select_option("ko")
        page.goto(f"{listed.origin}/#/privacy")
        expect(article.get_by_role("heading", level=1)).to_have_text(first_heading("privacy.en.md"))
        expect(article).to_have_attribute("lang", "en")
    finally:
        for name in ("terms.en.md", "privacy.ko.md"):
            (legal / name).write_bytes((FRONTEND / "legal" / name).read_bytes())
