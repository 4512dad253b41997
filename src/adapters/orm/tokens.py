from datetime import datetime

from adapters.orm.models import AccountToken
from application.ports import AccountTokenRepository, TokenPurpose
from domain.ids import MemberId


class DjangoAccountTokenRepository(AccountTokenRepository):
    def add(
        self,
        token_hash: str,
        member_id: MemberId,
        purpose: TokenPurpose,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        # Expired tokens go with each new one, so the table holds two days of mails at most.
        AccountToken.objects.filter(expires_at__lte=now).delete()
        AccountToken.objects.create(
            token_hash=token_hash,
            member_id=member_id,
            purpose=purpose.value,
            created_at=now,
            expires_at=expires_at,
        )

    def holder(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> MemberId | None:
        row = (
            AccountToken.objects.filter(
                token_hash=token_hash,
                purpose=purpose.value,
                used_at__isnull=True,
                expires_at__gt=now,
                member__is_active=True,
            )
            .only("member_id")
            .first()
        )
        return None if row is None else MemberId(row.member_id)

    def use(self, token_hash: str, purpose: TokenPurpose, now: datetime) -> MemberId | None:
        member_id = self.holder(token_hash, purpose, now)
        if member_id is None:
            return None
        # The UPDATE decides between concurrent callers: only one of them sees the row unused.
        taken = AccountToken.objects.filter(
            token_hash=token_hash, purpose=purpose.value, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if not taken:
            return None
        AccountToken.objects.filter(
            member_id=member_id, purpose=purpose.value, used_at__isnull=True
        ).update(used_at=now)
        return member_id
