from datetime import UTC, datetime, timedelta

import pytest

from application.errors import MemberNotFound, UnderAge, ValidationFailed
from application.members import UNSET, RegisterMemberInput, UpdateProfileInput
from application.rules import ChatRules
from application.start_chat_session import StartChatSessionInput
from domain.consent import Consent, PolicyVersions
from domain.ids import MemberId
from domain.member import JOB_MAX, NICKNAME_MAX
from tests.unit.fakes import SEOUL, harness

GOOD_PASSWORD = "correct horse battery"


def sign_up(**fields: object) -> RegisterMemberInput:
    data: dict[str, object] = {
        "email": "mina@example.com",
        "password": GOOD_PASSWORD,
        "nickname": "mina",
        "accept_terms": True,
        "over_14": True,
        **fields,
    }
    return RegisterMemberInput(**data)  # type: ignore[arg-type]


class TestRegisterMember:
    def test_a_new_member_is_stored_with_a_clean_profile_and_the_password(self) -> None:
        app = harness()
        member = app.register(
            sign_up(email="  mina@example.com ", nickname="  mina  ", born_year=1990, job=" Nurse ")
        )
        assert (member.email, member.nickname, member.born_year, member.job) == (
            "mina@example.com",
            "mina",
            1990,
            "Nurse",
        )
        assert app.members.get(member.id) == member
        assert app.members.password_of(member.id) == f"hashed:{GOOD_PASSWORD}"
        assert app.uow.commits == 1

    def test_a_blank_job_is_no_job(self) -> None:
        assert harness().register(sign_up(job="   ")).job is None

    def test_every_problem_is_reported_at_once_by_field(self) -> None:
        app = harness()
        with pytest.raises(ValidationFailed) as error:
            app.register(
                sign_up(nickname=" ", born_year=1850, job="j" * (JOB_MAX + 1), password="short")
            )
        assert set(error.value.errors) == {"nickname", "born_year", "job", "password"}
        assert error.value.errors["nickname"] == ["A nickname cannot be blank."]
        assert "1900" in error.value.errors["born_year"][0]
        assert str(JOB_MAX) in error.value.errors["job"][0]
        assert app.members.all() == []

    def test_the_password_policys_messages_are_passed_on_word_for_word(self) -> None:
        app = harness()
        with pytest.raises(ValidationFailed) as error:
            app.register(sign_up(nickname="mina", password="mina123"))
        assert error.value.errors == {
            "password": [
                "This password is too short. It must contain at least 10 characters.",
                "The password is too similar to the nickname.",
            ]
        }

    def test_the_password_is_judged_against_the_cleaned_profile(self) -> None:
        app = harness()
        app.register(sign_up(email=" mina@example.com", nickname=" mina ", job=""))
        [(password, seen)] = app.passwords.checked
        assert password == GOOD_PASSWORD
        assert (seen.email, seen.nickname, seen.job) == ("mina@example.com", "mina", None)

    @pytest.mark.parametrize(
        "nickname", ["n" * (NICKNAME_MAX + 1), "tab\there", "new\nline", "\x00"]
    )
    def test_a_nickname_must_be_short_and_printable(self, nickname: str) -> None:
        with pytest.raises(ValidationFailed) as error:
            harness().register(sign_up(nickname=nickname))
        assert list(error.value.errors) == ["nickname"]

    def test_the_birth_year_may_make_the_member_14_this_year_but_not_younger(self) -> None:
        app = harness()
        this_year = app.clock.now().year
        assert app.register(sign_up(born_year=this_year - 14)).born_year == this_year - 14
        with pytest.raises(UnderAge) as error:
            app.register(
                sign_up(email="yuna@example.com", nickname="yuna", born_year=this_year - 13)
            )
        assert (error.value.code, list(error.value.errors)) == ("under_14", ["born_year"])
        assert len(app.members.all()) == 1

    def test_a_birth_year_in_the_future_is_invalid_not_under_age(self) -> None:
        app = harness()
        with pytest.raises(ValidationFailed) as error:
            app.register(sign_up(born_year=app.clock.now().year + 1))
        assert (error.value.code, list(error.value.errors)) == ("invalid", ["born_year"])

    def test_under_age_is_reported_with_every_other_problem(self) -> None:
        app = harness()
        with pytest.raises(UnderAge) as error:
            app.register(sign_up(born_year=app.clock.now().year - 5, nickname=" ", over_14=False))
        assert set(error.value.errors) == {"born_year", "nickname", "over_14"}

    def test_this_year_is_the_product_time_zones_year_not_utcs(self) -> None:
        # 08:00 on New Year's Day 2027 in Seoul, still 2026 in UTC: born in 2013, 14 this year.
        app = harness(at=datetime(2026, 12, 31, 23, 0, tzinfo=UTC), time_zone=SEOUL)
        assert app.register(sign_up(born_year=2013)).born_year == 2013
        with pytest.raises(UnderAge) as error:
            app.register(sign_up(email="yuna@example.com", nickname="yuna", born_year=2014))
        assert list(error.value.errors) == ["born_year"]

    @pytest.mark.parametrize(
        ("given", "refused"),
        [
            ({"accept_terms": False}, ["accept_terms"]),
            ({"over_14": False}, ["over_14"]),
            ({"accept_terms": False, "over_14": False}, ["accept_terms", "over_14"]),
        ],
    )
    def test_a_sign_up_without_both_consents_is_refused_naming_them(
        self, given: dict[str, bool], refused: list[str]
    ) -> None:
        app = harness()
        with pytest.raises(ValidationFailed) as error:
            app.register(sign_up(**given))
        assert (error.value.code, sorted(error.value.errors)) == ("invalid", refused)
        assert app.members.all() == []
        assert app.uow.consents.given == []

    def test_a_sign_up_stores_each_consent_with_the_versions_in_force_and_the_time(self) -> None:
        app = harness()
        app.settings.rules = ChatRules(PolicyVersions(terms="2026-03", privacy="7"))
        member = app.register(sign_up())
        given = app.uow.consents.of(member.id)
        assert [(c.what, c.version, c.given_at) for c in given] == [
            (Consent.TERMS, "2026-03", app.clock.now()),
            (Consent.PRIVACY, "7", app.clock.now()),
            (Consent.OVER_14, "2026-03", app.clock.now()),
        ]
        assert member.has_consented(app.settings.rules.versions)

    def test_a_taken_nickname_is_reported_by_the_repository(self) -> None:
        app = harness()
        app.register(sign_up())
        with pytest.raises(ValidationFailed) as error:
            app.register(sign_up(email="other@example.com", nickname="MINA"))
        assert list(error.value.errors) == ["nickname"]
        assert len(app.members.all()) == 1

    def test_the_password_is_hashed_before_the_transaction_opens(self) -> None:
        app = harness()
        app.register(sign_up())
        assert app.passwords.hashed_in_transaction == [False]

    def test_a_nickname_is_stored_in_nfc(self) -> None:
        member = harness().register(sign_up(nickname="Jose\u0301"))
        assert member.nickname == "Jos\u00e9"

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("Jos\u00e9", "Jose\u0301"),  # one code point, and e with a combining accent
            ("\u00c4rger", "\u00e4rger"),  # beyond ASCII's case
            ("Stra\u00dfe", "STRASSE"),  # full case folding
            ("kim", "\uff2b\uff29\uff2d"),  # full-width letters
            ("kim lee", "kim  lee"),
        ],
    )
    def test_nicknames_that_read_the_same_are_one_nickname(self, first: str, second: str) -> None:
        app = harness()
        app.register(sign_up(nickname=first))
        with pytest.raises(ValidationFailed) as error:
            app.register(sign_up(email="other@example.com", nickname=second))
        assert list(error.value.errors) == ["nickname"]


