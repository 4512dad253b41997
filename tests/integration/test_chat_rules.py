"""Who may chat, over HTTP with real JWTs and real mail: sign-up's consents and age, a verified
email and consent to the texts in force before any chat request (started or followed up, plain or
streamed), with nothing reserved or stored when refused; consent after a provider login, and an
email given by a member whose provider gave none."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from adapters.orm.models import Chat, Consent, DailyUsage, Turn
from adapters.orm.models import Member as MemberRow
from application.rules import ChatRules
from django_project.config import from_environment
from domain.consent import PolicyVersions
from tests.integration.conftest import INTAKE, Configure, Member, sign_up, start_chat, verify_email
from tests.integration.test_oauth_api import Browser, Fakes, exchange, fakes_fixture  # noqa: F401
from tests.support.fake_github import fake_github_fixture  # noqa: F401
from tests.support.fake_kakao import KakaoAccount, fake_kakao_fixture  # noqa: F401
from tests.support.members import CONSENTS
from tests.support.smtp import Inbox

pytestmark = pytest.mark.django_db

STREAM = {"HTTP_ACCEPT": "text/event-stream"}


def chat_requests(member: Member, chat_id: int) -> list[Callable[[], Any]]:
    """Every request that asks the model: start a chat or follow up, plain or streamed."""
    client, follow_up = member.client, f"/api/chats/{chat_id}/messages/"
    return [
        lambda: client.post("/api/chats/", INTAKE, format="json"),
        lambda: client.post("/api/chats/", INTAKE, format="json", **STREAM),
        lambda: client.post(follow_up, {"content": "And then?"}, format="json"),
        lambda: client.post(follow_up, {"content": "And then?"}, format="json", **STREAM),
    ]


def stored() -> tuple[int, int, int]:
    """Chats, turns and requests taken, in the whole database."""
    used = sum(DailyUsage.objects.values_list("used", flat=True))
    return Chat.objects.count(), Turn.objects.count(), used


def profile(client: APIClient) -> dict[str, Any]:
    answer = client.get("/api/me/")
    assert answer.status_code == 200, answer.json()
    return dict(answer.json())


# ------------------------------------------------------------------ sign-up


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"accept_terms": False}, ["accept_terms"]),
        ({"over_14": False}, ["over_14"]),
        ({"accept_terms": False, "over_14": False}, ["accept_terms", "over_14"]),
        ({"accept_terms": None}, ["accept_terms"]),
        ({"accept_terms": "true"}, ["accept_terms"]),
        ({"over_14": 1}, ["over_14"]),
    ],
)
def test_a_sign_up_without_both_consents_is_refused_naming_the_field(
    anonymous: APIClient, configure: Configure, inbox: Inbox, given: dict[str, Any], named: Any
) -> None:
    answer = sign_up(anonymous, email="kim@example.com", **given)
    assert answer.status_code == 400
    assert (answer.json()["code"], sorted(answer.json()["errors"])) == ("invalid", named)
    assert not MemberRow.objects.exists()
    assert not inbox.to("kim@example.com")


@pytest.mark.parametrize("missing", ["accept_terms", "over_14"])
def test_a_sign_up_that_leaves_a_consent_out_is_refused_naming_it(
    anonymous: APIClient, configure: Configure, missing: str
) -> None:
    body = {"email": "kim@example.com", "password": "a long passphrase", "nickname": "kim"}
    body.update({k: v for k, v in CONSENTS.items() if k != missing})
    answer = anonymous.post("/api/auth/signup/", body, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == [missing]
    assert not MemberRow.objects.exists()


def seoul_year() -> int:
    """This year in the product's calendar (CHATBOT_TIME_ZONE, as `configure` pins it)."""
    return datetime.now(ZoneInfo("Asia/Seoul")).year


