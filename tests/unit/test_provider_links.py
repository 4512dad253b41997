"""Connecting a provider to a logged-in member, and telling Kakao when a link ends here."""

import logging
import secrets

import pytest

from application.accounts import DeleteAccount, DeleteAccountInput
from application.errors import (
    MemberNotFound,
    OAuthStateUsed,
    ProviderAccountTaken,
    ProviderAlreadyLinked,
    ProviderFailed,
)
from application.members import RegisterMemberInput
from application.provider_links import (
    CompleteProviderLink,
    CompleteProviderLinkInput,
    ForgetProviderAccount,
)
from application.social_login import UnlinkProvider, UnlinkProviderInput
from domain.ids import MemberId
from tests.unit.fakes import FakeIdentityProvider, FakeProviderUnlinker, harness

PASSWORD = "a long passphrase"


class World:
    def __init__(self) -> None:
        self.app = harness()
        self.uow = self.app.uow
        self.github = FakeIdentityProvider("github")
        self.kakao = FakeIdentityProvider("kakao")
        self.providers = {"github": self.github, "kakao": self.kakao}
        self.kakao_admin = FakeProviderUnlinker(self.uow)

    def member(self, nickname: str) -> MemberId:
        made = self.app.register(
            RegisterMemberInput(
                f"{nickname}@example.com", PASSWORD, nickname, accept_terms=True, over_14=True
            )
        )
        return made.id

    def delete_account(self) -> DeleteAccount:
        return DeleteAccount(
            self.uow,
            self.app.passwords,
            self.app.settings,
            self.app.clock,
            {"kakao": self.kakao_admin},
        )

    def link(self, member: MemberId, provider: str = "github", state: str | None = None) -> None:
        CompleteProviderLink(self.uow, self.providers, self.app.clock)(
            CompleteProviderLinkInput(
                member, provider, state or secrets.token_hex(8), "code", "verifier", "https://cb"
            )
        )


@pytest.fixture
def world() -> World:
    return World()


def test_a_link_joins_the_account_to_the_member_whatever_its_email(world: World) -> None:
    kim = world.member("kim")
    world.github.script.append(
        world.github.identity("7", email="someone.else@example.com", email_verified=True)
    )
    world.link(kim)
    assert world.uow.social.member_for("github", "7") == kim
    assert world.uow.members.get(kim).email == "kim@example.com"


def test_linking_the_same_account_again_changes_nothing(world: World) -> None:
    kim = world.member("kim")
    world.kakao.script.extend([world.kakao.identity("31")] * 2)
    world.link(kim, "kakao")
    world.link(kim, "kakao")
    assert world.uow.social.providers_of(kim) == ["kakao"]


def test_an_account_of_another_member_or_a_second_account_is_refused(world: World) -> None:
    kim, lee = world.member("kim"), world.member("lee")
    world.github.script.extend(
        [world.github.identity("7"), world.github.identity("7"), world.github.identity("8")]
    )
    world.link(lee)
    with pytest.raises(ProviderAccountTaken):
        world.link(kim)
    assert world.uow.social.member_for("github", "7") == lee
    world.uow.social.unlink(lee, "github")
    world.github.script.appendleft(world.github.identity("7"))
    world.link(kim)
    with pytest.raises(ProviderAlreadyLinked):
        world.link(kim)
    assert world.uow.social.account_of(kim, "github") == "7"
    assert world.uow.social.member_for("github", "8") is None


def test_a_state_works_once_and_is_spent_before_the_provider_is_asked(world: World) -> None:
    kim = world.member("kim")
    world.github.script.extend([world.github.identity("7"), None])
    world.link(kim, state="s1")
    with pytest.raises(OAuthStateUsed):
        world.link(kim, state="s1")
    assert len(world.github.asked) == 1
    # A provider that fails still spends the state.
    with pytest.raises(ProviderFailed):
        world.link(kim, state="s2")
    with pytest.raises(OAuthStateUsed):
        world.link(kim, state="s2")


def test_a_member_who_left_meanwhile_gets_nothing_linked(world: World) -> None:
    world.github.script.append(world.github.identity("7"))
    with pytest.raises(MemberNotFound):
        world.link(MemberId(999))
    assert world.uow.social.member_for("github", "7") is None


def test_kakaos_word_removes_the_link_wherever_it_is_and_keeps_the_member(world: World) -> None:
    kim = world.member("kim")
    world.kakao.script.append(world.kakao.identity("31"))
    world.link(kim, "kakao")
    forget = ForgetProviderAccount(world.uow)
    assert forget("kakao", "31") == kim
    assert forget("kakao", "31") is None
    assert world.uow.social.providers_of(kim) == []
    assert world.uow.members.get(kim).nickname == "kim"


def test_unlinking_tells_kakao_after_the_link_is_gone_outside_any_transaction(
    world: World,
) -> None:
    kim = world.member("kim")
    world.kakao.script.append(world.kakao.identity("31"))
    world.link(kim, "kakao")
    unlink = UnlinkProvider(world.uow, world.providers, {"kakao": world.kakao_admin})
    unlink(UnlinkProviderInput(kim, "kakao"))
    assert world.kakao_admin.unlinked == [("31", False)]
    assert world.uow.social.providers_of(kim) == []


def test_a_kakao_that_fails_is_logged_and_the_link_stays_gone(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    kim = world.member("kim")
    world.kakao.script.append(world.kakao.identity("31"))
    world.link(kim, "kakao")
    world.kakao_admin.failing = True
    with caplog.at_level(logging.WARNING):
        UnlinkProvider(world.uow, world.providers, {"kakao": world.kakao_admin})(
            UnlinkProviderInput(kim, "kakao")
        )
    assert world.uow.social.providers_of(kim) == []
    (record,) = caplog.records
    assert record.getMessage() == "unlinked here but not at the provider"
    assert (record.provider, record.account_id) == ("kakao", "31")  # type: ignore[attr-defined]


def test_leaving_tells_kakao_once_the_member_is_gone_even_when_kakao_fails(
    world: World,
) -> None:
    kim, lee = world.member("kim"), world.member("lee")
    world.kakao.script.extend([world.kakao.identity("31"), world.kakao.identity("32")])
    world.link(kim, "kakao")
    world.link(lee, "kakao")
    leave = world.delete_account()
    leave(DeleteAccountInput(kim, PASSWORD, None, None))
    world.kakao_admin.failing = True
    leave(DeleteAccountInput(lee, PASSWORD, None, None))
    assert world.kakao_admin.unlinked == [("31", False), ("32", False)]
    assert world.uow.members.all() == []


def test_a_member_without_kakao_leaves_without_asking_kakao(world: World) -> None:
    kim = world.member("kim")
    leave = world.delete_account()
    leave(DeleteAccountInput(kim, PASSWORD, None, None))
    assert world.kakao_admin.unlinked == []
