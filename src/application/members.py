from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from application.asking import ChatSettings, refuse_personal_data
from application.errors import UnderAge, ValidationFailed
from application.ports import Clock, NewMember, PasswordPolicy, UnitOfWork
from application.social_login import NO_EMAIL_DOMAIN
from domain.consent import Consent, GivenConsent
from domain.errors import DomainError
from domain.ids import MemberId
from domain.member import (
    Member,
    under_min_age,
    validate_born_year,
    validate_job,
    validate_nickname,
)
from domain.quota import QuotaStatus

if TYPE_CHECKING:  # account_links builds on this module
    from application.account_links import MailRequest, SendVerificationMail

TOO_YOUNG = "You must be 14 or older to use this service."
_REFUSED = {
    "accept_terms": "Accept the terms and the privacy policy to continue.",
    "over_14": "Confirm that you are 14 or older to continue.",
}


def _collect(errors: dict[str, list[str]], check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except DomainError as error:
        errors.setdefault(error.field or "non_field_errors", []).append(error.detail)
        return None


def _check_consents(errors: dict[str, list[str]], accept_terms: bool, over_14: bool) -> None:
    for name, given in (("accept_terms", accept_terms), ("over_14", over_14)):
        if given is not True:
            errors.setdefault(name, []).append(_REFUSED[name])


def _check_age(errors: dict[str, list[str]], born_year: int | None, today: date) -> bool:
    """Whether `born_year` makes the person too young; noted on the field when it does."""
    if under_min_age(born_year, today):
        errors.setdefault("born_year", []).append(TOO_YOUNG)
        return True
    return False


def _refuse(errors: dict[str, list[str]], too_young: bool) -> ValidationFailed:
    # Too young is a refusal of the person, not a typo: its own code, whatever else is wrong.
    return UnderAge(errors) if too_young else ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class RegisterMemberInput:
    email: str
    password: str
    nickname: str
    born_year: int | None = None
    job: str | None = None
    # Both must be True: the terms and privacy policy accepted, and 14 or older.
    accept_terms: bool = False
    over_14: bool = False


class RegisterMember:
    """Someone signs up, agreeing to the texts in force and stating they are 14 or older; both
    are stored with their versions. Every problem with the input is reported at once, per
    field."""

    def __init__(
        self, uow: UnitOfWork, passwords: PasswordPolicy, settings: ChatSettings, clock: Clock
    ) -> None:
        self._uow = uow
        self._passwords = passwords
        self._policy = settings.policy
        self._versions = settings.rules.versions
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
        too_young = _check_age(errors, born_year, today)
        job = _collect(errors, validate_job, data.job)
        _check_consents(errors, data.accept_terms, data.over_14)
        new = NewMember(
            email=data.email.strip(), nickname=nickname or "", born_year=born_year, job=job
        )
        if problems := self._passwords.check(data.password, new):
            errors["password"] = problems
        if errors:
            raise _refuse(errors, too_young)
        # Hashing takes a fraction of a second of CPU by design; inside the transaction it would
        # hold SQLite's write lock that long, and every other writer would wait behind it.
        password_hash = self._passwords.hash(data.password)
        with self._uow as uow:
            added = uow.members.add(new, password_hash)
            uow.consents.record(added.id, self._versions.current(), self._clock.now())
            uow.quota.carry_over(added.id, added.email, today)
            member = uow.members.get(added.id)
            uow.commit()
        return member


@dataclass(frozen=True, slots=True)
class Profile:
    member: Member
    quota: QuotaStatus
    linked_providers: tuple[str, ...] = ()
    has_password: bool = True
    # The latest consent of each kind the member gave, and whether those in force are missing.
    consents: tuple[GivenConsent, ...] = ()
    consent_required: bool = False


class GetProfile:
    """A member looks at their profile and what is left of today's allowance."""

    def __init__(self, uow: UnitOfWork, settings: ChatSettings, clock: Clock) -> None:
        self._uow = uow
        self._policy = settings.policy
        self._versions = settings.rules.versions
        self._clock = clock

    def __call__(self, member_id: MemberId) -> Profile:
        now = self._clock.now()
        with self._uow as uow:
            member = uow.members.get(member_id)
            used = uow.quota.used(member_id, self._policy.day_of(now))
            linked = tuple(uow.social.providers_of(member_id))
            has_password = uow.members.has_password(member_id)
            given = uow.consents.of(member_id)
        latest = {consent.what: consent for consent in given}  # oldest first: the last wins
        quota = QuotaStatus(
            limit=self._policy.limit_for(member.daily_limit),
            used=used,
            resets_at=self._policy.resets_at(now),
        )
        return Profile(
            member=member,
            quota=quota,
            linked_providers=linked,
            has_password=has_password,
            consents=tuple(latest[what] for what in Consent if what in latest),
            consent_required=not member.has_consented(self._versions),
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
    email: str = _UNSET  # only while the member's address is a placeholder (NO_EMAIL_DOMAIN)
    request: "MailRequest | None" = None  # for the verification mail of a new email


UNSET = _UNSET


def has_placeholder_email(member: Member) -> bool:
    return member.email.endswith(f"@{NO_EMAIL_DOMAIN}")


class UpdateProfile:
    """A member edits their profile. A member whose provider gave no email (a placeholder
    address that can never be verified) may give one: stored unverified, it counts once the
    member opens the link mailed to it, as after a sign-up."""

    def __init__(
        self,
        uow: UnitOfWork,
        get_profile: GetProfile,
        settings: ChatSettings,
        clock: Clock,
        verification: "SendVerificationMail | None" = None,
    ) -> None:
        self._uow = uow
        self._get_profile = get_profile
        self._policy = settings.policy
        self._clock = clock
        self._verification = verification

    def __call__(self, data: UpdateProfileInput) -> Profile:
        errors: dict[str, list[str]] = {}
        changes: dict[str, Any] = {}
        too_young = False
        if data.nickname is not UNSET:
            refuse_personal_data({"nickname": data.nickname})
            changes["nickname"] = _collect(errors, validate_nickname, data.nickname)
        if data.born_year is not UNSET:
            today = self._policy.day_of(self._clock.now())
            changes["born_year"] = _collect(errors, validate_born_year, data.born_year, today)
            too_young = _check_age(errors, changes["born_year"], today)
        if data.job is not UNSET:
            changes["job"] = _collect(errors, validate_job, data.job)
        if data.anonymous_by_default is not UNSET:
            changes["anonymous_by_default"] = data.anonymous_by_default
        email = None if data.email is UNSET else data.email.strip()
        if email is not None and email.lower().endswith(f"@{NO_EMAIL_DOMAIN}"):
            errors["email"] = ["Give an address that receives mail."]
        if errors:
            raise _refuse(errors, too_young)
        changed_email = False
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            if email is not None and email.lower() != member.email.lower():
                if not has_placeholder_email(member):
                    raise ValidationFailed({"email": ["Your email cannot be changed here."]})
                uow.members.change_email(member.id, email)
                changed_email = True
            uow.members.update_profile(replace(member, **changes))
            uow.commit()
        if changed_email and self._verification is not None and data.request is not None:
            self._verification(data.member_id, data.request)
        return self._get_profile(data.member_id)


@dataclass(frozen=True, slots=True)
class GiveConsentInput:
    member_id: MemberId
    accept_terms: bool
    over_14: bool


class GiveConsent:
    """A member agrees to the terms and privacy policy in force and states they are 14 or older:
    a member made by a provider login, who starts without, or anyone after an operator raised a
    version. Consents already given to the version in force are not stored twice."""

    def __init__(self, uow: UnitOfWork, settings: ChatSettings, clock: Clock) -> None:
        self._uow = uow
        self._policy = settings.policy
        self._versions = settings.rules.versions
        self._clock = clock

    def __call__(self, data: GiveConsentInput) -> None:
        errors: dict[str, list[str]] = {}
        _check_consents(errors, data.accept_terms, data.over_14)
        if errors:
            raise ValidationFailed(errors)
        now = self._clock.now()
        with self._uow as uow:
            member = uow.members.get(data.member_id)
            # The member's own birth year speaks against their statement.
            if _check_age(errors, member.born_year, self._policy.day_of(now)):
                raise UnderAge(errors)
            missing = {
                what: version
                for what, version in self._versions.current().items()
                if (what, version) not in member.agreed
            }
            if missing:
                uow.consents.record(member.id, missing, now)
            uow.commit()
