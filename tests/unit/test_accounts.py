from datetime import timedelta

import pytest

from application.accounts import (
    FRESH_LOGIN,
    ChangePassword,
    ChangePasswordInput,
    DeleteAccount,
    DeleteAccountInput,
)
from application.errors import LoginTooOld, MemberNotFound, NoPassword, ValidationFailed
from application.members import RegisterMemberInput
from domain.ids import MemberId
from tests.unit.fakes import Harness, harness

PASSWORD = "correct horse battery"
NEW = "another fine passphrase"


def a_member(app: Harness, password: str | None = PASSWORD) -> MemberId:
    member = app.register(
        RegisterMemberInput("mina@example.com", PASSWORD, "mina", accept_terms=True, over_14=True)
    )
    if password is None:
        app.members._state["passwords"][member.id] = None
    return member.id


def change(app: Harness, member: MemberId, current: str = PASSWORD, new: str = NEW) -> None:
    ChangePassword(app.uow, app.passwords)(ChangePasswordInput(member, current, new))


def leave(app: Harness, member: MemberId, **fields: object) -> None:
    data = {"password": None, "confirm": None, "logged_in_at": None, **fields}
    DeleteAccount(app.uow, app.passwords, app.settings, app.clock)(
        DeleteAccountInput(member_id=member, **data)  # type: ignore[arg-type]
    )


class TestChangePassword:
    def test_the_new_hash_is_made_outside_the_transaction_and_logins_are_revoked(self) -> None:
        app = harness()
        member = a_member(app)
        app.passwords.hashed_in_transaction.clear()

        change(app, member)

        assert app.members.password_of(member) == f"hashed:{NEW}"
        assert app.members._state["revoked"] == {member: 1}
        assert app.passwords.hashed_in_transaction == [False]

    @pytest.mark.parametrize(
        ("current", "new", "field"),
        [("wrong password!", NEW, "current_password"), (PASSWORD, "short", "new_password")],
    )
    def test_a_refused_change_changes_nothing(self, current: str, new: str, field: str) -> None:
        app = harness()
        member = a_member(app)

        with pytest.raises(ValidationFailed) as refused:
            change(app, member, current, new)

        assert set(refused.value.errors) == {field}
        assert app.members.password_of(member) == f"hashed:{PASSWORD}"
        assert "revoked" not in app.members._state

    def test_a_member_without_a_password_has_none_to_change(self) -> None:
        app = harness()
        member = a_member(app, password=None)

        with pytest.raises(NoPassword):
            change(app, member)


class TestDeleteAccount:
    def test_the_days_usage_is_kept_for_the_same_email(self) -> None:
        app = harness()
        member = a_member(app)
        for _ in range(3):
            assert app.quota.reserve(member, app.settings.policy.day_of(app.clock.now()), 5)

        leave(app, member, password=PASSWORD)

        with pytest.raises(MemberNotFound):
            app.members.get(member)
        again = app.register(
            RegisterMemberInput(
                "MINA@example.com", PASSWORD, "mina", accept_terms=True, over_14=True
            )
        )
        assert app.used_today(again.id) == 3

    def test_a_wrong_password_deletes_nothing(self) -> None:
        app = harness()
        member = a_member(app)

        with pytest.raises(ValidationFailed):
            leave(app, member, password="not the password")

        assert app.members.get(member).nickname == "mina"

    @pytest.mark.parametrize(
        ("age", "deleted"),
        [(FRESH_LOGIN, True), (FRESH_LOGIN + timedelta(seconds=1), False)],
    )
    def test_without_a_password_the_login_must_be_fresh(
        self, age: timedelta, deleted: bool
    ) -> None:
        app = harness()
        member = a_member(app, password=None)
        logged_in_at = app.clock.now() - age

        if deleted:
            leave(app, member, confirm="mina", logged_in_at=logged_in_at)
            assert app.members.all() == []
        else:
            with pytest.raises(LoginTooOld):
                leave(app, member, confirm="mina", logged_in_at=logged_in_at)
            assert app.members.get(member)

    def test_without_a_password_the_nickname_confirms(self) -> None:
        app = harness()
        member = a_member(app, password=None)

        with pytest.raises(ValidationFailed) as refused:
            leave(app, member, confirm="Mina", logged_in_at=app.clock.now())

        assert set(refused.value.errors) == {"confirm"}
        assert app.members.get(member)
