from dataclasses import dataclass, replace
from typing import Any

from application.asking import ChatSettings, refuse_personal_data
from application.errors import ValidationFailed
from application.ports import Clock, NewMember, PasswordPolicy, UnitOfWork
from domain.errors import DomainError
from domain.ids import MemberId
from domain.member import Member, validate_born_year, validate_job, validate_nickname
from domain.quota import QuotaStatus


def _collect(errors: dict[str, list[str]], check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except DomainError as error:
        errors.setdefault(error.field or "non_field_errors", []).append(error.detail)
        return None


@dataclass(frozen=True, slots=True)
class RegisterMemberInput:
    email: str
    password: str
    nickname: str
    born_year: int | None = None
    job: str | None = None


class RegisterMember:
    """Someone signs up. Every problem with the input is reported at once, per field."""

    def __init__(
        self, uow: UnitOfWork, passwords: PasswordPolicy, settings: ChatSettings, clock: Clock
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._policy = settings.policy
        self._clock = clock

    def __call__(self, data: RegisterMemberInput) -> Member:
        # The nickname is shown on every public chat of the member's.
        refuse_personal_data({"nickname": data.nickname})
        errors: dict[str, list[str]] = {}
        nickname = _collect(errors, validate_nickname, data.nickname)
        # The product's calendar day, the quota's: on New Year's morning in Seoul it is already the
        # new year, though not yet in UTC.
        today = self._policy.day_of(self._clock.now())
        born_year = _collect(errors, validate_born_year, data.born_year, today)
        job = _collect(errors, validate_job, data.job)
        new = NewMember(
            email=data.email.strip(), nickname=nickname or "", born_year=born_year, job=job
        )
        if problems := self._passwords.check(data.password, new):
            errors["password"] = problems
        if errors:
            raise ValidationFailed(errors)
        # Hashing takes a fraction of a second of CPU by design; inside the transaction it would
        # hold SQLite's write lock that long, and every other writer would wait behind it.
        password_hash = self._passwords.hash(data.password)
        with self._uow as uow:
            member = uow.members.add(new, password_hash)
            uow.quota.carry_over(member.id, member.email, today)
            uow.commit()
        return member


@dataclass(frozen=True, slots=True)
class Profile:
    member: Member
    quota: QuotaStatus
    linked_providers: tuple[str, ...] = ()
    has_password: bool = True


class GetProfile:
    """A member looks at their profile and what is left of today's allowance."""

    def __init__(self, uow: UnitOfWork, settings: ChatSettings, clock: Clock) -> None:
        self._uow = uow
        self._policy = settings.policy
        self._clock = clock

    def __call__(self, member_id: MemberId) -> Profile:
        now = self._clock.now()
        with self._uow as uow:
            member = uow.members.get(member_id)
            used = uow.quota.used(member_id, self._policy.day_of(now))
            linked = tuple(uow.social.providers_of(member_id))
            has_password = uow.members.has_password(member_id)
        quota = QuotaStatus(
            limit=self._policy.limit_for(member.daily_limit),
            used=used,
            resets_at=self._policy.resets_at(now),
        )
        return Profile(
            member=member, quota=quota, linked_providers=linked, has_password=has_password
        )


_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class UpdateProfileInput:
    """Fields left as UNSET are not changed; None clears an optional field."""

    member_id: MemberId
    nickname: str = _UNSET
    born_year: int | None = _UNSET
    job: str | None = _UNSET
    anonymous_by_default: bool = _UNSET


UNSET = _UNSET


class UpdateProfile:
    def __init__(
        self, uow: UnitOfWork, get_profile: GetProfile, settings: ChatSettings, clock: Clock
    ) -> None:
        self._uow = uow
        self._get_profile = get_profile
        self._policy = settings.policy
        self._clock = clock

    def __call__(self, data: UpdateProfileInput) -> Profile:
        errors: dict[str, list[str]] = {}
        changes: dict[str, Any] = {}
        if data.nickname is not UNSET:
            refuse_personal_data({"nickname": data.nickname})
            changes["nickname"] = _collect(errors, validate_nickname, data.nickname)
        if data.born_year is not UNSET:
            today = self._policy.day_of(self._clock.now())
            changes["born_year"] = _collect(errors, validate_born_year, data.born_year, today)
        if data.job is not UNSET:
            changes["job"] = _collect(errors, validate_job, data.job)
        if data.anonymous_by_default is not UNSET:
            changes["anonymous_by_default"] = data.anonymous_by_default
        if errors:
            raise ValidationFailed(errors)
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            uow.members.update_profile(replace(member, **changes))
            uow.commit()
        return self._get_profile(data.member_id)
