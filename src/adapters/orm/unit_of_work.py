from types import TracebackType
from typing import Self

from django.db import transaction

from adapters.orm.chats import DjangoChatRepository
from adapters.orm.members import DjangoMemberRepository
from adapters.orm.quota import DjangoQuotaLedger
from application.ports import UnitOfWork


class DjangoUnitOfWork(UnitOfWork):
    """One `transaction.atomic()` block. Django commits when the block ends, so commit() marks the
    work to keep and leaving the block without it rolls back.

    Not re-entrant: use one instance per unit of work at a time (the container hands out a new one
    per use case call)."""

    def __init__(self) -> None:
        self.members = DjangoMemberRepository()
        self.chats = DjangoChatRepository()
        self.quota = DjangoQuotaLedger()
        self._atomic: transaction.Atomic | None = None
        self._keep = False

    def __enter__(self) -> Self:
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._keep = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._atomic is not None
        if exc_type is None and not self._keep:
            transaction.set_rollback(True)
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._keep = True
