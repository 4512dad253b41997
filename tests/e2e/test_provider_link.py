"""Connecting GitHub from Settings, the way out that a refused provider login points to: log in
with the password, Connect, approve at the provider, and from then on "Continue with GitHub"
opens the same account. Against conftest's `oauth_api` and the loopback fake of GitHub."""

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import screenshot, stored_tokens
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.live_server import LiveServer
from tests.support.members import CONSENTS, PASSWORD


def sign_up(api: LiveServer, email: str, nickname: str) -> None:
    """A password member made through the API (not verified: linking does not need it)."""
    with api.client() as client:
        body = {"email": email, "password": PASSWORD, "nickname": nickname, **CONSENTS}
        signed = client.post("/api/auth/signup/", json=body)
        assert signed.status_code == 201, signed.text


def log_in(page: Page, api: LiveServer, email: str) -> None:
    page.goto(f"{api.url}/#/login?next=%2Fsettings")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{api.url}/#/settings")


def test_a_member_connects_github_from_settings_and_then_logs_in_with_it(
    page: Page,
    new_context: Callable[..., BrowserContext],
    oauth_api: LiveServer,
    github: FakeGitHub,
) -> None:
    email = "linker-e2e@example.com"
    sign_up(oauth_api, email, "linker")
    github.account = GitHubAccount(id=90101, login="linker-gh", emails=[])
    log_in(page, oauth_api, email)
    row = page.locator(".settings-provider[data-provider='github']")
    expect(row).to_contain_text("Not connected")

    page.get_by_role("button", name="Connect GitHub").click()
    expect(page).to_have_url(re.compile(re.escape(f"{github.base_url}/login/oauth/authorize?")))
    page.get_by_role("link", name="Authorize").click()

    expect(page).to_have_url(f"{oauth_api.url}/#/settings")
    expect(row).to_contain_text("Connected")
    expect(page.get_by_role("button", name="Disconnect GitHub")).to_be_visible()
    screenshot(page, "49-settings-github-connected")

    # Another browser, nobody logged in: GitHub now opens the same account.
    other = new_context().new_page()
    other.goto(f"{oauth_api.url}/#/login")
    other.get_by_role("link", name="Continue with GitHub").click()
    other.get_by_role("link", name="Authorize").click()
    expect(other.locator("#topbar")).to_contain_text("linker")
    assert stored_tokens(other) is not None


def test_a_github_account_already_connected_elsewhere_is_refused_with_the_reason(
    page: Page, oauth_api: LiveServer, github: FakeGitHub
) -> None:
    # Someone logged in with this GitHub account before: it is their member's.
    github.account = GitHubAccount(id=90102, login="first-owner", emails=[])
    page.goto(f"{oauth_api.url}/#/login")
    page.get_by_role("link", name="Continue with GitHub").click()
    page.get_by_role("link", name="Authorize").click()
    expect(page.locator("#topbar")).to_contain_text("first-owner")
    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")

    email = "second-e2e@example.com"
    sign_up(oauth_api, email, "second")
    log_in(page, oauth_api, email)
    page.get_by_role("button", name="Connect GitHub").click()
    page.get_by_role("link", name="Authorize").click()

    expect(page).to_have_url(f"{oauth_api.url}/#/settings")
    expect(
        page.get_by_role("alert").filter(
            has_text="That account is already connected to another account here."
        )
    ).to_be_visible()
    expect(page.locator(".settings-provider[data-provider='github']")).to_contain_text(
        "Not connected"
    )
