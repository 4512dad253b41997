"""Connecting GitHub or Kakao to a logged-in member, disconnecting it, and Kakao's unlink in both
directions, through the HTTP API against the loopback fakes (tests/support/fake_github.py,
fake_kakao.py). The test plays the member's browser: one Django test client keeps its cookies,
sends the member's token to start the link, follows the provider's consent and the callback."""

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient

from adapters.oauth.kakao import KakaoAppUnlinker
from adapters.orm.models import Member, SocialAccount, UsedOAuthState
from django_project.container import Container
from tests.integration.conftest import Member as SignedUp
from tests.integration.test_oauth_api import (
    Browser,
    Fakes,
    exchange,
    fakes_fixture,  # noqa: F401
    me,
    provider_account,
)
from tests.support.fake_github import fake_github_fixture  # noqa: F401
from tests.support.fake_kakao import (
    ADMIN_KEY,
    FakeKakao,
    KakaoAccount,
    fake_kakao_fixture,  # noqa: F401
)
from tests.support.members import PASSWORD
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db

UNLINK = "/v1/user/unlink"


def landing(location: str) -> tuple[str, dict[str, str]]:
    """`/#/settings?linked=github` -> ("/settings", {"linked": "github"})."""
    path, _, fragment = location.partition("#")
    assert path == "/", location
    route, _, query = fragment.partition("?")
    return route, {k: v[0] for k, v in parse_qs(query).items()}


class MemberBrowser:
    """A logged-in member's browser: their token for the API, a cookie jar for the callback."""

    def __init__(self, fakes: Fakes, member: SignedUp | None = None) -> None:
        self.client = Client()
        self.fakes = fakes
        self.member = member

    def start_link(self, provider: str) -> Any:
        assert self.member is not None
        return self.client.post(
            f"/api/me/oauth/{provider}/link/", HTTP_AUTHORIZATION=f"Bearer {self.member.access}"
        )

    def authorize_url(self, provider: str) -> str:
        started = self.start_link(provider)
        assert started.status_code == 200, started.content
        return str(started.json()["url"])

    def callback(self, back: str) -> tuple[str, dict[str, str]]:
        parts = urlsplit(back)
        answer = self.client.get(f"{parts.path}?{parts.query}")
        assert answer.status_code == 302, answer.content
        return landing(answer["Location"])

    def link(self, provider: str, *, approve: bool = True) -> tuple[str, dict[str, str]]:
        back = self.fakes[provider].consent(self.authorize_url(provider), approve=approve)
        return self.callback(back)


def linked_providers(member: SignedUp) -> list[str]:
    return list(member.client.get("/api/me/").json()["linked_providers"])


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_member_connects_a_provider_and_then_logs_in_with_it(
    fakes: Fakes, make_member: Callable[..., SignedUp], provider: str
) -> None:
    kim = make_member(email="kim@example.com", nickname="kim")
    # Another address at the provider, and the member's own is not verified: linking compares
    # no email, the member proved who they are on both sides.
    fakes[provider].account = provider_account(provider, "kim.work@example.com", "kim-p")
    assert MemberBrowser(fakes, kim).link(provider) == ("/settings", {"linked": provider})
    assert linked_providers(kim) == [provider]
    assert me(exchange(Browser(fakes).log_in(provider)["oauth_code"]).json()["access"])["id"] == (
        kim.id
    )
    assert Member.objects.count() == 1


