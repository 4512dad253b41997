"""Mailed links as the use cases make and accept them: lifetimes to the second, one use, no
mail for an address no member has, and a weak password that spends no link."""

from datetime import timedelta

import pytest

from application.account_links import MailRequest, ResetPasswordInput, SignUpInput
from application.errors import TokenInvalid, ValidationFailed
from application.members import RegisterMemberInput
from application.ports import TokenPurpose
from tests.unit.fakes import Harness, harness

SECOND = timedelta(seconds=1)
KOREAN = MailRequest(language="ko", origin="http://127.0.0.1:8000/")


def token_of(h: Harness) -> str:
    return h.mailer.sent[-1].link.split("?token=", 1)[1]


def signed_up(h: Harness) -> str:
    h.sign_up(
        SignUpInput(
            RegisterMemberInput(
                "mina@example.com", "long enough pw", "mina", accept_terms=True, over_14=True
            ),
            KOREAN,
        )
    )
    return token_of(h)


def test_sign_up_mails_one_verification_link_at_the_apps_address_in_the_members_language() -> None:
    h = harness()

    token = signed_up(h)

    (mail,) = h.mailer.sent
    assert (mail.kind, mail.to, mail.language) == (
        TokenPurpose.VERIFY_EMAIL,
        "mina@example.com",
        "ko",
    )
    assert mail.link == f"http://127.0.0.1:8000/#/verify-email?token={token}"
    assert token not in str(h.uow.account_tokens.tokens)  # stored by hash only


def test_a_language_other_than_korean_gets_english() -> None:
    h = harness()
    member = h.members.new(email_verified=False)

    h.send_verification_mail(member.id, MailRequest(language="fr", origin="http://x/"))

    assert h.mailer.sent[-1].language == "en"


@pytest.mark.parametrize(
    ("after", "works"), [(timedelta(hours=48) - SECOND, True), (timedelta(hours=48), False)]
)
def test_a_verification_link_works_for_48_hours(after: timedelta, works: bool) -> None:
    h = harness()
    token = signed_up(h)
    h.clock.advance(after)

    if works:
        h.verify_email(token)
    else:
        with pytest.raises(TokenInvalid):
            h.verify_email(token)

    assert h.members.all()[0].email_verified is works


def test_a_verification_link_works_once_and_a_verified_member_gets_no_more_mail() -> None:
    h = harness()
    token = signed_up(h)
    h.verify_email(token)

    with pytest.raises(TokenInvalid):
        h.verify_email(token)
    h.send_verification_mail(h.members.all()[0].id, KOREAN)
    assert len(h.mailer.sent) == 1


def test_an_unknown_address_gets_no_mail_and_stores_nothing() -> None:
    h = harness()

    h.request_password_reset("nobody@example.com", KOREAN)

    assert h.mailer.sent == []
    assert h.uow.account_tokens.tokens == {}


@pytest.mark.parametrize(
    ("after", "works"), [(timedelta(hours=1) - SECOND, True), (timedelta(hours=1), False)]
)
def test_a_reset_link_works_for_an_hour(after: timedelta, works: bool) -> None:
    h = harness()
    member = h.members.new(email_verified=False)
    h.request_password_reset("MINA@example.com", KOREAN)
    h.clock.advance(after)

    if works:
        h.reset_password(ResetPasswordInput(token_of(h), "a new long password"))
    else:
        with pytest.raises(TokenInvalid):
            h.reset_password(ResetPasswordInput(token_of(h), "a new long password"))

    assert (h.members.password_of(member.id) == "hashed:a new long password") is works
    assert h.members._state.get("revoked", {}) == ({member.id: 1} if works else {})
    assert h.members.get(member.id).email_verified is works


def test_a_weak_password_spends_no_reset_link_and_a_used_link_spends_the_others() -> None:
    h = harness()
    member = h.members.new(email_verified=False)
    h.request_password_reset(member.email, KOREAN)
    older = token_of(h)
    h.request_password_reset(member.email, KOREAN)

    with pytest.raises(ValidationFailed) as weak:
        h.reset_password(ResetPasswordInput(token_of(h), "short"))
    assert set(weak.value.errors) == {"password"}
    h.reset_password(ResetPasswordInput(token_of(h), "a new long password"))

    with pytest.raises(TokenInvalid):
        h.reset_password(ResetPasswordInput(older, "another long password"))
    assert h.passwords.hashed_in_transaction[-1] is False


def test_a_verification_token_resets_no_password() -> None:
    h = harness()
    token = signed_up(h)

    with pytest.raises(TokenInvalid):
        h.reset_password(ResetPasswordInput(token, "a new long password"))
