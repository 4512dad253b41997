"""Logging in with GitHub and Kakao in the browser: click the button, approve (or cancel) at the
provider's consent page (the loopback fakes), land back in the app logged in, against conftest's
`oauth_api`."""

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import screenshot, stored_tokens, tick_consents
from tests.support.fake_github import FakeGitHub, GitHubAccount
from tests.support.fake_kakao import FakeKakao, KakaoAccount
from tests.support.live_server import LiveServer
from tests.support.members import CONSENTS, PASSWORD


def test_continue_with_github_lands_logged_in(
    page: Page, oauth_api: LiveServer, github: FakeGitHub
) -> None:
    github.account = GitHubAccount(id=90001, login="e2e-octo", emails=[])
    page.goto(f"{oauth_api.url}/#/login?next=%2Fnew")
    button = page.get_by_role("link", name="Continue with GitHub")
    expect(button).to_be_visible()
    expect(page.get_by_role("link", name="Login with Kakao")).to_be_visible()
    screenshot(page, "20-login-with-providers")
    button.click()
    expect(page).to_have_url(re.compile(re.escape(f"{github.base_url}/login/oauth/authorize?")))
    page.get_by_role("link", name="Authorize").click()
    # Back in the app: the code is traded for tokens and taken out of the address. A member
    # made by a provider login agreed to nothing yet: the consent step comes before the chat.
    expect(page).to_have_url(f"{oauth_api.url}/#/consent?next=%2Fnew")
    expect(page.get_by_role("heading", name="Before you start", level=1)).to_be_visible()
    expect(page.locator("#topbar")).to_contain_text("e2e-octo")
    tokens = stored_tokens(page)
    assert tokens is not None
    assert set(tokens) == {"access", "refresh"}
    tick_consents(page)
    page.get_by_role("button", name="Agree and continue").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/new")
    expect(page.get_by_role("heading", name="New chat", level=1)).to_be_visible()


def test_continue_with_kakao_lands_logged_in(
    page: Page, oauth_api: LiveServer, kakao: FakeKakao
) -> None:
    kakao.account = KakaoAccount(id=90002, nickname="카카오e2e", email=None)
    page.goto(f"{oauth_api.url}/#/login")
    page.get_by_role("link", name="Login with Kakao").click()
    page.get_by_role("link", name="동의하고 계속하기").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/consent")
    expect(page.locator("#topbar")).to_contain_text("카카오e2e")
    assert stored_tokens(page) is not None


def test_cancelling_at_the_provider_comes_back_with_a_clear_message(
    page: Page, oauth_api: LiveServer
) -> None:
    page.goto(f"{oauth_api.url}/#/login")
    page.get_by_role("link", name="Login with Kakao").click()
    page.get_by_role("link", name="취소").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/login")
    expect(page.get_by_role("alert")).to_have_text(
        "The login was cancelled at the provider. Nothing was changed."
    )
    assert stored_tokens(page) is None
    screenshot(page, "21-login-cancelled-at-provider")


def test_a_provider_login_with_the_email_of_a_password_account_is_explained(
    page: Page,
    new_context: Callable[..., BrowserContext],
    oauth_api: LiveServer,
    github: FakeGitHub,
) -> None:
    # A password sign-up's address was never verified: a provider login must not join it.
    with oauth_api.client() as client:
        signed = client.post(
            "/api/auth/signup/",
            json={
                "email": "taken-e2e@example.com",
                "password": PASSWORD,
                "nickname": "taken",
                **CONSENTS,
            },
        )
        assert signed.status_code == 201, signed.text
    github.account = GitHubAccount(
        id=90003, login="taken-gh", emails=[GitHubAccount.email("taken-e2e@example.com")]
    )
    page.goto(f"{oauth_api.url}/#/login")
    page.get_by_role("link", name="Continue with GitHub").click()
    page.get_by_role("link", name="Authorize").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/login")
    expect(page.get_by_role("alert")).to_have_text(
        "An account with this email already exists. To keep it safe, it was not joined to "
        "this login: log in with its email and password, then connect this provider from "
        "Settings."
    )
    assert stored_tokens(page) is None
    screenshot(page, "22-login-email-taken")
    # The same in Korean.
    korean = new_context(locale="ko-KR").new_page()
    korean.goto(f"{oauth_api.url}/#/login")
    korean.get_by_role("link", name="GitHub로 계속하기").click()
    korean.get_by_role("link", name="Authorize").click()
    expect(korean).to_have_url(f"{oauth_api.url}/#/login")
    expect(korean.get_by_role("alert")).to_have_text(
        "이 이메일로 가입한 계정이 이미 있어요. 계정을 안전하게 지키기 위해 이 로그인과 연결하지 "
        "않았어요. 그 계정의 이메일과 비밀번호로 로그인한 뒤 설정에서 이 서비스를 연결해 주세요."
    )