def test_the_link_answer_carries_the_authorization_url_and_a_browser_bound_cookie(
    fakes: Fakes, member: SignedUp
) -> None:
    browser = MemberBrowser(fakes, member)
    started = browser.start_link("github")
    assert started.status_code == 200
    assert started["Cache-Control"] == "no-store"
    url = started.json()["url"]
    sent = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(fakes["github"].base_url + "/login/oauth/authorize?")
    # The login's callback: nothing more to register at the provider.
    assert sent["redirect_uri"] == "http://testserver/api/auth/oauth/github/callback/"
    assert sent["code_challenge_method"] == "S256"
    cookie = browser.client.cookies["chatbot_link_github"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/api/auth/oauth/"
    assert cookie["max-age"] == 600
    assert not cookie["secure"]


def test_from_another_site_over_https_the_cookie_is_samesite_none_and_secure(
    fakes: Fakes, member: SignedUp
) -> None:
    # A browser keeps a cookie from a cross-site fetch's answer only with SameSite=None; Secure.
    client = Client()
    started = client.post(
        "/api/me/oauth/kakao/link/",
        HTTP_AUTHORIZATION=f"Bearer {member.access}",
        HTTP_ORIGIN="https://kim.github.io",
        secure=True,
    )
    assert started.status_code == 200, started.content
    cookie = client.cookies["chatbot_link_kakao"]
    assert cookie["samesite"] == "None"
    assert cookie["secure"]
    # From its own origin, over HTTPS: Lax, and Secure.
    own = Client()
    own.post(
        "/api/me/oauth/kakao/link/",
        HTTP_AUTHORIZATION=f"Bearer {member.access}",
        HTTP_ORIGIN="https://testserver",
        secure=True,
    )
    assert own.cookies["chatbot_link_kakao"]["samesite"] == "Lax"
    assert own.cookies["chatbot_link_kakao"]["secure"]


def test_a_link_completes_only_for_the_member_and_the_browser_that_started_it(
    fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    lee = make_member(nickname="lee")
    kims_browser = MemberBrowser(fakes, kim)
    # Kim starts a link and the provider's approval of it ends up elsewhere (an attacker
    # sends the link, or its callback, to someone else: login CSRF).
    back = fakes["github"].consent(kims_browser.authorize_url("github"))

    # Lee's browser, with a link of Lee's own pending: refused on the settings page.
    lees_browser = MemberBrowser(fakes, lee)
    lees_browser.authorize_url("github")
    assert lees_browser.callback(back) == ("/settings", {"oauth_error": "oauth_state_invalid"})
    # A browser with nothing pending (logged out, or never started anything): refused, as a
    # login callback without its cookie is.
    assert MemberBrowser(fakes).callback(back) == ("/login", {"oauth_error": "oauth_state_invalid"})
    assert SocialAccount.objects.count() == 0
    assert Member.objects.count() == 2
    assert len(fakes["github"].requests_to("/login/oauth/access_token")) == 0

    # The state was not spent by the refusals: Kim's own browser completes the link.
    assert kims_browser.callback(back) == ("/settings", {"linked": "github"})
    assert linked_providers(kim) == ["github"]
    assert linked_providers(lee) == []


def test_a_link_cookie_naming_another_member_is_refused(
    fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    lee = make_member(nickname="lee")
    browser = MemberBrowser(fakes, kim)
    back = fakes["github"].consent(browser.authorize_url("github"))
    signed = browser.client.cookies["chatbot_link_github"].value
    # The cookie is signed: naming Lee in it breaks the signature.
    browser.client.cookies["chatbot_link_github"] = signed.replace(
        f'"member": {kim.id}', f'"member": {lee.id}'
    )
    assert f'"member": {kim.id}' in signed
    # A cookie that is not ours counts as none.
    assert browser.callback(back) == ("/login", {"oauth_error": "oauth_state_invalid"})
    assert SocialAccount.objects.count() == 0


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_replayed_link_state_is_refused_before_the_provider_sees_the_code(
    fakes: Fakes, make_member: Callable[..., SignedUp], provider: str
) -> None:
    kim = make_member(nickname="kim")
    browser = MemberBrowser(fakes, kim)
    authorize = browser.authorize_url(provider)
    saved = browser.client.cookies[f"chatbot_link_{provider}"].value
    back = fakes[provider].consent(authorize)
    assert browser.callback(back) == ("/settings", {"linked": provider})
    # The cookie is gone from the browser...
    assert browser.client.cookies[f"chatbot_link_{provider}"].value == ""
    assert browser.callback(back) == ("/login", {"oauth_error": "oauth_state_invalid"})
    # ...and a saved copy of it replays the callback: the server remembers the state.
    replayed = MemberBrowser(fakes, kim)
    replayed.client.cookies[f"chatbot_link_{provider}"] = saved
    assert replayed.callback(back) == ("/settings", {"oauth_error": "oauth_state_invalid"})
    assert len(fakes[provider].requests_to(fakes[provider].token_path)) == 1
    assert UsedOAuthState.objects.count() == 1


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_an_account_connected_to_another_member_is_refused(
    fakes: Fakes, make_member: Callable[..., SignedUp], provider: str
) -> None:
    # Lee's member was made by this provider account.
    fakes[provider].account = provider_account(provider, "lee@example.com", "lee")
    lee = me(exchange(Browser(fakes).log_in(provider)["oauth_code"]).json()["access"])
    kim = make_member(nickname="kim")
    landed = MemberBrowser(fakes, kim).link(provider)
    assert landed == ("/settings", {"oauth_error": "oauth_account_taken"})
    assert list(SocialAccount.objects.values_list("member_id", "provider")) == [
        (lee["id"], provider)
    ]
    assert linked_providers(kim) == []


def test_connecting_the_same_account_again_is_harmless_and_another_one_is_refused(
    fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    browser = MemberBrowser(fakes, kim)
    assert browser.link("kakao") == ("/settings", {"linked": "kakao"})
    assert browser.link("kakao") == ("/settings", {"linked": "kakao"})
    assert SocialAccount.objects.count() == 1
    fakes["kakao"].account = KakaoAccount(id=2718281828, nickname="other", email=None)
    landed = browser.link("kakao")
    assert landed == ("/settings", {"oauth_error": "oauth_provider_already_linked"})
    assert list(SocialAccount.objects.values_list("account_id", flat=True)) == ["3141592653"]


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_denied_or_failed_link_comes_back_to_the_settings_page(
    fakes: Fakes, member: SignedUp, provider: str
) -> None:
    browser = MemberBrowser(fakes, member)
    denied = browser.link(provider, approve=False)
    assert denied == ("/settings", {"oauth_error": "oauth_denied"})
    fakes[provider].failures["token"] = 500
    assert browser.link(provider) == ("/settings", {"oauth_error": "oauth_provider_error"})
    assert SocialAccount.objects.count() == 0


def test_a_member_who_left_meanwhile_links_nothing(
    fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    browser = MemberBrowser(fakes, kim)
    back = fakes["github"].consent(browser.authorize_url("github"))
    assert kim.client.delete("/api/me/", {"password": PASSWORD}, format="json")
    assert browser.callback(back) == ("/settings", {"oauth_error": "oauth_state_invalid"})
    assert SocialAccount.objects.count() == 0


@pytest.mark.parametrize("provider", ["facebook", "github"])
def test_linking_an_unknown_or_unconfigured_provider_is_not_found(
    container: Container, make_member: Callable[..., SignedUp], provider: str
) -> None:
    container.identity_providers.override({"kakao": object()})
    kim = make_member()
    answer = kim.client.post(f"/api/me/oauth/{provider}/link/")
    assert answer.status_code == 404
    assert answer.json()["code"] == "oauth_provider_not_found"
    assert "chatbot_link_" + provider not in answer.cookies


def test_linking_needs_a_login(fakes: Fakes) -> None:
    answer = APIClient().post("/api/me/oauth/github/link/")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert not answer.cookies


# ------------------------------------------------------------------ Kakao's unlink, both ways


@pytest.fixture
def kakao_admin(container: Container, fakes: Fakes) -> FakeKakao:
    """Kakao login and its admin key configured, the admin calls going to the fake."""
    kakao = fakes["kakao"]
    assert isinstance(kakao, FakeKakao)
    container.provider_unlinkers.override(
        {"kakao": KakaoAppUnlinker(admin_key=ADMIN_KEY, api_url=kakao.base_url, timeout_s=5)}
    )
    container.kakao_admin_key.override(ADMIN_KEY)
    return kakao


def kakao_member(fakes: Fakes, email: str = "ryan@example.com") -> tuple[dict[str, Any], APIClient]:
    fakes["kakao"].account = KakaoAccount(email=email)
    access = exchange(Browser(fakes).log_in("kakao")["oauth_code"]).json()["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return me(access), client


def unlink_calls(kakao: FakeKakao) -> list[dict[str, str]]:
    calls = []
    for request in kakao.requests_to(UNLINK):
        body = {k: v[0] for k, v in parse_qs(request.raw_body.decode()).items()}
        calls.append({"authorization": request.headers.get("authorization", ""), **body})
    return calls


EXPECTED_CALL = {
    "authorization": f"KakaoAK {ADMIN_KEY}",
    "target_id_type": "user_id",
    "target_id": "3141592653",
}


def test_disconnecting_kakao_unlinks_the_app_at_kakao(
    kakao_admin: FakeKakao, fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    MemberBrowser(fakes, kim).link("kakao")
    assert kim.client.delete("/api/me/oauth/kakao/").status_code == 204
    assert unlink_calls(kakao_admin) == [EXPECTED_CALL]
    assert linked_providers(kim) == []


def test_disconnecting_github_asks_kakao_nothing(
    kakao_admin: FakeKakao, fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    MemberBrowser(fakes, kim).link("github")
    assert kim.client.delete("/api/me/oauth/github/").status_code == 204
    assert unlink_calls(kakao_admin) == []


def test_leaving_unlinks_the_app_at_kakao(kakao_admin: FakeKakao, fakes: Fakes) -> None:
    made, client = kakao_member(fakes)
    left = client.delete("/api/me/", {"confirm": made["nickname"]}, format="json")
    assert left.status_code == 204, left.content
    assert unlink_calls(kakao_admin) == [EXPECTED_CALL]
    assert Member.objects.count() == 0


def test_without_an_admin_key_kakao_is_not_called(fakes: Fakes) -> None:
    made, client = kakao_member(fakes)
    assert (
        client.delete("/api/me/", {"confirm": made["nickname"]}, format="json").status_code == 204
    )
    assert fakes["kakao"].requests_to(UNLINK) == []


@pytest.mark.parametrize("failure", [500, "wrong key", "unreachable"])
def test_a_kakao_that_fails_does_not_keep_anyone_linked_and_the_log_holds_no_key(
    kakao_admin: FakeKakao,
    container: Container,
    fakes: Fakes,
    make_member: Callable[..., SignedUp],
    caplog: pytest.LogCaptureFixture,
    failure: Any,
) -> None:
    if failure == 500:
        kakao_admin.failures["unlink"] = 500
    elif failure == "wrong key":
        kakao_admin.admin_key = "another-key"
    else:
        nobody = KakaoAppUnlinker(admin_key=ADMIN_KEY, api_url="http://127.0.0.1:9", timeout_s=2)
        container.provider_unlinkers.override({"kakao": nobody})
    kim = make_member(nickname="kim")
    MemberBrowser(fakes, kim).link("kakao")
    with caplog.at_level(logging.WARNING):
        assert kim.client.delete("/api/me/oauth/kakao/").status_code == 204
        assert linked_providers(kim) == []
        # Leaving too.
        MemberBrowser(fakes, kim).link("kakao")
        left = kim.client.delete("/api/me/", {"password": PASSWORD}, format="json")
        assert left.status_code == 204, left.content
    assert Member.objects.count() == 0
    assert SocialAccount.objects.count() == 0
    warned = [
        r for r in caplog.records if r.getMessage() == "unlinked here but not at the provider"
    ]
    assert len(warned) == 2
    assert {r.account_id for r in warned} == {"3141592653"}  # type: ignore[attr-defined]
    assert ADMIN_KEY not in caplog.text


# ------------------------------------------------------------------ Kakao's unlink callback

CALLBACK = "/api/auth/oauth/kakao/unlinked/"
KAKAO_SAYS = {"app_id": "1234567", "user_id": "3141592653", "referrer_type": "UNLINK_FROM_APPS"}


def kakao_calls(
    body: dict[str, str] | None = None, *, query: str = "", authorization: str | None = None
) -> Any:
    """A POST as Kakao sends it: a form body (or the query), the admin key in Authorization."""
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client().post(
        f"{CALLBACK}{query}",
        urlencode(body or {}),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


KAKAO_KEY = f"KakaoAK {ADMIN_KEY}"


@pytest.mark.parametrize("where", ["form", "query"])
def test_kakaos_unlink_callback_unlinks_the_account_here(
    kakao_admin: FakeKakao, fakes: Fakes, make_member: Callable[..., SignedUp], where: str
) -> None:
    kim = make_member(nickname="kim")
    MemberBrowser(fakes, kim).link("kakao")
    MemberBrowser(fakes, kim).link("github")
    if where == "form":
        answer = kakao_calls(KAKAO_SAYS, authorization=KAKAO_KEY)
    else:
        answer = kakao_calls(query=f"?{urlencode(KAKAO_SAYS)}", authorization=KAKAO_KEY)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"unlinked": True}
    assert linked_providers(kim) == ["github"]
    # Kakao knows already: it is not told again.
    assert kakao_admin.requests_to(UNLINK) == []
    # An account linked to nobody (told twice, or never linked): 200 all the same.
    again = kakao_calls(KAKAO_SAYS, authorization=KAKAO_KEY)
    assert again.status_code == 200
    assert again.json() == {"unlinked": False}


def test_a_member_whose_only_login_kakao_unlinked_stays(
    kakao_admin: FakeKakao, fakes: Fakes
) -> None:
    made, client = kakao_member(fakes)
    assert kakao_calls(KAKAO_SAYS, authorization=KAKAO_KEY).status_code == 200
    # The member and their chats stay; the session they have goes on until it ends.
    assert client.get("/api/me/").json()["linked_providers"] == []
    assert Member.objects.filter(pk=made["id"]).exists()
    # Logging in with Kakao again makes nobody new: the verified address finds them.
    again = me(exchange(Browser(fakes).log_in("kakao")["oauth_code"]).json()["access"])
    assert again["id"] == made["id"]


def test_after_kakaos_unlink_a_member_with_a_real_email_can_set_a_password(
    kakao_admin: FakeKakao, fakes: Fakes, inbox: Inbox
) -> None:
    made, _ = kakao_member(fakes)
    assert kakao_calls(KAKAO_SAYS, authorization=KAKAO_KEY).status_code == 200
    asked = APIClient().post(
        "/api/auth/password/reset/", {"email": "ryan@example.com"}, format="json"
    )
    assert asked.status_code == 202
    (mail,) = inbox.wait_for("ryan@example.com")
    reset = APIClient().post(
        "/api/auth/password/reset/confirm/",
        {"token": mail.token, "password": "a new passphrase of ryan's"},
        format="json",
    )
    assert reset.status_code == 204, reset.content
    logged_in = APIClient().post(
        "/api/auth/login/",
        {"email": "ryan@example.com", "password": "a new passphrase of ryan's"},
        format="json",
    )
    assert logged_in.status_code == 200
    assert me(logged_in.json()["access"])["id"] == made["id"]


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 401, "not_authenticated"),
        ("", 401, "not_authenticated"),
        (f"Bearer {ADMIN_KEY}", 401, "not_authenticated"),
        (f"KakaoAK{ADMIN_KEY}", 401, "not_authenticated"),
        ("KakaoAK ", 401, "not_authenticated"),
        ("KakaoAK another-key", 403, "permission_denied"),
        (f"KakaoAK {ADMIN_KEY}x", 403, "permission_denied"),
        (f"KakaoAK {ADMIN_KEY[:-1]}", 403, "permission_denied"),
        (f"kakaoak {ADMIN_KEY}", 401, "not_authenticated"),
    ],
)
def test_kakaos_unlink_callback_needs_the_admin_key(
    kakao_admin: FakeKakao,
    fakes: Fakes,
    make_member: Callable[..., SignedUp],
    authorization: str | None,
    status: int,
    code: str,
) -> None:
    kim = make_member(nickname="kim")
    MemberBrowser(fakes, kim).link("kakao")
    answer = kakao_calls(KAKAO_SAYS, authorization=authorization)
    assert answer.status_code == status, answer.content
    assert answer.json()["code"] == code
    if status == 401:
        assert answer["WWW-Authenticate"].startswith("KakaoAK")
    assert linked_providers(kim) == ["kakao"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user_id": ""},
        {"user_id": "ryan"},
        {"user_id": "-3141592653"},
        {"user_id": "3" * 21},
        {"app_id": "1234567", "referrer_type": "UNLINK_FROM_APPS"},
    ],
)
def test_kakaos_unlink_callback_without_a_user_id_is_a_clear_400(
    kakao_admin: FakeKakao, body: dict[str, str]
) -> None:
    answer = kakao_calls(body, authorization=KAKAO_KEY)
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid"
    assert "user_id" in answer.json()["errors"]


def test_kakaos_unlink_callback_is_not_found_without_an_admin_key(
    fakes: Fakes, make_member: Callable[..., SignedUp]
) -> None:
    kim = make_member(nickname="kim")
    MemberBrowser(fakes, kim).link("kakao")
    answer = kakao_calls(KAKAO_SAYS, authorization=KAKAO_KEY)
    assert answer.status_code == 404
    assert answer.json()["code"] == "oauth_provider_not_found"
    assert linked_providers(kim) == ["kakao"]


def test_the_admin_key_is_configured_by_the_environment() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from django_project.config import from_environment
    from django_project.container import kakao_admin_key, provider_unlinkers

    kakao = {"CHATBOT_KAKAO_CLIENT_ID": "rest-api-key"}
    assert provider_unlinkers(from_environment(kakao)) == {}
    assert kakao_admin_key(from_environment(kakao)) is None
    configured = from_environment({**kakao, "CHATBOT_KAKAO_ADMIN_KEY": "the-admin-key"})
    assert "the-admin-key" not in repr(configured)
    assert isinstance(provider_unlinkers(configured)["kakao"], KakaoAppUnlinker)
    assert kakao_admin_key(configured) == "the-admin-key"
    with pytest.raises(ImproperlyConfigured, match="CHATBOT_KAKAO_CLIENT_ID"):
        from_environment({"CHATBOT_KAKAO_ADMIN_KEY": "the-admin-key"})