def test_a_birth_year_that_makes_the_person_under_14_is_refused_with_its_own_code(
    anonymous: APIClient, configure: Configure
) -> None:
    year = seoul_year()
    young = sign_up(anonymous, email="young@example.com", born_year=year - 13)
    assert young.status_code == 400
    assert (young.json()["code"], list(young.json()["errors"])) == ("under_14", ["born_year"])
    assert not MemberRow.objects.exists()
    # Someone who turns 14 this year may be 14 already: their own statement speaks for them.
    assert sign_up(anonymous, email="teen@example.com", born_year=year - 14).status_code == 201


def test_a_profile_cannot_take_a_birth_year_under_14(member: Member) -> None:
    answer = member.client.patch("/api/me/", {"born_year": seoul_year() - 10}, format="json")
    assert answer.status_code == 400
    assert (answer.json()["code"], list(answer.json()["errors"])) == ("under_14", ["born_year"])
    assert profile(member.client)["born_year"] is None


def test_a_sign_up_records_its_consents_with_the_versions_in_force(
    container: Any, make_member: Callable[..., Member], configure: Configure
) -> None:
    configure(rules=ChatRules(PolicyVersions(terms="2026-05", privacy="3")))
    member = make_member()
    seen = profile(member.client)
    assert [(c["what"], c["version"]) for c in seen["consents"]] == [
        ("terms", "2026-05"),
        ("privacy", "3"),
        ("over_14", "2026-05"),
    ]
    assert all(c["given_at"] for c in seen["consents"])
    assert seen["consent_required"] is False
    assert Consent.objects.filter(member_id=member.id).count() == 3


# ------------------------------------------------------------------ the rules on chat requests


def test_an_unverified_member_is_refused_every_chat_request_and_nothing_is_taken(
    make_member: Callable[..., Member], configure: Configure
) -> None:
    member = make_member(verified=False)
    # A chat made while the operator had the rule off; then it is on again.
    configure(rules=ChatRules(require_verified_email=False))
    chat_id = start_chat(member).json()["id"]
    configure()
    before = stored()
    for ask in chat_requests(member, chat_id):
        refused = ask()
        assert refused.status_code == 403, refused.content
        assert refused.json()["code"] == "email_unverified"
        assert "verify" in refused.json()["detail"].lower()
    assert stored() == before
    # Reading, the profile and asking for the link again stay open.
    assert member.client.get(f"/api/chats/{chat_id}/").status_code == 200
    assert member.client.get("/api/me/chats/").status_code == 200
    assert profile(member.client)["quota"]["used"] == 1
    assert member.client.post("/api/me/email/verification/").status_code == 202


def test_verifying_by_the_mailed_link_opens_chatting(
    make_member: Callable[..., Member], inbox: Inbox
) -> None:
    member = make_member(verified=False)
    assert start_chat(member).status_code == 403
    (mail,) = inbox.wait_for(member.email)
    assert verify_email(mail.token).status_code == 200
    answered = start_chat(member)
    assert answered.status_code == 201, answered.json()
    assert profile(member.client)["quota"]["used"] == 1


def test_without_the_email_rule_an_unverified_member_chats(
    make_member: Callable[..., Member], configure: Configure
) -> None:
    configure(rules=ChatRules(require_verified_email=False))
    member = make_member(verified=False)
    assert start_chat(member).status_code == 201


def test_the_email_rule_is_on_unless_the_environment_turns_it_off() -> None:
    base = {"CHATBOT_LLM_PROVIDER": "offline"}
    assert from_environment(base).require_verified_email is True
    assert (
        from_environment({**base, "CHATBOT_REQUIRE_VERIFIED_EMAIL": "0"}).require_verified_email
        is False
    )
    settings = from_environment({**base, "CHATBOT_TERMS_VERSION": "2026-05"})
    assert (settings.terms_version, settings.privacy_version) == ("2026-05", "1")


