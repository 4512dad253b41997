import secrets
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.errors import (
    LastLoginMethod,
    LoginCodeInvalid,
    OAuthStateUsed,
    ProviderEmailTaken,
    ProviderFailed,
    ProviderNotConfigured,
    ProviderNotLinked,
)
from application.ports import NewMember
from application.social_login import (
    NO_EMAIL_DOMAIN,
    BeginSocialLogin,
    CompleteSocialLogin,
    CompleteSocialLoginInput,
    RedeemLoginCode,
    UnlinkProvider,
    UnlinkProviderInput,
    hash_state,
)
from domain.ids import MemberId
from domain.member import NICKNAME_MAX, Member, validate_nickname
from domain.social import EmailMatch, may_unlink, nickname_candidates, on_matching_email
from tests.unit.fakes import FakeClock, FakeIdentityProvider, FakeUnitOfWork, harness

SETTINGS = harness().settings


@given(st.text(max_size=80))
def test_every_nickname_candidate_is_a_valid_nickname(wanted: str) -> None:
    candidates = nickname_candidates(wanted, fallback="githubuser")
    for _, candidate in zip(range(12), candidates, strict=False):
        assert validate_nickname(candidate) == candidate
        assert len(candidate) <= NICKNAME_MAX


def test_nickname_candidates_number_the_profile_name_and_fall_back_when_blank() -> None:
    assert list(zip(range(3), nickname_candidates("octo cat", "x"), strict=False)) == [
        (0, "octo cat"),
        (1, "octo cat2"),
        (2, "octo cat3"),
    ]
    assert next(nickname_candidates("  \u0000 ", "kakaouser")) == "kakaouser"
    long = "k" * 40
    second = list(zip(range(2), nickname_candidates(long, "x"), strict=False))[1][1]
    assert second == "k" * (NICKNAME_MAX - 1) + "2"


def test_a_provider_may_be_unlinked_only_while_another_way_in_remains() -> None:
    assert may_unlink("github", ["github"], has_password=True)
    assert may_unlink("github", ["github", "kakao"], has_password=False)
    assert not may_unlink("github", ["github"], has_password=False)
    assert not may_unlink("kakao", ["github"], has_password=True)


def test_only_an_address_verified_here_lets_a_provider_login_join_a_member() -> None:
    squatted = Member(MemberId(1), "kim@example.com", "kim", email_verified=False)
    verified = Member(MemberId(2), "lee@example.com", "lee", email_verified=True)
    assert on_matching_email(squatted, "github", []) is EmailMatch.REFUSE
    assert on_matching_email(squatted, "github", ["github"]) is EmailMatch.REFUSE
    assert on_matching_email(verified, "github", ["kakao"]) is EmailMatch.LINK
    assert on_matching_email(verified, "github", ["github"]) is EmailMatch.NEW_MEMBER


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.github = FakeIdentityProvider("github")
        self.kakao = FakeIdentityProvider("kakao")
        self.providers = {"github": self.github, "kakao": self.kakao}

    def log_in(self, provider: str = "github", state: str | None = None) -> tuple[int, bool, str]:
        complete = CompleteSocialLogin(self.uow, self.providers, self.clock, SETTINGS)
        done = complete(
            CompleteSocialLoginInput(
                provider, state or secrets.token_hex(8), "code", "verifier", "https://cb"
            )
        )
        return done.member_id, done.created, done.login_code

    def redeem(self, code: str) -> int:
        return RedeemLoginCode(self.uow, self.clock)(code)


@pytest.fixture
def world() -> World:
    return World()


def test_begin_gives_a_fresh_state_and_verifier_each_time(world: World) -> None:
    begin = BeginSocialLogin(world.providers)
    one, two = begin("github", "https://cb"), begin("github", "https://cb")
    assert one.state != two.state
    assert one.code_verifier != two.code_verifier
    assert 43 <= len(one.code_verifier) <= 128
    assert f"state={one.state}" in one.url
    with pytest.raises(ProviderNotConfigured):
        begin("facebook", "https://cb")


def test_a_first_login_makes_a_member_and_a_later_one_finds_it(world: World) -> None:
    world.github.script.extend([world.github.identity("42", nickname="octo")] * 2)
    first, created, code = world.log_in()
    assert created
    member = world.uow.members.get(first)
    assert member.nickname == "octo"
    assert member.email.endswith(f"@{NO_EMAIL_DOMAIN}")
    assert world.uow.members.password_of(first) is None  # no usable password
    again, created_again, _ = world.log_in()
    assert (again, created_again) == (first, False)
    assert world.redeem(code) == first


def test_a_verified_email_links_the_member_known_to_own_it(world: World) -> None:
    kim = world.uow.members.new("kim", email="kim@example.com", email_verified=True)
    world.github.script.append(
        world.github.identity("7", email="KIM@example.com", email_verified=True)
    )
    member_id, created, _ = world.log_in()
    assert (member_id, created) == (kim.id, False)
    assert world.uow.social.providers_of(kim.id) == ["github"]