def test_a_used_login_code_is_refused_with_a_clear_message(
    page: Page, oauth_api: LiveServer
) -> None:
    page.goto(f"{oauth_api.url}/#/login?oauth_code=not-a-real-code")
    expect(page).to_have_url(f"{oauth_api.url}/#/login")
    expect(page.get_by_role("alert")).to_have_text(
        "This login has expired or was used already. Please log in again."
    )
    assert stored_tokens(page) is None


def test_without_configured_providers_there_are_no_buttons(page: Page, api: LiveServer) -> None:
    page.goto(f"{api.url}/#/login")
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    assert page.locator(".oauth-buttons a").count() == 0


def test_the_consent_step_after_a_first_provider_login_must_be_agreed_before_chatting(
    new_context: Callable[..., BrowserContext], oauth_api: LiveServer, github: FakeGitHub
) -> None:
    github.account = GitHubAccount(
        id=90004, login="e2e-consent", emails=[GitHubAccount.email("consent-e2e@example.com")]
    )
    page = new_context(locale="ko-KR").new_page()
    page.goto(f"{oauth_api.url}/#/login?next=%2Fnew")
    page.get_by_role("link", name="GitHub로 계속하기").click()
    page.get_by_role("link", name="Authorize").click()
    expect(page).to_have_url(f"{oauth_api.url}/#/consent?next=%2Fnew")
    expect(page.get_by_role("heading", name="시작하기 전에", level=1)).to_be_visible()
    over_14 = page.get_by_role("checkbox", name="만 14세 이상입니다")
    terms = page.get_by_role("checkbox", name="이용약관 및 개인정보 처리방침에 동의합니다")
    expect(page.locator("form").get_by_role("link", name="이용약관")).to_have_attribute(
        "href", "#/terms"
    )
    expect(page.locator("form").get_by_role("link", name="개인정보 처리방침")).to_have_attribute(
        "href", "#/privacy"
    )

    # Only one box: the other is refused at its field, and nothing is recorded.
    over_14.check()
    page.get_by_role("button", name="동의하고 계속하기").click()
    expect(page.locator("#field-accept_terms-error")).to_have_text(
        "계속하려면 이용약관과 개인정보 처리방침에 동의해 주세요."
    )
    expect(terms).to_have_attribute("aria-invalid", "true")
    screenshot(page, "29-consent-step-ko")
    # Trying to start a chat meanwhile comes back here.
    page.goto(f"{oauth_api.url}/#/new")
    expect(page).to_have_url(f"{oauth_api.url}/#/consent?next=%2Fnew")

    page.get_by_role("checkbox", name="만 14세 이상입니다").check()
    page.get_by_role("checkbox", name="이용약관 및 개인정보 처리방침에 동의합니다").check()
    with page.expect_response("**/api/me/consent/") as agreed:
        page.get_by_role("button", name="동의하고 계속하기").click()
    assert agreed.value.status == 204
    expect(page).to_have_url(f"{oauth_api.url}/#/new")
    tokens = stored_tokens(page)
    assert tokens is not None
    with oauth_api.client(tokens["access"]) as client:
        profile = client.get("/api/me/").json()
        assert profile["consent_required"] is False
        assert {c["what"] for c in profile["consents"]} == {"terms", "privacy", "over_14"}
        # GitHub verified the address: this member may chat now.
        started = client.post("/api/chats/", json={"current_state": "Now.", "goal": "Later."})
        assert started.status_code == 201, started.text
