"""A member's own account: changing the password, logging out everywhere, taking their data and
leaving."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from application.asking import ChatSettings
from application.errors import LoginTooOld, NoPassword, ValidationFailed
from application.members import GetProfile, Profile
from application.ports import (
    ChatQueries,
    Clock,
    GivenRating,
    NewMember,
    PasswordPolicy,
    ProviderUnlinker,
    UnitOfWork,
)
from application.social_login import unlink_at_provider
from application.views import ChatView
from domain.consent import GivenConsent
from domain.ids import ChatId, MemberId

# A member without a password confirms leaving by a login at most this old.
FRESH_LOGIN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class ChangePasswordInput:
    member_id: MemberId
    current_password: str
    new_password: str


class ChangePassword:
    """A member replaces their password, knowing the current one. Every refresh token issued to
    them is revoked in the same transaction; the caller hands out the one new pair."""

    def __init__(self, uow: UnitOfWork, passwords: PasswordPolicy) -> None:
        self._uow = uow
        self._passwords = passwords

    def __call__(self, data: ChangePasswordInput) -> None:
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            stored = uow.members.password_hash(data.member_id)
        if stored is None:
            raise NoPassword(
                "This account has no password to change (it was made by a provider login)."
            )
        # Checking and hashing are slow on purpose: no transaction is open meanwhile.
        if not self._passwords.matches(data.current_password, stored):
            raise ValidationFailed({"current_password": ["The current password is wrong."]})
        new = NewMember(
            email=member.email, nickname=member.nickname, born_year=member.born_year, job=None
        )
        if problems := self._passwords.check(data.new_password, new):
            raise ValidationFailed({"new_password": problems})
        password_hash = self._passwords.hash(data.new_password)
        with self._uow as uow:
            uow.members.set_password(data.member_id, password_hash)
            uow.members.revoke_logins(data.member_id)
            uow.commit()


class LogOutEverywhere:
    """Every refresh token of the member is revoked; access tokens run out on their own."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __call__(self, member_id: MemberId) -> None:
        with self._uow as uow:
            uow.members.get(member_id)
            uow.members.revoke_logins(member_id)
            uow.commit()


@dataclass(frozen=True, slots=True)
class DeleteAccountInput:
    member_id: MemberId
    password: str | None
    confirm: str | None
    logged_in_at: datetime | None  # when the login behind the request's token happened


class DeleteAccount:
    """A member leaves. What they used of today's allowance stays with a keyed hash of their
    email, so signing up again with it the same day does not reset the allowance. Providers
    that keep a record of the link (Kakao, with an admin key) are told once the member is
    gone."""

    def __init__(
        self,
        uow: UnitOfWork,
        passwords: PasswordPolicy,
        settings: ChatSettings,
        clock: Clock,
        unlinkers: Mapping[str, ProviderUnlinker] | None = None,
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._policy = settings.policy
        self._clock = clock
        self._unlinkers = unlinkers or {}

    def __call__(self, data: DeleteAccountInput) -> None:
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            stored = uow.members.password_hash(data.member_id)
            accounts = {p: uow.social.account_of(data.member_id, p) for p in self._unlinkers}
        now = self._clock.now()
        if stored is not None:
            if data.password is None or not self._passwords.matches(data.password, stored):
                raise ValidationFailed({"password": ["The password is wrong."]})
        else:
            if data.confirm != member.nickname:
                raise ValidationFailed({"confirm": ["Type your nickname to confirm."]})
            if data.logged_in_at is None or now - data.logged_in_at > FRESH_LOGIN:
                raise LoginTooOld("Log in again (within 10 minutes) to delete this account.")
        with self._uow as uow:
            uow.quota.remember_leaver(data.member_id, member.email, self._policy.day_of(now))
            uow.members.delete(data.member_id)
            uow.commit()
        # Gone here first: a provider that fails to hear of it does not keep the member.
        for provider, account_id in accounts.items():
            unlink_at_provider(self._unlinkers, provider, account_id, data.member_id)


@dataclass(frozen=True, slots=True)
class Export:
    profile: Profile
    joined_at: datetime
    usage: list[tuple[date, int]]
    consents: list[GivenConsent]  # every consent given, oldest first
    chats: list[ChatView]
    day: date  # the product's calendar day it was made on, the quota's
    ratings: list[GivenRating] = field(default_factory=list)  # of anyone's answers


class ExportData:
    """Everything the product keeps about a member, as the member sees it."""

    _PAGE = 100

    def __init__(
        self,
        uow: UnitOfWork,
        queries: ChatQueries,
        get_profile: GetProfile,
        settings: ChatSettings,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._queries = queries
        self._get_profile = get_profile
        self._policy = settings.policy
        self._clock = clock

    def __call__(self, member_id: MemberId) -> Export:
        profile = self._get_profile(member_id)
        with self._uow as uow:
            joined_at = uow.members.joined_at(member_id)
            usage = uow.quota.history(member_id)
            consents = uow.consents.of(member_id)
            ratings = uow.ratings.of_member(member_id)
        chats: list[ChatView] = []
        before: ChatId | None = None
        while True:
            page = self._queries.list_chats(owner=member_id, before=before, limit=self._PAGE)
            # A fixed number of queries per chat, whatever its number of turns.
            chats += [
                self._queries.chat(summary.id, rater=member_id).seen_by(member_id)
                for summary in page
            ]
            if len(page) < self._PAGE:
                break
            before = page[-1].id
        day = self._policy.day_of(self._clock.now())
        return Export(
            profile=profile,
            joined_at=joined_at,
            usage=usage,
            consents=consents,
            chats=chats,
            day=day,
            ratings=ratings,
        )