def test_a_verified_email_of_a_member_not_known_to_own_it_is_refused(world: World) -> None:
    with world.uow as uow:
        squatter = uow.members.add(NewMember("kim@example.com", "sq", None, None), "their own!")
        uow.commit()
    world.kakao.script.append(
        world.kakao.identity("7", email="kim@example.com", email_verified=True)
    )
    with pytest.raises(ProviderEmailTaken, match="connect this provider from Settings"):
        world.log_in("kakao")
    assert world.uow.members.all() == [squatter]
    assert world.uow.social.providers_of(squatter.id) == []
    assert world.uow.login_codes.codes == {}


def test_a_member_made_with_a_verified_email_is_known_to_own_it(world: World) -> None:
    world.github.script.append(
        world.github.identity("1", email="a@example.com", email_verified=True)
    )
    world.kakao.script.append(world.kakao.identity("2"))
    with_email, _, _ = world.log_in()
    without, _, _ = world.log_in("kakao")
    assert world.uow.members.get(with_email).email_verified
    assert not world.uow.members.get(without).email_verified


def test_a_state_is_spent_once_before_the_provider_is_asked(world: World) -> None:
    world.github.script.append(world.github.identity("1"))
    world.log_in(state="s1")
    with pytest.raises(OAuthStateUsed):
        world.log_in(state="s1")
    assert len(world.github.asked) == 1
    # Remembered while a state is good for, then forgotten.
    world.clock.advance(timedelta(minutes=10))
    world.github.script.append(world.github.identity("2"))
    world.log_in(state="s2")
    assert list(world.uow.oauth_states.states) == [hash_state("s2")]


def test_an_unverified_email_never_links_nor_is_stored(world: World) -> None:
    kim = world.uow.members.new("kim", email="kim@example.com", email_verified=False)
    world.kakao.script.append(
        world.kakao.identity("9", nickname="kim", email="kim@example.com", email_verified=False)
    )
    member_id, created, _ = world.log_in("kakao")
    assert created
    assert member_id != kim.id
    member = world.uow.members.get(member_id)
    assert member.email != "kim@example.com"
    assert member.nickname == "kim2"  # made unique


def test_a_verified_email_of_a_member_with_another_account_there_makes_a_new_member(
    world: World,
) -> None:
    kim = world.uow.members.new("kim", email="kim@example.com", email_verified=True)
    world.uow.social.link(kim.id, "github", "1")
    world.github.script.append(
        world.github.identity("2", email="kim@example.com", email_verified=True)
    )
    member_id, created, _ = world.log_in()
    assert created
    assert member_id != kim.id


def test_a_provider_failure_changes_nothing(world: World) -> None:
    world.github.script.append(None)
    with pytest.raises(ProviderFailed):
        world.log_in()
    assert world.uow.members.all() == []
    assert world.uow.login_codes.codes == {}


def test_a_login_code_works_once_and_for_a_minute(world: World) -> None:
    world.github.script.extend([world.github.identity("1")] * 2)
    member_id, _, code = world.log_in()
    assert world.redeem(code) == member_id
    with pytest.raises(LoginCodeInvalid):
        world.redeem(code)
    _, _, late = world.log_in()
    world.clock.advance(timedelta(seconds=61))
    with pytest.raises(LoginCodeInvalid):
        world.redeem(late)
    with pytest.raises(LoginCodeInvalid):
        world.redeem("made-up")
    # Only hashes are stored.
    world.github.script.append(world.github.identity("1"))
    _, _, kept = world.log_in()
    assert kept not in world.uow.login_codes.codes


def test_unlinking_keeps_another_way_to_log_in(world: World) -> None:
    world.github.script.append(
        world.github.identity("1", email="a@example.com", email_verified=True)
    )
    member_id, _, _ = world.log_in()
    unlink = UnlinkProvider(world.uow, world.providers)
    with pytest.raises(LastLoginMethod):
        unlink(UnlinkProviderInput(member_id, "github"))
    with pytest.raises(ProviderNotLinked):
        unlink(UnlinkProviderInput(member_id, "kakao"))
    world.kakao.script.append(world.kakao.identity("5", email="a@example.com", email_verified=True))
    assert world.log_in("kakao")[0] == member_id
    assert unlink(UnlinkProviderInput(member_id, "github")) == ["kakao"]
    assert world.uow.social.providers_of(member_id) == ["kakao"]


def test_a_member_with_a_password_may_unlink_their_only_provider(world: World) -> None:
    with world.uow as uow:
        kim = uow.members.add(NewMember("kim@example.com", "kim", None, None), "a passphrase!")
        uow.commit()
    world.uow.social.link(kim.id, "kakao", "3")
    assert UnlinkProvider(world.uow, world.providers)(UnlinkProviderInput(kim.id, "kakao")) == []


def test_unlinking_a_provider_not_configured_is_refused_as_such(world: World) -> None:
    kim = world.uow.members.new("kim")
    with pytest.raises(ProviderNotConfigured):
        UnlinkProvider(world.uow, world.providers)(UnlinkProviderInput(kim.id, "facebook"))
