from datetime import datetime
from functools import cache
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from adapters.orm import sql
from adapters.orm.models import AccountToken
from adapters.orm.models import Consent as ConsentRow
from adapters.orm.models import Member as MemberRow
from application.errors import MemberNotFound, ValidationFailed
from application.ports import MemberRepository, NewMember, PasswordPolicy
from domain.consent import Consent
from domain.ids import MemberId
from domain.member import Member, nickname_key


def to_domain(row: MemberRow) -> Member:
    return Member(
        id=MemberId(row.pk),
        email=row.email,
        nickname=row.nickname,
        born_year=row.born_year,
        job=row.job,
        daily_limit=row.daily_limit,
        email_verified=row.email_verified,
        anonymous_by_default=row.anonymous_by_default,
    )


_TAKEN = {
    "email": "A member with this email already exists.",
    "nickname": "This nickname is taken.",
}


_MEMBER_COLUMNS = (
    "email", "nickname", "born_year", "job", "daily_limit", "email_verified",
    "anonymous_by_default",
)  # fmt: skip


def _latest_consent(what: Consent) -> str:
    consents, members = sql.table(ConsentRow), sql.table(MemberRow)

    def column(name: str) -> str:
        return f"{consents}.{sql.column(ConsentRow, name)}"

    # `what` is one of the enum's fixed names, safe in the statement's text.
    return (
        f"(SELECT {column('version')} FROM {consents} "
        f"WHERE {column('member')} = {members}.{sql.column(MemberRow, 'id')} "
        f"AND {column('what')} = '{what.value}' "
        f"ORDER BY {column('given_at')} DESC, {column('id')} DESC LIMIT 1)"
    )


@cache
def _active_member() -> str:
    # The latest version of each consent rides along: every chat request checks them, and a
    # subquery on the consents' index costs less than a second round trip.
    latest = ", ".join(_latest_consent(what) for what in Consent)
    return (
        f"SELECT {sql.columns(MemberRow, _MEMBER_COLUMNS)}, {latest} FROM {sql.table(MemberRow)} "
        f"WHERE {sql.column(MemberRow, 'id')} = %s AND {sql.column(MemberRow, 'is_active')}"
    )


@cache
def _conversions() -> tuple[Any, ...]:
    # Text and integers come as every database returns them; the flags as the ORM reads them
    # (SQLite stores 0 or 1).
    return (
        (None,) * 5
        + sql.fields(MemberRow, ["email_verified", "anonymous_by_default"])
        + (None,) * len(Consent)
    )


