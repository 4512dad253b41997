"""Logging in with GitHub and Kakao through the HTTP API, against loopback fakes that speak each
provider's wire format (tests/support/fake_github.py, fake_kakao.py). The test plays the browser:
it follows the redirects, approves or cancels at the fake's consent page, and keeps cookies."""

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient

from adapters.oauth.github import GitHubIdentityProvider
from adapters.oauth.kakao import KakaoIdentityProvider
from adapters.orm.models import LoginCode, Member, SocialAccount, UsedOAuthState
from django_project.container import Container
from tests.integration.conftest import INTAKE, Configure, sign_up
from tests.support.fake_github import (
    FakeGitHub,
    GitHubAccount,
    fake_github_fixture,  # noqa: F401
)
from tests.support.fake_kakao import (
    FakeKakao,
    KakaoAccount,
    fake_kakao_fixture,  # noqa: F401
)
from tests.support.fake_oauth import Canned
from tests.support.members import CONSENTS

pytestmark = pytest.mark.django_db

Fakes = dict[str, FakeGitHub | FakeKakao]


def adapter_for(fake: FakeGitHub | FakeKakao) -> GitHubIdentityProvider | KakaoIdentityProvider:
    """The real adapter, pointed at the fake for both its authorization and its API hosts."""
    kind = GitHubIdentityProvider if isinstance(fake, FakeGitHub) else KakaoIdentityProvider
    return kind(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        auth_url=fake.base_url,
        api_url=fake.base_url,
        timeout_s=5,
    )


@pytest.fixture(name="fakes")
def fakes_fixture(
    container: Container, configure: Configure, fake_github: FakeGitHub, fake_kakao: FakeKakao
) -> Fakes:
    container.identity_providers.override(
        {"github": adapter_for(fake_github), "kakao": adapter_for(fake_kakao)}
    )
    return {"github": fake_github, "kakao": fake_kakao}


def fragment_params(location: str) -> dict[str, str]:
    """`/#/login?oauth_code=...` -> its query."""
    path, _, fragment = location.partition("#")
    assert path == "/", location
    route, _, query = fragment.partition("?")
    assert route == "/login", location
    return {k: v[0] for k, v in parse_qs(query).items()}


class Browser:
    def __init__(self, fakes: Fakes) -> None:
        self.client = Client()
        self.fakes = fakes

    def start(self, provider: str, next_path: str | None = None) -> str:
        started = self.client.get(
            f"/api/auth/oauth/{provider}/start/", {"next": next_path} if next_path else {}
        )
        assert started.status_code == 302, started.content
        return str(started["Location"])

    def callback(self, back: str) -> dict[str, str]:
        parts = urlsplit(back)
        answer = self.client.get(f"{parts.path}?{parts.query}")
        assert answer.status_code == 302, answer.content
        return fragment_params(answer["Location"])

    def log_in(self, provider: str, *, approve: bool = True, **start: Any) -> dict[str, str]:
        authorize = self.start(provider, **start)
        return self.callback(self.fakes[provider].consent(authorize, approve=approve))


def exchange(code: str) -> Any:
    return APIClient().post("/api/auth/oauth/exchange/", {"code": code}, format="json")


def me(access: str) -> dict[str, Any]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    answer = client.get("/api/me/")
    assert answer.status_code == 200, answer.json()
    return dict(answer.json())


