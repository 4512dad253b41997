"""Who may chat: a verified email (unless turned off) and consent to the texts in force, checked
before anything is reserved or stored; how consent is given and an email given later."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from application.account_links import MailRequest
from application.errors import ConsentRequired, EmailUnverified, UnderAge, ValidationFailed
from application.members import GiveConsent, GiveConsentInput, UpdateProfileInput
from application.ports import TokenPurpose
from application.rules import ChatRules
from application.send_message import SendMessageInput
from application.start_chat_session import StartChatSessionInput
from domain.consent import Consent, PolicyVersions
from domain.ids import ChatId, MemberId
from tests.unit.fakes import Harness, harness

REQUEST = MailRequest(language="en", origin="http://127.0.0.1:8000/")


def intake(member_id: MemberId) -> StartChatSessionInput:
    return StartChatSessionInput(member_id, current_state="Now.", goal="Later.")


def asking(app: Harness, chat_id: ChatId, member_id: MemberId) -> list[Callable[[], Any]]:
    """Every way to ask the model: start or follow up, plain or admitted for a stream."""
    follow_up = SendMessageInput(chat_id, member_id, "And then?")
    return [
        lambda: app.start(intake(member_id)),
        lambda: app.start.admit(intake(member_id), stream=True),
        lambda: app.send(follow_up),
        lambda: app.send.admit(follow_up, stream=True),
    ]


def a_chat_of(app: Harness, member_id: MemberId) -> ChatId:
    """A chat the member started while they could, then the rules tighten (see each test)."""
    chat_id = app.start(intake(member_id)).id
    assert chat_id is not None
    return chat_id


@pytest.mark.parametrize("way", range(4))
def test_an_unverified_member_may_not_chat_and_nothing_is_reserved_or_stored(way: int) -> None:
    app = harness()
    mina = app.members.new()
    chat_id = a_chat_of(app, mina.id)
    app.members.put(replace(app.members.get(mina.id), email_verified=False))
    before_turns, before_used = len(app.chats.all_turns()), app.used_today(mina.id)
    with pytest.raises(EmailUnverified) as error:
        asking(app, chat_id, mina.id)[way]()
    assert error.value.code == "email_unverified"
    assert (len(app.chats.all_turns()), app.used_today(mina.id)) == (before_turns, before_used)
    assert app.chats.ids() == [chat_id]


@pytest.mark.parametrize("way", range(4))
def test_a_member_without_consent_may_not_chat_and_nothing_is_reserved(way: int) -> None:
    app = harness()
    mina = app.members.new()
    chat_id = a_chat_of(app, mina.id)
    app.members.put(replace(app.members.get(mina.id), agreed=()))
    with pytest.raises(ConsentRequired) as error:
        asking(app, chat_id, mina.id)[way]()
    assert error.value.code == "consent_required"
    assert app.used_today(mina.id) == 1  # the first chat's request only
    assert len(app.chats.all_turns()) == 1


def test_consent_is_checked_before_the_email() -> None:
    app = harness()
    kim = app.members.new("kim", email_verified=False, agreed=())
    with pytest.raises(ConsentRequired):
        app.start(intake(kim.id))


def test_without_the_email_rule_an_unverified_member_who_consented_may_chat() -> None:
    app = harness()
    app.settings.rules = ChatRules(require_verified_email=False)
    mina = app.members.new(email_verified=False)
    assert app.start(intake(mina.id)).turns[0].answer
    kim = app.members.new("kim", email_verified=False, agreed=())
    with pytest.raises(ConsentRequired):
        app.start(intake(kim.id))


def test_a_new_terms_version_asks_everyone_to_agree_again() -> None:
    app = harness()
    mina = app.members.new()
    app.settings.rules = ChatRules(PolicyVersions(terms="2"))
    with pytest.raises(ConsentRequired):
        app.start(intake(mina.id))
    assert app.get_profile(mina.id).consent_required is True
    give_consent(app)(GiveConsentInput(mina.id, accept_terms=True, over_14=True))
    assert app.get_profile(mina.id).consent_required is False
    assert app.start(intake(mina.id)).turns[0].answer


def give_consent(app: Harness) -> GiveConsent:
    return GiveConsent(app.uow, app.settings, app.clock)


def test_consent_stores_only_what_is_missing_with_versions_and_time() -> None:
    app = harness()
    app.settings.rules = ChatRules(PolicyVersions(terms="3", privacy="1"))
    kim = app.members.new("kim", agreed=((Consent.PRIVACY, "1"),))
    give_consent(app)(GiveConsentInput(kim.id, accept_terms=True, over_14=True))
    give_consent(app)(GiveConsentInput(kim.id, accept_terms=True, over_14=True))
    assert [(c.what, c.version, c.given_at) for c in app.uow.consents.of(kim.id)] == [
        (Consent.TERMS, "3", app.clock.now()),
        (Consent.OVER_14, "3", app.clock.now()),
    ]
    profile = app.get_profile(kim.id)
    assert [(c.what, c.version) for c in profile.consents] == [
        (Consent.TERMS, "3"),
        (Consent.OVER_14, "3"),
    ]


@pytest.mark.parametrize(
    ("accept_terms", "over_14", "named"),
    [
        (False, True, ["accept_terms"]),
        (True, False, ["over_14"]),
        (False, False, ["accept_terms", "over_14"]),
    ],
)
def test_consent_needs_both_true(accept_terms: bool, over_14: bool, named: list[str]) -> None:
    app = harness()
    kim = app.members.new("kim", agreed=())
    with pytest.raises(ValidationFailed) as error:
        give_consent(app)(GiveConsentInput(kim.id, accept_terms, over_14))
    assert sorted(error.value.errors) == named
    assert app.uow.consents.of(kim.id) == []


def test_a_member_whose_birth_year_is_under_14_cannot_state_otherwise() -> None:
    app = harness()
    kim = app.members.new("kim", agreed=(), born_year=app.clock.now().year - 10)
    with pytest.raises(UnderAge):
        give_consent(app)(GiveConsentInput(kim.id, accept_terms=True, over_14=True))
    assert app.uow.consents.of(kim.id) == []


def placeholder_member(app: Harness) -> MemberId:
    return app.members.new("kim", email="github.0a1b@oauth.invalid", email_verified=False).id


def test_a_member_without_an_email_gives_one_stored_unverified_and_mailed_a_link() -> None:
    app = harness()
    kim = placeholder_member(app)
    profile = app.update_profile(
        UpdateProfileInput(kim, email=" Kim@Example.com ", request=REQUEST)
    )
    assert (profile.member.email, profile.member.email_verified) == ("kim@example.com", False)
    [mail] = app.mailer.sent
    assert (mail.to, mail.kind) == ("kim@example.com", TokenPurpose.VERIFY_EMAIL)


def test_a_real_email_cannot_be_changed_and_a_taken_one_cannot_be_given() -> None:
    app = harness()
    mina = app.members.new("mina")
    with pytest.raises(ValidationFailed) as error:
        app.update_profile(UpdateProfileInput(mina.id, email="new@example.com", request=REQUEST))
    assert list(error.value.errors) == ["email"]
    kim = placeholder_member(app)
    with pytest.raises(ValidationFailed) as taken:
        app.update_profile(UpdateProfileInput(kim, email="MINA@example.com", request=REQUEST))
    assert list(taken.value.errors) == ["email"]
    with pytest.raises(ValidationFailed):
        app.update_profile(UpdateProfileInput(kim, email="x@oauth.invalid", request=REQUEST))
    assert app.members.get(kim).email == "github.0a1b@oauth.invalid"
    assert app.mailer.sent == []


def test_a_placeholder_address_is_mailed_nothing() -> None:
    app = harness()
    kim = placeholder_member(app)
    app.send_verification_mail(kim, REQUEST)
    assert app.mailer.sent == []
