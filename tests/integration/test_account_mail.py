"""Verification and password-reset mails, end to end: each request goes through the HTTP API,
each mail through a real SMTP server on loopback, and each link's token back through the API."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from adapters.mail.django_mail import DjangoMailer
from adapters.orm.models import AccountToken
from adapters.orm.models import Member as MemberRow
from django_project.container import Container
from tests.integration.conftest import Member, log_in, sign_up
from tests.support.members import CONSENTS, PASSWORD
from tests.support.smtp import Inbox, free_port

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase"
KOREAN = {"HTTP_ACCEPT_LANGUAGE": "ko-KR,ko;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def verify(token: str) -> Any:
    return APIClient().post("/api/auth/email/verify/", {"token": token}, format="json")


def ask_reset(email: str, client: APIClient | None = None) -> Any:
    return (client or APIClient()).post(
        "/api/auth/password/reset/", {"email": email}, format="json", **ENGLISH
    )


def confirm_reset(token: str, password: str = NEW_PASSWORD) -> Any:
    return APIClient().post(
        "/api/auth/password/reset/confirm/", {"token": token, "password": password}, format="json"
    )


def profile(member: Member) -> dict[str, Any]:
    response = member.client.get("/api/me/")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def limit(monkeypatch: pytest.MonkeyPatch, scope: str, rate: str) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, scope: rate}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


@pytest.mark.parametrize(
    ("headers", "subject", "greeting"),
    [
        (KOREAN, "이메일 주소를 확인해 주세요", "님, 안녕하세요."),
        (ENGLISH, "Confirm your email address", "Hello "),
    ],
    ids=["ko", "en"],
)
def test_sign_up_mails_a_verification_link_in_the_members_language(
    inbox: Inbox, configure: Any, headers: dict[str, str], subject: str, greeting: str
) -> None:
    signed = APIClient().post(
        "/api/auth/signup/",
        {"email": "Mina@Example.com", "password": PASSWORD, "nickname": "mina", **CONSENTS},
        format="json",
        **headers,
    )
    assert signed.status_code == 201, signed.json()

    (mail,) = inbox.wait_for("mina@example.com")
    assert mail.subject == subject
    assert greeting in mail.part("plain")
    assert greeting in mail.part("html")
    assert mail.message["Content-Language"] == headers["HTTP_ACCEPT_LANGUAGE"][:2]
    # The web app beside the API (CHATBOT_FRONTEND_URL "/"), at the origin the API was asked at.
    assert mail.link == f"http://testserver/#/verify-email?token={mail.token}"
    assert f'href="{mail.link}"' in mail.part("html")
    assert len(mail.token) >= 40


def test_a_verification_link_verifies_the_email_once(
    inbox: Inbox, make_member: Callable[..., Member]
) -> None:
    member = make_member(verified=False)
    assert profile(member)["email_verified"] is False
    assert profile(member)["has_password"] is True
    (mail,) = inbox.wait_for(member.email)

    first = verify(mail.token)
    again = verify(mail.token)

    assert (first.status_code, first.json()) == (200, {"email_verified": True})
    assert profile(member)["email_verified"] is True
    assert again.status_code == 400
    assert again.json()["code"] == "token_invalid"


def test_an_expired_verification_link_is_refused(
    inbox: Inbox, make_member: Callable[..., Member]
) -> None:
    member = make_member(verified=False)
    (mail,) = inbox.wait_for(member.email)
    AccountToken.objects.filter(member_id=member.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = verify(mail.token)

    assert (response.status_code, response.json()["code"]) == (400, "token_invalid")
    assert profile(member)["email_verified"] is False


@pytest.mark.parametrize("token", ["made-up", "x" * 43, "", "🙂" * 10])
def test_a_forged_token_is_refused(
    inbox: Inbox, make_member: Callable[..., Member], token: str
) -> None:
    member = make_member(verified=False)
    inbox.wait_for(member.email)

    response = verify(token)

    assert response.status_code == 400
    assert response.json()["code"] in {"token_invalid", "invalid"}
    assert response.json()["code"] == ("invalid" if not token else "token_invalid")
    assert profile(member)["email_verified"] is False


def test_a_reset_token_does_not_verify_an_email(
    inbox: Inbox, make_member: Callable[..., Member]
) -> None:
    member = make_member(verified=False)
    assert ask_reset(member.email).status_code == 202
    (_, reset) = inbox.wait_for(member.email, count=2)

    response = verify(reset.token)

    assert (response.status_code, response.json()["code"]) == (400, "token_invalid")


def test_the_verification_mail_is_sent_again_on_request_until_throttled(
    inbox: Inbox, make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    limit(monkeypatch, "verification", "2/hour")
    member = make_member(verified=False)

    answers = [
        member.client.post("/api/me/email/verification/", **KOREAN).status_code for _ in range(3)
    ]

    assert answers == [202, 202, 429]
    first, *again = inbox.wait_for(member.email, count=3)
    assert [mail.subject for mail in again] == ["이메일 주소를 확인해 주세요"] * 2
    assert len({first.token, *(mail.token for mail in again)}) == 3
    assert verify(again[-1].token).status_code == 200
    assert profile(member)["email_verified"] is True


def test_a_reset_answers_the_same_for_unknown_addresses_and_mails_only_members(
    inbox: Inbox, make_member: Callable[..., Member]
) -> None:
    member = make_member(verified=False)
    inbox.wait_for(member.email)

    unknown = ask_reset("nobody@example.com")
    known = ask_reset(member.email.upper())

    assert (unknown.status_code, known.status_code) == (202, 202)
    assert unknown.content == known.content
    assert dict(unknown.headers).keys() == dict(known.headers).keys()
    (_, mail) = inbox.wait_for(member.email, count=2)
    assert mail.subject == "Reset your password"
    assert mail.link == f"http://testserver/#/reset-password?token={mail.token}"
    # One thread delivers mails in order: had the unknown address been mailed, it would be here.
    assert inbox.to("nobody@example.com") == []


def test_a_reset_link_sets_the_password_ends_every_session_and_verifies_the_email(
    inbox: Inbox, make_member: Callable[..., Member]
) -> None:
    member = make_member(verified=False)
    other_device = log_in(APIClient(), member.email).json()["refresh"]
    assert ask_reset(member.email).status_code == 202
    (_, mail) = inbox.wait_for(member.email, count=2)

    response = confirm_reset(mail.token)

    assert response.status_code == 204, response.content
    assert log_in(APIClient(), member.email).status_code == 401
    assert log_in(APIClient(), member.email, NEW_PASSWORD).status_code == 200
    for refresh in (member.refresh, other_device):
        old = APIClient().post("/api/auth/refresh/", {"refresh": refresh}, format="json")
        assert old.status_code == 401, old.json()
    assert MemberRow.objects.get(pk=member.id).email_verified is True
    again = confirm_reset(mail.token, "yet another passphrase")
    assert (again.status_code, again.json()["code"]) == (400, "token_invalid")
    assert log_in(APIClient(), member.email, NEW_PASSWORD).status_code == 200


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    inbox: Inbox, make_member: Callable[..., Member]
) -> None:
    member = make_member(verified=False)
    assert ask_reset(member.email).status_code == 202
    (_, mail) = inbox.wait_for(member.email, count=2)

    weak = confirm_reset(mail.token, "12345")

    assert weak.status_code == 400
    assert set(weak.json()["errors"]) == {"password"}
    assert log_in(APIClient(), member.email).status_code == 200
    assert confirm_reset(mail.token).status_code == 204


def test_an_expired_reset_link_is_refused(inbox: Inbox, make_member: Callable[..., Member]) -> None:
    member = make_member(verified=False)
    assert ask_reset(member.email).status_code == 202
    (_, mail) = inbox.wait_for(member.email, count=2)
    AccountToken.objects.filter(member_id=member.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = confirm_reset(mail.token)

    assert (response.status_code, response.json()["code"]) == (400, "token_invalid")
    assert log_in(APIClient(), member.email).status_code == 200


def test_resets_are_throttled_by_address_and_by_email(
    inbox: Inbox, make_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    limit(monkeypatch, "password_reset", "2/hour")
    member = make_member(verified=False)

    by_email = [
        ask_reset(member.email, APIClient(REMOTE_ADDR=f"10.0.0.{n}")).status_code for n in range(3)
    ]
    one_client = APIClient(REMOTE_ADDR="10.0.1.1")
    by_address = [ask_reset(f"x{n}@example.com", one_client).status_code for n in range(3)]

    assert by_email == [202, 202, 429]
    assert by_address == [202, 202, 429]


def test_a_mail_server_that_is_down_loses_no_sign_up(
    settings: Any,
    configure: Any,
    container: Container,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    mailer = DjangoMailer(attempts=2, backoff_s=0.01)
    container.mailer.override(mailer)

    with caplog.at_level(logging.ERROR, logger="adapters.mail"):
        signed = sign_up(APIClient(), email="lost@example.com")
        mailer.flush()

    assert signed.status_code == 201, signed.json()
    assert MemberRow.objects.filter(email="lost@example.com").exists()
    assert log_in(APIClient(), "lost@example.com").status_code == 200
    (record,) = [r for r in caplog.records if r.name.startswith("adapters.mail")]
    assert "mail not sent: verify_email" in record.getMessage()
    (token,) = AccountToken.objects.filter(member__email="lost@example.com")
    assert "token=" not in caplog.text
    assert token.token_hash not in caplog.text