class DjangoMemberRepository(MemberRepository):
    def get(self, member_id: MemberId) -> Member:
        # Every chat request reads its member: one prepared statement, the columns alone.
        rows = sql.select(_active_member(), [member_id], _conversions())
        if not rows:
            raise MemberNotFound("No such member.")
        ((email, nickname, born_year, job, daily_limit, email_verified, anonymous, *versions),) = (
            rows
        )
        return Member(
            id=member_id,
            email=email,
            nickname=nickname,
            born_year=born_year,
            job=job,
            daily_limit=daily_limit,
            email_verified=email_verified,
            anonymous_by_default=anonymous,
            agreed=tuple(
                (what, version)
                for what, version in zip(Consent, versions, strict=True)
                if version is not None
            ),
        )

    def add(self, member: NewMember, password_hash: str | None) -> Member:
        email = MemberRow.objects.normalize_email_address(member.email)
        taken = {}
        if MemberRow.objects.filter(email=email).exists():
            taken["email"] = [_TAKEN["email"]]
        if self.nickname_taken(member.nickname):
            taken["nickname"] = [_TAKEN["nickname"]]
        if taken:
            raise ValidationFailed(taken)
        # Hashed by the caller, before the transaction: hashing here would hold the write lock.
        row = MemberRow(
            email=email,
            nickname=member.nickname,
            born_year=member.born_year,
            job=member.job,
            email_verified=member.email_verified,
            password=password_hash or make_password(None),
        )
        try:
            row.save()
        except IntegrityError as error:
            # Another sign-up with the same email or nickname won the race since the check above.
            raise ValidationFailed(_which_taken(error)) from error
        return to_domain(row)

    def find_by_email(self, email: str) -> Member | None:
        address = MemberRow.objects.normalize_email_address(email)
        found = MemberRow.objects.filter(email=address, is_active=True).values_list("pk", flat=True)
        member_id = next(iter(found), None)
        return None if member_id is None else self.get(MemberId(member_id))

    def nickname_taken(self, nickname: str) -> bool:
        return MemberRow.objects.filter(nickname_key=nickname_key(nickname)).exists()

    def has_password(self, member_id: MemberId) -> bool:
        row = MemberRow.objects.filter(pk=member_id).only("password").first()
        return row is not None and row.has_usable_password()

    def update_profile(self, member: Member) -> None:
        key = nickname_key(member.nickname)
        if MemberRow.objects.filter(nickname_key=key).exclude(pk=member.id).exists():
            raise ValidationFailed({"nickname": [_TAKEN["nickname"]]})
        try:
            MemberRow.objects.filter(pk=member.id).update(
                nickname=member.nickname,
                nickname_key=key,
                born_year=member.born_year,
                job=member.job,
                anonymous_by_default=member.anonymous_by_default,
            )
        except IntegrityError as error:
            raise ValidationFailed({"nickname": [_TAKEN["nickname"]]}) from error

    def change_email(self, member_id: MemberId, email: str) -> None:
        address = MemberRow.objects.normalize_email_address(email)
        if MemberRow.objects.filter(email=address).exclude(pk=member_id).exists():
            raise ValidationFailed({"email": [_TAKEN["email"]]})
        try:
            MemberRow.objects.filter(pk=member_id).update(email=address, email_verified=False)
        except IntegrityError as error:
            raise ValidationFailed({"email": [_TAKEN["email"]]}) from error
        # A link mailed before went to the old address: it must not verify the new one.
        AccountToken.objects.filter(member_id=member_id, used_at=None).delete()

    def mark_email_verified(self, member_id: MemberId) -> None:
        MemberRow.objects.filter(pk=member_id).update(email_verified=True)

    def password_hash(self, member_id: MemberId) -> str | None:
        row = MemberRow.objects.filter(pk=member_id).only("password").first()
        if row is None:
            raise MemberNotFound("No such member.")
        return row.password if row.has_usable_password() else None

    def set_password(self, member_id: MemberId, password_hash: str) -> None:
        MemberRow.objects.filter(pk=member_id).update(password=password_hash)

    def revoke_logins(self, member_id: MemberId) -> None:
        # The member's row lock orders this against refreshes (which take it too, see
        # api/auth.py): a refresh stored before is revoked here, one after finds its old token
        # revoked. Without it a refresh committing meanwhile kept a new token alive.
        lock_member(member_id)
        live = OutstandingToken.objects.filter(user_id=member_id, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token_id=pk) for pk in live.values_list("pk", flat=True)],
            ignore_conflicts=True,  # one revoked meanwhile by a refresh or a logout
        )

    def deactivate(self, member_id: MemberId) -> None:
        MemberRow.objects.filter(pk=member_id).update(is_active=False)

    def joined_at(self, member_id: MemberId) -> datetime:
        joined: datetime = MemberRow.objects.values_list("date_joined", flat=True).get(pk=member_id)
        return joined

    def delete(self, member_id: MemberId) -> None:
        # The token table would only forget who its rows belonged to (SET NULL): a deleted
        # member's refresh tokens go with them.
        OutstandingToken.objects.filter(user_id=member_id).delete()
        MemberRow.objects.filter(pk=member_id).delete()


def lock_member(member_id: MemberId) -> None:
    """Hold the member's row until the transaction ends (PostgreSQL; SQLite's transactions
    take the database's write lock at BEGIN IMMEDIATE, which orders them anyway)."""
    list(MemberRow.objects.select_for_update().filter(pk=member_id).values_list("pk", flat=True))


def _which_taken(error: IntegrityError) -> dict[str, list[str]]:
    field = "nickname" if "nickname" in str(error) else "email"
    return {field: [_TAKEN[field]]}


class DjangoPasswordPolicy(PasswordPolicy):
    """Django's configured AUTH_PASSWORD_VALIDATORS and PASSWORD_HASHERS."""

    def check(self, password: str, member: NewMember) -> list[str]:
        probe = MemberRow(email=member.email, nickname=member.nickname)
        try:
            password_validation.validate_password(password, user=probe)
        except ValidationError as error:
            return list(error.messages)
        return []

    def hash(self, password: str) -> str:
        return make_password(password)

    def matches(self, password: str, password_hash: str) -> bool:
        return check_password(password, password_hash)