@pytest.fixture
def browser(fakes: Fakes) -> Browser:
    return Browser(fakes)


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_first_login_makes_a_member_and_gives_the_usual_jwt_pair(
    browser: Browser, provider: str
) -> None:
    landed = browser.log_in(provider, next_path="/chats/3")
    assert landed["next"] == "/chats/3"
    pair = exchange(landed["oauth_code"])
    assert pair.status_code == 200, pair.json()
    assert set(pair.json()) == {"access", "refresh"}
    profile = me(pair.json()["access"])
    assert profile["linked_providers"] == [provider]
    assert profile["nickname"] == {"github": "octocat", "kakao": "라이언"}[provider]
    member = Member.objects.get(pk=profile["id"])
    assert not member.has_usable_password()
    # The refresh token works like one from the password login.
    refreshed = APIClient().post(
        "/api/auth/refresh/", {"refresh": pair.json()["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200


def test_the_authorization_request_carries_state_pkce_and_the_callback(
    browser: Browser, fakes: Fakes
) -> None:
    authorize = browser.start("github")
    sent = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert authorize.startswith(fakes["github"].base_url + "/login/oauth/authorize?")
    assert sent["client_id"] == "test-client-id"
    assert sent["redirect_uri"] == "http://testserver/api/auth/oauth/github/callback/"
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["state"]) >= 32
    cookie = browser.client.cookies["chatbot_oauth_github"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/api/auth/oauth/"


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_returning_member_is_found_by_the_provider_account(
    browser: Browser, fakes: Fakes, provider: str
) -> None:
    first = me(exchange(browser.log_in(provider)["oauth_code"]).json()["access"])
    # Their email changed at the provider meanwhile: the account id still finds them.
    if provider == "github":
        fakes["github"].account = GitHubAccount(emails=[GitHubAccount.email("new@example.com")])
    else:
        fakes["kakao"].account = KakaoAccount(email="new@example.com")
    again = me(exchange(Browser(fakes).log_in(provider)["oauth_code"]).json()["access"])
    assert again["id"] == first["id"]
    assert Member.objects.count() == 1


def provider_account(provider: str, email: str, nickname: str) -> GitHubAccount | KakaoAccount:
    """An account whose primary (GitHub) or only (Kakao) address is `email`, verified."""
    if provider == "github":
        return GitHubAccount(
            login=nickname,
            emails=[
                GitHubAccount.email("other@example.com", primary=False),
                GitHubAccount.email(email),
            ],
        )
    return KakaoAccount(nickname=nickname, email=email)


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_member_made_by_a_provider_leaves_and_comes_back_without_a_new_allowance(
    fakes: Fakes, provider: str
) -> None:
    fakes[provider].account = provider_account(provider, "kim@example.com", "kim")
    pair = exchange(Browser(fakes).log_in(provider)["oauth_code"]).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    consented = client.post("/api/me/consent/", CONSENTS, format="json")
    assert consented.status_code == 204, consented.content
    for _ in range(3):
        assert client.post("/api/chats/", INTAKE, format="json").status_code == 201
    # No password: the nickname, from the fresh login the code exchange just was.
    left = client.delete("/api/me/", {"confirm": "kim"}, format="json")
    assert left.status_code == 204, left.content

    again = me(exchange(Browser(fakes).log_in(provider)["oauth_code"]).json()["access"])

    assert again["quota"]["remaining"] == 2
    assert again["linked_providers"] == [provider]


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_provider_login_never_lands_in_a_password_account_with_an_unverified_email(
    browser: Browser, fakes: Fakes, provider: str
) -> None:
    # Someone signed up with kim's address and a password of their own; nobody checked it.
    squatter = sign_up(
        APIClient(), email="kim@example.com", password="squatter's passphrase", nickname="sq"
    )
    assert squatter.status_code == 201, squatter.json()
    fakes[provider].account = provider_account(provider, "KIM@example.com", "kim")
    assert browser.log_in(provider) == {"oauth_error": "oauth_email_taken"}
    # Nothing joined, nothing made, and the pending login is over.
    assert SocialAccount.objects.count() == 0
    assert list(Member.objects.values_list("id", flat=True)) == [squatter.json()["id"]]
    assert LoginCode.objects.count() == 0
    assert browser.client.cookies[f"chatbot_oauth_{provider}"].value == ""


def test_a_password_sign_up_is_not_verified_and_a_provider_made_member_is(
    browser: Browser, fakes: Fakes
) -> None:
    signed = sign_up(APIClient(), email="kim@example.com", nickname="kim")
    fakes["kakao"].account = KakaoAccount(email=None)
    made = me(exchange(browser.log_in("github")["oauth_code"]).json()["access"])
    no_email = me(exchange(Browser(fakes).log_in("kakao")["oauth_code"]).json()["access"])
    verified = dict(Member.objects.values_list("id", "email_verified"))
    assert verified == {signed.json()["id"]: False, made["id"]: True, no_email["id"]: False}


@pytest.mark.parametrize(("first", "then"), [("github", "kakao"), ("kakao", "github")])
def test_a_verified_email_links_a_member_made_by_another_provider(
    fakes: Fakes, first: str, then: str
) -> None:
    for provider in (first, then):
        fakes[provider].account = provider_account(provider, "kim@example.com", f"kim-{provider}")
    made = me(exchange(Browser(fakes).log_in(first)["oauth_code"]).json()["access"])
    again = me(exchange(Browser(fakes).log_in(then)["oauth_code"]).json()["access"])
    assert again["id"] == made["id"]
    assert again["nickname"] == f"kim-{first}"
    assert again["linked_providers"] == ["github", "kakao"]
    assert Member.objects.count() == 1


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_password_member_whose_email_is_verified_here_is_linked(
    browser: Browser, fakes: Fakes, provider: str
) -> None:
    signed = sign_up(APIClient(), email="kim@example.com", nickname="kim")
    # What email verification (not built yet) will record.
    Member.objects.filter(pk=signed.json()["id"]).update(email_verified=True)
    fakes[provider].account = provider_account(provider, "kim@example.com", "kim-p")
    profile = me(exchange(browser.log_in(provider)["oauth_code"]).json()["access"])
    assert profile["id"] == signed.json()["id"]
    assert profile["nickname"] == "kim"
    assert profile["linked_providers"] == [provider]


@pytest.mark.parametrize(
    ("provider", "account"),
    [
        ("github", GitHubAccount(emails=[GitHubAccount.email("kim@example.com", verified=False)])),
        # A verified address that is not the primary one does not count either.
        (
            "github",
            GitHubAccount(
                emails=[
                    GitHubAccount.email("kim@example.com", primary=False),
                    GitHubAccount.email("x@example.com", verified=False),
                ]
            ),
        ),
        ("kakao", KakaoAccount(nickname="kim", email="kim@example.com", is_email_verified=False)),
        ("kakao", KakaoAccount(nickname="kim", email="kim@example.com", is_email_valid=False)),
    ],
)
def test_an_unverified_email_is_not_linked(
    browser: Browser, fakes: Fakes, provider: str, account: Any
) -> None:
    signed = sign_up(APIClient(), email="kim@example.com", nickname="kim")
    fakes[provider].account = account
    profile = me(exchange(browser.log_in(provider)["oauth_code"]).json()["access"])
    assert profile["id"] != signed.json()["id"]
    assert profile["email"] != "kim@example.com"
    assert profile["email"].endswith("@oauth.invalid")
    assert SocialAccount.objects.filter(member_id=signed.json()["id"]).count() == 0


def test_nicknames_from_providers_are_made_unique(browser: Browser, fakes: Fakes) -> None:
    sign_up(APIClient(), nickname="octocat")
    fakes["github"].account = GitHubAccount(emails=[])
    profile = me(exchange(browser.log_in("github")["oauth_code"]).json()["access"])
    assert profile["nickname"] == "octocat2"


@pytest.mark.parametrize(
    ("taken", "from_provider", "made"),
    [
        ("Jos\u00e9", "Jose\u0301", "Jos\u00e92"),  # the same name, composed another way
        ("\u00e4rger", "\u00c4RGER", "\u00c4RGER2"),  # the same name in capitals, beyond ASCII
    ],
)
def test_a_provider_nickname_that_reads_like_a_taken_one_is_made_unique(
    browser: Browser, fakes: Fakes, taken: str, from_provider: str, made: str
) -> None:
    assert sign_up(APIClient(), nickname=taken).status_code == 201
    fakes["kakao"].account = KakaoAccount(nickname=from_provider, email=None)
    profile = me(exchange(browser.log_in("kakao")["oauth_code"]).json()["access"])
    assert profile["nickname"] == made


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_denied_consent_comes_back_with_a_clear_error(
    browser: Browser, fakes: Fakes, provider: str
) -> None:
    assert browser.log_in(provider, approve=False) == {"oauth_error": "oauth_denied"}
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("provider", "endpoint"),
    [
        ("github", "token"),
        ("github", "user"),
        ("github", "emails"),
        ("kakao", "token"),
        ("kakao", "me"),
    ],
)
def test_a_provider_failure_comes_back_with_a_clear_error(
    browser: Browser, fakes: Fakes, provider: str, endpoint: str
) -> None:
    fakes[provider].failures[endpoint] = 500
    assert browser.log_in(provider) == {"oauth_error": "oauth_provider_error"}
    assert Member.objects.count() == 0
    assert LoginCode.objects.count() == 0


def as_json(body: Any) -> Canned:
    return Canned(json.dumps(body).encode())


NOT_JSON = Canned(b"<html><body>Bad Gateway</body></html>", "text/html")
KAKAO_ME = {"id": 31415, "kakao_account": {"profile": {"nickname": "ryan"}}}


@pytest.mark.parametrize(
    ("provider", "endpoint", "reply"),
    [
        ("kakao", "me", as_json([])),
        ("kakao", "me", as_json({"id": 31415, "kakao_account": "ryan@example.com"})),
        ("kakao", "me", as_json({"id": 31415, "kakao_account": {"profile": ["ryan"]}})),
        ("kakao", "me", as_json({"id": 31415, "properties": "ryan"})),
        ("kakao", "me", as_json({"kakao_account": {}})),
        ("kakao", "me", as_json({"id": "ryan"})),
        ("kakao", "me", as_json({"id": 31415, "kakao_account": {"profile": {"nickname": 7}}})),
        (
            "kakao",
            "me",
            as_json(
                {
                    "id": 31415,
                    "kakao_account": {
                        "email": ["ryan@example.com"],
                        "is_email_valid": True,
                        "is_email_verified": True,
                    },
                }
            ),
        ),
        ("kakao", "me", NOT_JSON),
        ("kakao", "token", as_json({"token_type": "bearer", "expires_in": 21599})),
        ("kakao", "token", as_json([])),
        ("kakao", "token", NOT_JSON),
        ("github", "user", as_json([])),
        ("github", "user", as_json("octocat")),
        ("github", "user", as_json({"login": "octocat"})),
        ("github", "user", as_json({"id": [583231], "login": "octocat"})),
        ("github", "user", as_json({"id": 583231, "login": {"name": "octocat"}})),
        ("github", "user", NOT_JSON),
        ("github", "emails", as_json({"email": "octocat@example.com", "primary": True})),
        ("github", "emails", as_json(["octocat@example.com"])),
        ("github", "emails", as_json([{"email": 7, "primary": True, "verified": True}])),
        ("github", "emails", NOT_JSON),
        ("github", "token", as_json({"token_type": "bearer", "scope": "read:user"})),
        ("github", "token", as_json(["gho_x"])),
        ("github", "token", NOT_JSON),
    ],
)
def test_a_provider_reply_of_an_unexpected_shape_comes_back_with_a_clear_error(
    browser: Browser, fakes: Fakes, provider: str, endpoint: str, reply: Canned
) -> None:
    fakes[provider].failures[endpoint] = reply
    assert browser.log_in(provider) == {"oauth_error": "oauth_provider_error"}
    assert browser.client.cookies[f"chatbot_oauth_{provider}"].value == ""
    assert Member.objects.count() == 0
    assert LoginCode.objects.count() == 0


def test_a_provider_error_redirect_is_not_a_denial(browser: Browser) -> None:
    authorize = browser.start("kakao")
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    landed = browser.callback(f"/api/auth/oauth/kakao/callback/?error=server_error&state={state}")
    assert landed == {"oauth_error": "oauth_provider_error"}


def test_a_code_the_provider_refuses_comes_back_with_a_clear_error(
    browser: Browser, fakes: Fakes
) -> None:
    authorize = browser.start("github")
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    landed = browser.callback(f"/api/auth/oauth/github/callback/?code=forged&state={state}")
    assert landed == {"oauth_error": "oauth_provider_error"}


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_forged_state_is_refused(browser: Browser, fakes: Fakes, provider: str) -> None:
    back = fakes[provider].consent(browser.start(provider))
    forged = back.replace("state=", "state=x")
    assert browser.callback(forged) == {"oauth_error": "oauth_state_invalid"}
    assert Member.objects.count() == 0


def test_a_missing_state_cookie_is_refused(fakes: Fakes) -> None:
    # Another browser started the login: the callback is not for this one (login CSRF).
    started = Browser(fakes)
    back = fakes["github"].consent(started.start("github"))
    assert Browser(fakes).callback(back) == {"oauth_error": "oauth_state_invalid"}
    assert Member.objects.count() == 0


def test_a_reused_state_is_refused(browser: Browser, fakes: Fakes) -> None:
    back = fakes["github"].consent(browser.start("github"))
    assert "oauth_code" in browser.callback(back)
    assert browser.callback(back) == {"oauth_error": "oauth_state_invalid"}


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_replayed_state_cookie_is_refused_before_the_provider_sees_the_code(
    browser: Browser, fakes: Fakes, provider: str
) -> None:
    authorize = browser.start(provider)
    saved = browser.client.cookies[f"chatbot_oauth_{provider}"].value
    back = fakes[provider].consent(authorize)
    assert "oauth_code" in browser.callback(back)
    token_path = fakes[provider].token_path
    assert len(fakes[provider].requests_to(token_path)) == 1
    # A copy of the cookie, kept by the browser or saved by someone, replays the callback.
    replayed = Browser(fakes)
    replayed.client.cookies[f"chatbot_oauth_{provider}"] = saved
    assert replayed.callback(back) == {"oauth_error": "oauth_state_invalid"}
    assert len(fakes[provider].requests_to(token_path)) == 1
    assert LoginCode.objects.count() == 1


def test_used_states_are_stored_hashed_and_forgotten_once_expired(
    browser: Browser, fakes: Fakes
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from application.social_login import hash_state

    back = fakes["github"].consent(browser.start("github"))
    state = parse_qs(urlsplit(back).query)["state"][0]
    browser.callback(back)
    used = UsedOAuthState.objects.get()
    assert used.state_hash == hash_state(state) != state
    assert used.expires_at > timezone.now() + timedelta(minutes=9)
    UsedOAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    Browser(fakes).log_in("kakao")
    assert UsedOAuthState.objects.exclude(state_hash=hash_state(state)).count() == 1
    assert not UsedOAuthState.objects.filter(state_hash=hash_state(state)).exists()


def test_a_state_cookie_of_another_provider_is_refused(browser: Browser, fakes: Fakes) -> None:
    github = browser.start("github")
    state = parse_qs(urlsplit(github).query)["state"][0]
    landed = browser.callback(f"/api/auth/oauth/kakao/callback/?code=x&state={state}")
    assert landed == {"oauth_error": "oauth_state_invalid"}


def test_a_tampered_state_cookie_is_refused(browser: Browser, fakes: Fakes) -> None:
    back = fakes["github"].consent(browser.start("github"))
    state = parse_qs(urlsplit(back).query)["state"][0]
    browser.client.cookies["chatbot_oauth_github"] = (
        f'{{"state": "{state}", "verifier": "v", "next": ""}}'
    )
    assert browser.callback(back) == {"oauth_error": "oauth_state_invalid"}


def test_a_login_code_works_once(browser: Browser) -> None:
    code = browser.log_in("github")["oauth_code"]
    assert exchange(code).status_code == 200
    reused = exchange(code)
    assert reused.status_code == 400
    assert reused.json()["code"] == "oauth_code_invalid"
    assert exchange("made-up").json()["code"] == "oauth_code_invalid"
    assert LoginCode.objects.count() == 0


def test_an_expired_login_code_is_refused(browser: Browser) -> None:
    from datetime import timedelta

    from django.utils import timezone

    code = browser.log_in("github")["oauth_code"]
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exchange(code).json()["code"] == "oauth_code_invalid"


def test_only_the_hash_of_a_login_code_is_stored(browser: Browser) -> None:
    code = browser.log_in("github")["oauth_code"]
    assert not LoginCode.objects.filter(code_hash=code).exists()
    assert LoginCode.objects.count() == 1


def test_an_unsafe_next_is_dropped(browser: Browser) -> None:
    landed = browser.log_in("github", next_path="//evil.example/")
    assert "next" not in landed


def test_configured_providers_are_listed(fakes: Fakes) -> None:
    assert APIClient().get("/api/auth/oauth/providers/").json() == {
        "providers": ["github", "kakao"]
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/oauth/github/start/",
        "/api/auth/oauth/github/callback/?code=x&state=y",
        "/api/auth/oauth/facebook/start/",
    ],
)
def test_an_unconfigured_provider_is_not_found(
    container: Container, configure: Configure, path: str
) -> None:
    container.identity_providers.override({})
    answer = APIClient().get(path)
    assert answer.status_code == 404
    assert answer.json()["code"] == "oauth_provider_not_found"
    assert APIClient().get("/api/auth/oauth/providers/").json() == {"providers": []}


@pytest.mark.parametrize("provider", ["facebook", "github"])
def test_unlinking_an_unconfigured_provider_is_not_found(
    container: Container, make_member: Callable[..., Any], provider: str
) -> None:
    container.identity_providers.override({"kakao": object()})
    kim = make_member()
    answer = kim.client.delete(f"/api/me/oauth/{provider}/")
    assert answer.status_code == 404
    assert answer.json()["code"] == "oauth_provider_not_found"
    # A configured provider the member has not linked is still told apart.
    assert kim.client.delete("/api/me/oauth/kakao/").json()["code"] == "oauth_provider_not_linked"


def test_unlinking_needs_another_way_to_log_in(browser: Browser, fakes: Fakes) -> None:
    fakes["kakao"].account = KakaoAccount(email="octocat@example.com")
    access = exchange(browser.log_in("github")["oauth_code"]).json()["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    last = client.delete("/api/me/oauth/github/")
    assert last.status_code == 409
    assert last.json()["code"] == "last_login_method"
    assert client.delete("/api/me/oauth/kakao/").json()["code"] == "oauth_provider_not_linked"
    # Kakao's verified address is GitHub's: the same member.
    assert exchange(Browser(fakes).log_in("kakao")["oauth_code"]).status_code == 200
    assert me(access)["linked_providers"] == ["github", "kakao"]
    assert client.delete("/api/me/oauth/github/").status_code == 204
    assert me(access)["linked_providers"] == ["kakao"]
    assert APIClient().delete("/api/me/oauth/kakao/").status_code == 401


def test_a_member_with_a_password_may_unlink_their_only_provider(
    browser: Browser, fakes: Fakes, make_member: Callable[..., Any]
) -> None:
    kim = make_member(email="octocat@example.com", nickname="kim")
    Member.objects.filter(pk=kim.id).update(email_verified=True)
    exchange(browser.log_in("github")["oauth_code"])
    assert kim.client.get("/api/me/").json()["linked_providers"] == ["github"]
    assert kim.client.delete("/api/me/oauth/github/").status_code == 204
    assert kim.client.get("/api/me/").json()["linked_providers"] == []


def test_providers_are_configured_by_the_environment() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from django_project.config import from_environment
    from django_project.container import identity_providers

    assert from_environment({}).oauth_providers == []
    settings = from_environment(
        {
            "CHATBOT_GITHUB_CLIENT_ID": "gh-id",
            "CHATBOT_GITHUB_CLIENT_SECRET": "gh-secret",
            "CHATBOT_KAKAO_CLIENT_ID": "kakao-rest-api-key",
        }
    )
    assert settings.oauth_providers == ["github", "kakao"]
    assert settings.github_base_url == "https://github.com"
    assert settings.kakao_api_url == "https://kapi.kakao.com"
    made = identity_providers(settings)
    url = made["kakao"].authorization_url(
        state="s", code_verifier="v" * 43, redirect_uri="https://chat.example.com/cb/"
    )
    assert url.startswith("https://kauth.kakao.com/oauth/authorize?")
    with pytest.raises(ImproperlyConfigured, match="CHATBOT_GITHUB_CLIENT_SECRET"):
        from_environment({"CHATBOT_GITHUB_CLIENT_ID": "gh-id"})
