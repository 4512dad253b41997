import uuid
from datetime import date

from django.db.models import F
from django.utils import timezone

from adapters.orm.models import DailyUsage, QuotaReservation
from application.ports import QuotaLedger, Reservation
from domain.ids import MemberId


class DjangoQuotaLedger(QuotaLedger):
    """A counter row per member and day, taken with one conditional UPDATE.

    The UPDATE's WHERE clause is re-checked against the latest row version under the row lock
    (PostgreSQL, READ COMMITTED) or under the database write lock (SQLite, BEGIN IMMEDIATE), so
    concurrent callers in any number of processes can never take more than `limit`.
    """

    def reserve(self, member: MemberId, day: date, limit: int) -> Reservation | None:
        DailyUsage.objects.bulk_create(
            [DailyUsage(member_id=member, day=day, used=0)], ignore_conflicts=True
        )
        taken = DailyUsage.objects.filter(member_id=member, day=day, used__lt=limit).update(
            used=F("used") + 1
        )
        if not taken:
            return None
        reservation = Reservation(id=str(uuid.uuid4()), member_id=member, day=day)
        QuotaReservation.objects.create(
            id=reservation.id, member_id=member, day=day, created_at=timezone.now()
        )
        return reservation

    def refund(self, reservation: Reservation) -> None:
        first = QuotaReservation.objects.filter(id=reservation.id, refunded_at=None).update(
            refunded_at=timezone.now()
        )
        if first:
            DailyUsage.objects.filter(
                member_id=reservation.member_id, day=reservation.day, used__gt=0
            ).update(used=F("used") - 1)

    def used(self, member: MemberId, day: date) -> int:
        row = DailyUsage.objects.filter(member_id=member, day=day).values_list("used", flat=True)
        return next(iter(row), 0)
