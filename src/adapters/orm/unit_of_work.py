import threading
from types import TracebackType
from typing import Self

from django.db import transaction

from adapters.orm.chats import DjangoChatRepository
from adapters.orm.consents import DjangoConsentRepository
from adapters.orm.feedback import DjangoRatingRepository
from adapters.orm.members import DjangoMemberRepository
from adapters.orm.moderation import DjangoModerationLog, DjangoReportRepository
from adapters.orm.quota import DjangoQuotaLedger
from adapters.orm.social import (
    DjangoLoginCodeRepository,
    DjangoOAuthStateRepository,
    DjangoSocialAccountRepository,
)
from adapters.orm.tokens import DjangoAccountTokenRepository
from application.ports import UnitOfWork


class DjangoUnitOfWork(UnitOfWork):
    """One `transaction.atomic()` block. Django commits when the block ends, so commit() marks the
    work to keep and leaving the block without it rolls back.

    Django's transactions belong to a thread (each thread has its own connection), and so does
    this object's state: one instance serves any number of threads at once, as a streamed
    answer's background work needs. Within a thread it is not re-entrant."""

    def __init__(self) -> None:
        self.members = DjangoMemberRepository()
        self.chats = DjangoChatRepository()
        self.quota = DjangoQuotaLedger()
        self.social = DjangoSocialAccountRepository()
        self.login_codes = DjangoLoginCodeRepository()
        self.oauth_states = DjangoOAuthStateRepository()
        self.account_tokens = DjangoAccountTokenRepository()
        self.reports = DjangoReportRepository()
        self.moderation_log = DjangoModerationLog()
        self.consents = DjangoConsentRepository()
        self.ratings = DjangoRatingRepository()
        self._local = threading.local()

    def __enter__(self) -> Self:
        if getattr(self._local, "atomic", None) is not None:
            raise RuntimeError("This unit of work is already open in this thread.")
        atomic = transaction.atomic()
        atomic.__enter__()
        self._local.atomic, self._local.keep = atomic, False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        atomic, self._local.atomic = self._local.atomic, None
        if exc_type is None and not self._local.keep:
            transaction.set_rollback(True)
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._local.keep = True
