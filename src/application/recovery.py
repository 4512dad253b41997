"""Answers whose process died.

A turn is pending while its process asks the model. If the process dies (a crash, kill -9, a
lost machine), nobody finishes it: it would stay pending with the member's request taken. Each
pending turn has a lease that the generating process keeps extending; once it has run out, the
turn is marked failed (`interrupted`) and its request given back. No answer text of it was
stored, so nothing is charged, and the member can ask again.
"""

from application.asking import INTERRUPTED
from application.ports import Clock, UnitOfWork


class RecoverInterruptedTurns:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self) -> int:
        """How many turns were recovered. Safe to run in any number of processes at once."""
        with self._uow as uow:
            paid = uow.chats.fail_interrupted(self._clock.now(), INTERRUPTED)
            for reservation in paid:
                uow.quota.refund(reservation)
            uow.commit()
        return len(paid)
