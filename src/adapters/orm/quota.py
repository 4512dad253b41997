import uuid
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from adapters.orm import sql
from adapters.orm.models import DailyUsage, QuotaReservation
from application.ports import QuotaLedger, Reservation
from domain.ids import MemberId


class DjangoQuotaLedger(QuotaLedger):
    """A counter row per member and day, taken with one conditional upsert.

    `INSERT … ON CONFLICT DO UPDATE SET used = used + 1 WHERE used < limit` re-checks its WHERE
    clause against the latest row version under the row lock (PostgreSQL) or under the database
    write lock (SQLite, BEGIN IMMEDIATE), so concurrent callers in any number of processes can
    never take more than `limit`. The reservation row that makes refunds idempotent is written by
    the same statement on PostgreSQL (a data-modifying CTE) and in the same transaction on SQLite.
    """

    def reserve(self, member: MemberId, day: date, limit: int) -> Reservation | None:
        if limit <= 0:
            return None
        reservation = Reservation(id=str(uuid.uuid4()), member_id=member, day=day)
        usage, used = sql.table(DailyUsage), sql.column(DailyUsage, "used")
        take, take_params = sql.insert_row(DailyUsage, {"member_id": member, "day": day, "used": 1})
        take += (
            f" ON CONFLICT ({sql.column(DailyUsage, 'member_id')}, {sql.column(DailyUsage, 'day')})"
            f" DO UPDATE SET {used} = {usage}.{used} + 1 WHERE {usage}.{used} < %s"
        )
        take_params.append(limit)
        values = {
            "id": reservation.id,
            "member_id": member,
            "day": day,
            "created_at": timezone.now(),
        }
        with sql.cursor() as cursor:
            if sql.one_statement():
                # Nothing taken: the CTE is empty, and so is the reservation insert's SELECT.
                record, record_params = sql.insert_from(QuotaReservation, values, "taken")
                cursor.execute(
                    f"WITH taken AS ({take} RETURNING 1) {record} RETURNING 1",
                    [*take_params, *record_params],
                )
                return reservation if cursor.fetchone() else None
            with transaction.atomic():
                cursor.execute(f"{take} RETURNING 1", take_params)
                if cursor.fetchone() is None:
                    return None
                cursor.execute(*sql.insert_row(QuotaReservation, values))
        return reservation

    def refund(self, reservation: Reservation) -> None:
        with transaction.atomic():
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