class TestGetProfile:
    def test_the_profile_shows_what_is_left_of_todays_allowance(self) -> None:
        app = harness(limit=3)
        mina = app.members.new(born_year=1990, job="Nurse")
        app.start(StartChatSessionInput(mina.id, "Now.", "Later."))

        profile = app.get_profile(mina.id)

        assert profile.member == mina
        assert (profile.quota.limit, profile.quota.used, profile.quota.remaining) == (3, 1, 2)
        assert profile.quota.resets_at == datetime(2026, 1, 2, tzinfo=SEOUL)

    def test_the_allowance_shown_is_the_members_own_limit(self) -> None:
        app = harness(limit=3)
        vip = app.members.new(daily_limit=50)
        assert app.get_profile(vip.id).quota.limit == 50

    def test_yesterdays_use_does_not_count_today(self) -> None:
        app = harness(limit=3)
        mina = app.members.new()
        app.start(StartChatSessionInput(mina.id, "Now.", "Later."))
        app.clock.advance(timedelta(days=1))
        assert app.get_profile(mina.id).quota.used == 0

    def test_an_unknown_member_has_no_profile(self) -> None:
        with pytest.raises(MemberNotFound):
            harness().get_profile(MemberId(404))


class TestUpdateProfile:
    def test_fields_left_unset_are_not_touched(self) -> None:
        app = harness()
        mina = app.members.new("mina", born_year=1990, job="Nurse", daily_limit=9)

        profile = app.update_profile(UpdateProfileInput(mina.id, nickname="  Mina K "))

        assert profile.member == app.members.get(mina.id)
        assert (profile.member.nickname, profile.member.born_year, profile.member.job) == (
            "Mina K",
            1990,
            "Nurse",
        )
        assert profile.member.daily_limit == 9
        assert profile.member.email == mina.email

    def test_none_clears_an_optional_field(self) -> None:
        app = harness()
        mina = app.members.new("mina", born_year=1990, job="Nurse")
        app.update_profile(UpdateProfileInput(mina.id, born_year=None, job=None))
        stored = app.members.get(mina.id)
        assert (stored.nickname, stored.born_year, stored.job) == ("mina", None, None)

    def test_a_blank_job_clears_it_too(self) -> None:
        app = harness()
        mina = app.members.new(job="Nurse")
        assert app.update_profile(UpdateProfileInput(mina.id, job="  ")).member.job is None

    def test_an_update_with_nothing_set_changes_nothing(self) -> None:
        app = harness()
        mina = app.members.new(born_year=1990, job="Nurse")
        assert UpdateProfileInput(mina.id).nickname is UNSET
        assert app.update_profile(UpdateProfileInput(mina.id)).member == mina

    def test_invalid_fields_are_all_reported_and_nothing_is_changed(self) -> None:
        app = harness()
        mina = app.members.new("mina", born_year=1990, job="Nurse")
        with pytest.raises(ValidationFailed) as error:
            app.update_profile(
                UpdateProfileInput(mina.id, nickname="", born_year=3000, job="Baker")
            )
        assert set(error.value.errors) == {"nickname", "born_year"}
        assert app.members.get(mina.id) == mina

    def test_a_birth_year_is_checked_against_the_product_time_zones_year(self) -> None:
        app = harness(at=datetime(2026, 12, 31, 23, 0, tzinfo=UTC), time_zone=SEOUL)
        mina = app.members.new()
        profile = app.update_profile(UpdateProfileInput(mina.id, born_year=2013))
        assert profile.member.born_year == 2013
        with pytest.raises(UnderAge):
            app.update_profile(UpdateProfileInput(mina.id, born_year=2014))
        assert app.members.get(mina.id).born_year == 2013

    def test_the_updated_profile_comes_with_the_quota(self) -> None:
        app = harness(limit=4)
        mina = app.members.new()
        profile = app.update_profile(UpdateProfileInput(mina.id, job="Nurse"))
        assert profile.quota.limit == 4
        assert profile.quota.used == 0

    def test_an_unknown_member_cannot_be_updated(self) -> None:
        with pytest.raises(MemberNotFound):
            harness().update_profile(UpdateProfileInput(MemberId(404), job="Nurse"))

    def test_the_new_profile_is_what_the_model_hears_about(self) -> None:
        app = harness()
        mina = app.members.new()
        app.update_profile(UpdateProfileInput(mina.id, born_year=1985, job="Pilot"))
        app.start(StartChatSessionInput(mina.id, "Now.", "Later."))
        private = [m for m in app.model.requests[0].messages if m.private]
        assert [m.content for m in private] == [
            "About the member (private): Born in 1985. Job: Pilot."
        ]