def test_a_new_terms_version_stops_chatting_until_the_member_agrees_again(
    member: Member, configure: Configure
) -> None:
    chat_id = start_chat(member).json()["id"]
    configure(rules=ChatRules(PolicyVersions(terms="2")))
    before = stored()
    for ask in chat_requests(member, chat_id):
        refused = ask()
        assert refused.status_code == 403, refused.content
        assert refused.json()["code"] == "consent_required"
    assert stored() == before
    assert profile(member.client)["consent_required"] is True

    agreed = member.client.post("/api/me/consent/", CONSENTS, format="json")
    assert agreed.status_code == 204, agreed.content
    seen = profile(member.client)
    assert seen["consent_required"] is False
    assert {(c["what"], c["version"]) for c in seen["consents"]} == {
        ("terms", "2"),
        ("privacy", "1"),
        ("over_14", "2"),
    }
    assert start_chat(member).status_code == 201


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"accept_terms": True, "over_14": False}, ["over_14"]),
        ({"accept_terms": False, "over_14": True}, ["accept_terms"]),
        ({"over_14": True}, ["accept_terms"]),
        ({"accept_terms": "yes", "over_14": True}, ["accept_terms"]),
    ],
)
def test_consent_needs_both_true(
    member: Member, configure: Configure, body: dict[str, Any], named: list[str]
) -> None:
    configure(rules=ChatRules(PolicyVersions(terms="2")))
    answer = member.client.post("/api/me/consent/", body, format="json")
    assert answer.status_code == 400
    assert (answer.json()["code"], sorted(answer.json()["errors"])) == ("invalid", named)
    assert profile(member.client)["consent_required"] is True


def test_consent_needs_a_login(anonymous: APIClient) -> None:
    assert anonymous.post("/api/me/consent/", CONSENTS, format="json").status_code == 401


# ------------------------------------------------------------------ provider logins


def provider_member(providers: Fakes, provider: str) -> APIClient:
    pair = exchange(Browser(providers).log_in(provider)["oauth_code"]).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    return client


@pytest.mark.parametrize("provider", ["github", "kakao"])
def test_a_member_made_by_a_provider_agrees_before_chatting(
    fakes: Fakes,
    provider: str,
) -> None:
    client = provider_member(fakes, provider)
    seen = profile(client)
    assert (seen["consents"], seen["consent_required"]) == ([], True)
    assert seen["email_verified"] is True  # the provider verified it
    before = stored()
    refused = client.post("/api/chats/", INTAKE, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "consent_required")
    assert stored() == before

    assert client.post("/api/me/consent/", CONSENTS, format="json").status_code == 204
    assert profile(client)["consent_required"] is False
    assert client.post("/api/chats/", INTAKE, format="json").status_code == 201


def test_a_member_whose_provider_gave_no_email_gives_one_and_verifies_it(
    fakes: Fakes,
    inbox: Inbox,
) -> None:
    fakes["kakao"].account = KakaoAccount(email=None)
    client = provider_member(fakes, "kakao")
    assert client.post("/api/me/consent/", CONSENTS, format="json").status_code == 204
    assert profile(client)["email"].endswith("@oauth.invalid")
    refused = client.post("/api/chats/", INTAKE, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "email_unverified")

    taken = sign_up(APIClient(), email="taken@example.com")
    assert taken.status_code == 201
    again = client.patch("/api/me/", {"email": "TAKEN@example.com"}, format="json")
    assert (again.status_code, list(again.json()["errors"])) == (400, ["email"])

    given = client.patch("/api/me/", {"email": "Ryan@Example.com"}, format="json")
    assert given.status_code == 200, given.json()
    assert (given.json()["email"], given.json()["email_verified"]) == ("ryan@example.com", False)
    (mail,) = inbox.wait_for("ryan@example.com")
    assert verify_email(mail.token).status_code == 200
    assert profile(client)["email_verified"] is True
    assert client.post("/api/chats/", INTAKE, format="json").status_code == 201

    # Now a real address: it is not changed here.
    moved = client.patch("/api/me/", {"email": "other@example.com"}, format="json")
    assert (moved.status_code, list(moved.json()["errors"])) == (400, ["email"])
    assert profile(client)["email"] == "ryan@example.com"


def test_a_member_with_a_real_email_cannot_change_it_here(member: Member) -> None:
    answer = member.client.patch("/api/me/", {"email": "new@example.com"}, format="json")
    assert (answer.status_code, list(answer.json()["errors"])) == (400, ["email"])
    assert profile(member.client)["email"] == member.email
