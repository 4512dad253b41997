from datetime import datetime

from django.db import IntegrityError, transaction

from adapters.orm.models import LoginCode, SocialAccount, UsedOAuthState
from application.errors import ValidationFailed
from application.ports import (
    LoginCodeRepository,
    OAuthStateRepository,
    SocialAccountRepository,
)
from domain.ids import MemberId


class DjangoSocialAccountRepository(SocialAccountRepository):
    def member_for(self, provider: str, account_id: str) -> MemberId | None:
        row = (
            SocialAccount.objects.filter(
                provider=provider, account_id=account_id, member__is_active=True
            )
            .only("member_id")
            .first()
        )
        return None if row is None else MemberId(row.member_id)

    def link(self, member_id: MemberId, provider: str, account_id: str) -> None:
        try:
            # A savepoint, so a lost race leaves the surrounding transaction usable.
            with transaction.atomic():
                SocialAccount.objects.create(
                    member_id=member_id, provider=provider, account_id=account_id
                )
        except IntegrityError as error:
            raise ValidationFailed(
                {"provider": [f"This {provider} account is linked to a member already."]}
            ) from error

    def providers_of(self, member_id: MemberId) -> list[str]:
        return sorted(
            SocialAccount.objects.filter(member_id=member_id).values_list("provider", flat=True)
        )

    def unlink(self, member_id: MemberId, provider: str) -> None:
        SocialAccount.objects.filter(member_id=member_id, provider=provider).delete()

    def account_of(self, member_id: MemberId, provider: str) -> str | None:
        return (
            SocialAccount.objects.filter(member_id=member_id, provider=provider)
            .values_list("account_id", flat=True)
            .first()
        )

    def unlink_account(self, provider: str, account_id: str) -> MemberId | None:
        row = (
            SocialAccount.objects.filter(provider=provider, account_id=account_id)
            .only("member_id")
            .first()
        )
        if row is None:
            return None
        # The DELETE decides between concurrent callers: only one of them removes the row.
        deleted, _ = SocialAccount.objects.filter(pk=row.pk).delete()
        return MemberId(row.member_id) if deleted else None


class DjangoLoginCodeRepository(LoginCodeRepository):
    def add(self, code_hash: str, member_id: MemberId, expires_at: datetime) -> None:
        LoginCode.objects.create(code_hash=code_hash, member_id=member_id, expires_at=expires_at)

    def take(self, code_hash: str, now: datetime) -> MemberId | None:
        # Expired codes go with every redemption, so the table never grows.
        LoginCode.objects.filter(expires_at__lte=now).delete()
        row = LoginCode.objects.filter(code_hash=code_hash).only("member_id").first()
        if row is None:
            return None
        # The DELETE decides between concurrent redeemers: only one of them deletes the row.
        deleted, _ = LoginCode.objects.filter(code_hash=code_hash, expires_at__gt=now).delete()
        return MemberId(row.member_id) if deleted else None


class DjangoOAuthStateRepository(OAuthStateRepository):
    def spend(self, state_hash: str, expires_at: datetime, now: datetime) -> bool:
        # Expired states go with every new one, so the table holds ten minutes of logins.
        UsedOAuthState.objects.filter(expires_at__lte=now).delete()
        try:
            # The primary key decides between concurrent callers: a second insert waits for
            # the first transaction and then fails. A savepoint keeps the outer one usable.
            with transaction.atomic():
                UsedOAuthState.objects.create(state_hash=state_hash, expires_at=expires_at)
        except IntegrityError:
            return False
        return True
