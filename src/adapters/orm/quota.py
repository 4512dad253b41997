import hashlib
import hmac
import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from adapters.orm import sql
from adapters.orm.models import DailyUsage, DepartedUsage, QuotaReservation
from application.ports import QuotaLedger, Reservation
from domain.ids import MemberId


def _take(reservation: Reservation, limit: int) -> tuple[str, list[Any]]:
    """The upsert that takes one request from the day's counter while it is below `limit`."""
    values = {"member_id": reservation.member_id, "day": reservation.day, "used": 1}
    take, params = sql.insert_row(DailyUsage, values)
    usage, used = sql.table(DailyUsage), sql.column(DailyUsage, "used")
    conflict = f"{sql.column(DailyUsage, 'member_id')}, {sql.column(DailyUsage, 'day')}"
    take += (
        f" ON CONFLICT ({conflict}) DO UPDATE SET {used} = {usage}.{used} + 1"
        f" WHERE {usage}.{used} < %s"
    )
    return take, [*params, limit]


def _recorded(reservation: Reservation) -> dict[str, Any]:
    return {
        "id": reservation.id,
        "member_id": reservation.member_id,
        "day": reservation.day,
        "created_at": timezone.now(),
    }


def taking(reservation: Reservation, limit: int) -> tuple[str, list[Any]]:
    """Two CTEs for a PostgreSQL statement that goes on from `paid`: `taken`, one request taken
    from the day's counter while it is below `limit`, and `paid`, `reservation` recorded when it
    was (a row when both happened, none otherwise)."""
    take, params = _take(reservation, limit)
    record, record_params = sql.insert_from(QuotaReservation, _recorded(reservation), "taken")
    return (
        f"taken AS ({take} RETURNING 1), paid AS ({record} RETURNING 1)",
        [*params, *record_params],
    )


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
        with sql.cursor() as cursor:
            if sql.one_statement():
                # Nothing taken: `taken` is empty, and so are the reservation insert and `paid`.
                ctes, params = taking(reservation, limit)
                cursor.execute(f"WITH {ctes} SELECT 1 FROM paid", params)
                return reservation if cursor.fetchone() else None
            with transaction.atomic():
                take, params = _take(reservation, limit)
                cursor.execute(f"{take} RETURNING 1", params)
                if cursor.fetchone() is None:
                    return None
                cursor.execute(*sql.insert_row(QuotaReservation, _recorded(reservation)))
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

    def history(self, member: MemberId) -> list[tuple[date, int]]:
        rows = DailyUsage.objects.filter(member_id=member).order_by("day")
        return list(rows.values_list("day", "used"))

    def remember_leaver(self, member: MemberId, email: str, day: date) -> None:
        DepartedUsage.objects.filter(day__lt=day).delete()
        used = self.used(member, day)
        if used:
            DepartedUsage.objects.update_or_create(
                email_hash=email_hash(email), day=day, defaults={"used": used}
            )

    def carry_over(self, member: MemberId, email: str, day: date) -> None:
        # The new member's counter starts where the leaver's stopped; reserve() then takes from
        # it as from any other, so the limit stays exact.
        left = DepartedUsage.objects.filter(email_hash=email_hash(email), day=day)
        used = next(iter(left.values_list("used", flat=True)), 0)
        if used:
            DailyUsage.objects.create(member_id=member, day=day, used=used)


def email_hash(email: str) -> str:
    """The email as every sign-up compares it (trimmed, case-folded), keyed with the secret key
    so that a copy of the table tells nobody which addresses left."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()
